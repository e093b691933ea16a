/* qlpack: Redis's listpack format for list nodes. See qlpack.h for the
 * layout; this file follows Redis's listpack.c byte for byte in what it
 * writes (encodings, back-lengths, header), so that node sizes, which decide
 * when a list changes encoding or starts a new node, are Redis's.
 *
 * Every change is one resize and one memmove of the bytes after the change:
 * a node is at most a few KB (list-max-listpack-size), so that is cheaper
 * than any pointer structure would be.
 */
#include "qlpack.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "mem.h"
#include "util.h"

#define LP_EOF 0xFF
#define COUNT_UNKNOWN 65535

/* ---- header --------------------------------------------------------------- */

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static unsigned hdr_count(const unsigned char *lp)
{
    return (unsigned)lp[4] | (unsigned)lp[5] << 8;
}

static void set_hdr_count(unsigned char *lp, size_t n)
{
    unsigned v = n >= COUNT_UNKNOWN ? COUNT_UNKNOWN : (unsigned)n;
    lp[4] = (unsigned char)v;
    lp[5] = (unsigned char)(v >> 8);
}

size_t qlp_bytes(const unsigned char *lp)
{
    return get_u32(lp);
}

/* ---- memory ----------------------------------------------------------------
 * Small packs come from the slab allocator in 8-byte classes; the class is a
 * function of the size in the header, so free and resize need no other
 * bookkeeping, and growing within a class costs nothing. */

static size_t alloc_size(size_t bytes)
{
    return bytes <= MEM_SMALL_MAX ? (bytes + 7) & ~(size_t)7 : bytes;
}

static unsigned char *resize(unsigned char *lp, size_t old, size_t want)
{
    size_t oa = alloc_size(old), na = alloc_size(want);
    if (oa == na)
        return lp;
    if (oa > MEM_SMALL_MAX && na > MEM_SMALL_MAX)
        return mem_realloc(lp, na);
    unsigned char *n = mem_small_alloc(na);
    memcpy(n, lp, old < want ? old : want);
    mem_small_free(lp, oa);
    return n;
}

unsigned char *qlp_new(void)
{
    unsigned char *lp = mem_small_alloc(alloc_size(QLP_HDR_SIZE + 1));
    put_u32(lp, QLP_HDR_SIZE + 1);
    set_hdr_count(lp, 0);
    lp[QLP_HDR_SIZE] = LP_EOF;
    return lp;
}

void qlp_free(unsigned char *lp)
{
    if (lp)
        mem_small_free(lp, alloc_size(qlp_bytes(lp)));
}

unsigned char *qlp_dup(const unsigned char *lp)
{
    size_t n = qlp_bytes(lp);
    unsigned char *d = mem_small_alloc(alloc_size(n));
    memcpy(d, lp, n);
    return d;
}

unsigned char *qlp_from_entries(const unsigned char *first, size_t nbytes, size_t count)
{
    size_t total = QLP_HDR_SIZE + nbytes + 1;
    assert(total <= QLP_MAX_SIZE);
    unsigned char *lp = mem_small_alloc(alloc_size(total));
    put_u32(lp, (uint32_t)total);
    set_hdr_count(lp, count);
    memcpy(lp + QLP_HDR_SIZE, first, nbytes);
    lp[total - 1] = LP_EOF;
    return lp;
}

/* ---- entry sizes -------------------------------------------------------------- */

static size_t backlen_size(size_t l)
{
    if (l <= 127)
        return 1;
    if (l < 16383)
        return 2;
    if (l < 2097151)
        return 3;
    if (l < 268435455)
        return 4;
    return 5;
}

/* Writes the back-length of an entry whose encoding+payload is l bytes:
 * most significant 7-bit group first; every byte but the first has the
 * high bit set, so a reader starting at the last byte knows when to stop. */
static void put_backlen(unsigned char *buf, size_t l)
{
    size_t n = backlen_size(l);
    for (size_t i = 0; i < n; i++) {
        size_t shift = 7 * (n - 1 - i);
        buf[i] = (unsigned char)((l >> shift) & 127);
        if (i > 0)
            buf[i] |= 128;
    }
}

