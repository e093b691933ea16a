/* test_aof: durability with the real binary: restarts under each fsync
 * policy, kill -9 during a write load with appendfsync always, a torn tail,
 * damage in the middle, a rewrite under concurrent writes, absolute expiry
 * times, and the file's acceptance by redis-check-aof and redis-server.
 *
 * Every server here works in a directory of the test's own (--dir), so that
 * it can be restarted on the same file.
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[128];

static int setup(void **state)
{
    (void)state;
    return h_mktempdir(dir, sizeof(dir));
}

static int teardown(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void aof_path(char *buf, size_t size)
{
    snprintf(buf, size, "%s/appendonly.aof", dir);
}

/* Starts respd with AOF on in `dir` and the given fsync policy. */
static void start(h_server *s, const char *fsync_policy, const char *extra1, const char *extra2)
{
    const char *args[] = {"--appendonly", "yes", "--dir", dir, "--appendfsync", fsync_policy,
                          extra1, extra2, NULL};
    if (h_respd_start(s, NULL, args) != 0) {
        char *log = h_server_log(s);
        fail_msg("respd did not start: %s", log ? log : "(no log)");
    }
}

/* Runs respd expecting start-up to fail; returns what it printed. */
static char *start_fails(void)
{
    const char *argv[] = {h_respd_bin(), "--port", "0", "--bind", "127.0.0.1", "--appendonly",
                          "yes", "--dir", dir, NULL};
    char *out = NULL;
    int rc = h_run(argv, NULL, &out, 10000);
    assert_int_not_equal(rc, 0);
    assert_int_not_equal(rc, -1); /* it exited by itself, in time */
    return out;
}

static long long call_int(h_conn *c, const char *line)
{
    char *r = h_call(c, line);
    long long v = 0;
    if (h_reply_int(r, &v) < 0)
        fail_msg("%s: not an integer reply: %s", line, r ? r : "(none)");
    free(r);
    return v;
}

/* A sorted dump of every key of db 0..3: "db key type value pexpiretime". */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The elements of a RESP2 array of bulk strings, each its own string. */
static char **bulk_array(const char *reply, size_t *n)
{
    assert_true(reply[0] == '*');
    long count = strtol(reply + 1, NULL, 10);
    char **items = calloc((size_t)(count > 0 ? count : 1), sizeof(char *));
    const char *p = strchr(reply, '\n') + 1;
    for (long i = 0; i < count; i++) {
        assert_true(*p == '$');
        char *end;
        long len = strtol(p + 1, &end, 10);
        p = end + 2;
        items[i] = strndup(p, (size_t)len);
        p += len + 2;
    }
    *n = (size_t)(count > 0 ? count : 0);
    return items;
}

/* Joins items with ',' (sorted first when `sort`) and frees them. */
static char *join_items(char **items, size_t n, int sort)
{
    if (sort)
        qsort(items, n, sizeof(char *), cmp_str);
    size_t total = 3;
    for (size_t i = 0; i < n; i++)
        total += strlen(items[i]) + 1;
    char *out = malloc(total);
    size_t o = 0;
    out[o++] = '[';
    for (size_t i = 0; i < n; i++) {
        o += (size_t)sprintf(out + o, "%s%s", i ? "," : "", items[i]);
        free(items[i]);
    }
    out[o++] = ']';
    out[o] = '\0';
    free(items);
    return out;
}

/* A key's value in a form that does not depend on the server's internal
 * order: lists in order, zsets by rank with scores, sets and hashes sorted. */
