/* hashtable: open addressing with linear probing and incremental resize.
 *
 * What it does: stores caller-owned entries in a power-of-two array of 64-bit
 * slots. A slot is 0 when empty; otherwise its low 48 bits hold the entry
 * pointer and its high 16 bits hold the high 16 bits of the entry's hash (the
 * "tag"). A probe compares tags first, so it dereferences an entry (through
 * type->entry_key) only about once in 65536 mismatches. Full hashes are not
 * stored anywhere: when one is needed (moving an entry to another table, the
 * backward shift after a delete, a scan), it is recomputed from the key. That
 * keeps the cost at 8 bytes per slot.
 *
 * What it leaves to others: entries' memory and their keys (the caller
 * allocates; type->entry_free destroys), choosing the hash seed (the server
 * sets it from a random source at start-up), and deciding when to call
 * ht_rehash_ms (once per loop tick).
 *
 * Invariants:
 *  1. Probe path: an entry whose home slot is h (h = hash & mask) and that sits
 *     at slot p has every slot from h to p (cyclically) occupied. Lookups stop
 *     at the first empty slot. Deletion restores this with a backward shift,
 *     so there are no tombstones.
 *  2. No table is ever full: every table keeps at least one empty slot, so
 *     every probe terminates.
 *  3. While rehashing, t[0] (old) only loses entries and t[1] (new) receives
 *     every insert. Migration walks t[0] from just after an empty slot and only
 *     ever stops right after processing an empty slot, so the part of t[0] not
 *     yet migrated consists of whole probe clusters and invariant 1 still holds
 *     there. An entry is in exactly one of the two tables.
 *
 * Thresholds (size = slots in a table):
 *  - grow when an insert would take the table above ~0.766 load
 *    (size - size/4 + size/64); the new table is twice the size;
 *  - shrink, checked after a delete and when a resize completes, when fewer
 *    than size/8 slots are used, to the smallest power of two (at least
 *    MIN_SLOTS) that is at most half full;
 *  - critical load ~0.9 (size - 1 - size/10, which keeps invariant 2): with
 *    ht_set_resize_allowed(0) a resize still starts (and proceeds) past it,
 *    and while rehashing, when the entries of both tables reach the new
 *    table's critical load, the old table's remainder migrates synchronously
 *    before the insert. Rehashing also pauses (ht_rehash_ms, ht_rehash_step
 *    and the per-operation steps) while resizing is not allowed, unless the
 *    resize was started at critical load.
 *
 * Work per call: every find/add/replace/pop/delete first migrates the old
 * table's slots up to the end of the first cluster holding an entry, or up to
 * the first cluster boundary after REHASH_OP_VISITS slots when the old table
 * is sparse. Each step consumes at least one empty slot, so growing from S
 * slots (at most ~0.23 S empty) finishes within about S/4 operations, long
 * before the new table (2S slots) could get crowded. Clusters are short with a
 * seeded hash (about 3 entries on average at 0.77 load, a few hundred at most
 * in a million), so a step is small.
 */
#include "hashtable.h"

#include "mem.h"

#include <assert.h>
#include <string.h>
#include <time.h>

#define PTR_MASK ((UINT64_C(1) << 48) - 1)
#define TAG_MASK (~PTR_MASK)

/* Smallest slot array; an empty table built by ht_new or ht_clear has none. */
#define MIN_SLOTS 4
/* A per-operation rehash step stops at the first cluster boundary after it has
 * moved one entry or visited this many slots. */
#define REHASH_OP_VISITS 16
/* ht_rehash_ms works in steps of this many slots between clock reads. */
#define REHASH_MS_SLOTS 256

struct table {
    uint64_t *slots; /* NULL when the table holds no array */
    size_t mask;     /* slots - 1; 0 when there is no array */
    size_t used;     /* entries */
    size_t grow_at;  /* most entries before growing */
    size_t crit_at;  /* most entries even when resizing is not allowed */
};

