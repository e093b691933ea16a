/* object: keyspace entries: a key, its value and its expire time, in one
 * allocation.
 *
 * Layout (private to object.c; documented because memory per key matters):
 *   byte 0     type (4 bits) | encoding (3 bits) | has-expire (1 bit)
 *   bytes 1-3  LRU clock in seconds (24 bits), for OBJECT IDLETIME
 *   [8 bytes]  absolute expire time in unix ms, only when has-expire is set
 *   varint     key length, then the key bytes
 *   value      strings: varint length then the bytes, inline; or, for a
 *              string APPEND or SETRANGE grew past OBJ_GROW_MIN bytes, a
 *              pointer to its bytes in a buffer with spare room (tag bit 3);
 *              other types: a pointer to their own structure
 * Strings live inline so that a typical small key costs one allocation.
 * Anything that changes the size (a new value, adding or removing an expire)
 * makes a new entry: callers must use the returned pointer and put it in the
 * tables in place of the old one (db does that); only a buffered string
 * grows in place (obj_str_grow).
 */
#ifndef RESPD_OBJECT_H
#define RESPD_OBJECT_H

#include <stddef.h>
#include <stdint.h>

enum { OBJ_STRING = 0, OBJ_LIST = 1, OBJ_SET = 2, OBJ_ZSET = 3, OBJ_HASH = 4 };
#define OBJ_NTYPES 5
/* Encodings, named as Redis names them in OBJECT ENCODING (3 bits). The
 * first three are for strings; the rest name the structure a collection
 * currently uses, where it plays the role of Redis's. */
enum {
    OBJ_ENC_RAW = 0,
    OBJ_ENC_INT = 1,
    OBJ_ENC_EMBSTR = 2,
    OBJ_ENC_LISTPACK = 3,
    OBJ_ENC_QUICKLIST = 4,
    OBJ_ENC_INTSET = 5,
    OBJ_ENC_HASHTABLE = 6,
    OBJ_ENC_SKIPLIST = 7,
};

/* Called by a type's rewrite callback for each command that rebuilds the
 * value (AOF rewrite); argv[i] need not be NUL-terminated. */
typedef void (*obj_emit_fn)(void *ctx, int argc, const char **argv, const size_t *lens);

/* What the keyspace needs to know about a collection type's value. */
typedef struct obj_type_ops {
    /* Frees the value. Required. */
    void (*free)(void *val);
    /* A deep copy of the value (COPY). Required. */
    void *(*dup)(const void *val);
    /* Emits the fewest commands that rebuild the value under key, batched
     * into variadic commands (RPUSH/SADD/HSET/ZADD with many arguments).
     * Required for the AOF rewrite. */
    void (*rewrite)(const char *key, size_t klen, const void *val, obj_emit_fn emit, void *ctx);
    /* Frees the value, handing a large table to lazyfree.c to free in
     * slices (UNLINK). Optional: without it, free runs. */
    void (*free_lazy)(void *val);
} obj_type_ops;

/* Registers the operations of a collection type (at start-up, once). */
void obj_register_type(int type, const obj_type_ops *ops);
const obj_type_ops *obj_type_ops_of(int type);

#define OBJ_NO_EXPIRE (-1LL)
/* Redis's limit for the int encoding and for embstr. */
#define OBJ_EMBSTR_MAX 44

typedef struct obj obj;

/* How obj_new_string picks the encoding OBJECT ENCODING reports. */
enum {
    OBJ_ENC_CHOOSE = 0, /* as SET: int, embstr up to 44 bytes, raw above */
    OBJ_ENC_FORCE_RAW,  /* APPEND and SETRANGE results are raw in Redis */
    OBJ_ENC_NO_INT,     /* INCRBYFLOAT results: embstr or raw, never int */
};

/* A new string entry; `how` is one of the OBJ_ENC_ choices above. expire is
 * unix ms or OBJ_NO_EXPIRE. Caller owns the result (obj_free). */
obj *obj_new_string(const char *key, size_t klen, const char *val, size_t vlen, long long expire,
                    int how);
/* Growing a string in place (APPEND, SETRANGE): returns a string entry
 * equal to o whose value is newlen bytes long (newlen at least its current
 * length): the current bytes, then zeros; *bytes points to them, writable
 * until the entry changes again. The encoding becomes raw, as in Redis.
 * Past OBJ_GROW_MIN bytes the value moves out of the entry into a buffer
 * with spare room (twice the length, at most 1 MB spare, as Redis's sds),
 * so that repeated appends cost amortized O(appended bytes), not a copy of
 * the whole value each. When the result is o itself (a buffered value, or
 * an inline one of the same length) no table changes; otherwise it is a new
 * entry, and o is left as it was for the caller to swap out with db_replace,
 * which frees it. */
