/* test_hostile: respd against hostile input and at its limits.
 *
 * One respd (and, when installed, one redis-server as the reference) serves
 * the whole group. Canary keys of every type are written first and checked
 * last. Every bad-input case goes to both servers on a fresh connection; the
 * reply bytes and whether the server closed the connection must be the same,
 * and after each case a PING on another connection must still be answered.
 *
 * Also here: the limits (proto-max-bulk-len, client-query-buffer-limit,
 * client-output-buffer-limit, timeout) compared with Redis at their edges,
 * the query buffer sized exactly for a big argument and released after it,
 * 100,000 pipelined commands in one write, clients that vanish mid-frame,
 * and 10,000 concurrent connections with PING latency measured under load.
 *
 * Under $RESPD_WRAPPER (valgrind) the latency test skips itself; the rest
 * runs with the harness's longer timeouts.
 */
#include "harness.h"
#include "workload.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static h_server rs;  /* respd */
static h_server ref; /* redis-server, when have_ref */
static int have_ref;
static h_conn *watch; /* PINGs respd after every case */

/* ---- helpers ------------------------------------------------------------------ */

/* Sends line and returns the reply (fails the test when there is none). */
static char *call(h_conn *c, const char *line)
{
    char *r = h_call(c, line);
    if (!r)
        fail_msg("no reply to %s", line);
    return r;
}

/* A number from the CLIENT LIST line of client id (" name=" field), or -1. */
static long long client_field(h_conn *c, long long id, const char *name)
{
    char line[64], key[64];
    snprintf(line, sizeof(line), "CLIENT LIST ID %lld", id);
    snprintf(key, sizeof(key), " %s=", name);
    return h_call_num(c, line, key);
}

/* The shared respd still answers, promptly. */
static void assert_alive(const char *after)
{
    char *r = h_call(watch, "PING");
    if (!r || strcmp(r, "+PONG\r\n") != 0)
        fail_msg("respd did not answer PING after %s", after);
    free(r);
}

/* ---- raw exchanges -------------------------------------------------------------- */

typedef struct outcome {
    char *bytes; /* everything the server sent back (malloc'd) */
    size_t len;
    int closed;  /* the server closed the connection (FIN or reset) */
} outcome;

/* Quiet time after which a server that has not closed is taken to wait. */
#define QUIET_MS (150 * h_slowdown())

/* Sends data on a fresh connection to port, reading replies meanwhile, then
 * reads until the server closes the connection or stays quiet for QUIET_MS.
 * A send the server cuts short (it closed) just ends the sending. */
static void exchange(int port, const void *data, size_t len, outcome *o)
{
    memset(o, 0, sizeof(*o));
    h_conn *c = h_connect(port, 2000);
    assert_non_null(c);
    const char *p = data;
    size_t sent = 0, cap = 0;
    long long deadline = h_now_ms() + 10000LL * h_slowdown();
    long long quiet_until = h_now_ms() + QUIET_MS;
    while (h_now_ms() < deadline) {
        struct pollfd pf = {.fd = c->fd, .events = POLLIN | (sent < len ? POLLOUT : 0)};
        int wait = sent < len ? 100 : (int)(quiet_until - h_now_ms());
        if (wait <= 0)
            break;
        int r = poll(&pf, 1, wait);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0 && sent == len)
            break;
        if (pf.revents & (POLLIN | POLLERR | POLLHUP)) {
            char tmp[65536];
            ssize_t n = recv(c->fd, tmp, sizeof(tmp), 0);
            if (n > 0) {
                if (o->len + (size_t)n + 1 > cap) {
                    cap = (o->len + (size_t)n + 1) * 2;
                    o->bytes = realloc(o->bytes, cap);
                }
                memcpy(o->bytes + o->len, tmp, (size_t)n);
                o->len += (size_t)n;
                o->bytes[o->len] = '\0';
                quiet_until = h_now_ms() + QUIET_MS;
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                o->closed = 1;
                break;
            }
        }
        if (sent < len && (pf.revents & POLLOUT)) {
            ssize_t w = send(c->fd, p + sent, len - sent, MSG_NOSIGNAL);
            if (w > 0)
                sent += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR)
                sent = len; /* the server is gone; the reads say the rest */
            if (sent == len)
                quiet_until = h_now_ms() + QUIET_MS;
        }
    }
    if (!o->bytes)
        o->bytes = calloc(1, 1);
    h_close(c);
}

/* Sends a bad input to respd and to redis-server: same reply bytes, same
 * closing, and respd answers a PING afterwards. */
static void hostile_case(const char *name, const void *data, size_t len)
{
    outcome a, b;
    exchange(rs.port, data, len, &a);
    if (have_ref) {
        exchange(ref.port, data, len, &b);
        if (a.len != b.len || memcmp(a.bytes, b.bytes, a.len) != 0 || a.closed != b.closed) {
            char *ea = h_escape(a.bytes, a.len, 400), *eb = h_escape(b.bytes, b.len, 400);
            fprintf(stderr, "case %s\n  respd: %s%s\n  redis: %s%s\n", name, ea,
                    a.closed ? " (closed)" : "", eb, b.closed ? " (closed)" : "");
            free(ea);
            free(eb);
            fail_msg("respd and redis-server differ on %s", name);
        }
        free(b.bytes);
    }
    free(a.bytes);
    assert_alive(name);
}

static void hostile_str(const char *name, const char *s)
{
    hostile_case(name, s, strlen(s));
}

/* A buffer of n copies of byte ch followed by tail. */
static char *repeat(int ch, size_t n, const char *tail, size_t *len)
{
    size_t tl = strlen(tail);
    char *b = malloc(n + tl + 1);
    memset(b, ch, n);
    memcpy(b + n, tail, tl + 1);
    *len = n + tl;
    return b;
}

/* ---- the battery --------------------------------------------------------------- */

