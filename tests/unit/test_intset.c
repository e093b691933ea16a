/* test_intset: the sorted integer array against a simple model (a plain
 * sorted array of int64_t searched linearly), under random operations and
 * at the edges: width upgrades, INT64_MIN/MAX, removal down to empty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intset.h"

/* The model: a sorted array of distinct values. */
typedef struct model {
    int64_t *v;
    size_t n, cap;
} model;

static int model_find(const model *m, int64_t x, size_t *pos)
{
    size_t i = 0;
    while (i < m->n && m->v[i] < x)
        i++;
    *pos = i;
    return i < m->n && m->v[i] == x;
}

static int model_add(model *m, int64_t x)
{
    size_t pos;
    if (model_find(m, x, &pos))
        return 0;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->v = realloc(m->v, m->cap * sizeof(int64_t));
    }
    memmove(m->v + pos + 1, m->v + pos, (m->n - pos) * sizeof(int64_t));
    m->v[pos] = x;
    m->n++;
    return 1;
}

static int model_remove(model *m, int64_t x)
{
    size_t pos;
    if (!model_find(m, x, &pos))
        return 0;
    memmove(m->v + pos, m->v + pos + 1, (m->n - pos - 1) * sizeof(int64_t));
    m->n--;
    return 1;
}

static uint32_t model_width(const model *m)
{
    uint32_t w = 2;
    for (size_t i = 0; i < m->n; i++) {
        uint32_t x = is_width_for(m->v[i]);
        if (x > w)
            w = x;
    }
    return w;
}