#define OBJ_GROW_MIN 64
obj *obj_str_grow(obj *o, size_t newlen, char **bytes);
/* A new collection entry owning val (freed through the type's ops). */
obj *obj_new_value(const char *key, size_t klen, int type, int enc, void *val, long long expire);
/* The value of a collection entry. */
void *obj_value(const obj *o);
/* Replaces the value pointer and encoding in place (after a conversion);
 * the old value is not freed. */
void obj_set_value(obj *o, void *val, int enc);

/* Frees the entry and the value it owns. */
void obj_free(obj *o);
/* Like obj_free, but a large collection value is freed in slices by the
 * event loop (lazyfree.c) rather than now. */
void obj_free_lazy(obj *o);
/* Frees only the entry, not a collection value it points to: for an entry
 * whose value was moved to another entry (obj_with_expire, obj_rename).
 * For strings this is obj_free. */
void obj_free_shell(obj *o);

int obj_type(const obj *o);
int obj_encoding(const obj *o);
/* Redis's name for the encoding: "int", "embstr", "raw" ... */
const char *obj_encoding_name(const obj *o);
/* Redis's name for the type: "string", "list", ... */
const char *obj_type_name(const obj *o);

void obj_key(const obj *o, const char **key, size_t *len);
/* The string value; valid until the entry is freed or replaced. */
void obj_str(const obj *o, const char **val, size_t *len);

long long obj_expire(const obj *o);
/* Returns an entry equal to o but with the given expire (OBJ_NO_EXPIRE to
 * remove it): o itself when the change fits in place, otherwise a new entry
 * that takes over o's value; o is then left untouched so that the caller
 * can swap it out of the tables (which compare keys through it) before
 * freeing it with obj_free_shell. */
obj *obj_with_expire(obj *o, long long expire);
/* A copy of o under another key, keeping the expire; a collection value is
 * deep-copied (COPY). */
obj *obj_copy_as(const obj *o, const char *key, size_t klen);
/* A new entry under another key that takes over o's value and expire
 * (RENAME): afterwards free o with obj_free_shell. */
obj *obj_rename(const obj *o, const char *key, size_t klen);

/* The access stamp: 24 bits per entry that say how recently (LRU) or how
 * often (LFU) the key was used, for OBJECT IDLETIME / OBJECT FREQ and for
 * eviction (evict.c). What they hold depends on the maxmemory-policy, as in
 * Redis:
 *   - LRU (every policy but the LFU ones): the unix time of the last
 *     access in seconds, modulo 2^24;
 *   - LFU: the time of the last decrement in minutes (16 bits, modulo
 *     2^16) above an 8-bit logarithmic access counter. A new key starts at
 *     OBJ_LFU_INIT so that it is not evicted before it had a chance to be
 *     used; each access first takes one from the counter per lfu-decay-time
 *     minutes elapsed, then adds one with probability 1 / ((counter -
 *     OBJ_LFU_INIT) * lfu-log-factor + 1).
 * Switching policy reinterprets the bits: stamps are right again once keys
 * have been accessed under the new policy (Redis says the same).
 *
 * obj_new_string and obj_new_value stamp new entries themselves. */
#define OBJ_LRU_MAX ((1u << 24) - 1)
#define OBJ_LFU_INIT 5
/* Chooses the meaning of the stamps and the LFU parameters (lfu-log-factor,
 * lfu-decay-time in minutes, 0 = no decay). */
void obj_access_setup(int lfu, int log_factor, int decay_minutes);
int obj_access_is_lfu(void);
/* The current time for stamps, unix ms; called once per loop tick. */
void obj_access_clock(long long unix_ms);
/* Records an access to o (a read or a write through a lookup that touches). */
void obj_access(obj *o);
/* Under LFU, n replacing old under the same key keeps old's counter, as
 * Redis keeps it when a value is overwritten; under LRU n keeps its own. */
void obj_access_inherit(obj *n, const obj *old);
/* The same for an overwrite that did not look old up first (db_set): old's
 * access is counted, then inherited, as Redis's setKey does. */
void obj_access_overwrite(obj *n, obj *old);
/* Seconds since the last access (LRU stamps). */
long long obj_idle_seconds(const obj *o);
/* The LFU counter after decay, without counting an access (OBJECT FREQ). */
unsigned obj_lfu_counter(const obj *o);
/* The raw 24 bits, for entries rebuilt from another (same key or RENAME). */
void obj_touch(obj *o, uint32_t stamp);
uint32_t obj_lru(const obj *o);

/* Bytes this entry occupies (entry only), for memory estimates. */
size_t obj_size(const obj *o);

/* The ht_type key callback for tables of entries. */
void obj_entry_key(const void *entry, const char **key, size_t *len);
void obj_entry_free(void *entry);
/* The same through obj_free_lazy (a lazily freed keys table). */
void obj_entry_free_lazy(void *entry);

#endif
