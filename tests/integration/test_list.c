/* test_list: the list commands against a real redis-server, reply bytes
 * compared in RESP2 and RESP3 (hdiff.h): every command's edges and errors,
 * large lists across node limits of several list-max-listpack-size values
 * (a seeded random run compared reply by reply), blocking commands driven
 * over several connections (served, FIFO order, chains, timeouts); and on
 * respd alone: the listpack/quicklist conversions (Redis 7.0 reports
 * "quicklist" for every list), the forms blocking commands leave in the AOF,
 * and an AOF round trip through BGREWRITEAOF and a restart. Without
 * redis-server the differential tests are skipped.
 */
#include "harness.h"
#include "hdiff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void test_list_push_pop(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "LPUSH l a b c", "RPUSH l d e", "LRANGE l 0 -1", "LLEN l", "LLEN nokey",
        "LPUSHX l x", "RPUSHX l y z", "LPUSHX nokey a", "RPUSHX nokey a", "EXISTS nokey",
        "LPOP l", "RPOP l", "LPOP l 2", "RPOP l 2", "LRANGE l 0 -1",
        "LPOP l 0", "RPOP l 0", "LPOP l 100", "EXISTS l", "TYPE l",
        "LPOP nokey", "RPOP nokey", "LPOP nokey 0", "LPOP nokey 3", "RPOP nokey 1",
        "RPUSH l a", "LPOP l -1", "LPOP l abc", "LPOP l 1 2", "RPOP l 9223372036854775807",
        "RPUSH l a b c", "RPOP l 3", "EXISTS l",
        NULL,
    };
    RUN(steps);
}

static void test_list_errors_and_wrongtype(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SET s v",
        "LPUSH s a", "RPUSH s a", "LPUSHX s a", "RPUSHX s a", "LPOP s", "RPOP s 2", "LLEN s",
        "LRANGE s 0 -1", "LINDEX s 0", "LSET s 0 x", "LINSERT s BEFORE a b", "LREM s 0 a",
        "LTRIM s 0 1", "LPOS s a", "LPOS s a COUNT 0", "LMOVE s d LEFT LEFT", "RPOPLPUSH s d",
        "LMPOP 1 s LEFT", "BLPOP s 0", "BRPOP nokey s 0", "BLMOVE s d LEFT LEFT 0",
        "BRPOPLPUSH s d 0", "BLMPOP 0 1 s LEFT",
        "RPUSH l a", "LMOVE l s LEFT LEFT", "RPOPLPUSH l s", "LRANGE l 0 -1",
        "LINDEX nokey abc", "LINDEX l abc", "LSET nokey 0 x", "LSET l abc x", "LSET l 10 x",
        "LRANGE nokey a b", "LRANGE l a 1", "LRANGE l 0 b", "LTRIM nokey a 1",
        "LREM nokey a x", "LINSERT nokey foo a b", "LINSERT l foo a b", "LINSERT l BEFORE z x",
        "LMOVE l d UP LEFT", "LMOVE l d LEFT DOWN", "LMOVE nokey d UP LEFT",
        "LPUSH", "RPUSH l", "LLEN", "LINDEX l", "LSET l 0", "LMPOP 1", "BLPOP l",
        NULL,
    };
    RUN(steps);
}

static void test_list_range_index_set(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "RPUSH l a b c d e f g",
        "LRANGE l 0 -1", "LRANGE l -100 100", "LRANGE l 2 1", "LRANGE l -2 -1",
        "LRANGE l 5 10", "LRANGE l 7 7", "LRANGE l 6 6", "LRANGE l -7 -7", "LRANGE l -8 -8",
        "LRANGE l -9223372036854775808 9223372036854775807", "LRANGE nokey 0 -1",
        "LINDEX l 0", "LINDEX l -1", "LINDEX l 6", "LINDEX l 7", "LINDEX l -7", "LINDEX l -8",
        "LINDEX l -9223372036854775808", "LINDEX l 9223372036854775807", "LINDEX nokey 0",
        "LSET l 0 A", "LSET l -1 G", "LSET l 3 \"a much longer value than before\"",
        "LSET l 3 12345", "LSET l 7 x", "LSET l -8 x", "LRANGE l 0 -1",
        NULL,
    };
    RUN(steps);
}

static void test_list_insert_rem_trim(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "RPUSH l a b c a b c",
        "LINSERT l BEFORE a first", "LINSERT l AFTER c last", "LINSERT l after b mid",
        "LINSERT l before 1 no", "LINSERT l AfTeR last end", "LRANGE l 0 -1",
        "LREM l 0 mid", "LREM l 1 a", "LREM l -1 c", "LRANGE l 0 -1", "LREM l 0 nothere",
        "RPUSH r a b a c a d a",
        "LREM r -2 a", "LRANGE r 0 -1", "LREM r -9223372036854775808 a", "LRANGE r 0 -1",
        "LREM r x a", "LREM r 2 b", "LREM r 0 c", "LREM r 0 d", "EXISTS r",
        "RPUSH t 1 2 3 4 5 6",
        "LTRIM t 1 -2", "LRANGE t 0 -1", "LTRIM t -2 -1", "LRANGE t 0 -1", "LTRIM t 0 100",
        "LTRIM t 0 -1", "LTRIM t -100 -50", "EXISTS t", "LTRIM nokey 0 1",
        "RPUSH t2 a b c", "LTRIM t2 5 1", "EXISTS t2", "RPUSH t3 a b c", "LTRIM t3 2 0",
        "EXISTS t3",
        NULL,
    };
    RUN(steps);
}

