/* Unit tests for lazyfree: a value's small table is freed at once and a
 * large one queued; a flushed database's table is always queued, counted
 * per key, and a large value met while freeing it is queued in turn
 * (the queue growing under the slice in progress); steps keep their order,
 * counts follow, and every byte comes back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hashtable.h"
#include "lazyfree.h"
#include "mem.h"

struct ent {
    size_t len;
    char key[16];
    ht *value; /* a "collection" to free lazily, or NULL */
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
    struct ent *x = e;
    if (x->value)
        ht_free(x->value);
    mem_free(e);
}

/* As obj_entry_free_lazy: the entry now, its large value queued. */
static void ent_free_lazy(void *e)
{
    struct ent *x = e;
    if (x->value)
        lazyfree_ht(x->value);
    x->value = NULL;
    ent_free(e);
}

static const ht_type ent_type = {ent_key, ent_free};

static ht *table_of(size_t n)
{
    ht *t = ht_new(&ent_type);
    for (size_t i = 0; i < n; i++) {
        struct ent *e = mem_alloc(sizeof(*e));
        e->len = (size_t)snprintf(e->key, sizeof(e->key), "k%zu", i);
        e->value = NULL;
        ht_add(t, e);
    }
    return t;
}

static void test_ht_free_step_frees_in_bounded_steps(void **state)
{
    (void)state;
    size_t base = mem_used();
    frees = 0;
    ht *t = table_of(1000);
    int steps = 0;
    while (!ht_free_step(t, 100, NULL))
        steps++;
    assert_int_equal(frees, 1000);
    /* 1,000 entries fill a 2,048-slot table: about 20 steps of 100. */
    assert_in_range(steps, 15, 25);
    assert_int_equal(mem_used(), base);
}

static void test_lazyfree_value_small_at_once_large_queued(void **state)
{
    (void)state;
    size_t base = mem_used();
    frees = 0;
    size_t freed_before = lazyfree_freed_objects();
    lazyfree_ht(table_of(LAZYFREE_MIN_ENTRIES));
    assert_int_equal(frees, LAZYFREE_MIN_ENTRIES);
    assert_false(lazyfree_pending());
    assert_int_equal(lazyfree_freed_objects(), freed_before);

    lazyfree_ht(table_of(50000));
    lazyfree_ht(table_of(30000));
    assert_true(lazyfree_pending());
    assert_int_equal(lazyfree_pending_objects(), 2);
    frees = 0;
    /* A step of no time still does a slice, in arrival order. */
    assert_int_equal(lazyfree_step(0), 1);
    assert_true(frees > 0 && frees < 50000);
    assert_int_equal(lazyfree_pending_objects(), 2);
    while (lazyfree_step(1000))
        ;
    assert_int_equal(frees, 80000);
    assert_int_equal(lazyfree_pending_objects(), 0);
    assert_int_equal(lazyfree_freed_objects(), freed_before + 2);
    assert_int_equal(mem_used(), base);
}

static void test_lazyfree_keys_queue_their_large_values(void **state)
{
    (void)state;
    size_t base = mem_used();
    frees = 0;
    size_t freed_before = lazyfree_freed_objects();
    /* A small flushed table is queued too, one object per key. */
    lazyfree_keys(table_of(3), ent_free_lazy);
    assert_int_equal(lazyfree_pending_objects(), 3);
    lazyfree_drain();
    assert_int_equal(frees, 3);
    assert_int_equal(lazyfree_freed_objects(), freed_before + 3);
    /* 40 keys holding large values: freeing the keys queues each value
     * (more than the queue's first capacity, so it grows under the slice),
     * and the values count as nothing more. */
    ht *keys = table_of(40);
    ht_iter it;
    ht_iter_init(&it, keys);
    struct ent *e;
    while ((e = ht_iter_next(&it)))
        e->value = table_of(100);
    frees = 0;
    lazyfree_keys(keys, ent_free_lazy);
    assert_int_equal(lazyfree_pending_objects(), 40);
    lazyfree_step(0); /* one slice: the whole keys table (64 slots) */
    assert_int_equal(frees, 40);
    assert_true(lazyfree_pending());
    assert_int_equal(lazyfree_pending_objects(), 0);
    lazyfree_drain();
    assert_int_equal(frees, 40 + 40 * 100);
    assert_int_equal(lazyfree_freed_objects(), freed_before + 3 + 40);
    assert_false(lazyfree_pending());
    assert_int_equal(mem_used(), base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ht_free_step_frees_in_bounded_steps),
        cmocka_unit_test(test_lazyfree_value_small_at_once_large_queued),
        cmocka_unit_test(test_lazyfree_keys_queue_their_large_values),
    };
    return cmocka_run_group_tests_name("lazyfree", tests, NULL, NULL);
}