struct ht {
    const ht_type *type;
    struct table t[2]; /* t[1] holds an array only while rehashing */
    size_t rehash_idx; /* next slot of t[0] to migrate (reduce with & mask) */
    size_t rehash_end; /* one past the last slot to migrate, same numbering */
    int rehashing;
    int forced; /* the resize in progress was started at critical load */
    size_t free_pos; /* ht_free_step: next slot to free */
};

static int resize_allowed = 1;

/* ---- hashing ------------------------------------------------------------ */

/* Secret keys derived from the seed. The defaults make the hash usable before
 * ht_set_seed; they are not secret, so the server must set a seed. */
static uint64_t hkey[4] = {
    UINT64_C(0x243f6a8885a308d3), UINT64_C(0x13198a2e03707344),
    UINT64_C(0xa4093822299f31d0), UINT64_C(0x082efa98ec4e6c89),
};

/* The 128-bit product of a and b, with its halves xored together. Each output
 * bit depends on every input bit through the high half. */
static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
    unsigned __int128 p = (unsigned __int128)a * b;
    return (uint64_t)p ^ (uint64_t)(p >> 64);
#else
    uint64_t al = a & 0xffffffffu, ah = a >> 32, bl = b & 0xffffffffu, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    uint64_t lo = (mid << 32) | (ll & 0xffffffffu);
    uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    return lo ^ hi;
#endif
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint64_t load32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* The body of ht_hash, kept static inline so lookups get it inlined.
 *
 * Keys of up to 16 bytes are read as two (possibly overlapping) words, which
 * together with the length identify the key exactly; longer keys are absorbed
 * 16 bytes at a time into a chained accumulator, and their last 16 bytes (which
 * may overlap the previous block) form the final block. Every block goes
 * through one folded multiply with secret-dependent operands, so an attacker
 * who does not know the keys cannot steer words to cancel. The length enters
 * last, multiplied with the accumulator, which is also the final avalanche:
 * the index uses the low bits and the tag the high bits of the result. */
static inline uint64_t hash_bytes(const void *key, size_t len)
{
    const uint8_t *p = key;
    uint64_t acc = hkey[2];
    uint64_t a, b;

    if (len <= 16) {
        if (len >= 8) {
            a = load64(p);
            b = load64(p + len - 8);
        } else if (len >= 4) {
            a = load32(p);
            b = load32(p + len - 4);
        } else if (len > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[len >> 1] << 8) | p[len - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t n = len;
        while (n > 16) {
            acc = fold_mul(load64(p) ^ hkey[1], load64(p + 8) ^ acc);
            p += 16;
            n -= 16;
        }
        a = load64(p + n - 16);
        b = load64(p + n - 8);
    }
    acc = fold_mul(a ^ hkey[1], b ^ acc);
    return fold_mul(acc ^ hkey[0], (uint64_t)len ^ hkey[3]);
}

uint64_t ht_hash(const void *key, size_t len)
{
    return hash_bytes(key, len);
}

void ht_set_seed(const uint8_t seed[16])
{
    uint64_t s0 = load64(seed), s1 = load64(seed + 8);
    /* Spread the 128 seed bits over four keys; odd multiples of two unrelated
     * constants keep the keys distinct and non-zero even for a zero seed. */
    for (uint64_t i = 0; i < 4; i++) {
        uint64_t k = fold_mul(s0 ^ (UINT64_C(0x9e3779b97f4a7c15) * (2 * i + 1)),
                              s1 ^ (UINT64_C(0xc2b2ae3d27d4eb4f) * (2 * i + 1)));
        hkey[i] = k ? k : UINT64_C(0x9e3779b97f4a7c15) + i;
    }
}

/* ---- slots and tables --------------------------------------------------- */

static inline void *slot_entry(uint64_t s)
{
    return (void *)(uintptr_t)(s & PTR_MASK);
}

static inline uint64_t entry_hash(const ht *t, const void *e)
{
    const char *k;
    size_t n;
    t->type->entry_key(e, &k, &n);
    return hash_bytes(k, n);
}

static void table_init(struct table *tb, size_t size)
{
    tb->slots = mem_calloc(size, sizeof(uint64_t));
    tb->mask = size - 1;
    tb->used = 0;
    tb->grow_at = size - size / 4 + size / 64;
    tb->crit_at = size - 1 - size / 10;
}

static void table_reset(struct table *tb)
{
    tb->slots = NULL;
    tb->mask = 0;
    tb->used = 0;
    tb->grow_at = 0;
    tb->crit_at = 0;
}

static inline size_t table_size(const struct table *tb)
{
    return tb->slots ? tb->mask + 1 : 0;
}

/* Returns the slot holding the entry with this key, or NULL. */
static inline uint64_t *table_find(const ht *t, const struct table *tb, uint64_t h,
                                   const void *key, size_t len)
{
    if (tb->used == 0)
        return NULL;
    uint64_t tag = h & TAG_MASK;
    size_t mask = tb->mask;
    uint64_t *slots = tb->slots;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t s = slots[i];
        if (s == 0)
            return NULL;
        if ((s & TAG_MASK) != tag)
            continue;
        const char *k;
        size_t n;
        t->type->entry_key(slot_entry(s), &k, &n);
        if (n == len && (len == 0 || memcmp(k, key, len) == 0))
            return &slots[i];
    }
}