static void test_hostile_protocol_battery(void **state)
{
    (void)state;
    static const struct {
        const char *name, *bytes;
    } cases[] = {
        /* bad type bytes */
        {"inline bang", "!\r\n"},
        {"integer instead of bulk", "*1\r\n:5\r\n"},
        {"simple string instead of bulk", "*1\r\n+PING\r\n"},
        {"bad type in second argument", "*2\r\n$4\r\nECHO\r\n%3\r\n"},
        {"CR as type byte", "*1\r\n\r\n"},
        /* negative, non-numeric and huge lengths */
        {"bulk length -1", "*1\r\n$-1\r\n"},
        {"bulk length -5", "*1\r\n$-5\r\n"},
        {"multibulk count -5", "*-5\r\nPING\r\n"},
        {"multibulk count abc", "*abc\r\n"},
        {"bulk length abc", "*1\r\n$abc\r\n"},
        {"bulk length with junk", "*1\r\n$4x\r\nPING\r\n"},
        {"multibulk count with junk", "*1x\r\n$4\r\nPING\r\n"},
        {"bulk length empty", "*1\r\n$\r\nPING\r\n"},
        {"multibulk count 2^31", "*2147483648\r\n"},
        {"multibulk count 2^63", "*9223372036854775808\r\n"},
        {"multibulk count of 23 digits", "*99999999999999999999999\r\n"},
        {"bulk length past proto-max-bulk-len", "*1\r\n$536870913\r\n"},
        {"bulk length 2^63", "*1\r\n$9223372036854775808\r\n"},
        {"bulk length 2^64", "*1\r\n$18446744073709551616\r\n"},
        {"bulk length +4", "*1\r\n$+4\r\nPING\r\n"},
        /* multibulk counts 0, -1 and INT_MAX */
        {"multibulk count 0", "*0\r\nPING\r\n"},
        {"multibulk count -1", "*-1\r\nPING\r\n"},
        {"multibulk count INT_MAX waits", "*2147483647\r\n$4\r\nPING\r\n"},
        /* missing or wrong line ends */
        {"missing CRLF after a bulk", "*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n"},
        {"bare LF line ends", "*1\n$4\nPING\n"},
        {"no line end at all", "PING"},
        {"CR without LF", "*1\r$4\rPING\r"},
        {"short bulk then next request", "*1\r\n$6\r\nPING\r\n*1\r\n$4\r\nPING\r\n"},
        {"empty lines then PING", "\r\n\r\n\n  \r\nPING\r\n"},
        /* inline: quotes and escapes */
        {"unbalanced double quote", "SET a \"b\r\n"},
        {"unbalanced single quote", "SET a 'b\r\n"},
        {"closing quote not followed by space", "SET a \"b\"c\r\n"},
        {"half a hex escape", "ECHO \"\\x4\"\r\n"},
        {"escaped quote", "ECHO \"a\\\"b\" 'c\\'d'\r\n"},
        {"unknown command with args", "NOSUCH a b c\r\n"},
        {"unknown command with CR inside", "NOSUCH a\rb\r\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        hostile_str(cases[i].name, cases[i].bytes);

    /* NUL bytes hide a line end from Redis's strchr(); both then wait. */
    static const char nul_inline[] = "PI\0NG\r\n";
    hostile_case("NUL inside an inline line", nul_inline, sizeof(nul_inline) - 1);
    static const char nul_header[] = "*1\r\n$4\0\r\nPING\r\n";
    hostile_case("NUL inside a bulk header", nul_header, sizeof(nul_header) - 1);

    /* Lines past the 64 KB inline and count limits. */
    size_t len;
    char *b = repeat('x', 70000, "", &len);
    hostile_case("inline line of 70000 bytes, no line end", b, len);
    free(b);
    b = repeat('x', 100 * 1024, "\r\n", &len);
    hostile_case("inline line of 100 KB", b, len);
    free(b);
    b = repeat('1', 70000, "", &len);
    b[0] = '*';
    hostile_case("multibulk count of 70000 digits", b, len);
    free(b);
    b = repeat('1', 70000, "", &len);
    memcpy(b, "*1\r\n$", 5);
    hostile_case("bulk length of 70000 digits", b, len);
    free(b);
}

/* proto-max-bulk-len at its edge: one byte past is refused before a byte of
 * the body is read; exactly at it works. */
static void test_hostile_bulk_longer_than_limit(void **state)
{
    (void)state;
    h_conn *c[2] = {h_connect(rs.port, 2000), have_ref ? h_connect(ref.port, 2000) : NULL};
    for (int i = 0; i < 2; i++)
        if (c[i])
            h_expect(c[i], "CONFIG SET proto-max-bulk-len 1mb", "+OK\r\n");
    hostile_str("bulk of proto-max-bulk-len + 1", "*2\r\n$4\r\nECHO\r\n$1048577\r\n");
    size_t len;
    char *b = repeat('y', 1048576, "\r\n", &len);
    const char head[] = "*2\r\n$6\r\nSTRLEN\r\n$1048576\r\n";
    char *req = malloc(sizeof(head) + len);
    memcpy(req, head, sizeof(head) - 1);
    memcpy(req + sizeof(head) - 1, b, len);
    hostile_case("bulk of exactly proto-max-bulk-len", req, sizeof(head) - 1 + len);
    free(req);
    free(b);
    for (int i = 0; i < 2; i++) {
        if (c[i])
            h_expect(c[i], "CONFIG SET proto-max-bulk-len 512mb", "+OK\r\n");
        h_close(c[i]);
    }
}

/* Fixed pseudo-random bytes (a 64-bit LCG), in [lo, hi]. */
static void garbage(char *b, size_t n, unsigned long long seed, int lo, int hi)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        b[i] = (char)(lo + (int)((seed >> 33) % (unsigned long long)(hi - lo + 1)));
    }
}

static void test_hostile_binary_garbage(void **state)
{
    (void)state;
    char b[4096];
    for (unsigned long long seed = 1; seed <= 4; seed++) {
        char name[64];
        /* High bytes and controls (no NUL): inline lines of nonsense. */
        garbage(b, sizeof(b), seed, 1, 255);
        snprintf(name, sizeof(name), "garbage 1..255 seed %llu", seed);
        hostile_case(name, b, sizeof(b));
        /* Anything, NUL included. */
        garbage(b, sizeof(b), seed * 77, 0, 255);
        snprintf(name, sizeof(name), "garbage 0..255 seed %llu", seed);
        hostile_case(name, b, sizeof(b));
        /* Protocol-looking bytes: '*', '$', digits, CR, LF, '-'. */
        static const char alphabet[] = "*$0123456789\r\n-";
        garbage(b, sizeof(b), seed * 131, 0, (int)sizeof(alphabet) - 2);
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = alphabet[(unsigned char)b[i]];
        snprintf(name, sizeof(name), "protocol alphabet seed %llu", seed);
        hostile_case(name, b, sizeof(b));
    }
}

/* Keys and values with NUL, CR and LF bytes go in and come out unchanged,
 * the same as with Redis. */
static void test_hostile_nul_bytes_round_trip(void **state)
{
    (void)state;
    static const char key[] = "nul\0key\r\n";
    static const char val[] = "\0v\0a\r\nl\0";
    static const char field[] = "\0";
    const size_t kl = sizeof(key) - 1, vl = sizeof(val) - 1;
    const struct {
        int argc;
        const char *argv[4];
        size_t lens[4];
    } steps[] = {
        {3, {"SET", key, val}, {3, kl, vl}},
        {2, {"GET", key}, {3, kl}},
        {2, {"STRLEN", key}, {6, kl}},
        {3, {"APPEND", key, field}, {6, kl, 1}},
        {4, {"GETRANGE", key, "0", "-1"}, {8, kl, 1, 2}},
        {2, {"EXISTS", key}, {6, kl}},
        {4, {"HSET", "nul:h", field, val}, {4, 5, 1, vl}},
        {3, {"HGET", "nul:h", field}, {4, 5, 1}},
        {3, {"RPUSH", "nul:l", val}, {5, 5, vl}},
        {4, {"LRANGE", "nul:l", "0", "-1"}, {6, 5, 1, 2}},
        {3, {"SADD", "nul:s", key}, {4, 5, kl}},
        {3, {"SISMEMBER", "nul:s", key}, {9, 5, kl}},
        {4, {"ZADD", "nul:z", "1", val}, {4, 5, 1, vl}},
        {3, {"ZSCORE", "nul:z", val}, {6, 5, vl}},
        {2, {"DEL", key}, {3, kl}},
        {4, {"DEL", "nul:h", "nul:l", "nul:s"}, {3, 5, 5, 5}},
        {2, {"DEL", "nul:z"}, {3, 5}},
    };
    h_conn *c[2] = {h_connect(rs.port, 2000), have_ref ? h_connect(ref.port, 2000) : NULL};
    assert_non_null(c[0]);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        char *r[2] = {NULL, NULL};
        for (int s = 0; s < 2; s++)
            if (c[s])
                r[s] = h_callv(c[s], steps[i].argc, steps[i].argv, steps[i].lens);
        assert_non_null(r[0]);
        if (i == 1) { /* GET: the exact bytes */
            assert_memory_equal(r[0], "$8\r\n\0v\0a\r\nl\0\r\n", 14);
        }
        if (c[1]) {
            assert_non_null(r[1]);
            /* Complete replies: h_reply_len stops at their end. */
            long l0 = h_reply_len(r[0], SIZE_MAX / 2), l1 = h_reply_len(r[1], SIZE_MAX / 2);
            if (l0 != l1 || memcmp(r[0], r[1], (size_t)l0) != 0)
                fail_msg("step %zu (%s): respd and redis-server differ", i, steps[i].argv[0]);
        }
        free(r[0]);
        free(r[1]);
    }
    h_close(c[0]);
    h_close(c[1]);
}