/* Reads the back-length whose last byte is at p. */
static size_t get_backlen(const unsigned char *p)
{
    size_t v = 0, shift = 0;
    for (;;) {
        v |= (size_t)(p[0] & 127) << shift;
        if (!(p[0] & 128))
            return v;
        shift += 7;
        p--;
    }
}

/* Size of the encoding byte(s) plus payload of the entry at p. */
static size_t enc_size(const unsigned char *p)
{
    unsigned b = p[0];
    if (!(b & 0x80))
        return 1;
    if ((b & 0xC0) == 0x80)
        return 1 + (b & 0x3F);
    if ((b & 0xE0) == 0xC0)
        return 2;
    if ((b & 0xF0) == 0xE0)
        return 2 + ((size_t)(b & 0x0F) << 8 | p[1]);
    switch (b) {
    case 0xF0:
        return 5 + (size_t)get_u32(p + 1);
    case 0xF1:
        return 3;
    case 0xF2:
        return 4;
    case 0xF3:
        return 5;
    default:
        return 9; /* 0xF4 */
    }
}

static size_t entry_size(const unsigned char *p)
{
    size_t l = enc_size(p);
    return l + backlen_size(l);
}

/* How s is encoded: as an integer when it is one, with the encoding's
 * size (without the back-length). */
typedef struct enc {
    int is_int;
    long long v;
    size_t len; /* encoding + payload */
} enc;

static size_t int_enc_size(long long v)
{
    if (v >= 0 && v <= 127)
        return 1;
    if (v >= -4096 && v <= 4095)
        return 2;
    if (v >= -32768 && v <= 32767)
        return 3;
    if (v >= -8388608 && v <= 8388607)
        return 4;
    if (v >= -2147483648LL && v <= 2147483647LL)
        return 5;
    return 9;
}

static void plan(const char *s, size_t len, enc *e)
{
    e->is_int = len <= 20 && util_str2ll(s, len, &e->v);
    if (e->is_int)
        e->len = int_enc_size(e->v);
    else if (len < 64)
        e->len = 1 + len;
    else if (len < 4096)
        e->len = 2 + len;
    else
        e->len = 5 + len;
}

size_t qlp_entry_size(const char *s, size_t len)
{
    enc e;
    plan(s, len, &e);
    return e.len + backlen_size(e.len);
}

/* Writes the entry (encoding, payload, back-length) at dst. */
static void write_entry(unsigned char *dst, const enc *e, const char *s, size_t len)
{
    if (e->is_int) {
        uint64_t u = (uint64_t)e->v;
        switch (e->len) {
        case 1:
            dst[0] = (unsigned char)u;
            break;
        case 2:
            u &= 0x1FFF; /* 13-bit two's complement */
            dst[0] = (unsigned char)(0xC0 | u >> 8);
            dst[1] = (unsigned char)u;
            break;
        default:
            dst[0] = e->len == 3 ? 0xF1 : e->len == 4 ? 0xF2 : e->len == 5 ? 0xF3 : 0xF4;
            for (size_t i = 1; i < e->len; i++)
                dst[i] = (unsigned char)(u >> (8 * (i - 1)));
            break;
        }
    } else if (len < 64) {
        dst[0] = (unsigned char)(0x80 | len);
        memcpy(dst + 1, s, len);
    } else if (len < 4096) {
        dst[0] = (unsigned char)(0xE0 | len >> 8);
        dst[1] = (unsigned char)len;
        memcpy(dst + 2, s, len);
    } else {
        dst[0] = 0xF0;
        put_u32(dst + 1, (uint32_t)len);
        memcpy(dst + 5, s, len);
    }
    put_backlen(dst + e->len, e->len);
}

/* ---- walking ------------------------------------------------------------------ */

