/* test_hash: the hash commands against a real redis-server, reply bytes
 * compared in RESP2 and RESP3 (hdiff.h), in both encodings and across the
 * conversion thresholds; HSCAN iterated to the end on both; HRANDFIELD by
 * shape and membership; and an AOF round trip through BGREWRITEAOF and a
 * restart. Without redis-server the differential tests are skipped.
 */
#include "harness.h"
#include "hdiff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void test_hash_set_get_basic(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "HSET h a 1 b 2 c hello",
        "HSET h a 1",
        "HSET h a 3 d 4",
        "HGET h a", "HGET h c", "HGET h nofield", "HGET nokey a",
        "HMGET h a nofield c", "HMGET nokey a b",
        "HGETALL h", "HKEYS h", "HVALS h", "HLEN h", "HLEN nokey",
        "HGETALL nokey", "HKEYS nokey", "HVALS nokey",
        "HEXISTS h a", "HEXISTS h zz", "HEXISTS nokey a",
        "HSTRLEN h c", "HSTRLEN h a", "HSTRLEN h zz", "HSTRLEN nokey a",
        "HMSET h e 5 f 6", "HGETALL h",
        "HSETNX h a 9", "HSETNX h g 7", "HSETNX newh x y", "HGETALL newh",
        "HDEL h a zz b", "HDEL h zz", "HDEL nokey a", "HGETALL h",
        "HDEL h c d e f g", "EXISTS h", "TYPE newh",
        /* Values that look like integers but are not canonical stay bytes. */
        "HSET n -5 -5 01 01 +1 +1 -0 -0 9223372036854775807 x -9223372036854775808 y "
        "9223372036854775808 z \"\" empty e \"\"",
        "HGETALL n", "HGET n 01", "HGET n -0", "HGET n \"\"", "HSTRLEN n -5",
        "HSTRLEN n e", "HMGET n 1 -5 -0 0",
        "HSET bin \"a\\x00b\" \"\\x00\\xff\"", "HGETALL bin",
        NULL,
    };
    RUN(steps);
}

static void test_hash_errors_and_wrongtype(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SET s v",
        "HSET s a 1", "HSETNX s a 1", "HGET s a", "HMSET s a 1", "HMGET s a", "HGETALL s",
        "HDEL s a", "HLEN s", "HEXISTS s a", "HKEYS s", "HVALS s", "HINCRBY s a 1",
        "HINCRBYFLOAT s a 1", "HSTRLEN s a", "HRANDFIELD s", "HRANDFIELD s 2",
        "HRANDFIELD s 0", "HSCAN s 0", "HSCAN s x",
        "HSET h a", "HSET h a 1 b", "HMSET h a", "HSET h", "HGET h", "HDEL h",
        "HSETNX h a", "HINCRBY h a", "HSCAN h", "HRANDFIELD",
        "EXISTS h",
        NULL,
    };
    RUN(steps);
}

static void test_hash_incrby_and_incrbyfloat(void **state)
{
    (void)state;
    if (h_wrapped())
        skip(); /* valgrind computes long double in 64 bits: the sums differ */
    static const char *const steps[] = {
        "HINCRBY h a 5", "HINCRBY h a -10", "HINCRBY h a 0", "HGET h a",
        "HINCRBY h a abc", "HINCRBY h a 1.5", "HINCRBY h a 9223372036854775807",
        "HSET h big 9223372036854775807", "HINCRBY h big 1", "HINCRBY h big -1",
        "HSET h neg -9223372036854775808", "HINCRBY h neg -1",
        "HSET h s \" 1\"", "HINCRBY h s 1", "HSET h s hello", "HINCRBY h s 1",
        "HINCRBYFLOAT h f 1.5", "HINCRBYFLOAT h f 1e3", "HINCRBYFLOAT h f -0.25",
        "HINCRBYFLOAT h f abc", "HINCRBYFLOAT h f inf", "HINCRBYFLOAT h f nan",
        "HINCRBYFLOAT newkey f inf", "EXISTS newkey",
        "HSET h hex 0x10", "HINCRBYFLOAT h hex 1", "HSET h sp \"1.5 \"",
        "HINCRBYFLOAT h sp 1", "HINCRBYFLOAT h s 1",
        "HSET h huge 1e308", "HINCRBYFLOAT h huge 1e308",
        "HINCRBYFLOAT h a 0.1", "HINCRBY h a 1", "%p HGETALL h",
        "HINCRBYFLOAT h1 x 1e100", "OBJECT ENCODING h1", "HGET h1 x",
        "HINCRBY h2 x 1", "OBJECT ENCODING h2",
        NULL,
    };
    RUN(steps);
}

