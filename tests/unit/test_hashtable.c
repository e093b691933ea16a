/* Unit tests for the open-addressing hash table (src/hashtable.c).
 *
 * Entries are small {len, key[]} structs from mem_alloc. A counting destructor
 * checks that every destroyed entry is freed exactly once, and each test ends
 * with mem_used() back where it started.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hashtable.h"
#include "mem.h"

struct ent {
    size_t len;
    char key[];
};

static size_t frees;

static void ent_key(const void *e, const char **key, size_t *len)
{
    const struct ent *x = e;
    *key = x->key;
    *len = x->len;
}

static void ent_free(void *e)
{
    frees++;
    mem_free(e);
}

static const ht_type ent_type = {ent_key, ent_free};

static struct ent *ent_new(const void *key, size_t len)
{
    struct ent *e = mem_alloc(sizeof(*e) + len);
    e->len = len;
    memcpy(e->key, key, len);
    return e;
}

static size_t key_of(char *buf, const char *prefix, size_t i)
{
    return (size_t)snprintf(buf, 32, "%s%zu", prefix, i);
}

static struct ent *ent_num(const char *prefix, size_t i)
{
    char buf[32];
    size_t n = key_of(buf, prefix, i);
    return ent_new(buf, n);
}

static void *find_num(ht *t, const char *prefix, size_t i)
{
    char buf[32];
    size_t n = key_of(buf, prefix, i);
    return ht_find(t, buf, n);
}

static int delete_num(ht *t, const char *prefix, size_t i)
{
    char buf[32];
    size_t n = key_of(buf, prefix, i);
    return ht_delete(t, buf, n);
}

/* xorshift64*: a deterministic source for the tests. */
static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static size_t mem_start;

static int setup(void **state)
{
    (void)state;
    frees = 0;
    rng_state = 88172645463325252ull;
    ht_set_resize_allowed(1);
    mem_start = mem_used();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ht_set_resize_allowed(1);
    assert_int_equal(mem_used(), mem_start);
    return 0;
}

static void finish_rehash(ht *t)
{
    while (ht_rehash_ms(t, 100))
        ;
    assert_false(ht_is_rehashing(t));
}

/* One small rehash step while resizing is otherwise paused, so that finds
 * and deletes between steps leave the resize exactly where it is. */
static void step_paused(ht *t, size_t slots)
{
    ht_set_resize_allowed(1);
    ht_rehash_step(t, slots);
    ht_set_resize_allowed(0);
}

/* Counts entries with the iterator and checks it agrees with ht_size. */
static void check_iter_count(ht *t)
{
    ht_iter it;
    size_t n = 0;
    ht_iter_init(&it, t);
    while (ht_iter_next(&it))
        n++;
    assert_int_equal(n, ht_size(t));
}

/* ---- hash ---------------------------------------------------------------- */

static void test_ht_hash_depends_on_bytes_length_and_seed(void **state)
{
    (void)state;
    uint8_t buf[80], moved[88];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 1);

    /* Same bytes, same hash, at any alignment. */
    for (size_t len = 0; len <= 64; len++) {
        uint64_t h = ht_hash(buf, len);
        for (size_t off = 1; off < 8; off++) {
            memcpy(moved + off, buf, len);
            assert_true(ht_hash(moved + off, len) == h);
        }
    }
    /* Every prefix length gives a different hash, including zero bytes. */
    uint8_t zeros[40] = {0};
    for (size_t a = 0; a <= 40; a++)
        for (size_t b = a + 1; b <= 40; b++)
            assert_true(ht_hash(zeros, a) != ht_hash(zeros, b));
    /* Flipping any single bit of a key changes its hash. */
    for (size_t len = 1; len <= 40; len++) {
        uint64_t h = ht_hash(buf, len);
        for (size_t bit = 0; bit < len * 8; bit++) {
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            assert_true(ht_hash(buf, len) != h);
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
    }
    /* A new seed changes the hash of the same key. */
    uint64_t before = ht_hash("hello world", 11);
    uint8_t seed[16];
    for (int i = 0; i < 16; i++)
        seed[i] = (uint8_t)(i * 13 + 5);
    ht_set_seed(seed);
    uint64_t after = ht_hash("hello world", 11);
    assert_true(before != after);
    assert_true(ht_hash("hello world", 11) == after);
    memset(seed, 0, sizeof(seed));
    ht_set_seed(seed);
    assert_true(ht_hash("hello world", 11) != after);
}

