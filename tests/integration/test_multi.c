/* test_multi: transactions (MULTI EXEC DISCARD) and WATCH against a real
 * redis-server, replies compared in RESP2 and RESP3 over several
 * connections (hdiff.h): queueing and its errors, EXECABORT, what a watched
 * key's modification, deletion, expiry, flush or swap does to EXEC, and
 * what may not run inside a transaction (blocking, MONITOR, SHUTDOWN).
 * On respd alone: CLIENT LIST's multi/flags fields, clients blocked on keys
 * served only after the whole transaction, and the AOF: a transaction's
 * writes framed by MULTI/EXEC, and a file that ends inside a transaction
 * loaded without any of it (aof-load-truncated) or refused.
 */
#include "harness.h"
#include "hdiff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_multi_queue_exec_discard(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "MULTI", "SET k v", "INCR k", "GET k", "EXEC", "GET k",
        "MULTI", "MULTI", "SET k w", "EXEC", "GET k",
        "EXEC", "DISCARD", "MULTI", "DISCARD", "DISCARD", "EXEC",
        "MULTI", "EXEC",
        /* A request refused while queueing dooms the transaction. */
        "MULTI", "NOSUCH a", "SET k", "SET k doomed", "EXEC", "GET k",
        "MULTI", "GET", "EXEC", "MULTI", "EXEC",
        "MULTI", "CONFIG NOSUCH", "EXEC",
        /* Errors while running do not stop the others. */
        "MULTI", "SET s v", "LPUSH s x", "GET s", "INCR n", "SET t v EX 0", "INCR n", "EXEC",
        /* SELECT inside, and the database it leaves selected. */
        "MULTI", "SELECT 1", "SET k one", "EXEC", "GET k", "SELECT 0", "GET k",
        /* RESET discards; commands with the wrong arity, EXEC's own form. */
        "MULTI", "SET gone v", "RESET", "EXEC", "EXISTS gone",
        "WATCH", "UNWATCH x", "MULTI x", "EXEC x", "DISCARD x",
        "MULTI", "EXEC x", "EXEC",
        /* Inside MULTI: WATCH refused (not dooming), UNWATCH queued. */
        "MULTI", "WATCH k", "UNWATCH", "PING", "EXEC",
        /* What may not run, or not block, inside a transaction. */
        "MULTI", "SHUTDOWN ABORT", "EXEC",
        "MULTI", "MONITOR", "PING", "EXEC",
        "MULTI", "BLPOP q 0", "RPUSH q a", "BLPOP q 0", "BRPOP q 1", "BZPOPMIN z 0", "EXEC",
        "MULTI", "BLMOVE q r LEFT RIGHT 0", "BLMPOP 0 1 q LEFT", "BZMPOP 0 1 z MIN", "EXEC",
        /* Nested in RESP3: maps and doubles inside the EXEC array. */
        "MULTI", "HSET h f 1", "HGETALL h", "ZADD z 1.5 m", "ZSCORE z m", "EXEC",
        NULL,
    };
    hdiff_check_conns(__func__, steps);
}