static void test_hash_encoding_conversions(void **state)
{
    (void)state;
    static const char *const steps[] = {
        /* Redis 7.0's defaults (512 fields for a listpack hash) and types: a
         * count of 0..LLONG_MAX, a value limit that is a memory size. */
        "%p CONFIG GET hash-max-*", "%p CONFIG GET zset-max-*", "CONFIG GET set-max-intset-entries",
        "CONFIG SET hash-max-listpack-entries -1", "CONFIG SET hash-max-listpack-entries 1.5",
        "CONFIG SET hash-max-listpack-entries 9223372036854775808",
        "CONFIG SET hash-max-listpack-value abc", "CONFIG SET hash-max-listpack-value -5kb",
        "CONFIG SET hash-max-listpack-value 1kb", "CONFIG GET hash-max-ziplist-value",
        "CONFIG SET zset-max-listpack-value 2K", "CONFIG GET zset-max-listpack-value",
        "CONFIG SET zset-max-listpack-value 64", "CONFIG SET set-max-intset-entries 2147483648",
        "CONFIG GET set-max-intset-entries", "CONFIG SET set-max-intset-entries 512",
        "CONFIG SET hash-max-listpack-entries 4",
        "CONFIG SET hash-max-listpack-value 8",
        "HSET h a 1 b 2 c 3 d 4", "OBJECT ENCODING h",
        "HSET h e 5", "OBJECT ENCODING h", "%p HGETALL h", "HDEL h a b c d",
        "OBJECT ENCODING h", "HGETALL h",
        "HSET v a 12345678", "OBJECT ENCODING v",
        "HSET v b 123456789", "OBJECT ENCODING v",
        "HSET w 123456789 a", "OBJECT ENCODING w",
        /* Every argument counts, even one that changes nothing. */
        "HSET x a 1", "HSET x a 1 b 1234567890", "OBJECT ENCODING x",
        "HSETNX y a 123456789", "OBJECT ENCODING y",
        "HSET y2 a 1", "HSETNX y2 a 123456789", "OBJECT ENCODING y2",
        "HINCRBYFLOAT z a 1.25", "OBJECT ENCODING z",
        "HINCRBYFLOAT z a 123456.125", "OBJECT ENCODING z",
        "HSET m a 1 b 2 c 3", "HMSET m d 4 e 5", "OBJECT ENCODING m",
        "CONFIG SET hash-max-listpack-entries 0",
        "HSET zero a 1", "OBJECT ENCODING zero",
        "CONFIG SET hash-max-listpack-entries 512",
        "CONFIG SET hash-max-listpack-value 64",
        "HSET d a 1", "OBJECT ENCODING d",
        NULL,
    };
    RUN(steps);
}

