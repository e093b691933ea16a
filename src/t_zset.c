/* t_zset: the sorted set type and its commands (ZADD ... ZSCAN), following
 * Redis 7.0's t_zset.c in semantics, reply shapes and error texts.
 *
 * Two encodings, as OBJECT ENCODING reports them:
 *   "listpack"  a compact sorted array ("zpk", below) in one allocation, for
 *               up to zset-max-listpack-entries members of at most
 *               zset-max-listpack-value bytes. Operations scan it linearly,
 *               which at that size beats pointer chasing and saves memory.
 *   "skiplist"  a skiplist with spans (zskiplist.c) for order and rank, plus
 *               a hash table from member to skiplist node for O(1) scores.
 * A value converts from the compact form when an insert passes either limit
 * and never converts back, except that the results of ZUNIONSTORE,
 * ZINTERSTORE, ZDIFFSTORE and ZRANGESTORE are built in whichever form fits,
 * as Redis 7.0 does.
 *
 * The compact form is our own, not Redis's listpack: scores are kept as
 * numbers (integers and short decimals in a varint, any other as the 8 raw
 * bytes of the double), so comparisons never parse text. Layout:
 *   header   u32 total bytes, u32 element count
 *   entries  score code (varint, see score_code: an integer, a decimal
 *            with up to 7 places, or 1 and the 8 bytes of a double),
 *            member length (varint), member bytes
 * ordered by (score, member) like the skiplist.
 *
 * Every change calls cmd_dirty (the AOF feeds on it); blocking pops feed the
 * AOF the non-blocking form, and commands that create or fill a sorted set
 * signal the key to clients blocked on it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocking.h"
#include "cmdtable.h"
#include "commands.h"
#include "config.h"
#include "db.h"
#include "hashtable.h"
#include "intset.h"
#include "mem.h"
#include "multi.h"
#include "object.h"
#include "reply.h"
#include "server.h"
#include "util.h"
#include "t_sort.h"
#include "zskiplist.h"

/* One element as callers see it: borrowed member bytes and the score. */
typedef struct zent {
    const char *m;
    size_t len;
    double score;
} zent;

/* ======================================================================
 * The compact encoding
 * ====================================================================== */

typedef struct zpk {
    uint32_t bytes;  /* header included */
    uint32_t count;
    unsigned char data[];
} zpk;

#define ZPK_HDR ((size_t)sizeof(zpk))
#define ROUND8(n) (((n) + 7) & ~(size_t)7)

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static unsigned char *varint_put(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

static const unsigned char *varint_get(const unsigned char *p, uint64_t *v)
{
    uint64_t r = 0;
    int shift = 0;
    while (*p & 0x80) {
        r |= (uint64_t)(*p++ & 0x7f) << shift;
        shift += 7;
    }
    r |= (uint64_t)*p++ << shift;
    *v = r;
    return p;
}

/* An integral score below 2^53 in magnitude is exact as an integer. -0
 * becomes 0 here on purpose: Redis's listpack stores it as the integer 0,
 * so a compact sorted set reports 0 where a skiplist reports -0. */
static int score_as_int(double d, int64_t *out)
{
    if (!(d > -9007199254740992.0 && d < 9007199254740992.0))
        return 0;
    int64_t v = (int64_t)d;
    if ((double)v != d)
        return 0;
    *out = v;
    return 1;
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t u)
{
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* Scores with few decimals (1.5, 0.25, 19.99) are common and cost 8 bytes
 * as doubles: they are kept as a scaled integer m and a decimal exponent e
 * (1..7) when m / 10^e, computed the same way on decoding, gives back the
 * very same double. Both operands are exact doubles, so the division is
 * correctly rounded and deterministic. */
static const double pow10_tab[8] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};

static int score_as_decimal(double d, int64_t *m, int *e)
{
    for (int k = 1; k < 8; k++) {
        double scaled = d * pow10_tab[k];
        if (!(scaled > -1125899906842624.0 && scaled < 1125899906842624.0))
            return 0;
        int64_t v = llround(scaled);
        if ((double)v / pow10_tab[k] == d) {
            *m = v;
            *e = k;
            return 1;
        }
    }
    return 0;
}

/* The score code: a varint whose low bits say what it holds:
 *   ...0   an integer, zigzag << 1
 *   ...11  a decimal: zigzag(m) << 5 | e << 2 | 3
 *   1      a raw double follows (8 bytes) */
static uint64_t score_code(double score)
{
    int64_t i;
    int e;
    if (score_as_int(score, &i))
        return zigzag(i) << 1;
    if (score_as_decimal(score, &i, &e))
        return zigzag(i) << 5 | (uint64_t)e << 2 | 3;
    return 1;
}

static size_t entry_size(double score, size_t len)
{
    uint64_t code = score_code(score);
    return (code == 1 ? 9 : varint_len(code)) + varint_len(len) + len;
}

static unsigned char *entry_put(unsigned char *p, double score, const char *m, size_t len)
{
    uint64_t code = score_code(score);
    p = varint_put(p, code);
    if (code == 1) {
        memcpy(p, &score, 8);
        p += 8;
    }
    p = varint_put(p, len);
    memcpy(p, m, len);
    return p + len;
}

/* Decodes the entry at p into e and returns the next entry's position. */
static const unsigned char *entry_get(const unsigned char *p, zent *e)
{
    uint64_t v;
    p = varint_get(p, &v);
    if (!(v & 1)) {
        e->score = (double)unzigzag(v >> 1);
    } else if (v == 1) {
        memcpy(&e->score, p, 8);
        p += 8;
    } else {
        e->score = (double)unzigzag(v >> 5) / pow10_tab[(v >> 2) & 7];
    }
    p = varint_get(p, &v);
    e->len = (size_t)v;
    e->m = (const char *)p;
    return p + v;
}

static inline const unsigned char *zpk_end(const zpk *z)
{
    return (const unsigned char *)z + z->bytes;
}

/* Allocations are whole multiples of 8 bytes from the small-object
 * allocator, so a change that stays within the rounding is done in place. */
static zpk *zpk_alloc(size_t bytes)
{
    zpk *z = mem_small_alloc(ROUND8(bytes));
    z->bytes = (uint32_t)bytes;
    z->count = 0;
    return z;
}

static void zpk_free(zpk *z)
{
    mem_small_free(z, ROUND8((size_t)z->bytes));
}

/* Changes the size to nb bytes, keeping the first min(old, nb) bytes. */
static zpk *zpk_resize(zpk *z, size_t nb)
{
    size_t ob = z->bytes;
    if (ROUND8(ob) == ROUND8(nb)) {
        z->bytes = (uint32_t)nb;
        return z;
    }
    if (ROUND8(ob) > MEM_SMALL_MAX && ROUND8(nb) > MEM_SMALL_MAX) {
        z = mem_realloc(z, ROUND8(nb));
        z->bytes = (uint32_t)nb;
        return z;
    }
    zpk *n = mem_small_alloc(ROUND8(nb));
    memcpy(n, z, ob < nb ? ob : nb);
    mem_small_free(z, ROUND8(ob));
    n->bytes = (uint32_t)nb;
    return n;
}

static zpk *zpk_new(void)
{
    return zpk_alloc(ZPK_HDR);
}

/* Finds member; returns its entry position (and fills e) or NULL. */
static const unsigned char *zpk_find(const zpk *z, const char *m, size_t len, zent *e)
{
    const unsigned char *p = z->data, *end = zpk_end(z);
    while (p < end) {
        const unsigned char *next = entry_get(p, e);
        if (e->len == len && (len == 0 || memcmp(e->m, m, len) == 0))
            return p;
        p = next;
    }
    return NULL;
}

/* Inserts (score, member) at its ordered place; the member must be absent. */
static zpk *zpk_insert(zpk *z, double score, const char *m, size_t len)
{
    const unsigned char *p = z->data, *end = zpk_end(z);
    while (p < end) {
        zent e;
        const unsigned char *next = entry_get(p, &e);
        if (e.score > score || (e.score == score && zsl_member_cmp(e.m, e.len, m, len) > 0))
            break;
        p = next;
    }
    size_t off = (size_t)(p - (const unsigned char *)z);
    size_t need = entry_size(score, len), ob = z->bytes;
    z = zpk_resize(z, ob + need);
    unsigned char *base = (unsigned char *)z;
    memmove(base + off + need, base + off, ob - off);
    entry_put(base + off, score, m, len);
    z->count++;
    return z;
}

/* Removes the bytes [off, off + n) holding `entries` whole entries. */
static zpk *zpk_cut(zpk *z, size_t off, size_t n, uint32_t entries)
{
    unsigned char *base = (unsigned char *)z;
    memmove(base + off, base + off + n, z->bytes - off - n);
    z->count -= entries;
    return zpk_resize(z, z->bytes - n);
}

/* Builds a compact value from n elements already in order. */
static zpk *zpk_from_sorted(const zent *a, size_t n)
{
    size_t bytes = ZPK_HDR;
    for (size_t i = 0; i < n; i++)
        bytes += entry_size(a[i].score, a[i].len);
    zpk *z = zpk_alloc(bytes);
    unsigned char *p = z->data;
    for (size_t i = 0; i < n; i++)
        p = entry_put(p, a[i].score, a[i].m, a[i].len);
    z->count = (uint32_t)n;
    return z;
}

/* ======================================================================
 * The skiplist encoding
 * ====================================================================== */

/* The type operations (free, dup, rewrite) get the value without its
 * encoding, so the two structures are told apart by their first 32 bits: a
 * zpk's byte count, never below ZPK_HDR, or a zbig's tag, always 0. */
typedef struct zbig {
    uint32_t tag;  /* ZBIG_TAG */
    zsl sl;
    ht *dict;      /* member -> zsl_node (the node is the entry) */
} zbig;
#define ZBIG_TAG 0u

static void node_key(const void *entry, const char **key, size_t *len)
{
    const zsl_node *n = entry;
    *key = zsl_member(n);
    *len = n->len;
}

/* The skiplist owns the nodes, so the table frees nothing. */
static const ht_type zbig_dict_type = {.entry_key = node_key, .entry_free = NULL};

static zbig *zbig_new(void)
{
    zbig *b = mem_alloc(sizeof(*b));
    b->tag = ZBIG_TAG;
    zsl_init(&b->sl);
    b->dict = ht_new(&zbig_dict_type);
    return b;
}

static void zbig_free(zbig *b)
{
    ht_free(b->dict);
    zsl_fini(&b->sl);
    mem_free(b);
}

static void zbig_add(zbig *b, double score, const char *m, size_t len)
{
    ht_add(b->dict, zsl_insert(&b->sl, score, m, len));
}

static int zbig_del(zbig *b, const char *m, size_t len)
{
    zsl_node *n = ht_pop(b->dict, m, len);
    if (!n)
        return 0;
    zsl_delete_node(&b->sl, n);
    return 1;
}

static zbig *zbig_from_sorted(const zent *a, size_t n)
{
    zbig *b = zbig_new();
    for (size_t i = 0; i < n; i++)
        zbig_add(b, a[i].score, a[i].m, a[i].len);
    return b;
}

/* ======================================================================
 * Operations on a sorted-set entry, whatever its encoding
 * ====================================================================== */

static int is_big(const obj *o)
{
    return obj_encoding(o) == OBJ_ENC_SKIPLIST;
}

static size_t zs_len(const obj *o)
{
    void *v = obj_value(o);
    return is_big(o) ? ((zbig *)v)->sl.length : ((zpk *)v)->count;
}

static int zs_score(const obj *o, const char *m, size_t len, double *score)
{
    void *v = obj_value(o);
    if (is_big(o)) {
        zsl_node *n = ht_find(((zbig *)v)->dict, m, len);
        if (!n)
            return -1;
        *score = n->score;
        return 0;
    }
    zent e;
    if (!zpk_find(v, m, len, &e))
        return -1;
    *score = e.score;
    return 0;
}

/* Rebuilds a compact value as a skiplist in place. */
static void zs_convert_big(obj *o)
{
    zpk *z = obj_value(o);
    zbig *b = zbig_new();
    const unsigned char *p = z->data, *end = zpk_end(z);
    zent e;
    while (p < end) {
        p = entry_get(p, &e);
        zbig_add(b, e.score, e.m, e.len);
    }
    zpk_free(z);
    obj_set_value(o, b, OBJ_ENC_SKIPLIST);
}

/* Whether a result of n members, the longest maxlen bytes, is stored
 * compact (Redis's zsetConvertToListpackIfNeeded rule). */
static int fits_compact(size_t n, size_t maxlen)
{
    return n <= (size_t)cfg.zset_max_listpack_entries && maxlen <= (size_t)cfg.zset_max_listpack_value;
}

/* A new value holding n sorted elements, in the encoding that fits. */
static void *zs_build(const zent *a, size_t n, int *enc)
{
    size_t maxlen = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i].len > maxlen)
            maxlen = a[i].len;
    if (fits_compact(n, maxlen)) {
        *enc = OBJ_ENC_LISTPACK;
        return zpk_from_sorted(a, n);
    }
    *enc = OBJ_ENC_SKIPLIST;
    return zbig_from_sorted(a, n);
}