static void test_list_lpos(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "RPUSH l a b c 1 2 3 c c 1",
        "LPOS l c", "LPOS l c RANK 2", "LPOS l c RANK -1", "LPOS l c RANK -2",
        "LPOS l c COUNT 0", "LPOS l c COUNT 2", "LPOS l c RANK 2 COUNT 0",
        "LPOS l c RANK -1 COUNT 2", "LPOS l c MAXLEN 3", "LPOS l c MAXLEN 3 COUNT 0",
        "LPOS l c RANK -1 MAXLEN 2 COUNT 0", "LPOS l 1 COUNT 0", "LPOS l 01", "LPOS l z",
        "LPOS l z COUNT 0", "LPOS l c RANK 10", "LPOS l c RANK 2 RANK 1", "LPOS l c COUNT 1 COUNT 3",
        "LPOS l c RANK 0", "LPOS l c RANK x", "LPOS l c COUNT -1", "LPOS l c COUNT x",
        "LPOS l c MAXLEN -1", "LPOS l c MAXLEN x", "LPOS l c RANK", "LPOS l c FOO 1",
        "LPOS l c COUNT 9223372036854775807", "LPOS l c RANK 9223372036854775807",
        /* Redis 7.0 negates RANK with no range check: LLONG_MIN stays negative. */
        "LPOS l c RANK -9223372036854775808", "LPOS l c RANK -9223372036854775808 COUNT 1",
        "LPOS l c RANK -9223372036854775807 COUNT 1",
        "LPOS nokey a", "LPOS nokey a COUNT 0", "LPOS nokey a RANK 0",
        NULL,
    };
    RUN(steps);
}

static void test_list_move_and_mpop(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "RPUSH src a b c",
        "LMOVE src dst LEFT RIGHT", "LMOVE src dst RIGHT LEFT", "LRANGE dst 0 -1",
        "RPOPLPUSH src dst", "EXISTS src", "LRANGE dst 0 -1",
        "LMOVE dst dst LEFT RIGHT", "LMOVE dst dst right left", "LRANGE dst 0 -1",
        "RPOPLPUSH dst dst", "LRANGE dst 0 -1", "LMOVE nokey dst LEFT LEFT",
        "RPOPLPUSH nokey dst", "RPUSH one x", "LMOVE one one LEFT RIGHT", "LRANGE one 0 -1",
        "RPUSH m1 a b c", "RPUSH m2 d e f",
        "LMPOP 2 nokey m1 LEFT", "LMPOP 2 nokey m2 RIGHT COUNT 2", "LMPOP 2 m1 m2 left count 10",
        "LMPOP 2 m1 m2 LEFT COUNT 10", "LMPOP 1 nokey LEFT",
        "LMPOP 0 m1 LEFT", "LMPOP -1 m1 LEFT", "LMPOP x m1 LEFT", "LMPOP 2 m1 LEFT",
        "LMPOP 9223372036854775807 m1 LEFT", "LMPOP 1 m1 MIDDLE", "LMPOP 1 m1 LEFT COUNT 0",
        "LMPOP 1 m1 LEFT COUNT -1", "LMPOP 1 m1 LEFT COUNT", "LMPOP 1 m1 LEFT COUNT 1 COUNT 2",
        "LMPOP 1 m1 LEFT foo",
        "COMMAND GETKEYS LMPOP 2 a b LEFT", "COMMAND GETKEYS LMPOP 1 a LEFT COUNT 2",
        "COMMAND GETKEYS BLMPOP 0 2 a b LEFT", "COMMAND GETKEYS BLPOP a b 0",
        "COMMAND GETKEYS LMOVE a b LEFT RIGHT", "COMMAND GETKEYS BRPOPLPUSH a b 0",
        NULL,
    };
    RUN(steps);
}

/* Integers are stored as integers: the bytes must come back unchanged,
 * and non-canonical forms must stay strings (LPOS and LREM tell). */
static void test_list_values_and_encodings_of_integers(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "RPUSH n 0 -1 127 128 -4096 4095 -4097 4096 32767 -32768 32768 -32769 8388607 "
        "-8388608 8388608 2147483647 -2147483648 2147483648 9223372036854775807 "
        "-9223372036854775808 9223372036854775808 01 -0 +1 \" 1\" 1.5 00 \"\" -",
        "LRANGE n 0 -1", "LPOS n 01", "LPOS n 1", "LPOS n -0", "LPOS n 0", "LPOS n \"\"",
        "LREM n 0 9223372036854775807", "LREM n 0 00", "LINSERT n BEFORE -4096 x",
        "LINSERT n AFTER 8388608 y", "LSET n 0 4096", "LSET n 1 \"\"", "LRANGE n 0 -1",
        "RPUSH bin \"a\\x00b\" \"\\x00\\xff\" \"\\r\\n\"", "LRANGE bin 0 -1",
        "LPOS bin \"\\x00\\xff\"", "LREM bin 1 \"a\\x00b\"", "LRANGE bin 0 -1",
        NULL,
    };
    RUN(steps);
}

