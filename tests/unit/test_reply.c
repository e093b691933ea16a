/* Unit tests for the reply encoder (src/reply.c).
 *
 * Expected bytes were taken from redis-server 7.0.15 for the same replies
 * (with and without HELLO 3), e.g. ZSCORE for the doubles and CLIENT INFO for
 * the verbatim string. Each test ends with mem_used() where it started.
 */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mem.h"
#include "reply.h"

#define S(lit) lit, sizeof(lit) - 1

static int setup(void **state)
{
    size_t *start = malloc(sizeof(*start));
    *start = mem_used();
    *state = start;
    return 0;
}

static int teardown(void **state)
{
    size_t *start = *state;
    size_t used = mem_used();
    size_t want = *start;
    free(start);
    assert_int_equal(used, want);
    return 0;
}

static void expect_bytes(const reply_buf *rb, const char *want, size_t n)
{
    if (rb->len != n || memcmp(rb->buf, want, n) != 0)
        fail_msg("got %zu bytes \"%.*s\", want %zu bytes \"%.*s\"", rb->len, (int)rb->len,
                 rb->buf ? rb->buf : "", n, (int)n, want);
}

#define EXPECT(rb, lit) expect_bytes(rb, S(lit))

static void new_buf(reply_buf *rb, int proto)
{
    reply_init(rb);
    rb->proto = proto;
}

/* ---- buffer management ---- */

static void test_reply_init_is_empty_resp2(void **state)
{
    reply_buf rb;
    reply_init(&rb);
    assert_int_equal(rb.len, 0);
    assert_int_equal(rb.proto, 2);
    reply_fini(&rb);
}

static void test_reply_reserve_then_commit(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    char *p = reply_reserve(&rb, 100);
    assert_true(rb.cap - rb.len >= 100);
    memcpy(p, "+OK\r\n", 5);
    reply_commit(&rb, 5);
    EXPECT(&rb, "+OK\r\n");
    reply_fini(&rb);
}

static void test_reply_growth_is_amortized_doubling(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    int reallocs = 0;
    size_t cap = rb.cap;
    for (int i = 0; i < 100000; i++) {
        reply_raw(&rb, "x", 1);
        if (rb.cap != cap) {
            reallocs++;
            cap = rb.cap;
        }
        assert_true(rb.cap <= 2 * rb.len + 64);
    }
    assert_true(reallocs <= 20);
    reply_fini(&rb);
}

static void test_reply_large_reserve_gets_room_at_once(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_raw(&rb, "ab", 2);
    reply_reserve(&rb, 1000000);
    assert_true(rb.cap - rb.len >= 1000000);
    reply_fini(&rb);
}

static void test_reply_consume_keeps_unsent_tail(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_raw(&rb, S("+OK\r\n:1\r\n"));
    reply_consume(&rb, 3);
    EXPECT(&rb, "\r\n:1\r\n");
    reply_consume(&rb, 2);
    EXPECT(&rb, ":1\r\n");
    reply_fini(&rb);
}

static void test_reply_consume_all_empties(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_ok(&rb);
    reply_consume(&rb, 5);
    assert_int_equal(rb.len, 0);
    reply_ok(&rb);
    EXPECT(&rb, "+OK\r\n");
    reply_fini(&rb);
}

static void test_reply_shrink_frees_big_empty_buffer(void **state)
{
    size_t before = mem_used();
    reply_buf rb;
    new_buf(&rb, 2);
    reply_reserve(&rb, 100000);
    reply_shrink(&rb, 16384);
    assert_int_equal(rb.cap, 0);
    assert_int_equal(mem_used(), before);
    reply_ok(&rb);
    EXPECT(&rb, "+OK\r\n");
    reply_fini(&rb);
}

static void test_reply_shrink_keeps_nonempty_buffer(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_reserve(&rb, 100000);
    reply_ok(&rb);
    size_t cap = rb.cap;
    reply_shrink(&rb, 16384);
    assert_int_equal(rb.cap, cap);
    EXPECT(&rb, "+OK\r\n");
    reply_fini(&rb);
}

static void test_reply_shrink_keeps_small_buffer(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_ok(&rb);
    reply_consume(&rb, 5);
    size_t cap = rb.cap;
    reply_shrink(&rb, 16384);
    assert_int_equal(rb.cap, cap);
    reply_fini(&rb);
}

/* ---- ll2str ---- */

static void test_reply_ll2str_values(void **state)
{
    static const long long v[] = {
        0,  1,  9,   10,   99,           100,          101,       999,       1000,         12345,
        -1, -9, -10, -100, 1000000007LL, 4294967296LL, LLONG_MAX, LLONG_MIN, LLONG_MIN + 1};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char want[32], got[21];
        int wn = snprintf(want, sizeof(want), "%lld", v[i]);
        memset(got, 'z', sizeof(got));
        int n = reply_ll2str(got, v[i]);
        assert_int_equal(n, wn);
        assert_string_equal(got, want);
    }
}

