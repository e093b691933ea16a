/* evict: maxmemory and its policies. See evict.h for what a run does.
 *
 * The candidate pool holds copies of keys, not entries: an entry may be
 * deleted or replaced between two runs, so a candidate is looked up again
 * when its turn comes and skipped if it is gone. Scores: higher is evicted
 * first.
 */
#include "evict.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "aof.h"
#include "config.h"
#include "db.h"
#include "ev.h"
#include "hashtable.h"
#include "lazyfree.h"
#include "log.h"
#include "mem.h"
#include "object.h"
#include "pause.h"
#include "server.h"
#include "util.h"

#define POOL_SIZE 16

typedef struct candidate {
    unsigned long long score;
    uint64_t hash; /* of the key: most duplicate checks end here */
    int dbid;
    char *key; /* owned; NULL: a free slot */
    size_t klen;
} candidate;

static candidate pool[POOL_SIZE];
static int pending;
static int next_db; /* the random policies take their databases in turn */
static long long exceeded_since_us; /* 0: under the limit */
static long long exceeded_total_us;

static int policy_is_volatile(int p)
{
    return p == MAXMEMORY_VOLATILE_LRU || p == MAXMEMORY_VOLATILE_LFU ||
           p == MAXMEMORY_VOLATILE_RANDOM || p == MAXMEMORY_VOLATILE_TTL;
}

static int policy_is_random(int p)
{
    return p == MAXMEMORY_VOLATILE_RANDOM || p == MAXMEMORY_ALLKEYS_RANDOM;
}

static int policy_is_lfu(int p)
{
    return p == MAXMEMORY_VOLATILE_LFU || p == MAXMEMORY_ALLKEYS_LFU;
}

long long evict_used_memory(void)
{
    long long used = (long long)mem_used() - aof_buffered_bytes();
    return used > 0 ? used : 0;
}

static void pool_clear(void)
{
    for (int i = 0; i < POOL_SIZE; i++) {
        mem_free(pool[i].key);
        pool[i].key = NULL;
    }
    next_db = 0;
}

static unsigned long long score_of(const obj *o)
{
    switch (cfg.maxmemory_policy) {
    case MAXMEMORY_VOLATILE_TTL:
        /* The nearest expire first. */
        return ULLONG_MAX - (unsigned long long)obj_expire(o);
    case MAXMEMORY_VOLATILE_LFU:
    case MAXMEMORY_ALLKEYS_LFU:
        return 255 - obj_lfu_counter(o);
    default:
        return (unsigned long long)obj_idle_seconds(o);
    }
}

/* Offers one sampled entry to the pool: it takes a free slot, or the
 * place of the worst candidate when it beats it. */
static void pool_offer(int dbid, const obj *o)
{
    const char *key;
    size_t klen;
    obj_key(o, &key, &klen);
    unsigned long long score = score_of(o);
    uint64_t hash = ht_hash(key, klen);
    int free_slot = -1, worst = -1;
    for (int i = 0; i < POOL_SIZE; i++) {
        candidate *c = &pool[i];
        if (!c->key) {
            free_slot = i;
        } else if (c->hash == hash && c->dbid == dbid && c->klen == klen &&
                   memcmp(c->key, key, klen) == 0) {
            c->score = score; /* sampled again: its score is fresher */
            return;
        } else if (worst < 0 || c->score < pool[worst].score) {
            worst = i;
        }
    }
    candidate *c;
    if (free_slot >= 0) {
        c = &pool[free_slot];
    } else {
        c = &pool[worst];
        if (c->score >= score)
            return;
        mem_free(c->key);
    }
    c->key = mem_alloc(klen ? klen : 1);
    memcpy(c->key, key, klen);
    c->klen = klen;
    c->hash = hash;
    c->dbid = dbid;
    c->score = score;
}

static ht *table_of(db *d)
{
    return policy_is_volatile(cfg.maxmemory_policy) ? d->expires : d->keys;
}