/* ---- large lists ------------------------------------------------------------------ */

/* The commands on lists of thousands of elements, with elements of every
 * size, under several node limits. */
static void test_list_large_lists(void **state)
{
    (void)state;
    static const char *const fills[] = {"-2", "-1", "-5", "1", "4", "0"};
    static char push[200000];
    size_t n = (size_t)snprintf(push, sizeof(push), "RPUSH big");
    for (int i = 0; i < 3000; i++)
        n += (size_t)snprintf(push + n, sizeof(push) - n, i % 7 == 0 ? " %d" : " v%d-abcdefgh",
                              i);
    static char wide[20000];
    n = (size_t)snprintf(wide, sizeof(wide), "RPUSH big ");
    memset(wide + n, 'w', 9000);
    wide[n + 9000] = '\0';
    for (size_t f = 0; f < sizeof(fills) / sizeof(fills[0]); f++) {
        char cfgline[64];
        snprintf(cfgline, sizeof(cfgline), "CONFIG SET list-max-listpack-size %s", fills[f]);
        const char *steps[] = {
            cfgline, push, wide, "LPUSH big head1 head2", "LLEN big",
            "LRANGE big 0 9", "LRANGE big -10 -1", "LRANGE big 1500 1520", "LRANGE big 0 -1",
            "LINDEX big 0", "LINDEX big 1501", "LINDEX big -1", "LINDEX big -1700",
            "LSET big 1000 changed", "LSET big -2 changed2", "LSET big 10 \"\"",
            "LINSERT big BEFORE v1500-abcdefgh ins1", "LINSERT big AFTER v1500-abcdefgh ins2",
            "LINSERT big AFTER 2996 ins3", "LRANGE big 1495 1510",
            "LPOS big 700", "LPOS big v2999-abcdefgh RANK -1", "LPOS big 7 COUNT 0",
            "LREM big 3 70", "LREM big -2 v71-abcdefgh", "LREM big 0 0", "LLEN big",
            "LPOP big 5", "RPOP big 3", "LMOVE big big LEFT RIGHT", "LMOVE big other RIGHT LEFT",
            "LMPOP 2 nokey big RIGHT COUNT 100", "LTRIM big 100 -100", "LLEN big",
            "LRANGE big 0 -1", "LTRIM big 10 20", "LRANGE big 0 -1", "LLEN big",
            "DEL big", "RPUSH big a", "LRANGE big 0 -1",
            NULL,
        };
        RUN(steps);
    }
    static const char *const reset[] = {"CONFIG SET list-max-listpack-size -2", NULL};
    RUN(reset);
}

/* A seeded random run of list commands on two keys, every reply compared. */
static void random_value(unsigned *seed, char *buf, size_t size)
{
    int r = rand_r(seed) % 20;
    if (r < 6) {
        snprintf(buf, size, "%d", rand_r(seed) % 21 - 10);
    } else if (r < 7) {
        static const char *const edges[] = {"127", "128", "-4096", "4095", "32767", "-32769",
                                            "8388608", "2147483648", "-9223372036854775808"};
        snprintf(buf, size, "%s", edges[rand_r(seed) % 9]);
    } else {
        size_t len = r < 16 ? 1 + (size_t)(rand_r(seed) % 3)
                            : r < 19 ? 50 + (size_t)(rand_r(seed) % 250)
                                     : 3000 + (size_t)(rand_r(seed) % 9000);
        if (len >= size)
            len = size - 1;
        memset(buf, 'a' + rand_r(seed) % 5, len);
        buf[len] = '\0';
    }
}

