/* Unit tests for qlpack (the packed node, Redis's listpack format) and
 * quicklist (list values in the listpack and quicklist encodings): byte
 * sizes as Redis computes them, both walking directions, the encoding
 * conversions at the node limits, node splits and removals, and a long
 * random run checked against a plain array after every step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qlpack.h"
#include "quicklist.h"

/* ---- helpers -------------------------------------------------------------------- */

/* The element at index as a NUL-terminated string in buf. */
static const char *at(ql *l, long index, char *buf, size_t size)
{
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, index, 1);
    if (!ql_iter_next(&it, &e))
        return NULL;
    char num[QLP_INTBUF];
    size_t n;
    const char *s = qlp_str(&e, num, &n);
    snprintf(buf, size, "%.*s", (int)n, s);
    return buf;
}

static ql *push_str(ql *l, int tail, const char *s)
{
    return ql_push(l, tail, s, strlen(s));
}

/* Asserts that l holds exactly want[0..n), read forwards and backwards. */
static void assert_list(ql *l, const char *const *want, size_t n)
{
    assert_int_equal(ql_validate(l), 0);
    assert_int_equal(ql_count(l), n);
    ql_iter it;
    ql_entry e;
    char num[QLP_INTBUF];
    size_t len, i = 0;
    ql_iter_init(&it, l, 0, 1);
    while (ql_iter_next(&it, &e)) {
        const char *s = qlp_str(&e, num, &len);
        assert_true(i < n);
        assert_int_equal(len, strlen(want[i]));
        assert_memory_equal(s, want[i], len);
        i++;
    }
    assert_int_equal(i, n);
    ql_iter_init(&it, l, -1, 0);
    while (ql_iter_next(&it, &e)) {
        const char *s = qlp_str(&e, num, &len);
        assert_true(i > 0);
        i--;
        assert_int_equal(len, strlen(want[i]));
        assert_memory_equal(s, want[i], len);
    }
    assert_int_equal(i, 0);
}

/* ---- qlpack ------------------------------------------------------------------- */

