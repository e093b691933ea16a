/* Unit tests for the listpack (src/listpack.c).
 *
 * Besides the edge cases of each entry encoding (integer widths, string
 * length forms, values that look like integers but are not canonical), a
 * randomized test applies inserts, replaces, deletes and finds to a
 * listpack and to a plain array model side by side and compares the two
 * after every step. Run under ASan (make asan) the slab allocator is off,
 * so every over-read or leak is reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "listpack.h"
#include "mem.h"
#include "util.h"

/* Asserts that the entry at p holds exactly s[0..len). */
static void assert_entry(const unsigned char *p, const char *s, size_t len)
{
    char buf[LP_INTBUF];
    size_t n;
    assert_non_null(p);
    const char *v = lp_get_str(p, &n, buf);
    assert_int_equal(n, len);
    assert_memory_equal(v, s, len);
    assert_true(lp_eq(p, s, len));
}

static void test_lp_empty(void **state)
{
    (void)state;
    unsigned char *lp = lp_new();
    assert_int_equal(lp_len(lp), 0);
    assert_int_equal(lp_bytes(lp), LP_HDR_SIZE);
    assert_null(lp_first(lp));
    assert_null(lp_last(lp));
    assert_null(lp_seek(lp, 0));
    assert_null(lp_seek(lp, -1));
    assert_null(lp_find(lp, lp_first(lp), "a", 1, 0));
    lp_free(lp);
    lp_free(NULL);
}

/* Every integer width round-trips, and the boundaries of each width land
 * in the right form (checked through the entry size). */
static void test_lp_integer_widths_round_trip(void **state)
{
    (void)state;
    static const struct {
        long long v;
        size_t size;
    } cases[] = {
        {0, 1}, {127, 1}, {128, 2}, {-1, 2}, {-2048, 2}, {2047, 2}, {2048, 3}, {-2049, 3},
        {32767, 3}, {-32768, 3}, {32768, 4}, {-8388608, 4}, {8388607, 4}, {8388608, 5},
        {2147483647LL, 5}, {-2147483648LL, 5}, {2147483648LL, 9}, {-2147483649LL, 9},
        {9223372036854775807LL, 9}, {(-9223372036854775807LL - 1), 9},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char *lp = lp_new();
        char s[32];
        int n = util_ll2str(s, cases[i].v);
        lp = lp_append(lp, s, (size_t)n);
        assert_int_equal(lp_bytes(lp), LP_HDR_SIZE + cases[i].size);
        size_t len;
        long long ll = 0;
        assert_null(lp_get(lp_first(lp), &len, &ll));
        assert_true(ll == cases[i].v);
        assert_entry(lp_first(lp), s, (size_t)n);
        lp_free(lp);
    }
}

/* Strings that are not canonical integers stay strings, byte for byte. */
static void test_lp_noncanonical_numbers_stay_strings(void **state)
{
    (void)state;
    const char *vals[] = {"-0", "01", "+1", " 1", "1 ", "1.0", "9223372036854775808",
                          "-9223372036854775809", "", "-", "0x10", "1e3"};
    unsigned char *lp = lp_new();
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        lp = lp_append(lp, vals[i], strlen(vals[i]));
    unsigned char *p = lp_first(lp);
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        size_t len;
        long long ll;
        assert_non_null(lp_get(p, &len, &ll));
        assert_entry(p, vals[i], strlen(vals[i]));
        p = lp_next(lp, p);
    }
    assert_null(p);
    /* "1" finds nothing among them: none is the integer 1. */
    assert_null(lp_find(lp, lp_first(lp), "1", 1, 0));
    assert_non_null(lp_find(lp, lp_first(lp), "-0", 2, 0));
    lp_free(lp);
}

/* The three string length forms, at their limits. */
static void test_lp_string_length_forms(void **state)
{
    (void)state;
    static const size_t lens[] = {0, 1, 63, 64, 8191, 8192, 70000};
    static const size_t hdr[] = {1, 1, 1, 2, 2, 5, 5};
    char *buf = malloc(70000);
    assert_non_null(buf);
    for (size_t i = 0; i < 70000; i++)
        buf[i] = (char)('a' + i % 26);
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        unsigned char *lp = lp_new();
        lp = lp_append(lp, buf, lens[i]);
        assert_int_equal(lp_bytes(lp), LP_HDR_SIZE + hdr[i] + lens[i]);
        assert_entry(lp_first(lp), buf, lens[i]);
        lp = lp_append(lp, "x", 1);
        assert_entry(lp_next(lp, lp_first(lp)), "x", 1);
        lp_free(lp);
    }
    free(buf);
}