static char *dump_value(h_conn *c, const char *key)
{
    const char *targv[] = {"TYPE", key};
    char *type = h_callv(c, 2, targv, NULL);
    assert_non_null(type);
    char *val;
    size_t n;
    if (strcmp(type, "+list\r\n") == 0) {
        const char *argv[] = {"LRANGE", key, "0", "-1"};
        char *r = h_callv(c, 4, argv, NULL);
        char **items = bulk_array(r, &n);
        val = join_items(items, n, 0);
        free(r);
    } else if (strcmp(type, "+set\r\n") == 0) {
        const char *argv[] = {"SMEMBERS", key};
        char *r = h_callv(c, 2, argv, NULL);
        char **items = bulk_array(r, &n);
        val = join_items(items, n, 1);
        free(r);
    } else if (strcmp(type, "+zset\r\n") == 0) {
        const char *argv[] = {"ZRANGE", key, "0", "-1", "WITHSCORES"};
        char *r = h_callv(c, 5, argv, NULL);
        char **items = bulk_array(r, &n);
        val = join_items(items, n, 0);
        free(r);
    } else if (strcmp(type, "+hash\r\n") == 0) {
        const char *argv[] = {"HGETALL", key};
        char *r = h_callv(c, 2, argv, NULL);
        char **kv = bulk_array(r, &n);
        free(r);
        char **pairs = calloc(n / 2 + 1, sizeof(char *));
        for (size_t i = 0; i + 1 < n; i += 2) {
            size_t sz = strlen(kv[i]) + strlen(kv[i + 1]) + 2;
            pairs[i / 2] = malloc(sz);
            snprintf(pairs[i / 2], sz, "%s=%s", kv[i], kv[i + 1]);
            free(kv[i]);
            free(kv[i + 1]);
        }
        free(kv);
        val = join_items(pairs, n / 2, 1);
    } else {
        const char *argv[] = {"GET", key};
        val = h_callv(c, 2, argv, NULL);
    }
    size_t sz = strlen(type) + strlen(val) + 2;
    char *out = malloc(sz);
    snprintf(out, sz, "%.*s %s", (int)strcspn(type, "\r"), type, val);
    free(type);
    free(val);
    return out;
}

static char *dump_dataset(int port)
{
    h_conn *c = h_connect(port, 2000);
    assert_non_null(c);
    size_t cap = 1024, n = 0;
    char **lines = malloc(cap * sizeof(char *));
    for (int db = 0; db < 4; db++) {
        free(h_callf(c, "SELECT %d", db));
        char *keys = h_call(c, "KEYS *");
        assert_non_null(keys);
        /* Parse the array of bulk strings. */
        char *p = strchr(keys, '\n') + 1;
        while (*p == '$') {
            long len = strtol(p + 1, &p, 10);
            p += 2;
            char key[256];
            snprintf(key, sizeof(key), "%.*s", (int)len, p);
            p += len + 2;
            char *val = dump_value(c, key);
            const char *argv2[] = {"PEXPIRETIME", key};
            char *exp = h_callv(c, 2, argv2, NULL);
            if (n == cap) {
                cap *= 2;
                lines = realloc(lines, cap * sizeof(char *));
            }
            size_t sz = strlen(key) + strlen(val) + strlen(exp) + 32;
            lines[n] = malloc(sz);
            snprintf(lines[n], sz, "%d %s %s %s", db, key, val, exp);
            n++;
            free(val);
            free(exp);
        }
        free(keys);
    }
    h_close(c);
    qsort(lines, n, sizeof(char *), cmp_str);
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(lines[i]) + 1;
    char *out = malloc(total);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(out, lines[i]);
        strcat(out, "\n");
        free(lines[i]);
    }
    free(lines);
    return out;
}

static void restart_keeps_data(const char *policy)
{
    h_server s;
    start(&s, policy, NULL, NULL);
    h_conn *c = h_connect(s.port, 2000);
    for (int i = 0; i < 200; i++)
        free(h_callf(c, "SET key:%d value:%d", i, i));
    h_expect(c, "INCRBY counter 41", ":41\r\n");
    h_expect(c, "SELECT 2", "+OK\r\n");
    h_expect(c, "SET other 'in db 2'", "+OK\r\n");
    h_expect(c, "APPEND other !", ":8\r\n");
    h_close(c);
    h_server_stop_ok(&s);

    start(&s, policy, NULL, NULL);
    c = h_connect(s.port, 2000);
    h_expect(c, "DBSIZE", ":201\r\n");
    h_expect(c, "GET key:150", "$9\r\nvalue:150\r\n");
    h_expect(c, "GET counter", "$2\r\n41\r\n");
    h_expect(c, "SELECT 2", "+OK\r\n");
    h_expect(c, "GET other", "$8\r\nin db 2!\r\n");
    h_close(c);
    h_server_stop_ok(&s);
}

static void test_aof_restart_keeps_data_always(void **state)
{
    (void)state;
    restart_keeps_data("always");
}