static void test_ht_hash_bits_are_balanced(void **state)
{
    (void)state;
    /* Over many similar short keys, every output bit is set about half the
     * time, and flipping one input bit flips about half the output bits. */
    enum { N = 20000 };
    size_t ones[64] = {0};
    size_t flips = 0, trials = 0;
    for (size_t i = 0; i < N; i++) {
        char k[32];
        size_t n = key_of(k, "user:session:", i);
        uint64_t h = ht_hash(k, n);
        for (int b = 0; b < 64; b++)
            ones[b] += (h >> b) & 1;
        size_t bit = i % (n * 8);
        k[bit / 8] ^= (char)(1u << (bit % 8));
        flips += (size_t)__builtin_popcountll(h ^ ht_hash(k, n));
        trials++;
    }
    for (int b = 0; b < 64; b++) {
        assert_true(ones[b] > N * 45 / 100);
        assert_true(ones[b] < N * 55 / 100);
    }
    double avg = (double)flips / (double)trials;
    assert_true(avg > 30.0 && avg < 34.0);
}

/* ---- basics ------------------------------------------------------------- */

static void test_ht_empty_table_has_nothing(void **state)
{
    (void)state;
    ht *t = ht_new(&ent_type);
    assert_int_equal(ht_size(t), 0);
    assert_int_equal(ht_slots(t), 0);
    assert_int_equal(ht_mem_usage(t), 0);
    assert_false(ht_is_rehashing(t));
    assert_null(ht_find(t, "a", 1));
    assert_null(ht_find(t, "", 0));
    assert_null(ht_pop(t, "a", 1));
    assert_int_equal(ht_delete(t, "a", 1), 0);
    assert_null(ht_random(t, 12345));
    ht_iter it;
    ht_iter_init(&it, t);
    assert_null(ht_iter_next(&it));
    ht_free(t);
    ht_free(NULL);
    assert_int_equal(frees, 0);
}

static void count_cb(void *e, void *ctx)
{
    (void)e;
    (*(size_t *)ctx)++;
}

static void test_ht_scan_empty_returns_zero(void **state)
{
    (void)state;
    ht *t = ht_new(&ent_type);
    size_t n = 0;
    assert_int_equal(ht_scan(t, 0, count_cb, &n), 0);
    for (size_t i = 0; i < 100; i++)
        ht_add(t, ent_num("k", i));
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(delete_num(t, "k", i), 1);
    finish_rehash(t);
    assert_int_equal(ht_scan(t, 0, count_cb, &n), 0);
    ht_clear(t);
    assert_int_equal(ht_scan(t, 0, count_cb, &n), 0);
    assert_int_equal(n, 0);
    ht_free(t);
}

static void test_ht_zero_length_and_binary_keys(void **state)
{
    (void)state;
    ht *t = ht_new(&ent_type);
    struct ent *empty = ent_new("", 0);
    struct ent *nul1 = ent_new("a\0b", 3);
    struct ent *nul2 = ent_new("a\0c", 3);
    struct ent *a = ent_new("a", 1);
    ht_add(t, empty);
    ht_add(t, nul1);
    ht_add(t, nul2);
    ht_add(t, a);
    assert_ptr_equal(ht_find(t, "", 0), empty);
    assert_ptr_equal(ht_find(t, "a\0b", 3), nul1);
    assert_ptr_equal(ht_find(t, "a\0c", 3), nul2);
    assert_ptr_equal(ht_find(t, "a", 1), a);
    assert_null(ht_find(t, "a\0", 2));
    assert_int_equal(ht_delete(t, "", 0), 1);
    assert_null(ht_find(t, "", 0));
    assert_ptr_equal(ht_find(t, "a\0b", 3), nul1);
    ht_free(t);
    assert_int_equal(frees, 4);
}

/* ---- many keys against a model --------------------------------------------- */

static void test_ht_many_keys_match_model_through_grows_and_shrinks(void **state)
{
    (void)state;
    enum { N = 150000 };
    static struct ent *model[N];
    static size_t live[N], pos[N]; /* present indices, and where each sits */
    memset(model, 0, sizeof(model));
    ht *t = ht_new(&ent_type);
    size_t count = 0, max_slots = 0, grows = 0, shrinks = 0, last_slots = 0;
    size_t freed_expected = 0;

    /* Rounds alternate between filling (insert-heavy) and draining
     * (delete-heavy) so the table grows to its largest size and shrinks back
     * several times, with finds of present and absent keys throughout. */
    for (int round = 0; round < 6; round++) {
        int fill = round % 2 == 0;
        size_t target = fill ? N * 9 / 10 : (round == 5 ? 0 : N / 50);
        while (fill ? count < target : count > target) {
            uint64_t op = rng() % 10;
            if (op < (fill ? 7u : 2u)) {
                size_t i;
                do
                    i = rng() % N;
                while (model[i]);
                model[i] = ent_num("key:", i);
                ht_add(t, model[i]);
                pos[i] = count;
                live[count++] = i;
            } else if (op < 9 && count > 0) {
                size_t i = live[rng() % count];
                assert_int_equal(delete_num(t, "key:", i), 1);
                model[i] = NULL;
                live[pos[i]] = live[--count];
                pos[live[pos[i]]] = pos[i];
                freed_expected++;
            } else {
                size_t i = rng() % N;
                assert_ptr_equal(find_num(t, "key:", i), model[i]);
            }
            assert_int_equal(ht_size(t), count);
            size_t slots = ht_slots(t);
            if (!ht_is_rehashing(t) && slots != last_slots) {
                if (slots > last_slots)
                    grows++;
                else
                    shrinks++;
                last_slots = slots;
            }
            if (slots > max_slots)
                max_slots = slots;
        }
        for (size_t i = 0; i < N; i++)
            assert_ptr_equal(find_num(t, "key:", i), model[i]);
        check_iter_count(t);
    }
    assert_int_equal(count, 0);
    assert_int_equal(frees, freed_expected);
    assert_true(grows >= 20);
    assert_true(shrinks >= 2);
    /* 135k entries at most: 256k slots, plus the old table while growing. */
    assert_true(max_slots <= 262144 + 131072);
    ht_free(t);
}