/* Requests cut into single bytes, each written on its own, get the same
 * replies as in one piece, on both servers. A 40 KB argument crosses the
 * size from which respd reads a bulk into a buffer of its own. */
static void test_hostile_frames_one_byte_at_a_time(void **state)
{
    (void)state;
    size_t biglen = 40 * 1024;
    char *big = malloc(biglen);
    garbage(big, biglen, 99, 0, 255);
    const char *argv[] = {"SET", "bytewise:big", big};
    size_t lens[] = {3, 12, biglen};
    size_t setlen;
    char *set = h_multibulk(3, argv, lens, &setlen);
    static const char small[] = "*3\r\n$3\r\nSET\r\n$8\r\nbytewise\r\n$3\r\na\0b\r\n"
                                "GET bytewise\r\nECHO \"x y\"\r\n*2\r\n$3\r\nGET\r\n$8\r\nbytewise\r\n"
                                "*1\r\n$4\r\nPING\r\n";
    size_t getlen;
    const char *gargv[] = {"STRLEN", "bytewise:big"};
    char *get = h_multibulk(2, gargv, NULL, &getlen);
    size_t total = sizeof(small) - 1 + setlen + getlen;
    char *all = malloc(total);
    memcpy(all, small, sizeof(small) - 1);
    memcpy(all + sizeof(small) - 1, set, setlen);
    memcpy(all + sizeof(small) - 1 + setlen, get, getlen);
    outcome o[2];
    for (int s = 0; s < (have_ref ? 2 : 1); s++) {
        h_conn *c = h_connect(s == 0 ? rs.port : ref.port, 2000);
        assert_non_null(c);
        for (size_t i = 0; i < total; i++) {
            assert_int_equal(send(c->fd, all + i, 1, MSG_NOSIGNAL), 1);
            if (i < sizeof(small) - 1)
                h_sleep_ms(1); /* the small requests really arrive a byte at a time */
        }
        /* 7 replies: OK, a\0b, "x y", a\0b, PONG, OK, 40960. */
        memset(&o[s], 0, sizeof(o[s]));
        size_t cap = 1024;
        o[s].bytes = malloc(cap);
        int replies = 0;
        long long deadline = h_now_ms() + H_REPLY_TIMEOUT_MS;
        while (replies < 7 && h_now_ms() < deadline) {
            char *r = NULL;
            size_t rl;
            if (h_read_reply(c, H_REPLY_TIMEOUT_MS, &r, &rl) < 0)
                break;
            if (o[s].len + rl + 1 > cap) {
                cap = (o[s].len + rl + 1) * 2;
                o[s].bytes = realloc(o[s].bytes, cap);
            }
            memcpy(o[s].bytes + o[s].len, r, rl);
            o[s].len += rl;
            free(r);
            replies++;
        }
        assert_int_equal(replies, 7);
        assert_true(h_no_data(c, 50));
        h_expect(c, "DEL bytewise bytewise:big", ":2\r\n");
        h_close(c);
    }
    static const char want[] = "+OK\r\n$3\r\na\0b\r\n$3\r\nx y\r\n$3\r\na\0b\r\n+PONG\r\n+OK\r\n"
                               ":40960\r\n";
    assert_int_equal(o[0].len, sizeof(want) - 1);
    assert_memory_equal(o[0].bytes, want, sizeof(want) - 1);
    if (have_ref) {
        assert_int_equal(o[1].len, o[0].len);
        assert_memory_equal(o[1].bytes, o[0].bytes, o[0].len);
        free(o[1].bytes);
    }
    free(o[0].bytes);
    free(all);
    free(get);
    free(set);
    free(big);
    assert_alive("bytewise requests");
}

/* Reads replies from c until n have arrived; calls check(i, reply, len) on
 * each. Returns how many arrived. One buffer, walked with an offset, so that
 * 100,000 replies cost O(n). */