static void test_lp_find_with_skip_sees_only_fields(void **state)
{
    (void)state;
    unsigned char *lp = lp_new();
    /* field, value pairs where a value equals a later field name. */
    const char *kv[] = {"a", "b", "b", "1", "1", "a"};
    for (int i = 0; i < 6; i++)
        lp = lp_append(lp, kv[i], 1);
    unsigned char *p = lp_find(lp, lp_first(lp), "b", 1, 1);
    assert_ptr_equal(p, lp_seek(lp, 2));
    p = lp_find(lp, lp_first(lp), "1", 1, 1);
    assert_ptr_equal(p, lp_seek(lp, 4));
    assert_null(lp_find(lp, lp_first(lp), "z", 1, 1));
    /* Without skip the first match wins. */
    assert_ptr_equal(lp_find(lp, lp_first(lp), "b", 1, 0), lp_seek(lp, 1));
    lp_free(lp);
}

static void test_lp_seek_prev_last(void **state)
{
    (void)state;
    unsigned char *lp = lp_new();
    for (int i = 0; i < 10; i++)
        lp = lp_append_ll(lp, i * 1000);
    assert_int_equal(lp_len(lp), 10);
    for (long i = 0; i < 10; i++) {
        char s[24];
        int n = util_ll2str(s, i * 1000);
        assert_entry(lp_seek(lp, i), s, (size_t)n);
        assert_ptr_equal(lp_seek(lp, i - 10), lp_seek(lp, i));
    }
    assert_null(lp_seek(lp, 10));
    assert_null(lp_seek(lp, -11));
    assert_ptr_equal(lp_last(lp), lp_seek(lp, 9));
    assert_ptr_equal(lp_prev(lp, lp_seek(lp, 5)), lp_seek(lp, 4));
    assert_null(lp_prev(lp, lp_first(lp)));
    lp_free(lp);
}

static void test_lp_delete_range_and_to_end(void **state)
{
    (void)state;
    unsigned char *lp = lp_new();
    for (int i = 0; i < 6; i++)
        lp = lp_append_ll(lp, i);
    unsigned char *p = lp_seek(lp, 1);
    lp = lp_delete(lp, &p, 2);
    assert_int_equal(lp_len(lp), 4);
    assert_entry(p, "3", 1);
    p = lp_seek(lp, 2);
    lp = lp_delete(lp, &p, 100); /* more than remain: stops at the end */
    assert_null(p);
    assert_int_equal(lp_len(lp), 2);
    assert_entry(lp_last(lp), "3", 1);
    lp_free(lp);
}

/* Past 65535 entries the header count saturates and lp_len scans; deleting
 * back under the limit restores the stored count. */
static void test_lp_count_saturation(void **state)
{
    (void)state;
    unsigned char *lp = lp_new();
    for (int i = 0; i < 70000; i++)
        lp = lp_append_ll(lp, i % 100);
    assert_int_equal(lp_len(lp), 70000);
    unsigned char *p = lp_first(lp);
    lp = lp_delete(lp, &p, 10000);
    assert_int_equal(lp_len(lp), 60000);
    lp = lp_append(lp, "x", 1);
    assert_int_equal(lp_len(lp), 60001);
    lp_free(lp);
}

/* ---- randomized comparison with an array model ---------------------------- */

#define MODEL_MAX 300

typedef struct model {
    char *v[MODEL_MAX];
    size_t len[MODEL_MAX];
    size_t n;
} model;

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A random value: mostly small integers and short strings, sometimes long
 * strings, huge integers and near-integers. */
