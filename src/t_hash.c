/* t_hash: the hash type and its commands (HSET ... HSCAN), with Redis 7.0's
 * semantics, reply shapes and error texts.
 *
 * Encodings:
 *   listpack   fields and values alternate in one listpack (listpack.h):
 *              field1 value1 field2 value2 ... Lookups scan the fields, which
 *              is fast for the small sizes this encoding is limited to.
 *   hashtable  an ht of `hfield` entries, each one allocation holding the
 *              field and value bytes back to back.
 * A hash starts as a listpack and converts, once and for good, when it gets
 * more than hash-max-listpack-entries fields or a field or value longer than
 * hash-max-listpack-value bytes, as Redis does (including the HINCRBYFLOAT
 * case where the new value itself is too long). Redis never converts back,
 * and neither do we, so OBJECT ENCODING reports the same as Redis.
 *
 * The value pointer of a hashtable-encoded hash carries a tag in its low bit
 * (see tag_ht): the type ops (free, dup, rewrite) receive only the pointer,
 * and the tag is how they tell the two encodings apart without a wrapper
 * allocation per hash. Handlers use obj_encoding() and strip the tag.
 *
 * An empty hash is never left in the keyspace: the command that removes the
 * last field deletes the key.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdtable.h"
#include "commands.h"
#include "config.h"
#include "db.h"
#include "hashtable.h"
#include "lazyfree.h"
#include "listpack.h"
#include "mem.h"
#include "server.h"
#include "t_hash.h"
#include "util.h"

/* Fields per command in the AOF rewrite, as Redis's AOF_REWRITE_ITEMS_PER_CMD. */
#define REWRITE_BATCH 64

/* ---- hashtable entries ------------------------------------------------------ */

typedef struct hfield {
    uint32_t flen, vlen;
    char data[]; /* field bytes, then value bytes */
} hfield;

static size_t hf_size(size_t flen, size_t vlen)
{
    return sizeof(hfield) + flen + vlen;
}

static hfield *hf_new(const char *f, size_t flen, const char *v, size_t vlen)
{
    hfield *e = mem_small_alloc(hf_size(flen, vlen));
    e->flen = (uint32_t)flen;
    e->vlen = (uint32_t)vlen;
    memcpy(e->data, f, flen);
    if (vlen)
        memcpy(e->data + flen, v, vlen);
    return e;
}

static void hf_key(const void *entry, const char **key, size_t *len)
{
    const hfield *e = entry;
    *key = e->data;
    *len = e->flen;
}

static void hf_free(void *entry)
{
    hfield *e = entry;
    mem_small_free(e, hf_size(e->flen, e->vlen));
}

static const ht_type hf_type = {hf_key, hf_free};

/* ---- the value pointer -------------------------------------------------------- */

static void *tag_ht(ht *t)
{
    return (void *)((uintptr_t)t | 1);
}

static int is_ht(const void *v)
{
    return ((uintptr_t)v & 1) != 0;
}

static ht *untag_ht(const void *v)
{
    return (ht *)((uintptr_t)v & ~(uintptr_t)1);
}

static ht *hash_ht(const obj *o)
{
    return untag_ht(obj_value(o));
}

static unsigned char *hash_lp(const obj *o)
{
    return obj_value(o);
}

static int enc_is_lp(const obj *o)
{
    return obj_encoding(o) == OBJ_ENC_LISTPACK;
}

static size_t hash_len(const obj *o)
{
    return enc_is_lp(o) ? lp_len(hash_lp(o)) / 2 : ht_size(hash_ht(o));
}

/* ---- conversion ---------------------------------------------------------------- */

static void convert_to_ht(obj *o)
{
    unsigned char *lp = hash_lp(o);
    ht *t = ht_new(&hf_type);
    char fb[LP_INTBUF], vb[LP_INTBUF];
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
        size_t fl, vl;
        const char *f = lp_get_str(p, &fl, fb);
        const char *v = lp_get_str(lp_next(lp, p), &vl, vb);
        ht_add(t, hf_new(f, fl, v, vl));
    }
    lp_free(lp);
    obj_set_value(o, tag_ht(t), OBJ_ENC_HASHTABLE);
}

