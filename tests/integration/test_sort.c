/* test_sort: SORT and SORT_RO against a real redis-server, reply bytes
 * compared in RESP2 and RESP3 (hdiff.h): numeric and ALPHA ordering, DESC,
 * LIMIT clamping, BY with string keys and hash fields, BY without '*',
 * GET (several, '#', hash fields, missing keys), STORE (results read back,
 * empty results delete the destination), the errors, COMMAND GETKEYS, and
 * SORT ... STORE through an AOF restart. Sets and sorted sets are tested
 * when respd has them (their modules register a walker, t_sort.h).
 */
#include "harness.h"
#include "hdiff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Skips the test unless respd can build and sort a key of this type. */
static void require_type(const char *make, const char *sortcmd)
{
    h_conn *c = h_connect(respd_srv.port, 2000);
    assert_non_null(c);
    free(h_call(c, "FLUSHALL"));
    char *r1 = h_call(c, make);
    char *r2 = h_call(c, sortcmd);
    int ok = r1 && r1[0] != '-' && r2 && r2[0] != '-';
    free(r1);
    free(r2);
    h_close(c);
    if (!ok) {
        fprintf(stderr, "respd cannot yet \"%s\" then \"%s\": skipped\n", make, sortcmd);
        skip();
    }
}

static void test_sort_list_numeric_and_alpha(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "RPUSH l 3 10 -2 1.5 7 0 10",
        "SORT l", "SORT l DESC", "SORT l ASC", "SORT_RO l", "SORT_RO l DESC",
        "SORT l ALPHA", "SORT l ALPHA DESC", "SORT l desc alpha asc",
        "RPUSH w b a c", "SORT w", "SORT w ALPHA", "SORT w ALPHA DESC",
        /* Equal scores order by the elements' bytes. */
        "RPUSH t 1.0 1 01 1e0", "SORT t", "SORT t DESC",
        /* strtod's view of numbers: spaces, hex, inf and "" parse, the
         * rest fail. The failing ones come last: Redis never clears errno
         * before strtod, so after an overflow its later numeric SORTs fail
         * until errno changes, which respd does not imitate. */
        "RPUSH f \" 5\" \"\" 0x10 inf -inf 2e3", "SORT f", "SORT f DESC",
        "SORT nokey", "SORT nokey ALPHA DESC LIMIT 0 5",
        /* Binary elements compare as bytes (with STORE Redis compares
         * binary-safe; without it strcoll stops at a NUL byte). */
        "RPUSH bin \"a\\x00b\" \"a\" \"a\\x00a\"", "SORT bin ALPHA STORE bd", "LRANGE bd 0 -1",
        "RPUSH bad 1 1e500", "SORT bad", "RPUSH bad2 1 nan", "SORT bad2",
        "RPUSH bad3 1 \"2 \"", "SORT bad3",
        NULL,
    };
    RUN(steps);
}

static void test_sort_limit(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "RPUSH l 5 4 3 2 1",
        "SORT l LIMIT 0 2", "SORT l LIMIT 1 2", "SORT l LIMIT 3 10", "SORT l LIMIT 5 1",
        "SORT l LIMIT 10 1", "SORT l LIMIT -5 2", "SORT l LIMIT 1 -1", "SORT l LIMIT 1 -3",
        "SORT l LIMIT 0 0", "SORT l LIMIT 2 1 DESC", "SORT l LIMIT 0 1 LIMIT 2 2",
        "SORT l LIMIT a 1", "SORT l LIMIT 1 b", "SORT l LIMIT 1", "SORT l LIMIT",
        "SORT nokey LIMIT 0 1", "SORT nokey LIMIT 5 5",
        NULL,
    };
    RUN(steps);
}

static void test_sort_by_and_get_patterns(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "RPUSH l a b c d",
        "MSET w_a 3 w_b 1 w_c 2", "HSET h_a f 30 g x", "HSET h_b f 10", "HSET h_c f 20 g y",
        "SORT l BY w_*", "SORT l BY w_* DESC", "SORT l BY w_* ALPHA", "SORT l BY h_*->f",
        "SORT l BY h_*->f DESC", "SORT l BY h_*->g ALPHA", "SORT l BY h_*->g ALPHA DESC",
        "SORT l BY nosort", "SORT l BY nosort DESC", "SORT l BY nosort LIMIT 1 2",
        "SORT l BY nosort DESC LIMIT 1 2", "SORT l BY h_a->f", "SORT l BY nosort ALPHA",
        "SORT l BY w_* GET #", "SORT l BY w_* GET w_*", "SORT l BY w_* GET # GET w_* GET h_*->f",
        "SORT l ALPHA GET h_*->g GET nosuch_* GET #", "SORT l ALPHA GET fixed",
        "SORT l ALPHA GET h_*->", "SORT l ALPHA GET h_*-> GET h_->f",
        "SET h_d str", "SORT l ALPHA GET h_*->f", "RPUSH w_d x", "SORT l ALPHA GET w_*",
        "SORT l ALPHA BY x*y GET #", "SORT l BY w_*->", "DEL w_d", "SET w_d notanumber",
        "SORT l BY w_*", "SORT l BY w_* LIMIT 0 1",
        "SORT l BY w_* DESC GET # GET w_* LIMIT 1 2",
        "SORT_RO l BY h_*->f GET # GET h_*->f",
        "RPUSH nums 3 1 2", "SORT nums BY nosuch_*", "SORT nums BY nosuch_* ALPHA",
        "SORT nums BY nosuch_* DESC", "SORT nums GET # GET #",
        NULL,
    };
    RUN(steps);
}

