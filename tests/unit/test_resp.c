/* Unit tests for the request parser (src/resp.c).
 *
 * Most checks go through a small client simulation (run_feed): it feeds an
 * input in pieces, keeps the unparsed tail at the start of its buffer as the
 * client module does, and writes every outcome into a text transcript
 * ("D<consumed>[args]" for a request, "E<text>" for an error, "M<missing>"
 * when bytes are still awaited at the end). The same input cut anywhere must
 * give the transcript of the whole input parsed at once. Expected error
 * texts and accept/reject decisions were checked against redis-server 7.0.15.
 *
 * Each test ends with mem_used() where it started.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "mem.h"
#include "resp.h"

#define S(lit) lit, sizeof(lit) - 1

/* ---- transcripts ---- */

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void t_add(text *t, const char *p, size_t n)
{
    if (t->cap - t->len < n + 1) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap - t->len < n + 1)
            cap *= 2;
        t->s = realloc(t->s, cap);
        assert_non_null(t->s);
        t->cap = cap;
    }
    memcpy(t->s + t->len, p, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void t_printf(text *t, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    t_add(t, tmp, (size_t)n);
}

/* An argument, with bytes outside printable ASCII (and the brackets) as \xHH. */
static void t_arg(text *t, const char *p, size_t n)
{
    t_add(t, "[", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 32 || c > 126 || c == '[' || c == ']' || c == '\\')
            t_printf(t, "\\x%02x", c);
        else
            t_add(t, (const char *)&c, 1);
    }
    t_add(t, "]", 1);
}

static void t_request(text *t, const resp_parser *p, size_t consumed)
{
    t_printf(t, "D%zu", consumed);
    for (int i = 0; i < p->argc; i++)
        t_arg(t, p->argv[i], p->argvlen[i]);
    t_add(t, "\n", 1);
}

/* ---- a guard page: bytes placed flush against an unmapped page ---- */

typedef struct guard {
    char *map;
    size_t size; /* readable bytes before the PROT_NONE page */
} guard;

static void guard_init(guard *g, size_t need)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    g->size = (need + page - 1) / page * page;
    if (g->size == 0)
        g->size = page;
    g->map = mmap(NULL, g->size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g->map != MAP_FAILED);
    assert_int_equal(mprotect(g->map + g->size, page, PROT_NONE), 0);
}

static void guard_fini(guard *g)
{
    munmap(g->map, g->size + (size_t)sysconf(_SC_PAGESIZE));
}

/* Copies p[0..n) so that its last byte is the last readable one. */
static char *guard_place(guard *g, const char *p, size_t n)
{
    assert_true(n <= g->size);
    char *dst = g->map + g->size - n;
    memmove(dst, p, n);
    return dst;
}

/* ---- the client simulation ---- */

enum {
    FEED_INPLACE, /* one buffer, grown with realloc */
    FEED_MOVE,    /* a fresh exact-size copy for every feed; the old one is poisoned */
    FEED_GUARD,   /* a copy ending at an unmapped page for every feed */
};

/* Feeds in[0..n): piece k ends at ends[k] (the last one is n). Returns the
 * transcript; caller frees it. */
static char *run_feed(const char *in, size_t n, const size_t *ends, size_t nends, int mode)
{
    resp_parser p;
    resp_init(&p);
    text t = {0};
    char *pend = NULL; /* bytes not yet consumed; a request starts at pend[0] */
    size_t plen = 0, pcap = 0, fed = 0;
    guard g = {0};
    if (mode == FEED_GUARD)
        guard_init(&g, n);

    for (size_t k = 0; k < nends; k++) {
        size_t add = ends[k] - fed;
        if (pcap - plen < add) {
            pcap = (plen + add) * 2;
            pend = realloc(pend, pcap);
            assert_non_null(pend);
        }
        memcpy(pend + plen, in + fed, add);
        plen += add;
        fed = ends[k];

        char *buf = pend;
        if (mode == FEED_MOVE) {
            buf = malloc(plen);
            assert_non_null(buf);
            memcpy(buf, pend, plen);
        } else if (mode == FEED_GUARD) {
            buf = guard_place(&g, pend, plen);
        }

        size_t pos = 0;
        int stop = 0;
        while (pos < plen) {
            size_t consumed = 12345;
            int rc = resp_parse(&p, buf + pos, plen - pos, &consumed);
            if (rc == RESP_NEED_MORE) {
                assert_int_equal(consumed, 0);
                if (k == nends - 1)
                    t_printf(&t, "M%zu\n", resp_bulk_missing(&p, plen - pos));
                break;
            }
            if (rc == RESP_ERROR) {
                assert_int_equal(consumed, 0);
                t_printf(&t, "E%s\n", p.err);
                stop = 1;
                break;
            }
            assert_int_equal(rc, RESP_DONE);
            assert_true(consumed > 0 && consumed <= plen - pos);
            for (int i = 0; i < p.argc; i++)
                assert_true(p.argv[i] >= buf + pos &&
                            p.argv[i] + p.argvlen[i] <= buf + pos + consumed);
            t_request(&t, &p, consumed);
            pos += consumed;
        }
        if (mode == FEED_MOVE) {
            memset(buf, 0xA5, plen);
            free(buf);
        }
        memmove(pend, pend + pos, plen - pos);
        plen -= pos;
        if (stop)
            break;
    }
    free(pend);
    if (mode == FEED_GUARD)
        guard_fini(&g);
    resp_fini(&p);
    if (!t.s)
        t_add(&t, "", 0);
    return t.s;
}