static void test_qlp_entry_sizes_match_redis_listpack(void **state)
{
    (void)state;
    /* encoding + payload + back-length, as Redis's lpInsert writes them */
    static const struct {
        const char *s;
        size_t size;
    } cases[] = {
        {"0", 2},          {"127", 2},         {"128", 3},          {"-1", 3},
        {"4095", 3},       {"-4096", 3},       {"4096", 4},         {"-32768", 4},
        {"32768", 5},      {"-8388608", 5},    {"8388608", 6},      {"2147483647", 6},
        {"-2147483649", 10}, {"9223372036854775807", 10}, {"-9223372036854775808", 10},
        {"01", 4},         {"-0", 4},          {"+1", 4},           {"", 2},
        {"abc", 5},        {"1.5", 5},         {"9223372036854775808", 21},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(qlp_entry_size(cases[i].s, strlen(cases[i].s)), cases[i].size);
    char big[5000];
    memset(big, 'x', sizeof(big));
    assert_int_equal(qlp_entry_size(big, 63), 1 + 63 + 1);
    assert_int_equal(qlp_entry_size(big, 64), 2 + 64 + 1);
    assert_int_equal(qlp_entry_size(big, 125), 2 + 125 + 1); /* l = 127: 1-byte back-length */
    assert_int_equal(qlp_entry_size(big, 126), 2 + 126 + 2); /* l = 128: 2 bytes */
    assert_int_equal(qlp_entry_size(big, 4095), 2 + 4095 + 2);
    assert_int_equal(qlp_entry_size(big, 4096), 5 + 4096 + 2);
}

static void test_qlp_values_round_trip_in_both_directions(void **state)
{
    (void)state;
    static const char *const vals[] = {
        "0", "127", "128", "-1", "4095", "-4096", "4096", "-4097", "32767", "-32768", "32768",
        "8388607", "-8388608", "8388608", "2147483647", "-2147483648", "2147483648",
        "9223372036854775807", "-9223372036854775808", "01", "-0", "x", "", "hello world",
    };
    size_t n = sizeof(vals) / sizeof(vals[0]);
    unsigned char *lp = qlp_new();
    for (size_t i = 0; i < n; i++)
        lp = qlp_push(lp, 1, vals[i], strlen(vals[i]));
    assert_int_equal(qlp_validate(lp), 0);
    assert_int_equal(qlp_count(lp), n);
    size_t total = QLP_HDR_SIZE + 1;
    for (size_t i = 0; i < n; i++)
        total += qlp_entry_size(vals[i], strlen(vals[i]));
    assert_int_equal(qlp_bytes(lp), total);

    char num[QLP_INTBUF];
    size_t len, i = 0;
    for (unsigned char *p = qlp_first(lp); p; p = qlp_next(lp, p), i++) {
        qlp_val v;
        qlp_get(p, &v);
        const char *s = qlp_str(&v, num, &len);
        assert_int_equal(len, strlen(vals[i]));
        assert_memory_equal(s, vals[i], len);
        assert_ptr_equal(qlp_seek(lp, (long)i), p);
        assert_ptr_equal(qlp_seek(lp, (long)i - (long)n), p);
    }
    for (unsigned char *p = qlp_last(lp); p; p = qlp_prev(lp, p)) {
        qlp_val v;
        qlp_get(p, &v);
        const char *s = qlp_str(&v, num, &len);
        i--;
        assert_memory_equal(s, vals[i], len);
    }
    assert_int_equal(i, 0);
    assert_null(qlp_seek(lp, (long)n));
    assert_null(qlp_seek(lp, -(long)n - 1));
    qlp_free(lp);
}

static void test_qlp_long_strings_use_wide_back_lengths(void **state)
{
    (void)state;
    static const size_t lens[] = {127, 128, 16383, 16384, 70000};
    unsigned char *lp = qlp_new();
    char *buf = malloc(70000);
    for (size_t i = 0; i < 5; i++) {
        memset(buf, 'a' + (int)i, lens[i]);
        lp = qlp_push(lp, 0, buf, lens[i]);
    }
    assert_int_equal(qlp_validate(lp), 0);
    size_t i = 0;
    for (unsigned char *p = qlp_last(lp); p; p = qlp_prev(lp, p), i++) {
        qlp_val v;
        qlp_get(p, &v);
        assert_int_equal(v.len, lens[i]);
        assert_int_equal(v.s[0], 'a' + (int)i);
    }
    assert_int_equal(i, 5);
    free(buf);
    qlp_free(lp);
}

static void test_qlp_insert_replace_delete_keep_format(void **state)
{
    (void)state;
    unsigned char *lp = qlp_new();
    lp = qlp_push(lp, 1, "b", 1);
    lp = qlp_push(lp, 0, "a", 1);
    lp = qlp_push(lp, 1, "d", 1);
    unsigned char *p = qlp_seek(lp, 2), *np;
    lp = qlp_insert(lp, p, "c", 1, &np);
    assert_ptr_equal(np, qlp_seek(lp, 2));
    p = qlp_seek(lp, 1);
    char big[300];
    memset(big, 'B', sizeof(big));
    lp = qlp_replace(lp, &p, big, sizeof(big)); /* grows */
    assert_int_equal(qlp_validate(lp), 0);
    lp = qlp_replace(lp, &p, "12345", 5); /* shrinks, becomes an integer */
    qlp_val v;
    qlp_get(p, &v);
    assert_null(v.s);
    assert_int_equal(v.ll, 12345);
    p = qlp_seek(lp, 1);
    lp = qlp_delete(lp, &p, 2);
    qlp_get(p, &v);
    assert_int_equal(v.len, 1);
    assert_int_equal(v.s[0], 'd');
    p = qlp_seek(lp, 1);
    lp = qlp_delete(lp, &p, 1);
    assert_null(p);
    assert_int_equal(qlp_count(lp), 1);
    assert_int_equal(qlp_validate(lp), 0);
    qlp_free(lp);
}

static void test_qlp_needle_compares_like_bytes(void **state)
{
    (void)state;
    unsigned char *lp = qlp_new();
    lp = qlp_push(lp, 1, "12", 2);
    lp = qlp_push(lp, 1, "012", 3);
    qlp_needle n12, n012, nx;
    qlp_needle_init(&n12, "12", 2);
    qlp_needle_init(&n012, "012", 3);
    qlp_needle_init(&nx, "x", 1);
    qlp_val a, b;
    qlp_get(qlp_seek(lp, 0), &a);
    qlp_get(qlp_seek(lp, 1), &b);
    assert_true(qlp_eq(&a, &n12));
    assert_false(qlp_eq(&a, &n012));
    assert_true(qlp_eq(&b, &n012));
    assert_false(qlp_eq(&b, &n12));
    assert_false(qlp_eq(&a, &nx));
    qlp_free(lp);
}

/* ---- limits and conversions ----------------------------------------------------- */

static void test_ql_limits_follow_fill(void **state)
{
    (void)state;
    assert_false(ql_exceeds(-1, 4096, 100000));
    assert_true(ql_exceeds(-1, 4097, 1));
    assert_false(ql_exceeds(-2, 8192, 1));
    assert_true(ql_exceeds(-2, 8193, 1));
    assert_false(ql_exceeds(-5, 65536, 1));
    assert_true(ql_exceeds(-5, 65537, 1));
    assert_true(ql_exceeds(-100, 65537, 1)); /* below -5 counts as -5 */
    assert_false(ql_exceeds(-100, 65536, 1));
    assert_false(ql_exceeds(4, 100, 4));
    assert_true(ql_exceeds(4, 100, 5));
    assert_true(ql_exceeds(1000, 8193, 1)); /* the 8 KB safety limit */
    assert_false(ql_exceeds(0, 10, 1));
    assert_true(ql_exceeds(0, 10, 2));
}

static void test_ql_grows_to_quicklist_past_the_limit_and_shrinks_at_half(void **state)
{
    (void)state;
    ql *l = ql_new();
    assert_true(ql_is_packed(l));
    for (int i = 0; i < 4; i++) {
        l = ql_grow(l, 4, 1, 1);
        l = push_str(l, 1, "x");
    }
    assert_true(ql_is_packed(l));
    l = ql_grow(l, 4, 1, 1);
    assert_false(ql_is_packed(l));
    l = push_str(l, 1, "x");
    assert_int_equal(ql_count(l), 5);
    assert_int_equal(ql_node_count(l), 2);
    /* Two nodes never shrink; one node of more than half the limit neither. */
    l = ql_shrink(ql_delete_range(l, 4, 1), 4);
    assert_false(ql_is_packed(l));
    l = ql_shrink(ql_delete_range(l, 0, 1), 4);
    assert_false(ql_is_packed(l));
    l = ql_shrink(ql_delete_range(l, 0, 1), 4);
    assert_true(ql_is_packed(l));
    static const char *const want[] = {"x", "x"};
    assert_list(l, want, 2);
    ql_free(l);
}

static void test_ql_grow_counts_bytes_as_redis(void **state)
{
    (void)state;
    /* fill -1: 4096 bytes. 7 header bytes + entries of 1+60+1. */
    char s[60];
    memset(s, 's', sizeof(s));
    ql *l = ql_new();
    size_t bytes = QLP_HDR_SIZE + 1;
    while (bytes + sizeof(s) <= 4096) {
        l = ql_grow(l, -1, sizeof(s), 1);
        assert_true(ql_is_packed(l));
        l = ql_push(l, 1, s, sizeof(s));
        bytes += qlp_entry_size(s, sizeof(s));
    }
    l = ql_grow(l, -1, sizeof(s), 1);
    assert_false(ql_is_packed(l));
    assert_int_equal(ql_node_count(l), 1);
    ql_free(l);
}

static void test_ql_grow_of_empty_pack_gives_empty_quicklist(void **state)
{
    (void)state;
    ql *l = ql_grow(ql_new(), 1, 10, 5);
    assert_false(ql_is_packed(l));
    assert_int_equal(ql_count(l), 0);
    assert_int_equal(ql_node_count(l), 0);
    for (int i = 0; i < 5; i++)
        l = push_str(l, i & 1, "v");
    assert_int_equal(ql_node_count(l), 5); /* fill 1: one entry per node */
    assert_int_equal(ql_validate(l), 0);
    ql_free(l);
}

/* ---- quicklist operations ------------------------------------------------------- */

/* "e0" .. "e<n-1>": a quicklist with nodes filled up to `fill`, or (packed)
 * a packed list. */
static ql *numbered_list(int fill, int n, int packed)
{
    ql *l = packed ? ql_new() : ql_grow(ql_new(), fill, 1000000, 1000000);
    char buf[16];
    for (int i = 0; i < n; i++) {
        snprintf(buf, sizeof(buf), "e%d", i);
        l = push_str(l, 1, buf);
    }
    return l;
}

static ql *numbered(int fill, int n)
{
    return numbered_list(fill, n, 0);
}

static void test_ql_insert_in_full_node_splits_it(void **state)
{
    (void)state;
    ql *l = numbered(4, 8); /* two full nodes of four */
    assert_int_equal(ql_node_count(l), 2);
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, 1, 1);
    assert_true(ql_iter_next(&it, &e));
    ql_iter_insert(&it, 1, "mid", 3);
    l = ql_iter_list(&it);
    static const char *const want[] = {"e0", "e1", "mid", "e2", "e3", "e4", "e5", "e6", "e7"};
    assert_list(l, want, 9);
    assert_int_equal(ql_node_count(l), 3);
    /* At the edge of a full node with a full neighbour: a node of its own. */
    ql_iter_init(&it, l, -1, 1);
    assert_true(ql_iter_next(&it, &e));
    ql_iter_insert(&it, 1, "end", 3);
    l = ql_iter_list(&it);
    assert_int_equal(ql_count(l), 10);
    assert_int_equal(ql_validate(l), 0);
    char buf[16];
    assert_string_equal(at(l, -1, buf, sizeof(buf)), "end");
    ql_free(l);
}

