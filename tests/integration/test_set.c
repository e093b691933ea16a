/* test_set: the set commands against a real redis-server, byte for byte,
 * in RESP2 and RESP3; the encodings respd reports (Redis 7.2's: intset,
 * listpack, hashtable) and their thresholds; random commands checked by
 * their invariants; SSCAN by full iteration; and an AOF round trip with
 * SPOP, BGREWRITEAOF and a restart.
 *
 * A script step is a command line (split like redis-cli splits it) that
 * runs on both servers; an optional prefix says how to compare:
 *   "%u " the replies as unordered collections (hashtable and listpack
 *         sets have no defined order; intsets reply sorted, so those
 *         steps compare exactly)
 *   "%s " only the shape: types and aggregate sizes (random replies)
 * Without redis-server the differential tests are skipped.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static h_server respd_srv, redis_srv;
static int have_redis;

/* ---- canonical forms of replies ------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The reply at b[*pos] with the elements of every aggregate sorted (mode
 * 'u'), or reduced to types and sizes (mode 's'). malloc'd. */
static char *canon(const char *b, size_t len, size_t *pos, char mode)
{
    long one = h_reply_len(b + *pos, len - *pos);
    if (one <= 0)
        return strdup("?");
    char t = b[*pos];
    long long n = atoll(b + *pos + 1);
    if (!strchr("*~%", t) || n <= 0) {
        char *r;
        if (mode == 's') {
            r = malloc(32);
            snprintf(r, 32, "%c%s;", t, (t == '$' && n < 0) ? "-1" : "");
        } else {
            r = strndup(b + *pos, (size_t)one);
        }
        *pos += (size_t)one;
        return r;
    }
    const char *head = b + *pos;
    size_t hlen = (size_t)(strstr(head, "\r\n") - head) + 2;
    long long items = t == '%' ? 2 * n : n;
    char **el = calloc((size_t)items, sizeof(char *));
    size_t total = hlen + 2;
    *pos += hlen;
    for (long long i = 0; i < items; i++) {
        el[i] = canon(b, len, pos, mode);
        total += strlen(el[i]);
    }
    if (mode == 'u' && t != '%')
        qsort(el, (size_t)items, sizeof(char *), cmp_str);
    char *out = malloc(total);
    memcpy(out, head, hlen);
    size_t o = hlen;
    for (long long i = 0; i < items; i++) {
        size_t l = strlen(el[i]);
        memcpy(out + o, el[i], l);
        o += l;
        free(el[i]);
    }
    out[o] = '\0';
    free(el);
    return out;
}

static char *canon_reply(const char *r, char mode)
{
    size_t pos = 0;
    return r ? canon(r, strlen(r), &pos, mode) : strdup("(none)");
}

/* ---- both servers ---------------------------------------------------------- */

typedef struct pair {
    h_conn *a; /* respd */
    h_conn *b; /* redis */
    int proto;
} pair;

static h_conn *open_one(int port, int proto)
{
    h_conn *c = h_connect(port, 2000);
    assert_non_null(c);
    if (proto == 3) {
        char *r = h_call(c, "HELLO 3");
        assert_non_null(r);
        assert_int_equal(r[0], '%');
        free(r);
    }
    return c;
}

static pair open_pair(int proto)
{
    pair p = {open_one(respd_srv.port, proto), open_one(redis_srv.port, proto), proto};
    char *r = h_call(p.a, "FLUSHALL");
    free(r);
    r = h_call(p.b, "FLUSHALL");
    free(r);
    return p;
}

static void close_pair(pair *p)
{
    h_close(p->a);
    h_close(p->b);
}

static int report(const char *test, int proto, const char *line, const char *a, const char *b)
{
    char *ea = h_escape(a ? a : "(none)", a ? strlen(a) : 6, 500);
    char *eb = h_escape(b ? b : "(none)", b ? strlen(b) : 6, 500);
    fprintf(stderr, "MISMATCH %s/resp%d [%s]\n  respd: %s\n  redis: %s\n", test, proto, line, ea,
            eb);
    free(ea);
    free(eb);
    return 1;
}