static char *run_whole(const char *in, size_t n)
{
    size_t end = n;
    return run_feed(in, n, &end, 1, FEED_INPLACE);
}

static char *run_two(const char *in, size_t n, size_t cut, int mode)
{
    size_t ends[2] = {cut, n};
    return run_feed(in, n, ends, 2, mode);
}

static char *run_bytewise(const char *in, size_t n, int mode)
{
    size_t *ends = malloc(n * sizeof(*ends));
    assert_non_null(ends);
    for (size_t i = 0; i < n; i++)
        ends[i] = i + 1;
    char *r = run_feed(in, n, ends, n, mode);
    free(ends);
    return r;
}

static void expect_transcript(const char *in, size_t n, const char *want)
{
    char *got = run_whole(in, n);
    assert_string_equal(got, want);
    free(got);
}

/* ---- fixtures ---- */

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

/* ---- multibulk ---- */

static void test_resp_multibulk_command(void **state)
{
    expect_transcript(S("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"), "D31[SET][k][hello]\n");
}

static void test_resp_multibulk_argv_points_into_buffer(void **state)
{
    char buf[] = "*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n";
    resp_parser p;
    resp_init(&p);
    size_t consumed;
    assert_int_equal(resp_parse(&p, buf, sizeof(buf) - 1, &consumed), RESP_DONE);
    assert_int_equal(consumed, sizeof(buf) - 1);
    assert_int_equal(p.argc, 2);
    assert_ptr_equal(p.argv[0], buf + 8);
    assert_int_equal(p.argvlen[0], 4);
    assert_ptr_equal(p.argv[1], buf + 18);
    assert_int_equal(p.argvlen[1], 2);
    resp_fini(&p);
}

static void test_resp_multibulk_empty_bulk(void **state)
{
    expect_transcript(S("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"), "D20[ECHO][]\n");
}

static void test_resp_bulk_body_keeps_nul_and_crlf(void **state)
{
    expect_transcript(S("*2\r\n$3\r\nGET\r\n$7\r\na\0b\r\nc\n\r\n"),
                      "D26[GET][a\\x00b\\x0d\\x0ac\\x0a]\n");
}

static void test_resp_zero_count_is_empty_request(void **state)
{
    expect_transcript(S("*0\r\n"), "D4\n");
}

static void test_resp_negative_count_is_empty_request(void **state)
{
    expect_transcript(S("*-1\r\n"), "D5\n");
    expect_transcript(S("*-5\r\n"), "D5\n");
    expect_transcript(S("*-9223372036854775808\r\n"), "D23\n");
}

static void test_resp_count_at_limit_waits_for_arguments(void **state)
{
    char line[32];
    int n = snprintf(line, sizeof(line), "*%lld\r\n", (long long)RESP_MAX_MULTIBULK);
    expect_transcript(line, (size_t)n, "M0\n");
}

static void test_resp_count_past_limit_is_error(void **state)
{
    char line[32];
    int n = snprintf(line, sizeof(line), "*%lld\r\n", (long long)RESP_MAX_MULTIBULK + 1);
    expect_transcript(line, (size_t)n, "EProtocol error: invalid multibulk length\n");
    /* Past INT_MAX even Redis 7.0 refuses. */
    expect_transcript(S("*2147483648\r\n"), "EProtocol error: invalid multibulk length\n");
    expect_transcript(S("*9223372036854775808\r\n"), "EProtocol error: invalid multibulk length\n");
    expect_transcript(S("*99999999999999999999\r\n"),
                      "EProtocol error: invalid multibulk length\n");
}

