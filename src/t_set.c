/* t_set: the set type and its commands (SADD ... SSCAN), with Redis 7.0's
 * semantics and reply bytes, and Redis 7.2's three encodings:
 *
 *   intset     every member is an integer (the canonical decimal form that
 *              util_str2ll accepts) and there are at most
 *              set-max-intset-entries of them: a sorted array (intset.c).
 *   listpack   small sets (at most set-max-listpack-entries members of at
 *              most set-max-listpack-value bytes): a compact array private
 *              to this file, one allocation of length-prefixed members in
 *              insertion order (a linear scan of at most a few KB is faster
 *              than hashing at that size, and costs no pointer per member).
 *   hashtable  everything bigger: a hashtable.h table whose entries are
 *              single allocations holding a varint length and the bytes.
 *
 * Conversions follow Redis 7.2's rules (setTypeCreate, setTypeMaybeConvert,
 * setTypeAddAux) and only ever go towards the larger structure, except that
 * SPOP with a large count rebuilds the remaining few members into a new set.
 *
 * A value's first 32 bits say which structure it is: an intset starts with
 * its width (2, 4 or 8), the other two with a tag outside that range. The
 * type ops (free, dup, rewrite) receive only the value, so the value has to
 * describe itself.
 *
 * Randomness (SPOP, SRANDMEMBER) comes from util_random(). SPOP is written
 * to the AOF as what it did: SREM key member... (batched), or DEL key when
 * it emptied the set.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdtable.h"
#include "commands.h"
#include "config.h"
#include "db.h"
#include "hashtable.h"
#include "intset.h"
#include "lazyfree.h"
#include "mem.h"
#include "object.h"
#include "reply.h"
#include "t_sort.h"
#include "util.h"

/* ---- the compact array ("listpack" encoding) ------------------------------ */

#define SET_TAG_ARRAY 0x53410001u
#define SET_TAG_HT 0x53480001u
/* Like Redis's listpack safety limit: an array never grows past 1 GB, so
 * its 32-bit byte count cannot overflow whatever the thresholds say. */
#define SARR_SAFETY_SIZE (1u << 30)

/* Members are stored back to back, each as a LEB128 varint length then the
 * bytes. The allocation is kept at `used` rounded up to 16 bytes, so most
 * appends of short members do not reallocate. */
typedef struct sarr {
    uint32_t tag;   /* SET_TAG_ARRAY */
    uint32_t count; /* members */
    uint32_t used;  /* payload bytes */
    unsigned char data[];
} sarr;

typedef struct set_ht {
    uint32_t tag; /* SET_TAG_HT */
    ht *t;
} set_ht;

static size_t varint_len(size_t n)
{
    size_t l = 1;
    while (n >= 0x80) {
        n >>= 7;
        l++;
    }
    return l;
}

static size_t varint_put(unsigned char *p, size_t n)
{
    size_t i = 0;
    while (n >= 0x80) {
        p[i++] = (unsigned char)(n | 0x80);
        n >>= 7;
    }
    p[i++] = (unsigned char)n;
    return i;
}