static int random_run(unsigned seed, const char *fill, int nops)
{
    h_conn *c[2] = {h_connect(respd_srv.port, 2000), h_connect(redis_srv.port, 2000)};
    assert_non_null(c[0]);
    assert_non_null(c[1]);
    for (int i = 0; i < 2; i++) {
        free(h_call(c[i], "FLUSHALL"));
        free(h_callf(c[i], "CONFIG SET list-max-listpack-size %s", fill));
    }
    static char vals[48][12000];
    int bad = 0;
    for (int op = 0; op < nops && bad < 5; op++) {
        const char *argv[48];
        int argc = 0;
        char num[3][24];
        const char *k = rand_r(&seed) % 3 ? "k1" : "k2", *k2 = rand_r(&seed) % 2 ? "k1" : "k2";
        const char *side[2] = {"LEFT", "RIGHT"};
        int r = rand_r(&seed) % 100;
        for (int i = 0; i < 3; i++)
            snprintf(num[i], sizeof(num[i]), "%d", rand_r(&seed) % 601 - 300);
        if (r < 30) {
            argv[argc++] = rand_r(&seed) % 2 ? "LPUSH" : "RPUSH";
            argv[argc++] = k;
            int m = 1 + rand_r(&seed) % 40;
            for (int i = 0; i < m; i++) {
                random_value(&seed, vals[i], sizeof(vals[i]));
                argv[argc++] = vals[i];
            }
        } else if (r < 38) {
            argv[argc++] = rand_r(&seed) % 2 ? "LPOP" : "RPOP";
            argv[argc++] = k;
            if (rand_r(&seed) % 2) {
                snprintf(num[0], sizeof(num[0]), "%d", rand_r(&seed) % 30);
                argv[argc++] = num[0];
            }
        } else if (r < 46) {
            random_value(&seed, vals[0], sizeof(vals[0]));
            random_value(&seed, vals[1], sizeof(vals[1]));
            const char *a[] = {"LINSERT", k, rand_r(&seed) % 2 ? "BEFORE" : "AFTER", vals[0],
                               vals[1]};
            memcpy(argv, a, sizeof(a));
            argc = 5;
        } else if (r < 54) {
            random_value(&seed, vals[0], sizeof(vals[0]));
            const char *a[] = {"LSET", k, num[0], vals[0]};
            memcpy(argv, a, sizeof(a));
            argc = 4;
        } else if (r < 59) {
            random_value(&seed, vals[0], sizeof(vals[0]));
            snprintf(num[0], sizeof(num[0]), "%d", rand_r(&seed) % 7 - 3);
            const char *a[] = {"LREM", k, num[0], vals[0]};
            memcpy(argv, a, sizeof(a));
            argc = 4;
        } else if (r < 61) {
            const char *a[] = {"LTRIM", k, num[0], num[1]};
            memcpy(argv, a, sizeof(a));
            argc = 4;
        } else if (r < 67) {
            const char *a[] = {"LINDEX", k, num[0]};
            memcpy(argv, a, sizeof(a));
            argc = 3;
        } else if (r < 77) {
            const char *a[] = {"LRANGE", k, num[0], num[1]};
            memcpy(argv, a, sizeof(a));
            argc = 4;
        } else if (r < 82) {
            random_value(&seed, vals[0], sizeof(vals[0]));
            snprintf(num[0], sizeof(num[0]), "%d", rand_r(&seed) % 2 ? 1 + rand_r(&seed) % 3 : -1 - rand_r(&seed) % 3);
            snprintf(num[1], sizeof(num[1]), "%d", rand_r(&seed) % 4);
            snprintf(num[2], sizeof(num[2]), "%d", rand_r(&seed) % 200);
            const char *a[] = {"LPOS", k, vals[0], "RANK", num[0], "COUNT", num[1],
                               "MAXLEN", num[2]};
            memcpy(argv, a, sizeof(a));
            argc = 9;
        } else if (r < 90) {
            const char *a[] = {"LMOVE", k, k2, side[rand_r(&seed) % 2], side[rand_r(&seed) % 2]};
            memcpy(argv, a, sizeof(a));
            argc = 5;
        } else if (r < 94) {
            snprintf(num[0], sizeof(num[0]), "%d", 1 + rand_r(&seed) % 20);
            const char *a[] = {"LMPOP", "2", k, k2, side[rand_r(&seed) % 2], "COUNT", num[0]};
            memcpy(argv, a, sizeof(a));
            argc = 7;
        } else {
            const char *a[] = {"LRANGE", k, "0", "-1"};
            memcpy(argv, a, sizeof(a));
            argc = 4;
        }
        char *ra = h_callv(c[0], argc, argv, NULL), *rb = h_callv(c[1], argc, argv, NULL);
        if (!ra || !rb || strcmp(ra, rb) != 0) {
            char *ea = h_escape(ra ? ra : "-", ra ? strlen(ra) : 1, 300);
            char *eb = h_escape(rb ? rb : "-", rb ? strlen(rb) : 1, 300);
            fprintf(stderr, "MISMATCH random seed %u fill %s op %d %s %s\n  respd: %s\n  redis: %s\n",
                    seed, fill, op, argv[0], argv[1], ea, eb);
            free(ea);
            free(eb);
            bad++;
        }
        free(ra);
        free(rb);
    }
    for (int i = 0; i < 2; i++) {
        free(h_call(c[i], "CONFIG SET list-max-listpack-size -2"));
        h_close(c[i]);
    }
    return bad;
}

static void test_list_random_operations_match_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    static const char *const fills[] = {"-2", "-1", "3", "0"};
    int bad = 0;
    for (unsigned s = 0; s < 4; s++)
        bad += random_run(1000 + s, fills[s], 2500);
    assert_int_equal(bad, 0);
}

/* ---- blocking ----------------------------------------------------------------------- */