static long read_replies(h_conn *c, long n, void (*check)(long, const char *, size_t))
{
    long got = 0;
    size_t off = 0;
    long long deadline = h_now_ms() + 30000LL * h_slowdown();
    while (got < n && h_now_ms() < deadline) {
        long one = h_reply_len(c->buf ? c->buf + off : "", c->len - off);
        if (one < 0)
            fail_msg("malformed reply after %ld replies", got);
        if (one > 0) {
            check(got, c->buf + off, (size_t)one);
            off += (size_t)one;
            got++;
            continue;
        }
        /* Keep the partial reply, drop what was walked, read more. */
        memmove(c->buf, c->buf + off, c->len - off);
        c->len -= off;
        off = 0;
        if (c->eof)
            break;
        struct pollfd pf = {.fd = c->fd, .events = POLLIN};
        if (poll(&pf, 1, 1000) <= 0)
            continue;
        if (c->cap - c->len < 65536) {
            c->cap = c->cap ? c->cap * 2 : 1 << 20;
            c->buf = realloc(c->buf, c->cap);
        }
        ssize_t r = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
        if (r > 0)
            c->len += (size_t)r;
        else if (r == 0)
            c->eof = 1;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
    return got;
}

/* What the i-th request of the 100,000 is, and what it must answer. */
static size_t pipeline_request(long i, char *buf, size_t size)
{
    switch (i % 5) {
    case 0: return (size_t)snprintf(buf, size, "*2\r\n$4\r\nINCR\r\n$8\r\npipe:ctr\r\n");
    case 1: return (size_t)snprintf(buf, size, "*3\r\n$3\r\nSET\r\n$6\r\npipe:%ld\r\n$%d\r\n%ld\r\n",
                                    i % 10, (int)snprintf(NULL, 0, "%ld", i), i);
    case 2: return (size_t)snprintf(buf, size, "*2\r\n$3\r\nGET\r\n$6\r\npipe:%ld\r\n", (i - 1) % 10);
    case 3: return (size_t)snprintf(buf, size, "PING\r\n");
    default: return (size_t)snprintf(buf, size, "*3\r\n$5\r\nRPUSH\r\n$9\r\npipe:list\r\n$1\r\nx\r\n");
    }
}

static void pipeline_check(long i, const char *r, size_t len)
{
    char want[64];
    switch (i % 5) {
    case 0: snprintf(want, sizeof(want), ":%ld\r\n", i / 5 + 1); break;
    case 1: snprintf(want, sizeof(want), "+OK\r\n"); break;
    case 2:
        snprintf(want, sizeof(want), "$%d\r\n%ld\r\n", (int)snprintf(NULL, 0, "%ld", i - 1), i - 1);
        break;
    case 3: snprintf(want, sizeof(want), "+PONG\r\n"); break;
    default: snprintf(want, sizeof(want), ":%ld\r\n", i / 5 + 1); break;
    }
    if (len != strlen(want) || memcmp(r, want, len) != 0) {
        char *e = h_escape(r, len, 100);
        fail_msg("reply %ld: got %s want %s", i, e, want);
    }
}

static void test_hostile_pipeline_100000_commands_in_one_write(void **state)
{
    (void)state;
    enum { N = 100000 };
    h_conn *c = h_connect(rs.port, 2000);
    assert_non_null(c);
    h_expect(c, "DEL pipe:ctr pipe:list", ":0\r\n");
    size_t cap = (size_t)N * 64, len = 0;
    char *buf = malloc(cap);
    for (long i = 0; i < N; i++)
        len += pipeline_request(i, buf + len, cap - len);
    /* h_send reads replies into c->buf while it writes, so neither side
     * can block the other. */
    assert_int_equal(h_send(c, buf, len), 0);
    free(buf);
    assert_int_equal(read_replies(c, N, pipeline_check), N);
    assert_true(h_no_data(c, 50));
    h_expect(c, "LLEN pipe:list", ":20000\r\n");
    h_expect(c, "DEL pipe:ctr pipe:list pipe:1 pipe:6", ":4\r\n");
    h_close(c);
    assert_alive("100,000 pipelined commands");
}

/* Sends each line to respd on c[0] and to redis-server on c[1] and returns
 * how many replies differ, each printed. A line starting with '~' is left
 * out under $RESPD_WRAPPER (valgrind's doubles differ). */
static int mismatches(h_conn *c[2], const char *const *lines)
{
    int bad = 0;
    for (int k = 0; lines[k]; k++) {
        const char *line = lines[k];
        if (line[0] == '~') {
            if (h_wrapped())
                continue;
            line++;
        }
        char *r[2];
        for (int i = 0; i < 2; i++)
            r[i] = call(c[i], line);
        if (strcmp(r[0], r[1]) != 0) {
            char *e0 = h_escape(r[0], strlen(r[0]), 300), *e1 = h_escape(r[1], strlen(r[1]), 300);
            fprintf(stderr, "MISMATCH [%s]\n  respd: %s\n  redis: %s\n", line, e0, e1);
            free(e0);
            free(e1);
            bad++;
        }
        free(r[0]);
        free(r[1]);
    }
    return bad;
}

/* Wrong arity, wrong type and overflow: the exact error bytes of Redis. */
static void test_hostile_command_errors_match_redis(void **state)
{
    (void)state;
    if (!have_ref)
        skip();
    static const char *const lines[] = {
        /* wrong arity and unknown commands */
        "GET", "SET a", "PING a b", "ECHO", "HSET h f", "ZADD z 1", "LPUSH", "EXPIRE k",
        "INCRBY k", "MSET a", "MSET a b c", "HMSET h f v g", "SELECT", "DEL", "DBSIZE x",
        "CONFIG GET", "CONFIG SET timeout", "CLIENT", "OBJECT", "XYZZY", "xyzzy a b c",
        "GET a b", "SET a b c", "LRANGE l 0", "BLPOP l", "ZRANGE z 0", "SORT",
        /* wrong type */
        "SET str v", "LPUSH str a", "HGET str f", "SADD str m", "ZADD str 1 m", "LPUSH list a",
        "INCR list", "GET list", "APPEND list x", "HSET list f v", "SETRANGE list 0 x",
        "STRLEN list", "GETRANGE list 0 1", "RPOPLPUSH list str", "SINTER list",
        "ZRANGE list 0 -1", "HINCRBY list f 1", "SMEMBERS str", "ZSCORE list m", "LLEN str",
        "GETSET list v", "MGET str list", "SORT list", "SORT str", "RENAME str list",
        /* integer overflow and parsing */
        "SET n 9223372036854775807", "INCR n", "INCRBY n 1", "DECRBY n -1",
        "SET n -9223372036854775808", "DECR n", "DECRBY n 1", "INCRBY n -1",
        "DECRBY n -9223372036854775808", "INCRBY n 9223372036854775808", "INCRBY n abc",
        "INCRBY n ' 1'", "INCRBY n '1 '", "INCRBY n +1", "INCRBY n 1e3", "INCRBY n 0x10",
        "SET s ' 12'", "INCR s", "SET s 012", "INCR s", "SET s ''", "INCR s",
        "SET s 99999999999999999999", "INCR s", "HSET h f 9223372036854775807",
        "HINCRBY h f 1", "HINCRBY h f abc", "HSET h g abc", "HINCRBY h g 1",
        /* floats: inf, nan, overflow ("~": long double arithmetic, which
         * valgrind emulates with 64-bit doubles, so skipped under it) */
        "SET f 10.5", "~INCRBYFLOAT f 0.1", "~INCRBYFLOAT f inf", "~INCRBYFLOAT f -inf",
        "INCRBYFLOAT f nan", "INCRBYFLOAT f abc", "INCRBYFLOAT f ''", "~INCRBYFLOAT f 1e400",
        "INCRBYFLOAT f ' 1'", "SET f 1e308", "~INCRBYFLOAT f 1e308", "~GET f", "SET f inf",
        "~INCRBYFLOAT f 1", "HSET h x 1e308", "~HINCRBYFLOAT h x 1e308", "HINCRBYFLOAT h x nan",
        "HINCRBYFLOAT h g 1", "ZADD z nan m", "ZADD z abc m", "ZADD z 1e400 m",
        "ZADD z 1e308 m", "ZINCRBY z 1e308 m", "ZADD z -inf m", "ZINCRBY z +inf m",
        "ZRANGEBYSCORE z abc 1", "ZRANGEBYSCORE z ( 1", "ZCOUNT z nan 1",
        /* expire times */
        "SET x 1 EX 0", "SET x 1 EX -1", "SET x 1 PX 0", "SET x 1 EX abc", "SET x 1 EX 1.5",
        "SET x 1 EX 9223372036854775807", "SET x 1 EX 9223372036854776",
        "SET x 1 PX 9223372036854775807", "SET x 1 EXAT 9223372036854775807",
        "SET x 1 PXAT 9223372036854775807", "SET x 1 EX 10 PX 10", "SETEX x 0 v",
        "SETEX x -1 v", "SETEX x 9223372036854775807 v", "PSETEX x 0 v",
        "PSETEX x 9223372036854775807 v", "SET x 1", "GETEX x EX 0",
        "GETEX x EX 9223372036854775807", "GETEX x PX 9223372036854775807",
        "EXPIRE x 9223372036854775807", "PEXPIRE x 9223372036854775807",
        "EXPIREAT x 9223372036854775807", "EXPIRE x abc", "EXPIRE x 100 foo",
        "EXPIRE x 100 nx xx", "EXPIRE x -9223372036854775808",
        /* ranges and counts */
        "SETRANGE r 536870912 a", "SETRANGE r -1 a", "GETRANGE r abc 1",
        "RPUSH l a b c", "LRANGE l 0 9223372036854775807", "LRANGE l -9223372036854775808 -1",
        "LINDEX l 9223372036854775807", "LSET l 9223372036854775807 x", "LPOS l a RANK 0",
        "LPOS l a RANK -9223372036854775808", "LPOS l a COUNT -1", "LPOS l a MAXLEN -1",
        "LPOP l -1", "LMPOP 0 l LEFT", "LMPOP 1 l LEFT COUNT 0", "SRANDMEMBER l abc",
        "SADD st a", "SRANDMEMBER st -9223372036854775808", "SPOP st -1",
        "SINTERCARD 0 st", "SINTERCARD 1 st LIMIT -1", "ZINTERSTORE d 0 z",
        "ZUNIONSTORE d 1 z WEIGHTS abc", "SCAN abc", "SCAN 18446744073709551616",
        "SCAN 0 COUNT 0", "SELECT 9223372036854775807", "SELECT -1", "SELECT 16",
        "BLPOP l2 -1", "BLPOP l2 abc", "BLPOP l2 nan", "BLPOP l2 inf", "BLPOP l2 1e30",
        "BZPOPMIN z2 -inf", "BLMPOP inf 1 l2 LEFT", "HELLO 4", "HELLO abc",
        "CLIENT KILL ID abc", "OBJECT FREQ nosuchkey", "COPY str y DB -1",
        "MOVE str 9223372036854775807", "SWAPDB 0 -1",
        "DEL str list n s h f z x r l st",
        NULL,
    };
    h_conn *c[2] = {h_connect(rs.port, 2000), h_connect(ref.port, 2000)};
    assert_non_null(c[0]);
    assert_non_null(c[1]);
    for (int i = 0; i < 2; i++) {
        h_expect(c[i], "SELECT 5", "+OK\r\n");
        h_expect(c[i], "FLUSHDB", "+OK\r\n");
    }
    int bad = mismatches(c, lines);
    h_close(c[0]);
    h_close(c[1]);
    assert_int_equal(bad, 0);
    assert_alive("command errors");
}

/* ---- clients that vanish ----------------------------------------------------------- */

/* Connects, sends bytes and closes at once, reading nothing. */
static void send_and_vanish(const void *data, size_t len)
{
    h_conn *c = h_connect(rs.port, 2000);
    assert_non_null(c);
    const char *p = data;
    while (len > 0) {
        struct pollfd pf = {.fd = c->fd, .events = POLLOUT};
        if (poll(&pf, 1, 2000) <= 0)
            break;
        ssize_t w = send(c->fd, p, len, MSG_NOSIGNAL);
        if (w <= 0 && errno != EAGAIN && errno != EINTR)
            break;
        if (w > 0) {
            p += w;
            len -= (size_t)w;
        }
    }
    h_close(c);
}

static void test_hostile_disconnect_mid_frame_and_mid_pipeline(void **state)
{
    (void)state;
    h_conn *c = h_connect(rs.port, 2000);
    assert_non_null(c);
    h_expect(c, "DEL vanish:n vanish:big", ":0\r\n");
    /* Only the watcher and c are connected (earlier tests' closes may still
     * be on their way). */
    const long long before = 2;
    long long deadline = h_now_ms() + H_REPLY_TIMEOUT_MS;
    while (h_info_field(c, "clients", "connected_clients") != before && h_now_ms() < deadline)
        h_sleep_ms(10);
    assert_int_equal(h_info_field(c, "clients", "connected_clients"), before);
    static const char *const partial[] = {
        "*3\r\n$3\r\nSE",
        "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\nabc",
        "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\nx",
        "*2147483647\r\n$4\r\nPING\r\n$4\r\nPI",
        "SET vanish \"unterminated",
        "*1\r\n$4\r\nPING\r",
    };
    for (int round = 0; round < 20; round++)
        for (size_t i = 0; i < sizeof(partial) / sizeof(partial[0]); i++)
            send_and_vanish(partial[i], strlen(partial[i]));
    /* Mid-pipeline: 1000 complete INCRs, then half a request, then gone. */
    size_t one = strlen("*2\r\n$4\r\nINCR\r\n$8\r\nvanish:n\r\n");
    char *pipe = malloc(one * 1000 + 16);
    for (int i = 0; i < 1000; i++)
        memcpy(pipe + i * one, "*2\r\n$4\r\nINCR\r\n$8\r\nvanish:n\r\n", one);
    memcpy(pipe + one * 1000, "*2\r\n$4\r\nIN", 11);
    send_and_vanish(pipe, one * 1000 + 11);
    free(pipe);
    /* Gone with megabytes of replies unread: the server's writes fail. */
    size_t n = 1 << 20;
    char *val = malloc(n);
    memset(val, 'v', n);
    const char *argv[] = {"SET", "vanish:big", val};
    size_t lens[] = {3, 10, n};
    char *r = h_callv(c, 3, argv, lens);
    assert_string_equal(r, "+OK\r\n");
    free(r);
    free(val);
    char gets[20 * 32];
    size_t gl = 0;
    for (int i = 0; i < 20; i++)
        gl += (size_t)snprintf(gets + gl, sizeof(gets) - gl, "*2\r\n$3\r\nGET\r\n$10\r\nvanish:big\r\n");
    send_and_vanish(gets, gl);
    /* Every complete INCR ran; every vanished client is gone. */
    deadline = h_now_ms() + H_REPLY_TIMEOUT_MS;
    long long clients = -1;
    char *v = NULL;
    while (h_now_ms() < deadline) {
        free(v);
        v = call(c, "GET vanish:n");
        clients = h_info_field(c, "clients", "connected_clients");
        if (strcmp(v, "$4\r\n1000\r\n") == 0 && clients == before)
            break;
        h_sleep_ms(20);
    }
    assert_string_equal(v, "$4\r\n1000\r\n");
    free(v);
    assert_int_equal(clients, before);
    h_expect(c, "DEL vanish:n vanish:big", ":2\r\n");
    h_close(c);
    assert_alive("vanishing clients");
}

/* ---- limits --------------------------------------------------------------------------- */

/* CONFIG SET and GET of the limit settings: Redis's error texts and values. */
static void test_hostile_limit_settings_match_redis(void **state)
{
    (void)state;
    if (!have_ref)
        skip();
    static const char *const lines[] = {
        "CONFIG GET proto-max-bulk-len", "CONFIG GET client-query-buffer-limit",
        "CONFIG GET maxclients", "CONFIG GET timeout", "CONFIG GET tcp-keepalive",
        "CONFIG GET client-output-buffer-limit",
        "CONFIG SET proto-max-bulk-len abc", "CONFIG SET proto-max-bulk-len -1",
        "CONFIG SET proto-max-bulk-len 1.5mb", "CONFIG SET proto-max-bulk-len 1048575",
        "CONFIG SET proto-max-bulk-len 9223372036854775808",
        "CONFIG SET proto-max-bulk-len 99999999999gb", "CONFIG SET proto-max-bulk-len ''",
        "CONFIG SET proto-max-bulk-len 01mb", "CONFIG GET proto-max-bulk-len",
        "CONFIG SET proto-max-bulk-len 2Gb", "CONFIG GET proto-max-bulk-len",
        "CONFIG SET proto-max-bulk-len 512mb",
        "CONFIG SET client-query-buffer-limit 1k", "CONFIG SET client-query-buffer-limit x",
        "CONFIG SET client-query-buffer-limit 5gb", "CONFIG GET client-query-buffer-limit",
        "CONFIG SET client-query-buffer-limit 1gb",
        "CONFIG SET maxclients 0", "CONFIG SET maxclients -1", "CONFIG SET maxclients abc",
        "CONFIG SET maxclients 4294967296",
        "CONFIG SET timeout -1", "CONFIG SET timeout 2147483648", "CONFIG SET timeout x",
        "CONFIG SET tcp-keepalive -1", "CONFIG SET tcp-keepalive 10",
        "CONFIG GET tcp-keepalive", "CONFIG SET tcp-keepalive 300",
        "CONFIG SET client-output-buffer-limit 'normal 0 0'",
        "CONFIG SET client-output-buffer-limit 'foo 0 0 0'",
        "CONFIG SET client-output-buffer-limit 'normal x 0 0'",
        "CONFIG SET client-output-buffer-limit 'normal 1mb 1k -1'",
        "CONFIG SET client-output-buffer-limit 'normal -1 0 0'",
        "CONFIG SET client-output-buffer-limit ''",
        "CONFIG SET client-output-buffer-limit 'pubsub 64mb 16mb 90'",
        "CONFIG GET client-output-buffer-limit",
        "CONFIG SET client-output-buffer-limit 'normal 1gb 1gb 100 replica 1 1 1'",
        "CONFIG GET client-output-buffer-limit",
        "CONFIG SET client-output-buffer-limit 'normal 0 0 0 slave 268435456 67108864 60 "
        "pubsub 33554432 8388608 60'",
        "CONFIG GET client-output-buffer-limit",
        NULL,
    };
    h_conn *c[2] = {h_connect(rs.port, 2000), h_connect(ref.port, 2000)};
    int bad = mismatches(c, lines);
    h_close(c[0]);
    h_close(c[1]);
    assert_int_equal(bad, 0);
}

/* maxclients past what the open-file limit allows: refused with Redis's
 * text naming the most the system allows, and the setting is unchanged. */
static void test_hostile_maxclients_past_the_open_file_limit(void **state)
{
    (void)state;
    h_conn *c = h_connect(rs.port, 2000);
    assert_non_null(c);
    /* No kernel lets one process open 2^30 files (fs.nr_open is lower). */
    char *r = call(c, "CONFIG SET maxclients 1073741824");
    static const char want[] = "-ERR CONFIG SET failed (possibly related to argument "
                               "'maxclients') - The operating system is not able to handle "
                               "the specified number of clients, try with ";
    if (strncmp(r, want, sizeof(want) - 1) != 0)
        fail_msg("CONFIG SET maxclients 2^30: %s", r);
    long n = atol(r + sizeof(want) - 1);
    free(r);
    /* "try with N": N more clients than the default fit, and N does work. */
    assert_true(n >= 10000);
    h_expect(c, "CONFIG GET maxclients", "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n");
    r = h_callf(c, "CONFIG SET maxclients %ld", n);
    assert_string_equal(r, "+OK\r\n");
    free(r);
    h_expect(c, "CONFIG SET maxclients 10000", "+OK\r\n");
    h_close(c);
}

/* client-output-buffer-limit at its edge, as Redis: what fits the first
 * 16 KB of output (Redis's static reply buffer) is not counted, so a reply
 * 110 KB long passes a 100 KB hard limit and one of 120 KB closes the
 * client; tiny limits leave small replies alone. */
static void test_hostile_output_limit_edge_matches_redis(void **state)
{
    (void)state;
    h_conn *admin = h_connect(rs.port, 2000);
    h_conn *radmin = have_ref ? h_connect(ref.port, 2000) : NULL;
    long long before = h_info_field(admin, "stats", "client_output_buffer_limit_disconnections");
    size_t n = 120 * 1024;
    char *val = malloc(n);
    memset(val, 'o', n);
    const char *argv[] = {"SET", "obl:110", val};
    size_t lens[] = {3, 7, 110 * 1024};
    for (int i = 0; i < 2; i++) {
        h_conn *a = i ? radmin : admin;
        if (!a)
            continue;
        char *r = h_callv(a, 3, argv, lens);
        assert_string_equal(r, "+OK\r\n");
        free(r);
        argv[1] = "obl:120";
        lens[2] = n;
        r = h_callv(a, 3, argv, lens);
        assert_string_equal(r, "+OK\r\n");
        free(r);
        argv[1] = "obl:110";
        lens[2] = 110 * 1024;
        h_expect(a, "CONFIG SET client-output-buffer-limit 'normal 100kb 0 0'", "+OK\r\n");
    }
    free(val);
    hostile_str("reply of 110 KB under a 100 KB hard limit", "GET obl:110\r\n");
    hostile_str("reply of 120 KB over a 100 KB hard limit", "GET obl:120\r\n");
    hostile_str("small replies under a 100 KB hard limit", "PING\r\nECHO hello\r\nGET nokey\r\n");
    for (int i = 0; i < 2; i++) {
        h_conn *a = i ? radmin : admin;
        if (a)
            h_expect(a, "CONFIG SET client-output-buffer-limit 'normal 1 1 0'", "+OK\r\n");
    }
    hostile_str("small replies under a 1-byte limit", "PING\r\nECHO hello\r\nGET nokey\r\n");
    for (int i = 0; i < 2; i++) {
        h_conn *a = i ? radmin : admin;
        if (!a)
            continue;
        h_expect(a, "CONFIG SET client-output-buffer-limit 'normal 0 0 0'", "+OK\r\n");
        h_expect(a, "DEL obl:110 obl:120", ":2\r\n");
    }
    /* Exactly one respd client went past the limit. */
    assert_int_equal(h_info_field(admin, "stats", "client_output_buffer_limit_disconnections"),
                     before + 1);
    h_close(admin);
    h_close(radmin);
}

/* client-query-buffer-limit: a request that grows past it closes the client
 * without a reply, as in Redis, and is counted. */
static void test_hostile_query_buffer_limit(void **state)
{
    (void)state;
    h_conn *admin = h_connect(rs.port, 2000);
    h_conn *radmin = have_ref ? h_connect(ref.port, 2000) : NULL;
    long long before = h_info_field(admin, "stats", "client_query_buffer_limit_disconnections");
    h_expect(admin, "CONFIG SET client-query-buffer-limit 1mb", "+OK\r\n");
    if (radmin)
        h_expect(radmin, "CONFIG SET client-query-buffer-limit 1mb", "+OK\r\n");
    static const char head[] = "*2\r\n$4\r\nECHO\r\n$3000000\r\n";
    size_t len = sizeof(head) - 1 + 2000000;
    char *req = malloc(len);
    memcpy(req, head, sizeof(head) - 1);
    memset(req + sizeof(head) - 1, 'q', 2000000);
    hostile_case("2 MB of a bulk under a 1 MB query buffer limit", req, len);
    free(req);
    h_expect(admin, "CONFIG SET client-query-buffer-limit 1gb", "+OK\r\n");
    if (radmin)
        h_expect(radmin, "CONFIG SET client-query-buffer-limit 1gb", "+OK\r\n");
    assert_int_equal(h_info_field(admin, "stats", "client_query_buffer_limit_disconnections"),
                     before + 1);
    char *log = h_server_log(&rs);
    assert_non_null(strstr(log, "Closing client that reached max query buffer length"));
    free(log);
    h_close(admin);
    h_close(radmin);
}

/* timeout: an idle client is closed after the configured seconds; a client
 * blocked in BLPOP is waiting, not idle, and stays. */
static void test_hostile_idle_timeout(void **state)
{
    (void)state;
    h_conn *admin = h_connect(rs.port, 2000);
    h_conn *idle = h_connect(rs.port, 2000);
    h_conn *blocked = h_connect(rs.port, 2000);
    assert_int_equal(h_send_str(blocked, "*3\r\n$5\r\nBLPOP\r\n$12\r\ntimeout:list\r\n$1\r\n0\r\n"),
                     0);
    h_expect(idle, "PING", "+PONG\r\n");
    long long t0 = h_now_ms();
    /* The idle client is half a second ahead of admin, which must outlive
     * it to turn the timeout off again. */
    h_sleep_ms(500);
    h_expect(admin, "CONFIG SET timeout 1", "+OK\r\n");
    int closed = h_wait_closed(idle, 5000 * h_slowdown());
    long long idle_for = h_now_ms() - t0;
    h_expect(admin, "CONFIG SET timeout 0", "+OK\r\n");
    assert_true(closed);
    assert_true(idle_for >= 1000);
    assert_true(h_no_data(blocked, 50)); /* still blocked, still open */
    h_expect(admin, "RPUSH timeout:list x", ":1\r\n");
    char *r = NULL;
    assert_int_equal(h_read_reply(blocked, H_REPLY_TIMEOUT_MS, &r, NULL), 0);
    assert_string_equal(r, "*2\r\n$12\r\ntimeout:list\r\n$1\r\nx\r\n");
    free(r);
    h_close(blocked);
    h_close(idle);
    h_close(admin);
    /* The watcher was idle too: it may have been closed. */
    h_close(watch);
    watch = h_connect(rs.port, 2000);
    assert_non_null(watch);
    assert_alive("idle timeout");
}

/* A 100 MB argument: while it is read, the query buffer never exceeds the
 * request's exact size (no doubling to 128 or 200 MB), and once the request
 * has run the buffer is released: the connection keeps no 100 MB, in the
 * allocator's count (INFO used_memory) nor in resident memory. */
static void test_hostile_big_argument_buffer_is_exact_and_released(void **state)
{
    (void)state;
    const size_t big = 100u * 1024 * 1024;
    h_conn *a = h_connect(rs.port, 2000);
    h_conn *b = h_connect(rs.port, 2000);
    assert_non_null(a);
    assert_non_null(b);
    char *r = call(a, "CLIENT ID");
    long long id;
    assert_int_equal(h_reply_int(r, &id), 0);
    free(r);
    long long used0 = h_info_field(b, "memory", "used_memory");
    long rss0 = h_rss_kb(rs.pid);
    /* EXISTS <100 MB key> x: the big argument, then the next one cut short. */
    char head[64];
    int hl = snprintf(head, sizeof(head), "*3\r\n$6\r\nEXISTS\r\n$%zu\r\n", big);
    char *body = malloc(big + 2);
    memset(body, 'k', big);
    memcpy(body + big, "\r\n", 2);
    assert_int_equal(h_send(a, head, (size_t)hl), 0);
    assert_int_equal(h_send(a, body, big + 2), 0);
    assert_int_equal(h_send_str(a, "$1\r\nx"), 0);
    free(body);
    /* Wait until the server holds every byte sent so far. */
    size_t sent = (size_t)hl + big + 2 + 5;
    long long qbuf = 0, qfree = 0;
    long long deadline = h_now_ms() + 10000LL * h_slowdown();
    while (h_now_ms() < deadline) {
        qbuf = client_field(b, id, "qbuf");
        qfree = client_field(b, id, "qbuf-free");
        if (qbuf == (long long)sent)
            break;
        h_sleep_ms(20);
    }
    assert_int_equal(qbuf, (long long)sent);
    /* Its capacity: the request's bytes plus a few reads' room (doubling
     * would have made it 128 or 200 MB). */
    assert_true(qbuf + qfree <= (long long)sent + 64 * 1024);
    long long used_mid = h_info_field(b, "memory", "used_memory");
    assert_true(used_mid - used0 >= (long long)big);
    assert_true(used_mid - used0 < (long long)big + 4 * 1024 * 1024);
    /* Complete it, and start the next request: the buffer shrinks to it. */
    assert_int_equal(h_send_str(a, "\r\n*1\r\n$4\r\nPI"), 0);
    r = NULL;
    assert_int_equal(h_read_reply(a, H_REPLY_TIMEOUT_MS, &r, NULL), 0);
    assert_string_equal(r, ":0\r\n");
    free(r);
    assert_int_equal(client_field(b, id, "qbuf"), 10);
    assert_true(client_field(b, id, "qbuf") + client_field(b, id, "qbuf-free") <= 32 * 1024);
    assert_true(client_field(b, id, "tot-mem") < 64 * 1024);
    assert_int_equal(h_send_str(a, "NG\r\n"), 0);
    r = NULL;
    assert_int_equal(h_read_reply(a, H_REPLY_TIMEOUT_MS, &r, NULL), 0);
    assert_string_equal(r, "+PONG\r\n");
    free(r);
    assert_int_equal(client_field(b, id, "qbuf-free"), 0); /* no buffer of its own left */
    long long used1 = h_info_field(b, "memory", "used_memory");
    long rss1 = h_rss_kb(rs.pid);
    assert_true(used1 - used0 < 1024 * 1024);
    if (h_rss_meaningful())
        assert_true(rss1 - rss0 < 20 * 1024);
    h_close(a);
    h_close(b);
    assert_alive("a 100 MB argument");
}

/* ---- 10,000 connections ----------------------------------------------------------- */

/* Negative counts ask for that many picks, repeats allowed: the reply grows
 * with the count, not the key. One that would pass proto-max-bulk-len is
 * refused (Redis builds it until it runs out of memory), smaller ones work,
 * and the server's memory does not move. */
static void test_hostile_random_sample_count_is_bounded(void **state)
{
    (void)state;
    h_conn *c = h_connect(rs.port, 2000);
    assert_non_null(c);
    h_expect(c, "SELECT 5", "+OK\r\n");
    h_expect(c, "DEL rs rh rz", ":0\r\n");
    h_expect(c, "SADD rs a b c", ":3\r\n");
    h_expect(c, "HSET rh f v g w", ":2\r\n");
    h_expect(c, "ZADD rz 1 a 2 b", ":2\r\n");
    long long used0 = h_info_field(c, "memory", "used_memory");
    static const char *const huge[] = {
        "SRANDMEMBER rs -9223372036854775807",
        "HRANDFIELD rh -9223372036854775807",
        "HRANDFIELD rh -4611686018427387903 WITHVALUES",
        "ZRANDMEMBER rz -9223372036854775807",
        "ZRANDMEMBER rz -4611686018427387903 WITHSCORES",
        "SRANDMEMBER rs -100000000",
        NULL,
    };
    const char *err = "-ERR value is out of range, the reply would be larger than "
                      "proto-max-bulk-len\r\n";
    for (int i = 0; huge[i]; i++) {
        h_expect(c, huge[i], err);
        h_expect(watch, "PING", "+PONG\r\n");
    }
    /* The bound follows the size of the elements: 2,000 picks of a 1 MB
     * member pass a 512 MB limit, 100 do not. */
    char *big = malloc(1024 * 1024 + 1);
    memset(big, 'm', 1024 * 1024);
    big[1024 * 1024] = 0;
    const char *argv[] = {"SADD", "rbig", big};
    size_t n;
    char *req = h_multibulk(3, argv, NULL, &n);
    assert_int_equal(h_send(c, req, n), 0);
    free(req);
    free(big);
    char *r = NULL;
    assert_int_equal(h_read_reply(c, H_REPLY_TIMEOUT_MS, &r, NULL), 0);
    assert_string_equal(r, ":1\r\n");
    free(r);
    h_expect(c, "SRANDMEMBER rbig -2000", err);
    r = call(c, "SRANDMEMBER rbig -100");
    assert_true(strncmp(r, "*100\r\n$1048576\r\n", 16) == 0);
    assert_int_equal(strlen(r), 6 + 100 * (1048576 + 12));
    free(r);
    /* In range: exactly count picks, repeats allowed. */
    r = call(c, "SRANDMEMBER rs -1000000");
    assert_true(strncmp(r, "*1000000\r\n$1\r\n", 14) == 0);
    assert_int_equal(strlen(r), 10 + 1000000 * 7);
    free(r);
    h_expect(c, "DEL rs rh rz rbig", ":4\r\n");
    /* Nothing kept: used memory back near where it was. */
    assert_true(h_info_field(c, "memory", "used_memory") < used0 + 4 * 1024 * 1024);
    h_close(c);
}

static void test_hostile_10000_connections_ping_latency(void **state)
{
    (void)state;
    enum { N = 10000, ACTIVE = 50, PINGS = 600 };
    if (h_wrapped())
        skip(); /* a latency bound means nothing under valgrind */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < N + 256) {
        fprintf(stderr, "test_hostile: RLIMIT_NOFILE hard limit %llu < %d: 10,000-connection "
                        "test skipped\n", (unsigned long long)rl.rlim_max, N + 256);
        skip();
    }
    h_raise_nofile(N + 256);
    h_server s;
    const char *args[] = {"--maxclients", "10100", NULL};
    assert_int_equal(h_respd_start(&s, NULL, args), 0);
    /* Every one of them is served. */
    h_conn **cs = h_connect_pinged(s.port, N);
    h_conn *probe = h_connect(s.port, 2000);
    assert_non_null(probe);
    assert_int_equal(h_info_field(probe, "clients", "connected_clients"), N + 1);
    /* After the connection storm has settled in the kernel, 50 of them busy
     * while the probe measures PING round trips. */
    h_sleep_ms(500);
    int busy_fds[ACTIVE];
    for (int i = 0; i < ACTIVE; i++)
        busy_fds[i] = cs[i]->fd;
    wl_busy la = {.fds = busy_fds, .n = ACTIVE};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, wl_busy_run, &la), 0);
    h_sleep_ms(200);
    long long *lat = calloc(PINGS, sizeof(long long));
    for (int i = 0; i < PINGS; i++) {
        long long t0 = h_now_ms();
        h_expect(probe, "PING", "+PONG\r\n");
        lat[i] = h_now_ms() - t0;
        h_sleep_ms(4);
    }
    la.stop = 1;
    pthread_join(th, NULL);
    qsort(lat, PINGS, sizeof(long long), wl_cmp_ll);
    long long p50 = lat[PINGS / 2], p99 = lat[PINGS * 99 / 100], worst = lat[PINGS - 1];
    fprintf(stderr, "10,000 connections, %d busy (%ld requests): PING p50 %lld ms, p99 %lld ms, "
                    "max %lld ms\n", ACTIVE, la.requests, p50, p99, worst);
    assert_true(la.requests > 1000); /* the load was real */
    assert_true(p99 < 50);
    free(lat);
    for (int i = 0; i < N; i++)
        h_close(cs[i]);
    free(cs);
    h_close(probe);
    h_server_stop_ok(&s);
}