enum { ZADD_NX = 1, ZADD_XX = 2, ZADD_GT = 4, ZADD_LT = 8, ZADD_INCR = 16 };
enum { ZOUT_ADDED = 1, ZOUT_UPDATED = 2, ZOUT_NOP = 4 };

/* Redis's zsetAdd: adds or updates member under the NX/XX/GT/LT/INCR rules.
 * Returns 0 when the result would be NaN (nothing changed), else 1 with
 * *out describing what happened and *newscore the member's score. */
static int zs_add(obj *o, double score, const char *m, size_t len, int flags, int *out,
                  double *newscore)
{
    *out = 0;
    if (isnan(score))
        return 0;
    double cur;
    if (zs_score(o, m, len, &cur) == 0) {
        if (flags & ZADD_NX) {
            *out = ZOUT_NOP;
            return 1;
        }
        if (flags & ZADD_INCR) {
            score += cur;
            if (isnan(score))
                return 0;
        }
        if (((flags & ZADD_LT) && score >= cur) || ((flags & ZADD_GT) && score <= cur)) {
            *out = ZOUT_NOP;
            return 1;
        }
        *newscore = score;
        if (score != cur) {
            if (is_big(o)) {
                zbig *b = obj_value(o);
                zsl_update_score(&b->sl, ht_find(b->dict, m, len), score);
            } else {
                zpk *z = obj_value(o);
                zent e = {0};
                const unsigned char *p = zpk_find(z, m, len, &e);
                size_t off = (size_t)(p - (const unsigned char *)z);
                size_t n = (size_t)((const unsigned char *)e.m + e.len - p);
                z = zpk_cut(z, off, n, 1);
                obj_set_value(o, zpk_insert(z, score, m, len), OBJ_ENC_LISTPACK);
            }
            *out = ZOUT_UPDATED;
        }
        return 1;
    }
    if (flags & ZADD_XX) {
        *out = ZOUT_NOP;
        return 1;
    }
    if (!is_big(o)) {
        zpk *z = obj_value(o);
        if (z->count + 1 > (size_t)cfg.zset_max_listpack_entries ||
            len > (size_t)cfg.zset_max_listpack_value)
            zs_convert_big(o);
        else
            obj_set_value(o, zpk_insert(z, score, m, len), OBJ_ENC_LISTPACK);
    }
    if (is_big(o))
        zbig_add(obj_value(o), score, m, len);
    *newscore = score;
    *out = ZOUT_ADDED;
    return 1;
}

static int zs_del(obj *o, const char *m, size_t len)
{
    if (is_big(o))
        return zbig_del(obj_value(o), m, len);
    zpk *z = obj_value(o);
    zent e = {0};
    const unsigned char *p = zpk_find(z, m, len, &e);
    if (!p)
        return 0;
    size_t off = (size_t)(p - (const unsigned char *)z);
    size_t n = (size_t)((const unsigned char *)e.m + e.len - p);
    obj_set_value(o, zpk_cut(z, off, n, 1), OBJ_ENC_LISTPACK);
    return 1;
}

/* 0-based rank of member, or -1. */
static long long zs_rank(const obj *o, const char *m, size_t len, int rev)
{
    size_t n = zs_len(o);
    if (is_big(o)) {
        zbig *b = obj_value(o);
        zsl_node *node = ht_find(b->dict, m, len);
        if (!node)
            return -1;
        size_t r = zsl_rank(&b->sl, node);
        return rev ? (long long)(n - r) : (long long)(r - 1);
    }
    const zpk *z = obj_value(o);
    const unsigned char *p = z->data, *end = zpk_end(z);
    long long i = 0;
    zent e;
    while (p < end) {
        p = entry_get(p, &e);
        if (e.len == len && (len == 0 || memcmp(e.m, m, len) == 0))
            return rev ? (long long)n - 1 - i : i;
        i++;
    }
    return -1;
}


/* ---- type operations ---------------------------------------------------------- */

static int val_is_big(const void *val)
{
    return *(const uint32_t *)val == ZBIG_TAG;
}

static void zset_free(void *val)
{
    if (val_is_big(val))
        zbig_free(val);
    else
        zpk_free(val);
}

static void *zset_dup(const void *val)
{
    if (!val_is_big(val)) {
        const zpk *z = val;
        zpk *n = zpk_alloc(z->bytes);
        memcpy(n, z, z->bytes);
        return n;
    }
    const zbig *b = val;
    zbig *n = zbig_new();
    /* Appending in order makes each insert stop at the tail quickly. */
    for (zsl_node *x = zsl_first(&b->sl); x; x = zsl_next(x))
        zbig_add(n, x->score, zsl_member(x), x->len);
    return n;
}

/* Formats a score so that parsing it back gives the same double: 17
 * significant digits, "inf"/"-inf" for the infinities (strtod reads both). */
static int score_to_str(char *buf, size_t size, double d)
{
    if (isinf(d))
        return snprintf(buf, size, "%s", d > 0 ? "inf" : "-inf");
    return snprintf(buf, size, "%.17g", d);
}

#define REWRITE_BATCH 64

/* Emits ZADD key s1 m1 ... s64 m64 commands that rebuild the value.
 * AOF format checklist: a change here must still load in redis-server 7.0
 * (plain ZADD with decimal scores) and replay to bit-identical scores. */
static void zset_rewrite(const char *key, size_t klen, const void *val, obj_emit_fn emit, void *ctx)
{
    const char *argv[2 + 2 * REWRITE_BATCH];
    size_t lens[2 + 2 * REWRITE_BATCH];
    char sbuf[REWRITE_BATCH][32];
    int n = 0;
    argv[0] = "ZADD";
    lens[0] = 4;
    argv[1] = key;
    lens[1] = klen;
    const zbig *b = val_is_big(val) ? val : NULL;
    const zpk *z = b ? NULL : val;
    const unsigned char *p = z ? z->data : NULL;
    zsl_node *x = b ? zsl_first(&b->sl) : NULL;
    for (;;) {
        zent e;
        if (b) {
            if (!x)
                break;
            e.m = zsl_member(x);
            e.len = x->len;
            e.score = x->score;
            x = zsl_next(x);
        } else {
            if (p >= zpk_end(z))
                break;
            p = entry_get(p, &e);
        }
        int sl = score_to_str(sbuf[n], sizeof(sbuf[n]), e.score);
        argv[2 + 2 * n] = sbuf[n];
        lens[2 + 2 * n] = (size_t)sl;
        argv[3 + 2 * n] = e.m;
        lens[3 + 2 * n] = e.len;
        if (++n == REWRITE_BATCH) {
            emit(ctx, 2 + 2 * n, argv, lens);
            n = 0;
        }
    }
    if (n)
        emit(ctx, 2 + 2 * n, argv, lens);
}

static const obj_type_ops zset_ops = {
    .free = zset_free,
    .dup = zset_dup,
    .rewrite = zset_rewrite,
};

/* ======================================================================
 * Positional access for ranges
 *
 * A view gives both encodings the same shape: elements in order, addressed
 * by 0-based rank. A compact value is decoded once into an array (at most a
 * few hundred entries in practice, on the stack below ZVIEW_STACK); a
 * skiplist is addressed through zsl_at_rank and walked through its links.
 * ====================================================================== */

#define ZVIEW_STACK 128

typedef struct zview {
    int big;
    size_t n;
    zent *ents;  /* compact: every element */
    zsl *sl;     /* skiplist */
    zent stack[ZVIEW_STACK];
} zview;

typedef struct zpos {
    long long idx;  /* compact: index into ents */
    zsl_node *node; /* skiplist: current node, NULL past either end */
} zpos;

static void zview_init(zview *v, const obj *o)
{
    v->n = zs_len(o);
    v->big = is_big(o);
    v->ents = NULL;
    v->sl = NULL;
    if (v->big) {
        v->sl = &((zbig *)obj_value(o))->sl;
        return;
    }
    const zpk *z = obj_value(o);
    v->ents = v->n <= ZVIEW_STACK ? v->stack : mem_alloc(v->n * sizeof(zent));
    const unsigned char *p = z->data;
    for (size_t i = 0; i < v->n; i++)
        p = entry_get(p, &v->ents[i]);
}

static void zview_fini(zview *v)
{
    if (v->ents && v->ents != v->stack)
        mem_free(v->ents);
}

/* Positions p at rank idx; returns 0 when out of range. */
static int zpos_seek(const zview *v, zpos *p, long long idx)
{
    p->idx = idx;
    p->node = NULL;
    if (idx < 0 || (size_t)idx >= v->n)
        return 0;
    if (v->big)
        p->node = zsl_at_rank(v->sl, (size_t)idx + 1);
    return 1;
}

static int zpos_valid(const zview *v, const zpos *p)
{
    return v->big ? p->node != NULL : p->idx >= 0 && (size_t)p->idx < v->n;
}

static void zpos_get(const zview *v, const zpos *p, zent *e)
{
    if (v->big) {
        e->m = zsl_member(p->node);
        e->len = p->node->len;
        e->score = p->node->score;
    } else {
        *e = v->ents[p->idx];
    }
}

static void zpos_step(const zview *v, zpos *p, int rev)
{
    p->idx += rev ? -1 : 1;
    if (v->big)
        p->node = rev ? zsl_prev(p->node) : zsl_next(p->node);
}

/* Positions p at a skiplist node, knowing its rank only if asked. */
static void zpos_node(const zview *v, zpos *p, zsl_node *n, int need_idx)
{
    p->node = n;
    p->idx = n && need_idx ? (long long)zsl_rank(v->sl, n) - 1 : 0;
}