/* The random policies: any key, the databases taken in turn. */
static int pick_random(int *dbid, obj **o)
{
    for (int i = 0; i < server.ndbs; i++) {
        next_db = (next_db + 1) % server.ndbs;
        ht *t = table_of(&server.dbs[next_db]);
        if (ht_size(t) == 0)
            continue;
        *dbid = next_db;
        *o = ht_random(t, util_random());
        return *o != NULL;
    }
    return 0;
}

/* Offers maxmemory-samples keys of each database to the pool (no more
 * than a table holds: a huge setting must not turn each eviction into a
 * long loop over a small table). Returns 0 when no key may be evicted. */
static int sample_all(void)
{
    int any = 0;
    for (int i = 0; i < server.ndbs; i++) {
        ht *t = table_of(&server.dbs[i]);
        size_t samples = (size_t)cfg.maxmemory_samples;
        if (samples > ht_size(t))
            samples = ht_size(t);
        for (size_t k = 0; k < samples; k++)
            pool_offer(i, ht_random(t, util_random()));
        any |= samples > 0;
    }
    return any;
}

/* Takes the best candidate out of the pool; *o is its entry, or NULL when
 * the key is gone (or, for a volatile policy, lost its expire). Returns 0
 * when the pool is empty. */
static int pool_take_best(int *dbid, obj **o)
{
    int best = -1;
    for (int i = 0; i < POOL_SIZE; i++)
        if (pool[i].key && (best < 0 || pool[i].score > pool[best].score))
            best = i;
    if (best < 0)
        return 0;
    candidate *c = &pool[best];
    obj *e = ht_find(server.dbs[c->dbid].keys, c->key, c->klen);
    if (e && policy_is_volatile(cfg.maxmemory_policy) && obj_expire(e) == OBJ_NO_EXPIRE)
        e = NULL;
    *dbid = c->dbid;
    *o = e;
    mem_free(c->key);
    c->key = NULL;
    return 1;
}

/* Picks the next victim into (*dbid, *o). Returns 0 when there is none. */
static int pick(int *dbid, obj **o)
{
    if (policy_is_random(cfg.maxmemory_policy))
        return pick_random(dbid, o);
    while (sample_all()) {
        /* The best candidate that still exists; stale ones are dropped,
         * and when all were stale the databases are sampled again. */
        while (pool_take_best(dbid, o))
            if (*o)
                return 1;
    }
    return 0;
}

/* Deletes the entry as DEL would, seen by the AOF and by WATCH. */
static void evict_entry(int dbid, obj *o)
{
    db *d = &server.dbs[dbid];
    const char *key;
    size_t klen;
    obj_key(o, &key, &klen);
    server_key_removed(d, key, klen);
    db_delete(d, key, klen); /* key points into o: used before o is freed */
    server.stats.evicted_keys++;
}

/* The time one run may take, in µs; -1 means no bound. Up to tenacity 10 a
 * straight line to 500 µs, then 15% more per step (about two minutes at
 * 99), as Redis documents it. */
static long long time_bound_us(void)
{
    int t = cfg.maxmemory_eviction_tenacity;
    if (t >= 100)
        return -1;
    if (t <= 10)
        return 50LL * t;
    double us = 500.0;
    for (int i = 10; i < t; i++)
        us *= 1.15;
    return (long long)us;
}

/* Opens or closes a stretch over the limit (the clock is read only when
 * the state changes: this runs before every command). */
static void note_exceeded(int over)
{
    if (over && !exceeded_since_us) {
        exceeded_since_us = ev_mono_us();
    } else if (!over && exceeded_since_us) {
        exceeded_total_us += ev_mono_us() - exceeded_since_us;
        exceeded_since_us = 0;
    }
}

