/* test_evict: maxmemory, its policies and LFU counters.
 *
 * Against a real redis-server (hdiff.h), replies compared in RESP2 and
 * RESP3: with `maxmemory 1` both servers are over the limit whatever their
 * bookkeeping, so what is evicted and what is refused is deterministic:
 * the OOM error for every denyoom command, reads and deletes still served,
 * MULTI doomed by a command refused while queueing, the volatile policies
 * evicting only keys with an expire, WATCH seeing an evicted key, no
 * eviction while clients are paused. With lfu-log-factor 0 every access
 * adds exactly one to a key's LFU counter, so OBJECT FREQ after each
 * command shows which commands count as an access on both servers.
 * On respd alone, with realistic limits: memory stays under maxmemory while
 * keys keep arriving, LRU/LFU/TTL choose the right keys most of the time,
 * a run bounded by maxmemory-eviction-tenacity 0 continues without further
 * commands, evictions reach the AOF as DEL, INFO reports it all.
 */
#include "harness.h"
#include "hdiff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_evict_oom_and_policies_match_redis(void **state)
{
    (void)state;
    static const char *const steps[] = {
        /* Unbounded eviction runs: a slow run (valgrind) must not stop
         * early on its time bound and let a write through. */
        "CONFIG SET maxmemory-eviction-tenacity 100",
        "SET p1 v", "SET p2 v", "SET v1 x EX 100", "SET v2 x PX 100000", "RPUSH l a",
        "CONFIG SET maxmemory 1", "CONFIG SET maxmemory-policy noeviction",
        /* noeviction: writes that may grow memory are refused, the rest run. */
        "SET a b", "GET p1", "DBSIZE", "DEL p2", "RPUSH l b", "LPOP l", "INCR p1",
        "APPEND p1 x", "EXISTS p1", "PING", "ECHO hi", "SADD s a", "HSET h a b", "ZADD z 1 a",
        "SETEX e 10 v", "LPUSHX l a", "LINSERT l BEFORE a b", "LSET l 0 a", "LTRIM l 0 1",
        "RPOPLPUSH l l", "INCRBYFLOAT f 1", "HINCRBY h a 1", "SINTERSTORE d s",
        "ZUNIONSTORE d 1 z", "COPY p1 p9", "RENAME p1 p9", "MOVE p1 1", "EXPIRE p1 10",
        "PERSIST p1", "GETEX p1", "SETRANGE p1 0 x", "SETNX p1 x", "MSET p1 x", "MSETNX p1 x",
        "SORT l STORE l2", "GETDEL p1",
        /* In MULTI every command but the ones that end it is refused. */
        "MULTI", "GET p1", "EXEC", "MULTI", "DISCARD",
        "MULTI", "CONFIG SET maxmemory 0", "EXEC", "SET k3 v", "GET k3",
        /* volatile-*: only keys with an expire go; then nothing is left. */
        "SET p1 v", "CONFIG SET maxmemory-policy volatile-lru", "SET a b", "DBSIZE",
        "EXISTS v1 v2", "GET p1",
        "CONFIG SET maxmemory 0", "SET v3 x EX 100", "CONFIG SET maxmemory 1",
        "CONFIG SET maxmemory-policy volatile-ttl", "DBSIZE", "EXISTS v3",
        "CONFIG SET maxmemory-policy volatile-random", "SET q r", "DBSIZE",
        /* allkeys-*: everything goes, and the write is still refused. */
        "CONFIG SET maxmemory-policy allkeys-random", "SET q r", "DBSIZE",
        "CONFIG SET maxmemory 0", "SET z 1", "CONFIG SET maxmemory 1",
        "CONFIG SET maxmemory-policy allkeys-lfu", "GET z", "DBSIZE",
        /* Queued before the limit, run by EXEC: no check inside EXEC. */
        "CONFIG SET maxmemory 0", "MULTI", "SET k1 v1", "CONFIG SET maxmemory 1", "EXEC",
        "CONFIG SET maxmemory 0", "MULTI", "GET k1", "CONFIG SET maxmemory 1", "SET k2 v",
        "EXEC",
        /* EXEC itself refused when it would run a denyoom command. */
        "CONFIG SET maxmemory 0", "CONFIG SET maxmemory-policy noeviction", "MULTI",
        "SET k4 v", "CONFIG SET maxmemory 1", "EXEC", "EXISTS k4",
        "CONFIG SET maxmemory 0",
        /* The settings themselves. */
        "CONFIG SET maxmemory-policy bogus", "CONFIG SET maxmemory-samples 0",
        "CONFIG SET maxmemory-eviction-tenacity 101", "CONFIG SET lfu-log-factor -1",
        "CONFIG SET lfu-decay-time -1", "CONFIG SET maxmemory -1", "CONFIG SET maxmemory 1.5kb",
        "CONFIG SET maxmemory 2mb", "CONFIG GET maxmemory", "CONFIG SET maxmemory 0",
        "CONFIG GET maxmemory-policy", "CONFIG GET maxmemory-samples",
        "CONFIG GET maxmemory-eviction-tenacity", "%p CONFIG GET lfu-*",
        "CONFIG SET maxmemory-eviction-tenacity 10", NULL};
    hdiff_check("oom", steps);
}