static size_t varint_get(const unsigned char *p, size_t *n)
{
    size_t v = 0, i = 0;
    int shift = 0;
    for (;;) {
        unsigned char b = p[i++];
        v |= (size_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
        shift += 7;
    }
    *n = v;
    return i;
}

/* Payload bytes allocated for `used` bytes of members: rounded up to 16,
 * and never zero so that an empty array is still a valid allocation. */
static size_t sarr_cap(size_t used)
{
    return ((used ? used : 1) + 15) & ~(size_t)15;
}

static sarr *sarr_new(void)
{
    sarr *a = mem_alloc(sizeof(sarr) + sarr_cap(0));
    a->tag = SET_TAG_ARRAY;
    a->count = 0;
    a->used = 0;
    return a;
}

/* The member starting at offset off: its bytes and length; returns the
 * offset of the next member. */
static uint32_t sarr_at(const sarr *a, uint32_t off, const char **m, size_t *len)
{
    size_t h = varint_get(a->data + off, len);
    *m = (const char *)a->data + off + h;
    return off + (uint32_t)(h + *len);
}

/* Offset of member m, or -1. */
static long sarr_find(const sarr *a, const char *m, size_t len)
{
    uint32_t off = 0;
    for (uint32_t i = 0; i < a->count; i++) {
        const char *s;
        size_t sl;
        uint32_t next = sarr_at(a, off, &s, &sl);
        if (sl == len && memcmp(s, m, len) == 0)
            return off;
        off = next;
    }
    return -1;
}

static sarr *sarr_append(sarr *a, const char *m, size_t len)
{
    size_t need = a->used + varint_len(len) + len;
    if (sarr_cap(need) != sarr_cap(a->used))
        a = mem_realloc(a, sizeof(sarr) + sarr_cap(need));
    size_t h = varint_put(a->data + a->used, len);
    memcpy(a->data + a->used + h, m, len);
    a->used = (uint32_t)need;
    a->count++;
    return a;
}

static sarr *sarr_remove_at(sarr *a, uint32_t off)
{
    const char *m;
    size_t len;
    uint32_t next = sarr_at(a, off, &m, &len);
    memmove(a->data + off, a->data + next, a->used - next);
    size_t old = a->used;
    a->used -= next - off;
    a->count--;
    if (sarr_cap(a->used) != sarr_cap(old))
        a = mem_realloc(a, sizeof(sarr) + sarr_cap(a->used));
    return a;
}

/* Offset of the member at index i (0 <= i < count). */
static uint32_t sarr_offset_of(const sarr *a, uint32_t i)
{
    uint32_t off = 0;
    while (i--) {
        const char *m;
        size_t len;
        off = sarr_at(a, off, &m, &len);
    }
    return off;
}

/* ---- hashtable members ----------------------------------------------------- */

/* A member of a hashtable-encoded set: varint length, then the bytes, in one
 * small allocation (no terminator: the length says where it ends). */
static size_t member_size(const unsigned char *e)
{
    size_t len;
    size_t h = varint_get(e, &len);
    return h + len;
}

static void member_key(const void *entry, const char **key, size_t *len)
{
    const unsigned char *e = entry;
    size_t h = varint_get(e, len);
    *key = (const char *)e + h;
}

static void member_free(void *entry)
{
    mem_small_free(entry, member_size(entry));
}

static void *member_new(const char *m, size_t len)
{
    size_t h = varint_len(len);
    unsigned char *e = mem_small_alloc(h + len);
    varint_put(e, len);
    memcpy(e + h, m, len);
    return e;
}

static const ht_type member_ht_type = {member_key, member_free};
/* For temporary tables that borrow members owned by a set. */
static const ht_type borrow_ht_type = {member_key, NULL};

static set_ht *seth_new(void)
{
    set_ht *s = mem_alloc(sizeof(*s));
    s->tag = SET_TAG_HT;
    s->t = ht_new(&member_ht_type);
    return s;
}

/* ---- the value as a whole -------------------------------------------------- */

static int set_enc(const void *v)
{
    uint32_t tag;
    memcpy(&tag, v, sizeof(tag));
    if (tag == SET_TAG_ARRAY)
        return OBJ_ENC_LISTPACK;
    if (tag == SET_TAG_HT)
        return OBJ_ENC_HASHTABLE;
    return OBJ_ENC_INTSET;
}

static size_t set_size(const void *v)
{
    switch (set_enc(v)) {
    case OBJ_ENC_INTSET: return is_len(v);
    case OBJ_ENC_LISTPACK: return ((const sarr *)v)->count;
    default: return ht_size(((const set_ht *)v)->t);
    }
}

static void set_free(void *v)
{
    switch (set_enc(v)) {
    case OBJ_ENC_INTSET: is_free(v); break;
    case OBJ_ENC_LISTPACK: mem_free(v); break;
    default:
        ht_free(((set_ht *)v)->t);
        mem_free(v);
    }
}

/* UNLINK: a member table is freed in slices; the compact encodings are
 * one allocation each and go at once. */
static void set_free_lazy(void *v)
{
    if (set_enc(v) != OBJ_ENC_HASHTABLE) {
        set_free(v);
        return;
    }
    lazyfree_ht(((set_ht *)v)->t);
    mem_free(v);
}

/* Iteration over any encoding. For intsets the member is formatted into
 * buf and is_int/ll carry the integer, so that checks against other
 * intsets need not parse it again. */
typedef struct set_iter {
    const void *v;
    int enc;
    uint32_t i, off;
    ht_iter hi;
    int is_int;
    long long ll;
    char buf[24];
} set_iter;

static void si_init(set_iter *it, const void *v)
{
    it->v = v;
    it->enc = set_enc(v);
    it->i = 0;
    it->off = 0;
    it->is_int = 0;
    if (it->enc == OBJ_ENC_HASHTABLE)
        ht_iter_init(&it->hi, ((const set_ht *)v)->t);
}

static int si_next(set_iter *it, const char **m, size_t *len)
{
    if (it->enc == OBJ_ENC_INTSET) {
        const intset *is = it->v;
        if (it->i >= is_len(is))
            return 0;
        it->ll = is_get(is, it->i++);
        it->is_int = 1;
        *len = (size_t)util_ll2str(it->buf, it->ll);
        *m = it->buf;
        return 1;
    }
    if (it->enc == OBJ_ENC_LISTPACK) {
        const sarr *a = it->v;
        if (it->i >= a->count)
            return 0;
        it->off = sarr_at(a, it->off, m, len);
        it->i++;
        return 1;
    }
    void *e = ht_iter_next(&it->hi);
    if (!e)
        return 0;
    member_key(e, m, len);
    return 1;
}

/* 1 when m is a member. llp, when not NULL, is m's integer value (m being
 * its canonical form), which saves parsing it for an intset. */
static int set_has(const void *v, const char *m, size_t len, const long long *llp)
{
    switch (set_enc(v)) {
    case OBJ_ENC_INTSET: {
        long long ll;
        if (llp)
            return is_find(v, *llp);
        return util_str2ll(m, len, &ll) && is_find(v, ll);
    }
    case OBJ_ENC_LISTPACK: return sarr_find(v, m, len) >= 0;
    default: return ht_find(((const set_ht *)v)->t, m, len) != NULL;
    }
}

/* A hashtable-encoded copy of v's members; v is freed. */
static void *to_ht(void *v)
{
    set_ht *s = seth_new();
    set_iter it;
    const char *m;
    size_t len;
    si_init(&it, v);
    while (si_next(&it, &m, &len))
        ht_add(s->t, member_new(m, len));
    set_free(v);
    return s;
}

static void *intset_to_array(intset *is)
{
    sarr *a = sarr_new();
    char buf[24];
    for (uint32_t i = 0; i < is_len(is); i++) {
        int n = util_ll2str(buf, is_get(is, i));
        a = sarr_append(a, buf, (size_t)n);
    }
    is_free(is);
    return a;
}

/* A new empty set for a first member m and about size_hint members, as
 * Redis 7.2's setTypeCreate chooses. */
static void *set_create(const char *m, size_t len, size_t size_hint)
{
    long long ll;
    if (size_hint <= (size_t)cfg.set_max_intset_entries && util_str2ll(m, len, &ll))
        return is_new();
    if (size_hint <= (size_t)cfg.set_max_listpack_entries)
        return sarr_new();
    return seth_new();
}

/* Converts a compact set that is about to receive size_hint members and
 * could not hold them (setTypeMaybeConvert). */
static void *set_maybe_convert(void *v, size_t size_hint)
{
    int enc = set_enc(v);
    if ((enc == OBJ_ENC_LISTPACK && size_hint > (size_t)cfg.set_max_listpack_entries) ||
        (enc == OBJ_ENC_INTSET && size_hint > (size_t)cfg.set_max_intset_entries))
        return to_ht(v);
    return v;
}

/* Adds m to *vp, converting as needed; returns 1 if it was added. */
static int set_add(void **vp, const char *m, size_t len)
{
    void *v = *vp;
    int enc = set_enc(v);
    if (enc == OBJ_ENC_INTSET) {
        long long ll;
        intset *is = v;
        if (util_str2ll(m, len, &ll)) {
            int added;
            is = is_add(is, ll, &added);
            *vp = is;
            if (added && is_len(is) > (size_t)cfg.set_max_intset_entries)
                *vp = to_ht(is);
            return added;
        }
        /* A non-integer: the longest decimal form among the elements is
         * that of the smallest or the largest. */
        size_t maxlen = 0;
        if (is_len(is) > 0) {
            char buf[24];
            size_t a = (size_t)util_ll2str(buf, is_get(is, 0));
            size_t b = (size_t)util_ll2str(buf, is_get(is, is_len(is) - 1));
            maxlen = a > b ? a : b;
        }
        if (is_len(is) < (size_t)cfg.set_max_listpack_entries &&
            len <= (size_t)cfg.set_max_listpack_value &&
            maxlen <= (size_t)cfg.set_max_listpack_value &&
            (size_t)is_len(is) * (maxlen + 1) + len + 10 < SARR_SAFETY_SIZE)
            v = intset_to_array(is);
        else
            v = to_ht(is);
        enc = set_enc(v);
    }
    if (enc == OBJ_ENC_LISTPACK) {
        sarr *a = v;
        if (sarr_find(a, m, len) >= 0) {
            *vp = v;
            return 0;
        }
        if (a->count < (size_t)cfg.set_max_listpack_entries &&
            len <= (size_t)cfg.set_max_listpack_value &&
            a->used + len + 10 < SARR_SAFETY_SIZE) {
            *vp = sarr_append(a, m, len);
            return 1;
        }
        v = to_ht(a);
    }
    set_ht *s = v;
    *vp = s;
    if (ht_find(s->t, m, len))
        return 0;
    ht_add(s->t, member_new(m, len));
    return 1;
}

/* Removes m from *vp; returns 1 if it was a member. */
static int set_remove(void **vp, const char *m, size_t len)
{
    void *v = *vp;
    switch (set_enc(v)) {
    case OBJ_ENC_INTSET: {
        long long ll;
        int removed = 0;
        if (util_str2ll(m, len, &ll))
            *vp = is_remove(v, ll, &removed);
        return removed;
    }
    case OBJ_ENC_LISTPACK: {
        long off = sarr_find(v, m, len);
        if (off < 0)
            return 0;
        *vp = sarr_remove_at(v, (uint32_t)off);
        return 1;
    }
    default: return ht_delete(((set_ht *)v)->t, m, len);
    }
}

/* A random member, uniform for the compact encodings and close to uniform
 * for tables (see ht_random). buf holds an intset member's text. */
static void set_random(const void *v, const char **m, size_t *len, char buf[24])
{
    uint64_t r = util_random();
    switch (set_enc(v)) {
    case OBJ_ENC_INTSET:
        *len = (size_t)util_ll2str(buf, is_get(v, (uint32_t)(r % is_len(v))));
        *m = buf;
        break;
    case OBJ_ENC_LISTPACK: {
        const sarr *a = v;
        sarr_at(a, sarr_offset_of(a, (uint32_t)(r % a->count)), m, len);
        break;
    }
    default: member_key(ht_random(((const set_ht *)v)->t, r), m, len);
    }
}

static void *set_dup(const void *v)
{
    switch (set_enc(v)) {
    case OBJ_ENC_INTSET: return is_dup(v);
    case OBJ_ENC_LISTPACK: {
        const sarr *a = v;
        size_t n = sizeof(sarr) + sarr_cap(a->used);
        sarr *c = mem_alloc(n);
        memcpy(c, a, sizeof(sarr) + a->used);
        return c;
    }
    default: {
        set_ht *s = seth_new();
        set_iter it;
        const char *m;
        size_t len;
        si_init(&it, v);
        while (si_next(&it, &m, &len))
            ht_add(s->t, member_new(m, len));
        return s;
    }
    }
}

/* AOF rewrite: SADD key with up to 64 members per command. Intset members
 * are formatted into a buffer that holds a whole batch. */
#define REWRITE_BATCH 64
static void set_rewrite(const char *key, size_t klen, const void *v, obj_emit_fn emit, void *ctx)
{
    const char *argv[2 + REWRITE_BATCH];
    size_t lens[2 + REWRITE_BATCH];
    char nums[REWRITE_BATCH][24];
    int n = 0;
    set_iter it;
    const char *m;
    size_t len;
    argv[0] = "SADD";
    lens[0] = 4;
    argv[1] = key;
    lens[1] = klen;
    si_init(&it, v);
    while (si_next(&it, &m, &len)) {
        if (m == it.buf) {
            memcpy(nums[n], m, len);
            m = nums[n];
        }
        argv[2 + n] = m;
        lens[2 + n] = len;
        if (++n == REWRITE_BATCH) {
            emit(ctx, 2 + n, argv, lens);
            n = 0;
        }
    }
    if (n > 0)
        emit(ctx, 2 + n, argv, lens);
}

static const obj_type_ops set_ops = {set_free, set_dup, set_rewrite, set_free_lazy};

/* SORT's access to a set: every member in iteration order (an intset
 * ascending). */
static void set_sort_walk(const obj *o, sort_elem_fn fn, void *ctx)
{
    set_iter it;
    const char *m;
    size_t len;
    si_init(&it, obj_value(o));
    while (si_next(&it, &m, &len))
        fn(ctx, m, len);
}

/* ---- helpers for handlers ------------------------------------------------- */

/* Looks a key up for reading or writing; replies WRONGTYPE and returns -1
 * when it holds another type. *out is NULL for a missing key. */
static int lookup_set(client *c, int argi, int write, obj **out)
{
    obj *o = write ? cmd_lookup_write(c, c->argv[argi], c->argvlen[argi])
                   : cmd_lookup_read(c, c->argv[argi], c->argvlen[argi]);
    if (o && obj_type(o) != OBJ_SET) {
        client_add_error(c, ERR_WRONGTYPE);
        return -1;
    }
    *out = o;
    return 0;
}

/* Writes v back into its entry after changes that may have moved it. */
static void store_back(obj *o, void *v)
{
    obj_set_value(o, v, set_enc(v));
}

/* Replies with every member of v, as a RESP3 set (or array). */
static void reply_members(reply_buf *rb, const void *v, int as_set)
{
    set_iter it;
    const char *m;
    size_t len;
    if (as_set)
        reply_set(rb, (long long)set_size(v));
    else
        reply_array(rb, (long long)set_size(v));
    si_init(&it, v);
    while (si_next(&it, &m, &len))
        reply_bulk(rb, m, len);
}

/* Collects members removed by SPOP and feeds them to the AOF as SREM
 * commands of up to SREM_BATCH members. Member bytes are copied into one
 * arena, so that the originals can be freed as soon as they are popped. */
#define SREM_BATCH 1024
typedef struct srem_batch {
    client *c;
    int n;
    char *arena;
    size_t alen, acap;
    size_t offs[SREM_BATCH], lens[SREM_BATCH];
} srem_batch;

static void batch_flush(srem_batch *b)
{
    if (b->n == 0)
        return;
    char *argv[2 + SREM_BATCH];
    size_t lens[2 + SREM_BATCH];
    argv[0] = "SREM";
    lens[0] = 4;
    argv[1] = b->c->argv[1];
    lens[1] = b->c->argvlen[1];
    for (int i = 0; i < b->n; i++) {
        argv[2 + i] = b->arena + b->offs[i];
        lens[2 + i] = b->lens[i];
    }
    cmd_propagate(b->c, 2 + b->n, argv, lens);
    b->n = 0;
    b->alen = 0;
}

static void batch_push(srem_batch *b, const char *m, size_t len)
{
    if (b->alen + len > b->acap) {
        b->acap = (b->alen + len) * 2 + 256;
        b->arena = mem_realloc(b->arena, b->acap);
    }
    memcpy(b->arena + b->alen, m, len);
    b->offs[b->n] = b->alen;
    b->lens[b->n] = len;
    b->alen += len;
    if (++b->n == SREM_BATCH)
        batch_flush(b);
}

/* ---- SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS ------------------------ */

static void cmd_sadd(client *c)
{
    obj *o;
    if (lookup_set(c, 1, 1, &o) < 0)
        return;
    size_t hint = (size_t)(c->argc - 2);
    void *v;
    if (!o) {
        v = set_create(c->argv[2], c->argvlen[2], hint);
        o = obj_new_value(c->argv[1], c->argvlen[1], OBJ_SET, set_enc(v), v, OBJ_NO_EXPIRE);
        db_add(c->db, o);
    } else {
        v = set_maybe_convert(obj_value(o), hint);
    }
    long long added = 0;
    for (int i = 2; i < c->argc; i++)
        added += set_add(&v, c->argv[i], c->argvlen[i]);
    store_back(o, v);
    if (added)
        cmd_dirty(c, added);
    reply_int(client_reply_buf(c), added);
}

static void cmd_srem(client *c)
{
    obj *o;
    if (lookup_set(c, 1, 1, &o) < 0)
        return;
    if (!o) {
        reply_int(client_reply_buf(c), 0);
        return;
    }
    void *v = obj_value(o);
    long long removed = 0;
    int emptied = 0;
    for (int i = 2; i < c->argc; i++) {
        removed += set_remove(&v, c->argv[i], c->argvlen[i]);
        if (set_size(v) == 0) {
            emptied = 1;
            break;
        }
    }
    store_back(o, v);
    if (emptied)
        db_delete(c->db, c->argv[1], c->argvlen[1]);
    if (removed)
        cmd_dirty(c, removed);
    reply_int(client_reply_buf(c), removed);
}

static void cmd_scard(client *c)
{
    obj *o;
    if (lookup_set(c, 1, 0, &o) < 0)
        return;
    reply_int(client_reply_buf(c), o ? (long long)set_size(obj_value(o)) : 0);
}

static void cmd_sismember(client *c)
{
    obj *o;
    if (lookup_set(c, 1, 0, &o) < 0)
        return;
    int is = o && set_has(obj_value(o), c->argv[2], c->argvlen[2], NULL);
    reply_int(client_reply_buf(c), is);
}

static void cmd_smismember(client *c)
{
    obj *o;
    if (lookup_set(c, 1, 0, &o) < 0)
        return;
    reply_buf *rb = client_reply_buf(c);
    reply_array(rb, c->argc - 2);
    for (int i = 2; i < c->argc; i++)
        reply_int(rb, o && set_has(obj_value(o), c->argv[i], c->argvlen[i], NULL));
}

static void cmd_smembers(client *c)
{
    obj *o;
    if (lookup_set(c, 1, 0, &o) < 0)
        return;
    reply_buf *rb = client_reply_buf(c);
    if (!o)
        reply_set(rb, 0);
    else
        reply_members(rb, obj_value(o), 1);
}

/* ---- SPOP SRANDMEMBER ------------------------------------------------------ */

/* Removes the member m (just returned by set_random, so present) from the
 * set in *vp. m may point into the set: it is not used afterwards. */
static void pop_member(void **vp, const char *m, size_t len)
{
    void *v = *vp;
    if (set_enc(v) == OBJ_ENC_HASHTABLE) {
        void *e = ht_pop(((set_ht *)v)->t, m, len);
        member_free(e);
        return;
    }
    set_remove(vp, m, len);
}

static void spop_one(client *c)
{
    obj *o;
    if (lookup_set(c, 1, 1, &o) < 0)
        return;
    reply_buf *rb = client_reply_buf(c);
    if (!o) {
        reply_null(rb);
        return;
    }
    void *v = obj_value(o);
    const char *m;
    size_t len;
    char buf[24];
    set_random(v, &m, &len, buf);
    reply_bulk(rb, m, len);
    char *argv[3] = {"SREM", c->argv[1], (char *)m};
    size_t lens[3] = {4, c->argvlen[1], len};
    cmd_propagate(c, 3, argv, lens);
    pop_member(&v, m, len);
    store_back(o, v);
    if (set_size(v) == 0)
        db_delete(c->db, c->argv[1], c->argvlen[1]);
    cmd_dirty(c, 1);
}

/* Redis's SPOP_MOVE_STRATEGY_MUL: when fewer than count/5 members would
 * remain, it is cheaper to move the survivors to a new set. */
#define SPOP_MOVE_MUL 5

static void cmd_spop(client *c)
{
    if (c->argc == 2) {
        spop_one(c);
        return;
    }
    if (c->argc != 3) {
        client_add_error(c, ERR_SYNTAX);
        return;
    }
    long long count;
    if (!util_str2ll(c->argv[2], c->argvlen[2], &count) || count < 0) {
        client_add_error(c, "ERR value is out of range, must be positive");
        return;
    }
    obj *o;
    if (lookup_set(c, 1, 1, &o) < 0)
        return;
    reply_buf *rb = client_reply_buf(c);
    if (!o || count == 0) {
        reply_set(rb, 0);
        return;
    }
    void *v = obj_value(o);
    size_t size = set_size(v);
    if ((unsigned long long)count >= size) {
        /* Everything goes: the AOF gets DEL, as Redis propagates it. */
        reply_members(rb, v, 1);
        char *argv[2] = {"DEL", c->argv[1]};
        size_t lens[2] = {3, c->argvlen[1]};
        cmd_propagate(c, 2, argv, lens);
        db_delete(c->db, c->argv[1], c->argvlen[1]);
        cmd_dirty(c, (long long)size);
        return;
    }
    srem_batch *b = mem_alloc(sizeof(*b));
    b->c = c;
    b->n = 0;
    b->arena = NULL;
    b->alen = b->acap = 0;
    size_t remaining = size - (size_t)count;
    reply_set(rb, count);
    if (remaining * SPOP_MOVE_MUL > (size_t)count) {
        /* Few to pop: pop them one at a time. */
        for (long long i = 0; i < count; i++) {
            const char *m;
            size_t len;
            char buf[24];
            set_random(v, &m, &len, buf);
            reply_bulk(rb, m, len);
            batch_push(b, m, len);
            pop_member(&v, m, len);
        }
        store_back(o, v);
    } else {
        /* Most go: move the survivors to a new set, reply with what is
         * left in the old one and free it. As in Redis 7.2 the new set is
         * an intset if the old one was, otherwise it starts compact. */
        void *nv = set_enc(v) == OBJ_ENC_INTSET ? (void *)is_new() : (void *)sarr_new();
        for (size_t i = 0; i < remaining; i++) {
            const char *m;
            size_t len;
            char buf[24];
            set_random(v, &m, &len, buf);
            set_add(&nv, m, len);
            pop_member(&v, m, len);
        }
        set_iter it;
        const char *m;
        size_t len;
        si_init(&it, v);
        while (si_next(&it, &m, &len)) {
            reply_bulk(rb, m, len);
            batch_push(b, m, len);
        }
        set_free(v);
        store_back(o, nv);
    }
    batch_flush(b);
    mem_free(b->arena);
    mem_free(b);
    cmd_dirty(c, count);
}

/* SRANDMEMBER with distinct members, fewer than the set holds: a partial
 * Fisher-Yates shuffle over the members' positions (compact encodings, or
 * a table where count is over a third of the size), or random draws
 * deduplicated through a temporary table that borrows the members. */
static void srandmember_distinct(reply_buf *rb, const void *v, size_t count)
{
    size_t size = set_size(v);
    int enc = set_enc(v);
    reply_array(rb, (long long)count);
    if (enc == OBJ_ENC_HASHTABLE && count * 3 <= size) {
        ht *seen = ht_new(&borrow_ht_type);
        ht *t = ((const set_ht *)v)->t;
        while (ht_size(seen) < count) {
            void *e = ht_random(t, util_random());
            const char *m;
            size_t len;
            member_key(e, &m, &len);
            if (ht_find(seen, m, len))
                continue;
            ht_add(seen, e);
            reply_bulk(rb, m, len);
        }
        ht_free(seen);
        return;
    }
    /* Positions: intset indexes, array offsets or table entries. */
    uintptr_t *pos = mem_alloc(size * sizeof(uintptr_t));
    const char *m;
    size_t len;
    size_t n = 0;
    if (enc == OBJ_ENC_INTSET) {
        for (n = 0; n < size; n++)
            pos[n] = n;
    } else if (enc == OBJ_ENC_LISTPACK) {
        uint32_t off = 0;
        for (n = 0; n < size; n++) {
            pos[n] = off;
            off = sarr_at(v, off, &m, &len);
        }
    } else {
        ht_iter hi;
        void *e;
        ht_iter_init(&hi, ((const set_ht *)v)->t);
        while ((e = ht_iter_next(&hi)))
            pos[n++] = (uintptr_t)e;
    }
    for (size_t i = 0; i < count; i++) {
        size_t j = i + (size_t)(util_random() % (size - i));
        uintptr_t tmp = pos[i];
        pos[i] = pos[j];
        pos[j] = tmp;
        char buf[24];
        if (enc == OBJ_ENC_INTSET) {
            len = (size_t)util_ll2str(buf, is_get(v, (uint32_t)pos[i]));
            m = buf;
        } else if (enc == OBJ_ENC_LISTPACK) {
            sarr_at(v, (uint32_t)pos[i], &m, &len);
        } else {
            member_key((const void *)pos[i], &m, &len);
        }
        reply_bulk(rb, m, len);
    }
    mem_free(pos);
}

/* SRANDMEMBER with a negative count: members may repeat. For the compact
 * array the member offsets are indexed once, so each draw is O(1). */
static void srandmember_repeat(client *c, const void *v, size_t count)
{
    reply_buf *rb = client_reply_buf(c);
    size_t mark = rb->len;
    reply_array(rb, (long long)count);
    int enc = set_enc(v);
    uint32_t *offs = NULL;
    size_t size = set_size(v);
    if (enc == OBJ_ENC_LISTPACK) {
        const char *m;
        size_t len;
        uint32_t off = 0;
        offs = mem_alloc(size * sizeof(uint32_t));
        for (size_t i = 0; i < size; i++) {
            offs[i] = off;
            off = sarr_at(v, off, &m, &len);
        }
    }
    for (size_t done = 1; done <= count; done++) {
        const char *m;
        size_t len;
        char buf[24];
        if (enc == OBJ_ENC_LISTPACK)
            sarr_at(v, offs[util_random() % size], &m, &len);
        else
            set_random(v, &m, &len, buf);
        reply_bulk(rb, m, len);
        if (rand_reply_fits_or_reply(c, mark, done, count) < 0)
            break;
    }
    mem_free(offs);
}

static void cmd_srandmember(client *c)
{
    if (c->argc > 3) {
        client_add_error(c, ERR_SYNTAX);
        return;
    }
    obj *o;
    if (c->argc == 2) {
        if (lookup_set(c, 1, 0, &o) < 0)
            return;
        reply_buf *rb = client_reply_buf(c);
        if (!o) {
            reply_null(rb);
            return;
        }
        const char *m;
        size_t len;
        char buf[24];
        set_random(obj_value(o), &m, &len, buf);
        reply_bulk(rb, m, len);
        return;
    }
    long long l;
    if (cmd_get_ll_or_reply(c, 2, &l, NULL) < 0)
        return;
    if (l == LLONG_MIN) {
        client_add_error(c, "ERR value is out of range, value must between -9223372036854775807 "
                            "and 9223372036854775807");
        return;
    }
    int distinct = l >= 0;
    size_t count = (size_t)(l >= 0 ? l : -l);
    if (lookup_set(c, 1, 0, &o) < 0)
        return;
    reply_buf *rb = client_reply_buf(c);
    if (!o || count == 0) {
        reply_array(rb, 0);
        return;
    }
    const void *v = obj_value(o);
    if (!distinct || count == 1)
        srandmember_repeat(c, v, count);
    else if (count >= set_size(v))
        reply_members(rb, v, 0);
    else
        srandmember_distinct(rb, v, count);
}

/* ---- SMOVE ----------------------------------------------------------------- */

static void cmd_smove(client *c)
{
    /* As Redis: both keys are looked up first, a missing source answers 0
     * before any type check, and moving within one set only asks whether
     * the member is there. */
    obj *src = cmd_lookup_write(c, c->argv[1], c->argvlen[1]);
    obj *dst = cmd_lookup_write(c, c->argv[2], c->argvlen[2]);
    if (!src) {
        reply_int(client_reply_buf(c), 0);
        return;
    }
    if (obj_type(src) != OBJ_SET || (dst && obj_type(dst) != OBJ_SET)) {
        client_add_error(c, ERR_WRONGTYPE);
        return;
    }
    const char *m = c->argv[3];
    size_t len = c->argvlen[3];
    reply_buf *rb = client_reply_buf(c);
    if (src == dst) {
        reply_int(rb, set_has(obj_value(src), m, len, NULL));
        return;
    }
    void *sv = obj_value(src);
    if (!set_remove(&sv, m, len)) {
        store_back(src, sv);
        reply_int(rb, 0);
        return;
    }
    store_back(src, sv);
    if (set_size(sv) == 0)
        db_delete(c->db, c->argv[1], c->argvlen[1]);
    void *dv;
    if (!dst) {
        dv = set_create(m, len, 1);
        dst = obj_new_value(c->argv[2], c->argvlen[2], OBJ_SET, set_enc(dv), dv, OBJ_NO_EXPIRE);
        db_add(c->db, dst);
    } else {
        dv = obj_value(dst);
    }
    cmd_dirty(c, 1);
    if (set_add(&dv, m, len))
        cmd_dirty(c, 1);
    store_back(dst, dv);
    reply_int(rb, 1);
}

/* ---- SINTER SINTERCARD SINTERSTORE ----------------------------------------- */

/* Looks up n keys starting at argv[first]. A missing key is NULL in sets[]
 * and counted in *missing. Every key is looked up and type-checked even
 * after a missing one, as Redis does. Returns -1 after WRONGTYPE. */
static int lookup_sets(client *c, int first, int n, const void **sets, int *missing)
{
    *missing = 0;
    for (int i = 0; i < n; i++) {
        obj *o;
        if (lookup_set(c, first + i, 0, &o) < 0)
            return -1;
        sets[i] = o ? obj_value(o) : NULL;
        if (!o)
            (*missing)++;
    }
    return 0;
}

/* Orders sets by ascending size. Stable, like the glibc qsort (a merge
 * sort) Redis relies on, so that with equal sizes the first key given is
 * iterated and the reply order matches. */
static void sort_by_size(const void **sets, int n)
{
    for (int i = 1; i < n; i++) {
        const void *x = sets[i];
        size_t sx = set_size(x);
        int j = i - 1;
        while (j >= 0 && set_size(sets[j]) > sx) {
            sets[j + 1] = sets[j];
            j--;
        }
        sets[j + 1] = x;
    }
}

/* Calls fn for each member of the intersection of sets[0..n) (none NULL),
 * iterating the smallest, until fn returns nonzero. */
typedef int (*member_fn)(const char *m, size_t len, void *ctx);

static void intersect(const void **sets, int n, member_fn fn, void *ctx)
{
    sort_by_size(sets, n);
    set_iter it;
    const char *m;
    size_t len;
    si_init(&it, sets[0]);
    while (si_next(&it, &m, &len)) {
        int j;
        for (j = 1; j < n; j++) {
            if (sets[j] == sets[0])
                continue;
            if (!set_has(sets[j], m, len, it.is_int ? &it.ll : NULL))
                break;
        }
        if (j == n && fn(m, len, ctx))
            break;
    }
}

static int reply_member_fn(const char *m, size_t len, void *ctx)
{
    long long *n = ((void **)ctx)[1];
    reply_bulk(((void **)ctx)[0], m, len);
    (*n)++;
    return 0;
}

static int add_member_fn(const char *m, size_t len, void *ctx)
{
    set_add(ctx, m, len);
    return 0;
}

typedef struct card_ctx {
    long long n, limit;
} card_ctx;

static int count_member_fn(const char *m, size_t len, void *ctx)
{
    card_ctx *k = ctx;
    (void)m;
    (void)len;
    k->n++;
    return k->limit && k->n >= k->limit;
}

/* Stores v (a new set) under argv[argi], replacing whatever was there, or
 * deletes that key when v is empty; replies with the size. */
static void store_result(client *c, int argi, void *v)
{
    size_t n = set_size(v);
    if (n == 0) {
        set_free(v);
        if (db_delete(c->db, c->argv[argi], c->argvlen[argi]))
            cmd_dirty(c, 1);
    } else {
        obj *o = obj_new_value(c->argv[argi], c->argvlen[argi], OBJ_SET, set_enc(v), v,
                               OBJ_NO_EXPIRE);
        db_set(c->db, o);
        cmd_dirty(c, 1);
    }
    reply_int(client_reply_buf(c), (long long)n);
}

static void sinter_generic(client *c, int first, int nkeys, int store_argi)
{
    const void **sets = mem_alloc((size_t)nkeys * sizeof(*sets));
    int missing;
    if (lookup_sets(c, first, nkeys, sets, &missing) < 0)
        goto done;
    if (store_argi) {
        void *v = is_new();
        if (!missing)
            intersect(sets, nkeys, add_member_fn, &v);
        store_result(c, store_argi, v);
        goto done;
    }
    reply_buf *rb = client_reply_buf(c);
    if (missing) {
        reply_set(rb, 0);
        goto done;
    }
    long long n = 0;
    size_t off = reply_defer(rb);
    void *ctx[2] = {rb, &n};
    intersect(sets, nkeys, reply_member_fn, ctx);
    reply_defer_set(rb, off, '~', n);
done:
    mem_free(sets);
}

static void cmd_sinter(client *c)
{
    sinter_generic(c, 1, c->argc - 1, 0);
}

static void cmd_sinterstore(client *c)
{
    sinter_generic(c, 2, c->argc - 2, 1);
}

static void cmd_sintercard(client *c)
{
    long long numkeys;
    if (!util_str2ll(c->argv[1], c->argvlen[1], &numkeys) || numkeys < 1) {
        client_add_error(c, "ERR numkeys should be greater than 0");
        return;
    }
    if (numkeys > c->argc - 2) {
        client_add_error(c, "ERR Number of keys can't be greater than number of args");
        return;
    }
    long long limit = 0;
    for (int j = 2 + (int)numkeys; j < c->argc; j++) {
        if (cmd_arg_is(c, j, "limit") && j + 1 < c->argc) {
            j++;
            if (!util_str2ll(c->argv[j], c->argvlen[j], &limit) || limit < 0) {
                client_add_error(c, "ERR LIMIT can't be negative");
                return;
            }
        } else {
            client_add_error(c, ERR_SYNTAX);
            return;
        }
    }
    const void **sets = mem_alloc((size_t)numkeys * sizeof(*sets));
    int missing;
    if (lookup_sets(c, 2, (int)numkeys, sets, &missing) == 0) {
        card_ctx k = {0, limit};
        if (!missing)
            intersect(sets, (int)numkeys, count_member_fn, &k);
        reply_int(client_reply_buf(c), k.n);
    }
    mem_free(sets);
}

/* Key positions of SINTERCARD numkeys key... [LIMIT n]. */
static int sintercard_getkeys(char **argv, size_t *argvlen, int argc, int *pos, int max)
{
    long long n;
    if (argc < 3 || !util_str2ll(argv[1], argvlen[1], &n) || n < 1 || n > argc - 2)
        return -1;
    int k = 0;
    for (long long i = 0; i < n && k < max; i++)
        pos[k++] = 2 + (int)i;
    return k;
}

/* ---- SUNION SDIFF and their STORE forms ----------------------------------- */

/* Builds the union or difference of sets[0..n) (NULL for a missing key)
 * into a new set, which starts as an intset and converts as members arrive,
 * as Redis builds it; so an all-integer result replies in sorted order. */
static void *union_diff(const void **sets, int n, int diff)
{
    void *v = is_new();
    set_iter it;
    const char *m;
    size_t len;
    if (!diff) {
        for (int i = 0; i < n; i++) {
            if (!sets[i])
                continue;
            si_init(&it, sets[i]);
            while (si_next(&it, &m, &len))
                set_add(&v, m, len);
        }
        return v;
    }
    if (!sets[0])
        return v;
    si_init(&it, sets[0]);
    while (si_next(&it, &m, &len)) {
        int j;
        for (j = 1; j < n; j++) {
            if (sets[j] == sets[0])
                break;
            if (sets[j] && set_has(sets[j], m, len, it.is_int ? &it.ll : NULL))
                break;
        }
        if (j == n)
            set_add(&v, m, len);
    }
    return v;
}

static void union_diff_generic(client *c, int first, int store_argi, int diff)
{
    int n = c->argc - first;
    const void **sets = mem_alloc((size_t)n * sizeof(*sets));
    int missing;
    if (lookup_sets(c, first, n, sets, &missing) == 0) {
        void *v = union_diff(sets, n, diff);
        if (store_argi) {
            store_result(c, store_argi, v);
        } else {
            reply_members(client_reply_buf(c), v, 1);
            set_free(v);
        }
    }
    mem_free(sets);
}

static void cmd_sunion(client *c)
{
    union_diff_generic(c, 1, 0, 0);
}

static void cmd_sunionstore(client *c)
{
    union_diff_generic(c, 2, 1, 0);
}

static void cmd_sdiff(client *c)
{
    union_diff_generic(c, 1, 0, 1);
}

static void cmd_sdiffstore(client *c)
{
    union_diff_generic(c, 2, 1, 1);
}

/* ---- SSCAN ------------------------------------------------------------------ */


typedef struct scan_batch {
    void **items;
    size_t n, cap;
} scan_batch;

static void scan_collect(void *entry, void *ctx)
{
    scan_batch *b = ctx;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->items = mem_realloc(b->items, b->cap * sizeof(void *));
    }
    b->items[b->n++] = entry;
}

