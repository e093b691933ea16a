/* t_sort: SORT and SORT_RO (src/t_sort.c), and how collection types make
 * their elements available to them.
 *
 * SORT reads lists itself (the list value is a `ql *`, quicklist.h). Other
 * collection types register a walker from their constructor:
 *     sort_register_walker(OBJ_SET, set_sort_walk);
 * SORT on a key of a type with no walker replies WRONGTYPE, as for strings
 * and hashes.
 */
#ifndef RESPD_T_SORT_H
#define RESPD_T_SORT_H

#include <stddef.h>

#include "object.h"

/* Receives one element; the bytes are only borrowed for the call. */
typedef void (*sort_elem_fn)(void *ctx, const char *s, size_t len);
/* Calls fn once per element of o's value, in the type's own order: a
 * sorted set by ascending score (ZRANGE order), an intset ascending, other
 * sets in whatever order they iterate. Must not change anything. */
typedef void (*sort_walk_fn)(const obj *o, sort_elem_fn fn, void *ctx);

/* Registers the walker for a type (OBJ_SET, OBJ_ZSET); call it from a
 * constructor, like obj_register_type. */
void sort_register_walker(int type, sort_walk_fn walk);

#endif
