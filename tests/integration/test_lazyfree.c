/* test_lazyfree: UNLINK and FLUSHALL/FLUSHDB ASYNC on respd. The key (or
 * database) is gone at once; a large set or hash, or a whole table of keys,
 * is freed afterwards by the loop in slices (INFO memory counts it as
 * pending until then), and its memory comes back. Small values are freed
 * at once. Replies and errors are compared with Redis in test_compat. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The number after "field:" in reply, or -1. */
static long long field_of(const char *reply, const char *field)
{
    char key[64];
    snprintf(key, sizeof(key), "\r\n%s:", field);
    const char *p = strstr(reply, key);
    return p ? atoll(p + strlen(key)) : -1;
}

/* Sends lines in one write and returns their replies (all in one batch:
 * the loop frees nothing between them). */
static char **batch(h_conn *c, const char *const *lines, int n)
{
    size_t total = 0;
    char *reqs[8];
    size_t lens[8];
    for (int i = 0; i < n; i++) {
        reqs[i] = h_request(lines[i], &lens[i]);
        assert_non_null(reqs[i]);
        total += lens[i];
    }
    char *buf = calloc(1, total), *p = buf;
    assert_non_null(buf);
    for (int i = 0; i < n; i++) {
        memcpy(p, reqs[i], lens[i]);
        p += lens[i];
        free(reqs[i]);
    }
    assert_int_equal(h_send(c, buf, total), 0);
    free(buf);
    char **out = calloc((size_t)n, sizeof(char *));
    for (int i = 0; i < n; i++)
        assert_int_equal(h_read_reply(c, H_REPLY_TIMEOUT_MS, &out[i], NULL), 0);
    return out;
}

static void free_replies(char **r, int n)
{
    for (int i = 0; i < n; i++)
        free(r[i]);
    free(r);
}

/* h_call takes up to 256 arguments: 100 members or fields a call. */
static void fill(h_conn *c, const char *cmd, const char *key, int n)
{
    for (int i = 0; i < n; i += 100) {
        char line[4000];
        int len = snprintf(line, sizeof(line), "%s %s", cmd, key);
        for (int j = i; j < i + 100 && j < n; j++)
            len += snprintf(line + len, sizeof(line) - (size_t)len,
                            strcmp(cmd, "HSET") == 0 ? " f%d v" : " m%d", j);
        free(h_call(c, line));
    }
}

/* Waits (bounded) until nothing is pending; returns lazyfreed_objects. */
static long long settle(h_conn *c)
{
    for (int i = 0; i < 200 * h_slowdown(); i++) {
        if (h_info_field(c, "memory", "lazyfree_pending_objects") == 0)
            return h_info_field(c, "memory", "lazyfreed_objects");
        h_sleep_ms(10);
    }
    fail_msg("lazy freeing did not finish");
    return -1;
}

/* A fresh respd and a connection to it; *base its used_memory now. */
static h_conn *start(h_server *s, long long *base)
{
    h_conn *c = h_respd_start_connected(s, NULL, NULL);
    *base = h_info_field(c, "memory", "used_memory");
    return c;
}

static void test_lazyfree_unlink_large_values(void **state)
{
    (void)state;
    h_server s;
    long long base;
    h_conn *c = start(&s, &base);
    fill(c, "SADD", "bigset", 200000);
    fill(c, "HSET", "bighash", 200000);
    h_expect(c, "SADD smallset a b c", ":3\r\n");
    h_expect(c, "RPUSH list a b c", ":3\r\n");
    assert_true(h_info_field(c, "memory", "used_memory") > base + 5 * 1000 * 1000);
    static const char *const lines[] = {"UNLINK bigset bighash smallset list nokey",
                                        "EXISTS bigset bighash smallset list", "INFO memory"};
    char **r = batch(c, lines, 3);
    assert_string_equal(r[0], ":4\r\n");
    assert_string_equal(r[1], ":0\r\n");
    /* The two tables wait; the small set and the list went at once. */
    assert_int_equal(field_of(r[2], "lazyfree_pending_objects"), 2);
    assert_int_equal(field_of(r[2], "lazyfreed_objects"), 0);
    free_replies(r, 3);
    assert_int_equal(settle(c), 2);
    /* Everything came back (a little slack for the reply buffers). */
    assert_true(h_info_field(c, "memory", "used_memory") < base + 200 * 1000);
    /* The keys can be written again at once. */
    h_expect(c, "SADD bigset x", ":1\r\n");
    h_expect(c, "DEL bigset", ":1\r\n");
    h_close(c);
    h_server_stop(&s);
}

static void test_lazyfree_flush_async(void **state)
{
    (void)state;
    h_server s;
    long long base;
    h_conn *c = start(&s, &base);
    for (int i = 0; i < 1000; i++) {
        char line[4000];
        int len = snprintf(line, sizeof(line), "MSET");
        for (int j = i * 100; j < (i + 1) * 100; j++)
            len += snprintf(line + len, sizeof(line) - (size_t)len, " k%d v", j);
        free(h_call(c, line));
    }
    h_expect(c, "SET t v EX 1000", "+OK\r\n");
    h_expect(c, "SELECT 1", "+OK\r\n");
    fill(c, "SADD", "s1", 1000);
    h_expect(c, "SET one 1", "+OK\r\n");
    /* FLUSHDB ASYNC empties db 1 now and counts its two keys, as Redis
     * does; the set's own table is queued when its key is freed. */
    static const char *const l1[] = {"FLUSHDB ASYNC", "DBSIZE", "INFO memory"};
    char **r = batch(c, l1, 3);
    assert_string_equal(r[0], "+OK\r\n");
    assert_string_equal(r[1], ":0\r\n");
    assert_int_equal(field_of(r[2], "lazyfree_pending_objects"), 2);
    free_replies(r, 3);
    assert_int_equal(settle(c), 2);
    h_expect(c, "SELECT 0", "+OK\r\n");
    static const char *const l2[] = {"FLUSHALL ASYNC", "DBSIZE", "TTL t", "INFO memory",
                                     "SET after v"};
    r = batch(c, l2, 5);
    assert_string_equal(r[0], "+OK\r\n");
    assert_string_equal(r[1], ":0\r\n");
    assert_string_equal(r[2], ":-2\r\n");
    assert_int_equal(field_of(r[3], "lazyfree_pending_objects"), 100001);
    assert_string_equal(r[4], "+OK\r\n");
    free_replies(r, 5);
    assert_int_equal(settle(c), 2 + 100001);
    h_expect(c, "DBSIZE", ":1\r\n");
    h_expect(c, "GET after", "$1\r\nv\r\n");
    assert_true(h_info_field(c, "memory", "used_memory") < base + 200 * 1000);
    h_expect(c, "FLUSHALL SYNC", "+OK\r\n");
    h_expect(c, "FLUSHALL ASYNC x", "-ERR syntax error\r\n");
    h_expect(c, "CONFIG RESETSTAT", "+OK\r\n");
    assert_int_equal(h_info_field(c, "memory", "lazyfreed_objects"), 0);
    h_close(c);
    h_server_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lazyfree_unlink_large_values),
        cmocka_unit_test(test_lazyfree_flush_async),
    };
    return cmocka_run_group_tests_name("lazyfree", tests, NULL, NULL);
}