/* Runs one step on both servers; returns 1 on a mismatch (reported). */
static int step(pair *p, const char *test, const char *line)
{
    char mode = 'x';
    if (line[0] == '%') {
        mode = line[1];
        line += 3;
    }
    char *a = h_call(p->a, line);
    char *b = h_call(p->b, line);
    int bad = 0;
    if (!a || !b) {
        bad = report(test, p->proto, line, a, b);
    } else if (mode == 'x') {
        if (strcmp(a, b) != 0)
            bad = report(test, p->proto, line, a, b);
    } else {
        char *ca = canon_reply(a, mode), *cb = canon_reply(b, mode);
        if (strcmp(ca, cb) != 0)
            bad = report(test, p->proto, line, a, b);
        free(ca);
        free(cb);
    }
    free(a);
    free(b);
    return bad;
}

/* Runs a script in RESP2 and in RESP3 on fresh connections after FLUSHALL. */
static void run_script(const char *test, const char *const *steps)
{
    if (!have_redis)
        skip();
    int bad = 0;
    for (int proto = 2; proto <= 3; proto++) {
        pair p = open_pair(proto);
        for (int i = 0; steps[i]; i++)
            bad += step(&p, test, steps[i]);
        close_pair(&p);
    }
    if (bad)
        fail_msg("%s: %d step(s) differ from redis-server", test, bad);
}

/* Sends a command to both servers, expecting the same reply. */
static void both(pair *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void both(pair *p, const char *fmt, ...)
{
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (step(p, "both", line))
        fail_msg("differs: %s", line);
}

/* Like h_call for lines of any number of space-separated words (h_call
 * takes up to 256); no quoting. */
static char *call_words(h_conn *c, const char *line)
{
    size_t cap = 16;
    int argc = 0;
    char *copy = strdup(line);
    const char **argv = malloc(cap * sizeof(char *));
    for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " ")) {
        if ((size_t)argc == cap) {
            cap *= 2;
            argv = realloc(argv, cap * sizeof(char *));
        }
        argv[argc++] = tok;
    }
    char *r = h_callv(c, argc, argv, NULL);
    free(argv);
    free(copy);
    return r;
}

static void expect(h_conn *c, const char *line, const char *want)
{
    char *r = strchr(line, '"') ? h_call(c, line) : call_words(c, line);
    if (!r)
        fail_msg("no reply to %s", line);
    if (strcmp(r, want) != 0) {
        char *er = h_escape(r, strlen(r), 300), *ew = h_escape(want, strlen(want), 300);
        fail_msg("%s: got %s want %s", line, er, ew);
    }
    free(r);
}

static void expect_enc(h_conn *c, const char *key, const char *enc)
{
    char line[256], want[64];
    snprintf(line, sizeof(line), "OBJECT ENCODING %s", key);
    snprintf(want, sizeof(want), "$%zu\r\n%s\r\n", strlen(enc), enc);
    expect(c, line, want);
}

/* ---- scripts ----------------------------------------------------------------- */

static void test_set_basic_intset(void **state)
{
    (void)state;
    static const char *const s[] = {
        "SADD s 3 1 2",
        "SADD s 2 5 -7 0",
        "SMEMBERS s",
        "SCARD s",
        "SISMEMBER s 5",
        "SISMEMBER s 6",
        "SISMEMBER s 05",
        "SMISMEMBER s 1 9 -7 x",
        "SMISMEMBER nokey a b",
        "SISMEMBER nokey a",
        "SCARD nokey",
        "SMEMBERS nokey",
        "SREM s 1 9 2",
        "SMEMBERS s",
        "SREM nokey a",
        "SREM s 3 5 -7 0 99",
        "EXISTS s",
        "SADD big 9223372036854775807 -9223372036854775808 0 32767 -32768 32768 2147483648",
        "SMEMBERS big",
        "SISMEMBER big -9223372036854775808",
        "SREM big 9223372036854775807",
        "SMEMBERS big",
        "SADD s 1",
        "SADD s 1",
        "SADD s",
        "SREM s",
        "SCARD s extra",
        "SISMEMBER s",
        "SMISMEMBER s",
        "TYPE s",
        "SET str x",
        "SADD str a",
        "SREM str a",
        "SCARD str",
        "SISMEMBER str a",
        "SMISMEMBER str a",
        "SMEMBERS str",
        NULL,
    };
    run_script("basic_intset", s);
}

