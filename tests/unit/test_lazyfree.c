/* Unit tests for lazyfree: small tables are freed at once, large ones are
 * queued and freed by steps (ht_free_step) in arrival order, the object
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

static ht *table_of(size_t n)
{
    ht *t = ht_new(&ent_type);
    for (size_t i = 0; i < n; i++) {
        struct ent *e = mem_alloc(sizeof(*e));
        e->len = (size_t)snprintf(e->key, sizeof(e->key), "k%zu", i);
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
    while (!ht_free_step(t, 100))
        steps++;
    assert_int_equal(frees, 1000);
    /* 1,000 entries fill a 2,048-slot table: about 20 steps of 100. */
    assert_in_range(steps, 15, 25);
    assert_int_equal(mem_used(), base);
}

static void test_lazyfree_small_at_once_large_queued(void **state)
{
    (void)state;
    size_t base = mem_used();
    frees = 0;
    size_t freed_before = lazyfree_freed_objects();
    lazyfree_ht(table_of(LAZYFREE_MIN_ENTRIES), 1);
    assert_int_equal(frees, LAZYFREE_MIN_ENTRIES);
    assert_false(lazyfree_pending());
    assert_int_equal(lazyfree_freed_objects(), freed_before);

    lazyfree_ht(table_of(50000), 1);
    lazyfree_ht(table_of(30000), 30000); /* a database's table: its keys */
    assert_true(lazyfree_pending());
    assert_int_equal(lazyfree_pending_objects(), 30001);
    frees = 0;
    /* A step of no time still does a slice, and frees nothing out of order. */
    assert_int_equal(lazyfree_step(0), 1);
    assert_true(frees > 0 && frees < 50000);
    assert_int_equal(lazyfree_pending_objects(), 30001);
    while (lazyfree_step(1000))
        ;
    assert_int_equal(frees, 80000);
    assert_int_equal(lazyfree_pending_objects(), 0);
    assert_int_equal(lazyfree_freed_objects(), freed_before + 30001);
    assert_int_equal(mem_used(), base);
}

static void test_lazyfree_drain_frees_everything(void **state)
{
    (void)state;
    size_t base = mem_used();
    frees = 0;
    for (int i = 0; i < 40; i++) /* past the queue's first capacity */
        lazyfree_ht(table_of(100), 1);
    assert_int_equal(lazyfree_pending_objects(), 40);
    lazyfree_drain();
    assert_false(lazyfree_pending());
    assert_int_equal(frees, 4000);
    assert_int_equal(mem_used(), base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ht_free_step_frees_in_bounded_steps),
        cmocka_unit_test(test_lazyfree_small_at_once_large_queued),
        cmocka_unit_test(test_lazyfree_drain_frees_everything),
    };
    return cmocka_run_group_tests_name("lazyfree", tests, NULL, NULL);
}