static void test_aof_restart_keeps_data_everysec(void **state)
{
    (void)state;
    restart_keeps_data("everysec");
}

static void test_aof_restart_keeps_data_no(void **state)
{
    (void)state;
    restart_keeps_data("no");
}

/* kill -9 at 12 points of a pipelined write load: every write acknowledged
 * with +OK before the kill must be there after the restart. */
static void test_aof_kill9_loses_no_acknowledged_write(void **state)
{
    (void)state;
    long long acked_total = 0;
    int next = 0;
    int *acked = calloc(200000, sizeof(int));
    for (int round = 0; round < 12; round++) {
        h_server s;
        start(&s, "always", NULL, NULL);
        h_conn *c = h_connect(s.port, 2000);
        assert_non_null(c);
        /* Keep 16 writes in flight; kill after a round-dependent count of
         * acknowledgements, in the middle of the stream. */
        int kill_after = 150 + round * 97;
        int sent = next, got = next;
        long long deadline = h_now_ms() + 10000;
        while (got - next < kill_after && h_now_ms() < deadline) {
            while (sent - got < 16) {
                char cmd[96];
                int n = snprintf(cmd, sizeof(cmd), "*3\r\n$3\r\nSET\r\n$%d\r\nk%d\r\n$1\r\nv\r\n",
                                 snprintf(NULL, 0, "k%d", sent), sent);
                assert_int_equal(h_send(c, cmd, (size_t)n), 0);
                sent++;
            }
            char *r = NULL;
            assert_int_equal(h_read_reply(c, H_REPLY_TIMEOUT_MS, &r, NULL), 0);
            assert_string_equal(r, "+OK\r\n");
            free(r);
            acked[got++] = 1;
        }
        kill(s.pid, SIGKILL);
        assert_int_equal(h_server_wait(&s, 5000), 128 + SIGKILL);
        h_server_cleanup(&s);
        h_close(c);
        acked_total += got - next;
        next = sent;
    }
    h_server s;
    start(&s, "always", NULL, NULL);
    h_conn *c = h_connect(s.port, 2000);
    long long missing = 0;
    for (int i = 0; i < next; i++) {
        if (!acked[i])
            continue;
        char *r = h_callf(c, "EXISTS k%d", i);
        if (!r || strcmp(r, ":1\r\n") != 0)
            missing++;
        free(r);
    }
    h_close(c);
    h_server_stop_ok(&s);
    free(acked);
    assert_true(acked_total > 1000);
    assert_int_equal(missing, 0);
}

static const char good[] = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
                           "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
                           "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n";

static void test_aof_torn_tail_is_saved_then_truncated(void **state)
{
    (void)state;
    char path[256], buf[512];
    aof_path(path, sizeof(path));
    const char torn[] = "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$5\r\n12";
    snprintf(buf, sizeof(buf), "%s%s", good, torn);
    assert_int_equal(h_write_file(path, buf, strlen(buf)), 0);
    h_server s;
    start(&s, "everysec", NULL, NULL);
    h_conn *c = h_connect(s.port, 2000);
    h_expect(c, "GET a", "$1\r\n1\r\n");
    h_expect(c, "GET b", "$1\r\n2\r\n");
    h_expect(c, "EXISTS c", ":0\r\n");
    h_close(c);
    char *log = h_server_log(&s);
    assert_non_null(strstr(log, "offset"));
    free(log);
    h_server_stop_ok(&s);
    /* The file now ends where the complete commands end; the cut bytes are
     * kept beside it. */
    size_t len;
    char *now = h_read_file(path, &len);
    assert_true(len >= strlen(good));
    assert_memory_equal(now, good, strlen(good));
    assert_true(strstr(now + strlen(good), "12") == NULL);
    free(now);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "cat %s/appendonly.aof.torn-* 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    char tail[128] = {0};
    size_t got = fread(tail, 1, sizeof(tail) - 1, p);
    pclose(p);
    assert_int_equal(got, strlen(torn));
    assert_memory_equal(tail, torn, strlen(torn));
}