static void test_set_basic_strings(void **state)
{
    (void)state;
    static const char *const s[] = {
        "SADD s a b c",
        "%u SMEMBERS s",
        "SADD s a d 1 2",
        "%u SMEMBERS s",
        "SCARD s",
        "SISMEMBER s d",
        "SISMEMBER s 1",
        "SISMEMBER s z",
        "SMISMEMBER s a z 1 3",
        "SREM s a z 1",
        "%u SMEMBERS s",
        "SADD s \"\" \"x y\" \"\\x00\\xff\"",
        "SISMEMBER s \"\"",
        "SISMEMBER s \"\\x00\\xff\"",
        "%u SMEMBERS s",
        "SREM s b c d 2 \"\" \"x y\" \"\\x00\\xff\"",
        "EXISTS s",
        "SADD m 1 2 3",
        "SADD m x",
        "%u SMEMBERS m",
        "SISMEMBER m 2",
        "SREM m 2",
        "%u SMEMBERS m",
        NULL,
    };
    run_script("basic_strings", s);
}

static void test_set_spop_srandmember_deterministic(void **state)
{
    (void)state;
    static const char *const s[] = {
        "SADD s 3 1 2",
        "SPOP nokey",
        "SPOP nokey 2",
        "SPOP nokey -1",
        "SPOP s -1",
        "SPOP s abc",
        "SPOP s 1 2",
        "SPOP s 0",
        "SPOP s 3",
        "EXISTS s",
        "SADD s 3 1 2",
        "SPOP s 100",
        "SADD s 3 1 2",
        "SRANDMEMBER s 3",
        "SRANDMEMBER s 30",
        "SRANDMEMBER s 0",
        "SRANDMEMBER s -0",
        "SRANDMEMBER s abc",
        "SRANDMEMBER s -9223372036854775808",
        "SRANDMEMBER s 1 2",
        "SRANDMEMBER nokey",
        "SRANDMEMBER nokey 5",
        "SRANDMEMBER nokey -5",
        "%s SRANDMEMBER s",
        "%s SRANDMEMBER s 2",
        "%s SRANDMEMBER s -10",
        "%s SRANDMEMBER s 1",
        "%s SRANDMEMBER s -1",
        "%s SPOP s",
        "SCARD s",
        "%s SPOP s 1",
        "SCARD s",
        "SADD w a b c d",
        "%u SRANDMEMBER w 10",
        "%u SPOP w 4",
        "EXISTS w",
        "SET str x",
        "SPOP str",
        "SPOP str 2",
        "SPOP str -2",
        "SRANDMEMBER str",
        "SRANDMEMBER str 2",
        NULL,
    };
    run_script("spop_srandmember", s);
}

static void test_set_smove(void **state)
{
    (void)state;
    static const char *const s[] = {
        "SADD a 1 2 x",
        "SADD b 3",
        "SMOVE a b 1",
        "SMOVE a b 1",
        "SMOVE a b nomember",
        "%u SMEMBERS a",
        "SMEMBERS b",
        "SMOVE a c x",
        "SMEMBERS c",
        "SMOVE a c 2",
        "EXISTS a",
        "%u SMEMBERS c",
        "SMOVE nokey c x",
        "SMOVE c c x",
        "SMOVE c c zz",
        "SADD d 3",
        "SMOVE b d 3",
        "EXISTS b",
        "SMEMBERS d",
        "SET str v",
        "SMOVE str d 3",
        "SMOVE d str 3",
        "SMOVE nokey str 3",
        "SMOVE d",
        NULL,
    };
    run_script("smove", s);
}

