/* intset: sorted integer arrays at the narrowest sufficient width.
 *
 * Invariants: elements are strictly ascending; every element fits the
 * current width; the allocation is exactly header + length * width bytes.
 * Elements are read and written with memcpy so that the array needs no
 * alignment beyond the header's.
 */
#include "intset.h"

#include <string.h>

#include "mem.h"

static inline int8_t *data_of(intset *is)
{
    return (int8_t *)(is + 1);
}

static inline const int8_t *cdata_of(const intset *is)
{
    return (const int8_t *)(is + 1);
}

uint32_t is_width_for(int64_t v)
{
    if (v >= INT16_MIN && v <= INT16_MAX)
        return 2;
    if (v >= INT32_MIN && v <= INT32_MAX)
        return 4;
    return 8;
}

/* Reads element pos at a given width (the current one, or the old one
 * during an upgrade). */
static int64_t get_w(const intset *is, uint32_t pos, uint32_t width)
{
    const int8_t *p = cdata_of(is) + (size_t)pos * width;
    if (width == 2) {
        int16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    if (width == 4) {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void set_at(intset *is, uint32_t pos, int64_t v)
{
    int8_t *p = data_of(is) + (size_t)pos * is->width;
    if (is->width == 2) {
        int16_t x = (int16_t)v;
        memcpy(p, &x, 2);
    } else if (is->width == 4) {
        int32_t x = (int32_t)v;
        memcpy(p, &x, 4);
    } else {
        memcpy(p, &v, 8);
    }
}

int64_t is_get(const intset *is, uint32_t pos)
{
    return get_w(is, pos, is->width);
}

size_t is_blob_len(const intset *is)
{
    return sizeof(intset) + (size_t)is->length * is->width;
}

intset *is_new(void)
{
    intset *is = mem_alloc(sizeof(intset));
    is->width = 2;
    is->length = 0;
    return is;
}

void is_free(intset *is)
{
    mem_free(is);
}

intset *is_dup(const intset *is)
{
    size_t n = is_blob_len(is);
    intset *c = mem_alloc(n);
    memcpy(c, is, n);
    return c;
}

/* Binary search: returns 1 and the position of v, or 0 and the position
 * where v would be inserted. */
static int search(const intset *is, int64_t v, uint32_t *pos)
{
    uint32_t lo = 0, hi = is->length;
    /* Checking the ends first makes runs of ascending (or descending)
     * inserts, as SUNIONSTORE of intsets produces, skip the search. */
    if (hi == 0) {
        *pos = 0;
        return 0;
    }
    if (v > is_get(is, hi - 1)) {
        *pos = hi;
        return 0;
    }
    if (v < is_get(is, 0)) {
        *pos = 0;
        return 0;
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int64_t cur = is_get(is, mid);
        if (cur == v) {
            *pos = mid;
            return 1;
        }
        if (cur < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return 0;
}

int is_find(const intset *is, int64_t v)
{
    uint32_t pos;
    return is_width_for(v) <= is->width && search(is, v, &pos);
}

static intset *resize(intset *is, uint32_t len)
{
    return mem_realloc(is, sizeof(intset) + (size_t)len * is->width);
}

/* Widens every element to the width v needs and adds v, which by needing a
 * wider type is either below every element or above every one. */
static intset *upgrade_and_add(intset *is, int64_t v)
{
    uint32_t old = is->width, len = is->length;
    int prepend = v < 0;
    is->width = is_width_for(v);
    is = resize(is, len + 1);
    /* Walk from the end so that no element is overwritten before it is
     * read: the new position of each element is at or after its old one. */
    for (uint32_t i = len; i-- > 0;)
        set_at(is, i + (uint32_t)prepend, get_w(is, i, old));
    set_at(is, prepend ? 0 : len, v);
    is->length = len + 1;
    return is;
}

intset *is_add(intset *is, int64_t v, int *added)
{
    if (added)
        *added = 0;
    if (is_width_for(v) > is->width) {
        if (added)
            *added = 1;
        return upgrade_and_add(is, v);
    }
    uint32_t pos;
    if (search(is, v, &pos))
        return is;
    is = resize(is, is->length + 1);
    int8_t *d = data_of(is);
    memmove(d + (size_t)(pos + 1) * is->width, d + (size_t)pos * is->width,
            (size_t)(is->length - pos) * is->width);
    set_at(is, pos, v);
    is->length++;
    if (added)
        *added = 1;
    return is;
}

intset *is_remove_at(intset *is, uint32_t pos)
{
    int8_t *d = data_of(is);
    memmove(d + (size_t)pos * is->width, d + (size_t)(pos + 1) * is->width,
            (size_t)(is->length - pos - 1) * is->width);
    is->length--;
    return resize(is, is->length);
}

intset *is_remove(intset *is, int64_t v, int *removed)
{
    uint32_t pos;
    if (removed)
        *removed = 0;
    if (is_width_for(v) > is->width || !search(is, v, &pos))
        return is;
    if (removed)
        *removed = 1;
    return is_remove_at(is, pos);
}