/* Converts before a write whose arguments argv[first..last] include a field
 * or value too long for a listpack, or would make it unsafely large: Redis's
 * hashTypeTryConversion, which looks at every argument, present or not. */
static void try_conversion(obj *o, client *c, int first, int last)
{
    if (!enc_is_lp(o))
        return;
    size_t sum = 0;
    for (int i = first; i <= last; i++) {
        if (c->argvlen[i] > (size_t)cfg.hash_max_listpack_value) {
            convert_to_ht(o);
            return;
        }
        sum += c->argvlen[i];
    }
    if (!lp_safe_to_add(hash_lp(o), sum))
        convert_to_ht(o);
}

/* ---- field access ---------------------------------------------------------------- */

/* The value position of field in a listpack hash, or NULL. */
static unsigned char *lp_field_value(const unsigned char *lp, const char *f, size_t flen)
{
    unsigned char *p = lp_find(lp, lp_first(lp), f, flen, 1);
    return p ? lp_next(lp, p) : NULL;
}

int hash_get_field(const obj *o, const char *field, size_t flen, const char **val, size_t *vlen,
                   char *buf)
{
    if (enc_is_lp(o)) {
        unsigned char *p = lp_field_value(hash_lp(o), field, flen);
        if (!p)
            return 0;
        *val = lp_get_str(p, vlen, buf);
        return 1;
    }
    hfield *e = ht_find(hash_ht(o), field, flen);
    if (!e)
        return 0;
    *val = e->data + e->flen;
    *vlen = e->vlen;
    return 1;
}

/* Sets field to value. Returns 1 when the field is new, 0 when it was
 * updated. Converts to a hashtable when the listpack would outgrow the
 * thresholds. */
static int hash_set(obj *o, const char *f, size_t flen, const char *v, size_t vlen)
{
    if (enc_is_lp(o) && (flen > (size_t)cfg.hash_max_listpack_value ||
                         vlen > (size_t)cfg.hash_max_listpack_value))
        convert_to_ht(o);
    if (enc_is_lp(o)) {
        unsigned char *lp = hash_lp(o);
        unsigned char *p = lp_field_value(lp, f, flen);
        if (p) {
            lp = lp_replace(lp, &p, v, vlen);
            obj_set_value(o, lp, OBJ_ENC_LISTPACK);
            return 0;
        }
        lp = lp_append(lp, f, flen);
        lp = lp_append(lp, v, vlen);
        obj_set_value(o, lp, OBJ_ENC_LISTPACK);
        if (lp_len(lp) / 2 > (size_t)cfg.hash_max_listpack_entries)
            convert_to_ht(o);
        return 1;
    }
    ht *t = hash_ht(o);
    hfield *old = ht_replace(t, hf_new(f, flen, v, vlen));
    if (old) {
        hf_free(old);
        return 0;
    }
    return 1;
}

/* Removes field; returns 1 if it was there. The caller deletes the key when
 * the hash becomes empty. */
static int hash_del(obj *o, const char *f, size_t flen)
{
    if (enc_is_lp(o)) {
        unsigned char *lp = hash_lp(o);
        unsigned char *p = lp_find(lp, lp_first(lp), f, flen, 1);
        if (!p)
            return 0;
        lp = lp_delete(lp, &p, 2);
        obj_set_value(o, lp, OBJ_ENC_LISTPACK);
        return 1;
    }
    return ht_delete(hash_ht(o), f, flen);
}

/* ---- iteration ---------------------------------------------------------------------- */

/* Walks a hash of either encoding. No changes to the hash meanwhile. */
typedef struct hiter {
    const unsigned char *lp;
    unsigned char *p; /* listpack: the current field */
    ht_iter it;
    hfield *e;        /* hashtable: the current entry */
    int started;
} hiter;

static void hiter_init(hiter *i, const obj *o)
{
    memset(i, 0, sizeof(*i));
    if (enc_is_lp(o))
        i->lp = hash_lp(o);
    else
        ht_iter_init(&i->it, hash_ht(o));
}

