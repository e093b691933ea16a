/* mem: allocation wrappers that abort on exhaustion and count usage.
 *
 * The count uses malloc_usable_size(), so it reflects what the allocator
 * really reserved for us rather than what we asked for. It is a plain global:
 * the server is single-threaded, and the AOF rewrite child has its own copy.
 */
#include "mem.h"

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t used_bytes;
/* Bytes of the slabs not holding a live object (free lists and the unused
 * ends), which mem_used does not count: a freed entry must lower the
 * figure that maxmemory is compared with, as free() would. */
static size_t slab_idle_bytes; /* stays 0 without the slab allocator */

static void out_of_memory(size_t n)
{
    /* stdio may itself need memory; write(2) a fixed message instead. */
    char msg[96];
    int len = snprintf(msg, sizeof(msg), "respd: out of memory allocating %zu bytes\n", n);
    if (len > 0) {
        ssize_t r = write(STDERR_FILENO, msg, (size_t)len);
        (void)r;
    }
    abort();
}

void *mem_alloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    used_bytes += malloc_usable_size(p);
    return p;
}

void *mem_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        out_of_memory(SIZE_MAX);
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory(n * size);
    used_bytes += malloc_usable_size(p);
    return p;
}

void *mem_realloc(void *p, size_t n)
{
    size_t old = p ? malloc_usable_size(p) : 0;
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    used_bytes = used_bytes - old + malloc_usable_size(q);
    return q;
}

void mem_free(void *p)
{
    if (!p)
        return;
    used_bytes -= malloc_usable_size(p);
    free(p);
}

char *mem_strndup(const char *s, size_t n)
{
    char *d = mem_alloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *mem_strdup(const char *s)
{
    return mem_strndup(s, strlen(s));
}

#if defined(__SANITIZE_ADDRESS__)
#define RESPD_NO_SLAB 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RESPD_NO_SLAB 1
#endif
#endif

#ifdef RESPD_NO_SLAB

void *mem_small_alloc(size_t n)
{
    return mem_alloc(n);
}

void mem_small_free(void *p, size_t n)
{
    (void)n;
    mem_free(p);
}

#else

#define SLAB_BYTES (64 * 1024)
#define NCLASSES (MEM_SMALL_MAX / 8)

/* One free list and one bump region per size class. A free object holds the
 * pointer to the next free object of its class in its first 8 bytes, which
 * is why the smallest class is 8 bytes. */
typedef struct size_class {
    void *free_list;
    char *bump;
    size_t left;
} size_class;

static size_class classes[NCLASSES];

static size_t class_index(size_t n)
{
    return n ? (n - 1) / 8 : 0;
}

void *mem_small_alloc(size_t n)
{
    if (n > MEM_SMALL_MAX)
        return mem_alloc(n);
    size_t ci = class_index(n);
    size_t size = (ci + 1) * 8;
    size_class *sc = &classes[ci];
    slab_idle_bytes -= size;
    if (sc->free_list) {
        void *p = sc->free_list;
        memcpy(&sc->free_list, p, sizeof(void *));
        return p;
    }
    if (sc->left < size) {
        /* The tail of the old slab (less than one object) is abandoned. */
        char *slab = mem_alloc(SLAB_BYTES);
        slab_idle_bytes += malloc_usable_size(slab);
        sc->bump = slab;
        sc->left = SLAB_BYTES;
    }
    void *p = sc->bump;
    sc->bump += size;
    sc->left -= size;
    return p;
}

void mem_small_free(void *p, size_t n)
{
    if (!p)
        return;
    if (n > MEM_SMALL_MAX) {
        mem_free(p);
        return;
    }
    size_t ci = class_index(n);
    size_class *sc = &classes[ci];
    memcpy(p, &sc->free_list, sizeof(void *));
    sc->free_list = p;
    slab_idle_bytes += (ci + 1) * 8;
}

#endif

size_t mem_used(void)
{
    return used_bytes - slab_idle_bytes;
}