/* Stores slot value s (hash h) in the first empty slot of its probe path. */
static inline void table_put(struct table *tb, uint64_t h, uint64_t s)
{
    size_t mask = tb->mask;
    size_t i = h & mask;
    while (tb->slots[i])
        i = (i + 1) & mask;
    tb->slots[i] = s;
    tb->used++;
}

/* Empties slot i and shifts later members of its cluster back so that every
 * probe path stays unbroken (invariant 1). An entry at j may fill the hole at
 * i unless its home lies cyclically in (i, j], i.e. unless moving it would put
 * it before its home. */
static void table_remove_at(const ht *t, struct table *tb, size_t i)
{
    size_t mask = tb->mask;
    uint64_t *slots = tb->slots;
    for (size_t j = (i + 1) & mask; slots[j]; j = (j + 1) & mask) {
        size_t home = entry_hash(t, slot_entry(slots[j])) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            slots[i] = slots[j];
            i = j;
        }
    }
    slots[i] = 0;
    tb->used--;
}

/* ---- incremental resize ------------------------------------------------- */

static void maybe_shrink(ht *t);

static void rehash_done(ht *t)
{
    mem_free(t->t[0].slots);
    t->t[0] = t->t[1];
    table_reset(&t->t[1]);
    t->rehashing = 0;
    t->forced = 0;
    /* Deletes during a resize may have left the new table sparse. */
    maybe_shrink(t);
}

static inline int may_rehash(const ht *t)
{
    return resize_allowed || t->forced;
}

/* Migrates entries of t[0] into t[1], in slot order. Stops once it has moved
 * max_moves entries or visited max_visits slots, but only right after an empty
 * slot (invariant 3), or when t[0] is empty, which completes the resize. */
static void rehash_run(ht *t, size_t max_moves, size_t max_visits)
{
    struct table *from = &t->t[0], *to = &t->t[1];
    size_t moved = 0, visited = 0;

    while (from->used) {
        assert(t->rehash_idx < t->rehash_end);
        size_t i = t->rehash_idx++ & from->mask;
        uint64_t s = from->slots[i];
        visited++;
        if (s == 0) {
            if (moved >= max_moves || visited >= max_visits)
                break;
            continue;
        }
        from->slots[i] = 0;
        from->used--;
        table_put(to, entry_hash(t, slot_entry(s)), s);
        moved++;
    }
    if (from->used == 0)
        rehash_done(t);
}