static void test_list_blocking_pop_served_by_push(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "1> BLPOP k1 k2 0", "1?", "RPUSH k2 x y", "1<", "LRANGE k2 0 -1",
        "1> BRPOP q 0", "2> BRPOP q 0", "LPUSH q 1 2 3", "1<", "2<", "LRANGE q 0 -1",
        "1> BLPOP w 0", "SET w str", "1?", "DEL w", "LPUSHX w a", "1?", "RPUSH w a b", "1<",
        "1> BLPOP e 0", "RPUSH src z", "RPOPLPUSH src e", "1<", "EXISTS e src",
        "1> BLPOP i 0", "RPUSH i a", "LINSERT i BEFORE a b", "1<", "LRANGE i 0 -1",
        "1> BLMPOP 0 2 m1 m2 RIGHT COUNT 2", "RPUSH m2 a b c", "1<", "LRANGE m2 0 -1",
        "1> BLMPOP 0 1 m3 LEFT", "2> BLMPOP 0 1 m3 LEFT COUNT 5", "RPUSH m3 a b c", "1<", "2<",
        /* The waiter is served before the next command runs. */
        "1> BLPOP pp 0", "RPUSH pp 1", "LPOP pp", "1<",
        /* Non-empty at once: no blocking. */
        "RPUSH now a", "BLPOP nokey now 0", "BRPOP now 0", "EXISTS now",
        NULL,
    };
    hdiff_check_conns(__func__, steps);
}

static void test_list_blocking_move_chains_and_timeouts(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "1> BLMOVE src dst LEFT RIGHT 0", "2> BLPOP dst 0", "RPUSH src v", "1<", "2<",
        "EXISTS src dst",
        "1> BRPOPLPUSH s2 d2 0", "LPUSH s2 a b", "1<", "LRANGE s2 0 -1", "LRANGE d2 0 -1",
        "RPUSH rot 1 2 3", "BLMOVE rot rot LEFT RIGHT 0", "LRANGE rot 0 -1",
        "SET str x", "1> BLMOVE nos str LEFT LEFT 0", "1?", "DEL str",
        "RPUSH nos a", "1<", "LRANGE str 0 -1",
        "BLPOP t1 0.1", "BRPOP t1 t2 0.05", "BLMOVE t1 t2 LEFT LEFT 0.05",
        "BRPOPLPUSH t1 t2 0.05", "BLMPOP 0.05 2 t1 t2 LEFT COUNT 3",
        "BLPOP t1 -1", "BLPOP t1 abc", "BLMOVE t1 t2 LEFT LEFT x",
        "BLMOVE t1 t2 UP LEFT x", "BLMPOP x 1 t1 LEFT", "BLMPOP 0 0 t1 LEFT",
        "BLMPOP 0 1 t1 UP", "BLMPOP 0 1 t1 LEFT COUNT 0",
        NULL,
    };
    hdiff_check_conns(__func__, steps);
}

/* Keys that get a value other than by a push: RENAME, RENAMENX, MOVE, COPY,
 * SORT STORE, SWAPDB and the sorted-set stores wake their waiters; a key of
 * the other type (a sorted set for BLPOP, a list for BZPOPMIN) does not, and
 * its waiter goes on waiting, in its place, for its own type. */
static void test_list_blocking_served_by_stores_and_type(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "1> BLPOP r 0", "RPUSH tmp v", "RENAME tmp r", "1<",
        "1> BLPOP rn 0", "RPUSH tmp v", "RENAMENX tmp rn", "1<",
        "1> BLPOP mv 0", "SELECT 1", "RPUSH mv v", "MOVE mv 0", "SELECT 0", "1<",
        "1> BLPOP cp 0", "RPUSH src a b", "COPY src cp", "1<", "LRANGE cp 0 -1",
        "1> BLPOP so 0", "RPUSH s2 3 1 2", "SORT s2 STORE so", "1<", "LRANGE so 0 -1",
        "1> BLPOP sw 0", "SELECT 1", "RPUSH sw v", "SWAPDB 0 1", "SELECT 0", "1<",
        "SWAPDB 0 1",
        "1> BZPOPMIN zr 0", "ZADD ztmp 1 m", "RENAME ztmp zr", "1<",
        "1> BZPOPMIN zu 0", "ZADD zs 1 m 2 n", "ZUNIONSTORE zu 1 zs", "1<",
        "1> BZPOPMIN zg 0", "ZRANGESTORE zg zs 0 0", "1<",
        /* Another type: no wake-up, no WRONGTYPE; the waiter keeps waiting. */
        "1> BLPOP t1 0", "SET stmp x", "RENAME stmp t1", "1?", "DEL t1",
        "ZADD t1 1 m", "1?", "DEL t1", "RPUSH t1 ok", "1<",
        "1> BZPOPMIN t2 0", "2> BLPOP t2 0", "RPUSH t2 v", "2<", "1?",
        "ZADD t2 5 m", "1<",
        "1> BLPOP t3 0", "2> BZPOPMIN t3 0", "ZADD t3 1 m", "2<", "1?",
        "RPUSH t3 a", "1<",
        "1> BLPOP t4 0.2", "ZADD t4 1 m", "1<", "TYPE t4",
        NULL,
    };
    hdiff_check_conns(__func__, steps);
}