static void test_reply_ll2str_every_small_value(void **state)
{
    for (long long i = -100000; i <= 100000; i++) {
        char want[32], got[21];
        snprintf(want, sizeof(want), "%lld", i);
        reply_ll2str(got, i);
        assert_string_equal(got, want);
    }
}

/* ---- simple types ---- */

static void test_reply_simple_string(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_simple(&rb, "PONG");
    reply_simple(&rb, "");
    EXPECT(&rb, "+PONG\r\n+\r\n");
    reply_fini(&rb);
}

static void test_reply_ok_bytes(void **state)
{
    reply_buf rb;
    new_buf(&rb, 3);
    reply_ok(&rb);
    EXPECT(&rb, "+OK\r\n");
    reply_fini(&rb);
}

static void test_reply_error_bytes(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_error(&rb, "WRONGTYPE Operation against a key holding the wrong kind of value");
    EXPECT(&rb, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    reply_fini(&rb);
}

static void test_reply_error_crlf_become_spaces(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_error(&rb, "ERR a\nb\r\nc\r");
    EXPECT(&rb, "-ERR a b  c \r\n");
    reply_fini(&rb);
}

static void test_reply_error_len_uses_length(void **state)
{
    reply_buf rb;
    new_buf(&rb, 3);
    reply_error_len(&rb, "ERR xyz", 5);
    EXPECT(&rb, "-ERR x\r\n");
    reply_fini(&rb);
}

static void test_reply_int_bytes(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_int(&rb, 0);
    reply_int(&rb, -1);
    reply_int(&rb, 12345);
    reply_int(&rb, LLONG_MAX);
    reply_int(&rb, LLONG_MIN);
    EXPECT(&rb, ":0\r\n:-1\r\n:12345\r\n:9223372036854775807\r\n:-9223372036854775808\r\n");
    reply_fini(&rb);
}

static void test_reply_int_same_in_resp3(void **state)
{
    reply_buf rb;
    new_buf(&rb, 3);
    reply_int(&rb, 42);
    EXPECT(&rb, ":42\r\n");
    reply_fini(&rb);
}

static void test_reply_bulk_bytes(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_bulk(&rb, "hello", 5);
    reply_bulk(&rb, "", 0);
    reply_bulk(&rb, NULL, 0);
    reply_bulk(&rb, "a\0b\r\n", 5);
    EXPECT(&rb, "$5\r\nhello\r\n$0\r\n\r\n$0\r\n\r\n$5\r\na\0b\r\n\r\n");
    reply_fini(&rb);
}

static void test_reply_bulk_large(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    size_t n = 100000;
    char *big = malloc(n);
    memset(big, 'v', n);
    reply_bulk(&rb, big, n);
    assert_int_equal(rb.len, 9 + n + 2);
    assert_memory_equal(rb.buf, "$100000\r\n", 9);
    assert_memory_equal(rb.buf + 9, big, n);
    assert_memory_equal(rb.buf + 9 + n, "\r\n", 2);
    free(big);
    reply_fini(&rb);
}

static void test_reply_bulk_cstr_bytes(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_bulk_cstr(&rb, "abc");
    reply_bulk_cstr(&rb, NULL);
    EXPECT(&rb, "$3\r\nabc\r\n$-1\r\n");
    reply_fini(&rb);
}

static void test_reply_bulk_ll_bytes(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_bulk_ll(&rb, 0);
    reply_bulk_ll(&rb, -42);
    reply_bulk_ll(&rb, LLONG_MIN);
    EXPECT(&rb, "$1\r\n0\r\n$3\r\n-42\r\n$20\r\n-9223372036854775808\r\n");
    reply_fini(&rb);
}

static void test_reply_null_resp2(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_null(&rb);
    reply_null_array(&rb);
    EXPECT(&rb, "$-1\r\n*-1\r\n");
    reply_fini(&rb);
}

static void test_reply_null_resp3(void **state)
{
    reply_buf rb;
    new_buf(&rb, 3);
    reply_null(&rb);
    reply_null_array(&rb);
    EXPECT(&rb, "_\r\n_\r\n");
    reply_fini(&rb);
}

/* ---- aggregates ---- */

static void test_reply_array_bytes(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_array(&rb, 2);
    reply_bulk_cstr(&rb, "a");
    reply_int(&rb, 1);
    reply_array(&rb, 0);
    EXPECT(&rb, "*2\r\n$1\r\na\r\n:1\r\n*0\r\n");
    reply_fini(&rb);
}

static void test_reply_array_same_in_resp3(void **state)
{
    reply_buf rb;
    new_buf(&rb, 3);
    reply_array(&rb, 3);
    EXPECT(&rb, "*3\r\n");
    reply_fini(&rb);
}

static void test_reply_map_resp2_is_flat_array(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_map(&rb, 1);
    reply_bulk_cstr(&rb, "maxmemory");
    reply_bulk_cstr(&rb, "0");
    reply_map(&rb, 0);
    EXPECT(&rb, "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n*0\r\n");
    reply_fini(&rb);
}

static void test_reply_map_resp3(void **state)
{
    reply_buf rb;
    new_buf(&rb, 3);
    reply_map(&rb, 1);
    reply_bulk_cstr(&rb, "maxmemory");
    reply_bulk_cstr(&rb, "0");
    EXPECT(&rb, "%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
    reply_fini(&rb);
}

static void test_reply_set_both_protocols(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_set(&rb, 5);
    rb.proto = 3;
    reply_set(&rb, 5);
    EXPECT(&rb, "*5\r\n~5\r\n");
    reply_fini(&rb);
}

static void test_reply_push_both_protocols(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_push(&rb, 3);
    rb.proto = 3;
    reply_push(&rb, 3);
    EXPECT(&rb, "*3\r\n>3\r\n");
    reply_fini(&rb);
}

/* ---- doubles, booleans, verbatim ---- */

static void test_reply_double_resp2_is_bulk(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_double(&rb, 1.1);
    reply_double(&rb, 0.1 + 0.2);
    reply_double(&rb, 1e300);
    reply_double(&rb, 3);
    reply_double(&rb, 0);
    reply_double(&rb, 1e-300);
    reply_double(&rb, 123456789012345678.0);
    EXPECT(&rb, "$18\r\n1.1000000000000001\r\n$19\r\n0.30000000000000004\r\n"
                "$23\r\n1.0000000000000001e+300\r\n$1\r\n3\r\n$1\r\n0\r\n$6\r\n1e-300\r\n"
                "$22\r\n1.2345678901234568e+17\r\n");
    reply_fini(&rb);
}

static void test_reply_double_resp3(void **state)
{
    reply_buf rb;
    new_buf(&rb, 3);
    reply_double(&rb, 1.1);
    reply_double(&rb, 0.1 + 0.2);
    reply_double(&rb, 1e300);
    reply_double(&rb, 3);
    reply_double(&rb, 0);
    reply_double(&rb, 1e-300);
    reply_double(&rb, 123456789012345678.0);
    EXPECT(&rb, ",1.1000000000000001\r\n,0.30000000000000004\r\n,1.0000000000000001e+300\r\n"
                ",3\r\n,0\r\n,1e-300\r\n,1.2345678901234568e+17\r\n");
    reply_fini(&rb);
}

static void test_reply_double_infinities(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_double(&rb, INFINITY);
    reply_double(&rb, -INFINITY);
    rb.proto = 3;
    reply_double(&rb, INFINITY);
    reply_double(&rb, -INFINITY);
    EXPECT(&rb, "$3\r\ninf\r\n$4\r\n-inf\r\n,inf\r\n,-inf\r\n");
    reply_fini(&rb);
}

static void test_reply_double_nan(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_double(&rb, NAN);
    rb.proto = 3;
    reply_double(&rb, NAN);
    EXPECT(&rb, "$3\r\nnan\r\n,nan\r\n");
    reply_fini(&rb);
}

static void test_reply_bool_both_protocols(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_bool(&rb, 1);
    reply_bool(&rb, 0);
    rb.proto = 3;
    reply_bool(&rb, 7);
    reply_bool(&rb, 0);
    EXPECT(&rb, ":1\r\n:0\r\n#t\r\n#f\r\n");
    reply_fini(&rb);
}

static void test_reply_verbatim_resp3(void **state)
{
    reply_buf rb;
    new_buf(&rb, 3);
    reply_verbatim(&rb, "id=7\n", 5, "txt");
    reply_verbatim(&rb, "", 0, "mkd");
    EXPECT(&rb, "=9\r\ntxt:id=7\n\r\n=4\r\nmkd:\r\n");
    reply_fini(&rb);
}

static void test_reply_verbatim_short_ext_padded(void **state)
{
    reply_buf rb;
    new_buf(&rb, 3);
    reply_verbatim(&rb, "x", 1, "t");
    EXPECT(&rb, "=5\r\nt  :x\r\n");
    reply_fini(&rb);
}

static void test_reply_verbatim_resp2_is_bulk(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_verbatim(&rb, "id=7\n", 5, "txt");
    EXPECT(&rb, "$5\r\nid=7\n\r\n");
    reply_fini(&rb);
}

/* ---- deferred lengths ---- */

static void test_reply_defer_zero_elements(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_ok(&rb);
    size_t off = reply_defer(&rb);
    reply_defer_set(&rb, off, '*', 0);
    reply_int(&rb, 1);
    EXPECT(&rb, "+OK\r\n*0\r\n:1\r\n");
    reply_fini(&rb);
}

static void test_reply_defer_many_elements(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    reply_simple(&rb, "before");
    size_t off = reply_defer(&rb);
    for (int i = 0; i < 10000; i++)
        reply_int(&rb, i);
    size_t body = rb.len - off;
    reply_defer_set(&rb, off, '*', 10000);
    assert_memory_equal(rb.buf, "+before\r\n*10000\r\n:0\r\n:1\r\n", 25);
    assert_int_equal(rb.len, off + 8 + body);
    assert_memory_equal(rb.buf + rb.len - 7, ":9999\r\n", 7);
    reply_fini(&rb);
}

static void test_reply_defer_nested(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    size_t outer = reply_defer(&rb);
    size_t inner = reply_defer(&rb);
    reply_int(&rb, 1);
    reply_defer_set(&rb, inner, '*', 1);
    reply_int(&rb, 2);
    reply_defer_set(&rb, outer, '*', 2);
    EXPECT(&rb, "*2\r\n*1\r\n:1\r\n:2\r\n");
    reply_fini(&rb);
}

static void test_reply_defer_map_and_set_resp2(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    size_t off = reply_defer(&rb);
    reply_bulk_cstr(&rb, "k");
    reply_int(&rb, 1);
    reply_defer_set(&rb, off, '%', 1);
    off = reply_defer(&rb);
    reply_defer_set(&rb, off, '~', 0);
    EXPECT(&rb, "*2\r\n$1\r\nk\r\n:1\r\n*0\r\n");
    reply_fini(&rb);
}

static void test_reply_defer_map_and_set_resp3(void **state)
{
    reply_buf rb;
    new_buf(&rb, 3);
    size_t off = reply_defer(&rb);
    reply_bulk_cstr(&rb, "k");
    reply_int(&rb, 1);
    reply_defer_set(&rb, off, '%', 1);
    off = reply_defer(&rb);
    reply_defer_set(&rb, off, '~', 0);
    EXPECT(&rb, "%1\r\n$1\r\nk\r\n:1\r\n~0\r\n");
    reply_fini(&rb);
}

static void test_reply_defer_on_empty_buffer(void **state)
{
    reply_buf rb;
    new_buf(&rb, 2);
    size_t off = reply_defer(&rb);
    reply_defer_set(&rb, off, '*', 0);
    EXPECT(&rb, "*0\r\n");
    reply_fini(&rb);
}

/* Every test runs between setup and teardown, which checks for leaks. */
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_reply_init_is_empty_resp2),
        T(test_reply_reserve_then_commit),
        T(test_reply_growth_is_amortized_doubling),
        T(test_reply_large_reserve_gets_room_at_once),
        T(test_reply_consume_keeps_unsent_tail),
        T(test_reply_consume_all_empties),
        T(test_reply_shrink_frees_big_empty_buffer),
        T(test_reply_shrink_keeps_nonempty_buffer),
        T(test_reply_shrink_keeps_small_buffer),
        T(test_reply_ll2str_values),
        T(test_reply_ll2str_every_small_value),
        T(test_reply_simple_string),
        T(test_reply_ok_bytes),
        T(test_reply_error_bytes),
        T(test_reply_error_crlf_become_spaces),
        T(test_reply_error_len_uses_length),
        T(test_reply_int_bytes),
        T(test_reply_int_same_in_resp3),
        T(test_reply_bulk_bytes),
        T(test_reply_bulk_large),
        T(test_reply_bulk_cstr_bytes),
        T(test_reply_bulk_ll_bytes),
        T(test_reply_null_resp2),
        T(test_reply_null_resp3),
        T(test_reply_array_bytes),
        T(test_reply_array_same_in_resp3),
        T(test_reply_map_resp2_is_flat_array),
        T(test_reply_map_resp3),
        T(test_reply_set_both_protocols),
        T(test_reply_push_both_protocols),
        T(test_reply_double_resp2_is_bulk),
        T(test_reply_double_resp3),
        T(test_reply_double_infinities),
        T(test_reply_double_nan),
        T(test_reply_bool_both_protocols),
        T(test_reply_verbatim_resp3),
        T(test_reply_verbatim_short_ext_padded),
        T(test_reply_verbatim_resp2_is_bulk),
        T(test_reply_defer_zero_elements),
        T(test_reply_defer_many_elements),
        T(test_reply_defer_nested),
        T(test_reply_defer_map_and_set_resp2),
        T(test_reply_defer_map_and_set_resp3),
        T(test_reply_defer_on_empty_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