/* Connection 0 watches, connection 1 changes things. */
static void test_multi_watch(void **state)
{
    (void)state;
    static const char *const steps[] = {
        /* Modified by another client, by the same client, or not at all. */
        "WATCH k", "1: SET k x", "MULTI", "SET k v", "EXEC", "GET k",
        "SET c 1", "WATCH c", "MULTI", "INCR c", "EXEC", "GET c",
        "WATCH k", "SET k own", "MULTI", "GET k", "EXEC",
        "SET r 1", "WATCH r", "1: GET r", "MULTI", "PING", "EXEC",
        "SET u 1", "WATCH u", "UNWATCH", "1: SET u 2", "MULTI", "PING", "EXEC",
        "WATCH a b", "1: SET b 1", "MULTI", "PING", "EXEC",
        "WATCH k", "1: SET k 1", "MULTI", "PING", "DISCARD", "MULTI", "PING", "EXEC",
        "WATCH k", "MULTI", "EXEC", "1: SET k 2", "MULTI", "PING", "EXEC",
        /* A write that does not change the key does not count. */
        "WATCH none", "1: DEL none", "MULTI", "PING", "EXEC",
        "SET j 1", "WATCH none", "1: DEL none j", "MULTI", "PING", "EXEC",
        "WATCH none", "1: SINTERSTORE none nosrc", "MULTI", "PING", "EXEC",
        "WATCH none", "1: EXPIRE none 100", "MULTI", "PING", "EXEC",
        "SET e 1", "WATCH e", "1: EXPIRE e 100", "MULTI", "PING", "EXEC",
        "RPUSH l a", "WATCH l", "1: RPOPLPUSH nosrc l", "MULTI", "PING", "EXEC",
        "WATCH l", "1: LPOP l", "MULTI", "PING", "EXEC",
        "SADD src m", "WATCH src", "1: SINTERSTORE dst src", "MULTI", "PING", "EXEC",
        "WATCH dst", "1: SINTERSTORE dst src", "MULTI", "PING", "EXEC",
        /* Pops that name several keys modify only the one they take from. */
        "RPUSH p1 a", "RPUSH p2 b", "WATCH p2", "1: BLPOP p1 p2 0", "MULTI", "PING", "EXEC",
        "WATCH p2", "1: LMPOP 2 p1 p2 LEFT", "MULTI", "PING", "EXEC",
        "RPUSH p1 a", "RPUSH p2 b", "WATCH p2", "1: LMPOP 2 p1 p2 RIGHT COUNT 5", "MULTI", "PING",
        "EXEC",
        "ZADD z1 1 a", "ZADD z2 1 b", "WATCH z2", "1: ZMPOP 2 z1 z2 MIN", "MULTI", "PING", "EXEC",
        "WATCH z2", "1: BZPOPMIN z1 z2 0", "MULTI", "PING", "EXEC",
        "ZADD z1 1 a", "ZADD z2 1 b", "WATCH z2", "1: BZMPOP 0 2 z1 z2 MAX", "MULTI", "PING", "EXEC",
        /* Keys another command writes where they are not arguments. */
        "SET s x", "WATCH d", "1: COPY s d", "MULTI", "PING", "EXEC",
        "WATCH s", "1: MOVE s 3", "MULTI", "PING", "EXEC",
        "1: SELECT 3", "WATCH s", "1: MOVE s 0", "MULTI", "PING", "EXEC", "1: SELECT 0",
        "RPUSH sl 3 1", "WATCH sd", "1: SORT sl STORE sd", "MULTI", "PING", "EXEC",
        "WATCH sl", "1: SORT sl STORE sd2", "MULTI", "PING", "EXEC",
        /* Databases: a key of another database, FLUSHALL, SWAPDB. */
        "SELECT 2", "WATCH k", "1: SET k x", "MULTI", "PING", "EXEC",
        "1: SELECT 2", "WATCH k", "1: SET k y", "MULTI", "PING", "EXEC", "SELECT 0", "1: SELECT 0",
        "WATCH gone", "1: FLUSHALL", "MULTI", "PING", "EXEC",
        "SET f 1", "WATCH f", "1: FLUSHALL", "MULTI", "PING", "EXEC",
        "SET f 1", "WATCH f", "1: FLUSHDB", "MULTI", "PING", "EXEC",
        "SET f 1", "WATCH f", "1: SELECT 5", "1: FLUSHDB", "1: SELECT 0", "MULTI", "PING", "EXEC",
        "WATCH w", "1: SELECT 1", "1: SET w x", "1: SWAPDB 0 1", "1: SELECT 0", "MULTI", "PING", "EXEC",
        "FLUSHALL",
        /* Expiry: a watched key that expires fails EXEC; one already gone
         * when watched does not. */
        "SET t 1 PX 60", "WATCH t", "~150", "MULTI", "PING", "EXEC",
        "SET t2 1 PX 20", "~100", "WATCH t2", "MULTI", "PING", "EXEC",
        /* Watchers that leave while watching: the next round's FLUSHALL
         * touches keys they watched (freed watch state would show under
         * ASan). */
        "SET left 1", "1: WATCH left", "2: WATCH left", "2: MULTI", "2: SET left 2",
        NULL,
    };
    hdiff_check_conns(__func__, steps);
}

