/* listpack: the compact sequence of strings and integers described in
 * include/listpack.h.
 *
 * Layout:
 *   bytes 0-3  total bytes of the listpack, header included (uint32, LE)
 *   bytes 4-5  entry count (uint16, LE); 65535 means "count by scanning"
 *   entries    back to back, each a header byte, maybe more header bytes,
 *              then the payload:
 *     0xxxxxxx                 integer 0..127                    1 byte
 *     10llllll                 string of 0..63 bytes             1 + len
 *     110lllll llllllll        string of 64..8191 bytes          2 + len
 *     1110iiii iiiiiiii        integer -2048..2047 (12-bit)      2 bytes
 *     0xF0 i16 / 0xF1 i24 / 0xF2 i32 / 0xF3 i64 (LE)             3/4/5/9
 *     0xF4 len32 (LE)          string of any length              5 + len
 * Integers take the smallest form that holds them, and strings the smallest
 * length form; the encoding of a value is therefore unique, which lets
 * lp_find compare encoded bytes' meaning without ambiguity.
 *
 * Invariant: a string entry never holds the canonical form of an integer
 * (those are always stored as integers), so equality of an integer entry
 * and a string argument reduces to comparing numbers, and of a string entry
 * to comparing bytes.
 */
#include <string.h>

#include "listpack.h"
#include "mem.h"
#include "util.h"

#define LP_COUNT_UNKNOWN 65535u

static size_t hdr_bytes(const unsigned char *lp)
{
    return (size_t)lp[0] | (size_t)lp[1] << 8 | (size_t)lp[2] << 16 | (size_t)lp[3] << 24;
}

static void set_hdr_bytes(unsigned char *lp, size_t n)
{
    lp[0] = (unsigned char)n;
    lp[1] = (unsigned char)(n >> 8);
    lp[2] = (unsigned char)(n >> 16);
    lp[3] = (unsigned char)(n >> 24);
}

static unsigned hdr_count(const unsigned char *lp)
{
    return (unsigned)lp[4] | (unsigned)lp[5] << 8;
}

static void set_hdr_count(unsigned char *lp, size_t n)
{
    if (n > LP_COUNT_UNKNOWN)
        n = LP_COUNT_UNKNOWN;
    lp[4] = (unsigned char)n;
    lp[5] = (unsigned char)(n >> 8);
}

/* The allocation size for a listpack of n bytes: slab classes are 8 bytes
 * apart, so within a class the listpack grows and shrinks in place. */