static inline void op_step(ht *t)
{
    if (t->rehashing && may_rehash(t))
        rehash_run(t, 1, REHASH_OP_VISITS);
}

/* Starts moving the entries into a new table of `size` slots. */
static void resize_start(ht *t, size_t size, int forced)
{
    struct table *old = &t->t[0];
    struct table fresh;
    table_init(&fresh, size);
    if (old->used == 0) {
        mem_free(old->slots);
        *old = fresh;
        return;
    }
    /* Migration starts just after an empty slot (one exists: invariant 2) and
     * ends on it, so no cluster wraps across the starting point. */
    size_t e = 0;
    while (old->slots[e])
        e++;
    t->t[1] = fresh;
    t->rehash_idx = e + 1;
    t->rehash_end = e + 1 + old->mask + 1;
    t->rehashing = 1;
    t->forced = forced;
}

/* Makes room for one more entry and returns the table it must go to. */
static struct table *make_room(ht *t)
{
    if (t->rehashing) {
        struct table *to = &t->t[1];
        /* Every entry ends up in the new table, so its load counts both. */
        if (t->t[0].used + to->used < to->crit_at)
            return to;
        /* Inserts outran the migration (a shrink followed by many inserts,
         * or resizing paused). A third table would complicate every lookup,
         * so finish this resize now (everything fits: the check above ran
         * before every insert); the grow below then starts the next one. */
        rehash_run(t, SIZE_MAX, SIZE_MAX);
    }
    struct table *tb = &t->t[0];
    if (!tb->slots) {
        table_init(tb, MIN_SLOTS);
        return tb;
    }
    size_t n = tb->used + 1;
    if (n > tb->grow_at && (resize_allowed || n > tb->crit_at)) {
        resize_start(t, (tb->mask + 1) * 2, !resize_allowed);
        if (t->rehashing)
            return &t->t[1];
    }
    return tb;
}

static void maybe_shrink(ht *t)
{
    struct table *tb = &t->t[0];
    if (t->rehashing || !resize_allowed || !tb->slots)
        return;
    size_t size = tb->mask + 1;
    if (size <= MIN_SLOTS || tb->used >= size / 8)
        return;
    size_t target = MIN_SLOTS;
    while (target < tb->used * 2)
        target *= 2;
    resize_start(t, target, 0);
}

/* ---- public API --------------------------------------------------------- */

ht *ht_new(const ht_type *type)
{
    ht *t = mem_alloc(sizeof(*t));
    t->type = type;
    table_reset(&t->t[0]);
    table_reset(&t->t[1]);
    t->rehash_idx = 0;
    t->rehash_end = 0;
    t->rehashing = 0;
    t->forced = 0;
    t->free_pos = 0;
    return t;
}

void ht_clear(ht *t)
{
    for (int k = 0; k < 2; k++) {
        struct table *tb = &t->t[k];
        if (tb->used && t->type->entry_free) {
            for (size_t i = 0; i <= tb->mask; i++)
                if (tb->slots[i])
                    t->type->entry_free(slot_entry(tb->slots[i]));
        }
        mem_free(tb->slots);
        table_reset(tb);
    }
    t->rehashing = 0;
    t->forced = 0;
}

void ht_free(ht *t)
{
    if (!t)
        return;
    ht_clear(t);
    mem_free(t);
}

int ht_free_step(ht *t, size_t budget, void (*entry_free)(void *))
{
    if (!entry_free)
        entry_free = t->type->entry_free;
    /* The table is no one's any more: no invariant but "each entry freed
     * once" needs keeping. Slots are visited in order, table by table. */
    for (int k = 0; k < 2; k++) {
        struct table *tb = &t->t[k];
        if (!tb->slots)
            continue;
        while (t->free_pos <= tb->mask) {
            if (budget-- == 0)
                return 0;
            uint64_t s = tb->slots[t->free_pos++];
            if (s && entry_free)
                entry_free(slot_entry(s));
        }
        mem_free(tb->slots);
        table_reset(tb);
        t->free_pos = 0;
    }
    mem_free(t);
    return 1;
}