static size_t random_value(char *buf)
{
    switch (rnd() % 8) {
    case 0: return (size_t)snprintf(buf, 100, "%d", (int)(rnd() % 300) - 150);
    case 1: return (size_t)snprintf(buf, 100, "%lld", (long long)rnd());
    case 2: return (size_t)snprintf(buf, 100, "0%d", (int)(rnd() % 10));
    case 3: {
        size_t n = 64 + rnd() % 300;
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(rnd() & 0xff);
        return n;
    }
    case 4: return 0;
    default: return (size_t)snprintf(buf, 100, "v%d", (int)(rnd() % 50));
    }
}

static void check_model(const unsigned char *lp, const model *m)
{
    assert_int_equal(lp_len(lp), m->n);
    const unsigned char *p = lp_first(lp);
    for (size_t i = 0; i < m->n; i++) {
        assert_entry(p, m->v[i], m->len[i]);
        p = lp_next(lp, p);
    }
    assert_null(p);
}

static void test_lp_random_ops_match_model(void **state)
{
    (void)state;
    model m = {.n = 0};
    unsigned char *lp = lp_new();
    static char buf[512];
    for (int step = 0; step < 20000; step++) {
        int op = (int)(rnd() % 10);
        if (op < 4 && m.n < MODEL_MAX) {
            size_t len = random_value(buf);
            size_t at = rnd() % (m.n + 1);
            unsigned char *p = lp_seek(lp, (long)at);
            lp = lp_insert(lp, &p, buf, len);
            assert_entry(p, buf, len);
            memmove(&m.v[at + 1], &m.v[at], (m.n - at) * sizeof(char *));
            memmove(&m.len[at + 1], &m.len[at], (m.n - at) * sizeof(size_t));
            m.v[at] = malloc(len + 1);
            memcpy(m.v[at], buf, len);
            m.len[at] = len;
            m.n++;
        } else if (op < 6 && m.n > 0) {
            size_t len = random_value(buf);
            size_t at = rnd() % m.n;
            unsigned char *p = lp_seek(lp, (long)at);
            lp = lp_replace(lp, &p, buf, len);
            assert_entry(p, buf, len);
            free(m.v[at]);
            m.v[at] = malloc(len + 1);
            memcpy(m.v[at], buf, len);
            m.len[at] = len;
        } else if (op < 8 && m.n > 0) {
            size_t at = rnd() % m.n;
            size_t cnt = 1 + rnd() % 3;
            if (cnt > m.n - at)
                cnt = m.n - at;
            unsigned char *p = lp_seek(lp, (long)at);
            lp = lp_delete(lp, &p, cnt);
            for (size_t k = 0; k < cnt; k++)
                free(m.v[at + k]);
            memmove(&m.v[at], &m.v[at + cnt], (m.n - at - cnt) * sizeof(char *));
            memmove(&m.len[at], &m.len[at + cnt], (m.n - at - cnt) * sizeof(size_t));
            m.n -= cnt;
            if (at < m.n)
                assert_entry(p, m.v[at], m.len[at]);
            else
                assert_null(p);
        } else if (m.n > 0) {
            /* Find returns the first equal entry. */
            size_t at = rnd() % m.n;
            unsigned char *p = lp_find(lp, lp_first(lp), m.v[at], m.len[at], 0);
            size_t first = 0;
            while (!(m.len[first] == m.len[at] && memcmp(m.v[first], m.v[at], m.len[at]) == 0))
                first++;
            assert_ptr_equal(p, lp_seek(lp, (long)first));
        }
        if (step % 50 == 0) {
            check_model(lp, &m);
            unsigned char *d = lp_dup(lp);
            check_model(d, &m);
            lp_free(d);
        }
    }
    check_model(lp, &m);
    for (size_t i = 0; i < m.n; i++)
        free(m.v[i]);
    lp_free(lp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lp_empty),
        cmocka_unit_test(test_lp_integer_widths_round_trip),
        cmocka_unit_test(test_lp_noncanonical_numbers_stay_strings),
        cmocka_unit_test(test_lp_string_length_forms),
        cmocka_unit_test(test_lp_find_with_skip_sees_only_fields),
        cmocka_unit_test(test_lp_seek_prev_last),
        cmocka_unit_test(test_lp_delete_range_and_to_end),
        cmocka_unit_test(test_lp_count_saturation),
        cmocka_unit_test(test_lp_random_ops_match_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