static void assert_refused_and_untouched(const char *content, size_t len)
{
    char path[256];
    aof_path(path, sizeof(path));
    assert_int_equal(h_write_file(path, content, len), 0);
    char *log = start_fails();
    assert_non_null(log);
    assert_non_null(strstr(log, "appendonly.aof"));
    assert_non_null(strstr(log, "offset"));
    free(log);
    size_t now_len;
    char *now = h_read_file(path, &now_len);
    assert_int_equal(now_len, len);
    assert_memory_equal(now, content, len);
    free(now);
}

static void test_aof_corrupt_middle_is_refused_untouched(void **state)
{
    (void)state;
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%s%s%s", good, "*3\r\n$3\r\nSET\r\n#1\r\nx\r\n$1\r\n1\r\n",
                     good);
    assert_refused_and_untouched(buf, (size_t)n);
}

static void test_aof_corrupt_length_is_not_a_torn_tail(void **state)
{
    (void)state;
    /* "$1" became "$900": the parser would wait for 900 bytes that the file
     * does not have, yet complete commands follow: damage, not a torn tail. */
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%s%s%s", good,
                     "*3\r\n$3\r\nSET\r\n$900\r\nx\r\n$1\r\n1\r\n", good);
    assert_refused_and_untouched(buf, (size_t)n);
}

static void test_aof_unknown_command_is_refused(void **state)
{
    (void)state;
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%s%s", good, "*2\r\n$7\r\nNOTACMD\r\n$1\r\nx\r\n");
    assert_refused_and_untouched(buf, (size_t)n);
}

static void test_aof_expiry_survives_restart_as_absolute_time(void **state)
{
    (void)state;
    h_server s;
    start(&s, "always", NULL, NULL);
    h_conn *c = h_connect(s.port, 2000);
    h_expect(c, "SET a v EX 100", "+OK\r\n");
    h_expect(c, "SET b v", "+OK\r\n");
    h_expect(c, "PEXPIRE b 100000", ":1\r\n");
    h_expect(c, "SETEX c 100 v", "+OK\r\n");
    h_expect(c, "SET d v PX 50", "+OK\r\n");
    long long a = call_int(c, "PEXPIRETIME a");
    long long b = call_int(c, "PEXPIRETIME b");
    long long cc = call_int(c, "PEXPIRETIME c");
    h_close(c);
    h_server_stop_ok(&s);
    h_sleep_ms(300); /* d expires while the server is down */
    start(&s, "always", NULL, NULL);
    c = h_connect(s.port, 2000);
    assert_int_equal(call_int(c, "PEXPIRETIME a"), a);
    assert_int_equal(call_int(c, "PEXPIRETIME b"), b);
    assert_int_equal(call_int(c, "PEXPIRETIME c"), cc);
    h_expect(c, "EXISTS d", ":0\r\n");
    h_close(c);
    h_server_stop_ok(&s);
}

static void wait_rewrite_done(h_conn *c)
{
    long long deadline = h_now_ms() + 20000;
    while (h_info_field(c, "persistence", "aof_rewrite_in_progress") != 0 && h_now_ms() < deadline)
        h_sleep_ms(20);
    assert_int_equal(h_info_field(c, "persistence", "aof_rewrite_in_progress"), 0);
}

static void test_aof_rewrite_under_load_replays_to_live_dataset(void **state)
{
    (void)state;
    h_server s;
    start(&s, "everysec", NULL, NULL);
    h_conn *c = h_connect(s.port, 2000);
    h_conn *w = h_connect(s.port, 2000);
    for (int i = 0; i < 20000; i++) {
        char cmd[96];
        int n = snprintf(cmd, sizeof(cmd), "SET base:%d %d\r\n", i, i);
        assert_int_equal(h_send(w, cmd, (size_t)n), 0);
    }
    h_expect_replies(w, 20000, "+OK\r\n");
    h_expect(c, "SET ttl:1 v EX 1000", "+OK\r\n");
    h_expect(c, "BGREWRITEAOF", "+Background append only file rewriting started\r\n");
    /* Writes of every kind while the child works. */
    for (int i = 0; i < 3000; i++) {
        free(h_callf(w, "INCR counter:%d", i % 50));
        if (i % 3 == 0)
            free(h_callf(w, "DEL base:%d", i));
        if (i % 7 == 0)
            free(h_callf(w, "SET during:%d x EX 500", i));
        if (i % 11 == 0)
            free(h_callf(w, "SELECT %d", (i / 11) % 3));
    }
    wait_rewrite_done(c);
    assert_int_equal(h_info_field(c, "persistence", "aof_last_bgrewrite_status") == -1, 0);
    free(h_call(w, "SELECT 1"));
    h_expect(w, "SET after rewrite", "+OK\r\n");
    char *live = dump_dataset(s.port);
    h_close(c);
    h_close(w);
    h_server_stop_ok(&s);
    start(&s, "everysec", NULL, NULL);
    char *replayed = dump_dataset(s.port);
    h_server_stop_ok(&s);
    assert_true(strlen(live) > 1000);
    assert_string_equal(live, replayed);
    free(live);
    free(replayed);
}