size_t qlp_count(const unsigned char *lp)
{
    unsigned n = hdr_count(lp);
    if (n != COUNT_UNKNOWN)
        return n;
    size_t c = 0;
    for (const unsigned char *p = lp + QLP_HDR_SIZE; *p != LP_EOF; p += entry_size(p))
        c++;
    return c;
}

unsigned char *qlp_end(unsigned char *lp)
{
    return lp + qlp_bytes(lp) - 1;
}

unsigned char *qlp_first(unsigned char *lp)
{
    unsigned char *p = lp + QLP_HDR_SIZE;
    return *p == LP_EOF ? NULL : p;
}

unsigned char *qlp_skip(unsigned char *p)
{
    return p + entry_size(p);
}

unsigned char *qlp_next(unsigned char *lp, unsigned char *p)
{
    (void)lp;
    p += entry_size(p);
    return *p == LP_EOF ? NULL : p;
}

unsigned char *qlp_prev(unsigned char *lp, unsigned char *p)
{
    if (p == lp + QLP_HDR_SIZE)
        return NULL;
    size_t l = get_backlen(p - 1);
    return p - backlen_size(l) - l;
}

unsigned char *qlp_last(unsigned char *lp)
{
    return qlp_prev(lp, qlp_end(lp));
}

unsigned char *qlp_seek(unsigned char *lp, long index)
{
    size_t n = qlp_count(lp);
    if (index < 0)
        index += (long)n;
    if (index < 0 || (size_t)index >= n)
        return NULL;
    unsigned char *p;
    if ((size_t)index <= n / 2) {
        p = lp + QLP_HDR_SIZE;
        while (index--)
            p += entry_size(p);
    } else {
        p = qlp_end(lp);
        for (size_t back = n - (size_t)index; back; back--)
            p = qlp_prev(lp, p);
    }
    return p;
}

/* ---- reading ------------------------------------------------------------------ */

static long long sign_extend(uint64_t u, unsigned bits)
{
    uint64_t m = 1ULL << (bits - 1);
    return (long long)((u ^ m) - m);
}

static uint64_t get_le(const unsigned char *p, size_t n)
{
    uint64_t u = 0;
    for (size_t i = 0; i < n; i++)
        u |= (uint64_t)p[i] << (8 * i);
    return u;
}

size_t qlp_get(const unsigned char *p, qlp_val *v)
{
    unsigned b = p[0];
    size_t l;
    v->s = NULL;
    v->len = 0;
    if (!(b & 0x80)) {
        v->ll = b;
        l = 1;
    } else if ((b & 0xC0) == 0x80) {
        v->len = b & 0x3F;
        v->s = (const char *)p + 1;
        l = 1 + v->len;
    } else if ((b & 0xE0) == 0xC0) {
        v->ll = sign_extend((uint64_t)(b & 0x1F) << 8 | p[1], 13);
        l = 2;
    } else if ((b & 0xF0) == 0xE0) {
        v->len = (size_t)(b & 0x0F) << 8 | p[1];
        v->s = (const char *)p + 2;
        l = 2 + v->len;
    } else if (b == 0xF0) {
        v->len = get_u32(p + 1);
        v->s = (const char *)p + 5;
        l = 5 + v->len;
    } else {
        size_t n = b == 0xF1 ? 2 : b == 0xF2 ? 3 : b == 0xF3 ? 4 : 8;
        v->ll = sign_extend(get_le(p + 1, n), (unsigned)(8 * n));
        l = 1 + n;
    }
    return l + backlen_size(l);
}

const char *qlp_str(const qlp_val *v, char *buf, size_t *len)
{
    if (v->s) {
        *len = v->len;
        return v->s;
    }
    *len = (size_t)util_ll2str(buf, v->ll);
    return buf;
}

void qlp_needle_init(qlp_needle *n, const char *s, size_t len)
{
    n->s = s;
    n->len = len;
    n->is_int = len <= 20 && util_str2ll(s, len, &n->ll);
}

int qlp_eq(const qlp_val *v, const qlp_needle *n)
{
    if (!v->s)
        return n->is_int && v->ll == n->ll;
    /* A needle that is an integer would have been stored as one. */
    return !n->is_int && v->len == n->len && memcmp(v->s, n->s, v->len) == 0;
}