static void test_sort_store(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "RPUSH l 3 1 2", "MSET w_1 x w_3 z",
        "SORT l STORE dst", "LRANGE dst 0 -1", "TYPE dst",
        "SORT l DESC STORE dst", "LRANGE dst 0 -1",
        "SORT l GET # GET w_* STORE dst", "LRANGE dst 0 -1",
        "SORT l LIMIT 5 5 STORE dst", "EXISTS dst",
        "SET s str", "SORT l STORE s", "TYPE s", "LRANGE s 0 -1",
        "SET e str", "EXPIRE e 100", "SORT l STORE e", "TTL e",
        "SORT l STORE l", "LRANGE l 0 -1",
        "SORT nokey STORE dst2", "EXISTS dst2",
        "SORT l STORE a STORE b", "EXISTS a", "LRANGE b 0 -1",
        "SORT l STORE", "SORT_RO l STORE x", "SORT_RO l STORE", "EXISTS x",
        "RPUSH bad 1 x", "SORT bad STORE dst3", "EXISTS dst3",
        NULL,
    };
    RUN(steps);
}

static void test_sort_errors_and_getkeys(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SET s v", "HSET h a 1", "SORT s", "SORT h", "SORT_RO s", "SORT s foo", "SORT nokey foo",
        "SORT", "SORT_RO", "SORT s BY", "SORT s GET", "SORT s LIMIT 0", "SORT nokey DESCX",
        "COMMAND GETKEYS SORT k", "COMMAND GETKEYS SORT k STORE d",
        "COMMAND GETKEYS SORT k STORE d1 STORE d2", "COMMAND GETKEYS SORT k GET store BY store",
        "COMMAND GETKEYS SORT k LIMIT 0 1 STORE d", "COMMAND GETKEYS SORT_RO k",
        NULL,
    };
    RUN(steps);
}

static void test_sort_sets(void **state)
{
    (void)state;
    require_type("SADD probe 1", "SORT probe");
    static const char *const steps[] = {
        "SADD is 5 3 -1 10", "SORT is", "SORT is DESC", "SORT is LIMIT 1 2",
        "SORT is BY nosort", "SORT is BY nosort STORE d", "LRANGE d 0 -1",
        "SADD ss b a c", "SORT ss ALPHA", "SORT ss", "%u SORT ss BY nosort",
        "SORT ss BY nosort STORE d", "LRANGE d 0 -1",
        "MSET w_a 2 w_b 3 w_c 1", "SORT ss BY w_*", "SORT ss BY w_* GET # GET w_*",
        "SORT ss ALPHA BY w_* STORE d", "LRANGE d 0 -1",
        NULL,
    };
    RUN(steps);
}

static void test_sort_sorted_sets(void **state)
{
    (void)state;
    require_type("ZADD probe 1 a", "SORT probe ALPHA");
    static const char *const steps[] = {
        "ZADD z 3 a 1 b 2 c 0 10 5 20", "SORT z BY nosort", "SORT z BY nosort DESC",
        "SORT z BY nosort LIMIT 1 2", "SORT z BY nosort DESC LIMIT 1 2", "SORT z ALPHA",
        "SORT z", "ZADD n 1 30 2 10 3 20", "SORT n", "SORT n BY nosort",
        "SORT n BY nosort STORE d", "LRANGE d 0 -1",
        NULL,
    };
    RUN(steps);
}

/* SORT ... STORE replays from the AOF (and a rewrite) to the same list. */
static void test_sort_store_aof_round_trip(void **state)
{
    (void)state;
    char dir[128];
    assert_int_equal(h_mktempdir(dir, sizeof(dir)), 0);
    const char *args[] = {"--appendonly", "yes", "--dir", dir, NULL};
    h_server s;
    h_conn *c = h_respd_start_connected(&s, NULL, args);
    free(h_call(c, "RPUSH l 3 1 2 b a"));
    free(h_call(c, "MSET w_3 1 w_1 2 w_2 3 w_b 0 w_a 9"));
    free(h_call(c, "SORT l BY w_* GET # GET w_* STORE d1"));
    free(h_call(c, "SORT l ALPHA DESC STORE d2"));
    free(h_call(c, "SET gone x"));
    free(h_call(c, "SORT nokey STORE gone"));
    char *d1 = h_call(c, "LRANGE d1 0 -1"), *d2 = h_call(c, "LRANGE d2 0 -1");
    assert_non_null(d1);
    assert_non_null(d2);
    h_close(c);
    h_server_stop_keep(&s);
    h_server s2;
    assert_int_equal(h_respd_start(&s2, NULL, args), 0);
    c = h_connect(s2.port, 2000);
    assert_non_null(c);
    char *e1 = h_call(c, "LRANGE d1 0 -1"), *e2 = h_call(c, "LRANGE d2 0 -1");
    char *ex = h_call(c, "EXISTS gone");
    assert_string_equal(e1, d1);
    assert_string_equal(e2, d2);
    assert_string_equal(ex, ":0\r\n");
    free(e1);
    free(e2);
    free(ex);
    free(d1);
    free(d2);
    h_close(c);
    h_server_stop(&s2);
    h_server_cleanup(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_list_numeric_and_alpha),
        cmocka_unit_test(test_sort_limit),
        cmocka_unit_test(test_sort_by_and_get_patterns),
        cmocka_unit_test(test_sort_store),
        cmocka_unit_test(test_sort_errors_and_getkeys),
        cmocka_unit_test(test_sort_sets),
        cmocka_unit_test(test_sort_sorted_sets),
        cmocka_unit_test(test_sort_store_aof_round_trip),
    };
    return cmocka_run_group_tests(tests, hdiff_group_setup, hdiff_group_teardown);
}