static void test_ql_insert_at_node_edge_uses_neighbour_with_room(void **state)
{
    (void)state;
    ql *l = numbered(4, 6); /* [e0..e3] [e4 e5] */
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, 3, 1);
    assert_true(ql_iter_next(&it, &e));
    ql_iter_insert(&it, 1, "x", 1); /* after e3: head of the next node */
    l = ql_iter_list(&it);
    assert_int_equal(ql_node_count(l), 2);
    static const char *const want[] = {"e0", "e1", "e2", "e3", "x", "e4", "e5"};
    assert_list(l, want, 7);
    ql_free(l);
}

static void test_ql_delete_range_across_nodes(void **state)
{
    (void)state;
    ql *l = numbered(3, 10); /* [0 1 2] [3 4 5] [6 7 8] [9] */
    l = ql_delete_range(l, 2, 6);
    static const char *const want[] = {"e0", "e1", "e8", "e9"};
    assert_list(l, want, 4);
    assert_int_equal(ql_node_count(l), 3);
    l = ql_delete_range(l, 0, 4);
    assert_int_equal(ql_count(l), 0);
    assert_int_equal(ql_node_count(l), 0);
    ql_free(l);
}

static void test_ql_iter_delete_both_directions_drops_empty_nodes(void **state)
{
    (void)state;
    for (int fwd = 0; fwd <= 1; fwd++) {
        ql *l = numbered(2, 9);
        ql_iter it;
        ql_entry e;
        int i = 0;
        ql_iter_init(&it, l, fwd ? 0 : -1, fwd);
        while (ql_iter_next(&it, &e)) {
            int idx = fwd ? i : 8 - i;
            if (idx != 4)
                ql_iter_delete(&it);
            i++;
        }
        assert_int_equal(i, 9);
        l = ql_iter_list(&it);
        static const char *const want[] = {"e4"};
        assert_list(l, want, 1);
        assert_int_equal(ql_node_count(l), 1);
        ql_free(l);
    }
    ql *l = numbered_list(0, 5, 1); /* packed too */
    assert_true(ql_is_packed(l));
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, -1, 0);
    while (ql_iter_next(&it, &e))
        ql_iter_delete(&it);
    l = ql_iter_list(&it);
    assert_int_equal(ql_count(l), 0);
    ql_free(l);
}

