/* lazyfree: freeing large structures a slice at a time, for UNLINK and
 * FLUSHALL/FLUSHDB ASYNC.
 *
 * Freeing a set or hash of a million members takes tens of milliseconds,
 * and a whole database of millions of keys far longer: done inside the
 * command, every client waits. Redis hands such values to a background
 * thread. respd's allocator and its used_memory count are single-threaded,
 * so instead the loop frees queued hash tables in bounded slices, in the
 * before-sleep hook (not sleeping while some remain), and eviction frees
 * queued work before it evicts keys. INFO memory reports the objects
 * waiting (lazyfree_pending_objects) and freed so (lazyfreed_objects).
 */
#ifndef RESPD_LAZYFREE_H
#define RESPD_LAZYFREE_H

#include <stddef.h>

#include "hashtable.h"

/* Tables with at most this many entries are freed at once (Redis's
 * LAZYFREE_THRESHOLD, in allocations). */
#define LAZYFREE_MIN_ENTRIES 64

/* A value's table (UNLINK of a set or hash): freed at once when it is
 * small, otherwise queued and counted as one object. Takes ownership. */
void lazyfree_ht(ht *t);
/* A flushed database's keys table (FLUSHALL/FLUSHDB ASYNC): always queued,
 * counted as one object per key, as Redis counts them; its entries are
 * freed through entry_free (respd passes obj_entry_free_lazy, so that a
 * large value inside is queued in turn instead of freed within a slice).
 * Takes ownership. */
void lazyfree_keys(ht *t, void (*entry_free)(void *));
/* 1 while freeing work is queued. */
int lazyfree_pending(void);
/* Frees queued work for about budget_us microseconds (at least one slice).
 * Returns 1 if work remains. */
int lazyfree_step(long long budget_us);
/* Frees everything queued, however long it takes (shutdown). */
void lazyfree_drain(void);
/* INFO memory: objects waiting, and freed through the queue. */
size_t lazyfree_pending_objects(void);
size_t lazyfree_freed_objects(void);
/* CONFIG RESETSTAT: lazyfreed_objects back to 0, as in Redis. */
void lazyfree_reset_stats(void);

#endif