static void test_set_algebra(void **state)
{
    (void)state;
    static const char *const s[] = {
        "SADD i1 1 2 3 4 5 6",
        "SADD i2 4 5 6 7 8",
        "SADD i3 5 6 100",
        "SADD s1 a b c 5 6",
        "SADD s2 c d e 6",
        "SINTER i1 i2",
        "SINTER i1 i2 i3",
        "SINTER i2 i1",
        "SINTER i1",
        "SINTER i1 i1",
        "SINTER i1 nokey",
        "SINTER nokey i1",
        "%u SINTER s1 s2",
        "%u SINTER s1 i1",
        "%u SINTER i1 s1",
        "SUNION i1 i2 i3",
        "SUNION i1 nokey",
        "SUNION nokey",
        "%u SUNION i1 s1",
        "%u SUNION s1 s2",
        "SDIFF i1 i2",
        "SDIFF i1 i2 i3",
        "SDIFF i1 nokey",
        "SDIFF nokey i1",
        "SDIFF i1 i1",
        "%u SDIFF s1 s2",
        "%u SDIFF s1 i1",
        "SINTERSTORE d i1 i2",
        "SMEMBERS d",
        "SINTERSTORE d i1 nokey",
        "EXISTS d",
        "SINTERSTORE d s1 s2",
        "%u SMEMBERS d",
        "SUNIONSTORE d i1 i3",
        "SMEMBERS d",
        "SUNIONSTORE d nokey",
        "EXISTS d",
        "SDIFFSTORE d i1 i2",
        "SMEMBERS d",
        "SDIFFSTORE d i1 i1",
        "EXISTS d",
        "SDIFFSTORE i1 i1 i3",
        "SMEMBERS i1",
        "SUNIONSTORE i1 i1 s2",
        "%u SMEMBERS i1",
        "SINTERCARD 2 i2 i3",
        "SINTERCARD 1 i2",
        "SINTERCARD 2 i2 i3 LIMIT 1",
        "SINTERCARD 1 i2 LIMIT 0",
        "SINTERCARD 1 i2 limit 3",
        "SINTERCARD 1 i2 LIMIT 1 LIMIT 2",
        "SINTERCARD 2 i2 nokey",
        "SINTERCARD 0 i2",
        "SINTERCARD -1 i2",
        "SINTERCARD x i2",
        "SINTERCARD 3 i2 i3",
        "SINTERCARD 1 i2 LIMIT -1",
        "SINTERCARD 1 i2 LIMIT x",
        "SINTERCARD 1 i2 LIMIT",
        "SINTERCARD 1 i2 FOO 1",
        "SINTERCARD 1",
        "SET str x",
        "SET str2 x",
        "SINTER i2 str",
        "SINTER nokey str",
        "SINTERCARD 2 nokey str",
        "SINTERSTORE d nokey str",
        "SUNION nokey str",
        "SDIFF nokey str",
        "SDIFFSTORE d str",
        "SUNIONSTORE str i2",
        "TYPE str",
        "SMEMBERS str",
        "SINTERSTORE str2 i2 i3",
        "TYPE str2",
        "SINTERSTORE",
        "SINTER",
        "SUNIONSTORE d",
        "COMMAND GETKEYS SINTERCARD 2 a b LIMIT 3",
        "COMMAND GETKEYS SINTERCARD 1 a",
        "COMMAND GETKEYS SINTERCARD 0 a",
        "COMMAND GETKEYS SINTERCARD 3 a b",
        "COMMAND GETKEYS SINTERSTORE d a b",
        "COMMAND GETKEYS SMOVE a b m",
        NULL,
    };
    run_script("algebra", s);
}

static void test_set_sscan_compact(void **state)
{
    (void)state;
    static const char *const s[] = {
        "SADD s 1 2 3 10 11 20",
        "SSCAN s 0",
        "SSCAN s 0 COUNT 1",
        "SSCAN s 123",
        "SSCAN s 0 MATCH 1*",
        "SSCAN s 0 MATCH * COUNT 100",
        "SSCAN s 0 match 2* match 1*",
        "SSCAN s 0 COUNT 0",
        "SSCAN s 0 COUNT -1",
        "SSCAN s 0 COUNT x",
        "SSCAN s 0 MATCH",
        "SSCAN s 0 TYPE set",
        "SSCAN s 0 NOVALUE",
        "SSCAN s x",
        "SSCAN s -1",
        "SSCAN s 18446744073709551615",
        "SSCAN s 18446744073709551616",
        "SSCAN s \" 1\"",
        "SSCAN nokey 0",
        "SSCAN nokey 0 COUNT 0",
        "SSCAN nokey x",
        "SADD w a b",
        "%u SSCAN w 0",
        "SSCAN w 0 MATCH a",
        "SET str x",
        "SSCAN str 0",
        "SSCAN str 0 COUNT 0",
        "SSCAN s",
        NULL,
    };
    run_script("sscan_compact", s);
}

/* ---- larger sets: conversions, full SSCAN, random invariants --------------- */