static int hiter_next(hiter *i)
{
    if (i->lp) {
        if (!i->started) {
            i->started = 1;
            i->p = lp_first(i->lp);
        } else if (i->p) {
            i->p = lp_next(i->lp, lp_next(i->lp, i->p));
        }
        return i->p != NULL;
    }
    i->e = ht_iter_next(&i->it);
    return i->e != NULL;
}

/* Replies with the entry at p as a bulk string (integers formatted). */
static void reply_lp_entry(reply_buf *rb, const unsigned char *p)
{
    size_t n;
    long long v;
    const char *s = lp_get(p, &n, &v);
    if (s)
        reply_bulk(rb, s, n);
    else
        reply_bulk_ll(rb, v);
}

static void hiter_reply_field(const hiter *i, reply_buf *rb)
{
    if (i->lp)
        reply_lp_entry(rb, i->p);
    else
        reply_bulk(rb, i->e->data, i->e->flen);
}

static void hiter_reply_value(const hiter *i, reply_buf *rb)
{
    if (i->lp)
        reply_lp_entry(rb, lp_next(i->lp, i->p));
    else
        reply_bulk(rb, i->e->data + i->e->flen, i->e->vlen);
}

static void hiter_field(const hiter *i, const char **s, size_t *n, char *buf)
{
    if (i->lp) {
        *s = lp_get_str(i->p, n, buf);
    } else {
        *s = i->e->data;
        *n = i->e->flen;
    }
}

/* ---- type ops ------------------------------------------------------------------------- */

static void hash_free(void *val)
{
    if (is_ht(val))
        ht_free(untag_ht(val));
    else
        lp_free(val);
}

/* UNLINK: a field table is freed in slices, a listpack at once. */
static void hash_free_lazy(void *val)
{
    if (is_ht(val))
        lazyfree_ht(untag_ht(val));
    else
        lp_free(val);
}

static void *hash_dup(const void *val)
{
    if (!is_ht(val))
        return lp_dup(val);
    ht *src = untag_ht(val), *t = ht_new(&hf_type);
    ht_iter it;
    ht_iter_init(&it, src);
    hfield *e;
    while ((e = ht_iter_next(&it)))
        ht_add(t, hf_new(e->data, e->flen, e->data + e->flen, e->vlen));
    return tag_ht(t);
}

/* Emits HSET key f1 v1 ... f64 v64 commands. */
static void hash_rewrite(const char *key, size_t klen, const void *val, obj_emit_fn emit, void *ctx)
{
    const char *argv[2 + 2 * REWRITE_BATCH];
    size_t lens[2 + 2 * REWRITE_BATCH];
    char bufs[2 * REWRITE_BATCH][LP_INTBUF];
    argv[0] = "HSET";
    lens[0] = 4;
    argv[1] = key;
    lens[1] = klen;
    int n = 2;
    if (!is_ht(val)) {
        const unsigned char *lp = val;
        for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p)) {
            argv[n] = lp_get_str(p, &lens[n], bufs[n - 2]);
            if (++n == 2 + 2 * REWRITE_BATCH) {
                emit(ctx, n, argv, lens);
                n = 2;
            }
        }
    } else {
        ht_iter it;
        ht_iter_init(&it, untag_ht(val));
        hfield *e;
        while ((e = ht_iter_next(&it))) {
            argv[n] = e->data;
            lens[n++] = e->flen;
            argv[n] = e->data + e->flen;
            lens[n++] = e->vlen;
            if (n == 2 + 2 * REWRITE_BATCH) {
                emit(ctx, n, argv, lens);
                n = 2;
            }
        }
    }
    if (n > 2)
        emit(ctx, n, argv, lens);
}

static const obj_type_ops hash_ops = {hash_free, hash_dup, hash_rewrite, hash_free_lazy};

/* ---- lookups ------------------------------------------------------------------------------ */

/* The hash at argv[1] for reading: NULL when missing (nothing replied) or
 * on WRONGTYPE (*err set, error replied). */
static obj *lookup_read(client *c, int *err)
{
    *err = 0;
    obj *o = cmd_lookup_read(c, c->argv[1], c->argvlen[1]);
    if (o && obj_type(o) != OBJ_HASH) {
        client_add_error(c, ERR_WRONGTYPE);
        *err = 1;
        return NULL;
    }
    return o;
}