/* A client blocked on a key is served after the transaction that filled it,
 * not halfway through it. */
static void test_multi_blocked_clients_wait_for_exec(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "1> BLPOP q 0", "MULTI", "RPUSH q v", "LPOP q", "EXEC", "1?", "RPUSH q w", "1<",
        "1> BLPOP q2 0", "MULTI", "RPUSH q2 a", "RPUSH q2 b", "EXEC", "1<", "LRANGE q2 0 -1",
        "1> BZPOPMIN z 0", "MULTI", "ZADD z 1 a", "ZADD z 0 b", "EXEC", "1<",
        NULL,
    };
    hdiff_check_conns(__func__, steps);
}

/* The fields of CLIENT LIST that tell about a transaction, for the client
 * with the given id: "flags=... multi=N". */
static char *txn_fields(h_conn *observer, long long id)
{
    char *list = h_call(observer, "CLIENT LIST");
    assert_non_null(list);
    char idf[32];
    snprintf(idf, sizeof(idf), "id=%lld ", id);
    char *line = strstr(list, idf);
    assert_non_null(line);
    char *f = strstr(line, " flags="), *m = strstr(line, " multi=");
    assert_non_null(f);
    assert_non_null(m);
    char out[64];
    snprintf(out, sizeof(out), "%.*s %.*s", (int)strcspn(f + 1, " \r\n"), f + 1,
             (int)strcspn(m + 1, " \r\n"), m + 1);
    free(list);
    return strdup(out);
}

static void txn_fields_run(int port, char **out)
{
    h_conn *c = h_connect(port, 2000), *o = h_connect(port, 2000);
    assert_non_null(c);
    assert_non_null(o);
    char *id = h_call(c, "CLIENT ID");
    assert_non_null(id);
    long long n = atoll(id + 1);
    free(id);
    int k = 0;
    out[k++] = txn_fields(o, n);
    h_expect(c, "MULTI", "+OK\r\n");
    h_expect(c, "SET a b", "+QUEUED\r\n");
    h_expect(c, "GET a", "+QUEUED\r\n");
    out[k++] = txn_fields(o, n);
    h_expect(c, "DISCARD", "+OK\r\n");
    h_expect(c, "WATCH a", "+OK\r\n");
    free(h_call(o, "SET a c"));
    out[k++] = txn_fields(o, n);
    h_expect(c, "MULTI", "+OK\r\n");
    out[k++] = txn_fields(o, n);
    h_expect(c, "EXEC", "*-1\r\n");
    out[k++] = txn_fields(o, n);
    out[k] = NULL;
    h_close(c);
    h_close(o);
}

static void test_multi_client_list_fields(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    char *a[8], *b[8];
    txn_fields_run(respd_srv.port, a);
    txn_fields_run(redis_srv.port, b);
    for (int k = 0; a[k] && b[k]; k++) {
        if (strcmp(a[k], b[k]) != 0)
            fprintf(stderr, "MISMATCH step %d: respd [%s] redis [%s]\n", k, a[k], b[k]);
        assert_string_equal(a[k], b[k]);
        free(a[k]);
        free(b[k]);
    }
}

/* ---- respd alone: the AOF ------------------------------------------------ */

static void append_file(const char *path, const char *data)
{
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, strlen(data), f), strlen(data));
    fclose(f);
}