/* CLIENT UNBLOCK: a waiter ends with its timeout reply or the -UNBLOCKED
 * error, leaves every queue (a later push is not given to it) and goes on
 * serving. Client ids differ between the servers, so each run looks its
 * waiter's id up and the replies are compared step by step. */
static void unblock_run(int port, char **out)
{
    h_conn *c0 = h_connect(port, 2000), *c1 = h_connect(port, 2000);
    assert_non_null(c0);
    assert_non_null(c1);
    free(h_call(c0, "FLUSHALL"));
    char *id = h_call(c1, "CLIENT ID");
    assert_non_null(id);
    long long n = atoll(id + 1);
    free(id);
    int k = 0;
    const char *modes[] = {"", " TIMEOUT", " ERROR"};
    for (int m = 0; m < 3; m++) {
        assert_int_equal(h_send_str(c1, m == 2 ? "BZPOPMIN z1 z2 0\r\n" : "BLPOP q1 q2 0\r\n"), 0);
        h_sleep_ms(50);
        out[k++] = h_callf(c0, "CLIENT UNBLOCK %lld%s", n, modes[m]);
        char *r = NULL;
        if (h_read_reply(c1, H_REPLY_TIMEOUT_MS, &r, NULL) < 0)
            r = strdup("(no reply)");
        out[k++] = r;
        out[k++] = h_callf(c0, "CLIENT UNBLOCK %lld", n); /* no longer blocked */
        out[k++] = h_call(c0, m == 2 ? "ZADD z1 1 a" : "RPUSH q1 a");
        out[k++] = h_call(c1, "PING");
        out[k++] = h_call(c0, m == 2 ? "ZCARD z1" : "LLEN q1");
    }
    char *info = h_call(c0, "INFO errorstats");
    assert_non_null(info);
    out[k++] = strdup(strstr(info, "errorstat_UNBLOCKED:count=1\r\n") ? "UNBLOCKED counted once"
                                                                      : "UNBLOCKED not counted once");
    free(info);
    out[k] = NULL;
    h_close(c0);
    h_close(c1);
}

static void test_list_client_unblock(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    char *a[32], *b[32];
    unblock_run(respd_srv.port, a);
    unblock_run(redis_srv.port, b);
    int bad = 0;
    for (int k = 0; a[k] || b[k]; k++) {
        if (!a[k] || !b[k] || strcmp(a[k], b[k]) != 0) {
            char *ea = a[k] ? h_escape(a[k], strlen(a[k]), 300) : strdup("(none)");
            char *eb = b[k] ? h_escape(b[k], strlen(b[k]), 300) : strdup("(none)");
            fprintf(stderr, "MISMATCH client unblock step %d\n  respd: %s\n  redis: %s\n", k, ea, eb);
            free(ea);
            free(eb);
            bad++;
        }
        free(a[k]);
        free(b[k]);
        if (!a[k] || !b[k])
            break;
    }
    assert_int_equal(bad, 0);
}

/* ---- respd alone ---------------------------------------------------------------------- */

static char *call_ok(h_conn *c, const char *line)
{
    char *r = h_call(c, line);
    assert_non_null(r);
    return r;
}

static void expect(h_conn *c, const char *line, const char *want)
{
    char *r = call_ok(c, line);
    if (strcmp(r, want) != 0) {
        char *e = h_escape(r, strlen(r), 200);
        fprintf(stderr, "[%s] got %s\n", line, e);
        free(e);
    }
    assert_string_equal(r, want);
    free(r);
}

#define LISTPACK "$8\r\nlistpack\r\n"
#define QUICKLIST "$9\r\nquicklist\r\n"

/* Redis 7.2's rules (7.0 has no listpack lists): past the limit a list
 * becomes a quicklist; it returns to a listpack at half the limit. */
static void test_list_encoding_conversions(void **state)
{
    (void)state;
    h_conn *c = h_connect(respd_srv.port, 2000);
    assert_non_null(c);
    free(call_ok(c, "FLUSHALL"));
    expect(c, "CONFIG SET list-max-listpack-size 4", "+OK\r\n");
    expect(c, "RPUSH l a b c d", ":4\r\n");
    expect(c, "OBJECT ENCODING l", LISTPACK);
    expect(c, "RPUSH l e", ":5\r\n");
    expect(c, "OBJECT ENCODING l", QUICKLIST);
    expect(c, "RPOP l 2", "*2\r\n$1\r\ne\r\n$1\r\nd\r\n");
    expect(c, "OBJECT ENCODING l", QUICKLIST); /* 3 > 4/2 */
    expect(c, "LREM l 1 c", ":1\r\n");
    expect(c, "OBJECT ENCODING l", LISTPACK);
    expect(c, "LINSERT l AFTER b x", ":3\r\n");
    expect(c, "LSET l 0 y", "+OK\r\n");
    expect(c, "OBJECT ENCODING l", LISTPACK);
    expect(c, "RPUSH many 1 2 3 4 5 6 7 8 9", ":9\r\n");
    expect(c, "OBJECT ENCODING many", QUICKLIST);
    expect(c, "LTRIM many 0 1", "+OK\r\n");
    expect(c, "OBJECT ENCODING many", LISTPACK);
    /* Size limits: -1 is 4096 bytes. */
    expect(c, "CONFIG SET list-max-listpack-size -1", "+OK\r\n");
    char big[5000];
    memset(big, 'x', 4000);
    big[4000] = '\0';
    char *r = h_callf(c, "RPUSH b %s", big);
    free(r);
    expect(c, "OBJECT ENCODING b", LISTPACK);
    r = h_callf(c, "RPUSH b %.100s", big);
    free(r);
    expect(c, "OBJECT ENCODING b", QUICKLIST);
    r = call_ok(c, "LPOP b");
    assert_memory_equal(r, "$4000\r\n", 7);
    free(r);
    expect(c, "OBJECT ENCODING b", LISTPACK);
    expect(c, "CONFIG SET list-max-listpack-size -2", "+OK\r\n");
    h_close(c);
}