static void test_ht_load_stays_between_thresholds(void **state)
{
    (void)state;
    ht *t = ht_new(&ent_type);
    for (size_t i = 0; i < 100000; i++) {
        ht_add(t, ent_num("k", i));
        if (!ht_is_rehashing(t)) {
            /* At most ~0.77 full once a resize is complete. */
            assert_true(ht_size(t) * 100 <= ht_slots(t) * 77);
        }
    }
    finish_rehash(t);
    assert_true(ht_size(t) * 100 > ht_slots(t) * 35);
    assert_int_equal(ht_mem_usage(t), ht_slots(t) * sizeof(uint64_t));
    ht_free(t);
    assert_int_equal(frees, 100000);
}

/* ---- backward shift with forced collisions -------------------------------- */

/* Collects n keys "c<i>" whose home bucket in a table of `size` slots is one
 * of the `nhomes` buckets starting at `first` (wrapping at the end). */
static size_t crafted_keys(struct ent **out, size_t n, size_t size, size_t first, size_t nhomes)
{
    size_t got = 0;
    for (size_t i = 0; got < n; i++) {
        char k[32];
        size_t len = key_of(k, "c", i);
        size_t home = ht_hash(k, len) & (size - 1);
        if (((home - first) & (size - 1)) < nhomes)
            out[got++] = ent_new(k, len);
    }
    return got;
}

static void check_present(ht *t, struct ent **ents, const int *present, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        void *want = present[j] ? ents[j] : NULL;
        assert_ptr_equal(ht_find(t, ents[j]->key, ents[j]->len), want);
    }
    check_iter_count(t);
}

/* Fills a 64-slot table with 40 keys homed on `nhomes` buckets from `first`,
 * then deletes them in a random order (resizing disabled, so the table stays
 * at 64 slots) checking every key after each delete. */
static void collide_and_delete(size_t first, size_t nhomes)
{
    enum { SIZE = 64, N = 40 };
    struct ent *ents[N];
    int present[N];
    size_t order[N];
    ht *t = ht_new(&ent_type);
    /* A table of 64 slots holds 9..49 entries without resizing. */
    for (size_t i = 0; i < 30; i++)
        ht_add(t, ent_num("filler", i));
    finish_rehash(t);
    assert_int_equal(ht_slots(t), SIZE);
    ht_set_resize_allowed(0);
    for (size_t i = 0; i < 30; i++)
        assert_int_equal(delete_num(t, "filler", i), 1);
    assert_int_equal(ht_slots(t), SIZE);

    crafted_keys(ents, N, SIZE, first, nhomes);
    for (size_t j = 0; j < N; j++) {
        ht_add(t, ents[j]);
        present[j] = 1;
        order[j] = j;
    }
    assert_int_equal(ht_slots(t), SIZE);
    check_present(t, ents, present, N);

    for (size_t j = N - 1; j > 0; j--) {
        size_t r = rng() % (j + 1), tmp = order[j];
        order[j] = order[r];
        order[r] = tmp;
    }
    for (size_t j = 0; j < N; j++) {
        size_t x = order[j];
        assert_ptr_equal(ht_pop(t, ents[x]->key, ents[x]->len), ents[x]);
        present[x] = 0;
        check_present(t, ents, present, N);
        assert_int_equal(ht_slots(t), SIZE);
    }
    assert_int_equal(ht_size(t), 0);
    for (size_t j = 0; j < N; j++)
        mem_free(ents[j]);
    ht_set_resize_allowed(1);
    ht_free(t);
}

static void test_ht_backward_shift_keeps_one_long_cluster_findable(void **state)
{
    (void)state;
    collide_and_delete(10, 1);
}

