/* evict: keeps the dataset under `maxmemory`, as Redis 7.0 does.
 *
 * Before each command (cmd_execute) and while a run is unfinished (the
 * before-sleep hook), evict_perform compares the memory in use with the
 * limit. Memory in use is mem_used() less the AOF buffers, which Redis does
 * not count either (INFO mem_not_counted_for_evict). When it is over, keys
 * are removed one at a time, chosen by maxmemory-policy:
 *   - allkeys-* from every key, volatile-* only from keys with an expire;
 *   - lru: the longest idle, lfu: the lowest access counter, ttl: the
 *     nearest expire, random: any. lru, lfu and ttl are approximated as in
 *     Redis: each round samples maxmemory-samples keys per database into a
 *     pool of the 16 best candidates seen so far, and the best of the pool
 *     goes (the pool carries over, so the choice improves across rounds).
 * An evicted key is deleted as DEL would: the AOF gets a DEL, WATCH sees a
 * change, INFO stats counts it in evicted_keys.
 *
 * A run is bounded in time by maxmemory-eviction-tenacity (10, the default,
 * allows 500 µs; 100 means no bound). A run that stops on its bound while
 * still over the limit is not a failure: the command goes on, and the next
 * loop iterations continue the run. It fails when nothing more can be
 * evicted (noeviction, or no candidate key left); then commands that may
 * grow memory (denyoom) are refused with Redis's OOM error.
 *
 * Nothing is evicted while the AOF is loading or clients are paused (the
 * dataset must stand still then, as for expiry).
 *
 * A hash table that grows allocates its new slot array at once (8 bytes a
 * slot, twice the old size), which may evict keys worth that much. Redis
 * 7.0 defers its dict expansion in that case; deferring here was measured
 * (2140358..9f9b35f) to leave the keyspace table up to 90% full, where
 * linear probing made each eviction's delete and each new key's insert
 * about a third more instructions, for about 8% more keys: not worth it.
 */
#ifndef RESPD_EVICT_H
#define RESPD_EVICT_H

enum { EVICT_OK = 0, EVICT_RUNNING = 1, EVICT_FAIL = 2 };

#define EVICT_OOM_ERROR "OOM command not allowed when used memory > 'maxmemory'."

/* Evicts until memory is under maxmemory, the time bound is reached, or
 * nothing is left to evict. Returns EVICT_OK (no limit, under it, or
 * eviction not allowed now), EVICT_RUNNING or EVICT_FAIL. */
int evict_perform(void);
/* 1 when the last run stopped on its time bound over the limit: the event
 * loop must call evict_perform again soon. */
int evict_pending(void);
/* Bytes counted against maxmemory now. */
long long evict_used_memory(void);
/* INFO stats: milliseconds spent over the limit in all, and in the current
 * stretch (0 when under it). */
long long evict_exceeded_total_ms(void);
long long evict_exceeded_current_ms(void);
/* CONFIG RESETSTAT. */
void evict_reset_stats(void);
/* Start-up: registers the CONFIG SET hooks (maxmemory: a warning when it
 * is below the current usage, then an eviction run; maxmemory-policy and
 * lfu-*: what access stamps mean), and applies the configured policy with
 * an empty candidate pool. May be called
 * again after cfg was replaced wholesale (the fuzz harness does, between
 * inputs). */
void evict_init(void);

#endif
