/* mem: the one place the server gets memory from.
 *
 * Every allocation in respd goes through these wrappers. They never return
 * NULL: when the C library has no memory left, they log the size that failed
 * and abort, because a half-applied write is worse than a crash the AOF can
 * recover from. They also keep a running count of the bytes handed out, which
 * INFO reports as used_memory.
 */
#ifndef RESPD_MEM_H
#define RESPD_MEM_H

#include <stddef.h>

/* Returns at least n bytes (n may be 0). Caller releases with mem_free. */
void *mem_alloc(size_t n);
/* Like mem_alloc, zero-filled. Aborts if n * size overflows. */
void *mem_calloc(size_t n, size_t size);
/* Resizes p (which may be NULL) to n bytes; the old pointer is invalid after. */
void *mem_realloc(void *p, size_t n);
/* Releases p; NULL is accepted. */
void mem_free(void *p);
/* Copies n bytes of s into a new NUL-terminated allocation. */
char *mem_strndup(const char *s, size_t n);
char *mem_strdup(const char *s);
/* Small-object allocation for keyspace entries: sizes are rounded up to 8
 * bytes and carved from 64 KB slabs, with no per-object header, so a 36-byte
 * entry costs 40 bytes instead of malloc's 48. The caller must pass the same
 * size to mem_small_free that it passed to mem_small_alloc. Sizes above
 * MEM_SMALL_MAX fall through to mem_alloc. Memory of freed objects is reused
 * for objects of the same size class; slabs are not returned to the system.
 * Built with RESPD_NO_SLAB (or under AddressSanitizer) these are plain
 * mem_alloc/mem_free, so memory checkers see every object. */
#define MEM_SMALL_MAX 512
void *mem_small_alloc(size_t n);
void mem_small_free(void *p, size_t n);

/* Bytes currently allocated through this module, as the allocator counts them
 * (usable size, which includes the allocator's rounding), less the slab space
 * that holds no live small object: freeing an entry lowers it at once, as
 * it does in Redis, which maxmemory relies on. */
size_t mem_used(void);

#endif