static void test_resp_count_must_be_strict_integer(void **state)
{
    static const char *bad[] = {"*+1\r\n", "*01\r\n", "* 1\r\n", "*1 \r\n",  "*\r\n",
                                "*-0\r\n", "*1a\r\n", "*-\r\n",  "*0x1\r\n", "*1.0\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_transcript(bad[i], strlen(bad[i]), "EProtocol error: invalid multibulk length\n");
}

static void test_resp_bulk_len_must_be_strict_integer(void **state)
{
    static const char *bad[] = {"*1\r\n$+4\r\nPING\r\n", "*1\r\n$04\r\nPING\r\n",
                                "*1\r\n$4 \r\nPING\r\n", "*1\r\n$ 4\r\nPING\r\n",
                                "*1\r\n$\r\nPING\r\n",   "*1\r\n$-0\r\n\r\n",
                                "*1\r\n$x\r\nPING\r\n",  "*1\r\n$99999999999999999999\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_transcript(bad[i], strlen(bad[i]), "EProtocol error: invalid bulk length\n");
}

static void test_resp_negative_bulk_len_is_error(void **state)
{
    expect_transcript(S("*1\r\n$-1\r\n"), "EProtocol error: invalid bulk length\n");
    expect_transcript(S("*1\r\n$-9223372036854775808\r\n"),
                      "EProtocol error: invalid bulk length\n");
}

static void test_resp_bulk_len_at_default_max_waits(void **state)
{
    expect_transcript(S("*1\r\n$536870912\r\n"), "M536870914\n");
}

static void test_resp_bulk_len_past_default_max_is_error(void **state)
{
    expect_transcript(S("*1\r\n$536870913\r\n"), "EProtocol error: invalid bulk length\n");
}

static void test_resp_bulk_len_follows_configured_max(void **state)
{
    resp_parser p;
    resp_init(&p);
    p.max_bulk_len = 4;
    char ok[] = "*1\r\n$4\r\nPING\r\n";
    char bad[] = "*1\r\n$5\r\nHELLO\r\n";
    size_t consumed;
    assert_int_equal(resp_parse(&p, ok, sizeof(ok) - 1, &consumed), RESP_DONE);
    assert_int_equal(resp_parse(&p, bad, sizeof(bad) - 1, &consumed), RESP_ERROR);
    assert_string_equal(p.err, "Protocol error: invalid bulk length");
    resp_fini(&p);
}

static void test_resp_bulk_header_without_dollar_is_error(void **state)
{
    expect_transcript(S("*1\r\nX4\r\nPING\r\n"), "EProtocol error: expected '$', got 'X'\n");
    expect_transcript(S("*2\r\n$3\r\nGET\r\n:1\r\n"), "EProtocol error: expected '$', got ':'\n");
}

static void test_resp_bulk_header_reports_raw_byte(void **state)
{
    resp_parser p;
    resp_init(&p);
    /* Split so that the 4 is not read as part of the \x escape. */
    char in[] = "*1\r\n\xff"
                "4\r\nPING\r\n";
    size_t consumed;
    assert_int_equal(resp_parse(&p, in, sizeof(in) - 1, &consumed), RESP_ERROR);
    assert_string_equal(p.err, "Protocol error: expected '$', got '\xff'");
    resp_fini(&p);
}

static void test_resp_bulk_header_cr_or_lf_reported_as_space(void **state)
{
    /* Redis maps CR and LF in error replies to spaces. */
    expect_transcript(S("*1\r\n\n\r\n"), "EProtocol error: expected '$', got ' '\n");
    expect_transcript(S("*1\r\n\r4\r\n"), "EProtocol error: expected '$', got ' '\n");
}

static void test_resp_header_byte_after_cr_is_not_checked(void **state)
{
    expect_transcript(S("*1\rX$4\rXPING\r\n"), "D14[PING]\n");
}

static void test_resp_bulk_trailer_is_not_checked(void **state)
{
    expect_transcript(S("*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n"), "D14[PING]\nD14[PING]\n");
}

static void test_resp_header_waits_for_byte_after_cr(void **state)
{
    expect_transcript(S("*1\r"), "M0\n");
    expect_transcript(S("*1\r\n$4\r"), "M0\n");
}

static void test_resp_body_waits_for_trailer(void **state)
{
    expect_transcript(S("*1\r\n$4\r\nPING"), "M2\n");
    expect_transcript(S("*1\r\n$4\r\nPING\r"), "M1\n");
}

/* ---- limits on header lines ---- */

/* prefix (pl bytes, NULs allowed), then n times c, then suffix. */
static char *repeat(char c, size_t n, const char *prefix, size_t pl, const char *suffix,
                    size_t *len)
{
    size_t sl = strlen(suffix);
    char *s = malloc(pl + n + sl + 1);
    memcpy(s, prefix, pl);
    memset(s + pl, c, n);
    memcpy(s + pl + n, suffix, sl + 1);
    *len = pl + n + sl;
    return s;
}

static void test_resp_mbulk_count_line_at_limit_waits(void **state)
{
    size_t n;
    char *s = repeat('1', RESP_INLINE_MAX - 1, S("*"), "", &n); /* 65536 bytes pending */
    expect_transcript(s, n, "M0\n");
    free(s);
}

static void test_resp_mbulk_count_line_past_limit_is_error(void **state)
{
    size_t n;
    char *s = repeat('1', RESP_INLINE_MAX, S("*"), "", &n);
    expect_transcript(s, n, "EProtocol error: too big mbulk count string\n");
    free(s);
}

static void test_resp_complete_long_mbulk_count_line_is_too_big(void **state)
{
    /* The CR is the 65538th byte: Redis fed byte by byte refuses at 65537. */
    size_t n;
    char *s = repeat('1', RESP_INLINE_MAX, S("*"), "\r\n", &n);
    expect_transcript(s, n, "EProtocol error: too big mbulk count string\n");
    free(s);
    /* One byte shorter the line is whole in time, and merely invalid. */
    s = repeat('1', RESP_INLINE_MAX - 1, S("*"), "\r\n", &n);
    expect_transcript(s, n, "EProtocol error: invalid multibulk length\n");
    free(s);
}

static void test_resp_bulk_count_line_past_limit_is_error(void **state)
{
    size_t n;
    char *s = repeat('1', RESP_INLINE_MAX - 1, S("*1\r\n$"), "", &n);
    expect_transcript(s, n, "M0\n");
    free(s);
    s = repeat('1', RESP_INLINE_MAX, S("*1\r\n$"), "", &n);
    expect_transcript(s, n, "EProtocol error: too big bulk count string\n");
    free(s);
    s = repeat('1', RESP_INLINE_MAX, S("*1\r\n$"), "\r\n", &n);
    expect_transcript(s, n, "EProtocol error: too big bulk count string\n");
    free(s);
}

static void test_resp_nul_in_count_line_waits_until_too_big(void **state)
{
    /* Redis looks for the CR with strchr(), which a NUL stops. */
    expect_transcript(S("*1\0\r\n$4\r\nPING\r\n"), "M0\n");
    size_t n;
    char *s = repeat('x', RESP_INLINE_MAX - 3, S("*1\0\r\n"), "", &n);
    expect_transcript(s, n, "EProtocol error: too big mbulk count string\n");
    free(s);
}

static void test_resp_nul_in_bulk_header_waits_until_too_big(void **state)
{
    expect_transcript(S("*1\r\n\0$4\r\nPING\r\n"), "M0\n");
    expect_transcript(S("*1\r\n$4\0\r\nPING\r\n"), "M0\n");
    size_t n;
    char *s = repeat('x', RESP_INLINE_MAX, S("*1\r\n$\0"), "", &n);
    expect_transcript(s, n, "EProtocol error: too big bulk count string\n");
    free(s);
}

/* ---- inline ---- */

static void test_resp_inline_command(void **state)
{
    expect_transcript(S("PING\r\n"), "D6[PING]\n");
    expect_transcript(S("SET k v\n"), "D8[SET][k][v]\n");
}

static void test_resp_inline_argv_points_into_buffer(void **state)
{
    char buf[] = "SET  \"a b\" c\r\n";
    resp_parser p;
    resp_init(&p);
    size_t consumed;
    assert_int_equal(resp_parse(&p, buf, sizeof(buf) - 1, &consumed), RESP_DONE);
    assert_int_equal(consumed, sizeof(buf) - 1);
    assert_int_equal(p.argc, 3);
    for (int i = 0; i < 3; i++)
        assert_true(p.argv[i] >= buf && p.argv[i] + p.argvlen[i] <= buf + consumed);
    assert_memory_equal(p.argv[1], "a b", 3);
    resp_fini(&p);
}

static void test_resp_inline_whitespace_separates(void **state)
{
    expect_transcript(S("  SET \t k\r  v  \r\n"), "D17[SET][k][v]\n");
    /* Leading \v and \f are skipped as spaces but do not end an argument. */
    expect_transcript(S("\v\fPING\r\n"), "D8[PING]\n");
    expect_transcript(S("ECHO a\vb a\fb\r\n"), "D14[ECHO][a\\x0bb][a\\x0cb]\n");
}

static void test_resp_inline_empty_line_is_empty_request(void **state)
{
    expect_transcript(S("\r\n"), "D2\n");
    expect_transcript(S("\n"), "D1\n");
    expect_transcript(S(" \t \r\n"), "D5\n");
    expect_transcript(S("\r\n\n  \t \r\nPING\n"), "D2\nD1\nD6\nD5[PING]\n");
}

static void test_resp_inline_only_one_cr_is_stripped(void **state)
{
    expect_transcript(S("ECHO a\r\r\n"), "D9[ECHO][a]\n");
    expect_transcript(S("ECHO \"a\r\"\r\n"), "D11[ECHO][a\\x0d]\n");
}

static void test_resp_inline_double_quote_escapes(void **state)
{
    expect_transcript(S("ECHO \"a\\n\\r\\t\\b\\a\\\\\\\"z\\q\"\r\n"),
                      "D27[ECHO][a\\x0a\\x0d\\x09\\x08\\x07\\x5c\"zq]\n");
}

static void test_resp_inline_hex_escapes(void **state)
{
    expect_transcript(S("ECHO \"\\x41\\x4a\\xfF\\x00\\x0a\"\n"), "D28[ECHO][AJ\\xff\\x00\\x0a]\n");
    /* Not two hex digits: the backslash escapes just the x. */
    expect_transcript(S("ECHO \"a\\x41\\x4g\\n\"\r\n"), "D20[ECHO][aAx4g\\x0a]\n");
    expect_transcript(S("ECHO \"\\x4\"\r\n"), "D12[ECHO][x4]\n");
    expect_transcript(S("ECHO \"\\X41\"\r\n"), "D13[ECHO][X41]\n");
}

static void test_resp_inline_single_quotes(void **state)
{
    expect_transcript(S("ECHO 'a\\'b'\r\n"), "D13[ECHO][a'b]\n");
    expect_transcript(S("ECHO 'a\\nb \"c\"'\r\n"), "D17[ECHO][a\\x5cnb \"c\"]\n");
}

static void test_resp_inline_quotes_inside_argument(void **state)
{
    expect_transcript(S("ECHO a\"b c\"\r\n"), "D13[ECHO][ab c]\n");
    expect_transcript(S("ECHO a'b c'\r\n"), "D13[ECHO][ab c]\n");
}

static void test_resp_inline_empty_quotes_are_arguments(void **state)
{
    expect_transcript(S("ECHO \"\" ''\r\n"), "D12[ECHO][][]\n");
}

static void test_resp_inline_closing_quote_then_space(void **state)
{
    expect_transcript(S("ECHO \"x\"\v\r\n"), "D11[ECHO][x]\n");
    expect_transcript(S("ECHO \"x\"\ty\r\n"), "D12[ECHO][x][y]\n");
}

static void test_resp_inline_unbalanced_quotes_is_error(void **state)
{
    static const char *bad[] = {"ECHO \"abc\r\n",      "ECHO 'abc\r\n",    "ECHO \"ab\"c\r\n",
                                "ECHO 'a'b\r\n",       "ECHO \"a\\\"\r\n", "ECHO \"a\\\r\n",
                                "ECHO \"a\"\"b\"\r\n", "ECHO 'a\\'\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_transcript(bad[i], strlen(bad[i]),
                          "EProtocol error: unbalanced quotes in request\n");
}

static void test_resp_inline_without_newline_waits(void **state)
{
    expect_transcript(S("PING"), "M0\n");
    expect_transcript(S("PING\r"), "M0\n");
}

static void test_resp_inline_at_limit_waits(void **state)
{
    size_t n;
    char *s = repeat(' ', RESP_INLINE_MAX - 4, S("PING"), "", &n);
    expect_transcript(s, n, "M0\n");
    free(s);
}

static void test_resp_inline_past_limit_is_error(void **state)
{
    size_t n;
    char *s = repeat(' ', RESP_INLINE_MAX - 3, S("PING"), "", &n);
    expect_transcript(s, n, "EProtocol error: too big inline request\n");
    free(s);
}

static void test_resp_complete_inline_line_past_limit_is_error(void **state)
{
    size_t n;
    /* 65536 bytes before the LF: accepted. */
    char *s = repeat(' ', RESP_INLINE_MAX - 4, S("PING"), "\n", &n);
    char want[32];
    snprintf(want, sizeof(want), "D%zu[PING]\n", n);
    expect_transcript(s, n, want);
    free(s);
    /* 65537 (a CR counts, as in Redis's pending-bytes check): refused. */
    s = repeat(' ', RESP_INLINE_MAX - 4, S("PING"), "\r\n", &n);
    expect_transcript(s, n, "EProtocol error: too big inline request\n");
    free(s);
}

static void test_resp_inline_nul_waits_until_too_big(void **state)
{
    expect_transcript(S("PING\0\r\nPING\r\n"), "M0\n");
    size_t n;
    char *s = repeat('\n', RESP_INLINE_MAX, S("PING\0"), "", &n);
    expect_transcript(s, n, "EProtocol error: too big inline request\n");
    free(s);
}

/* ---- pipelining, state and memory ---- */

static void test_resp_pipelined_requests(void **state)
{
    expect_transcript(
        S("*1\r\n$4\r\nPING\r\nPING\r\n*0\r\n\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\nGET k\n"),
        "D14[PING]\nD6[PING]\nD4\nD2\nD21[ECHO][x]\nD6[GET][k]\n");
}

static void test_resp_pipelined_then_partial(void **state)
{
    expect_transcript(S("PING\r\n*2\r\n$3\r\nGET\r\n$10\r\nabc"), "D6[PING]\nM9\n");
}

static void test_resp_error_after_good_requests(void **state)
{
    expect_transcript(S("PING\r\n*1\r\n$4\r\nPING\r\n*1\r\nX\r\nPING\r\n"),
                      "D6[PING]\nD14[PING]\nEProtocol error: expected '$', got 'X'\n");
}

static void test_resp_bulk_missing_counts_body_and_crlf(void **state)
{
    resp_parser p;
    resp_init(&p);
    char in[] = "*1\r\n$10\r\n0123456789\r\n";
    size_t consumed;
    assert_int_equal(resp_parse(&p, in, 5, &consumed), RESP_NEED_MORE);
    assert_int_equal(resp_bulk_missing(&p, 5), 0); /* still in the header */
    assert_int_equal(resp_parse(&p, in, 9, &consumed), RESP_NEED_MORE);
    assert_int_equal(resp_bulk_missing(&p, 9), 12);
    assert_int_equal(resp_parse(&p, in, 12, &consumed), RESP_NEED_MORE);
    assert_int_equal(resp_bulk_missing(&p, 12), 9);
    assert_int_equal(resp_bulk_missing(&p, 20), 1);
    assert_int_equal(resp_parse(&p, in, 21, &consumed), RESP_DONE);
    assert_int_equal(resp_bulk_missing(&p, 21), 0);
    resp_fini(&p);
}

static void test_resp_next_call_after_done_starts_fresh(void **state)
{
    resp_parser p;
    resp_init(&p);
    char a[] = "*1\r\n$4\r\nPING\r\n";
    char b[] = "ECHO x\r\n";
    size_t consumed;
    assert_int_equal(resp_parse(&p, a, sizeof(a) - 1, &consumed), RESP_DONE);
    assert_int_equal(resp_parse(&p, b, sizeof(b) - 1, &consumed), RESP_DONE);
    assert_int_equal(consumed, 8);
    assert_int_equal(p.argc, 2);
    assert_memory_equal(p.argv[1], "x", 1);
    resp_fini(&p);
}

static void test_resp_next_call_after_error_starts_fresh(void **state)
{
    resp_parser p;
    resp_init(&p);
    char a[] = "*1\r\n$x\r\n";
    char b[] = "*1\r\n$4\r\nPING\r\n";
    size_t consumed;
    assert_int_equal(resp_parse(&p, a, sizeof(a) - 1, &consumed), RESP_ERROR);
    assert_int_equal(resp_parse(&p, b, sizeof(b) - 1, &consumed), RESP_DONE);
    assert_int_equal(p.argc, 1);
    resp_fini(&p);
}

static void test_resp_reset_forgets_partial_request(void **state)
{
    resp_parser p;
    resp_init(&p);
    char a[] = "*3\r\n$3\r\nSET\r\n$1\r\n";
    char b[] = "PING\r\n";
    size_t consumed;
    assert_int_equal(resp_parse(&p, a, sizeof(a) - 1, &consumed), RESP_NEED_MORE);
    resp_reset(&p);
    assert_int_equal(resp_parse(&p, b, sizeof(b) - 1, &consumed), RESP_DONE);
    assert_int_equal(p.argc, 1);
    assert_int_equal(consumed, 6);
    resp_fini(&p);
}

static void test_resp_empty_input_needs_more(void **state)
{
    resp_parser p;
    resp_init(&p);
    size_t consumed = 99;
    assert_int_equal(resp_parse(&p, NULL, 0, &consumed), RESP_NEED_MORE);
    assert_int_equal(consumed, 0);
    resp_fini(&p);
}

static void test_resp_huge_count_allocates_little(void **state)
{
    size_t before = mem_used();
    resp_parser p;
    resp_init(&p);
    char in[64];
    int n =
        snprintf(in, sizeof(in), "*%lld\r\n$1\r\na\r\n$1\r\nb\r\n", (long long)RESP_MAX_MULTIBULK);
    size_t consumed;
    assert_int_equal(resp_parse(&p, in, (size_t)n, &consumed), RESP_NEED_MORE);
    assert_true(mem_used() - before < 64 * 1024);
    resp_fini(&p);
}

static void test_resp_many_arguments(void **state)
{
    /* MSET with 100000 arguments, then fed one byte at a time without
     * moving the buffer: quadratic re-parsing would not finish. */
    const int nargs = 100000;
    size_t cap = (size_t)nargs * 24 + 32, n = 0;
    char *in = malloc(cap);
    n += (size_t)sprintf(in + n, "*%d\r\n$4\r\nMSET\r\n", nargs + 1);
    for (int i = 0; i < nargs; i++) {
        char arg[16];
        int k = sprintf(arg, "%d", i);
        n += (size_t)sprintf(in + n, "$%d\r\n%s\r\n", k, arg);
    }

    resp_parser p;
    resp_init(&p);
    size_t consumed;
    assert_int_equal(resp_parse(&p, in, n, &consumed), RESP_DONE);
    assert_int_equal(consumed, n);
    assert_int_equal(p.argc, nargs + 1);
    assert_memory_equal(p.argv[nargs], "99999", 5);

    for (size_t i = 1; i < n; i++)
        assert_int_equal(resp_parse(&p, in, i, &consumed), RESP_NEED_MORE);
    assert_int_equal(resp_parse(&p, in, n, &consumed), RESP_DONE);
    assert_int_equal(p.argc, nargs + 1);
    assert_memory_equal(p.argv[12345 + 1], "12345", 5);
    resp_fini(&p);
    free(in);
}

static void test_resp_big_arrays_released_after_request(void **state)
{
    resp_parser p;
    resp_init(&p);
    size_t n;
    char *in = repeat('a', 5000, S("ECHO"), "\r\n", &n);
    for (size_t i = 4; i < n - 2; i += 2)
        in[i] = ' ';
    size_t consumed;
    assert_int_equal(resp_parse(&p, in, n, &consumed), RESP_DONE);
    assert_int_equal(p.argc, 2501);
    size_t big = mem_used();
    char small[] = "PING\r\n";
    assert_int_equal(resp_parse(&p, small, sizeof(small) - 1, &consumed), RESP_DONE);
    assert_true(mem_used() < big);
    resp_fini(&p);
    free(in);
}

/* ---- every input, cut everywhere ---- */

static const struct sample {
    const char *in;
    size_t len;
} samples[] = {
    {S("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n")},
    {S("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n")},
    {S("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n")},
    {S("*2\r\n$3\r\nGET\r\n$7\r\na\0b\r\nc\n\r\n")},
    {S("PING\r\nSET a \"b c\"\n\r\n  \r\nGET 'x\\'y'\r\n")},
    {S("ECHO \"\\x41\\x4g\\n\\\\\" a\"b\"\r\nECHO ''\n")},
    {S("*1\rX$4\rXPING\r\n")},
    {S("*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n")},
    {S("*2\r\n$3\r\nGET\r\n$10\r\nabc")},
    {S("PING\r\n*1\r\nX4\r\nPING\r\n")},
    {S("*+1\r\n")},
    {S("*2147483648\r\n")},
    {S("*1\r\n$-1\r\n")},
    {S("*1\r\n$04\r\nPING\r\n")},
    {S("*1\r\n$536870913\r\n")},
    {S("*1\r\n\n\r\n")},
    {S("ECHO \"abc\r\nPING\r\n")},
    {S("ECHO 'a'b\r\n")},
    {S("*1\r\n$4\r\nPING\r\nSET \"x\n")},
    {S("*1\0\r\n$4\r\nPING\r\n")},
    {S("PING\0\r\n")},
    {S("PING")},
    {S("\r\n\n")},
};

#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static void check_cuts(const char *in, size_t n, int mode)
{
    char *want = run_whole(in, n);
    for (size_t cut = 1; cut < n; cut++) {
        char *got = run_two(in, n, cut, mode);
        if (strcmp(got, want) != 0)
            fail_msg("cut at %zu of %zu: got\n%s\nwant\n%s", cut, n, got, want);
        free(got);
    }
    char *got = run_bytewise(in, n, mode);
    if (strcmp(got, want) != 0)
        fail_msg("byte by byte: got\n%s\nwant\n%s", got, want);
    free(got);
    free(want);
}

static void test_resp_cut_anywhere_same_result(void **state)
{
    for (size_t i = 0; i < NSAMPLES; i++)
        check_cuts(samples[i].in, samples[i].len, FEED_INPLACE);
}

static void test_resp_cut_anywhere_with_moved_buffer_same_result(void **state)
{
    for (size_t i = 0; i < NSAMPLES; i++)
        check_cuts(samples[i].in, samples[i].len, FEED_MOVE);
}

static void test_resp_cut_anywhere_against_unmapped_page(void **state)
{
    for (size_t i = 0; i < NSAMPLES; i++)
        check_cuts(samples[i].in, samples[i].len, FEED_GUARD);
}

static void test_resp_every_prefix_against_unmapped_page(void **state)
{
    /* Each prefix alone, in one call, ending at the unmapped page. */
    guard g;
    guard_init(&g, 4096);
    for (size_t i = 0; i < NSAMPLES; i++) {
        for (size_t k = 1; k <= samples[i].len; k++) {
            resp_parser p;
            resp_init(&p);
            char *buf = guard_place(&g, samples[i].in, k);
            size_t consumed;
            int rc = resp_parse(&p, buf, k, &consumed);
            assert_true(rc == RESP_DONE || rc == RESP_NEED_MORE || rc == RESP_ERROR);
            resp_fini(&p);
        }
    }
    guard_fini(&g);
}

static void test_resp_long_lines_cut_anywhere_same_result(void **state)
{
    /* Lines near RESP_INLINE_MAX: cuts near both ends and at a stride, and
     * byte by byte, in place and against the unmapped page. */
    size_t n;
    char *inputs[4];
    size_t lens[4];
    inputs[0] = repeat(' ', RESP_INLINE_MAX - 4, S("PING"), "\r\n", &lens[0]);
    inputs[1] = repeat(' ', RESP_INLINE_MAX - 4, S("PING"), "\n", &lens[1]);
    inputs[2] = repeat('1', RESP_INLINE_MAX, S("*"), "\r\n", &lens[2]);
    inputs[3] = repeat('1', RESP_INLINE_MAX - 1, S("*1\r\n$"), "\r\n", &lens[3]);
    for (int i = 0; i < 4; i++) {
        n = lens[i];
        char *want = run_whole(inputs[i], n);
        for (size_t cut = 1; cut < n; cut += (cut < 16 || cut > n - 16) ? 1 : 1021) {
            char *got = run_two(inputs[i], n, cut, FEED_GUARD);
            assert_string_equal(got, want);
            free(got);
        }
        char *got = run_bytewise(inputs[i], n, FEED_INPLACE);
        assert_string_equal(got, want);
        free(got);
        free(want);
        free(inputs[i]);
    }
}

/* Every test runs between setup and teardown, which checks for leaks. */
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static void test_resp_unauthenticated_limits(void **state)
{
    (void)state;
    resp_parser p;
    size_t used = 0;
    resp_init(&p);
    p.unauthenticated = 1;
    char big_count[] = "*11\r\n";
    assert_int_equal(resp_parse(&p, big_count, strlen(big_count), &used), RESP_ERROR);
    assert_string_equal(p.err, "Protocol error: unauthenticated multibulk length");
    char ten[] = "*10\r\n";
    assert_int_equal(resp_parse(&p, ten, strlen(ten), &used), RESP_NEED_MORE);
    resp_reset(&p);
    char big_bulk[] = "*1\r\n$16385\r\n";
    assert_int_equal(resp_parse(&p, big_bulk, strlen(big_bulk), &used), RESP_ERROR);
    assert_string_equal(p.err, "Protocol error: unauthenticated bulk length");
    resp_reset(&p);
    p.unauthenticated = 0;
    assert_int_equal(resp_parse(&p, big_bulk, strlen(big_bulk), &used), RESP_NEED_MORE);
    resp_fini(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resp_unauthenticated_limits),
        T(test_resp_multibulk_command),
        T(test_resp_multibulk_argv_points_into_buffer),
        T(test_resp_multibulk_empty_bulk),
        T(test_resp_bulk_body_keeps_nul_and_crlf),
        T(test_resp_zero_count_is_empty_request),
        T(test_resp_negative_count_is_empty_request),
        T(test_resp_count_at_limit_waits_for_arguments),
        T(test_resp_count_past_limit_is_error),
        T(test_resp_count_must_be_strict_integer),
        T(test_resp_bulk_len_must_be_strict_integer),
        T(test_resp_negative_bulk_len_is_error),
        T(test_resp_bulk_len_at_default_max_waits),
        T(test_resp_bulk_len_past_default_max_is_error),
        T(test_resp_bulk_len_follows_configured_max),
        T(test_resp_bulk_header_without_dollar_is_error),
        T(test_resp_bulk_header_reports_raw_byte),
        T(test_resp_bulk_header_cr_or_lf_reported_as_space),
        T(test_resp_header_byte_after_cr_is_not_checked),
        T(test_resp_bulk_trailer_is_not_checked),
        T(test_resp_header_waits_for_byte_after_cr),
        T(test_resp_body_waits_for_trailer),
        T(test_resp_mbulk_count_line_at_limit_waits),
        T(test_resp_mbulk_count_line_past_limit_is_error),
        T(test_resp_complete_long_mbulk_count_line_is_too_big),
        T(test_resp_bulk_count_line_past_limit_is_error),
        T(test_resp_nul_in_count_line_waits_until_too_big),
        T(test_resp_nul_in_bulk_header_waits_until_too_big),
        T(test_resp_inline_command),
        T(test_resp_inline_argv_points_into_buffer),
        T(test_resp_inline_whitespace_separates),
        T(test_resp_inline_empty_line_is_empty_request),
        T(test_resp_inline_only_one_cr_is_stripped),
        T(test_resp_inline_double_quote_escapes),
        T(test_resp_inline_hex_escapes),
        T(test_resp_inline_single_quotes),
        T(test_resp_inline_quotes_inside_argument),
        T(test_resp_inline_empty_quotes_are_arguments),
        T(test_resp_inline_closing_quote_then_space),
        T(test_resp_inline_unbalanced_quotes_is_error),
        T(test_resp_inline_without_newline_waits),
        T(test_resp_inline_at_limit_waits),
        T(test_resp_inline_past_limit_is_error),
        T(test_resp_complete_inline_line_past_limit_is_error),
        T(test_resp_inline_nul_waits_until_too_big),
        T(test_resp_pipelined_requests),
        T(test_resp_pipelined_then_partial),
        T(test_resp_error_after_good_requests),
        T(test_resp_bulk_missing_counts_body_and_crlf),
        T(test_resp_next_call_after_done_starts_fresh),
        T(test_resp_next_call_after_error_starts_fresh),
        T(test_resp_reset_forgets_partial_request),
        T(test_resp_empty_input_needs_more),
        T(test_resp_huge_count_allocates_little),
        T(test_resp_many_arguments),
        T(test_resp_big_arrays_released_after_request),
        T(test_resp_cut_anywhere_same_result),
        T(test_resp_cut_anywhere_with_moved_buffer_same_result),
        T(test_resp_cut_anywhere_against_unmapped_page),
        T(test_resp_every_prefix_against_unmapped_page),
        T(test_resp_long_lines_cut_anywhere_same_result),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