static void cmd_sscan(client *c)
{
    unsigned long long cursor;
    if (scan_cursor_or_reply(c, 2, &cursor) < 0)
        return;
    obj *o;
    if (lookup_set(c, 1, 0, &o) < 0)
        return;
    if (!o) {
        reply_buf *rb = client_reply_buf(c);
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
    const void *v = obj_value(o);
    reply_buf *rb = client_reply_buf(c);
    reply_array(rb, 2);
    if (set_enc(v) != OBJ_ENC_HASHTABLE) {
        /* Compact encodings are returned whole, with cursor 0. */
        reply_bulk(rb, "0", 1);
        size_t off = reply_defer(rb);
        long long n = 0;
        set_iter it;
        const char *m;
        size_t len;
        si_init(&it, v);
        while (si_next(&it, &m, &len)) {
            if (pat && !util_glob_match(pat, plen, m, len, 0))
                continue;
            reply_bulk(rb, m, len);
            n++;
        }
        reply_defer_set(rb, off, '*', n);
        return;
    }
    ht *t = ((const set_ht *)v)->t;
    scan_batch b = {0};
    long long iterations = count * 10;
    do {
        cursor = ht_scan(t, cursor, scan_collect, &b);
    } while (cursor && iterations-- > 0 && (long long)b.n < count);
    char cur[24];
    int cl = snprintf(cur, sizeof(cur), "%llu", cursor);
    reply_bulk(rb, cur, (size_t)cl);
    size_t off = reply_defer(rb);
    long long n = 0;
    for (size_t i = 0; i < b.n; i++) {
        const char *m;
        size_t len;
        member_key(b.items[i], &m, &len);
        if (pat && !util_glob_match(pat, plen, m, len, 0))
            continue;
        reply_bulk(rb, m, len);
        n++;
    }
    reply_defer_set(rb, off, '*', n);
    mem_free(b.items);
}

/* ---- registration ---------------------------------------------------------- */

static cmd_def set_commands[] = {
    C("sadd", cmd_sadd, -3, W | M | F, 1, 1, 1, "write set fast", "set", "1.0.0", "Adds one or more members to a set. Creates the key if it doesn't exist.", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."),
    C("srem", cmd_srem, -3, W | F, 1, 1, 1, "write set fast", "set", "1.0.0", "Removes one or more members from a set. Deletes the set if the last member was removed.", "O(N) where N is the number of members to be removed."),
    C("smembers", cmd_smembers, 2, R, 1, 1, 1, "read set slow", "set", "1.0.0", "Returns all members of a set.", "O(N) where N is the set cardinality."),
    C("sismember", cmd_sismember, 3, R | F, 1, 1, 1, "read set fast", "set", "1.0.0", "Determines whether a member belongs to a set.", "O(1)"),
    C("smismember", cmd_smismember, -3, R | F, 1, 1, 1, "read set fast", "set", "6.2.0", "Determines whether multiple members belong to a set.", "O(N) where N is the number of elements being checked for membership"),
    C("scard", cmd_scard, 2, R | F, 1, 1, 1, "read set fast", "set", "1.0.0", "Returns the number of members in a set.", "O(1)"),
    C("spop", cmd_spop, -2, W | F, 1, 1, 1, "write set fast", "set", "1.0.0", "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count."),
    C("srandmember", cmd_srandmember, -2, R, 1, 1, 1, "read set slow", "set", "1.0.0", "Get one or multiple random members from a set", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count."),
    C("smove", cmd_smove, 4, W | F, 1, 2, 1, "write set fast", "set", "1.0.0", "Moves a member from one set to another.", "O(1)"),
    C("sinter", cmd_sinter, -2, R, 1, -1, 1, "read set slow", "set", "1.0.0", "Returns the intersect of multiple sets.", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."),
    CK("sintercard", cmd_sintercard, -3, R, sintercard_getkeys, "read set slow", "set", "7.0.0", "Returns the number of members of the intersect of multiple sets.", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."),
    C("sinterstore", cmd_sinterstore, -3, W | M | CMD_WRITES_FIRST_KEY, 1, -1, 1, "write set slow", "set", "1.0.0", "Stores the intersect of multiple sets in a key.", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."),
    C("sunion", cmd_sunion, -2, R, 1, -1, 1, "read set slow", "set", "1.0.0", "Returns the union of multiple sets.", "O(N) where N is the total number of elements in all given sets."),
    C("sunionstore", cmd_sunionstore, -3, W | M | CMD_WRITES_FIRST_KEY, 1, -1, 1, "write set slow", "set", "1.0.0", "Stores the union of multiple sets in a key.", "O(N) where N is the total number of elements in all given sets."),
    C("sdiff", cmd_sdiff, -2, R, 1, -1, 1, "read set slow", "set", "1.0.0", "Returns the difference of multiple sets.", "O(N) where N is the total number of elements in all given sets."),
    C("sdiffstore", cmd_sdiffstore, -3, W | M | CMD_WRITES_FIRST_KEY, 1, -1, 1, "write set slow", "set", "1.0.0", "Stores the difference of multiple sets in a key.", "O(N) where N is the total number of elements in all given sets."),
    C("sscan", cmd_sscan, -3, R, 1, 1, 1, "read set slow", "set", "2.8.0", "Iterates over members of a set.", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection."),
    END,
};

__attribute__((constructor)) static void register_set(void)
{
    obj_register_type(OBJ_SET, &set_ops);
    cmd_register_table(set_commands);
    sort_register_walker(OBJ_SET, set_sort_walk);
}