static size_t alloc_size(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* Moves lp to an allocation fit for newbytes; the first min(old, new)
 * bytes are kept. */
static unsigned char *resize(unsigned char *lp, size_t oldbytes, size_t newbytes)
{
    size_t oc = alloc_size(oldbytes), nc = alloc_size(newbytes);
    if (oc == nc)
        return lp;
    /* Above MEM_SMALL_MAX mem_small_alloc is mem_alloc, so realloc applies. */
    if (oc > MEM_SMALL_MAX && nc > MEM_SMALL_MAX)
        return mem_realloc(lp, nc);
    unsigned char *n = mem_small_alloc(nc);
    memcpy(n, lp, oldbytes < newbytes ? oldbytes : newbytes);
    mem_small_free(lp, oc);
    return n;
}

unsigned char *lp_new(void)
{
    unsigned char *lp = mem_small_alloc(alloc_size(LP_HDR_SIZE));
    set_hdr_bytes(lp, LP_HDR_SIZE);
    set_hdr_count(lp, 0);
    return lp;
}

void lp_free(unsigned char *lp)
{
    if (lp)
        mem_small_free(lp, alloc_size(hdr_bytes(lp)));
}

unsigned char *lp_dup(const unsigned char *lp)
{
    size_t n = hdr_bytes(lp);
    unsigned char *d = mem_small_alloc(alloc_size(n));
    memcpy(d, lp, n);
    return d;
}

size_t lp_bytes(const unsigned char *lp)
{
    return hdr_bytes(lp);
}

/* Size of the entry at p, header and payload. */
static size_t entry_size(const unsigned char *p)
{
    unsigned b = p[0];
    if (b < 0x80)
        return 1;
    if (b < 0xC0)
        return 1 + (b & 0x3f);
    if (b < 0xE0)
        return 2 + (((size_t)(b & 0x1f) << 8) | p[1]);
    if (b < 0xF0)
        return 2;
    switch (b) {
    case 0xF0: return 3;
    case 0xF1: return 4;
    case 0xF2: return 5;
    case 0xF3: return 9;
    default:
        return 5 + ((size_t)p[1] | (size_t)p[2] << 8 | (size_t)p[3] << 16 | (size_t)p[4] << 24);
    }
}

size_t lp_len(const unsigned char *lp)
{
    unsigned c = hdr_count(lp);
    if (c != LP_COUNT_UNKNOWN)
        return c;
    size_t n = 0, end = hdr_bytes(lp);
    for (size_t off = LP_HDR_SIZE; off < end; off += entry_size(lp + off))
        n++;
    return n;
}

int lp_safe_to_add(const unsigned char *lp, size_t add)
{
    size_t n = lp ? hdr_bytes(lp) : LP_HDR_SIZE;
    return add < LP_SAFETY_SIZE && n + add + 9 <= LP_SAFETY_SIZE;
}

unsigned char *lp_first(const unsigned char *lp)
{
    return hdr_bytes(lp) > LP_HDR_SIZE ? (unsigned char *)lp + LP_HDR_SIZE : NULL;
}

unsigned char *lp_next(const unsigned char *lp, const unsigned char *p)
{
    const unsigned char *n = p + entry_size(p);
    return n < lp + hdr_bytes(lp) ? (unsigned char *)n : NULL;
}

unsigned char *lp_prev(const unsigned char *lp, const unsigned char *p)
{
    const unsigned char *q = lp + LP_HDR_SIZE, *prev = NULL;
    while (q < p) {
        prev = q;
        q += entry_size(q);
    }
    return (unsigned char *)prev;
}

unsigned char *lp_last(const unsigned char *lp)
{
    return lp_prev(lp, lp + hdr_bytes(lp));
}

unsigned char *lp_seek(const unsigned char *lp, long index)
{
    size_t n = lp_len(lp);
    if (index < 0) {
        if ((size_t)-(index + 1) >= n)
            return NULL;
        index += (long)n;
    } else if ((size_t)index >= n) {
        return NULL;
    }
    const unsigned char *p = lp + LP_HDR_SIZE;
    while (index-- > 0)
        p += entry_size(p);
    return (unsigned char *)p;
}

/* Sign-extends the low `bits` bits of v. */
static long long sext(unsigned long long v, int bits)
{
    unsigned long long m = 1ULL << (bits - 1);
    v &= (bits == 64) ? ~0ULL : ((1ULL << bits) - 1);
    return (long long)((v ^ m) - m);
}

static unsigned long long read_le(const unsigned char *p, int n)
{
    unsigned long long v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

const char *lp_get(const unsigned char *p, size_t *len, long long *ll)
{
    unsigned b = p[0];
    if (b < 0x80) {
        *ll = b;
        return NULL;
    }
    if (b < 0xC0) {
        *len = b & 0x3f;
        return (const char *)p + 1;
    }
    if (b < 0xE0) {
        *len = ((size_t)(b & 0x1f) << 8) | p[1];
        return (const char *)p + 2;
    }
    if (b < 0xF0) {
        *ll = sext(((unsigned long long)(b & 0x0f) << 8) | p[1], 12);
        return NULL;
    }
    switch (b) {
    case 0xF0: *ll = sext(read_le(p + 1, 2), 16); return NULL;
    case 0xF1: *ll = sext(read_le(p + 1, 3), 24); return NULL;
    case 0xF2: *ll = sext(read_le(p + 1, 4), 32); return NULL;
    case 0xF3: *ll = (long long)read_le(p + 1, 8); return NULL;
    default:
        *len = (size_t)read_le(p + 1, 4);
        return (const char *)p + 5;
    }
}

const char *lp_get_str(const unsigned char *p, size_t *len, char *buf)
{
    long long v;
    const char *s = lp_get(p, len, &v);
    if (s)
        return s;
    *len = (size_t)util_ll2str(buf, v);
    return buf;
}

/* Parses s as an integer if it is one in canonical form. Strings longer
 * than 20 bytes never are, which keeps long values off the slow path. */
static int as_int(const char *s, size_t len, long long *v)
{
    if (len == 0 || len > 20)
        return 0;
    /* A quick reject of the common case of text. */
    if (!(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
        return 0;
    return util_str2ll(s, len, v);
}

int lp_eq(const unsigned char *p, const char *s, size_t len)
{
    size_t n;
    long long v, w;
    const char *e = lp_get(p, &n, &v);
    if (e)
        return n == len && memcmp(e, s, len) == 0;
    return as_int(s, len, &w) && v == w;
}

unsigned char *lp_find(const unsigned char *lp, const unsigned char *p, const char *s, size_t len,
                       unsigned skip)
{
    if (!p)
        return NULL;
    long long want;
    int isint = as_int(s, len, &want);
    const unsigned char *end = lp + hdr_bytes(lp);
    while (p < end) {
        unsigned b = p[0];
        size_t n;
        long long v;
        const char *e;
        /* Only entries of the same kind can be equal (see the invariant). */
        if (isint) {
            if ((b < 0x80 || b >= 0xE0) && b != 0xF4) {
                lp_get(p, &n, &v);
                if (v == want)
                    return (unsigned char *)p;
            }
        } else if (b >= 0x80 && (b < 0xE0 || b == 0xF4)) {
            e = lp_get(p, &n, &v);
            if (n == len && memcmp(e, s, len) == 0)
                return (unsigned char *)p;
        }
        p += entry_size(p);
        for (unsigned k = 0; k < skip && p < end; k++)
            p += entry_size(p);
    }
    return NULL;
}

/* Encodes the value s[0..len) as an entry header into hdr (at most 9 bytes)
 * and returns the header size; *payload and *plen get the bytes to copy
 * after it (none for integers). */
static size_t encode(const char *s, size_t len, unsigned char *hdr, const char **payload,
                     size_t *plen)
{
    long long v;
    *payload = NULL;
    *plen = 0;
    if (as_int(s, len, &v)) {
        unsigned long long u = (unsigned long long)v;
        if (v >= 0 && v <= 127) {
            hdr[0] = (unsigned char)v;
            return 1;
        }
        if (v >= -2048 && v <= 2047) {
            hdr[0] = (unsigned char)(0xE0 | ((u >> 8) & 0x0f));
            hdr[1] = (unsigned char)u;
            return 2;
        }
        int nb;
        if (v >= -32768 && v <= 32767) {
            hdr[0] = 0xF0;
            nb = 2;
        } else if (v >= -8388608 && v <= 8388607) {
            hdr[0] = 0xF1;
            nb = 3;
        } else if (v >= -2147483648LL && v <= 2147483647LL) {
            hdr[0] = 0xF2;
            nb = 4;
        } else {
            hdr[0] = 0xF3;
            nb = 8;
        }
        for (int i = 0; i < nb; i++)
            hdr[1 + i] = (unsigned char)(u >> (8 * i));
        return 1 + (size_t)nb;
    }
    *payload = s;
    *plen = len;
    if (len <= 63) {
        hdr[0] = (unsigned char)(0x80 | len);
        return 1;
    }
    if (len <= 8191) {
        hdr[0] = (unsigned char)(0xC0 | (len >> 8));
        hdr[1] = (unsigned char)len;
        return 2;
    }
    hdr[0] = 0xF4;
    for (int i = 0; i < 4; i++)
        hdr[1 + i] = (unsigned char)(len >> (8 * i));
    return 5;
}

/* Replaces `oldsize` bytes at offset off with the entry for s[0..len)
 * (nothing when s is NULL), adjusting the count by dcount. Returns the new
 * listpack; the entry (or what follows) is at the same offset. */
static unsigned char *splice(unsigned char *lp, size_t off, size_t oldsize, const char *s,
                             size_t len, long dcount)
{
    unsigned char hdr[9];
    const char *payload = NULL;
    size_t plen = 0, hlen = 0;
    if (s)
        hlen = encode(s, len, hdr, &payload, &plen);
    size_t newsize = hlen + plen;
    size_t total = hdr_bytes(lp);
    size_t tail = total - off - oldsize;
    size_t ntotal = total - oldsize + newsize;
    size_t count = hdr_count(lp);
    if (newsize > oldsize) {
        lp = resize(lp, total, ntotal);
        memmove(lp + off + newsize, lp + off + oldsize, tail);
    } else if (newsize < oldsize) {
        memmove(lp + off + newsize, lp + off + oldsize, tail);
        lp = resize(lp, total, ntotal);
    }
    memcpy(lp + off, hdr, hlen);
    if (plen)
        memcpy(lp + off + hlen, payload, plen);
    set_hdr_bytes(lp, ntotal);
    if (count == LP_COUNT_UNKNOWN) {
        /* Too many to count in the header: recount by scanning, which also
         * brings the header back into use once deletes go below the limit. */
        set_hdr_count(lp, lp_len(lp));
    } else {
        set_hdr_count(lp, (size_t)((long)count + dcount));
    }
    return lp;
}

unsigned char *lp_append(unsigned char *lp, const char *s, size_t len)
{
    return splice(lp, hdr_bytes(lp), 0, s ? s : "", len, 1);
}

unsigned char *lp_append_ll(unsigned char *lp, long long v)
{
    char buf[LP_INTBUF];
    int n = util_ll2str(buf, v);
    return lp_append(lp, buf, (size_t)n);
}

unsigned char *lp_insert(unsigned char *lp, unsigned char **p, const char *s, size_t len)
{
    size_t off = *p ? (size_t)(*p - lp) : hdr_bytes(lp);
    lp = splice(lp, off, 0, s ? s : "", len, 1);
    *p = lp + off;
    return lp;
}

unsigned char *lp_replace(unsigned char *lp, unsigned char **p, const char *s, size_t len)
{
    size_t off = (size_t)(*p - lp);
    lp = splice(lp, off, entry_size(*p), s ? s : "", len, 0);
    *p = lp + off;
    return lp;
}

unsigned char *lp_delete(unsigned char *lp, unsigned char **p, size_t n)
{
    size_t off = (size_t)(*p - lp), end = hdr_bytes(lp), size = 0, k = 0;
    while (k < n && off + size < end) {
        size += entry_size(lp + off + size);
        k++;
    }
    lp = splice(lp, off, size, NULL, 0, -(long)k);
    *p = off < hdr_bytes(lp) ? lp + off : NULL;
    return lp;
}