size_t ht_size(const ht *t)
{
    return t->t[0].used + t->t[1].used;
}

size_t ht_slots(const ht *t)
{
    return table_size(&t->t[0]) + table_size(&t->t[1]);
}

size_t ht_mem_usage(const ht *t)
{
    return ht_slots(t) * sizeof(uint64_t);
}

int ht_is_rehashing(const ht *t)
{
    return t->rehashing;
}

/* Returns the slot holding the key in either table, or NULL. */
static inline uint64_t *find_slot(ht *t, uint64_t h, const void *key, size_t len, int *table)
{
    uint64_t *s = table_find(t, &t->t[0], h, key, len);
    *table = 0;
    if (!s && t->rehashing) {
        s = table_find(t, &t->t[1], h, key, len);
        *table = 1;
    }
    return s;
}

void *ht_find(ht *t, const void *key, size_t len)
{
    int table;
    op_step(t);
    uint64_t *s = find_slot(t, hash_bytes(key, len), key, len, &table);
    return s ? slot_entry(*s) : NULL;
}

void ht_add(ht *t, void *entry)
{
    assert(entry && ((uintptr_t)entry & TAG_MASK) == 0);
    op_step(t);
    struct table *tb = make_room(t);
    uint64_t h = entry_hash(t, entry);
    table_put(tb, h, (h & TAG_MASK) | (uintptr_t)entry);
}

void *ht_replace(ht *t, void *entry)
{
    assert(entry && ((uintptr_t)entry & TAG_MASK) == 0);
    op_step(t);
    const char *key;
    size_t len;
    int table;
    t->type->entry_key(entry, &key, &len);
    uint64_t h = hash_bytes(key, len);
    uint64_t *s = find_slot(t, h, key, len, &table);
    if (s) {
        void *old = slot_entry(*s);
        *s = (*s & TAG_MASK) | (uintptr_t)entry;
        return old;
    }
    table_put(make_room(t), h, (h & TAG_MASK) | (uintptr_t)entry);
    return NULL;
}

void *ht_pop(ht *t, const void *key, size_t len)
{
    int table;
    op_step(t);
    uint64_t *s = find_slot(t, hash_bytes(key, len), key, len, &table);
    if (!s)
        return NULL;
    struct table *tb = &t->t[table];
    void *e = slot_entry(*s);
    table_remove_at(t, tb, (size_t)(s - tb->slots));
    if (t->rehashing && t->t[0].used == 0)
        rehash_done(t);
    maybe_shrink(t);
    return e;
}

int ht_delete(ht *t, const void *key, size_t len)
{
    void *e = ht_pop(t, key, len);
    if (!e)
        return 0;
    if (t->type->entry_free)
        t->type->entry_free(e);
    return 1;
}

/* ---- scan --------------------------------------------------------------- */

static inline uint64_t rev64(uint64_t v)
{
    v = ((v >> 1) & UINT64_C(0x5555555555555555)) | ((v & UINT64_C(0x5555555555555555)) << 1);
    v = ((v >> 2) & UINT64_C(0x3333333333333333)) | ((v & UINT64_C(0x3333333333333333)) << 2);
    v = ((v >> 4) & UINT64_C(0x0f0f0f0f0f0f0f0f)) | ((v & UINT64_C(0x0f0f0f0f0f0f0f0f)) << 4);
    return __builtin_bswap64(v);
}

/* Adds one to the cursor's bits under mask, counting from the high bit down:
 * the reverse-binary order that keeps a scan valid across resizes, because
 * the buckets a bucket splits into (or merges with) are visited together. */
static inline uint64_t cursor_next(uint64_t v, uint64_t mask)
{
    v |= ~mask;
    v = rev64(v);
    v++;
    return rev64(v);
}

/* Emits the entries whose home is bucket b: they all sit in the run of
 * occupied slots that starts at b (invariant 1). */