/* The same commands on a hashtable-encoded hash of 300 fields. */
static void test_hash_hashtable_encoding_commands(void **state)
{
    (void)state;
    char hset[16384];
    size_t n = (size_t)snprintf(hset, sizeof(hset), "HSET big");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(hset + n, sizeof(hset) - n, " f%d %d", i, i * 7);
    const char *steps[] = {
        hset, "OBJECT ENCODING big", "HLEN big", "HGET big f17", "HGET big nope",
        "HMGET big f1 f299 nope", "HEXISTS big f2", "HSTRLEN big f299",
        "HINCRBY big f3 5", "HINCRBYFLOAT big f4 2.5", "HSETNX big f5 x", "HSETNX big new x",
        "HSET big f6 changed f7 changed2", "HGET big f6",
        "%p HGETALL big", "%u HKEYS big", "%u HVALS big",
        "HDEL big f1 f2 f3 nope", "HLEN big", "OBJECT ENCODING big",
        "COPY big big2", "%p HGETALL big2", "RENAME big2 big3", "HLEN big3",
        NULL,
    };
    RUN(steps);
}

static void test_hash_hrandfield(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "HSET h a 1 b 2 c 3",
        "HRANDFIELD nokey", "HRANDFIELD nokey 3", "HRANDFIELD nokey 3 WITHVALUES",
        "HRANDFIELD h 0", "HRANDFIELD h 0 WITHVALUES",
        /* A count at least the size returns the whole hash in order. */
        "HRANDFIELD h 3", "HRANDFIELD h 10 WITHVALUES", "HRANDFIELD h 100",
        "%s HRANDFIELD h", "%s HRANDFIELD h 2", "%s HRANDFIELD h 2 WITHVALUES",
        "%s HRANDFIELD h -7", "%s HRANDFIELD h -7 WITHVALUES", "%s HRANDFIELD h 1 withvalues",
        "HRANDFIELD h abc", "HRANDFIELD h 1 withvalue", "HRANDFIELD h 1 WITHVALUES x",
        "HRANDFIELD h -9223372036854775808", "HRANDFIELD h 9223372036854775808",
        "HRANDFIELD h -4611686018427387904 WITHVALUES",
        "HRANDFIELD h 4611686018427387904 WITHVALUES",
        "HSET one only 1", "HRANDFIELD one", "HRANDFIELD one -3", "HRANDFIELD one -2 WITHVALUES",
        /* Count 1 of a one-field hash (crashed: the single-pick path read
         * the listpack as a hash table). */
        "HRANDFIELD one 1", "HRANDFIELD one 1 WITHVALUES", "HRANDFIELD one 2",
        NULL,
    };
    RUN(steps);
}

/* Distinct picks are distinct and members of the hash, in both encodings. */
static void test_hash_hrandfield_distinct_members(void **state)
{
    (void)state;
    h_conn *c = h_connect(respd_srv.port, 2000);
    assert_non_null(c);
    for (int enc = 0; enc < 2; enc++) {
        int size = enc ? 500 : 50;
        free(h_call(c, "DEL r"));
        for (int i = 0; i < size; i++)
            free(h_callf(c, "HSET r f%d v%d", i, i));
        for (int count = 1; count <= size; count = count * 3 + 1) {
            char *r = h_callf(c, "HRANDFIELD r %d WITHVALUES", count);
            assert_non_null(r);
            long long n = atoll(r + 1);
            assert_int_equal(n, count * 2);
            /* Walk the flat reply: fN then vN, each field once. */
            char *seen = calloc((size_t)size, 1);
            char *p = strchr(r, '\n') + 1;
            for (long long k = 0; k < count; k++) {
                int fi, vi;
                assert_int_equal(sscanf(p, "$%*d\r\nf%d\r\n", &fi), 1);
                p = strchr(strchr(p, '\n') + 1, '\n') + 1;
                assert_int_equal(sscanf(p, "$%*d\r\nv%d\r\n", &vi), 1);
                p = strchr(strchr(p, '\n') + 1, '\n') + 1;
                assert_int_equal(fi, vi);
                assert_true(fi >= 0 && fi < size);
                assert_false(seen[fi]);
                seen[fi] = 1;
            }
            free(seen);
            free(r);
        }
    }
    free(h_call(c, "DEL r"));
    h_close(c);
}