/* First (rev: last) element in the score range, as Redis's
 * zzlFirstInRange / zslFirstInRange. Returns 0 when there is none. */
static int zpos_score_start(const zview *v, zpos *p, const zsl_range *r, int rev, int need_idx)
{
    if (v->big) {
        zsl_node *n = rev ? zsl_last_in_range(v->sl, r) : zsl_first_in_range(v->sl, r);
        zpos_node(v, p, n, need_idx);
        return n != NULL;
    }
    p->node = NULL;
    if (zsl_range_empty(r) || v->n == 0)
        return 0;
    if (!rev) {
        for (size_t i = 0; i < v->n; i++) {
            if (zsl_value_gte_min(v->ents[i].score, r)) {
                p->idx = (long long)i;
                return zsl_value_lte_max(v->ents[i].score, r);
            }
        }
    } else {
        for (size_t i = v->n; i-- > 0;) {
            if (zsl_value_lte_max(v->ents[i].score, r)) {
                p->idx = (long long)i;
                return zsl_value_gte_min(v->ents[i].score, r);
            }
        }
    }
    return 0;
}

/* The same for a lex range. The compact scan mirrors Redis's linear one,
 * which matters only for sets whose scores differ (undefined order). */
static int zpos_lex_start(const zview *v, zpos *p, const zsl_lex_range *r, int rev, int need_idx)
{
    if (v->big) {
        zsl_node *n = rev ? zsl_last_in_lex(v->sl, r) : zsl_first_in_lex(v->sl, r);
        zpos_node(v, p, n, need_idx);
        return n != NULL;
    }
    p->node = NULL;
    if (zsl_lex_range_empty(r) || v->n == 0)
        return 0;
    const zent *first = &v->ents[0], *last = &v->ents[v->n - 1];
    if (!zsl_lex_gte_min(last->m, last->len, r) || !zsl_lex_lte_max(first->m, first->len, r))
        return 0;
    if (!rev) {
        for (size_t i = 0; i < v->n; i++) {
            if (zsl_lex_gte_min(v->ents[i].m, v->ents[i].len, r)) {
                p->idx = (long long)i;
                return zsl_lex_lte_max(v->ents[i].m, v->ents[i].len, r);
            }
        }
    } else {
        for (size_t i = v->n; i-- > 0;) {
            if (zsl_lex_lte_max(v->ents[i].m, v->ents[i].len, r)) {
                p->idx = (long long)i;
                return zsl_lex_gte_min(v->ents[i].m, v->ents[i].len, r);
            }
        }
    }
    return 0;
}

/* ======================================================================
 * Sinks: where range results go (a client reply, or an array to store)
 * ====================================================================== */

typedef struct zsink {
    reply_buf *rb;   /* NULL: collect into arr */
    int withscores;
    int nested;      /* RESP3 with scores: [member, score] pairs */
    size_t count;
    zent *arr;
    size_t cap;
} zsink;

static void sink_emit(zsink *s, const zent *e)
{
    s->count++;
    if (!s->rb) {
        if (s->count > s->cap) {
            s->cap = s->cap ? s->cap * 2 : 16;
            s->arr = mem_realloc(s->arr, s->cap * sizeof(zent));
        }
        s->arr[s->count - 1] = *e;
        return;
    }
    if (s->nested)
        reply_array(s->rb, 2);
    reply_bulk(s->rb, e->m, e->len);
    if (s->withscores)
        reply_double(s->rb, e->score);
}

/* ======================================================================
 * Argument parsing, with Redis's rules
 * ====================================================================== */

/* A NUL-terminated copy of an argument, on the stack when it is short. */
typedef struct cstr {
    char *s;
    char small[128];
} cstr;

static char *cstr_of(cstr *c, const char *p, size_t len)
{
    c->s = len < sizeof(c->small) ? c->small : mem_alloc(len + 1);
    memcpy(c->s, p, len);
    c->s[len] = '\0';
    return c->s;
}

static void cstr_fini(cstr *c)
{
    if (c->s != c->small)
        mem_free(c->s);
}

/* Redis's string2d: the whole argument must be a number, no leading space,
 * no overflow or underflow to zero, not NaN. */
static int parse_double(const char *p, size_t len, double *out)
{
    if (len == 0 || isspace((unsigned char)p[0]))
        return 0;
    cstr c;
    char *s = cstr_of(&c, p, len), *end;
    errno = 0;
    double d = strtod(s, &end);
    int ok = (size_t)(end - s) == len && !isnan(d) &&
             !(errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL || fpclassify(d) == FP_ZERO));
    cstr_fini(&c);
    if (ok)
        *out = d;
    return ok;
}

static int double_or_reply(client *c, int argi, double *out, const char *msg)
{
    if (parse_double(c->argv[argi], c->argvlen[argi], out))
        return 0;
    client_add_error(c, msg ? msg : ERR_NOT_FLOAT);
    return -1;
}

/* One end of a score range, as Redis's zslParseRange reads it: strtod up
 * to the terminating NUL (so "" reads as 0 and leading spaces pass), an
 * optional '(' making the end open. */
static int parse_range_end(const char *p, size_t len, double *v, int *ex)
{
    *ex = 0;
    if (len > 0 && p[0] == '(') {
        *ex = 1;
        p++;
        len--;
    }
    cstr c;
    char *s = cstr_of(&c, p, len), *end;
    *v = strtod(s, &end);
    int ok = *end == '\0' && !isnan(*v);
    cstr_fini(&c);
    return ok;
}

static int range_or_reply(client *c, int mini, int maxi, zsl_range *r)
{
    if (!parse_range_end(c->argv[mini], c->argvlen[mini], &r->min, &r->minex) ||
        !parse_range_end(c->argv[maxi], c->argvlen[maxi], &r->max, &r->maxex)) {
        client_add_error(c, "ERR min or max is not a float");
        return -1;
    }
    return 0;
}

/* One end of a lex range: '-', '+', '[value' or '(value'. */
static int parse_lex_end(const char *p, size_t len, const char **b, size_t *bl, int *kind, int *ex)
{
    if (len == 0)
        return 0;
    *b = NULL;
    *bl = 0;
    switch (p[0]) {
    case '+':
    case '-':
        /* Redis compares the next byte with the terminating NUL. */
        if (len > 1 && p[1] != '\0')
            return 0;
        *kind = p[0] == '+' ? ZSL_LEX_POS_INF : ZSL_LEX_NEG_INF;
        *ex = 1;
        return 1;
    case '(':
    case '[':
        *kind = ZSL_LEX_VALUE;
        *ex = p[0] == '(';
        *b = p + 1;
        *bl = len - 1;
        return 1;
    default:
        return 0;
    }
}

static int lex_or_reply(client *c, int mini, int maxi, zsl_lex_range *r)
{
    if (!parse_lex_end(c->argv[mini], c->argvlen[mini], &r->min, &r->minlen, &r->minkind,
                       &r->minex) ||
        !parse_lex_end(c->argv[maxi], c->argvlen[maxi], &r->max, &r->maxlen, &r->maxkind,
                       &r->maxex)) {
        client_add_error(c, "ERR min or max not valid string range item");
        return -1;
    }
    return 0;
}

/* getRangeLongFromObjectOrReply: an integer within [min, max]. */
static int range_ll_or_reply(client *c, int argi, long long min, long long max, long long *out,
                             const char *msg)
{
    if (!util_str2ll(c->argv[argi], c->argvlen[argi], out)) {
        client_add_error(c, msg ? msg : ERR_NOT_INT);
        return -1;
    }
    if (*out < min || *out > max) {
        if (msg)
            client_add_error(c, msg);
        else
            client_add_errorf(c, "ERR value is out of range, value must between %lld and %lld",
                              min, max);
        return -1;
    }
    return 0;
}

/* Looks key up for reading or writing; replies WRONGTYPE (and returns -1)
 * when it holds another type. *o is NULL for a missing key. */
static int lookup_zset(client *c, int argi, int write, obj **o)
{
    *o = write ? cmd_lookup_write(c, c->argv[argi], c->argvlen[argi])
               : cmd_lookup_read(c, c->argv[argi], c->argvlen[argi]);
    if (*o && obj_type(*o) != OBJ_ZSET) {
        client_add_error(c, ERR_WRONGTYPE);
        return -1;
    }
    return 0;
}

/* Stores a new value under key, replacing whatever was there (and its TTL),
 * and wakes clients blocked on the key. */
static void store_value(client *c, const char *key, size_t klen, void *val, int enc)
{
    obj *o = obj_new_value(key, klen, OBJ_ZSET, enc, val, OBJ_NO_EXPIRE);
    db_set(c->db, o);
    blocking_signal_key(c->db, key, klen);
}

/* Deletes the key when its sorted set became empty. */
static void delete_if_empty(client *c, obj *o, const char *key, size_t klen)
{
    if (zs_len(o) == 0)
        db_delete(c->db, key, klen);
}

/* ======================================================================
 * ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK
 * ====================================================================== */