static void test_evict_lfu_counters_match_redis(void **state)
{
    (void)state;
    static const char *const steps[] = {
        /* maxmemory set: Redis then shares no integer objects (whose
         * counters would be shared too). */
        "CONFIG SET maxmemory 1gb", "CONFIG SET lfu-log-factor 0",
        "OBJECT FREQ nokey", "SET a v1", "OBJECT FREQ a",
        "CONFIG SET maxmemory-policy allkeys-lfu", "OBJECT FREQ nokey", "OBJECT IDLETIME a",
        "SET a v1", "OBJECT FREQ a", "GET a", "OBJECT FREQ a", "SET a v2", "OBJECT FREQ a",
        "APPEND a x", "OBJECT FREQ a", "STRLEN a", "OBJECT FREQ a", "EXISTS a",
        "OBJECT FREQ a", "TYPE a", "OBJECT FREQ a", "TTL a", "OBJECT FREQ a",
        "SET a v3 GET", "OBJECT FREQ a", "GETEX a", "OBJECT FREQ a", "SET a v4 NX",
        "OBJECT FREQ a", "SET a v5 XX", "OBJECT FREQ a", "SETRANGE a 0 zz", "OBJECT FREQ a",
        "MSET a v1 b v2", "OBJECT FREQ a", "OBJECT FREQ b", "INCR n", "OBJECT FREQ n",
        "INCR n", "OBJECT FREQ n", "INCRBYFLOAT f 1.5", "OBJECT FREQ f",
        "SADD s x", "OBJECT FREQ s", "SADD s y", "OBJECT FREQ s", "%u SMEMBERS s", "OBJECT FREQ s",
        "SISMEMBER s x", "OBJECT FREQ s", "RPUSH l a b", "OBJECT FREQ l", "LRANGE l 0 -1",
        "OBJECT FREQ l", "LPOP l", "OBJECT FREQ l", "HSET h f v", "OBJECT FREQ h", "HGET h f",
        "OBJECT FREQ h", "ZADD z 1 a", "OBJECT FREQ z", "ZRANGE z 0 -1", "OBJECT FREQ z",
        "ZSCORE z a", "OBJECT FREQ z", "COPY s s2", "OBJECT FREQ s2", "RENAME s s3",
        "OBJECT FREQ s3", "EXPIRE s3 100", "OBJECT FREQ s3", "TOUCH s3", "OBJECT FREQ s3",
        "SUNIONSTORE d s3 s2", "OBJECT FREQ d", "SUNIONSTORE d s3 s2", "OBJECT FREQ d",
        "LMOVE l l2 LEFT LEFT", "OBJECT FREQ l2", "OBJECT FREQ l",
        "CONFIG SET maxmemory-policy volatile-lfu", "OBJECT FREQ s3",
        "CONFIG SET maxmemory-policy allkeys-lru", "OBJECT FREQ a",
        /* New keys of every kind start with idle time 0 (in one EXEC, so
         * that no second passes in between). */
        "MULTI", "SET fresh v", "SADD fs a", "SINTERSTORE fd fs", "ZADD fz 1 a",
        "HSET fh f v", "RPUSH fl a", "OBJECT IDLETIME fresh", "OBJECT IDLETIME fs",
        "OBJECT IDLETIME fd", "OBJECT IDLETIME fz", "OBJECT IDLETIME fh", "OBJECT IDLETIME fl",
        "EXEC",
        "CONFIG SET maxmemory-policy noeviction", "CONFIG SET maxmemory 0",
        "CONFIG SET lfu-log-factor 10", NULL};
    hdiff_check("lfu", steps);
}