static void test_ql_replace_too_big_for_node_moves_out(void **state)
{
    (void)state;
    ql *l = numbered(-1, 0);
    char s[1000];
    memset(s, 'q', sizeof(s));
    for (int i = 0; i < 8; i++)
        l = ql_push(l, 1, s, sizeof(s)); /* four per 4 KB node */
    char big[3000];
    memset(big, 'Z', sizeof(big));
    l = ql_replace(l, 1, big, sizeof(big));
    assert_int_equal(ql_validate(l), 0);
    assert_int_equal(ql_count(l), 8);
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, 1, 1);
    assert_true(ql_iter_next(&it, &e));
    assert_int_equal(e.len, sizeof(big));
    assert_true(ql_iter_next(&it, &e));
    assert_int_equal(e.len, sizeof(s));
    l = ql_replace(l, 7, "small", 5); /* fits in place */
    char buf[16];
    assert_string_equal(at(l, 7, buf, sizeof(buf)), "small");
    assert_int_equal(ql_validate(l), 0);
    ql_free(l);
}

static void test_ql_dup_is_independent(void **state)
{
    (void)state;
    for (int packed = 0; packed <= 1; packed++) {
        ql *a = numbered_list(2, 7, packed);
        ql *b = ql_dup(a);
        a = ql_delete_range(a, 0, 3);
        static const char *const want[] = {"e0", "e1", "e2", "e3", "e4", "e5", "e6"};
        assert_list(b, want, 7);
        ql_free(a);
        ql_free(b);
    }
}

