/* t_hash: the hash type's commands (src/t_hash.c) and the one read access
 * other modules need: the "key->field" patterns of SORT BY and GET.
 */
#ifndef RESPD_T_HASH_H
#define RESPD_T_HASH_H

#include <stddef.h>

#include "listpack.h"
#include "object.h"

/* Looks up field in a hash entry (obj_type(o) == OBJ_HASH). Returns 1 and
 * sets *val and *vlen when present (the bytes may point into buf, which must
 * hold LP_INTBUF bytes; valid until the hash changes), 0 when absent. */
int hash_get_field(const obj *o, const char *field, size_t flen, const char **val, size_t *vlen,
                   char *buf);

#endif