static void test_ht_backward_shift_wraps_at_table_end(void **state)
{
    (void)state;
    /* All homes at 60..63 and 0..1: the cluster runs past the last slot. */
    collide_and_delete(60, 6);
    collide_and_delete(63, 1);
}

static void test_ht_backward_shift_interleaved_homes(void **state)
{
    (void)state;
    collide_and_delete(20, 12);
    collide_and_delete(0, 64);
}

/* ---- replace, pop, delete -------------------------------------------------- */

static void test_ht_replace_swaps_entry_in_place(void **state)
{
    (void)state;
    ht *t = ht_new(&ent_type);
    for (size_t i = 0; i < 1000; i++)
        ht_add(t, ent_num("k", i));
    struct ent *fresh = ent_num("k", 500);
    struct ent *old = find_num(t, "k", 500);
    assert_non_null(old);
    assert_ptr_equal(ht_replace(t, fresh), old);
    assert_ptr_equal(find_num(t, "k", 500), fresh);
    assert_int_equal(ht_size(t), 1000);
    mem_free(old);

    /* An absent key is added. */
    struct ent *added = ent_num("k", 5000);
    assert_null(ht_replace(t, added));
    assert_ptr_equal(find_num(t, "k", 5000), added);
    assert_int_equal(ht_size(t), 1001);

    /* Replacing every key, also while a resize is in progress. */
    for (size_t i = 1001; i < 1600; i++)
        ht_add(t, ent_num("k", i));
    assert_true(ht_is_rehashing(t));
    for (size_t i = 0; i < 1000; i++) {
        struct ent *e = ent_num("k", i);
        struct ent *prev = ht_replace(t, e);
        assert_non_null(prev);
        assert_true(prev != e);
        mem_free(prev);
        assert_ptr_equal(find_num(t, "k", i), e);
    }
    assert_int_equal(ht_size(t), 1600);
    assert_int_equal(frees, 0);
    ht_free(t);
    assert_int_equal(frees, 1600);
}

static void test_ht_pop_returns_entry_without_freeing(void **state)
{
    (void)state;
    ht *t = ht_new(&ent_type);
    struct ent *e = ent_new("key", 3);
    ht_add(t, e);
    assert_ptr_equal(ht_pop(t, "key", 3), e);
    assert_int_equal(frees, 0);
    assert_null(ht_pop(t, "key", 3));
    assert_null(ht_find(t, "key", 3));
    assert_int_equal(ht_size(t), 0);
    mem_free(e);
    ht_free(t);
    assert_int_equal(frees, 0);
}

static void test_ht_delete_frees_each_entry_once(void **state)
{
    (void)state;
    ht *t = ht_new(&ent_type);
    for (size_t i = 0; i < 5000; i++)
        ht_add(t, ent_num("k", i));
    for (size_t i = 0; i < 5000; i += 2)
        assert_int_equal(delete_num(t, "k", i), 1);
    assert_int_equal(frees, 2500);
    for (size_t i = 0; i < 5000; i += 2)
        assert_int_equal(delete_num(t, "k", i), 0);
    assert_int_equal(frees, 2500);
    /* Popped entries belong to the caller: ht_free must not destroy them. */
    struct ent *popped[10];
    for (size_t i = 0; i < 10; i++) {
        popped[i] = find_num(t, "k", 2 * i + 1);
        assert_non_null(popped[i]);
        assert_ptr_equal(ht_pop(t, popped[i]->key, popped[i]->len), popped[i]);
    }
    assert_int_equal(ht_size(t), 2490);
    ht_free(t);
    assert_int_equal(frees, 5000 - 10);
    for (size_t i = 0; i < 10; i++)
        mem_free(popped[i]);
}

static void test_ht_table_without_entry_free_destroys_nothing(void **state)
{
    (void)state;
    static const ht_type borrowing = {ent_key, NULL};
    struct ent *ents[100];
    ht *t = ht_new(&borrowing);
    for (size_t i = 0; i < 100; i++) {
        ents[i] = ent_num("b", i);
        ht_add(t, ents[i]);
    }
    assert_int_equal(delete_num(t, "b", 3), 1);
    ht_clear(t);
    ht_free(t);
    assert_int_equal(frees, 0);
    for (size_t i = 0; i < 100; i++)
        mem_free(ents[i]);
}

/* ---- resize ------------------------------------------------------------------ */