/* ---- changing ----------------------------------------------------------------- */

static void set_size_count(unsigned char *lp, size_t bytes, size_t count)
{
    put_u32(lp, (uint32_t)bytes);
    set_hdr_count(lp, count);
}

unsigned char *qlp_insert(unsigned char *lp, unsigned char *at, const char *s, size_t len,
                          unsigned char **newp)
{
    enc e;
    plan(s, len, &e);
    size_t add = e.len + backlen_size(e.len);
    size_t old = qlp_bytes(lp), off = (size_t)(at - lp);
    size_t count = hdr_count(lp) == COUNT_UNKNOWN ? COUNT_UNKNOWN : hdr_count(lp) + 1u;
    assert(old + add <= QLP_MAX_SIZE);
    lp = resize(lp, old, old + add);
    memmove(lp + off + add, lp + off, old - off);
    write_entry(lp + off, &e, s, len);
    set_size_count(lp, old + add, count);
    if (newp)
        *newp = lp + off;
    return lp;
}

unsigned char *qlp_push(unsigned char *lp, int tail, const char *s, size_t len)
{
    return qlp_insert(lp, tail ? qlp_end(lp) : lp + QLP_HDR_SIZE, s, len, NULL);
}

unsigned char *qlp_replace(unsigned char *lp, unsigned char **p, const char *s, size_t len)
{
    enc e;
    plan(s, len, &e);
    size_t nsz = e.len + backlen_size(e.len), osz = entry_size(*p);
    size_t old = qlp_bytes(lp), off = (size_t)(*p - lp), rest = old - off - osz;
    assert(old - osz + nsz <= QLP_MAX_SIZE);
    if (nsz > osz) {
        lp = resize(lp, old, old - osz + nsz);
        memmove(lp + off + nsz, lp + off + osz, rest);
    } else if (nsz < osz) {
        memmove(lp + off + nsz, lp + off + osz, rest);
        lp = resize(lp, old, old - osz + nsz);
    }
    write_entry(lp + off, &e, s, len);
    put_u32(lp, (uint32_t)(old - osz + nsz)); /* the count is unchanged */
    *p = lp + off;
    return lp;
}

unsigned char *qlp_delete(unsigned char *lp, unsigned char **p, size_t n)
{
    unsigned char *q = *p;
    for (size_t i = 0; i < n; i++)
        q += entry_size(q);
    size_t old = qlp_bytes(lp), off = (size_t)(*p - lp), gone = (size_t)(q - *p);
    unsigned c = hdr_count(lp);
    size_t count = c == COUNT_UNKNOWN ? COUNT_UNKNOWN : c - n;
    memmove(lp + off, lp + off + gone, old - off - gone);
    lp = resize(lp, old, old - gone);
    set_size_count(lp, old - gone, count);
    if (count == COUNT_UNKNOWN)
        set_hdr_count(lp, qlp_count(lp)); /* may be known again */
    *p = lp[off] == LP_EOF ? NULL : lp + off;
    return lp;
}

/* ---- checking ----------------------------------------------------------------- */

int qlp_validate(const unsigned char *lp)
{
    size_t bytes = qlp_bytes(lp);
    if (bytes < QLP_HDR_SIZE + 1 || lp[bytes - 1] != LP_EOF)
        return -1;
    const unsigned char *p = lp + QLP_HDR_SIZE, *end = lp + bytes - 1;
    size_t n = 0;
    while (p < end) {
        size_t l = enc_size(p), bl = backlen_size(l);
        if ((size_t)(end - p) < l + bl || get_backlen(p + l + bl - 1) != l)
            return -1;
        p += l + bl;
        n++;
    }
    if (p != end)
        return -1;
    unsigned c = hdr_count(lp);
    if (c != COUNT_UNKNOWN ? c != n : n < COUNT_UNKNOWN)
        return -1;
    return 0;
}
