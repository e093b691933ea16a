/* db: see db.h. */
#include "db.h"

#include <string.h>

#include "ev.h"
#include "lazyfree.h"
#include "mem.h"
#include "util.h"

static long long now_ms;
static int expiry_enabled = 1;
static int expiry_paused;
static db_expired_fn expired_hook;

static const ht_type keys_type = {.entry_key = obj_entry_key, .entry_free = obj_entry_free};
/* The expires index shares the entries; it never frees them. */
static const ht_type expires_type = {.entry_key = obj_entry_key, .entry_free = NULL};

void db_init(db *d, int id)
{
    d->id = id;
    d->keys = ht_new(&keys_type);
    d->expires = ht_new(&expires_type);
    d->expire_cursor = 0;
    d->avg_ttl = 0;
}

void db_fini(db *d)
{
    ht_free(d->expires);
    ht_free(d->keys);
    d->keys = d->expires = NULL;
}

void db_set_now(long long unix_ms)
{
    now_ms = unix_ms;
}

long long db_now(void)
{
    return now_ms;
}

void db_set_expiry_enabled(int enabled)
{
    expiry_enabled = enabled;
}

void db_set_expiry_paused(int paused)
{
    expiry_paused = paused;
}

void db_set_expired_hook(db_expired_fn fn)
{
    expired_hook = fn;
}

static int is_expired(const obj *o)
{
    long long e = obj_expire(o);
    return e != OBJ_NO_EXPIRE && e <= now_ms;
}

/* Removes an expired entry and tells the hook (which may copy the key). */
static void expire_now(db *d, obj *o)
{
    const char *key;
    size_t klen;
    obj_key(o, &key, &klen);
    ht_pop(d->expires, key, klen);
    ht_pop(d->keys, key, klen);
    if (expired_hook)
        expired_hook(d, key, klen);
    obj_free(o);
}

obj *db_lookup(db *d, const char *key, size_t klen)
{
    obj *o = ht_find(d->keys, key, klen);
    if (!o || !is_expired(o))
        return o;
    if (!expiry_enabled)
        return o;
    if (!expiry_paused)
        expire_now(d, o);
    return NULL;
}

obj *db_peek(db *d, const char *key, size_t klen)
{
    obj *o = ht_find(d->keys, key, klen);
    if (o && expiry_enabled && is_expired(o))
        return NULL;
    return o;
}

void db_add(db *d, obj *o)
{
    ht_add(d->keys, o);
    if (obj_expire(o) != OBJ_NO_EXPIRE)
        ht_add(d->expires, o);
}

void db_set(db *d, obj *o)
{
    obj *old = ht_replace(d->keys, o);
    if (old)
        obj_access_overwrite(o, old);
    if (old && obj_expire(old) != OBJ_NO_EXPIRE) {
        const char *key;
        size_t klen;
        obj_key(old, &key, &klen);
        ht_pop(d->expires, key, klen);
    }
    if (obj_expire(o) != OBJ_NO_EXPIRE)
        ht_add(d->expires, o);
    if (old)
        obj_free(old);
}

void db_replace(db *d, obj *old, obj *o)
{
    if (old == o)
        return;
    int had = obj_expire(old) != OBJ_NO_EXPIRE;
    obj_access_inherit(o, old);
    ht_replace(d->keys, o);
    if (had) {
        const char *key;
        size_t klen;
        obj_key(o, &key, &klen);
        ht_pop(d->expires, key, klen);
    }
    if (obj_expire(o) != OBJ_NO_EXPIRE)
        ht_add(d->expires, o);
    obj_free(old);
}

obj *db_unlink(db *d, const char *key, size_t klen)
{
    obj *o = ht_pop(d->keys, key, klen);
    if (o && obj_expire(o) != OBJ_NO_EXPIRE)
        ht_pop(d->expires, key, klen);
    return o;
}

int db_delete(db *d, const char *key, size_t klen)
{
    obj *o = db_unlink(d, key, klen);
    if (!o)
        return 0;
    obj_free(o);
    return 1;
}

obj *db_set_expire(db *d, obj *o, long long when_ms)
{
    const char *key;
    size_t klen;
    if (obj_expire(o) != OBJ_NO_EXPIRE) {
        obj_key(o, &key, &klen);
        ht_pop(d->expires, key, klen);
    }
    obj *n = obj_with_expire(o, when_ms);
    if (n != o) {
        /* Swap first, free after: the tables compare keys through o. n
         * took over o's value, so only o's shell goes. */
        ht_replace(d->keys, n);
        obj_free_shell(o);
    }
    if (when_ms != OBJ_NO_EXPIRE)
        ht_add(d->expires, n);
    return n;
}

