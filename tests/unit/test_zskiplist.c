/* test_zskiplist: the skiplist with spans, checked against a plain sorted
 * array that holds the same (score, member) pairs. Random inserts, deletes,
 * score updates and range deletions are followed by full comparisons of
 * order, back links, ranks, "node at rank" and the range searches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"
#include "zskiplist.h"

typedef struct item {
    double score;
    char m[16];
    size_t len;
} item;

typedef struct model {
    item *a;
    size_t n, cap;
} model;

static int item_cmp(const item *x, double score, const char *m, size_t len)
{
    if (x->score != score)
        return x->score < score ? -1 : 1;
    return zsl_member_cmp(x->m, x->len, m, len);
}

static long model_find(const model *md, const char *m, size_t len)
{
    for (size_t i = 0; i < md->n; i++)
        if (md->a[i].len == len && memcmp(md->a[i].m, m, len) == 0)
            return (long)i;
    return -1;
}

static void model_insert(model *md, double score, const char *m, size_t len)
{
    if (md->n == md->cap) {
        md->cap = md->cap ? md->cap * 2 : 64;
        md->a = realloc(md->a, md->cap * sizeof(item));
    }
    size_t i = 0;
    while (i < md->n && item_cmp(&md->a[i], score, m, len) < 0)
        i++;
    memmove(&md->a[i + 1], &md->a[i], (md->n - i) * sizeof(item));
    md->a[i].score = score;
    memcpy(md->a[i].m, m, len);
    md->a[i].len = len;
    md->n++;
}

static void model_remove_at(model *md, size_t i)
{
    memmove(&md->a[i], &md->a[i + 1], (md->n - i - 1) * sizeof(item));
    md->n--;
}

/* Finds the node of member m by walking level 0 (the test has no hash). */
static zsl_node *find_node(const zsl *sl, const char *m, size_t len)
{
    for (zsl_node *x = zsl_first(sl); x; x = zsl_next(x))
        if (x->len == len && memcmp(zsl_member(x), m, len) == 0)
            return x;
    return NULL;
}

/* Everything the list says agrees with the model. */
static void check_same(const zsl *sl, const model *md)
{
    assert_int_equal(sl->length, md->n);
    size_t i = 0;
    zsl_node *prev = NULL;
    for (zsl_node *x = zsl_first(sl); x; x = zsl_next(x), i++) {
        assert_true(i < md->n);
        assert_true(x->score == md->a[i].score);
        assert_int_equal(x->len, md->a[i].len);
        assert_memory_equal(zsl_member(x), md->a[i].m, x->len);
        assert_ptr_equal(zsl_prev(x), prev);
        assert_int_equal(zsl_rank(sl, x), i + 1);
        assert_ptr_equal(zsl_at_rank(sl, i + 1), x);
        prev = x;
    }
    assert_int_equal(i, md->n);
    assert_ptr_equal(zsl_last(sl), prev);
    assert_null(zsl_at_rank(sl, 0));
    assert_null(zsl_at_rank(sl, md->n + 1));
}

static void random_member(char *m, size_t *len)
{
    *len = 1 + util_random() % 6;
    for (size_t i = 0; i < *len; i++)
        m[i] = (char)('a' + util_random() % 4);
}

/* Scores from a small set so that ties (ordered by member) are common. */
static double random_score(void)
{
    return (double)(util_random() % 20) - 5 + ((util_random() & 1) ? 0.5 : 0);
}

static void test_zskiplist_empty(void **state)
{
    (void)state;
    zsl sl;
    zsl_init(&sl);
    assert_int_equal(sl.length, 0);
    assert_null(zsl_first(&sl));
    assert_null(zsl_last(&sl));
    assert_null(zsl_at_rank(&sl, 1));
    zsl_range r = {0, 10, 0, 0};
    assert_null(zsl_first_in_range(&sl, &r));
    assert_null(zsl_last_in_range(&sl, &r));
    assert_int_equal(zsl_delete_range_by_score(&sl, &r, NULL, NULL), 0);
    zsl_fini(&sl);
}