/* The hash at argv[1] for writing, created empty when missing (the caller
 * adds to it before returning). NULL after replying WRONGTYPE. */
static obj *lookup_write_or_create(client *c)
{
    obj *o = cmd_lookup_write(c, c->argv[1], c->argvlen[1]);
    if (o) {
        if (obj_type(o) != OBJ_HASH) {
            client_add_error(c, ERR_WRONGTYPE);
            return NULL;
        }
        return o;
    }
    o = obj_new_value(c->argv[1], c->argvlen[1], OBJ_HASH, OBJ_ENC_LISTPACK, lp_new(),
                      OBJ_NO_EXPIRE);
    db_add(c->db, o);
    return o;
}

/* Deletes the key when its hash became empty. */
static void delete_if_empty(client *c, obj *o)
{
    if (hash_len(o) == 0)
        db_delete(c->db, c->argv[1], c->argvlen[1]);
}

/* ---- commands ------------------------------------------------------------------------------ */

static void hset_generic(client *c, int is_hmset)
{
    if (c->argc % 2 == 1) {
        client_add_errorf(c, "ERR wrong number of arguments for '%s' command", c->cmd->name);
        return;
    }
    obj *o = lookup_write_or_create(c);
    if (!o)
        return;
    try_conversion(o, c, 2, c->argc - 1);
    long long created = 0;
    for (int j = 2; j < c->argc; j += 2)
        created += hash_set(o, c->argv[j], c->argvlen[j], c->argv[j + 1], c->argvlen[j + 1]);
    cmd_dirty(c, (c->argc - 2) / 2);
    if (is_hmset)
        reply_ok(client_reply_buf(c));
    else
        reply_int(client_reply_buf(c), created);
}

static void cmd_hset(client *c)
{
    hset_generic(c, 0);
}

static void cmd_hmset(client *c)
{
    hset_generic(c, 1);
}

static void cmd_hsetnx(client *c)
{
    obj *o = lookup_write_or_create(c);
    if (!o)
        return;
    char buf[LP_INTBUF];
    const char *v;
    size_t vl;
    if (hash_get_field(o, c->argv[2], c->argvlen[2], &v, &vl, buf)) {
        reply_int(client_reply_buf(c), 0);
        return;
    }
    try_conversion(o, c, 2, 3);
    hash_set(o, c->argv[2], c->argvlen[2], c->argv[3], c->argvlen[3]);
    cmd_dirty(c, 1);
    reply_int(client_reply_buf(c), 1);
}

static void cmd_hget(client *c)
{
    int err;
    obj *o = lookup_read(c, &err);
    reply_buf *rb = client_reply_buf(c);
    if (err)
        return;
    if (o && enc_is_lp(o)) {
        unsigned char *p = lp_field_value(hash_lp(o), c->argv[2], c->argvlen[2]);
        if (p) {
            reply_lp_entry(rb, p);
            return;
        }
    } else if (o) {
        hfield *e = ht_find(hash_ht(o), c->argv[2], c->argvlen[2]);
        if (e) {
            reply_bulk(rb, e->data + e->flen, e->vlen);
            return;
        }
    }
    reply_null(rb);
}

static void cmd_hmget(client *c)
{
    int err;
    obj *o = lookup_read(c, &err);
    if (err)
        return;
    reply_buf *rb = client_reply_buf(c);
    reply_array(rb, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        if (o && enc_is_lp(o)) {
            unsigned char *p = lp_field_value(hash_lp(o), c->argv[j], c->argvlen[j]);
            if (p) {
                reply_lp_entry(rb, p);
                continue;
            }
        } else if (o) {
            hfield *e = ht_find(hash_ht(o), c->argv[j], c->argvlen[j]);
            if (e) {
                reply_bulk(rb, e->data + e->flen, e->vlen);
                continue;
            }
        }
        reply_null(rb);
    }
}