size_t db_size(const db *d)
{
    return ht_size(d->keys);
}

size_t db_expires_count(const db *d)
{
    return ht_size(d->expires);
}

void db_flush(db *d)
{
    ht_clear(d->expires);
    ht_clear(d->keys);
    d->expire_cursor = 0;
    d->avg_ttl = 0;
}

void db_flush_lazy(db *d)
{
    ht *old = d->keys;
    d->keys = ht_new(&keys_type);
    ht_clear(d->expires); /* it owns no entry: only its slots go */
    d->expire_cursor = 0;
    d->avg_ttl = 0;
    lazyfree_keys(old, obj_entry_free_lazy);
}

obj *db_random(db *d)
{
    /* Bounded: when every key has expired we may give up and return one that
     * the caller will find expired; then report none, as Redis does after a
     * number of tries. */
    for (int tries = 0; tries < 100; tries++) {
        obj *o = ht_random(d->keys, util_random());
        if (!o)
            return NULL;
        if (!is_expired(o) || !expiry_enabled)
            return o;
        if (!expiry_paused)
            expire_now(d, o); /* else skip it, and leave it in place */
    }
    return NULL;
}

typedef struct expire_batch {
    obj *found[64];
    int n;
    int seen;
    long long ttl_sum;
    int ttl_n;
} expire_batch;

static void collect_expired(void *entry, void *ctx)
{
    expire_batch *b = ctx;
    obj *o = entry;
    b->seen++;
    long long e = obj_expire(o);
    if (e <= now_ms) {
        if (b->n < (int)(sizeof(b->found) / sizeof(b->found[0])))
            b->found[b->n++] = o;
    } else {
        b->ttl_sum += e - now_ms;
        b->ttl_n++;
    }
}

long long db_active_expire(db *d, long long deadline_us)
{
    if (!expiry_enabled || expiry_paused || ht_size(d->expires) == 0)
        return 0;
    long long removed = 0;
    for (;;) {
        expire_batch b = {.n = 0};
        /* Scan about 20 keys, then delete outside the scan callback: the table
         * must not change while ht_scan walks it. */
        do {
            d->expire_cursor = ht_scan(d->expires, d->expire_cursor, collect_expired, &b);
        } while (d->expire_cursor != 0 && b.seen < 20 && b.n < 48);
        for (int i = 0; i < b.n; i++)
            expire_now(d, b.found[i]);
        removed += b.n;
        if (b.ttl_n) {
            long long avg = b.ttl_sum / b.ttl_n;
            d->avg_ttl = d->avg_ttl ? (d->avg_ttl * 49 + avg) / 50 : avg;
        }
        /* As Redis: keep going only while more than 10% of what we looked at
         * had expired, so a keyspace with few stale keys costs little. */
        if (b.seen == 0 || b.n * 10 <= b.seen)
            break;
        if (ev_mono_us() >= deadline_us)
            break;
    }
    return removed;
}

void db_rehash(db *d, int ms)
{
    if (ht_is_rehashing(d->keys))
        ht_rehash_ms(d->keys, ms);
    if (ht_is_rehashing(d->expires))
        ht_rehash_ms(d->expires, ms);
}

size_t db_key_compose(char *buf, int dbid, const char *key, size_t klen)
{
    memcpy(buf, &dbid, 4);
    memcpy(buf + 4, key, klen);
    return klen + 4;
}

int db_key_dbid(const char *composed)
{
    int id;
    memcpy(&id, composed, 4);
    return id;
}

void *db_key_find_or_add(ht *t, int dbid, const char *key, size_t klen,
                         void *(*make)(const char *composed, size_t len))
{
    char small[256];
    char *k = klen + 4 <= sizeof(small) ? small : mem_alloc(klen + 4);
    size_t len = db_key_compose(k, dbid, key, klen);
    void *e = ht_find(t, k, len);
    if (!e && make) {
        e = make(k, len);
        ht_add(t, e);
    }
    if (k != small)
        mem_free(k);
    return e;
}

void *db_key_find(ht *t, int dbid, const char *key, size_t klen)
{
    return db_key_find_or_add(t, dbid, key, klen, NULL);
}
