/* hashtable: an open-addressing hash table of opaque entries.
 *
 * The table stores pointers to entries the caller allocated; it never looks
 * inside an entry except through the type's entry_key callback, which returns
 * the key bytes. It does not chain: collisions are resolved by linear probing
 * and deletion uses backward shift, so there are no tombstones.
 *
 * Resizing is incremental. When the load passes the grow threshold (or falls
 * below the shrink threshold) a second table is allocated and entries migrate
 * a bounded number of slots at a time: a little on every find/add/delete, and
 * more from ht_rehash_ms() which the server calls once per loop tick. No single
 * call pays for a whole rehash.
 *
 * ht_scan() uses a reverse-binary cursor over home buckets, so an entry that is
 * present for the whole of a scan is returned at least once, even while the
 * table grows, shrinks or rehashes between calls (it may be returned twice).
 *
 * Entries must be at least 2-byte aligned and live in the low 48 bits of the
 * address space (true for every malloc on x86-64 and aarch64 Linux); the table
 * keeps a few hash bits in the unused high bits of each slot.
 *
 * Invariant for callers: never modify the table from inside a scan callback,
 * and never change an entry's key while it is in a table.
 */
#ifndef RESPD_HASHTABLE_H
#define RESPD_HASHTABLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct ht ht;

typedef struct ht_type {
    /* Sets *key and *len to the entry's key. Required. */
    void (*entry_key)(const void *entry, const char **key, size_t *len);
    /* Destroys an entry removed by ht_delete, ht_clear or ht_free. May be NULL. */
    void (*entry_free)(void *entry);
} ht_type;

/* Called by ht_scan for each entry visited. */
typedef void (*ht_scan_fn)(void *entry, void *ctx);

/* The keyed hash used by every table. The seed is process-wide; set it once at
 * start-up from a random source, before any table is filled. */
void ht_set_seed(const uint8_t seed[16]);
uint64_t ht_hash(const void *key, size_t len);

/* Returns an empty table. type must outlive the table. Caller frees with ht_free. */
ht *ht_new(const ht_type *type);
/* Destroys every entry with type->entry_free, then the table. NULL is accepted. */
void ht_free(ht *t);
/* Destroys every entry with type->entry_free; the table stays usable and empty. */
void ht_clear(ht *t);

/* Number of entries. */
/* Frees t a bounded step at a time (lazyfree.c): visits up to `budget`
 * slots, freeing their entries through entry_free (NULL: the type's
 * destructor). Returns 1 when t is entirely freed (t is then invalid), 0
 * when work remains. t must not be used otherwise once this has been
 * called on it. */
int ht_free_step(ht *t, size_t budget, void (*entry_free)(void *));
size_t ht_size(const ht *t);
/* Number of slots in the table(s): capacity, for INFO and memory estimates. */
size_t ht_slots(const ht *t);
/* Bytes used by the slot arrays (not by entries). */
size_t ht_mem_usage(const ht *t);
/* 1 while an incremental resize is in progress. */
int ht_is_rehashing(const ht *t);

/* Returns the entry whose key equals key[0..len), or NULL. */
void *ht_find(ht *t, const void *key, size_t len);
/* Inserts entry. Its key must not be in the table already (check with ht_find). */
void ht_add(ht *t, void *entry);
/* Puts entry in place of the stored entry with the same key and returns the old
 * one (not freed), or adds it and returns NULL when the key was absent. */
void *ht_replace(ht *t, void *entry);
/* Removes the entry with this key and returns it without destroying it, or
 * returns NULL when absent. */
void *ht_pop(ht *t, const void *key, size_t len);
/* Removes the entry with this key and destroys it with entry_free. Returns 1
 * if an entry was removed, 0 if the key was absent. */
int ht_delete(ht *t, const void *key, size_t len);

/* Visits some entries starting at cursor and returns the next cursor; 0 means
 * the scan is complete. Start with cursor 0. Each call does work proportional
 * to a few buckets (plus the probe clusters starting in them). */
uint64_t ht_scan(ht *t, uint64_t cursor, ht_scan_fn fn, void *ctx);

/* Returns a random entry, or NULL when empty. rnd is a uniformly random 64-bit
 * value supplied by the caller. The choice is close to, not exactly, uniform. */
void *ht_random(ht *t, uint64_t rnd);

/* Does incremental rehash work for up to `ms` milliseconds, in small steps.
 * Returns 1 if a resize is still in progress afterwards. */
int ht_rehash_ms(ht *t, int ms);
/* Does a bounded step of rehash work (about `slots` slots). */
void ht_rehash_step(ht *t, size_t slots);

/* When 0, tables neither start nor continue a resize unless load becomes
 * critical (used while a forked child shares the memory pages). Default 1. */
void ht_set_resize_allowed(int allowed);

/* Full iteration in a single pass, with no modifications allowed meanwhile.
 * Usage: ht_iter it; ht_iter_init(&it, t); while ((e = ht_iter_next(&it))) ... */
typedef struct ht_iter {
    ht *t;
    int table;
    size_t idx;
} ht_iter;
void ht_iter_init(ht_iter *it, ht *t);
void *ht_iter_next(ht_iter *it);

#endif