/* SADD key m1..mN on both servers, N members of the given format. */
static void fill(pair *p, const char *key, const char *fmt, int from, int to)
{
    char line[65536];
    for (int i = from; i < to;) {
        int n = snprintf(line, sizeof(line), "SADD %s", key);
        for (int k = 0; k < 200 && i < to; k++, i++) {
            n += snprintf(line + n, sizeof(line) - (size_t)n, " ");
            n += snprintf(line + n, sizeof(line) - (size_t)n, fmt, i);
        }
        both(p, "%s", line);
    }
}

/* Every member by SSCAN to the end, sorted, as one string. */
static char *scan_all(h_conn *c, const char *key, const char *opts)
{
    char cursor[32] = "0";
    size_t cap = 1024, n = 0;
    char **items = malloc(cap * sizeof(char *));
    int rounds = 0;
    do {
        char *r = h_callf(c, "SSCAN %s %s %s", key, cursor, opts);
        assert_non_null(r);
        assert_int_equal(r[0], '*');
        /* *2 $n cursor *m ($k member)... */
        const char *p = strstr(r, "\r\n") + 2;
        long cl = atol(p + 1);
        p = strstr(p, "\r\n") + 2;
        snprintf(cursor, sizeof(cursor), "%.*s", (int)cl, p);
        p += cl + 2;
        long m = atol(p + 1);
        p = strstr(p, "\r\n") + 2;
        for (long i = 0; i < m; i++) {
            long l = atol(p + 1);
            p = strstr(p, "\r\n") + 2;
            if (n == cap) {
                cap *= 2;
                items = realloc(items, cap * sizeof(char *));
            }
            items[n++] = strndup(p, (size_t)l);
            p += l + 2;
        }
        free(r);
        assert_true(++rounds < 100000);
    } while (strcmp(cursor, "0") != 0);
    qsort(items, n, sizeof(char *), cmp_str);
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(items[i]) + 1;
    char *out = malloc(total);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        /* A member returned twice (possible across a resize) counts once.
         * items[i - 1] is still allocated: all are freed after the loop. */
        if (i > 0 && strcmp(items[i], items[i - 1]) == 0)
            continue;
        size_t l = strlen(items[i]);
        memcpy(out + o, items[i], l);
        out[o + l] = ',';
        o += l + 1;
    }
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    out[o] = '\0';
    free(items);
    return out;
}

