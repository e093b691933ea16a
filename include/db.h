/* db: the numbered databases, lazy and active expiry.
 *
 * Each database is two hash tables over the same entries: `keys` owns them,
 * `expires` indexes the ones that carry an expire time so the active cycle can
 * walk only those. Expire times live in the entries themselves.
 *
 * Time: db_set_now() is called once per loop tick (and before each command)
 * with the unix time in ms; every expiry check uses that value, so a key does
 * not expire halfway through a command or a MULTI.
 *
 * When expiry removes a key, the expired hook (set by the server) is told, so
 * that it can count it and append a DEL to the AOF.
 */
#ifndef RESPD_DB_H
#define RESPD_DB_H

#include <stddef.h>

#include "hashtable.h"
#include "object.h"

typedef struct db {
    int id;
    ht *keys;
    ht *expires;
    unsigned long long expire_cursor;  /* where the active cycle resumes */
    long long avg_ttl;                 /* estimate, ms, for INFO keyspace */
} db;

typedef void (*db_expired_fn)(db *d, const char *key, size_t klen);

void db_init(db *d, int id);
void db_fini(db *d);

void db_set_now(long long unix_ms);
long long db_now(void);
/* While loading the AOF, expiry is suspended: keys are kept as they are. */
void db_set_expiry_enabled(int enabled);
/* While clients are paused (CLIENT PAUSE), nothing may be deleted: lookups
 * treat an expired key as missing but leave it in place, and the active
 * cycle does nothing. */
void db_set_expiry_paused(int paused);
void db_set_expired_hook(db_expired_fn fn);

/* Returns the live entry for key, removing it first if it has expired (lazy
 * expiry), or NULL. */
obj *db_lookup(db *d, const char *key, size_t klen);
/* Like db_lookup but never removes anything: an expired key reads as absent. */
obj *db_peek(db *d, const char *key, size_t klen);
/* Adds o (takes ownership). Its key must be absent (use db_lookup first). */
void db_add(db *d, obj *o);
/* Stores o (takes ownership) in place of any entry with the same key, which is
 * freed. The expire time is whatever o carries. Replacing counts as an
 * access of the old entry, whose LFU counter o keeps (obj_access_inherit). */
void db_set(db *d, obj *o);
/* Replaces old (an entry in d) by o, which has the same key (after a change
 * that needed a new allocation). old must not be used afterwards unless o ==
 * old. */
void db_replace(db *d, obj *old, obj *o);
/* Removes and frees the entry. Returns 1 if a key was removed. */
int db_delete(db *d, const char *key, size_t klen);
/* Removes the entry without freeing it and returns it (for MOVE, RENAME). */
obj *db_unlink(db *d, const char *key, size_t klen);
/* Sets or clears (OBJ_NO_EXPIRE) the expire time of o, an entry in d. Returns
 * the entry to use from now on. */
obj *db_set_expire(db *d, obj *o, long long when_ms);

size_t db_size(const db *d);
size_t db_expires_count(const db *d);
/* Removes every key. */
void db_flush(db *d);
/* Removes every key at once, freeing them later in slices (lazyfree.c):
 * FLUSHDB/FLUSHALL ASYNC. */
void db_flush_lazy(db *d);
/* Picks a random live key (expired ones are removed on the way), or NULL. */
obj *db_random(db *d);

/* Active expiry: walks the expires index from the saved cursor, removing keys
 * whose time has passed, until `deadline_us` (ev_mono_us clock) or until a
 * full pass found few expired keys. Returns the number of keys removed. */
long long db_active_expire(db *d, long long deadline_us);

/* Incremental rehash of both tables for up to ms milliseconds. */
void db_rehash(db *d, int ms);

/* Tables keyed by (database, key), such as the clients blocked on keys and
 * the watched keys: the pair as one byte string, the database id's 4 bytes
 * then the key. db_key_compose writes it into buf (klen + 4 bytes) and
 * returns its length; db_key_dbid reads the id back; db_key_find looks the
 * pair up in such a table. */
size_t db_key_compose(char *buf, int dbid, const char *key, size_t klen);
int db_key_dbid(const char *composed);
void *db_key_find(ht *t, int dbid, const char *key, size_t klen);
/* Like db_key_find, but when the pair is absent adds make(composed, len),
 * the caller's new record for it (which must carry the composed key for
 * t's key callback), and returns that. */
void *db_key_find_or_add(ht *t, int dbid, const char *key, size_t klen,
                         void *(*make)(const char *composed, size_t len));

#endif