/* Reads the AOF, or NULL. */
static char *read_aof(const char *dir)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/appendonly.aof", dir);
    return h_read_file(path, NULL);
}

/* Asks the checks on c (which it closes), restarts s (same arguments) so
 * that it loads its AOF, asks them again and asserts the same replies; then
 * stops the new server and removes s's directory. */
static void restart_and_compare(h_server *s, const char *const *args, h_conn *c,
                                const char *const *checks)
{
    size_t n = 0;
    while (checks[n])
        n++;
    char **before = calloc(n, sizeof(char *));
    for (size_t k = 0; k < n; k++)
        before[k] = call_ok(c, checks[k]);
    h_close(c);
    h_server_stop_keep(s);
    h_server s2;
    assert_int_equal(h_respd_start(&s2, NULL, args), 0);
    c = h_connect(s2.port, 2000);
    assert_non_null(c);
    for (size_t k = 0; k < n; k++) {
        char *after = call_ok(c, checks[k]);
        assert_string_equal(after, before[k]);
        free(after);
        free(before[k]);
    }
    free(before);
    h_close(c);
    h_server_stop(&s2);
    h_server_cleanup(s);
}

/* A served blocking command reaches the AOF as its non-blocking form. */
static void test_list_blocking_commands_propagate_nonblocking_forms(void **state)
{
    (void)state;
    char dir[128];
    assert_int_equal(h_mktempdir(dir, sizeof(dir)), 0);
    const char *args[] = {"--appendonly", "yes", "--dir", dir, "--appendfsync", "always", NULL};
    h_server s;
    assert_int_equal(h_respd_start(&s, NULL, args), 0);
    h_conn *c = h_connect(s.port, 2000), *w = h_connect(s.port, 2000);
    assert_non_null(c);
    assert_non_null(w);
    /* Served later (re-executed) and served at once, for each command. */
    static const char *const waits[] = {"BLPOP q1 0", "BRPOP q2 0", "BLMOVE q3 d3 LEFT RIGHT 0",
                                        "BRPOPLPUSH q4 d4 0", "BLMPOP 0 1 q5 RIGHT COUNT 2"};
    static const char *const pushes[] = {"RPUSH q1 a b", "RPUSH q2 a b", "RPUSH q3 a b",
                                         "RPUSH q4 a b", "RPUSH q5 a b c"};
    for (int i = 0; i < 5; i++) {
        char *req = h_inline(&(size_t){0}, "%s", waits[i]);
        assert_int_equal(h_send(w, req, strlen(req)), 0);
        free(req);
        h_sleep_ms(50);
        free(call_ok(c, pushes[i]));
        char *r = NULL;
        assert_int_equal(h_read_reply(w, H_REPLY_TIMEOUT_MS, &r, NULL), 0);
        free(r);
        free(call_ok(c, waits[i])); /* the rest, served at once */
    }
    char *aof = read_aof(dir);
    assert_non_null(aof);
    assert_null(strstr(aof, "BLPOP"));
    assert_null(strstr(aof, "BRPOP"));
    assert_null(strstr(aof, "BLMOVE"));
    assert_null(strstr(aof, "BLMPOP"));
    assert_non_null(strstr(aof, "$4\r\nLPOP\r\n$2\r\nq1\r\n"));
    assert_non_null(strstr(aof, "$4\r\nRPOP\r\n$2\r\nq2\r\n"));
    assert_non_null(strstr(aof, "$5\r\nLMOVE\r\n$2\r\nq3\r\n$2\r\nd3\r\n$4\r\nLEFT\r\n$5\r\nRIGHT\r\n"));
    assert_non_null(strstr(aof, "$9\r\nRPOPLPUSH\r\n$2\r\nq4\r\n$2\r\nd4\r\n"));
    assert_non_null(strstr(aof, "*3\r\n$4\r\nRPOP\r\n$2\r\nq5\r\n$1\r\n2\r\n"));
    assert_non_null(strstr(aof, "*3\r\n$4\r\nRPOP\r\n$2\r\nq5\r\n$1\r\n1\r\n"));
    free(aof);
    const char *checks[] = {"LRANGE d3 0 -1", "LRANGE d4 0 -1", "EXISTS q1 q2 q3 q4 q5", NULL};
    h_close(w);
    restart_and_compare(&s, args, c, checks);
}