static void cmd_hdel(client *c)
{
    obj *o = cmd_lookup_write(c, c->argv[1], c->argvlen[1]);
    reply_buf *rb = client_reply_buf(c);
    if (!o) {
        reply_int(rb, 0);
        return;
    }
    if (obj_type(o) != OBJ_HASH) {
        client_add_error(c, ERR_WRONGTYPE);
        return;
    }
    long long deleted = 0;
    for (int j = 2; j < c->argc; j++) {
        deleted += hash_del(o, c->argv[j], c->argvlen[j]);
        if (hash_len(o) == 0)
            break;
    }
    if (deleted) {
        delete_if_empty(c, o);
        cmd_dirty(c, deleted);
    }
    reply_int(rb, deleted);
}

static void cmd_hlen(client *c)
{
    int err;
    obj *o = lookup_read(c, &err);
    if (!err)
        reply_int(client_reply_buf(c), o ? (long long)hash_len(o) : 0);
}

static void cmd_hexists(client *c)
{
    int err;
    obj *o = lookup_read(c, &err);
    if (err)
        return;
    char buf[LP_INTBUF];
    const char *v;
    size_t vl;
    int found = o && hash_get_field(o, c->argv[2], c->argvlen[2], &v, &vl, buf);
    reply_int(client_reply_buf(c), found);
}

static void cmd_hstrlen(client *c)
{
    int err;
    obj *o = lookup_read(c, &err);
    if (err)
        return;
    char buf[LP_INTBUF];
    const char *v;
    size_t vl = 0;
    if (!o || !hash_get_field(o, c->argv[2], c->argvlen[2], &v, &vl, buf))
        vl = 0;
    reply_int(client_reply_buf(c), (long long)vl);
}

enum { GETALL_KEYS = 1, GETALL_VALS = 2 };

static void getall_generic(client *c, int what)
{
    int err;
    obj *o = lookup_read(c, &err);
    if (err)
        return;
    reply_buf *rb = client_reply_buf(c);
    long long n = o ? (long long)hash_len(o) : 0;
    if (what == (GETALL_KEYS | GETALL_VALS))
        reply_map(rb, n);
    else
        reply_array(rb, n);
    if (!o)
        return;
    hiter it;
    hiter_init(&it, o);
    while (hiter_next(&it)) {
        if (what & GETALL_KEYS)
            hiter_reply_field(&it, rb);
        if (what & GETALL_VALS)
            hiter_reply_value(&it, rb);
    }
}

static void cmd_hgetall(client *c)
{
    getall_generic(c, GETALL_KEYS | GETALL_VALS);
}

static void cmd_hkeys(client *c)
{
    getall_generic(c, GETALL_KEYS);
}

static void cmd_hvals(client *c)
{
    getall_generic(c, GETALL_VALS);
}

static void cmd_hincrby(client *c)
{
    long long incr, value = 0;
    if (cmd_get_ll_or_reply(c, 3, &incr, NULL) < 0)
        return;
    obj *o = lookup_write_or_create(c);
    if (!o)
        return;
    char buf[LP_INTBUF];
    const char *v;
    size_t vl;
    if (hash_get_field(o, c->argv[2], c->argvlen[2], &v, &vl, buf)) {
        if (!util_str2ll(v, vl, &value)) {
            client_add_error(c, "ERR hash value is not an integer");
            return;
        }
    }
    if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
        (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
        client_add_error(c, ERR_OVERFLOW);
        return;
    }
    value += incr;
    char out[LP_INTBUF];
    int n = util_ll2str(out, value);
    hash_set(o, c->argv[2], c->argvlen[2], out, (size_t)n);
    cmd_dirty(c, 1);
    reply_int(client_reply_buf(c), value);
}