static void test_ql_huge_element_gets_its_own_node(void **state)
{
    (void)state;
    ql *l = numbered(-2, 3);
    size_t n = 100000;
    char *big = malloc(n);
    memset(big, 'H', n);
    l = ql_grow(l, -2, n, 1);
    l = ql_push(l, 0, big, n);
    l = push_str(l, 0, "head");
    assert_int_equal(ql_validate(l), 0);
    assert_int_equal(ql_node_count(l), 3);
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, 1, 1);
    assert_true(ql_iter_next(&it, &e));
    assert_int_equal(e.len, n);
    free(big);
    ql_free(l);
}

/* ---- random run against a model ------------------------------------------------- */

typedef struct model {
    char **v;
    size_t n, cap;
} model;

static void m_insert(model *m, size_t i, const char *s)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->v = realloc(m->v, m->cap * sizeof(char *));
    }
    memmove(m->v + i + 1, m->v + i, (m->n - i) * sizeof(char *));
    m->v[i] = strdup(s);
    m->n++;
}

static void m_delete(model *m, size_t i, size_t k)
{
    for (size_t j = i; j < i + k; j++)
        free(m->v[j]);
    memmove(m->v + i, m->v + i + k, (m->n - i - k) * sizeof(char *));
    m->n -= k;
}

static void random_value(unsigned *seed, char *buf, size_t size)
{
    int r = rand_r(seed) % 10;
    if (r < 3) {
        snprintf(buf, size, "%d", rand_r(seed) % 300 - 150);
    } else if (r < 4) {
        snprintf(buf, size, "%lld", (long long)rand_r(seed) * 1000003LL * (rand_r(seed) & 1 ? 1 : -1));
    } else {
        size_t len = r < 9 ? (size_t)(rand_r(seed) % 20) : (size_t)(rand_r(seed) % 1500);
        if (len >= size)
            len = size - 1;
        memset(buf, 'a' + rand_r(seed) % 4, len);
        buf[len] = '\0';
    }
}