static void test_hash_hscan_listpack_and_options(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "HSET h a 1 b 2 c 3 ab 4", "HSCAN h 0", "HSCAN h 0 MATCH a*", "HSCAN h 0 COUNT 1",
        "HSCAN h 0 MATCH a* COUNT 100", "HSCAN h 0 COUNT 0", "HSCAN h 0 COUNT -1",
        "HSCAN h 0 COUNT x", "HSCAN h 0 MATCH", "HSCAN h 0 foo bar", "HSCAN h abc",
        "HSCAN h -1", "HSCAN h \" 1\"", "HSCAN nokey 0", "HSCAN nokey 0 COUNT 0",
        "HSCAN h 18446744073709551616",
        NULL,
    };
    RUN(steps);
}

/* A full HSCAN of a hashtable-encoded hash returns every field (with its
 * value) at least once, with or without MATCH. */
static void test_hash_hscan_hashtable_full_iteration(void **state)
{
    (void)state;
    h_conn *c = h_connect(respd_srv.port, 2000);
    assert_non_null(c);
    free(h_call(c, "DEL s"));
    int size = 1000;
    for (int i = 0; i < size; i++)
        free(h_callf(c, "HSET s f%d %d", i, i));
    for (int withmatch = 0; withmatch < 2; withmatch++) {
        char *seen = calloc((size_t)size, 1);
        unsigned long long cursor = 0;
        int calls = 0;
        do {
            char *r = withmatch ? h_callf(c, "HSCAN s %llu MATCH f1* COUNT 20", cursor)
                                : h_callf(c, "HSCAN s %llu", cursor);
            assert_non_null(r);
            char *p = strstr(r, "\r\n") + 2;          /* past *2 */
            p = strstr(p, "\r\n") + 2;                /* past $len */
            cursor = strtoull(p, NULL, 10);
            p = strstr(p, "\r\n") + 2;                /* past the cursor */
            long long n = atoll(p + 1);
            p = strstr(p, "\r\n") + 2;
            for (long long k = 0; k < n; k += 2) {
                int fi, vi;
                assert_int_equal(sscanf(p, "$%*d\r\nf%d\r\n", &fi), 1);
                p = strchr(strchr(p, '\n') + 1, '\n') + 1;
                assert_int_equal(sscanf(p, "$%*d\r\n%d\r\n", &vi), 1);
                p = strchr(strchr(p, '\n') + 1, '\n') + 1;
                assert_int_equal(fi, vi);
                seen[fi] = 1;
            }
            free(r);
            assert_true(++calls < 10000);
        } while (cursor != 0);
        for (int i = 0; i < size; i++) {
            char name[16];
            snprintf(name, sizeof(name), "f%d", i);
            int want = !withmatch || name[1] == '1';
            if (want)
                assert_true(seen[i]);
            else
                assert_false(seen[i]);
        }
        free(seen);
    }
    free(h_call(c, "DEL s"));
    h_close(c);
}

/* Keyspace hits and misses move as Redis's do for reads. */
static void test_hash_keyspace_hits_misses(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    int ports[2] = {respd_srv.port, redis_srv.port};
    long long hits[2], misses[2];
    for (int i = 0; i < 2; i++) {
        h_conn *c = h_connect(ports[i], 2000);
        assert_non_null(c);
        free(h_call(c, "FLUSHALL"));
        free(h_call(c, "CONFIG RESETSTAT"));
        const char *cmds[] = {"HSET h a 1", "HGET h a", "HGET nokey a", "HMGET h a b",
                              "HGETALL nokey", "HLEN h", "HEXISTS nokey a", "HSTRLEN h a",
                              "HRANDFIELD h", "HRANDFIELD nokey 2", "HSCAN h 0", "HKEYS h",
                              "HINCRBY h n 1", "HDEL nokey a", NULL};
        for (int k = 0; cmds[k]; k++)
            free(h_call(c, cmds[k]));
        char *info = h_call(c, "INFO stats");
        assert_non_null(info);
        char *p = strstr(info, "keyspace_hits:");
        assert_non_null(p);
        hits[i] = atoll(p + 14);
        p = strstr(info, "keyspace_misses:");
        assert_non_null(p);
        misses[i] = atoll(p + 16);
        free(info);
        h_close(c);
    }
    assert_int_equal(hits[0], hits[1]);
    assert_int_equal(misses[0], misses[1]);
}