static void check_equal(const intset *is, const model *m)
{
    assert_int_equal(is_len(is), m->n);
    for (size_t i = 0; i < m->n; i++)
        assert_true(is_get(is, (uint32_t)i) == m->v[i]);
    assert_int_equal(is_blob_len(is), sizeof(intset) + m->n * is->width);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Values from a mix of ranges, so that every width and every upgrade path
 * is exercised, with collisions frequent enough to test duplicates. */
static int64_t random_value(void)
{
    switch (rnd() % 6) {
    case 0: return (int64_t)(rnd() % 200) - 100;
    case 1: return (int64_t)(rnd() % 70000) - 35000;
    case 2: return (int64_t)(rnd() % 5000000000ULL) - 2500000000LL;
    case 3: return (int64_t)rnd();
    case 4: return (rnd() & 1) ? INT64_MAX - (int64_t)(rnd() % 4) : INT64_MIN + (int64_t)(rnd() % 4);
    default: return (rnd() & 1) ? INT16_MAX + (int64_t)(rnd() % 3) - 1 : INT32_MIN + (int64_t)(rnd() % 3) - 1;
    }
}

static void test_intset_empty(void **state)
{
    (void)state;
    intset *is = is_new();
    assert_int_equal(is_len(is), 0);
    assert_int_equal(is->width, 2);
    assert_false(is_find(is, 0));
    int removed = 1;
    is = is_remove(is, 5, &removed);
    assert_false(removed);
    is_free(is);
}

static void test_intset_widths_for_edges(void **state)
{
    (void)state;
    assert_int_equal(is_width_for(0), 2);
    assert_int_equal(is_width_for(INT16_MAX), 2);
    assert_int_equal(is_width_for(INT16_MIN), 2);
    assert_int_equal(is_width_for((int64_t)INT16_MAX + 1), 4);
    assert_int_equal(is_width_for((int64_t)INT16_MIN - 1), 4);
    assert_int_equal(is_width_for(INT32_MAX), 4);
    assert_int_equal(is_width_for(INT32_MIN), 4);
    assert_int_equal(is_width_for((int64_t)INT32_MAX + 1), 8);
    assert_int_equal(is_width_for((int64_t)INT32_MIN - 1), 8);
    assert_int_equal(is_width_for(INT64_MAX), 8);
    assert_int_equal(is_width_for(INT64_MIN), 8);
}

static void test_intset_upgrade_keeps_order(void **state)
{
    (void)state;
    intset *is = is_new();
    int added;
    for (int64_t v = -5; v <= 5; v++)
        is = is_add(is, v, &added);
    /* An upgrade with a negative value prepends, a positive one appends. */
    is = is_add(is, INT64_MIN, &added);
    assert_true(added);
    assert_int_equal(is->width, 8);
    is = is_add(is, INT64_MAX, &added);
    assert_true(added);
    assert_int_equal(is_len(is), 13);
    assert_true(is_get(is, 0) == INT64_MIN);
    assert_true(is_get(is, 12) == INT64_MAX);
    for (uint32_t i = 1; i < 12; i++)
        assert_true(is_get(is, i) == (int64_t)i - 6);
    is = is_add(is, INT64_MAX, &added);
    assert_false(added);
    assert_true(is_find(is, INT64_MIN));
    assert_true(is_find(is, INT64_MAX));
    assert_false(is_find(is, INT64_MAX - 1));
    is_free(is);
}

static void test_intset_upgrade_16_to_32(void **state)
{
    (void)state;
    intset *is = is_new();
    is = is_add(is, 1, NULL);
    is = is_add(is, 65536, NULL);
    assert_int_equal(is->width, 4);
    is = is_add(is, -65536, NULL);
    assert_int_equal(is_len(is), 3);
    assert_true(is_get(is, 0) == -65536);
    assert_true(is_get(is, 1) == 1);
    assert_true(is_get(is, 2) == 65536);
    /* The width never shrinks, even when the wide elements leave. */
    is = is_remove(is, 65536, NULL);
    is = is_remove(is, -65536, NULL);
    assert_int_equal(is->width, 4);
    assert_true(is_find(is, 1));
    is_free(is);
}

static void test_intset_out_of_width_is_not_found(void **state)
{
    (void)state;
    intset *is = is_new();
    is = is_add(is, 7, NULL);
    assert_false(is_find(is, (int64_t)7 + 65536 * 65536LL));
    int removed = 1;
    is = is_remove(is, INT64_MIN, &removed);
    assert_false(removed);
    assert_int_equal(is_len(is), 1);
    is_free(is);
}

static void test_intset_random_ops_match_model(void **state)
{
    (void)state;
    for (int round = 0; round < 20; round++) {
        intset *is = is_new();
        model m = {0};
        for (int op = 0; op < 3000; op++) {
            int64_t v = random_value();
            int r = (int)(rnd() % 10);
            if (r < 6) {
                int added;
                is = is_add(is, v, &added);
                assert_int_equal(added, model_add(&m, v));
            } else if (r < 9) {
                int removed;
                is = is_remove(is, v, &removed);
                assert_int_equal(removed, model_remove(&m, v));
            } else if (m.n > 0) {
                uint32_t pos = (uint32_t)(rnd() % m.n);
                int64_t x = is_get(is, pos);
                is = is_remove_at(is, pos);
                assert_true(model_remove(&m, x));
            }
            size_t pos;
            assert_int_equal(is_find(is, v), model_find(&m, v, &pos));
            if (op % 97 == 0)
                check_equal(is, &m);
            /* The width is the widest any element has ever needed. */
            assert_true(is->width >= model_width(&m));
        }
        check_equal(is, &m);
        intset *c = is_dup(is);
        check_equal(c, &m);
        is_free(c);
        /* Remove everything, in random order, down to empty. */
        while (m.n > 0) {
            int64_t x = m.v[rnd() % m.n];
            int removed;
            is = is_remove(is, x, &removed);
            assert_true(removed);
            model_remove(&m, x);
        }
        check_equal(is, &m);
        is_free(is);
        free(m.v);
    }
}

static void test_intset_ascending_and_descending_inserts(void **state)
{
    (void)state;
    intset *is = is_new();
    for (int64_t v = 0; v < 1000; v++)
        is = is_add(is, v * 3, NULL);
    for (int64_t v = -1; v > -1000; v--)
        is = is_add(is, v * 3, NULL);
    assert_int_equal(is_len(is), 1999);
    for (uint32_t i = 0; i + 1 < is_len(is); i++)
        assert_true(is_get(is, i) < is_get(is, i + 1));
    for (int64_t v = -2997; v <= 2997; v += 3)
        assert_true(is_find(is, v));
    assert_false(is_find(is, 1));
    is_free(is);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intset_empty),
        cmocka_unit_test(test_intset_widths_for_edges),
        cmocka_unit_test(test_intset_upgrade_keeps_order),
        cmocka_unit_test(test_intset_upgrade_16_to_32),
        cmocka_unit_test(test_intset_out_of_width_is_not_found),
        cmocka_unit_test(test_intset_random_ops_match_model),
        cmocka_unit_test(test_intset_ascending_and_descending_inserts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