static void scan_bucket(const ht *t, const struct table *tb, size_t b, ht_scan_fn fn, void *ctx)
{
    size_t mask = tb->mask;
    for (size_t i = b; tb->slots[i]; i = (i + 1) & mask) {
        void *e = slot_entry(tb->slots[i]);
        if ((entry_hash(t, e) & mask) == b)
            fn(e, ctx);
    }
}

uint64_t ht_scan(ht *t, uint64_t cursor, ht_scan_fn fn, void *ctx)
{
    uint64_t v = cursor;
    if (!t->rehashing) {
        const struct table *tb = &t->t[0];
        if (tb->used == 0)
            return 0;
        scan_bucket(t, tb, v & tb->mask, fn, ctx);
        return cursor_next(v, tb->mask);
    }
    /* Visit bucket v of the smaller table, then every bucket of the larger
     * table that it expands to (those whose low bits equal v's). */
    const struct table *small = &t->t[0], *large = &t->t[1];
    if (small->mask > large->mask) {
        small = &t->t[1];
        large = &t->t[0];
    }
    uint64_t m0 = small->mask, m1 = large->mask;
    scan_bucket(t, small, v & m0, fn, ctx);
    do {
        scan_bucket(t, large, v & m1, fn, ctx);
        v = cursor_next(v, m1);
    } while (v & (m0 ^ m1));
    return v;
}

/* ---- random ------------------------------------------------------------- */

void *ht_random(ht *t, uint64_t rnd)
{
    size_t u0 = t->t[0].used, u1 = t->t[1].used;
    size_t total = u0 + u1;
    if (total == 0)
        return NULL;
    /* Pick a table in proportion to its entries, then a slot from bits of
     * rnd mixed independently of that choice. */
    int k = (size_t)(rnd % total) < u0 ? 0 : 1;
    const struct table *tb = &t->t[k];
    uint64_t r = fold_mul(rnd ^ UINT64_C(0x9e3779b97f4a7c15), UINT64_C(0xd6e8feb86659fd93));
    size_t start = 0, span = tb->mask + 1;
    if (k == 0 && t->rehashing) {
        /* Only the unmigrated part of the old table holds entries. */
        start = t->rehash_idx;
        span = t->rehash_end - t->rehash_idx;
    }
    size_t off = (size_t)(r % span);
    for (;;) {
        uint64_t s = tb->slots[(start + off) & tb->mask];
        if (s)
            return slot_entry(s);
        if (++off == span)
            off = 0;
    }
}

/* ---- explicit rehash work ----------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int ht_rehash_ms(ht *t, int ms)
{
    if (!t->rehashing || !may_rehash(t))
        return t->rehashing;
    uint64_t start = now_ns();
    uint64_t budget = ms > 0 ? (uint64_t)ms * 1000000u : 0;
    do
        rehash_run(t, REHASH_MS_SLOTS, REHASH_MS_SLOTS);
    while (t->rehashing && now_ns() - start < budget);
    return t->rehashing;
}

void ht_rehash_step(ht *t, size_t slots)
{
    if (!t->rehashing || !may_rehash(t))
        return;
    if (slots == 0)
        slots = 1;
    rehash_run(t, slots, slots);
}

void ht_set_resize_allowed(int allowed)
{
    resize_allowed = allowed != 0;
}

/* ---- iteration ---------------------------------------------------------- */

void ht_iter_init(ht_iter *it, ht *t)
{
    it->t = t;
    it->table = 0;
    it->idx = 0;
}

void *ht_iter_next(ht_iter *it)
{
    while (it->table < 2) {
        const struct table *tb = &it->t->t[it->table];
        size_t size = table_size(tb);
        while (it->idx < size) {
            uint64_t s = tb->slots[it->idx++];
            if (s)
                return slot_entry(s);
        }
        it->table++;
        it->idx = 0;
    }
    return NULL;
}