static void test_set_encodings_and_thresholds(void **state)
{
    (void)state;
    h_conn *c = h_connect(respd_srv.port, 2000);
    assert_non_null(c);
    expect(c, "FLUSHALL", "+OK\r\n");
    /* intset while all integers; past 512 a hashtable. */
    expect(c, "SADD i 1 2 3", ":3\r\n");
    expect_enc(c, "i", "intset");
    char line[16384];
    int n = snprintf(line, sizeof(line), "SADD i");
    for (int k = 4; k <= 512; k++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %d", k);
    expect(c, line, ":509\r\n");
    expect_enc(c, "i", "intset");
    expect(c, "SADD i 513", ":1\r\n");
    expect_enc(c, "i", "hashtable");
    /* A non-integer turns a small intset into a listpack... */
    expect(c, "SADD m 1 2 3", ":3\r\n");
    expect(c, "SADD m x", ":1\r\n");
    expect_enc(c, "m", "listpack");
    expect(c, "SMEMBERS m", "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\nx\r\n");
    /* ...which becomes a hashtable past 128 entries or 64 bytes. */
    n = snprintf(line, sizeof(line), "SADD m");
    for (int k = 0; k < 124; k++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " m%d", k);
    expect(c, line, ":124\r\n");
    expect(c, "SCARD m", ":128\r\n");
    expect_enc(c, "m", "listpack");
    expect(c, "SADD m one-more", ":1\r\n");
    expect_enc(c, "m", "hashtable");
    expect(c, "SADD l a", ":1\r\n");
    expect_enc(c, "l", "listpack");
    expect(c, "SADD l 0123456789012345678901234567890123456789012345678901234567890123",
           ":1\r\n");
    expect_enc(c, "l", "listpack");
    expect(c, "SADD l 01234567890123456789012345678901234567890123456789012345678901234",
           ":1\r\n");
    expect_enc(c, "l", "hashtable");
    /* A new set of many members starts as what the count calls for. */
    n = snprintf(line, sizeof(line), "SADD h");
    for (int k = 0; k < 200; k++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %d", k);
    n += snprintf(line + n, sizeof(line) - (size_t)n, " x");
    expect(c, line, ":201\r\n");
    expect_enc(c, "h", "hashtable");
    /* An intset whose elements are too long for a listpack skips it. */
    expect(c, "CONFIG SET set-max-listpack-value 5", "+OK\r\n");
    expect(c, "SADD w 123456", ":1\r\n");
    expect_enc(c, "w", "intset");
    expect(c, "SADD w x", ":1\r\n");
    expect_enc(c, "w", "hashtable");
    expect(c, "CONFIG SET set-max-listpack-value 64", "+OK\r\n");
    /* Thresholds are live settings. */
    expect(c, "CONFIG SET set-max-intset-entries 2", "+OK\r\n");
    expect(c, "SADD t 1 2", ":2\r\n");
    expect_enc(c, "t", "intset");
    expect(c, "SADD t 3", ":1\r\n");
    expect_enc(c, "t", "hashtable");
    expect(c, "SADD t2 1 2 3", ":3\r\n");
    expect_enc(c, "t2", "listpack");
    expect(c, "CONFIG SET set-max-intset-entries 512", "+OK\r\n");
    expect(c, "CONFIG SET set-max-listpack-entries 0", "+OK\r\n");
    expect(c, "SADD z a", ":1\r\n");
    expect_enc(c, "z", "hashtable");
    expect(c, "CONFIG SET set-max-listpack-entries 128", "+OK\r\n");
    /* Results of the STORE commands and SMOVE are built the same way. */
    expect(c, "SUNIONSTORE u i", ":513\r\n");
    expect_enc(c, "u", "hashtable");
    expect(c, "SADD a 1 2 3", ":3\r\n");
    expect(c, "SINTERSTORE u a i", ":3\r\n");
    expect_enc(c, "u", "intset");
    expect(c, "SMOVE a mv 1", ":1\r\n");
    expect_enc(c, "mv", "intset");
    expect(c, "SMOVE l mv a", ":1\r\n");
    expect_enc(c, "mv", "listpack");
    /* SPOP of most of a large set rebuilds the survivors compactly. */
    char *r = h_call(c, "SPOP m 125");
    assert_non_null(r);
    assert_int_equal(atoi(r + 1), 125);
    free(r);
    expect(c, "SCARD m", ":4\r\n");
    expect_enc(c, "m", "listpack");
    r = h_call(c, "SPOP i 510");
    assert_non_null(r);
    free(r);
    expect_enc(c, "i", "listpack");
    h_close(c);
}

static void test_set_large_differential(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    for (int proto = 2; proto <= 3; proto++) {
        pair p = open_pair(proto);
        fill(&p, "ints", "%d", 0, 3000);
        fill(&p, "ints2", "%d", 1500, 2000);
        fill(&p, "strs", "member:%d", 0, 2000);
        fill(&p, "strs2", "member:%d", 1000, 1100);
        fill(&p, "mixed", "%d", 0, 100);
        fill(&p, "mixed", "m%d", 0, 100);
        both(&p, "SCARD ints");
        both(&p, "SCARD strs");
        both(&p, "SCARD mixed");
        both(&p, "%%u SMEMBERS ints");
        both(&p, "%%u SMEMBERS strs");
        both(&p, "%%u SMEMBERS mixed");
        both(&p, "%%u SINTER ints ints2");
        both(&p, "%%u SINTER strs strs2 mixed");
        both(&p, "%%u SINTER strs2 strs");
        both(&p, "SINTERCARD 2 strs strs2");
        both(&p, "SINTERCARD 2 strs strs2 LIMIT 7");
        both(&p, "SINTERCARD 2 ints mixed");
        both(&p, "%%u SUNION ints2 strs2 mixed");
        both(&p, "%%u SDIFF strs strs2");
        both(&p, "%%u SDIFF ints ints2 mixed");
        both(&p, "SDIFFSTORE d ints ints2");
        both(&p, "%%u SMEMBERS d");
        both(&p, "SUNIONSTORE d strs ints");
        both(&p, "SCARD d");
        both(&p, "SINTERSTORE d strs strs2");
        both(&p, "%%u SMEMBERS d");
        both(&p, "SMISMEMBER strs member:1 member:99999 1");
        both(&p, "SREM strs member:1 member:2 nope");
        both(&p, "SCARD strs");
        both(&p, "%%u SRANDMEMBER strs2 1000");
        both(&p, "%%s SRANDMEMBER strs 10");
        both(&p, "%%s SRANDMEMBER strs 1500");
        both(&p, "%%s SRANDMEMBER strs -3000");
        /* Full SSCAN iterations return the same members as Redis. */
        const char *opts[] = {"", "COUNT 1", "COUNT 1000", "MATCH member:1*", "MATCH *9 COUNT 3"};
        for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
            const char *keys[] = {"ints", "strs", "mixed"};
            for (int j = 0; j < 3; j++) {
                char *a = scan_all(p.a, keys[j], opts[k]);
                char *b = scan_all(p.b, keys[j], opts[k]);
                if (strcmp(a, b) != 0)
                    fail_msg("SSCAN %s %s differs", keys[j], opts[k]);
                free(a);
                free(b);
            }
        }
        /* SPOP: what is popped plus what remains is what was there. */
        both(&p, "%%s SPOP strs2 10");
        both(&p, "SCARD strs2");
        close_pair(&p);
    }
}

/* Checks SPOP and SRANDMEMBER on respd alone by their invariants: distinct
 * members when asked, all from the set, popped ones gone. */
static void test_set_random_invariants(void **state)
{
    (void)state;
    h_conn *c = h_connect(respd_srv.port, 2000);
    assert_non_null(c);
    expect(c, "FLUSHALL", "+OK\r\n");
    const char *kinds[] = {"%d", "m%d", "member-%d"};
    int sizes[] = {50, 120, 1000};
    for (int kind = 0; kind < 3; kind++) {
        for (int si = 0; si < 3; si++) {
            int size = sizes[si];
            expect(c, "DEL s", kind + si == 0 ? ":0\r\n" : ":1\r\n");
            for (int i = 0; i < size; i++) {
                char fmt[64], line[128];
                snprintf(fmt, sizeof(fmt), "SADD s %s", kinds[kind]);
                snprintf(line, sizeof(line), fmt, i);
                expect(c, line, ":1\r\n");
            }
            int counts[] = {1, 3, size / 4, size / 2, size - 1};
            for (int ci = 0; ci < 5; ci++) {
                char *r = h_callf(c, "SRANDMEMBER s %d", counts[ci]);
                assert_non_null(r);
                assert_int_equal(atoi(r + 1), counts[ci]);
                /* Distinct: the reply's members, sorted, have no repeats. */
                char *u = canon_reply(r, 'u');
                char *prev = NULL;
                int dup = 0;
                for (char *q = strstr(u, "\r\n") + 2; *q;) {
                    char *e = strstr(q, "\r\n");
                    e = strstr(e + 2, "\r\n") + 2;
                    if (prev && (size_t)(e - q) == strlen(prev) && !strncmp(prev, q, (size_t)(e - q)))
                        dup = 1;
                    free(prev);
                    prev = strndup(q, (size_t)(e - q));
                    q = e;
                }
                free(prev);
                assert_false(dup);
                free(u);
                free(r);
            }
            /* Pop in both strategies; SCARD follows. */
            long long left = size;
            int pops[] = {1, size / 10 + 1, size / 2};
            for (int pi = 0; pi < 3; pi++) {
                char *r = h_callf(c, "SPOP s %d", pops[pi]);
                assert_non_null(r);
                assert_int_equal(atoi(r + 1), pops[pi]);
                free(r);
                left -= pops[pi];
                char want[32];
                snprintf(want, sizeof(want), ":%lld\r\n", left);
                expect(c, "SCARD s", want);
            }
            /* Most of what is left: the survivors-move strategy. */
            char *r = h_callf(c, "SPOP s %lld", left - 2);
            assert_non_null(r);
            free(r);
            expect(c, "SCARD s", ":2\r\n");
            r = h_call(c, "SPOP s");
            assert_non_null(r);
            assert_int_equal(r[0], '$');
            free(r);
            r = h_call(c, "SPOP s");
            free(r);
            expect(c, "EXISTS s", ":0\r\n");
            expect(c, "SADD s x", ":1\r\n");
        }
    }
    h_close(c);
}

/* ---- AOF round trip ---------------------------------------------------------- */

/* A text of every set's sorted members, for comparing states. */
static char *dump_sets(h_conn *c)
{
    const char *keys[] = {"ints", "strs", "mixed", "small", "big", "moved", "inter", "gone"};
    size_t cap = 1 << 20, o = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        char *r = h_callf(c, "SMEMBERS %s", keys[k]);
        assert_non_null(r);
        char *u = canon_reply(r, 'u');
        size_t need = strlen(keys[k]) + strlen(u) + 4;
        if (o + need >= cap) {
            cap = (o + need) * 2;
            out = realloc(out, cap);
        }
        o += (size_t)sprintf(out + o, "%s=%s;", keys[k], u);
        free(u);
        free(r);
    }
    return out;
}