static void test_zskiplist_random_ops_match_model(void **state)
{
    (void)state;
    util_seed_random(12345);
    zsl sl;
    zsl_init(&sl);
    model md = {0};
    for (int step = 0; step < 4000; step++) {
        char m[16];
        size_t len;
        random_member(m, &len);
        long at = model_find(&md, m, len);
        int op = (int)(util_random() % 10);
        if (at < 0 && op < 6) {
            double s = random_score();
            zsl_insert(&sl, s, m, len);
            model_insert(&md, s, m, len);
        } else if (at >= 0 && op < 8) {
            zsl_node *x = find_node(&sl, m, len);
            assert_non_null(x);
            zsl_delete_node(&sl, x);
            model_remove_at(&md, (size_t)at);
        } else if (at >= 0) {
            zsl_node *x = find_node(&sl, m, len);
            double s = random_score();
            zsl_update_score(&sl, x, s);
            assert_ptr_equal(find_node(&sl, m, len), x);
            model_remove_at(&md, (size_t)at);
            model_insert(&md, s, m, len);
        }
        if (step % 50 == 0)
            check_same(&sl, &md);
    }
    check_same(&sl, &md);
    zsl_fini(&sl);
    free(md.a);
}

static void test_zskiplist_score_ranges_match_model(void **state)
{
    (void)state;
    util_seed_random(777);
    zsl sl;
    zsl_init(&sl);
    model md = {0};
    for (int i = 0; i < 300; i++) {
        char m[16];
        size_t len;
        random_member(m, &len);
        if (model_find(&md, m, len) >= 0)
            continue;
        double s = random_score();
        zsl_insert(&sl, s, m, len);
        model_insert(&md, s, m, len);
    }
    for (int t = 0; t < 500; t++) {
        zsl_range r = {random_score(), random_score(), (int)(util_random() & 1),
                       (int)(util_random() & 1)};
        long first = -1, last = -1;
        for (size_t i = 0; i < md.n; i++) {
            if (zsl_value_gte_min(md.a[i].score, &r) && zsl_value_lte_max(md.a[i].score, &r)) {
                if (first < 0)
                    first = (long)i;
                last = (long)i;
            }
        }
        zsl_node *f = zsl_first_in_range(&sl, &r), *l = zsl_last_in_range(&sl, &r);
        if (first < 0) {
            assert_null(f);
            assert_null(l);
        } else {
            assert_non_null(f);
            assert_non_null(l);
            assert_int_equal(zsl_rank(&sl, f), (size_t)first + 1);
            assert_int_equal(zsl_rank(&sl, l), (size_t)last + 1);
        }
    }
    zsl_fini(&sl);
    free(md.a);
}

static void test_zskiplist_lex_ranges_match_model(void **state)
{
    (void)state;
    util_seed_random(99);
    zsl sl;
    zsl_init(&sl);
    model md = {0};
    for (int i = 0; i < 200; i++) {
        char m[16];
        size_t len;
        random_member(m, &len);
        if (model_find(&md, m, len) >= 0)
            continue;
        zsl_insert(&sl, 0, m, len);
        model_insert(&md, 0, m, len);
    }
    for (int t = 0; t < 500; t++) {
        char a[16], b[16];
        size_t al, bl;
        random_member(a, &al);
        random_member(b, &bl);
        zsl_lex_range r = {a, b, al, bl, ZSL_LEX_VALUE, ZSL_LEX_VALUE, (int)(util_random() & 1),
                           (int)(util_random() & 1)};
        if (t % 10 == 0)
            r.minkind = ZSL_LEX_NEG_INF, r.minex = 1;
        if (t % 15 == 0)
            r.maxkind = ZSL_LEX_POS_INF, r.maxex = 1;
        long first = -1, last = -1;
        for (size_t i = 0; i < md.n; i++) {
            if (zsl_lex_gte_min(md.a[i].m, md.a[i].len, &r) &&
                zsl_lex_lte_max(md.a[i].m, md.a[i].len, &r)) {
                if (first < 0)
                    first = (long)i;
                last = (long)i;
            }
        }
        zsl_node *f = zsl_first_in_lex(&sl, &r), *l = zsl_last_in_lex(&sl, &r);
        if (first < 0) {
            assert_null(f);
        } else {
            assert_int_equal(zsl_rank(&sl, f), (size_t)first + 1);
            assert_int_equal(zsl_rank(&sl, l), (size_t)last + 1);
        }
    }
    zsl_fini(&sl);
    free(md.a);
}