static void test_aof_rewrite_shrinks_file(void **state)
{
    (void)state;
    h_server s;
    start(&s, "no", NULL, NULL);
    h_conn *c = h_connect(s.port, 2000);
    for (int i = 0; i < 2000; i++)
        free(h_call(c, "INCR hot"));
    long long before = h_info_field(c, "persistence", "aof_current_size");
    h_expect(c, "BGREWRITEAOF", "+Background append only file rewriting started\r\n");
    wait_rewrite_done(c);
    long long after = h_info_field(c, "persistence", "aof_current_size");
    assert_true(after < before / 10);
    assert_int_equal(h_info_field(c, "persistence", "aof_base_size"), after);
    h_expect(c, "GET hot", "$4\r\n2000\r\n");
    h_close(c);
    h_server_stop_ok(&s);
}

static void test_aof_config_set_appendonly_writes_rewrite(void **state)
{
    (void)state;
    h_server s;
    const char *args[] = {"--dir", dir, NULL};
    assert_int_equal(h_respd_start(&s, NULL, args), 0);
    h_conn *c = h_connect(s.port, 2000);
    h_expect(c, "SET before on", "+OK\r\n");
    h_expect(c, "CONFIG SET appendonly yes", "+OK\r\n");
    wait_rewrite_done(c);
    h_expect(c, "SET after on", "+OK\r\n");
    h_close(c);
    h_server_stop_ok(&s);
    start(&s, "everysec", NULL, NULL);
    c = h_connect(s.port, 2000);
    h_expect(c, "GET before", "$2\r\non\r\n");
    h_expect(c, "GET after", "$2\r\non\r\n");
    h_close(c);
    h_server_stop_ok(&s);
}

/* The file passes redis-check-aof, and redis-server 7.0 loads the same
 * dataset from it. */