static void test_evict_watch_and_pause_match_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    static const char *const steps[] = {
        /* An evicted key is a modified key for WATCH. */
        "CONFIG SET maxmemory-eviction-tenacity 100", "SET k v", "SET other v", "0: WATCH k",
        "1: CONFIG SET maxmemory-policy allkeys-random", "1: CONFIG SET maxmemory 1",
        "1: CONFIG SET maxmemory 0", "1: DBSIZE", "0: MULTI", "0: PING", "0: EXEC",
        /* While clients are paused nothing is evicted. */
        "SET a 1", "SET b 2", "1: CLIENT PAUSE 5000 WRITE", "1: CONFIG SET maxmemory 1",
        "1: DBSIZE", "2: GET a", "1: CLIENT UNPAUSE", "1: DBSIZE",
        "1: CONFIG SET maxmemory 0", "1: CONFIG SET maxmemory-policy noeviction",
        "1: CONFIG SET maxmemory-eviction-tenacity 10", NULL};
    hdiff_check_conns("watch-pause", steps);
}

/* Sends n requests in one write and checks every reply. */
static void pipeline(h_conn *c, const char *fmt, int from, int to, const char *want)
{
    size_t cap = (size_t)(to - from) * 200 + 1, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (int i = from; i < to; i++) {
        char line[160];
        snprintf(line, sizeof(line), fmt, i);
        size_t n;
        char *req = h_request(line, &n);
        assert_non_null(req);
        assert_true(len + n <= cap);
        memcpy(buf + len, req, n);
        len += n;
        free(req);
    }
    assert_int_equal(h_send(c, buf, len), 0);
    free(buf);
    h_expect_replies(c, to - from, want);
}

/* How many of the keys fmt % [from, to) exist (one EXISTS each, in one
 * pipeline). */
static long long count_existing(h_conn *c, const char *fmt, int from, int to)
{
    char one[64], key[48];
    size_t cap = (size_t)(to - from) * 64, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (int i = from; i < to; i++) {
        int kl = snprintf(key, sizeof(key), fmt, i);
        int n = snprintf(one, sizeof(one), "*2\r\n$6\r\nEXISTS\r\n$%d\r\n%s\r\n", kl, key);
        memcpy(buf + len, one, (size_t)n);
        len += (size_t)n;
    }
    assert_int_equal(h_send(c, buf, len), 0);
    free(buf);
    long long found = 0;
    for (int i = from; i < to; i++) {
        char *r = NULL;
        long long v;
        assert_int_equal(h_read_reply(c, H_REPLY_TIMEOUT_MS, &r, NULL), 0);
        assert_int_equal(h_reply_int(r, &v), 0);
        found += v;
        free(r);
    }
    return found;
}

#define VAL "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define NOLD 20000
#define NNEW 5000

/* Fills NOLD keys, makes the second half the ones to keep (recently or
 * often used, or the later expires), sets maxmemory to the memory in use
 * and adds NNEW keys. Returns the connection for the checks. */
static h_conn *fill_then_squeeze(h_server *s, const char *policy)
{
    const char *args[] = {"--maxmemory-policy", policy, "--maxmemory-samples", "10",
                          "--maxmemory-eviction-tenacity", "100", NULL};
    assert_int_equal(h_respd_start(s, NULL, args), 0);
    h_conn *c = h_connect(s->port, 2000);
    assert_non_null(c);
    int ttl = strcmp(policy, "volatile-ttl") == 0;
    /* volatile-ttl: the first half expires first (100000 + i seconds). */
    pipeline(c, ttl ? "SET k%1$d " VAL " EX 1%1$05d" : "SET k%d " VAL, 0, NOLD, "+OK\r\n");
    if (strstr(policy, "lru")) {
        h_sleep_ms(2100); /* the LRU clock counts seconds */
        pipeline(c, "GET k%d", NOLD / 2, NOLD, "$100\r\n" VAL "\r\n");
    }
    if (strstr(policy, "lfu"))
        for (int r = 0; r < 5; r++)
            pipeline(c, "GET k%d", NOLD / 2, NOLD, "$100\r\n" VAL "\r\n");
    long long used = h_info_field(c, "memory", "used_memory");
    char *r = h_callf(c, "CONFIG SET maxmemory %lld", used);
    assert_string_equal(r, "+OK\r\n");
    free(r);
    pipeline(c, ttl ? "SET n%d " VAL " EX 200000" : "SET n%d " VAL, 0, NNEW, "+OK\r\n");
    /* After any command's eviction, memory is back under the limit. */
    h_expect(c, "PING", "+PONG\r\n");
    assert_true(h_info_field(c, "memory", "used_memory") <= used);
    assert_true(h_info_field(c, "stats", "evicted_keys") >= NNEW / 2);
    return c;
}