static void test_ht_find_works_at_every_rehash_step(void **state)
{
    (void)state;
    ht *t = ht_new(&ent_type);
    size_t n = 0;
    while (!ht_is_rehashing(t) || n < 1000)
        ht_add(t, ent_num("k", n++));
    /* Drive the resize one cluster at a time, checking every key between
     * steps (with resizing paused, the finds themselves move nothing). */
    ht_set_resize_allowed(0);
    int steps = 0;
    while (ht_is_rehashing(t)) {
        step_paused(t, 1);
        steps++;
        for (size_t i = 0; i < n; i++)
            assert_non_null(find_num(t, "k", i));
        assert_null(find_num(t, "absent", (size_t)steps));
        check_iter_count(t);
    }
    ht_set_resize_allowed(1);
    assert_true(steps > 50);
    assert_int_equal(ht_size(t), n);
    ht_free(t);
    assert_int_equal(frees, n);
}

static void test_ht_delete_during_rehash_keeps_others_findable(void **state)
{
    (void)state;
    ht *t = ht_new(&ent_type);
    size_t n = 0;
    while (!ht_is_rehashing(t) || n < 2000)
        ht_add(t, ent_num("k", n++));
    int *present = mem_calloc(n, sizeof(int));
    for (size_t i = 0; i < n; i++)
        present[i] = 1;
    /* Delete a few keys between steps: entries of the old table and of the
     * new one alike, including inside clusters not migrated yet. */
    ht_set_resize_allowed(0);
    size_t deleted = 0;
    while (ht_is_rehashing(t)) {
        for (int k = 0; k < 3; k++) {
            size_t i = rng() % n;
            if (present[i]) {
                assert_int_equal(delete_num(t, "k", i), 1);
                present[i] = 0;
                deleted++;
            }
        }
        for (size_t j = 0; j < n; j++)
            assert_true((find_num(t, "k", j) != NULL) == present[j]);
        check_iter_count(t);
        step_paused(t, 2);
    }
    ht_set_resize_allowed(1);
    assert_true(deleted > 100);
    assert_int_equal(ht_size(t), n - deleted);
    mem_free(present);
    ht_free(t);
    assert_int_equal(frees, n);
}

static void test_ht_rehash_ms_finishes_resize(void **state)
{
    (void)state;
    ht *t = ht_new(&ent_type);
    size_t n = 0;
    while (!ht_is_rehashing(t) || n < 50000)
        ht_add(t, ent_num("k", n++));
    assert_true(ht_is_rehashing(t));
    size_t slots = ht_slots(t);
    assert_int_equal(ht_rehash_ms(t, 1000), 0);
    assert_false(ht_is_rehashing(t));
    assert_true(ht_slots(t) < slots);
    for (size_t i = 0; i < n; i++)
        assert_non_null(find_num(t, "k", i));
    ht_free(t);
}

static void test_ht_inserts_outrunning_rehash_finish_it_first(void **state)
{
    (void)state;
    ht *t = ht_new(&ent_type);
    size_t n = 0;
    /* Start a shrink from a large table, pause resizing so migration stops,
     * then insert far more than the small new table can take. */
    for (; n < 20000; n++)
        ht_add(t, ent_num("k", n));
    finish_rehash(t);
    size_t i = 0;
    while (!ht_is_rehashing(t))
        assert_int_equal(delete_num(t, "k", i++), 1);
    size_t big = ht_slots(t);
    ht_set_resize_allowed(0);
    for (size_t j = 0; j < 30000; j++)
        ht_add(t, ent_num("x", j));
    for (size_t j = i; j < n; j++)
        assert_non_null(find_num(t, "k", j));
    for (size_t j = 0; j < 30000; j++)
        assert_non_null(find_num(t, "x", j));
    assert_int_equal(ht_size(t), n - i + 30000);
    ht_set_resize_allowed(1);
    finish_rehash(t);
    assert_true(ht_slots(t) > big);
    assert_true(ht_size(t) * 10 <= ht_slots(t) * 9);
    for (size_t j = 0; j < 30000; j++)
        assert_non_null(find_num(t, "x", j));
    ht_free(t);
    assert_int_equal(frees, n + 30000);
}

static void test_ht_resize_not_allowed_waits_for_critical_load(void **state)
{
    (void)state;
    ht *t = ht_new(&ent_type);
    size_t n = 0;
    for (; n < 40; n++)
        ht_add(t, ent_num("k", n));
    finish_rehash(t);
    assert_int_equal(ht_slots(t), 64);

    ht_set_resize_allowed(0);
    /* Past the grow threshold (49 of 64) nothing starts... */
    while (ht_size(t) < 57)
        ht_add(t, ent_num("k", n++));
    assert_false(ht_is_rehashing(t));
    assert_int_equal(ht_slots(t), 64);
    /* ...until the critical load forces a resize, which then proceeds. */
    while (!ht_is_rehashing(t) && ht_slots(t) == 64) {
        ht_add(t, ent_num("k", n++));
        assert_true(ht_size(t) < 64);
    }
    assert_true(ht_size(t) >= 58);
    finish_rehash(t);
    assert_int_equal(ht_slots(t), 128);

    /* Deletes do not shrink while resizing is not allowed. */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(delete_num(t, "k", i), 1);
    assert_int_equal(ht_slots(t), 128);
    assert_false(ht_is_rehashing(t));

    ht_set_resize_allowed(1);
    ht_free(t);
}