static void cmd_hincrbyfloat(client *c)
{
    long double incr, value = 0;
    if (!util_str2ld(c->argv[3], c->argvlen[3], &incr)) {
        client_add_error(c, ERR_NOT_FLOAT);
        return;
    }
    if (isnan(incr) || isinf(incr)) {
        client_add_error(c, "ERR value is NaN or Infinity");
        return;
    }
    obj *o = lookup_write_or_create(c);
    if (!o)
        return;
    char buf[LP_INTBUF];
    const char *v;
    size_t vl;
    if (hash_get_field(o, c->argv[2], c->argvlen[2], &v, &vl, buf)) {
        if (!util_str2ld(v, vl, &value)) {
            client_add_error(c, "ERR hash value is not a float");
            return;
        }
    }
    value += incr;
    if (isnan(value) || isinf(value)) {
        client_add_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }
    /* Redis formats into a 5k buffer; a finite long double always fits. */
    static char out[5120];
    int n = util_ld2str(out, sizeof(out), value);
    hash_set(o, c->argv[2], c->argvlen[2], out, (size_t)n);
    cmd_dirty(c, 1);
    reply_bulk(client_reply_buf(c), out, (size_t)n);
    /* Replay must not depend on float formatting: feed the result. */
    char hset[] = "HSET";
    char *argv[4] = {hset, c->argv[1], c->argv[2], out};
    size_t lens[4] = {4, c->argvlen[1], c->argvlen[2], (size_t)n};
    cmd_propagate(c, 4, argv, lens);
}

/* ---- HRANDFIELD ------------------------------------------------------------------------------- */

/* Replies with one field (and value) of a random pick. */
static void reply_pair(reply_buf *rb, const hiter *it, int withvalues)
{
    if (withvalues && rb->proto > 2)
        reply_array(rb, 2);
    hiter_reply_field(it, rb);
    if (withvalues)
        hiter_reply_value(it, rb);
}

/* Positions a hiter on a given listpack pair or hashtable entry. */
static void hiter_at_lp(hiter *it, const unsigned char *lp, unsigned char *p)
{
    it->lp = lp;
    it->p = p;
}

static void hiter_at_ht(hiter *it, hfield *e)
{
    it->lp = NULL;
    it->e = e;
}

/* The field positions of a listpack hash, in order (caller frees). */
static unsigned char **lp_field_positions(const unsigned char *lp, size_t n)
{
    unsigned char **pos = mem_alloc(n * sizeof(*pos));
    size_t i = 0;
    for (unsigned char *p = lp_first(lp); p && i < n; p = lp_next(lp, lp_next(lp, p)))
        pos[i++] = p;
    return pos;
}

static void hrandfield_count(client *c, long long l, int withvalues)
{
    int err;
    obj *o = lookup_read(c, &err);
    if (err)
        return;
    reply_buf *rb = client_reply_buf(c);
    if (!o || l == 0) {
        reply_array(rb, 0);
        return;
    }
    size_t size = hash_len(o);
    int uniq = l > 0;
    unsigned long long count = uniq ? (unsigned long long)l : (unsigned long long)-l;
    hiter it;
    memset(&it, 0, sizeof(it));
    unsigned char **pos = NULL;
    /* Case 1 below picks by position in a listpack: count 1 takes that
     * path even when it is the whole hash. */
    if (enc_is_lp(o) && (!uniq || count == 1 || count < size))
        pos = lp_field_positions(hash_lp(o), size);

    /* Case 1: repetitions allowed: independent picks. */
    if (!uniq || count == 1) {
        size_t mark = rb->len;
        reply_array(rb, (long long)(withvalues && rb->proto == 2 ? count * 2 : count));
        for (unsigned long long done = 1; done <= count; done++) {
            if (pos)
                hiter_at_lp(&it, hash_lp(o), pos[util_random() % size]);
            else
                hiter_at_ht(&it, ht_random(hash_ht(o), util_random()));
            reply_pair(rb, &it, withvalues);
            if (rand_reply_fits_or_reply(c, mark, done, count) < 0)
                break;
        }
        mem_free(pos);
        return;
    }
    /* Case 2: the whole hash, in its own order. */
    if (count >= size) {
        reply_array(rb, (long long)(withvalues && rb->proto == 2 ? size * 2 : size));
        hiter_init(&it, o);
        while (hiter_next(&it))
            reply_pair(rb, &it, withvalues);
        return;
    }
    reply_array(rb, (long long)(withvalues && rb->proto == 2 ? count * 2 : count));
    /* Case 3: a listpack, or a count near the size: selection sampling
     * (Knuth's algorithm S) picks each element with the probability that
     * leaves exactly count, uniformly, in one pass. */
    if (pos || count * 3 > size) {
        unsigned long long need = count, left = size;
        if (pos) {
            for (size_t i = 0; i < size && need; i++, left--) {
                if (util_random() % left < need) {
                    hiter_at_lp(&it, hash_lp(o), pos[i]);
                    reply_pair(rb, &it, withvalues);
                    need--;
                }
            }
            mem_free(pos);
            return;
        }
        ht_iter hi;
        ht_iter_init(&hi, hash_ht(o));
        hfield *e;
        while (need && (e = ht_iter_next(&hi))) {
            if (util_random() % left-- < need) {
                hiter_at_ht(&it, e);
                reply_pair(rb, &it, withvalues);
                need--;
            }
        }
        return;
    }
    /* Case 4: few out of many: random picks, skipping repeats, remembered
     * in a temporary table that borrows the entries (it frees none). */
    static const ht_type borrow_type = {hf_key, NULL};
    ht *seen = ht_new(&borrow_type);
    ht *t = hash_ht(o);
    while (ht_size(seen) < count) {
        hfield *e = ht_random(t, util_random());
        if (ht_find(seen, e->data, e->flen))
            continue;
        ht_add(seen, e);
        hiter_at_ht(&it, e);
        reply_pair(rb, &it, withvalues);
    }
    ht_free(seen);
}