static void test_evict_policies_choose_the_right_keys(void **state)
{
    (void)state;
    static const char *const policies[] = {"allkeys-lru", "allkeys-lfu", "volatile-ttl"};
    for (int p = 0; p < 3; p++) {
        h_server s;
        h_conn *c = fill_then_squeeze(&s, policies[p]);
        long long first = count_existing(c, "k%d", 0, NOLD / 2);
        long long second = count_existing(c, "k%d", NOLD / 2, NOLD);
        long long fresh = count_existing(c, "n%d", 0, NNEW);
        fprintf(stderr, "%s: kept %lld of the first half, %lld of the second, %lld new\n",
                policies[p], first, second, fresh);
        /* The keys to keep survive; the evicted come from the others. */
        assert_true(second >= NOLD / 2 * 95 / 100);
        assert_true(first <= NOLD / 2 * 80 / 100);
        if (p != 1) /* LFU may take new keys: they have not been used yet */
            assert_true(fresh >= NNEW * 95 / 100);
        h_close(c);
        h_server_stop(&s);
    }
}

static void test_evict_bounded_run_continues_and_info(void **state)
{
    (void)state;
    const char *args[] = {"--maxmemory-policy", "allkeys-random",
                          "--maxmemory-eviction-tenacity", "0", NULL};
    h_server s;
    h_conn *c = h_respd_start_connected(&s, NULL, args);
    pipeline(c, "SET k%d " VAL, 0, NOLD, "+OK\r\n");
    long long used = h_info_field(c, "memory", "used_memory");
    /* Tenacity 0: each run stops after 16 keys. The loop goes on alone. */
    char *r = h_callf(c, "CONFIG SET maxmemory %lld", used / 2);
    assert_string_equal(r, "+OK\r\n");
    free(r);
    h_sleep_ms(500 * h_slowdown());
    long long evicted = h_info_field(c, "stats", "evicted_keys");
    assert_true(evicted > 5000);
    assert_true(h_info_field(c, "memory", "used_memory") <= used / 2);
    assert_int_equal(h_info_field(c, "memory", "maxmemory"), used / 2);
    char *info = h_call(c, "INFO");
    assert_non_null(strstr(info, "\r\nmaxmemory_policy:allkeys-random\r\n"));
    assert_non_null(strstr(info, "\r\ncurrent_eviction_exceeded_time:0\r\n"));
    free(info);
    assert_true(h_info_field(c, "stats", "total_eviction_exceeded_time") >= 0);
    h_expect(c, "CONFIG RESETSTAT", "+OK\r\n");
    assert_int_equal(h_info_field(c, "stats", "evicted_keys"), 0);
    /* Unbounded: one run takes all it needs. */
    h_expect(c, "CONFIG SET maxmemory-eviction-tenacity 100", "+OK\r\n");
    h_expect(c, "CONFIG SET maxmemory 1", "+OK\r\n");
    h_expect(c, "DBSIZE", ":0\r\n");
    info = h_call(c, "INFO memory");
    assert_non_null(strstr(info, "\r\nmaxmemory:1\r\nmaxmemory_human:1B\r\n"));
    free(info);
    h_close(c);
    char *log = h_server_log(&s);
    assert_non_null(strstr(log, "is smaller than the current memory usage"));
    free(log);
    h_server_stop(&s);
}

/* The AOF write buffer keeps its room (up to 1 MB) between flushes; that
 * room is the AOF's, not the data's, and must not make keys go. */
static void test_evict_aof_buffer_room_not_counted(void **state)
{
    (void)state;
    char dir[128];
    assert_int_equal(h_mktempdir(dir, sizeof(dir)), 0);
    const char *args[] = {"--appendonly", "yes", "--dir", dir, NULL};
    h_server s;
    h_conn *c = h_respd_start_connected(&s, NULL, args);
    pipeline(c, "SET k%d 01234567890123456789012345678901234567890123456789", 0, 3000,
             "+OK\r\n");
    size_t blen = 600 * 1000;
    char *big = malloc(blen);
    assert_non_null(big);
    memset(big, 'b', blen);
    const char *argv[] = {"SET", "big", big};
    size_t lens[] = {3, 3, blen};
    char *r = h_callv(c, 3, argv, lens);
    assert_string_equal(r, "+OK\r\n");
    free(r);
    free(big);
    h_expect(c, "DEL big", ":1\r\n");
    long long used = h_info_field(c, "memory", "used_memory");
    long long aof = h_info_field(c, "memory", "mem_not_counted_for_evict");
    assert_true(aof >= (long long)blen);
    assert_int_equal(h_info_field(c, "memory", "mem_aof_buffer"), aof);
    h_expect(c, "CONFIG SET maxmemory-policy allkeys-lru", "+OK\r\n");
    r = h_callf(c, "CONFIG SET maxmemory %lld", used - aof + 100000);
    assert_string_equal(r, "+OK\r\n");
    free(r);
    h_expect(c, "GET k1", "$50\r\n01234567890123456789012345678901234567890123456789\r\n");
    h_expect(c, "DBSIZE", ":3000\r\n");
    assert_int_equal(h_info_field(c, "stats", "evicted_keys"), 0);
    h_close(c);
    h_server_stop(&s);
}