/* ---- canaries ---------------------------------------------------------------------- */

static const char canary_str[] = "\0\xff canary\r\n\0";

static void write_canaries(h_conn *c)
{
    const char *argv[] = {"SET", "canary:str", canary_str};
    size_t lens[] = {3, 10, sizeof(canary_str) - 1};
    char *r = h_callv(c, 3, argv, lens);
    assert_string_equal(r, "+OK\r\n");
    free(r);
    h_expect(c, "RPUSH canary:list a b c", ":3\r\n");
    h_expect(c, "HSET canary:hash f1 v1 f2 v2", ":2\r\n");
    h_expect(c, "SADD canary:set x y z", ":3\r\n");
    h_expect(c, "ZADD canary:zset 1 a 2 b", ":2\r\n");
    h_expect(c, "SET canary:ttl v EX 100000", "+OK\r\n");
}

/* Last in the group: every canary written before the battery is intact. */
static void test_hostile_canaries_intact(void **state)
{
    (void)state;
    h_conn *c = h_connect(rs.port, 2000);
    assert_non_null(c);
    char *r = call(c, "GET canary:str");
    static const char want[] = "$12\r\n\0\xff canary\r\n\0\r\n";
    assert_int_equal(h_reply_len(r, sizeof(want) - 1), (long)sizeof(want) - 1);
    assert_memory_equal(r, want, sizeof(want) - 1);
    free(r);
    h_expect(c, "LRANGE canary:list 0 -1", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    h_expect(c, "HGETALL canary:hash", "*4\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n");
    h_expect(c, "SMISMEMBER canary:set x y z w", "*4\r\n:1\r\n:1\r\n:1\r\n:0\r\n");
    h_expect(c, "ZRANGE canary:zset 0 -1 WITHSCORES",
           "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
    r = call(c, "TTL canary:ttl");
    long long ttl;
    assert_int_equal(h_reply_int(r, &ttl), 0);
    assert_true(ttl > 99000 && ttl <= 100000);
    free(r);
    h_expect(c, "DBSIZE", ":6\r\n");
    h_close(c);
}

/* ---- fixture ------------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    if (h_pair_start(&rs, NULL, &ref, &have_ref) < 0)
        return -1;
    watch = h_connect(rs.port, 2000);
    if (!watch)
        return -1;
    write_canaries(watch);
    if (have_ref) {
        h_conn *c = h_connect(ref.port, 2000);
        write_canaries(c);
        h_close(c);
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    h_close(watch);
    return h_pair_stop(&rs, &ref, have_ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_protocol_battery),
        cmocka_unit_test(test_hostile_bulk_longer_than_limit),
        cmocka_unit_test(test_hostile_binary_garbage),
        cmocka_unit_test(test_hostile_nul_bytes_round_trip),
        cmocka_unit_test(test_hostile_frames_one_byte_at_a_time),
        cmocka_unit_test(test_hostile_pipeline_100000_commands_in_one_write),
        cmocka_unit_test(test_hostile_command_errors_match_redis),
        cmocka_unit_test(test_hostile_disconnect_mid_frame_and_mid_pipeline),
        cmocka_unit_test(test_hostile_limit_settings_match_redis),
        cmocka_unit_test(test_hostile_maxclients_past_the_open_file_limit),
        cmocka_unit_test(test_hostile_output_limit_edge_matches_redis),
        cmocka_unit_test(test_hostile_query_buffer_limit),
        cmocka_unit_test(test_hostile_idle_timeout),
        cmocka_unit_test(test_hostile_big_argument_buffer_is_exact_and_released),
        cmocka_unit_test(test_hostile_random_sample_count_is_bounded),
        cmocka_unit_test(test_hostile_10000_connections_ping_latency),
        cmocka_unit_test(test_hostile_canaries_intact),
    };
    return cmocka_run_group_tests_name("hostile", tests, group_setup, group_teardown);
}