static void zadd_generic(client *c, int flags)
{
    int scoreidx = 2, ch = 0;
    while (scoreidx < c->argc) {
        if (cmd_arg_is(c, scoreidx, "nx"))
            flags |= ZADD_NX;
        else if (cmd_arg_is(c, scoreidx, "xx"))
            flags |= ZADD_XX;
        else if (cmd_arg_is(c, scoreidx, "ch"))
            ch = 1;
        else if (cmd_arg_is(c, scoreidx, "incr"))
            flags |= ZADD_INCR;
        else if (cmd_arg_is(c, scoreidx, "gt"))
            flags |= ZADD_GT;
        else if (cmd_arg_is(c, scoreidx, "lt"))
            flags |= ZADD_LT;
        else
            break;
        scoreidx++;
    }
    int elements = c->argc - scoreidx;
    int nx = flags & ZADD_NX, xx = flags & ZADD_XX, gt = flags & ZADD_GT, lt = flags & ZADD_LT;
    int incr = flags & ZADD_INCR;
    if (elements % 2 || !elements) {
        client_add_error(c, ERR_SYNTAX);
        return;
    }
    elements /= 2;
    if (nx && xx) {
        client_add_error(c, "ERR XX and NX options at the same time are not compatible");
        return;
    }
    if ((gt && nx) || (lt && nx) || (gt && lt)) {
        client_add_error(c, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if (incr && elements > 1) {
        client_add_error(c, "ERR INCR option supports a single increment-element pair");
        return;
    }
    /* Every score is checked before anything changes: the command applies
     * entirely or not at all. */
    double small[32];
    double *scores = elements <= 32 ? small : mem_alloc(sizeof(double) * (size_t)elements);
    long long added = 0, updated = 0, processed = 0;
    double score = 0;
    const char *key = c->argv[1];
    size_t klen = c->argvlen[1];
    obj *o;
    for (int j = 0; j < elements; j++)
        if (double_or_reply(c, scoreidx + j * 2, &scores[j], NULL) < 0)
            goto cleanup;
    if (lookup_zset(c, 1, 1, &o) < 0)
        goto cleanup;
    if (!o) {
        if (xx)
            goto reply;
        /* Redis 7.0 picks the encoding from the first member alone; later
         * inserts convert as usual. */
        int big = cfg.zset_max_listpack_entries == 0 ||
                  (size_t)cfg.zset_max_listpack_value < c->argvlen[scoreidx + 1];
        o = big ? obj_new_value(key, klen, OBJ_ZSET, OBJ_ENC_SKIPLIST, zbig_new(), OBJ_NO_EXPIRE)
                : obj_new_value(key, klen, OBJ_ZSET, OBJ_ENC_LISTPACK, zpk_new(), OBJ_NO_EXPIRE);
        db_add(c->db, o);
    }
    for (int j = 0; j < elements; j++) {
        int out;
        double newscore = 0;
        int argi = scoreidx + 1 + j * 2;
        if (!zs_add(o, scores[j], c->argv[argi], c->argvlen[argi], flags, &out, &newscore)) {
            client_add_error(c, "ERR resulting score is not a number (NaN)");
            goto cleanup;
        }
        if (out & ZOUT_ADDED)
            added++;
        if (out & ZOUT_UPDATED)
            updated++;
        if (!(out & ZOUT_NOP))
            processed++;
        score = newscore;
    }
    cmd_dirty(c, added + updated);
    if (added)
        blocking_signal_key(c->db, key, klen);
reply:
    if (incr) {
        if (processed)
            reply_double(client_reply_buf(c), score);
        else
            reply_null(client_reply_buf(c));
    } else {
        reply_int(client_reply_buf(c), ch ? added + updated : added);
    }
cleanup:
    if (scores != small)
        mem_free(scores);
}

static void cmd_zadd(client *c)
{
    zadd_generic(c, 0);
}

static void cmd_zincrby(client *c)
{
    zadd_generic(c, ZADD_INCR);
}

static void cmd_zrem(client *c)
{
    obj *o;
    if (lookup_zset(c, 1, 1, &o) < 0)
        return;
    long long deleted = 0;
    if (o) {
        for (int j = 2; j < c->argc; j++) {
            deleted += zs_del(o, c->argv[j], c->argvlen[j]);
            if (zs_len(o) == 0) {
                db_delete(c->db, c->argv[1], c->argvlen[1]);
                break;
            }
        }
    }
    cmd_dirty(c, deleted);
    reply_int(client_reply_buf(c), deleted);
}

static void cmd_zcard(client *c)
{
    obj *o;
    if (lookup_zset(c, 1, 0, &o) < 0)
        return;
    reply_int(client_reply_buf(c), o ? (long long)zs_len(o) : 0);
}

static void cmd_zscore(client *c)
{
    obj *o;
    double s;
    if (lookup_zset(c, 1, 0, &o) < 0)
        return;
    if (o && zs_score(o, c->argv[2], c->argvlen[2], &s) == 0)
        reply_double(client_reply_buf(c), s);
    else
        reply_null(client_reply_buf(c));
}

static void cmd_zmscore(client *c)
{
    obj *o;
    if (lookup_zset(c, 1, 0, &o) < 0)
        return;
    reply_buf *rb = client_reply_buf(c);
    reply_array(rb, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double s;
        if (o && zs_score(o, c->argv[j], c->argvlen[j], &s) == 0)
            reply_double(rb, s);
        else
            reply_null(rb);
    }
}

static void zrank_generic(client *c, int rev)
{
    obj *o;
    if (lookup_zset(c, 1, 0, &o) < 0)
        return;
    long long r = o ? zs_rank(o, c->argv[2], c->argvlen[2], rev) : -1;
    if (r >= 0)
        reply_int(client_reply_buf(c), r);
    else
        reply_null(client_reply_buf(c));
}

static void cmd_zrank(client *c)
{
    zrank_generic(c, 0);
}

static void cmd_zrevrank(client *c)
{
    zrank_generic(c, 1);
}

/* ======================================================================
 * ZCOUNT, ZLEXCOUNT
 * ====================================================================== */

static void cmd_zcount(client *c)
{
    zsl_range r;
    obj *o;
    if (range_or_reply(c, 2, 3, &r) < 0 || lookup_zset(c, 1, 0, &o) < 0)
        return;
    long long count = 0;
    if (o && is_big(o)) {
        zsl *sl = &((zbig *)obj_value(o))->sl;
        zsl_node *first = zsl_first_in_range(sl, &r);
        if (first) {
            zsl_node *last = zsl_last_in_range(sl, &r);
            count = (long long)(zsl_rank(sl, last) - zsl_rank(sl, first)) + 1;
        }
    } else if (o) {
        zview v;
        zpos p;
        zview_init(&v, o);
        if (zpos_score_start(&v, &p, &r, 0, 0)) {
            for (; zpos_valid(&v, &p) && zsl_value_lte_max(v.ents[p.idx].score, &r);
                 zpos_step(&v, &p, 0))
                count++;
        }
        zview_fini(&v);
    }
    reply_int(client_reply_buf(c), count);
}

static void cmd_zlexcount(client *c)
{
    zsl_lex_range r;
    obj *o;
    if (lex_or_reply(c, 2, 3, &r) < 0 || lookup_zset(c, 1, 0, &o) < 0)
        return;
    long long count = 0;
    if (o && is_big(o)) {
        zsl *sl = &((zbig *)obj_value(o))->sl;
        zsl_node *first = zsl_first_in_lex(sl, &r);
        if (first) {
            zsl_node *last = zsl_last_in_lex(sl, &r);
            long long fr = (long long)zsl_rank(sl, first);
            count = last ? (long long)zsl_rank(sl, last) - fr + 1 : 0;
            if (count < 0)
                count = 0;
        }
    } else if (o) {
        zview v;
        zpos p;
        zview_init(&v, o);
        if (zpos_lex_start(&v, &p, &r, 0, 0)) {
            for (; zpos_valid(&v, &p) && zsl_lex_lte_max(v.ents[p.idx].m, v.ents[p.idx].len, &r);
                 zpos_step(&v, &p, 0))
                count++;
        }
        zview_fini(&v);
    }
    reply_int(client_reply_buf(c), count);
}

/* ======================================================================
 * ZRANGE and its family, ZRANGESTORE
 * ====================================================================== */

enum { RANGE_AUTO, RANGE_RANK, RANGE_SCORE, RANGE_LEX };
enum { DIR_AUTO, DIR_FWD, DIR_REV };

static void range_by_rank(const zview *v, long long start, long long end, int rev, zsink *s)
{
    long long llen = (long long)v->n;
    if (start < 0)
        start = llen + start;
    if (end < 0)
        end = llen + end;
    if (start < 0)
        start = 0;
    if (start > end || start >= llen)
        return;
    if (end >= llen)
        end = llen - 1;
    long long n = end - start + 1;
    zpos p;
    zpos_seek(v, &p, rev ? llen - 1 - start : start);
    for (; n > 0; n--) {
        zent e;
        zpos_get(v, &p, &e);
        sink_emit(s, &e);
        zpos_step(v, &p, rev);
    }
}

/* Moves p `offset` elements on (an index jump, O(log n) in a skiplist,
 * where Redis walks). A negative offset skips everything, as in Redis. */
static int skip_offset(const zview *v, zpos *p, long long offset, int rev)
{
    if (offset == 0)
        return 1;
    if (offset < 0)
        return 0;
    if (offset >= (long long)v->n)
        return 0;
    return zpos_seek(v, p, rev ? p->idx - offset : p->idx + offset);
}

static void range_by_score(const zview *v, const zsl_range *r, long long offset, long long limit,
                           int rev, zsink *s)
{
    zpos p;
    if (offset > 0 && offset >= (long long)v->n)
        return;
    if (!zpos_score_start(v, &p, r, rev, offset > 0) || !skip_offset(v, &p, offset, rev))
        return;
    for (; zpos_valid(v, &p) && limit != 0; limit--) {
        zent e;
        zpos_get(v, &p, &e);
        if (rev ? !zsl_value_gte_min(e.score, r) : !zsl_value_lte_max(e.score, r))
            break;
        sink_emit(s, &e);
        zpos_step(v, &p, rev);
    }
}

static void range_by_lex(const zview *v, const zsl_lex_range *r, long long offset, long long limit,
                         int rev, zsink *s)
{
    zpos p;
    if (offset > 0 && offset >= (long long)v->n)
        return;
    if (!zpos_lex_start(v, &p, r, rev, offset > 0) || !skip_offset(v, &p, offset, rev))
        return;
    for (; zpos_valid(v, &p) && limit != 0; limit--) {
        zent e;
        zpos_get(v, &p, &e);
        if (rev ? !zsl_lex_gte_min(e.m, e.len, r) : !zsl_lex_lte_max(e.m, e.len, r))
            break;
        sink_emit(s, &e);
        zpos_step(v, &p, rev);
    }
}

/* Redis's zrangeGenericCommand: `first` is the source key's index (2 for
 * ZRANGESTORE, whose destination is argv[1]). */
static void zrange_generic(client *c, int first, int store, int type, int dir)
{
    int mini = first + 1, maxi = first + 2;
    long long start = 0, end = 0, offset = 0, limit = -1;
    int withscores = 0;
    for (int j = first + 3; j < c->argc; j++) {
        int left = c->argc - j - 1;
        if (!store && cmd_arg_is(c, j, "withscores")) {
            withscores = 1;
        } else if (cmd_arg_is(c, j, "limit") && left >= 2) {
            if (cmd_get_ll_or_reply(c, j + 1, &offset, NULL) < 0 ||
                cmd_get_ll_or_reply(c, j + 2, &limit, NULL) < 0)
                return;
            j += 2;
        } else if (dir == DIR_AUTO && cmd_arg_is(c, j, "rev")) {
            dir = DIR_REV;
        } else if (type == RANGE_AUTO && cmd_arg_is(c, j, "bylex")) {
            type = RANGE_LEX;
        } else if (type == RANGE_AUTO && cmd_arg_is(c, j, "byscore")) {
            type = RANGE_SCORE;
        } else {
            client_add_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (dir == DIR_AUTO)
        dir = DIR_FWD;
    if (type == RANGE_AUTO)
        type = RANGE_RANK;
    if (limit != -1 && type == RANGE_RANK) {
        client_add_error(
            c, "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
        return;
    }
    if (withscores && type == RANGE_LEX) {
        client_add_error(c, "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return;
    }
    int rev = dir == DIR_REV;
    if (rev && type != RANGE_RANK) {
        int t = mini;
        mini = maxi;
        maxi = t;
    }
    zsl_range sr;
    zsl_lex_range lr;
    if (type == RANGE_RANK) {
        if (cmd_get_ll_or_reply(c, mini, &start, NULL) < 0 ||
            cmd_get_ll_or_reply(c, maxi, &end, NULL) < 0)
            return;
    } else if (type == RANGE_SCORE) {
        if (range_or_reply(c, mini, maxi, &sr) < 0)
            return;
    } else if (lex_or_reply(c, mini, maxi, &lr) < 0) {
        return;
    }

    obj *o = cmd_lookup_read(c, c->argv[first], c->argvlen[first]);
    if (o && obj_type(o) != OBJ_ZSET) {
        client_add_error(c, ERR_WRONGTYPE);
        return;
    }
    reply_buf *rb = client_reply_buf(c);
    zsink s = {.withscores = withscores, .nested = withscores && rb->proto == 3};
    s.rb = store ? NULL : rb;
    if (!o && !store) {
        reply_array(rb, 0);
        return;
    }
    size_t off = store ? 0 : reply_defer(rb);
    zview v;
    if (o) {
        zview_init(&v, o);
        if (type == RANGE_RANK)
            range_by_rank(&v, start, end, rev, &s);
        else if (type == RANGE_SCORE)
            range_by_score(&v, &sr, offset, limit, rev, &s);
        else
            range_by_lex(&v, &lr, offset, limit, rev, &s);
    }
    if (!store) {
        reply_defer_set(rb, off, '*', (long long)(s.count * (withscores && rb->proto == 2 ? 2 : 1)));
    } else {
        const char *dst = c->argv[1];
        size_t dlen = c->argvlen[1];
        if (s.count) {
            int enc;
            void *val = zs_build(s.arr, s.count, &enc);
            store_value(c, dst, dlen, val, enc);
            cmd_dirty(c, 1);
            reply_int(rb, (long long)s.count);
        } else {
            reply_int(rb, 0);
            if (db_delete(c->db, dst, dlen))
                cmd_dirty(c, 1);
        }
        mem_free(s.arr);
    }
    if (o)
        zview_fini(&v);
}

static void cmd_zrange(client *c)
{
    zrange_generic(c, 1, 0, RANGE_AUTO, DIR_AUTO);
}

static void cmd_zrangestore(client *c)
{
    zrange_generic(c, 2, 1, RANGE_AUTO, DIR_AUTO);
}

static void cmd_zrevrange(client *c)
{
    zrange_generic(c, 1, 0, RANGE_RANK, DIR_REV);
}

static void cmd_zrangebyscore(client *c)
{
    zrange_generic(c, 1, 0, RANGE_SCORE, DIR_FWD);
}

static void cmd_zrevrangebyscore(client *c)
{
    zrange_generic(c, 1, 0, RANGE_SCORE, DIR_REV);
}

static void cmd_zrangebylex(client *c)
{
    zrange_generic(c, 1, 0, RANGE_LEX, DIR_FWD);
}

static void cmd_zrevrangebylex(client *c)
{
    zrange_generic(c, 1, 0, RANGE_LEX, DIR_REV);
}

/* ======================================================================
 * ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX
 * ====================================================================== */

static void unindex_node(zsl_node *n, void *ctx)
{
    ht_pop(ctx, zsl_member(n), n->len);
}

static void zremrange_generic(client *c, int type)
{
    long long start = 0, end = 0;
    zsl_range sr;
    zsl_lex_range lr;
    if (type == RANGE_RANK) {
        if (cmd_get_ll_or_reply(c, 2, &start, NULL) < 0 ||
            cmd_get_ll_or_reply(c, 3, &end, NULL) < 0)
            return;
    } else if (type == RANGE_SCORE) {
        if (range_or_reply(c, 2, 3, &sr) < 0)
            return;
    } else if (lex_or_reply(c, 2, 3, &lr) < 0) {
        return;
    }
    obj *o;
    if (lookup_zset(c, 1, 1, &o) < 0)
        return;
    reply_buf *rb = client_reply_buf(c);
    if (!o) {
        reply_int(rb, 0);
        return;
    }
    long long llen = (long long)zs_len(o);
    if (type == RANGE_RANK) {
        if (start < 0)
            start = llen + start;
        if (end < 0)
            end = llen + end;
        if (start < 0)
            start = 0;
        if (start > end || start >= llen) {
            reply_int(rb, 0);
            return;
        }
        if (end >= llen)
            end = llen - 1;
    }
    size_t deleted = 0;
    if (is_big(o)) {
        zbig *b = obj_value(o);
        if (type == RANGE_RANK)
            deleted = zsl_delete_range_by_rank(&b->sl, (size_t)start + 1, (size_t)end + 1,
                                               unindex_node, b->dict);
        else if (type == RANGE_SCORE)
            deleted = zsl_delete_range_by_score(&b->sl, &sr, unindex_node, b->dict);
        else
            deleted = zsl_delete_range_by_lex(&b->sl, &lr, unindex_node, b->dict);
    } else {
        /* The matching elements are contiguous: find them, cut once. */
        zview v;
        zpos p;
        zview_init(&v, o);
        long long first = -1, n = 0;
        if (type == RANGE_RANK) {
            first = start;
            n = end - start + 1;
        } else if (type == RANGE_SCORE) {
            if (zpos_score_start(&v, &p, &sr, 0, 0)) {
                first = p.idx;
                for (; zpos_valid(&v, &p) && zsl_value_lte_max(v.ents[p.idx].score, &sr);
                     zpos_step(&v, &p, 0))
                    n++;
            }
        } else if (zpos_lex_start(&v, &p, &lr, 0, 0)) {
            first = p.idx;
            for (; zpos_valid(&v, &p) && zsl_lex_lte_max(v.ents[p.idx].m, v.ents[p.idx].len, &lr);
                 zpos_step(&v, &p, 0))
                n++;
        }
        if (n > 0) {
            zpk *z = obj_value(o);
            const unsigned char *base = (const unsigned char *)z;
            size_t from = first == 0 ? ZPK_HDR
                                     : (size_t)((const unsigned char *)v.ents[first - 1].m +
                                                v.ents[first - 1].len - base);
            const zent *le = &v.ents[first + n - 1];
            size_t to = (size_t)((const unsigned char *)le->m + le->len - base);
            obj_set_value(o, zpk_cut(z, from, to - from, (uint32_t)n), OBJ_ENC_LISTPACK);
            deleted = (size_t)n;
        }
        zview_fini(&v);
    }
    if (deleted)
        delete_if_empty(c, o, c->argv[1], c->argvlen[1]);
    cmd_dirty(c, (long long)deleted);
    reply_int(rb, (long long)deleted);
}

static void cmd_zremrangebyrank(client *c)
{
    zremrange_generic(c, RANGE_RANK);
}

static void cmd_zremrangebyscore(client *c)
{
    zremrange_generic(c, RANGE_SCORE);
}

static void cmd_zremrangebylex(client *c)
{
    zremrange_generic(c, RANGE_LEX);
}

/* ======================================================================
 * ZPOPMIN, ZPOPMAX, BZPOPMIN, BZPOPMAX, ZMPOP, BZMPOP
 * ====================================================================== */

/* Pops up to count elements (count -1: one, Redis's plain form) from the
 * zset o under argv[keyi] and replies in the shape the caller asks:
 * emitkey adds the key (blocking and multi-key forms), nested gives RESP3's
 * [member, score] pairs. Returns the number popped. */
static long long zpop_reply(client *c, obj *o, int keyi, int max, int emitkey, long long count,
                            int nested)
{
    reply_buf *rb = client_reply_buf(c);
    if (count == -1)
        count = 1;
    long long llen = (long long)zs_len(o);
    long long n = count > llen ? llen : count;
    if (!nested && !emitkey) {
        reply_array(rb, n * 2);
    } else if (nested && !emitkey) {
        reply_array(rb, n);
    } else if (!nested && emitkey) {
        reply_array(rb, n * 2 + 1);
        reply_bulk(rb, c->argv[keyi], c->argvlen[keyi]);
    } else {
        reply_array(rb, 2);
        reply_bulk(rb, c->argv[keyi], c->argvlen[keyi]);
        reply_array(rb, n);
    }
    if (is_big(o)) {
        zbig *b = obj_value(o);
        for (long long i = 0; i < n; i++) {
            zsl_node *x = max ? zsl_last(&b->sl) : zsl_first(&b->sl);
            if (nested)
                reply_array(rb, 2);
            reply_bulk(rb, zsl_member(x), x->len);
            reply_double(rb, x->score);
            ht_pop(b->dict, zsl_member(x), x->len);
            zsl_delete_node(&b->sl, x);
        }
    } else {
        /* Reply from the decoded elements, then cut them all at once. */
        zview v;
        zview_init(&v, o);
        for (long long i = 0; i < n; i++) {
            const zent *e = &v.ents[max ? llen - 1 - i : i];
            if (nested)
                reply_array(rb, 2);
            reply_bulk(rb, e->m, e->len);
            reply_double(rb, e->score);
        }
        zpk *z = obj_value(o);
        const unsigned char *base = (const unsigned char *)z;
        size_t from, to;
        if (max) {
            const zent *before = llen - n > 0 ? &v.ents[llen - n - 1] : NULL;
            from = before ? (size_t)((const unsigned char *)before->m + before->len - base) : ZPK_HDR;
            to = z->bytes;
        } else {
            const zent *le = &v.ents[n - 1];
            from = ZPK_HDR;
            to = (size_t)((const unsigned char *)le->m + le->len - base);
        }
        zview_fini(&v);
        obj_set_value(o, zpk_cut(z, from, to - from, (uint32_t)n), OBJ_ENC_LISTPACK);
    }
    cmd_dirty(c, n);
    delete_if_empty(c, o, c->argv[keyi], c->argvlen[keyi]);
    return n;
}

/* Feeds the AOF "ZPOPMIN|ZPOPMAX key [count]". */
static void propagate_pop(client *c, int keyi, int max, long long count)
{
    char name[8], num[24];
    memcpy(name, max ? "ZPOPMAX" : "ZPOPMIN", 8);
    char *argv[3] = {name, c->argv[keyi], num};
    size_t lens[3] = {7, c->argvlen[keyi], 0};
    if (count >= 0)
        lens[2] = (size_t)util_ll2str(num, count);
    cmd_propagate(c, count >= 0 ? 3 : 2, argv, lens);
    multi_touch_key(c->db, c->argv[keyi], c->argvlen[keyi]); /* the one key popped (WATCH) */
}

/* Redis's genericZpopCommand over keys argv[first .. first+nkeys).
 * Returns the index of the key popped from, or -1. */
static int zpop_generic(client *c, int first, int nkeys, int max, int emitkey, long long count,
                         int nested, int nil_when_empty)
{
    obj *o = NULL;
    int keyi = -1;
    for (int i = 0; i < nkeys; i++) {
        if (lookup_zset(c, first + i, 1, &o) < 0)
            return -1;
        if (o) {
            keyi = first + i;
            break;
        }
    }
    reply_buf *rb = client_reply_buf(c);
    if (!o) {
        if (nil_when_empty)
            reply_null_array(rb);
        else
            reply_array(rb, 0);
        return -1;
    }
    if (count == 0) {
        reply_array(rb, 0);
        return -1;
    }
    zpop_reply(c, o, keyi, max, emitkey, count, nested);
    return keyi;
}

static void zpop_minmax(client *c, int max)
{
    if (c->argc > 3) {
        client_add_error(c, ERR_SYNTAX);
        return;
    }
    long long count = -1;
    if (c->argc == 3 &&
        range_ll_or_reply(c, 2, 0, LLONG_MAX, &count, "ERR value is out of range, must be positive") < 0)
        return;
    int nested = client_reply_buf(c)->proto == 3 && count != -1;
    zpop_generic(c, 1, 1, max, 0, count, nested, 0);
}

static void cmd_zpopmin(client *c)
{
    zpop_minmax(c, 0);
}

static void cmd_zpopmax(client *c)
{
    zpop_minmax(c, 1);
}

/* Redis's blockingGenericZpopCommand: serve from the first non-empty key,
 * or block on all of them. The AOF gets the ZPOPMIN/ZPOPMAX that was in
 * effect executed, so that replay never blocks. */
static void bzpop_generic(client *c, int first, int nkeys, int max, int timeout_idx,
                          long long count, int nested)
{
    long long deadline;
    if (blocking_timeout_or_reply(c, timeout_idx, &deadline) < 0)
        return;
    for (int i = 0; i < nkeys; i++) {
        obj *o;
        if (lookup_zset(c, first + i, 1, &o) < 0)
            return;
        if (!o || zs_len(o) == 0)
            continue;
        zpop_reply(c, o, first + i, max, 1, count, nested);
        propagate_pop(c, first + i, max, count == -1 ? -1 : count);
        return;
    }
    /* A client without a connection (AOF replay) or in EXEC cannot wait. */
    if (c->flags & (CLIENT_FAKE | CLIENT_IN_EXEC)) {
        reply_null_array(client_reply_buf(c));
        return;
    }
    int small[16];
    int *idx = nkeys <= 16 ? small : mem_alloc(sizeof(int) * (size_t)nkeys);
    for (int i = 0; i < nkeys; i++)
        idx[i] = first + i;
    blocking_block(c, idx, nkeys, deadline, BLOCK_TIMEOUT_NULL_ARRAY, OBJ_ZSET);
    if (idx != small)
        mem_free(idx);
}

static void cmd_bzpopmin(client *c)
{
    bzpop_generic(c, 1, c->argc - 2, 0, c->argc - 1, -1, 0);
}

static void cmd_bzpopmax(client *c)
{
    bzpop_generic(c, 1, c->argc - 2, 1, c->argc - 1, -1, 0);
}

/* ZMPOP numkeys key... MIN|MAX [COUNT n]; BZMPOP timeout numkeys ... */
static void zmpop_generic(client *c, int numkeys_idx, int blocking)
{
    long long numkeys, count = -1;
    int max;
    if (range_ll_or_reply(c, numkeys_idx, 1, LLONG_MAX, &numkeys,
                          "ERR numkeys should be greater than 0") < 0)
        return;
    /* numkeys may be anything up to LLONG_MAX: compare it with the arguments
     * there are before adding, so that the index cannot overflow. */
    if (numkeys > c->argc - numkeys_idx - 2) {
        client_add_error(c, ERR_SYNTAX);
        return;
    }
    long long where_idx = numkeys_idx + numkeys + 1;
    if (cmd_arg_is(c, (int)where_idx, "min")) {
        max = 0;
    } else if (cmd_arg_is(c, (int)where_idx, "max")) {
        max = 1;
    } else {
        client_add_error(c, ERR_SYNTAX);
        return;
    }
    for (int j = (int)where_idx + 1; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        if (count == -1 && cmd_arg_is(c, j, "count") && more) {
            j++;
            if (range_ll_or_reply(c, j, 1, LLONG_MAX, &count,
                                  "ERR count should be greater than 0") < 0)
                return;
        } else {
            client_add_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (count == -1)
        count = 1;
    if (blocking) {
        bzpop_generic(c, numkeys_idx + 1, (int)numkeys, max, 1, count, 1);
        return;
    }
    int keyi = zpop_generic(c, numkeys_idx + 1, (int)numkeys, max, 1, count, 1, 1);
    if (keyi >= 0)
        propagate_pop(c, keyi, max, count);
}

static void cmd_zmpop(client *c)
{
    zmpop_generic(c, 1, 0);
}

static void cmd_bzmpop(client *c)
{
    zmpop_generic(c, 2, 1);
}

/* ======================================================================
 * ZRANDMEMBER
 * ====================================================================== */

static void reply_member(reply_buf *rb, const zent *e, int withscores)
{
    if (withscores && rb->proto == 3)
        reply_array(rb, 2);
    reply_bulk(rb, e->m, e->len);
    if (withscores)
        reply_double(rb, e->score);
}

/* The element at rank idx of o (view v). */
static void element_at(const zview *v, long long idx, zent *e)
{
    zpos p;
    zpos_seek(v, &p, idx);
    zpos_get(v, &p, e);
}

static void zrandmember_count(client *c, long long l, int withscores)
{
    obj *o;
    if (lookup_zset(c, 1, 0, &o) < 0)
        return;
    reply_buf *rb = client_reply_buf(c);
    if (!o) {
        reply_array(rb, 0);
        return;
    }
    unsigned long long count = l >= 0 ? (unsigned long long)l : (unsigned long long)-l;
    int uniq = l >= 0;
    size_t size = zs_len(o);
    if (count == 0) {
        reply_array(rb, 0);
        return;
    }
    zview v;
    zview_init(&v, o);
    zent e;
    /* Repeats allowed (or a single element): independent draws. */
    if (!uniq || count == 1) {
        size_t mark = rb->len;
        reply_array(rb, (long long)(withscores && rb->proto == 2 ? count * 2 : count));
        for (unsigned long long done = 1; done <= count; done++) {
            element_at(&v, (long long)(util_random() % size), &e);
            reply_member(rb, &e, withscores);
            if (rand_reply_fits_or_reply(c, mark, done, count) < 0)
                break;
        }
        zview_fini(&v);
        return;
    }
    unsigned long long n = count < size ? count : size;
    reply_array(rb, (long long)(withscores && rb->proto == 2 ? n * 2 : n));
    if (count >= size) {
        /* The whole set, as Redis 7.0 returns it: a compact one from the
         * highest score down, a skiplist from the lowest up. */
        zpos p;
        int rev = !v.big;
        zpos_seek(&v, &p, rev ? (long long)size - 1 : 0);
        for (; zpos_valid(&v, &p); zpos_step(&v, &p, rev)) {
            zpos_get(&v, &p, &e);
            reply_member(rb, &e, withscores);
        }
    } else if (count * 3 > size) {
        /* Most of the set: a partial Fisher-Yates shuffle of all ranks. */
        long long *idx = mem_alloc(size * sizeof(long long));
        for (size_t i = 0; i < size; i++)
            idx[i] = (long long)i;
        for (unsigned long long i = 0; i < n; i++) {
            size_t j = i + (size_t)(util_random() % (size - i));
            long long t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
            element_at(&v, idx[i], &e);
            reply_member(rb, &e, withscores);
        }
        mem_free(idx);
    } else {
        /* A small part: draw ranks, skipping repeats (an open-addressing
         * set of rank + 1, at most half full). */
        size_t cap = 16;
        while (cap < n * 2)
            cap <<= 1;
        unsigned long long *seen = mem_calloc(cap, sizeof(unsigned long long));
        unsigned long long got = 0;
        while (got < n) {
            unsigned long long r = util_random() % size;
            size_t h = (size_t)((r + 1) * 0x9E3779B97F4A7C15ULL) & (cap - 1);
            while (seen[h] && seen[h] != r + 1)
                h = (h + 1) & (cap - 1);
            if (seen[h])
                continue;
            seen[h] = r + 1;
            element_at(&v, (long long)r, &e);
            reply_member(rb, &e, withscores);
            got++;
        }
        mem_free(seen);
    }
    zview_fini(&v);
}

static void cmd_zrandmember(client *c)
{
    if (c->argc >= 3) {
        long long l;
        if (range_ll_or_reply(c, 2, -LLONG_MAX, LLONG_MAX, &l, NULL) < 0)
            return;
        if (c->argc > 4 || (c->argc == 4 && !cmd_arg_is(c, 3, "withscores"))) {
            client_add_error(c, ERR_SYNTAX);
            return;
        }
        int withscores = c->argc == 4;
        if (withscores && (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2)) {
            client_add_error(c, "ERR value is out of range");
            return;
        }
        zrandmember_count(c, l, withscores);
        return;
    }
    obj *o;
    if (lookup_zset(c, 1, 0, &o) < 0)
        return;
    if (!o) {
        reply_null(client_reply_buf(c));
        return;
    }
    zview v;
    zent e;
    zview_init(&v, o);
    element_at(&v, (long long)(util_random() % zs_len(o)), &e);
    reply_bulk(client_reply_buf(c), e.m, e.len);
    zview_fini(&v);
}

/* ======================================================================
 * ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD
 * ====================================================================== */

/* A bump allocator for the members a set operation copies: freed at once
 * at the end of the command, no allocation per member. */
typedef struct arena {
    char *chunk;  /* first 8 bytes: the previous chunk */
    size_t used, cap;
} arena;

static void *arena_alloc(arena *a, size_t n)
{
    n = ROUND8(n);
    if (!a->chunk || a->used + n > a->cap) {
        size_t cap = n + 8 > 65536 ? n + 8 : 65536;
        char *ch = mem_alloc(cap);
        memcpy(ch, &a->chunk, sizeof(char *));
        a->chunk = ch;
        a->used = 8;
        a->cap = cap;
    }
    void *p = a->chunk + a->used;
    a->used += n;
    return p;
}

static void arena_free(arena *a)
{
    while (a->chunk) {
        char *prev;
        memcpy(&prev, a->chunk, sizeof(char *));
        mem_free(a->chunk);
        a->chunk = prev;
    }
}

/* An accumulated element: score and a copy of the member. */
typedef struct acc_ent {
    double score;
    uint32_t len;
    char m[];
} acc_ent;

static void acc_key(const void *entry, const char **key, size_t *len)
{
    const acc_ent *e = entry;
    *key = e->m;
    *len = e->len;
}

static const ht_type acc_type = {.entry_key = acc_key, .entry_free = NULL};

static acc_ent *acc_new(arena *a, const char *m, size_t len, double score)
{
    acc_ent *e = arena_alloc(a, sizeof(acc_ent) + len);
    e->score = score;
    e->len = (uint32_t)len;
    memcpy(e->m, m, len);
    return e;
}

/* One input of a set operation. Plain sets count with score 1, as in
 * Redis; their members are loaded into a temporary table first. */
typedef struct zsrc {
    obj *o;         /* NULL: missing key (empty) */
    double weight;
    size_t len;
    int pos;        /* argument order, for a stable sort */
    ht *members;    /* plain set: its members (acc_ent, score 1) */
} zsrc;

typedef int (*elem_fn)(void *ctx, const char *m, size_t len, double score);

/* Calls fn for each element of s until it returns nonzero. */
static void src_foreach(const zsrc *s, elem_fn fn, void *ctx)
{
    if (!s->o)
        return;
    if (s->members) {
        ht_iter it;
        acc_ent *e;
        ht_iter_init(&it, s->members);
        while ((e = ht_iter_next(&it)))
            if (fn(ctx, e->m, e->len, e->score))
                return;
        return;
    }
    if (is_big(s->o)) {
        zbig *b = obj_value(s->o);
        for (zsl_node *x = zsl_first(&b->sl); x; x = zsl_next(x))
            if (fn(ctx, zsl_member(x), x->len, x->score))
                return;
        return;
    }
    const zpk *z = obj_value(s->o);
    const unsigned char *p = z->data, *end = zpk_end(z);
    zent e;
    while (p < end) {
        p = entry_get(p, &e);
        if (fn(ctx, e.m, e.len, e.score))
            return;
    }
}

static int src_find(const zsrc *s, const char *m, size_t len, double *score)
{
    if (!s->o)
        return 0;
    if (s->members) {
        acc_ent *e = ht_find(s->members, m, len);
        if (e)
            *score = e->score;
        return e != NULL;
    }
    return zs_score(s->o, m, len, score) == 0;
}

/* Plain sets are read through their type's AOF rewrite operation, the one
 * read access every collection type exports (object.h): it emits
 * "SADD key member..." batches holding every member once. */
typedef struct set_load {
    ht *t;
    arena *a;
} set_load;

static void set_load_cmd(void *ctx, int argc, const char **argv, const size_t *lens)
{
    set_load *sl = ctx;
    if (argc < 2 || !util_eq_nocase(argv[0], lens[0], "sadd"))
        return;
    for (int i = 2; i < argc; i++)
        if (!ht_find(sl->t, argv[i], lens[i]))
            ht_add(sl->t, acc_new(sl->a, argv[i], lens[i], 1.0));
}

static ht *load_set_members(const obj *o, arena *a)
{
    set_load sl = {ht_new(&acc_type), a};
    const char *key;
    size_t klen;
    obj_key(o, &key, &klen);
    obj_type_ops_of(OBJ_SET)->rewrite(key, klen, obj_value(o), set_load_cmd, &sl);
    return sl.t;
}

enum { AGG_SUM, AGG_MIN, AGG_MAX };
enum { OP_UNION, OP_INTER, OP_DIFF };

static void aggregate(double *target, double val, int agg)
{
    if (agg == AGG_SUM) {
        *target += val;
        /* inf + -inf is NaN; Redis's convention makes it 0. */
        if (isnan(*target))
            *target = 0.0;
    } else if (agg == AGG_MIN) {
        *target = val < *target ? val : *target;
    } else {
        *target = val > *target ? val : *target;
    }
}

static int src_cmp_len(const void *a, const void *b)
{
    const zsrc *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->pos - y->pos;
}

static int zent_cmp(const void *a, const void *b)
{
    const zent *x = a, *y = b;
    if (x->score < y->score)
        return -1;
    if (x->score > y->score)
        return 1;
    return zsl_member_cmp(x->m, x->len, y->m, y->len);
}

/* The state of one set operation while its inputs are walked. */
typedef struct setop {
    zsrc *src;
    int n;
    int agg;
    arena a;
    ht *acc;           /* union: member -> acc_ent */
    zent *res;         /* inter, diff: the result elements */
    size_t nres, capres;
    int card_only;
    unsigned long long card, limit;
    double w;          /* weight of the input being walked */
} setop;

static void res_push(setop *op, const char *m, size_t len, double score)
{
    if (op->nres == op->capres) {
        op->capres = op->capres ? op->capres * 2 : 64;
        op->res = mem_realloc(op->res, op->capres * sizeof(zent));
    }
    acc_ent *e = acc_new(&op->a, m, len, score);
    op->res[op->nres++] = (zent){e->m, len, score};
}

static int union_one(void *ctx, const char *m, size_t len, double score)
{
    setop *op = ctx;
    score *= op->w;
    if (isnan(score))
        score = 0;
    acc_ent *e = ht_find(op->acc, m, len);
    if (!e)
        ht_add(op->acc, acc_new(&op->a, m, len, score));
    else
        aggregate(&e->score, score, op->agg);
    return 0;
}

static int inter_one(void *ctx, const char *m, size_t len, double s0)
{
    setop *op = ctx;
    double score = op->src[0].weight * s0;
    if (isnan(score))
        score = 0;
    int j;
    for (j = 1; j < op->n; j++) {
        double value;
        if (op->src[j].o == op->src[0].o) {
            value = s0 * op->src[j].weight;
        } else if (src_find(&op->src[j], m, len, &value)) {
            value *= op->src[j].weight;
        } else {
            break;
        }
        aggregate(&score, value, op->agg);
    }
    if (j < op->n)
        return 0;
    if (op->card_only) {
        op->card++;
        return op->limit && op->card >= op->limit;
    }
    res_push(op, m, len, score);
    return 0;
}

static int diff_one(void *ctx, const char *m, size_t len, double s0)
{
    setop *op = ctx;
    for (int j = 1; j < op->n; j++) {
        double v;
        if (op->src[j].o == op->src[0].o || src_find(&op->src[j], m, len, &v))
            return 0;
    }
    res_push(op, m, len, s0);
    return 0;
}

static void setop_fini(setop *op)
{
    for (int i = 0; i < op->n; i++)
        ht_free(op->src[i].members);
    ht_free(op->acc);
    mem_free(op->res);
    mem_free(op->src);
    arena_free(&op->a);
}

/* Redis's zunionInterDiffGenericCommand. dst: argv index of the
 * destination (0: reply instead of storing). */
static void setop_generic(client *c, int dst, int numkeys_idx, int type, int card_only)
{
    long long setnum;
    if (cmd_get_ll_or_reply(c, numkeys_idx, &setnum, NULL) < 0)
        return;
    if (setnum < 1) {
        client_add_errorf(c, "ERR at least 1 input key is needed for '%s' command", c->cmd->name);
        return;
    }
    if (setnum > c->argc - (numkeys_idx + 1)) {
        client_add_error(c, ERR_SYNTAX);
        return;
    }
    setop op = {.n = (int)setnum, .agg = AGG_SUM, .card_only = card_only};
    op.src = mem_calloc((size_t)setnum, sizeof(zsrc));
    int j = numkeys_idx + 1;
    for (int i = 0; i < op.n; i++, j++) {
        obj *o = dst ? cmd_lookup_write(c, c->argv[j], c->argvlen[j])
                     : cmd_lookup_read(c, c->argv[j], c->argvlen[j]);
        if (o && obj_type(o) != OBJ_ZSET &&
            (obj_type(o) != OBJ_SET || !obj_type_ops_of(OBJ_SET))) {
            client_add_error(c, ERR_WRONGTYPE);
            goto done;
        }
        op.src[i].o = o;
        op.src[i].weight = 1.0;
        op.src[i].pos = i;
    }
    int withscores = 0;
    while (j < c->argc) {
        int remaining = c->argc - j;
        if (type != OP_DIFF && !card_only && remaining >= op.n + 1 &&
            cmd_arg_is(c, j, "weights")) {
            j++;
            for (int i = 0; i < op.n; i++, j++)
                if (double_or_reply(c, j, &op.src[i].weight, "ERR weight value is not a float") < 0)
                    goto done;
        } else if (type != OP_DIFF && !card_only && remaining >= 2 &&
                   cmd_arg_is(c, j, "aggregate")) {
            j++;
            if (cmd_arg_is(c, j, "sum")) {
                op.agg = AGG_SUM;
            } else if (cmd_arg_is(c, j, "min")) {
                op.agg = AGG_MIN;
            } else if (cmd_arg_is(c, j, "max")) {
                op.agg = AGG_MAX;
            } else {
                client_add_error(c, ERR_SYNTAX);
                goto done;
            }
            j++;
        } else if (!dst && !card_only && cmd_arg_is(c, j, "withscores")) {
            j++;
            withscores = 1;
        } else if (card_only && remaining >= 2 && cmd_arg_is(c, j, "limit")) {
            long long l;
            if (range_ll_or_reply(c, j + 1, 0, LLONG_MAX, &l, "ERR LIMIT can't be negative") < 0)
                goto done;
            op.limit = (unsigned long long)l;
            j += 2;
        } else {
            client_add_error(c, ERR_SYNTAX);
            goto done;
        }
    }
    /* Plain sets are loaded only now that the arguments are known good. */
    for (int i = 0; i < op.n; i++) {
        zsrc *s = &op.src[i];
        if (s->o && obj_type(s->o) == OBJ_SET) {
            s->members = load_set_members(s->o, &op.a);
            s->len = ht_size(s->members);
        } else if (s->o) {
            s->len = zs_len(s->o);
        }
    }
    if (type != OP_DIFF)
        qsort(op.src, (size_t)op.n, sizeof(zsrc), src_cmp_len);

    if (type == OP_INTER) {
        if (op.src[0].len > 0)
            src_foreach(&op.src[0], inter_one, &op);
    } else if (type == OP_DIFF) {
        if (op.src[0].len > 0)
            src_foreach(&op.src[0], diff_one, &op);
    } else {
        op.acc = ht_new(&acc_type);
        for (int i = 0; i < op.n; i++) {
            if (op.src[i].len == 0)
                continue;
            op.w = op.src[i].weight;
            src_foreach(&op.src[i], union_one, &op);
        }
        op.capres = ht_size(op.acc);
        op.res = mem_alloc((op.capres ? op.capres : 1) * sizeof(zent));
        ht_iter it;
        acc_ent *e;
        ht_iter_init(&it, op.acc);
        while ((e = ht_iter_next(&it)))
            op.res[op.nres++] = (zent){e->m, e->len, e->score};
    }
    reply_buf *rb = client_reply_buf(c);
    if (card_only) {
        reply_int(rb, (long long)op.card);
        goto done;
    }
    if (op.nres > 1)
        qsort(op.res, op.nres, sizeof(zent), zent_cmp);
    if (dst) {
        if (op.nres) {
            int enc;
            void *val = zs_build(op.res, op.nres, &enc);
            store_value(c, c->argv[dst], c->argvlen[dst], val, enc);
            cmd_dirty(c, 1);
            reply_int(rb, (long long)op.nres);
        } else {
            reply_int(rb, 0);
            if (db_delete(c->db, c->argv[dst], c->argvlen[dst]))
                cmd_dirty(c, 1);
        }
    } else {
        reply_array(rb, (long long)(withscores && rb->proto == 2 ? op.nres * 2 : op.nres));
        for (size_t i = 0; i < op.nres; i++)
            reply_member(rb, &op.res[i], withscores);
    }
done:
    setop_fini(&op);
}

static void cmd_zunion(client *c)
{
    setop_generic(c, 0, 1, OP_UNION, 0);
}

static void cmd_zinter(client *c)
{
    setop_generic(c, 0, 1, OP_INTER, 0);
}

static void cmd_zdiff(client *c)
{
    setop_generic(c, 0, 1, OP_DIFF, 0);
}

static void cmd_zunionstore(client *c)
{
    setop_generic(c, 1, 2, OP_UNION, 0);
}

static void cmd_zinterstore(client *c)
{
    setop_generic(c, 1, 2, OP_INTER, 0);
}

static void cmd_zdiffstore(client *c)
{
    setop_generic(c, 1, 2, OP_DIFF, 0);
}

static void cmd_zintercard(client *c)
{
    setop_generic(c, 0, 1, OP_INTER, 1);
}

/* ======================================================================
 * ZSCAN
 * ====================================================================== */

typedef struct scan_batch {
    zsl_node **items;
    size_t n, cap;
} scan_batch;

static void scan_collect(void *entry, void *ctx)
{
    scan_batch *b = ctx;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 32;
        b->items = mem_realloc(b->items, b->cap * sizeof(zsl_node *));
    }
    b->items[b->n++] = entry;
}

static void reply_scan_pair(reply_buf *rb, const char *m, size_t len, double score)
{
    char buf[40];
    reply_bulk(rb, m, len);
    reply_bulk(rb, buf, (size_t)score_to_str(buf, sizeof(buf), score));
}

static void cmd_zscan(client *c)
{
    unsigned long long cursor;
    if (scan_cursor_or_reply(c, 2, &cursor) < 0)
        return;
    obj *o;
    if (lookup_zset(c, 1, 0, &o) < 0)
        return;
    reply_buf *rb = client_reply_buf(c);
    if (!o) {
        reply_array(rb, 2);
        reply_bulk(rb, "0", 1);
        reply_array(rb, 0);
        return;
    }
    scan_opts so;
    if (scan_opts_or_reply(c, 3, 0, &so) < 0)
        return;
    long long count = so.count;
    const char *pat = so.pat;
    size_t plen = so.plen;
    reply_array(rb, 2);
    if (!is_big(o)) {
        /* A compact value is returned whole, with cursor 0, as Redis does. */
        reply_bulk(rb, "0", 1);
        size_t off = reply_defer(rb);
        const zpk *z = obj_value(o);
        const unsigned char *p = z->data, *end = zpk_end(z);
        long long n = 0;
        zent e;
        while (p < end) {
            p = entry_get(p, &e);
            if (pat && !util_glob_match(pat, plen, e.m, e.len, 0))
                continue;
            reply_scan_pair(rb, e.m, e.len, e.score);
            n += 2;
        }
        reply_defer_set(rb, off, '*', n);
        return;
    }
    zbig *b = obj_value(o);
    scan_batch batch = {0};
    long long iterations = count * 10;
    do {
        cursor = ht_scan(b->dict, cursor, scan_collect, &batch);
    } while (cursor && iterations-- > 0 && (long long)batch.n < count);
    char cur[24];
    int cl = snprintf(cur, sizeof(cur), "%llu", cursor);
    reply_bulk(rb, cur, (size_t)cl);
    size_t off = reply_defer(rb);
    long long n = 0;
    for (size_t i = 0; i < batch.n; i++) {
        zsl_node *x = batch.items[i];
        if (pat && !util_glob_match(pat, plen, zsl_member(x), x->len, 0))
            continue;
        reply_scan_pair(rb, zsl_member(x), x->len, x->score);
        n += 2;
    }
    reply_defer_set(rb, off, '*', n);
    mem_free(batch.items);
}

/* ======================================================================
 * SORT support, key positions, the command table
 * ====================================================================== */

/* SORT's view of a sorted set: its members in ZRANGE order. */
static void zset_sort_walk(const obj *o, sort_elem_fn fn, void *ctx)
{
    if (is_big(o)) {
        zbig *b = obj_value(o);
        for (zsl_node *x = zsl_first(&b->sl); x; x = zsl_next(x))
            fn(ctx, zsl_member(x), x->len);
        return;
    }
    const zpk *z = obj_value(o);
    const unsigned char *p = z->data, *end = zpk_end(z);
    zent e;
    while (p < end) {
        p = entry_get(p, &e);
        fn(ctx, e.m, e.len);
    }
}

/* Keys of "numkeys key..." commands: numkeys at argv[ni], keys after it,
 * and a destination at argv[dst] first when dst > 0. Like Redis, an
 * invalid numkeys yields no keys. */
static int numkeys_getkeys(char **argv, size_t *argvlen, int argc, int *pos, int max, int dst,
                           int ni)
{
    long long n;
    if (argc <= ni || !util_str2ll(argv[ni], argvlen[ni], &n) || n < 1 || n > argc - ni - 1)
        return -1;
    int k = 0;
    if (dst && k < max)
        pos[k++] = dst;
    for (long long i = 0; i < n && k < max; i++)
        pos[k++] = ni + 1 + (int)i;
    return k;
}

static int keys_numkeys1(char **argv, size_t *argvlen, int argc, int *pos, int max)
{
    return numkeys_getkeys(argv, argvlen, argc, pos, max, 0, 1);
}

static int keys_store(char **argv, size_t *argvlen, int argc, int *pos, int max)
{
    return numkeys_getkeys(argv, argvlen, argc, pos, max, 1, 2);
}

static int keys_bzmpop(char **argv, size_t *argvlen, int argc, int *pos, int max)
{
    return numkeys_getkeys(argv, argvlen, argc, pos, max, 0, 2);
}

#define SS "sorted-set"
#define BL CMD_BLOCKING

/* clang-format off */
static cmd_def zset_commands[] = {
    C("zadd", cmd_zadd, -4, W | M | F, 1, 1, 1, "write sortedset fast", SS, "1.2.0", "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.", "O(log(N)) for each item added, where N is the number of elements in the sorted set."),
    C("zincrby", cmd_zincrby, 4, W | M | F, 1, 1, 1, "write sortedset fast", SS, "1.2.0", "Increments the score of a member in a sorted set.", "O(log(N)) where N is the number of elements in the sorted set."),
    C("zrem", cmd_zrem, -3, W | F, 1, 1, 1, "write sortedset fast", SS, "1.2.0", "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed."),
    C("zcard", cmd_zcard, 2, R | F, 1, 1, 1, "read sortedset fast", SS, "1.2.0", "Returns the number of members in a sorted set.", "O(1)"),
    C("zscore", cmd_zscore, 3, R | F, 1, 1, 1, "read sortedset fast", SS, "1.2.0", "Returns the score of a member in a sorted set.", "O(1)"),
    C("zmscore", cmd_zmscore, -3, R | F, 1, 1, 1, "read sortedset fast", SS, "6.2.0", "Returns the score of one or more members in a sorted set.", "O(N) where N is the number of members being requested."),
    C("zrank", cmd_zrank, 3, R | F, 1, 1, 1, "read sortedset fast", SS, "2.0.0", "Returns the index of a member in a sorted set ordered by ascending scores.", "O(log(N))"),
    C("zrevrank", cmd_zrevrank, 3, R | F, 1, 1, 1, "read sortedset fast", SS, "2.0.0", "Returns the index of a member in a sorted set ordered by descending scores.", "O(log(N))"),
    C("zcount", cmd_zcount, 4, R | F, 1, 1, 1, "read sortedset fast", SS, "2.0.0", "Returns the count of members in a sorted set that have scores within a range.", "O(log(N)) with N being the number of elements in the sorted set."),
    C("zlexcount", cmd_zlexcount, 4, R | F, 1, 1, 1, "read sortedset fast", SS, "2.8.9", "Returns the number of members in a sorted set within a lexicographical range.", "O(log(N)) with N being the number of elements in the sorted set."),
    C("zrange", cmd_zrange, -4, R, 1, 1, 1, "read sortedset slow", SS, "1.2.0", "Returns members in a sorted set within a range of indexes.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned."),
    C("zrangestore", cmd_zrangestore, -5, W | M | CMD_WRITES_FIRST_KEY, 1, 2, 1, "write sortedset slow", SS, "6.2.0", "Stores a range of members from sorted set in a key.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key."),
    C("zrevrange", cmd_zrevrange, -4, R, 1, 1, 1, "read sortedset slow", SS, "1.2.0", "Returns members in a sorted set within a range of indexes in reverse order.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned."),
    C("zrangebyscore", cmd_zrangebyscore, -4, R, 1, 1, 1, "read sortedset slow", SS, "1.0.5", "Returns members in a sorted set within a range of scores.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned."),
    C("zrevrangebyscore", cmd_zrevrangebyscore, -4, R, 1, 1, 1, "read sortedset slow", SS, "2.2.0", "Returns members in a sorted set within a range of scores in reverse order.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned."),
    C("zrangebylex", cmd_zrangebylex, -4, R, 1, 1, 1, "read sortedset slow", SS, "2.8.9", "Returns members in a sorted set within a lexicographical range.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned."),
    C("zrevrangebylex", cmd_zrevrangebylex, -4, R, 1, 1, 1, "read sortedset slow", SS, "2.8.9", "Returns members in a sorted set within a lexicographical range in reverse order.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned."),
    C("zremrangebyrank", cmd_zremrangebyrank, 4, W, 1, 1, 1, "write sortedset slow", SS, "2.0.0", "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation."),
    C("zremrangebyscore", cmd_zremrangebyscore, 4, W, 1, 1, 1, "write sortedset slow", SS, "1.2.0", "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation."),
    C("zremrangebylex", cmd_zremrangebylex, 4, W, 1, 1, 1, "write sortedset slow", SS, "2.8.9", "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation."),
    C("zpopmin", cmd_zpopmin, -2, W | F, 1, 1, 1, "write sortedset fast", SS, "5.0.0", "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped."),
    C("zpopmax", cmd_zpopmax, -2, W | F, 1, 1, 1, "write sortedset fast", SS, "5.0.0", "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped."),
    C("bzpopmin", cmd_bzpopmin, -3, W | NS | BL | F | CMD_TOUCHES_OWN_KEYS, 1, -2, 1, "write sortedset fast blocking", SS, "5.0.0", "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", "O(log(N)) with N being the number of elements in the sorted set."),
    C("bzpopmax", cmd_bzpopmax, -3, W | NS | BL | F | CMD_TOUCHES_OWN_KEYS, 1, -2, 1, "write sortedset fast blocking", SS, "5.0.0", "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.", "O(log(N)) with N being the number of elements in the sorted set."),
    CK("zmpop", cmd_zmpop, -4, W | CMD_TOUCHES_OWN_KEYS, keys_numkeys1, "write sortedset slow", SS, "7.0.0", "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped."),
    CK("bzmpop", cmd_bzmpop, -5, W | BL | CMD_TOUCHES_OWN_KEYS, keys_bzmpop, "write sortedset slow blocking", SS, "7.0.0", "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped."),
    C("zrandmember", cmd_zrandmember, -2, R, 1, 1, 1, "read sortedset slow", SS, "6.2.0", "Returns one or more random members from a sorted set.", "O(N) where N is the number of members returned"),
    CK("zunion", cmd_zunion, -3, R, keys_numkeys1, "read sortedset slow", SS, "6.2.0", "Returns the union of multiple sorted sets.", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set."),
    CK("zinter", cmd_zinter, -3, R, keys_numkeys1, "read sortedset slow", SS, "6.2.0", "Returns the intersect of multiple sorted sets.", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set."),
    CK("zdiff", cmd_zdiff, -3, R, keys_numkeys1, "read sortedset slow", SS, "6.2.0", "Returns the difference between multiple sorted sets.", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set."),
    CKF("zunionstore", cmd_zunionstore, -4, W | M | CMD_WRITES_FIRST_KEY, 1, 1, 1, keys_store, "write sortedset slow", SS, "2.0.0", "Stores the union of multiple sorted sets in a key.", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set."),
    CKF("zinterstore", cmd_zinterstore, -4, W | M | CMD_WRITES_FIRST_KEY, 1, 1, 1, keys_store, "write sortedset slow", SS, "2.0.0", "Stores the intersect of multiple sorted sets in a key.", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set."),
    CKF("zdiffstore", cmd_zdiffstore, -4, W | M | CMD_WRITES_FIRST_KEY, 1, 1, 1, keys_store, "write sortedset slow", SS, "6.2.0", "Stores the difference of multiple sorted sets in a key.", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set."),
    CK("zintercard", cmd_zintercard, -3, R, keys_numkeys1, "read sortedset slow", SS, "7.0.0", "Returns the number of members of the intersect of multiple sorted sets.", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets."),
    C("zscan", cmd_zscan, -3, R, 1, 1, 1, "read sortedset slow", SS, "2.8.0", "Iterates over members and scores of a sorted set.", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection."),
    END,
};
/* clang-format on */

__attribute__((constructor)) static void register_zset(void)
{
    obj_register_type(OBJ_ZSET, &zset_ops);
    cmd_register_table(zset_commands);
    sort_register_walker(OBJ_ZSET, zset_sort_walk);
}