static void test_ht_resize_not_allowed_pauses_rehash(void **state)
{
    (void)state;
    ht *t = ht_new(&ent_type);
    size_t n = 0;
    while (!ht_is_rehashing(t) || n < 100)
        ht_add(t, ent_num("k", n++));
    ht_set_resize_allowed(0);
    size_t slots = ht_slots(t);
    /* Neither the timer, explicit steps nor operations move anything. */
    assert_int_equal(ht_rehash_ms(t, 10), 1);
    ht_rehash_step(t, 1000);
    for (size_t i = 0; i < n; i++)
        assert_non_null(find_num(t, "k", i));
    assert_int_equal(delete_num(t, "k", 0), 1);
    ht_add(t, ent_num("k", 0));
    assert_true(ht_is_rehashing(t));
    assert_int_equal(ht_slots(t), slots);
    ht_set_resize_allowed(1);
    assert_int_equal(ht_rehash_ms(t, 100), 0);
    for (size_t i = 0; i < n; i++)
        assert_non_null(find_num(t, "k", i));
    ht_free(t);
    assert_int_equal(frees, n + 1);
}

static void test_ht_shrinks_when_mostly_empty(void **state)
{
    (void)state;
    ht *t = ht_new(&ent_type);
    for (size_t i = 0; i < 10000; i++)
        ht_add(t, ent_num("k", i));
    finish_rehash(t);
    size_t big = ht_slots(t);
    for (size_t i = 0; i < 9990; i++)
        assert_int_equal(delete_num(t, "k", i), 1);
    finish_rehash(t);
    /* Settled: at least 1/8 full, so at most 64 slots for 10 entries. */
    assert_true(ht_slots(t) <= ht_size(t) * 8);
    assert_true(ht_slots(t) < big);
    for (size_t i = 9990; i < 10000; i++)
        assert_non_null(find_num(t, "k", i));
    for (size_t i = 9990; i < 10000; i++)
        assert_int_equal(delete_num(t, "k", i), 1);
    finish_rehash(t);
    assert_true(ht_slots(t) <= 8);
    ht_free(t);
    assert_int_equal(frees, 10000);
}

/* ---- clear ------------------------------------------------------------------- */

static void test_ht_clear_destroys_all_and_stays_usable(void **state)
{
    (void)state;
    ht *t = ht_new(&ent_type);
    size_t n = 0;
    while (!ht_is_rehashing(t) || n < 3000)
        ht_add(t, ent_num("k", n++));
    ht_clear(t);
    assert_int_equal(frees, n);
    assert_int_equal(ht_size(t), 0);
    assert_int_equal(ht_slots(t), 0);
    assert_false(ht_is_rehashing(t));
    assert_null(find_num(t, "k", 1));
    for (size_t i = 0; i < 100; i++)
        ht_add(t, ent_num("k", i));
    for (size_t i = 0; i < 100; i++)
        assert_non_null(find_num(t, "k", i));
    ht_clear(t);
    ht_clear(t);
    assert_int_equal(frees, n + 100);
    ht_free(t);
    assert_int_equal(frees, n + 100);
}

/* ---- scan -------------------------------------------------------------------- */

struct scan_seen {
    unsigned char *stable;
    size_t nstable;
    size_t calls;
};

static void mark_cb(void *e, void *ctx)
{
    struct scan_seen *s = ctx;
    const struct ent *x = e;
    s->calls++;
    /* Stable keys are "s<i>"; everything else is churn. */
    if (x->len > 1 && x->key[0] == 's') {
        size_t i = 0;
        for (size_t j = 1; j < x->len; j++)
            i = i * 10 + (size_t)(x->key[j] - '0');
        assert_true(i < s->nstable);
        if (s->stable[i] < 255)
            s->stable[i]++;
    }
}

static void test_ht_scan_of_unchanged_table_visits_each_once(void **state)
{
    (void)state;
    enum { N = 5000 };
    unsigned char seen[N] = {0};
    struct scan_seen s = {seen, N, 0};
    ht *t = ht_new(&ent_type);
    for (size_t i = 0; i < N; i++)
        ht_add(t, ent_num("s", i));
    finish_rehash(t);
    uint64_t cur = 0;
    do
        cur = ht_scan(t, cur, mark_cb, &s);
    while (cur);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(s.calls, N);
    ht_free(t);
}

/* Scans a table holding `nstable` stable keys while `churn` decides, per call,
 * what to insert or delete between calls. Returns through *rehash_seen how
 * many scan calls began with a resize in progress. */