static void test_aof_file_is_accepted_by_redis_tools(void **state)
{
    (void)state;
    if (!h_which("redis-check-aof") || !h_redis_available())
        skip();
    h_server s;
    start(&s, "always", NULL, NULL);
    h_conn *c = h_connect(s.port, 2000);
    for (int i = 0; i < 300; i++)
        free(h_callf(c, "SET k%d %d", i, i));
    h_expect(c, "SET t v EX 1000", "+OK\r\n");
    h_expect(c, "INCRBYFLOAT f 1.5", "$3\r\n1.5\r\n");
    h_expect(c, "SELECT 3", "+OK\r\n");
    h_expect(c, "SETRANGE r 3 abc", ":6\r\n");
    h_expect(c, "EXPIRE r 500", ":1\r\n");
    /* Every collection type, small (compact encodings) and large, before
     * the rewrite (written as batches) and after it (written as they came). */
    for (int i = 0; i < 700; i++) {
        free(h_callf(c, "RPUSH biglist item-%d", i));
        free(h_callf(c, "HSET bighash f%d v%d", i, i));
        free(h_callf(c, "SADD bigset m%d", i));
        free(h_callf(c, "SADD bigintset %d", i * 3));
        free(h_callf(c, "ZADD bigzset %d.5 m%d", i % 97, i));
    }
    h_expect(c, "RPUSH l a b c", ":3\r\n");
    h_expect(c, "HSET h f1 v1 f2 v2", ":2\r\n");
    h_expect(c, "SADD s x y 1", ":3\r\n");
    h_expect(c, "SADD is 1 2 3", ":3\r\n");
    h_expect(c, "ZADD z 1 a 2.5 b -inf c", ":3\r\n");
    h_expect(c, "PEXPIRE z 600000", ":1\r\n");
    h_expect(c, "BGREWRITEAOF", "+Background append only file rewriting started\r\n");
    wait_rewrite_done(c);
    h_expect(c, "SET late write", "+OK\r\n");
    h_expect(c, "LPUSH l z", ":4\r\n");
    h_expect(c, "LTRIM biglist 5 -5", "+OK\r\n");
    h_expect(c, "HDEL bighash f3 f4", ":2\r\n");
    h_expect(c, "HINCRBYFLOAT h f3 2.5", "$3\r\n2.5\r\n");
    free(h_call(c, "SPOP bigset 3"));
    h_expect(c, "SREM is 2", ":1\r\n");
    h_expect(c, "ZINCRBY z 3 a", "$1\r\n4\r\n");
    h_expect(c, "ZREMRANGEBYRANK bigzset 0 9", ":10\r\n");
    h_expect(c, "ZUNIONSTORE zu 2 z bigzset", ":693\r\n");
    h_expect(c, "SELECT 0", "+OK\r\n");
    h_expect(c, "GETEX t PX 900000", "$1\r\nv\r\n");
    h_close(c);
    char *mine = dump_dataset(s.port);
    h_server_stop_ok(&s);
    assert_non_null(strstr(mine, " bigzset +zset [m"));
    assert_non_null(strstr(mine, " h +hash [f1=v1,f2=v2,f3=2.5]"));
    assert_non_null(strstr(mine, " is +set [1,3]"));

    char path[256];
    aof_path(path, sizeof(path));
    char *out = NULL;
    const char *check[] = {"redis-check-aof", path, NULL};
    int rc = h_run(check, NULL, &out, 20000);
    if (rc != 0)
        fail_msg("redis-check-aof: %s", out ? out : "");
    free(out);

    /* redis-server loads an old-style single-file AOF from its dir. */
    char rdir[128];
    assert_int_equal(h_mktempdir(rdir, sizeof(rdir)), 0);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s/appendonly.aof'", path, rdir);
    assert_int_equal(system(cmd), 0);
    int port = h_free_port();
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        execlp("redis-server", "redis-server", "--port", portstr, "--bind", "127.0.0.1", "--dir",
               rdir, "--appendonly", "yes", "--save", "", NULL);
        _exit(127);
    }
    h_conn *rc2 = NULL;
    for (int i = 0; i < 100 && !rc2; i++) {
        h_sleep_ms(50);
        rc2 = h_connect(port, 200);
    }
    assert_non_null(rc2);
    /* Wait for loading to end. */
    for (int i = 0; i < 100; i++) {
        char *r = h_call(rc2, "PING");
        int ok = r && strcmp(r, "+PONG\r\n") == 0;
        free(r);
        if (ok)
            break;
        h_sleep_ms(50);
    }
    h_close(rc2);
    char *theirs = dump_dataset(port);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rdir);
    assert_int_equal(system(cmd), 0);
    assert_string_equal(mine, theirs);
    free(mine);
    free(theirs);
}

static void test_aof_stale_rewrite_temp_files_are_removed(void **state)
{
    (void)state;
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s/temp-rewriteaof-bg-12345.aof", dir);
    assert_int_equal(h_write_file(tmp, "*1\r\n$4\r\nPING\r\n", 14), 0);
    h_server s;
    start(&s, "everysec", NULL, NULL);
    h_server_stop_ok(&s);
    struct stat st;
    assert_int_equal(stat(tmp, &st), -1);
}

int main(void)
{
    h_raise_nofile(4096);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_aof_restart_keeps_data_always, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aof_restart_keeps_data_everysec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aof_restart_keeps_data_no, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aof_kill9_loses_no_acknowledged_write, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_aof_torn_tail_is_saved_then_truncated, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_aof_corrupt_middle_is_refused_untouched, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_aof_corrupt_length_is_not_a_torn_tail, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_aof_unknown_command_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aof_expiry_survives_restart_as_absolute_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_aof_rewrite_under_load_replays_to_live_dataset,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_aof_rewrite_shrinks_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aof_config_set_appendonly_writes_rewrite, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_aof_file_is_accepted_by_redis_tools, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_aof_stale_rewrite_temp_files_are_removed, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("aof", tests, NULL, NULL);
}