static void test_set_aof_roundtrip(void **state)
{
    (void)state;
    char dir[128];
    assert_int_equal(h_mktempdir(dir, sizeof(dir)), 0);
    const char *args[] = {"--appendonly", "yes", "--dir", dir, NULL};
    h_server s;
    h_conn *c = h_respd_start_connected(&s, NULL, args);
    char line[65536];
    int n = snprintf(line, sizeof(line), "SADD ints");
    for (int i = 0; i < 700; i++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %d", i * 7 - 1000);
    expect(c, line, ":700\r\n");
    n = snprintf(line, sizeof(line), "SADD strs");
    for (int i = 0; i < 300; i++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " s%d", i);
    expect(c, line, ":300\r\n");
    expect(c, "SADD mixed 1 2 3 a b \"with space\"", ":6\r\n");
    expect(c, "SADD small 5 6 7", ":3\r\n");
    expect(c, "SADD gone x", ":1\r\n");
    /* Random commands: single pops, few pops, most-of pops, total pop. */
    char *r;
    for (int i = 0; i < 5; i++) {
        free(h_call(c, "SPOP ints"));
        free(h_call(c, "SPOP strs"));
    }
    free(h_call(c, "SPOP ints 20"));
    free(h_call(c, "SPOP strs 250"));
    free(h_call(c, "SPOP mixed 2"));
    free(h_call(c, "SPOP gone 5"));
    expect(c, "SMOVE small moved 6", ":1\r\n");
    expect(c, "SINTERSTORE inter ints small", ":0\r\n");
    r = h_call(c, "SUNIONSTORE big mixed strs");
    assert_non_null(r);
    free(r);
    expect(c, "SREM small 5", ":1\r\n");
    char *before = dump_sets(c);
    /* Rewrite, then change more so the tail after the rewrite counts too. */
    expect(c, "BGREWRITEAOF", "+Background append only file rewriting started\r\n");
    long long deadline = h_now_ms() + 10000;
    while (h_info_field(c, "persistence", "aof_rewrite_in_progress") != 0 && h_now_ms() < deadline)
        h_sleep_ms(20);
    assert_int_equal(h_info_field(c, "persistence", "aof_rewrite_in_progress"), 0);
    free(h_call(c, "SPOP ints 3"));
    free(h_call(c, "SPOP big"));
    free(before);
    before = dump_sets(c);
    h_close(c);
    h_server_stop_ok(&s);

    h_server s2;
    assert_int_equal(h_respd_start(&s2, NULL, args), 0);
    c = h_connect(s2.port, 2000);
    assert_non_null(c);
    char *after = dump_sets(c);
    if (strcmp(before, after) != 0)
        fail_msg("state differs after AOF reload");
    free(after);
    free(before);
    h_close(c);
    h_server_stop_ok(&s2);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- setup ------------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    return h_pair_start(&respd_srv, NULL, &redis_srv, &have_redis);
}

static int group_teardown(void **state)
{
    (void)state;
    return h_pair_stop(&respd_srv, &redis_srv, have_redis);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_basic_intset),
        cmocka_unit_test(test_set_basic_strings),
        cmocka_unit_test(test_set_spop_srandmember_deterministic),
        cmocka_unit_test(test_set_smove),
        cmocka_unit_test(test_set_algebra),
        cmocka_unit_test(test_set_sscan_compact),
        cmocka_unit_test(test_set_encodings_and_thresholds),
        cmocka_unit_test(test_set_large_differential),
        cmocka_unit_test(test_set_random_invariants),
        cmocka_unit_test(test_set_aof_roundtrip),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