static void scan_with_churn(size_t nstable, size_t grow_calls, size_t per_call,
                            size_t *rehash_seen, size_t *max_slots, size_t *min_slots_after_max)
{
    unsigned char *seen = mem_calloc(nstable, 1);
    struct scan_seen s = {seen, nstable, 0};
    ht *t = ht_new(&ent_type);
    for (size_t i = 0; i < nstable; i++)
        ht_add(t, ent_num("s", i));
    finish_rehash(t);

    size_t added = 0, removed = 0, call = 0;
    *rehash_seen = 0;
    *max_slots = ht_slots(t);
    *min_slots_after_max = SIZE_MAX;
    uint64_t cur = 0;
    do {
        if (ht_is_rehashing(t))
            (*rehash_seen)++;
        cur = ht_scan(t, cur, mark_cb, &s);
        call++;
        /* Grow with churn keys first, then delete them all so the table
         * shrinks; a few finds and small rehash steps keep resizes in flight
         * across calls. */
        if (call <= grow_calls) {
            for (size_t j = 0; j < per_call; j++)
                ht_add(t, ent_num("x", added++));
            if (call % 7 == 0 && removed < added)
                assert_int_equal(delete_num(t, "x", removed++), 1);
        } else {
            for (size_t j = 0; j < per_call * 2 && removed < added; j++)
                assert_int_equal(delete_num(t, "x", removed++), 1);
        }
        ht_rehash_step(t, 16); /* as the server's timer would */
        if (ht_slots(t) > *max_slots) {
            *max_slots = ht_slots(t);
            *min_slots_after_max = SIZE_MAX;
        } else if (ht_slots(t) < *min_slots_after_max) {
            *min_slots_after_max = ht_slots(t);
        }
    } while (cur);

    for (size_t i = 0; i < nstable; i++)
        assert_true(seen[i] >= 1);
    mem_free(seen);
    ht_free(t);
}

static void test_ht_scan_returns_stable_keys_while_growing_and_shrinking(void **state)
{
    (void)state;
    size_t rehash_seen, max_slots, min_after;
    scan_with_churn(2000, 400, 40, &rehash_seen, &max_slots, &min_after);
    assert_true(rehash_seen > 0);
    assert_true(max_slots >= 16384);
    assert_true(min_after < max_slots / 4);
}

static void test_ht_scan_returns_stable_keys_under_slow_churn(void **state)
{
    (void)state;
    /* One key per call: many calls see a resize half done. */
    size_t rehash_seen, max_slots, min_after;
    scan_with_churn(300, 3000, 3, &rehash_seen, &max_slots, &min_after);
    assert_true(rehash_seen > 10);
    assert_true(max_slots >= 8192);
    assert_true(min_after < max_slots / 4);
}

static void test_ht_scan_returns_stable_keys_with_paused_rehash(void **state)
{
    (void)state;
    /* Resizes advance only a few slots per scan call, so hundreds of calls
     * find a grow, and then a shrink, half done. */
    enum { N = 200, CHURN = 1800 };
    unsigned char seen[N] = {0};
    struct scan_seen s = {seen, N, 0};
    ht *t = ht_new(&ent_type);
    for (size_t i = 0; i < N; i++)
        ht_add(t, ent_num("s", i));
    size_t added = 0;
    while (added < CHURN)
        ht_add(t, ent_num("x", added++));
    finish_rehash(t);
    assert_int_equal(ht_slots(t), 4096);

    ht_set_resize_allowed(0);
    int stage = 0; /* 0: start a grow, 1: growing, 2: shrinking */
    size_t grow_calls = 0, shrink_calls = 0;
    uint64_t cur = 0;
    do {
        cur = ht_scan(t, cur, mark_cb, &s);
        if (ht_is_rehashing(t)) {
            if (stage == 1)
                grow_calls++;
            else
                shrink_calls++;
            step_paused(t, 4);
        } else if (stage == 0) {
            ht_set_resize_allowed(1);
            while (!ht_is_rehashing(t))
                ht_add(t, ent_num("x", added++));
            ht_set_resize_allowed(0);
            stage = 1;
        } else if (stage == 1) {
            /* Drop the churn with resizing paused, then let the last
             * delete start the shrink. */
            for (size_t i = 0; i + 1 < added; i++)
                assert_int_equal(delete_num(t, "x", i), 1);
            ht_set_resize_allowed(1);
            assert_int_equal(delete_num(t, "x", added - 1), 1);
            ht_set_resize_allowed(0);
            assert_true(ht_is_rehashing(t));
            stage = 2;
        }
    } while (cur);
    ht_set_resize_allowed(1);
    for (size_t i = 0; i < N; i++)
        assert_true(seen[i] >= 1);
    assert_true(grow_calls > 100);
    assert_true(shrink_calls > 100);
    ht_free(t);
}