/* Lists of both encodings survive BGREWRITEAOF and a restart. */
static void test_list_aof_round_trip(void **state)
{
    (void)state;
    char dir[128];
    assert_int_equal(h_mktempdir(dir, sizeof(dir)), 0);
    const char *args[] = {"--appendonly", "yes", "--dir", dir, NULL};
    h_server s;
    h_conn *c = h_respd_start_connected(&s, NULL, args);
    free(call_ok(c, "RPUSH small a 1 -2 text \"\""));
    for (int i = 0; i < 400; i++)
        free(h_callf(c, "RPUSH big e%d %d %d%s", i, i, i, "-padding-padding-padding-padding"));
    free(call_ok(c, "PEXPIRE small 100000000"));
    free(call_ok(c, "RPUSH gone x"));
    free(call_ok(c, "LPOP gone"));
    free(call_ok(c, "BGREWRITEAOF"));
    for (int i = 0; i < 100; i++) {
        char *info = h_call(c, "INFO persistence");
        int done = info && strstr(info, "aof_rewrite_in_progress:0") &&
                   !strstr(info, "aof_rewrite_scheduled:1");
        free(info);
        if (done)
            break;
        h_sleep_ms(50);
    }
    free(call_ok(c, "LSET big 5 changed"));
    free(call_ok(c, "LPUSH after x y"));
    expect(c, "OBJECT ENCODING big", QUICKLIST);
    expect(c, "OBJECT ENCODING small", LISTPACK);
    const char *checks[] = {"LRANGE small 0 -1", "LRANGE big 0 -1", "LRANGE after 0 -1",
                            "EXISTS gone", "PEXPIRETIME small", "OBJECT ENCODING big",
                            "OBJECT ENCODING small", NULL};
    restart_and_compare(&s, args, c, checks);
}

/* COPY and RENAME keep list values whole and independent. */
static void test_list_copy_rename(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "RPUSH a 1 2 3", "COPY a b", "RPUSH b 4", "LRANGE a 0 -1", "LRANGE b 0 -1",
        "RENAME b c", "LRANGE c 0 -1", "EXISTS b", "COPY a c", "COPY a c REPLACE",
        "LRANGE c 0 -1", "MOVE c 1", "SELECT 1", "LRANGE c 0 -1", "TYPE c",
        NULL,
    };
    RUN(steps);
}

/* Keyspace hits and misses move as Redis's do. */
static void test_list_keyspace_hits_misses(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    int ports[2] = {respd_srv.port, redis_srv.port};
    long long v[2][2];
    for (int i = 0; i < 2; i++) {
        h_conn *c = h_connect(ports[i], 2000);
        assert_non_null(c);
        free(h_call(c, "FLUSHALL"));
        free(h_call(c, "CONFIG RESETSTAT"));
        const char *cmds[] = {"RPUSH l a b c", "LRANGE l 0 -1", "LRANGE nokey 0 -1", "LLEN l",
                              "LLEN nokey", "LINDEX l 0", "LINDEX nokey 0", "LPOS l a",
                              "LPOS nokey a", "LPOP l", "LSET l 0 x", "LMOVE l m LEFT LEFT",
                              "BLPOP l 0", "LMPOP 1 nokey LEFT", NULL};
        for (int k = 0; cmds[k]; k++)
            free(h_call(c, cmds[k]));
        char *info = h_call(c, "INFO stats");
        assert_non_null(info);
        v[i][0] = atoll(strstr(info, "keyspace_hits:") + 14);
        v[i][1] = atoll(strstr(info, "keyspace_misses:") + 16);
        free(info);
        h_close(c);
    }
    assert_int_equal(v[0][0], v[1][0]);
    assert_int_equal(v[0][1], v[1][1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_push_pop),
        cmocka_unit_test(test_list_errors_and_wrongtype),
        cmocka_unit_test(test_list_range_index_set),
        cmocka_unit_test(test_list_insert_rem_trim),
        cmocka_unit_test(test_list_lpos),
        cmocka_unit_test(test_list_move_and_mpop),
        cmocka_unit_test(test_list_values_and_encodings_of_integers),
        cmocka_unit_test(test_list_large_lists),
        cmocka_unit_test(test_list_random_operations_match_redis),
        cmocka_unit_test(test_list_blocking_pop_served_by_push),
        cmocka_unit_test(test_list_blocking_move_chains_and_timeouts),
        cmocka_unit_test(test_list_blocking_served_by_stores_and_type),
        cmocka_unit_test(test_list_client_unblock),
        cmocka_unit_test(test_list_encoding_conversions),
        cmocka_unit_test(test_list_blocking_commands_propagate_nonblocking_forms),
        cmocka_unit_test(test_list_aof_round_trip),
        cmocka_unit_test(test_list_copy_rename),
        cmocka_unit_test(test_list_keyspace_hits_misses),
    };
    return cmocka_run_group_tests_name("list", tests, hdiff_group_setup, hdiff_group_teardown);
}
