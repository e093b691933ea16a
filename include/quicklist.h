/* quicklist: the value of a list key, in one of two encodings, as Redis 7
 * stores lists:
 *   - "listpack": a small list is a single packed node (qlpack.h);
 *   - "quicklist": a large one is a doubly linked list of packed nodes, each
 *     kept under the node limit that list-max-listpack-size sets.
 * A list starts packed; ql_grow converts it when a change would pass the
 * limit, ql_shrink converts back when it has shrunk to one node of at most
 * half the limit (Redis's hysteresis, so that a list at the border does not
 * flip at every push and pop).
 *
 * The value is a `ql *` in both encodings. It tells its own encoding
 * (ql_is_packed): a packed node's first four bytes are its size, never 0,
 * and a quicklist's header starts with a zero word. The keyspace's type
 * operations (free, dup, rewrite) receive only the value pointer, which is
 * why it must be self-describing.
 *
 * Node limit, from the fill (list-max-listpack-size): -1..-5 cap a node's
 * bytes at 4, 8, 16, 32 or 64 KB (below -5 counts as -5); a positive fill
 * caps its entries (0 counts as 1), and then its bytes at 8 KB as a safety
 * limit. An element larger than a node's limit gets a node of its own.
 *
 * Ownership: every function that changes a list returns the value to use
 * from now on (a packed list moves when it grows; conversions replace it);
 * the caller stores it back (obj_set_value). Strings passed in are copied.
 */
#ifndef RESPD_QUICKLIST_H
#define RESPD_QUICKLIST_H

#include <stddef.h>

#include "qlpack.h"

typedef struct ql ql;
typedef struct ql_node ql_node;

/* An entry as read by an iterator (see qlp_val: a string or an integer). */
typedef qlp_val ql_entry;

/* An empty packed list. Released with ql_free. */
ql *ql_new(void);
void ql_free(ql *l);
/* A deep copy (COPY). */
ql *ql_dup(const ql *l);

/* 1 for the listpack encoding, 0 for the quicklist one. */
int ql_is_packed(const ql *l);
size_t ql_count(const ql *l);
/* Number of nodes (1 for a packed list). */
size_t ql_node_count(const ql *l);

/* 1 when a node of `bytes` bytes and `count` entries is past the limit
 * that `fill` sets. */
int ql_exceeds(int fill, size_t bytes, size_t count);
/* Before adding count elements of add_bytes bytes in all: converts a
 * packed list that would exceed the limit into a quicklist whose nodes use
 * `fill`. A quicklist is returned unchanged. */
ql *ql_grow(ql *l, int fill, size_t add_bytes, size_t add_count);
/* After removing elements: converts a quicklist of one node of at most half
 * the limit back to a packed list. */
ql *ql_shrink(ql *l, int fill);

/* Adds s[0..len) at the head (tail == 0) or the tail. */
ql *ql_push(ql *l, int tail, const char *s, size_t len);
/* Deletes n elements from index start (0-based, from the head); the range
 * must lie inside the list. */
ql *ql_delete_range(ql *l, size_t start, size_t n);
/* Replaces the element at index (0-based; it must exist). */
ql *ql_replace(ql *l, size_t index, const char *s, size_t len);

/* ---- iteration ----------------------------------------------------------------
 * ql_iter it; ql_iter_init(&it, l, index, fwd); while (ql_iter_next(&it, &e))
 * ... The entry stays valid until the list changes. While iterating, the
 * entry just returned may be deleted (ql_iter_delete; iteration goes on) or
 * have an element inserted next to it (ql_iter_insert; iteration must stop).
 * Afterwards the list value is ql_iter_list(&it). Fields are private. */
typedef struct ql_iter {
    ql *l;
    ql_node *node;      /* current node; NULL for a packed list */
    unsigned char *lp;  /* the pack holding p */
    unsigned char *p;   /* current entry, or NULL */
    unsigned char *end; /* lp's end byte */
    size_t sz;          /* p's size */
    int fwd;
    int fresh;          /* p is the next entry to return */
} ql_iter;

/* Starts at the element at index (negative: from the tail, -1 the last)
 * going towards the tail (fwd) or the head. An index outside the list gives
 * an iterator that returns nothing. */
void ql_iter_init(ql_iter *it, ql *l, long index, int fwd);
/* Reads the next element into *e; returns 0 at the end. */
int ql_iter_next(ql_iter *it, ql_entry *e);
/* Deletes the element ql_iter_next last returned. */
void ql_iter_delete(ql_iter *it);
/* Inserts s[0..len) before or after the element last returned. */
void ql_iter_insert(ql_iter *it, int after, const char *s, size_t len);
ql *ql_iter_list(const ql_iter *it);

/* Checks every invariant (node counts, sizes, links, no empty node, the
 * packed format of each node). Returns 0 or -1 (tests and debugging). */
int ql_validate(const ql *l);

#endif