/* ---- random ------------------------------------------------------------------ */

static void test_ht_random_returns_present_entries_and_all_of_them(void **state)
{
    (void)state;
    enum { N = 10 };
    struct ent *ents[N];
    ht *t = ht_new(&ent_type);
    for (size_t i = 0; i < N; i++) {
        ents[i] = ent_num("r", i);
        ht_add(t, ents[i]);
    }
    int hits[N] = {0};
    for (int k = 0; k < 10000; k++) {
        void *e = ht_random(t, rng());
        size_t i = 0;
        while (i < N && ents[i] != e)
            i++;
        assert_true(i < N);
        hits[i]++;
    }
    for (size_t i = 0; i < N; i++)
        assert_true(hits[i] > 0);

    /* Deleted entries are never returned. */
    for (size_t i = 0; i < N; i += 2)
        assert_int_equal(delete_num(t, "r", i), 1);
    for (int k = 0; k < 2000; k++) {
        struct ent *e = ht_random(t, rng());
        assert_non_null(e);
        assert_ptr_equal(ht_find(t, e->key, e->len), e);
        assert_true(e->key[1] % 2 == 1);
    }
    ht_free(t);
}

static void test_ht_random_during_rehash_returns_present_entries(void **state)
{
    (void)state;
    ht *t = ht_new(&ent_type);
    size_t n = 0;
    while (!ht_is_rehashing(t) || n < 500)
        ht_add(t, ent_num("r", n++));
    ht_set_resize_allowed(0); /* keep the resize half done */
    step_paused(t, ht_slots(t) / 6);
    assert_true(ht_is_rehashing(t));
    unsigned char *hit = mem_calloc(n, 1);
    for (int k = 0; k < 200000; k++) {
        struct ent *e = ht_random(t, rng());
        assert_non_null(e);
        assert_ptr_equal(ht_find(t, e->key, e->len), e);
        size_t i = 0;
        for (size_t j = 1; j < e->len; j++)
            i = i * 10 + (size_t)(e->key[j] - '0');
        hit[i] = 1;
    }
    assert_true(ht_is_rehashing(t));
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        distinct += hit[i];
    assert_int_equal(distinct, n);
    ht_set_resize_allowed(1);
    mem_free(hit);
    ht_free(t);
}

/* ---- iteration and memory -------------------------------------------------------- */

static void test_ht_iter_visits_each_entry_once(void **state)
{
    (void)state;
    enum { N = 4000 };
    unsigned char seen[N] = {0};
    ht *t = ht_new(&ent_type);
    size_t n = 0;
    while (!ht_is_rehashing(t) || n < 2000)
        ht_add(t, ent_num("s", n++));
    assert_true(n <= N);
    ht_iter it;
    ht_iter_init(&it, t);
    struct ent *e;
    size_t count = 0;
    struct scan_seen s = {seen, N, 0};
    while ((e = ht_iter_next(&it))) {
        mark_cb(e, &s);
        count++;
    }
    assert_int_equal(count, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(seen[i], 1);
    ht_free(t);
}

static void test_ht_no_leak_after_free(void **state)
{
    (void)state;
    size_t start = mem_used();
    ht *t = ht_new(&ent_type);
    for (size_t i = 0; i < 20000; i++)
        ht_add(t, ent_num("k", i));
    for (size_t i = 0; i < 20000; i += 3)
        assert_int_equal(delete_num(t, "k", i), 1);
    assert_true(mem_used() > start + ht_mem_usage(t));
    ht_free(t);
    assert_int_equal(mem_used(), start);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ht_hash_depends_on_bytes_length_and_seed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_hash_bits_are_balanced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_empty_table_has_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_scan_empty_returns_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_zero_length_and_binary_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_many_keys_match_model_through_grows_and_shrinks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_load_stays_between_thresholds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_backward_shift_keeps_one_long_cluster_findable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_backward_shift_wraps_at_table_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_backward_shift_interleaved_homes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_replace_swaps_entry_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_pop_returns_entry_without_freeing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_delete_frees_each_entry_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_table_without_entry_free_destroys_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_find_works_at_every_rehash_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_delete_during_rehash_keeps_others_findable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_rehash_ms_finishes_resize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_inserts_outrunning_rehash_finish_it_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_resize_not_allowed_waits_for_critical_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_resize_not_allowed_pauses_rehash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_shrinks_when_mostly_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_clear_destroys_all_and_stays_usable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_scan_of_unchanged_table_visits_each_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_scan_returns_stable_keys_while_growing_and_shrinking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_scan_returns_stable_keys_under_slow_churn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_scan_returns_stable_keys_with_paused_rehash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_random_returns_present_entries_and_all_of_them, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_random_during_rehash_returns_present_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_iter_visits_each_entry_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ht_no_leak_after_free, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