static void test_multi_aof_framing_and_torn_transaction(void **state)
{
    (void)state;
    char dir[128], path[256];
    assert_int_equal(h_mktempdir(dir, sizeof(dir)), 0);
    snprintf(path, sizeof(path), "%s/appendonly.aof", dir);
    const char *args[] = {"--appendonly", "yes", "--dir", dir, "--appendfsync", "always", NULL};
    h_server s;
    h_conn *c = h_respd_start_connected(&s, NULL, args);
    h_expect(c, "SET before 1", "+OK\r\n");
    /* A transaction of reads only leaves no trace; one that writes is
     * framed, SELECT inside it as it ran. */
    h_expect(c, "MULTI", "+OK\r\n");
    h_expect(c, "GET before", "+QUEUED\r\n");
    h_expect(c, "EXEC", "*1\r\n$1\r\n1\r\n");
    h_expect(c, "MULTI", "+OK\r\n");
    h_expect(c, "SET t1 a", "+QUEUED\r\n");
    h_expect(c, "GET t1", "+QUEUED\r\n");
    h_expect(c, "SELECT 1", "+QUEUED\r\n");
    h_expect(c, "INCR t2", "+QUEUED\r\n");
    h_expect(c, "EXEC", "*4\r\n+OK\r\n$1\r\na\r\n+OK\r\n:1\r\n");
    h_close(c);
    char *aof = h_read_file(path, NULL);
    assert_non_null(aof);
    const char *want = "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$2\r\nt1\r\n$1\r\na\r\n"
                       "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$2\r\nt2\r\n"
                       "*1\r\n$4\r\nEXEC\r\n";
    char *at = strstr(aof, want);
    assert_non_null(at);
    assert_int_equal(strlen(at), strlen(want)); /* nothing after it */
    assert_null(strstr(aof, "GET"));
    free(aof);
    h_server_stop_keep(&s);

    /* A crash in the middle of writing a transaction: its MULTI and part of
     * its commands are in the file, its EXEC is not. */
    append_file(path, "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$1\r\nx\r\n"
                      "*2\r\n$4\r\nINCR\r\n$2\r\nt2\r\n");
    size_t torn_size;
    free(h_read_file(path, &torn_size));
    const char *strict[] = {"--appendonly", "yes", "--dir", dir, "--aof-load-truncated", "no",
                            NULL};
    h_server s2;
    assert_int_not_equal(h_respd_start(&s2, NULL, strict), 0); /* refused, file untouched */
    h_server_cleanup(&s2);
    size_t now_size;
    free(h_read_file(path, &now_size));
    assert_int_equal(now_size, torn_size);

    h_server s3;
    assert_int_equal(h_respd_start(&s3, NULL, args), 0);
    c = h_connect(s3.port, 2000);
    assert_non_null(c);
    h_expect(c, "GET t1", "$1\r\na\r\n");
    h_expect(c, "SELECT 1", "+OK\r\n");
    h_expect(c, "EXISTS half", ":0\r\n");
    h_expect(c, "GET t2", "$1\r\n1\r\n"); /* not 2: the unfinished INCR is not applied */
    /* The file was cut back to the MULTI, so a later write is not taken
     * into the unfinished transaction at the next start. */
    h_expect(c, "SET after 1", "+OK\r\n");
    h_close(c);
    char *log = h_read_file(s3.log_path, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "Revert incomplete MULTI/EXEC transaction"));
    free(log);
    h_server_stop_keep(&s3);
    h_server s4;
    assert_int_equal(h_respd_start(&s4, NULL, args), 0);
    c = h_connect(s4.port, 2000);
    assert_non_null(c);
    h_expect(c, "SELECT 1", "+OK\r\n");
    h_expect(c, "GET after", "$1\r\n1\r\n");
    h_expect(c, "EXISTS half", ":0\r\n");
    h_close(c);
    h_server_stop(&s4);
    h_server_cleanup(&s3);
    h_server_cleanup(&s);
}

/* On respd alone: a watched key past the 256th key position of a write
 * (MSET of 300 pairs) still fails EXEC, EXEC's time in commandstats covers
 * the commands it ran, and CLIENT INFO inside EXEC shows flag x, multi=
 * and cmd=exec as Redis 7.0 does. */
