/* intset: a sorted array of distinct 64-bit integers stored at the smallest
 * width (2, 4 or 8 bytes) that holds every element.
 *
 * It is the compact encoding of sets whose members are all integers (Redis's
 * "intset"). Lookups are binary searches; inserts and removals move the tail
 * of the array, which is why sets leave this encoding past
 * set-max-intset-entries. Adding a value that needs a wider type rewrites
 * every element at the new width ("upgrade"); the width never shrinks.
 *
 * Layout: the header below, then `length` native-endian integers of `width`
 * bytes each, in ascending order, in the same allocation. The AOF stores
 * members as text, so the byte order never leaves the process.
 * The header is public because t_set tells its set structures apart by their
 * first 32 bits: for an intset that is the width, always 2, 4 or 8.
 *
 * Functions that may reallocate return the intset to use from then on; the
 * argument is invalid afterwards. Memory comes from mem.h.
 */
#ifndef RESPD_INTSET_H
#define RESPD_INTSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct intset {
    uint32_t width;  /* bytes per element: 2, 4 or 8 */
    uint32_t length; /* number of elements */
    /* followed by length * width bytes */
} intset;

/* A new empty intset (width 2). Caller frees with is_free. */
intset *is_new(void);
void is_free(intset *is);
/* A deep copy. */
intset *is_dup(const intset *is);

/* Adds v if absent; *added (may be NULL) says whether it was. */
intset *is_add(intset *is, int64_t v, int *added);
/* Removes v if present; *removed (may be NULL) says whether it was. The
 * allocation shrinks with the array. */
intset *is_remove(intset *is, int64_t v, int *removed);
/* 1 when v is an element. */
int is_find(const intset *is, int64_t v);

/* Number of elements. */
static inline uint32_t is_len(const intset *is)
{
    return is->length;
}
/* The element at position pos (0 <= pos < length), in ascending order. */
int64_t is_get(const intset *is, uint32_t pos);
/* Removes the element at position pos. */
intset *is_remove_at(intset *is, uint32_t pos);
/* Bytes the intset occupies (header and elements). */
size_t is_blob_len(const intset *is);

/* Width in bytes (2, 4 or 8) needed to store v. */
uint32_t is_width_for(int64_t v);

#endif