int evict_perform(void)
{
    pending = 0;
    if (server.loading || pause_active())
        return EVICT_OK;
    if (!cfg.maxmemory || evict_used_memory() <= cfg.maxmemory) {
        note_exceeded(0);
        return EVICT_OK;
    }
    /* Memory an UNLINK or FLUSH ASYNC has yet to give back goes first,
     * within the run's time bound. */
    long long bound = time_bound_us();
    if (lazyfree_pending()) {
        if (bound < 0)
            lazyfree_drain();
        else
            lazyfree_step(bound);
        if (evict_used_memory() <= cfg.maxmemory) {
            note_exceeded(0);
            return EVICT_OK;
        }
        /* Still some to come back: no live key goes before it has (the
         * loop goes on freeing); noeviction still refuses, as Redis does
         * after its short wait for its freeing thread. */
        if (lazyfree_pending() && cfg.maxmemory_policy != MAXMEMORY_NO_EVICTION) {
            pending = 1;
            note_exceeded(1);
            return EVICT_RUNNING;
        }
    }
    int result = EVICT_FAIL;
    if (cfg.maxmemory_policy != MAXMEMORY_NO_EVICTION) {
        long long start = ev_mono_us();
        long long n = 0;
        int dbid;
        obj *o;
        result = EVICT_OK;
        while (evict_used_memory() > cfg.maxmemory) {
            if (!pick(&dbid, &o)) {
                result = EVICT_FAIL;
                break;
            }
            evict_entry(dbid, o);
            if (++n % 16 == 0 && bound >= 0 && ev_mono_us() - start >= bound) {
                if (evict_used_memory() > cfg.maxmemory) {
                    pending = 1;
                    result = EVICT_RUNNING;
                }
                break;
            }
        }
    }
    note_exceeded(result != EVICT_OK);
    return result;
}

int evict_pending(void)
{
    return pending;
}

long long evict_exceeded_total_ms(void)
{
    long long us = exceeded_total_us;
    if (exceeded_since_us)
        us += ev_mono_us() - exceeded_since_us;
    return us / 1000;
}

long long evict_exceeded_current_ms(void)
{
    return exceeded_since_us ? (ev_mono_us() - exceeded_since_us) / 1000 : 0;
}

void evict_reset_stats(void)
{
    exceeded_total_us = 0;
    if (exceeded_since_us)
        exceeded_since_us = ev_mono_us();
}

static int apply_policy(const char **err);

static int apply_maxmemory(const char **err)
{
    if (!cfg.maxmemory)
        return 0;
    /* A CONFIG SET that also changes the policy runs the hooks in its
     * argument order: the stamps must mean what the new policy reads. */
    apply_policy(err);
    long long used = evict_used_memory();
    if (cfg.maxmemory < used)
        log_warning("WARNING: the new maxmemory value set via CONFIG SET (%lld) is smaller than "
                    "the current memory usage (%lld). This will result in key eviction and/or "
                    "the inability to accept new write commands depending on the "
                    "maxmemory-policy.",
                    cfg.maxmemory, used);
    evict_perform();
    return 0;
}

static int apply_policy(const char **err)
{
    (void)err;
    /* Scores of one policy mean nothing to another. */
    pool_clear();
    obj_access_setup(policy_is_lfu(cfg.maxmemory_policy), cfg.lfu_log_factor, cfg.lfu_decay_time);
    return 0;
}

void evict_init(void)
{
    config_set_apply_hook("maxmemory", apply_maxmemory);
    config_set_apply_hook("maxmemory-policy", apply_policy);
    config_set_apply_hook("lfu-log-factor", apply_policy);
    config_set_apply_hook("lfu-decay-time", apply_policy);
    const char *err = NULL;
    apply_policy(&err);
    if (cfg.maxmemory && cfg.maxmemory < 1024 * 1024)
        log_warning("WARNING: You specified a maxmemory value that is less than 1MB (current "
                    "value is %lld bytes). Are you sure this is what you really want?",
                    cfg.maxmemory);
}