static void cmd_hrandfield(client *c)
{
    if (c->argc >= 3) {
        long long l;
        if (cmd_get_ll_or_reply(c, 2, &l, NULL) < 0)
            return;
        if (l == LLONG_MIN) {
            client_add_error(c, "ERR value is out of range, value must between "
                                "-9223372036854775807 and 9223372036854775807");
            return;
        }
        int withvalues = 0;
        if (c->argc > 4 || (c->argc == 4 && !cmd_arg_is(c, 3, "withvalues"))) {
            client_add_error(c, ERR_SYNTAX);
            return;
        }
        if (c->argc == 4) {
            withvalues = 1;
            if (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2) {
                client_add_error(c, "ERR value is out of range");
                return;
            }
        }
        hrandfield_count(c, l, withvalues);
        return;
    }
    int err;
    obj *o = lookup_read(c, &err);
    if (err)
        return;
    reply_buf *rb = client_reply_buf(c);
    if (!o) {
        reply_null(rb);
        return;
    }
    if (enc_is_lp(o)) {
        unsigned char *lp = hash_lp(o);
        reply_lp_entry(rb, lp_seek(lp, (long)(util_random() % hash_len(o)) * 2));
    } else {
        hfield *e = ht_random(hash_ht(o), util_random());
        reply_bulk(rb, e->data, e->flen);
    }
}

/* ---- HSCAN ------------------------------------------------------------------------------------------ */


typedef struct scan_batch {
    hfield **items;
    size_t n, cap;
} scan_batch;

static void scan_collect(void *entry, void *ctx)
{
    scan_batch *b = ctx;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->items = mem_realloc(b->items, b->cap * sizeof(*b->items));
    }
    b->items[b->n++] = entry;
}

static void cmd_hscan(client *c)
{
    unsigned long long cursor;
    if (scan_cursor_or_reply(c, 2, &cursor) < 0)
        return;
    int err;
    obj *o = lookup_read(c, &err);
    if (err)
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
    if (enc_is_lp(o)) {
        /* A listpack is small: all of it in one reply, cursor 0, as Redis. */
        reply_bulk(rb, "0", 1);
        size_t off = reply_defer(rb);
        long long n = 0;
        hiter it;
        hiter_init(&it, o);
        char buf[LP_INTBUF];
        while (hiter_next(&it)) {
            const char *f;
            size_t fl;
            hiter_field(&it, &f, &fl, buf);
            if (pat && !util_glob_match(pat, plen, f, fl, 0))
                continue;
            reply_bulk(rb, f, fl);
            hiter_reply_value(&it, rb);
            n += 2;
        }
        reply_defer_set(rb, off, '*', n);
        return;
    }
    scan_batch b = {0};
    long long iterations = count * 10;
    ht *t = hash_ht(o);
    do {
        cursor = ht_scan(t, cursor, scan_collect, &b);
    } while (cursor && iterations-- > 0 && (long long)b.n < count);
    char cur[24];
    int cl = snprintf(cur, sizeof(cur), "%llu", cursor);
    reply_bulk(rb, cur, (size_t)cl);
    size_t off = reply_defer(rb);
    long long n = 0;
    for (size_t i = 0; i < b.n; i++) {
        hfield *e = b.items[i];
        if (pat && !util_glob_match(pat, plen, e->data, e->flen, 0))
            continue;
        reply_bulk(rb, e->data, e->flen);
        reply_bulk(rb, e->data + e->flen, e->vlen);
        n += 2;
    }
    reply_defer_set(rb, off, '*', n);
    mem_free(b.items);
}