static int removed_count;

static void count_removed(zsl_node *n, void *ctx)
{
    (void)n;
    (void)ctx;
    removed_count++;
}

static void test_zskiplist_range_deletions_match_model(void **state)
{
    (void)state;
    util_seed_random(4242);
    for (int round = 0; round < 60; round++) {
        zsl sl;
        zsl_init(&sl);
        model md = {0};
        for (int i = 0; i < 150; i++) {
            char m[16];
            size_t len;
            random_member(m, &len);
            if (model_find(&md, m, len) >= 0)
                continue;
            double s = random_score();
            zsl_insert(&sl, s, m, len);
            model_insert(&md, s, m, len);
        }
        removed_count = 0;
        size_t removed;
        if (round % 3 == 0) {
            size_t start = 1 + util_random() % (md.n + 2), end = start + util_random() % 40;
            removed = zsl_delete_range_by_rank(&sl, start, end, count_removed, NULL);
            for (size_t i = end > md.n ? md.n : end; i >= start && i >= 1; i--)
                model_remove_at(&md, i - 1);
        } else if (round % 3 == 1) {
            zsl_range r = {random_score(), random_score(), (int)(util_random() & 1), 0};
            removed = zsl_delete_range_by_score(&sl, &r, count_removed, NULL);
            for (size_t i = md.n; i-- > 0;)
                if (zsl_value_gte_min(md.a[i].score, &r) && zsl_value_lte_max(md.a[i].score, &r))
                    model_remove_at(&md, i);
        } else {
            /* Lex ranges assume equal scores: flatten them first. */
            for (size_t i = 0; i < md.n; i++) {
                zsl_update_score(&sl, find_node(&sl, md.a[i].m, md.a[i].len), 0);
                md.a[i].score = 0;
            }
            model flat = {0};
            for (size_t i = 0; i < md.n; i++)
                model_insert(&flat, 0, md.a[i].m, md.a[i].len);
            free(md.a);
            md = flat;
            check_same(&sl, &md);
            zsl_lex_range r = {"b", "c", 1, 1, ZSL_LEX_VALUE, ZSL_LEX_VALUE, 0, 1};
            removed = zsl_delete_range_by_lex(&sl, &r, count_removed, NULL);
            for (size_t i = md.n; i-- > 0;)
                if (zsl_lex_gte_min(md.a[i].m, md.a[i].len, &r) &&
                    zsl_lex_lte_max(md.a[i].m, md.a[i].len, &r))
                    model_remove_at(&md, i);
        }
        assert_int_equal((size_t)removed_count, removed);
        check_same(&sl, &md);
        zsl_fini(&sl);
        free(md.a);
    }
}

static void test_zskiplist_large_rank_is_consistent(void **state)
{
    (void)state;
    util_seed_random(1);
    zsl sl;
    zsl_init(&sl);
    char m[16];
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(m, sizeof(m), "k%08d", i);
        zsl_insert(&sl, (double)(i / 3), m, (size_t)n);
    }
    for (size_t r = 1; r <= sl.length; r += 997) {
        zsl_node *x = zsl_at_rank(&sl, r);
        assert_non_null(x);
        assert_int_equal(zsl_rank(&sl, x), r);
    }
    zsl_fini(&sl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zskiplist_empty),
        cmocka_unit_test(test_zskiplist_random_ops_match_model),
        cmocka_unit_test(test_zskiplist_score_ranges_match_model),
        cmocka_unit_test(test_zskiplist_lex_ranges_match_model),
        cmocka_unit_test(test_zskiplist_range_deletions_match_model),
        cmocka_unit_test(test_zskiplist_large_rank_is_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