/* Writes hashes of both encodings (and a float increment, which is fed to
 * the AOF as HSET), rewrites, appends more, restarts and compares. */
static void test_hash_aof_round_trip(void **state)
{
    (void)state;
    char dir[128];
    assert_int_equal(h_mktempdir(dir, sizeof(dir)), 0);
    const char *args[] = {"--appendonly", "yes", "--dir", dir, NULL};
    h_server s;
    h_conn *c = h_respd_start_connected(&s, NULL, args);
    free(h_call(c, "HSET small a 1 b -2 c text"));
    for (int i = 0; i < 200; i++)
        free(h_callf(c, "HSET big f%d v%d", i, i));
    free(h_call(c, "HINCRBYFLOAT small fl 0.1"));
    free(h_call(c, "HINCRBYFLOAT small fl 0.2"));
    free(h_call(c, "HSET gone x 1"));
    free(h_call(c, "HDEL gone x"));
    char *r = h_call(c, "BGREWRITEAOF");
    assert_non_null(r);
    free(r);
    /* Wait for the rewrite to finish. */
    for (int i = 0; i < 100; i++) {
        char *info = h_call(c, "INFO persistence");
        int done = info && strstr(info, "aof_rewrite_in_progress:0") &&
                   !strstr(info, "aof_rewrite_scheduled:1");
        free(info);
        if (done)
            break;
        h_sleep_ms(50);
    }
    free(h_call(c, "HINCRBYFLOAT small fl 1.5"));
    free(h_call(c, "HDEL big f0 f1"));
    free(h_call(c, "HSET after k v"));
    const char *checks[] = {"HGETALL small", "HLEN big", "HGET big f150", "HGET big f0",
                            "HGETALL after", "EXISTS gone", "OBJECT ENCODING big",
                            "OBJECT ENCODING small", NULL};
    char *before[8];
    for (int k = 0; checks[k]; k++)
        before[k] = h_call(c, checks[k]);
    char *all1 = h_call(c, "HGETALL big");
    h_close(c);
    h_server_stop_keep(&s);
    h_server s2;
    assert_int_equal(h_respd_start(&s2, NULL, args), 0);
    c = h_connect(s2.port, 2000);
    assert_non_null(c);
    for (int k = 0; checks[k]; k++) {
        char *after = h_call(c, checks[k]);
        assert_non_null(after);
        assert_string_equal(after, before[k]);
        free(after);
        free(before[k]);
    }
    char *all2 = h_call(c, "HGETALL big");
    char *u1 = hdiff_transform(all1, 'p'), *u2 = hdiff_transform(all2, 'p');
    assert_string_equal(u1, u2);
    free(u1);
    free(u2);
    free(all1);
    free(all2);
    h_close(c);
    h_server_stop(&s2);
    h_server_cleanup(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_set_get_basic),
        cmocka_unit_test(test_hash_errors_and_wrongtype),
        cmocka_unit_test(test_hash_incrby_and_incrbyfloat),
        cmocka_unit_test(test_hash_encoding_conversions),
        cmocka_unit_test(test_hash_hashtable_encoding_commands),
        cmocka_unit_test(test_hash_hrandfield),
        cmocka_unit_test(test_hash_hrandfield_distinct_members),
        cmocka_unit_test(test_hash_hscan_listpack_and_options),
        cmocka_unit_test(test_hash_hscan_hashtable_full_iteration),
        cmocka_unit_test(test_hash_keyspace_hits_misses),
        cmocka_unit_test(test_hash_aof_round_trip),
    };
    return cmocka_run_group_tests(tests, hdiff_group_setup, hdiff_group_teardown);
}