static void test_ql_random_operations_match_model(void **state)
{
    (void)state;
    static const int fills[] = {-2, -1, 1, 3, 16, 128};
    char val[2000];
    for (size_t f = 0; f < sizeof(fills) / sizeof(fills[0]); f++) {
        unsigned seed = 1234 + (unsigned)f;
        int fill = fills[f];
        ql *l = ql_new();
        model m = {0};
        for (int step = 0; step < 3000; step++) {
            int op = rand_r(&seed) % 10;
            random_value(&seed, val, sizeof(val));
            if (op < 4) {
                int tail = rand_r(&seed) & 1;
                l = ql_grow(l, fill, strlen(val), 1);
                l = push_str(l, tail, val);
                m_insert(&m, tail ? m.n : 0, val);
            } else if (op < 5 && m.n) {
                size_t i = (size_t)rand_r(&seed) % m.n, k = (size_t)rand_r(&seed) % 8 + 1;
                if (k > m.n - i)
                    k = m.n - i;
                l = ql_shrink(ql_delete_range(l, i, k), fill);
                m_delete(&m, i, k);
            } else if (op < 6 && m.n) {
                size_t i = (size_t)rand_r(&seed) % m.n;
                l = ql_grow(l, fill, strlen(val), 1);
                l = ql_shrink(ql_replace(l, i, val, strlen(val)), fill);
                free(m.v[i]);
                m.v[i] = strdup(val);
            } else if (op < 8 && m.n) {
                size_t i = (size_t)rand_r(&seed) % m.n;
                int after = rand_r(&seed) & 1, fwd = rand_r(&seed) & 1;
                ql_iter it;
                ql_entry e;
                l = ql_grow(l, fill, strlen(val), 1);
                ql_iter_init(&it, l, (long)i, fwd);
                assert_true(ql_iter_next(&it, &e));
                ql_iter_insert(&it, after, val, strlen(val));
                l = ql_iter_list(&it);
                m_insert(&m, i + (size_t)after, val);
            } else if (m.n) {
                /* delete every element equal to the one at a random index */
                size_t i = (size_t)rand_r(&seed) % m.n;
                char *needle_s = strdup(m.v[i]);
                int fwd = rand_r(&seed) & 1;
                qlp_needle nd;
                qlp_needle_init(&nd, needle_s, strlen(needle_s));
                ql_iter it;
                ql_entry e;
                ql_iter_init(&it, l, fwd ? 0 : -1, fwd);
                while (ql_iter_next(&it, &e))
                    if (qlp_eq(&e, &nd))
                        ql_iter_delete(&it);
                l = ql_iter_list(&it);
                for (size_t j = m.n; j-- > 0;)
                    if (!strcmp(m.v[j], needle_s))
                        m_delete(&m, j, 1);
                free(needle_s);
                if (ql_count(l))
                    l = ql_shrink(l, fill);
            }
            assert_list(l, (const char *const *)m.v, m.n);
        }
        ql_free(l);
        m_delete(&m, 0, m.n);
        free(m.v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qlp_entry_sizes_match_redis_listpack),
        cmocka_unit_test(test_qlp_values_round_trip_in_both_directions),
        cmocka_unit_test(test_qlp_long_strings_use_wide_back_lengths),
        cmocka_unit_test(test_qlp_insert_replace_delete_keep_format),
        cmocka_unit_test(test_qlp_needle_compares_like_bytes),
        cmocka_unit_test(test_ql_limits_follow_fill),
        cmocka_unit_test(test_ql_grows_to_quicklist_past_the_limit_and_shrinks_at_half),
        cmocka_unit_test(test_ql_grow_counts_bytes_as_redis),
        cmocka_unit_test(test_ql_grow_of_empty_pack_gives_empty_quicklist),
        cmocka_unit_test(test_ql_insert_in_full_node_splits_it),
        cmocka_unit_test(test_ql_insert_at_node_edge_uses_neighbour_with_room),
        cmocka_unit_test(test_ql_delete_range_across_nodes),
        cmocka_unit_test(test_ql_iter_delete_both_directions_drops_empty_nodes),
        cmocka_unit_test(test_ql_replace_too_big_for_node_moves_out),
        cmocka_unit_test(test_ql_dup_is_independent),
        cmocka_unit_test(test_ql_huge_element_gets_its_own_node),
        cmocka_unit_test(test_ql_random_operations_match_model),
    };
    return cmocka_run_group_tests_name("quicklist", tests, NULL, NULL);
}