/* maxmemory-samples takes any positive int, as in Redis; sampling more keys
 * than a table holds must not turn each eviction into a long loop. */
static void test_evict_huge_samples_stay_bounded(void **state)
{
    (void)state;
    const char *args[] = {"--maxmemory-policy", "allkeys-lru", "--maxmemory-samples",
                          "2147483647", "--maxmemory-eviction-tenacity", "100", NULL};
    h_server s;
    h_conn *c = h_respd_start_connected(&s, NULL, args);
    pipeline(c, "SET k%d " VAL, 0, 2000, "+OK\r\n");
    long long used = h_info_field(c, "memory", "used_memory");
    char *r = h_callf(c, "CONFIG SET maxmemory %lld", used);
    assert_string_equal(r, "+OK\r\n");
    free(r);
    /* Each reply within the harness's reply timeout (5 s). */
    pipeline(c, "SET n%d " VAL, 0, 20, "+OK\r\n");
    assert_true(h_info_field(c, "stats", "evicted_keys") >= 10);
    h_close(c);
    h_server_stop(&s);
}

static size_t count_in(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void test_evict_aof_and_restart(void **state)
{
    (void)state;
    char dir[128], path[256];
    assert_int_equal(h_mktempdir(dir, sizeof(dir)), 0);
    snprintf(path, sizeof(path), "%s/appendonly.aof", dir);
    const char *args[] = {"--appendonly", "yes", "--dir", dir, "--appendfsync", "always",
                          "--maxmemory-eviction-tenacity", "100", NULL};
    h_server s;
    h_conn *c = h_respd_start_connected(&s, NULL, args);
    pipeline(c, "SET k%d v", 0, 100, "+OK\r\n");
    pipeline(c, "SET t%d v EX 1000", 0, 50, "+OK\r\n");
    h_expect(c, "CONFIG SET maxmemory-policy volatile-random", "+OK\r\n");
    h_expect(c, "CONFIG SET maxmemory 1", "+OK\r\n");
    h_expect(c, "DBSIZE", ":100\r\n");
    h_expect(c, "CONFIG SET maxmemory 0", "+OK\r\n");
    h_close(c);
    char *aof = h_read_file(path, NULL);
    assert_non_null(aof);
    /* Only the keys with an expire went, each as a DEL. */
    assert_int_equal(count_in(aof, "*2\r\n$3\r\nDEL\r\n$2\r\nt") +
                         count_in(aof, "*2\r\n$3\r\nDEL\r\n$3\r\nt"),
                     50);
    assert_int_equal(count_in(aof, "DEL"), 50);
    free(aof);
    h_server_stop_keep(&s);

    /* The evictions replay; a limit given at start-up is not applied while
     * loading, but before the first command. */
    const char *args2[] = {"--appendonly", "yes", "--dir", dir, "--maxmemory", "1",
                           "--maxmemory-policy", "allkeys-lru",
                           "--maxmemory-eviction-tenacity", "100", NULL};
    h_server s2;
    assert_int_equal(h_respd_start(&s2, NULL, args2), 0);
    c = h_connect(s2.port, 2000);
    assert_non_null(c);
    h_expect(c, "DBSIZE", ":0\r\n");
    assert_int_equal(h_info_field(c, "stats", "evicted_keys"), 100);
    h_expect(c, "SET k v", "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
    h_close(c);
    char *log = h_server_log(&s2);
    assert_non_null(strstr(log, "maxmemory value that is less than 1MB"));
    free(log);
    h_server_stop(&s2);
    h_server_cleanup(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evict_oom_and_policies_match_redis),
        cmocka_unit_test(test_evict_lfu_counters_match_redis),
        cmocka_unit_test(test_evict_watch_and_pause_match_redis),
        cmocka_unit_test(test_evict_policies_choose_the_right_keys),
        cmocka_unit_test(test_evict_bounded_run_continues_and_info),
        cmocka_unit_test(test_evict_aof_and_restart),
        cmocka_unit_test(test_evict_aof_buffer_room_not_counted),
        cmocka_unit_test(test_evict_huge_samples_stay_bounded),
    };
    return cmocka_run_group_tests_name("evict", tests, hdiff_group_setup, hdiff_group_teardown);
}