/* ---- registration ---------------------------------------------------------------------------------- */

static cmd_def hash_commands[] = {
    C("hset", cmd_hset, -4, W | M | F, 1, 1, 1, "write hash fast", "hash", "2.0.0", "Creates or modifies the value of a field in a hash.", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs."),
    C("hsetnx", cmd_hsetnx, 4, W | M | F, 1, 1, 1, "write hash fast", "hash", "2.0.0", "Sets the value of a field in a hash only when the field doesn't exist.", "O(1)"),
    C("hget", cmd_hget, 3, R | F, 1, 1, 1, "read hash fast", "hash", "2.0.0", "Returns the value of a field in a hash.", "O(1)"),
    C("hmset", cmd_hmset, -4, W | M | F, 1, 1, 1, "write hash fast", "hash", "2.0.0", "Sets the values of multiple fields.", "O(N) where N is the number of fields being set."),
    C("hmget", cmd_hmget, -3, R | F, 1, 1, 1, "read hash fast", "hash", "2.0.0", "Returns the values of all fields in a hash.", "O(N) where N is the number of fields being requested."),
    C("hgetall", cmd_hgetall, 2, R, 1, 1, 1, "read hash slow", "hash", "2.0.0", "Returns all fields and values in a hash.", "O(N) where N is the size of the hash."),
    C("hdel", cmd_hdel, -3, W | F, 1, 1, 1, "write hash fast", "hash", "2.0.0", "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", "O(N) where N is the number of fields to be removed."),
    C("hlen", cmd_hlen, 2, R | F, 1, 1, 1, "read hash fast", "hash", "2.0.0", "Returns the number of fields in a hash.", "O(1)"),
    C("hexists", cmd_hexists, 3, R | F, 1, 1, 1, "read hash fast", "hash", "2.0.0", "Determines whether a field exists in a hash.", "O(1)"),
    C("hkeys", cmd_hkeys, 2, R, 1, 1, 1, "read hash slow", "hash", "2.0.0", "Returns all fields in a hash.", "O(N) where N is the size of the hash."),
    C("hvals", cmd_hvals, 2, R, 1, 1, 1, "read hash slow", "hash", "2.0.0", "Returns all values in a hash.", "O(N) where N is the size of the hash."),
    C("hincrby", cmd_hincrby, 4, W | M | F, 1, 1, 1, "write hash fast", "hash", "2.0.0", "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", "O(1)"),
    C("hincrbyfloat", cmd_hincrbyfloat, 4, W | M | F, 1, 1, 1, "write hash fast", "hash", "2.6.0", "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", "O(1)"),
    C("hstrlen", cmd_hstrlen, 3, R | F, 1, 1, 1, "read hash fast", "hash", "3.2.0", "Returns the length of the value of a field.", "O(1)"),
    C("hrandfield", cmd_hrandfield, -2, R, 1, 1, 1, "read hash slow", "hash", "6.2.0", "Returns one or more random fields from a hash.", "O(N) where N is the number of fields returned"),
    C("hscan", cmd_hscan, -3, R, 1, 1, 1, "read hash slow", "hash", "2.8.0", "Iterates over fields and values of a hash.", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection."),
    END,
};

__attribute__((constructor)) static void register_hash(void)
{
    obj_register_type(OBJ_HASH, &hash_ops);
    cmd_register_table(hash_commands);
}