static void test_multi_many_keys_and_exec_time(void **state)
{
    (void)state;
    h_conn *a = h_connect(respd_srv.port, 2000), *b = h_connect(respd_srv.port, 2000);
    assert_non_null(a);
    assert_non_null(b);
    h_expect(a, "FLUSHALL", "+OK\r\n");
    h_expect(a, "WATCH k299", "+OK\r\n");
    enum { PAIRS = 300 };
    const char *argv[1 + 2 * PAIRS];
    char names[PAIRS][16];
    argv[0] = "MSET";
    for (int i = 0; i < PAIRS; i++) {
        snprintf(names[i], sizeof(names[i]), "k%d", i);
        argv[1 + 2 * i] = names[i];
        argv[2 + 2 * i] = "v";
    }
    char *r = h_callv(b, 1 + 2 * PAIRS, argv, NULL);
    assert_string_equal(r, "+OK\r\n");
    free(r);
    h_expect(a, "MULTI", "+OK\r\n");
    h_expect(a, "PING", "+QUEUED\r\n");
    h_expect(a, "EXEC", "*-1\r\n");
    h_expect(a, "CONFIG RESETSTAT", "+OK\r\n");
    h_expect(a, "MULTI", "+OK\r\n");
    h_expect(a, "DEBUG SLEEP 0.05", "+QUEUED\r\n");
    h_expect(a, "EXEC", "*1\r\n+OK\r\n");
    assert_true(h_call_num(a, "INFO commandstats", "cmdstat_exec:calls=1,usec=") >= 40000);
    /* Inside EXEC the client shows as Redis shows it: in a transaction of
     * two commands, running EXEC. */
    h_expect(a, "MULTI", "+OK\r\n");
    h_expect(a, "CLIENT INFO", "+QUEUED\r\n");
    h_expect(a, "PING", "+QUEUED\r\n");
    r = h_call(a, "EXEC");
    assert_non_null(strstr(r, " flags=x "));
    assert_non_null(strstr(r, " multi=2 "));
    assert_non_null(strstr(r, " cmd=exec"));
    free(r);
    h_close(a);
    h_close(b);
}

/* CONFIG SET appendonly yes (and BGREWRITEAOF) inside EXEC: the rewrite
 * waits for the transaction's end, so the file holds all of it, framed or
 * not, never an EXEC without its MULTI; it loads back. */
static void test_multi_aof_turned_on_inside_exec(void **state)
{
    (void)state;
    char dir[128], path[256];
    assert_int_equal(h_mktempdir(dir, sizeof(dir)), 0);
    snprintf(path, sizeof(path), "%s/appendonly.aof", dir);
    const char *args[] = {"--dir", dir, NULL};
    h_server s;
    h_conn *c = h_respd_start_connected(&s, NULL, args);
    h_expect(c, "MULTI", "+OK\r\n");
    h_expect(c, "SET x 1", "+QUEUED\r\n");
    h_expect(c, "CONFIG SET appendonly yes", "+QUEUED\r\n");
    h_expect(c, "SET y 2", "+QUEUED\r\n");
    h_expect(c, "BGREWRITEAOF", "+QUEUED\r\n");
    h_expect(c, "EXEC", "*4\r\n+OK\r\n+OK\r\n+OK\r\n"
                        "+Background append only file rewriting scheduled\r\n");
    /* The scheduled rewrite runs from the cron and puts the file in place. */
    for (int i = 0; i < 500 && h_info_field(c, "persistence", "aof_rewrites") < 1; i++)
        h_sleep_ms(10);
    assert_int_equal(h_info_field(c, "persistence", "aof_rewrites"), 1);
    h_expect(c, "SET z 3", "+OK\r\n");
    h_close(c);
    h_server_stop_keep(&s);
    char *aof = h_read_file(path, NULL);
    assert_non_null(aof);
    assert_null(strstr(aof, "EXEC"));
    free(aof);
    const char *args2[] = {"--dir", dir, "--appendonly", "yes", NULL};
    h_server s2;
    c = h_respd_start_connected(&s2, NULL, args2);
    h_expect(c, "MGET x y z", "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
    h_close(c);
    h_server_stop(&s2);
    h_server_cleanup(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multi_queue_exec_discard),
        cmocka_unit_test(test_multi_watch),
        cmocka_unit_test(test_multi_blocked_clients_wait_for_exec),
        cmocka_unit_test(test_multi_client_list_fields),
        cmocka_unit_test(test_multi_aof_framing_and_torn_transaction),
        cmocka_unit_test(test_multi_many_keys_and_exec_time),
        cmocka_unit_test(test_multi_aof_turned_on_inside_exec),
    };
    return cmocka_run_group_tests_name("multi", tests, hdiff_group_setup, hdiff_group_teardown);
}
