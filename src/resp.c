/* resp: the incremental request parser (RESP multibulk and inline).
 *
 * It turns the bytes of one request into argc/argv slices of the caller's
 * buffer and leaves everything else (running the command, replying, closing
 * the connection, limiting the query buffer) to the client module.
 *
 * The accept/reject decisions and error texts are those of Redis 7.0's
 * processMultibulkBuffer() and processInlineBuffer(), including two quirks
 * a compatible server has to share:
 *   - a header line ends at its first CR, and the byte after the CR is
 *     skipped without being checked to be LF; the 2 bytes after a bulk body
 *     are skipped unchecked too;
 *   - Redis searches lines with strchr(), so a NUL byte before the line's
 *     end hides the end: the request then waits for more bytes until the
 *     "too big" limit rejects it.
 * Where Redis's answer depends on how the bytes were split by read() (a
 * complete line longer than RESP_INLINE_MAX), this parser answers as Redis
 * does when the bytes arrive one at a time, so the result never depends on
 * how a request was cut.
 *
 * Invariants of the private state while a request is partly parsed:
 *   - kind is '*' or 'i'; 0 between requests.
 *   - pos is the offset of the first byte not yet consumed: the start of
 *     the count line, of a bulk header line, or of a bulk body.
 *   - bulk_len >= 0 while a body of that length is awaited. Otherwise a line
 *     is awaited and -(bulk_len + 1) bytes of it, from pos, are known to hold
 *     no line end, so a re-call scans only new bytes ("-1 = header next").
 *   - mbulk_left is -1 until the count line has been parsed.
 *   - argc counts the arguments stored so far: off[i] is argument i's offset
 *     and argvlen[i] its length. argv[] is filled only on RESP_DONE, against
 *     the buffer of that call, which is what lets the caller move its bytes.
 */
#include "resp.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "util.h"

/* proto-max-bulk-len's default, as in Redis. */
#define DEFAULT_MAX_BULK_LEN (512LL * 1024 * 1024)
/* Arrays reserved up front for a multibulk request, whatever count it
 * announces: the count is client input, so memory beyond this grows only as
 * arguments really arrive (each costs at least 6 bytes of input). */
#define ARGS_PREALLOC 1024
/* Arrays larger than this are released between requests, so one huge MSET
 * does not pin its arrays to a connection for good. */
#define ARGS_KEEP 64
/* First capacity for inline requests, whose count is unknown up front. */
#define ARGS_INLINE_FIRST 8


void resp_init(resp_parser *p)
{
    memset(p, 0, sizeof(*p));
    p->max_bulk_len = DEFAULT_MAX_BULK_LEN;
    p->bulk_len = -1;
    p->mbulk_left = -1;
}

static void free_arrays(resp_parser *p)
{
    mem_free(p->argv);
    mem_free(p->argvlen);
    mem_free(p->off);
    p->argv = NULL;
    p->argvlen = NULL;
    p->off = NULL;
    p->cap = 0;
}

void resp_fini(resp_parser *p)
{
    free_arrays(p);
    p->argc = 0;
    p->kind = 0;
}

void resp_reset(resp_parser *p)
{
    p->kind = 0;
    p->pos = 0;
    p->bulk_len = -1;
    p->mbulk_left = -1;
    p->argc = 0;
}

/* Makes room for at least want arguments (want <= INT_MAX). */
static void reserve_args(resp_parser *p, long long want)
{
    if (want <= p->cap)
        return;
    size_t n = (size_t)want;
    p->argv = mem_realloc(p->argv, n * sizeof(*p->argv));
    p->argvlen = mem_realloc(p->argvlen, n * sizeof(*p->argvlen));
    p->off = mem_realloc(p->off, n * sizeof(*p->off));
    p->cap = (int)want;
}

/* Room for one more argument: doubles, but never past limit, the number of
 * arguments the request can still have. */
static void grow_for_one(resp_parser *p, long long limit)
{
    if (p->argc < p->cap)
        return;
    long long want = p->cap ? 2LL * p->cap : ARGS_INLINE_FIRST;
    if (want > limit)
        want = limit;
    if (want <= p->argc)
        want = p->argc + 1LL;
    reserve_args(p, want);
}

static void add_arg(resp_parser *p, size_t off, size_t len)
{
    p->off[p->argc] = off;
    p->argvlen[p->argc] = len;
    p->argc++;
}

static int set_error(resp_parser *p, const char *msg)
{
    snprintf(p->err, sizeof(p->err), "Protocol error: %s", msg);
    p->kind = 0;
    p->argc = 0;
    return RESP_ERROR;
}

/* Ends a request: argv against this call's buffer, and a fresh start next. */
static int finish(resp_parser *p, char *buf, size_t *consumed)
{
    for (int i = 0; i < p->argc; i++)
        p->argv[i] = buf + p->off[i];
    *consumed = p->pos;
    p->kind = 0;
    return RESP_DONE;
}

enum { LINE_MORE, LINE_FOUND, LINE_TOO_BIG };
/* A step of a multibulk request went through; the request goes on. */
enum { STEP_NEXT = 2 };

/* Looks for the end byte eol of the line starting at pos, resuming where
 * the previous call stopped. Like Redis's strchr(), it treats a NUL as the
 * end of the searchable bytes; the scan then stays parked on the NUL. A line
 * whose end comes more than RESP_INLINE_MAX bytes after pos, or is not in
 * sight with more than RESP_INLINE_MAX bytes pending, is too big: that is
 * Redis's pending-bytes check applied as each byte arrives. */
static int find_line(resp_parser *p, const char *buf, size_t len, char eol, size_t *at)
{
    if (len < p->pos) /* only if the caller dropped bytes without resp_reset */
        return LINE_MORE;
    size_t from = p->pos + (size_t)(-(p->bulk_len + 1));
    const char *hit = NULL;
    if (from < len && buf[from] != '\0') {
        hit = memchr(buf + from, eol, len - from);
        size_t end = hit ? (size_t)(hit - buf) : len;
        const char *nul = memchr(buf + from, '\0', end - from);
        if (nul) {
            hit = NULL;
            end = (size_t)(nul - buf);
        }
        p->bulk_len = -1 - (long long)(end - p->pos);
    }
    if (!hit)
        return len - p->pos > RESP_INLINE_MAX ? LINE_TOO_BIG : LINE_MORE;
    *at = (size_t)(hit - buf);
    return *at - p->pos > RESP_INLINE_MAX ? LINE_TOO_BIG : LINE_FOUND;
}

/* A header line of a multibulk request: "*<count>" or "$<len>" up to its CR.
 * Like Redis, it needs one byte after the CR, and skips that byte without
 * looking at it. */
static int header_line(resp_parser *p, const char *buf, size_t len, size_t *cr)
{
    int rc = find_line(p, buf, len, '\r', cr);
    if (rc == LINE_FOUND && *cr + 1 >= len)
        return LINE_MORE; /* the scan stays on the CR until its follower comes */
    return rc;
}

/* The common header line, read in one pass: after the type byte, a
 * canonical number of 1 to 18 digits, its CR and the byte after the CR, all
 * in buf, with no scan of this line begun before. Returns the CR's offset
 * and sets *v, or 0 for anything else, which takes the general path
 * (header_line, then util_str2ll) and gets the same result or error. */
static size_t quick_header(const resp_parser *p, const char *buf, size_t len, long long *v)
{
    size_t i = p->pos + 1;
    if (p->bulk_len != -1 || i >= len)
        return 0;
    size_t end = len - i > 18 ? i + 18 : len, j = i;
    long long n = 0;
    while (j < end && buf[j] >= '0' && buf[j] <= '9')
        n = n * 10 + (buf[j++] - '0');
    if (j == i || j + 1 >= len || buf[j] != '\r' || (buf[i] == '0' && j - i > 1))
        return 0;
    *v = n;
    return j;
}

static int parse_count(resp_parser *p, char *buf, size_t len, size_t *consumed)
{
    /* Redis 7.0.15 accepts counts up to INT_MAX (checked against it:
     * "*2147483647" waits for arguments, "*2147483648" is refused). Before
     * AUTH, when a password is required, it allows only 10 arguments. */
    long long count;
    size_t cr = quick_header(p, buf, len, &count);
    if (!cr) {
        int rc = header_line(p, buf, len, &cr);
        if (rc == LINE_MORE)
            return RESP_NEED_MORE;
        if (rc == LINE_TOO_BIG)
            return set_error(p, "too big mbulk count string");
        if (!util_str2ll(buf + p->pos + 1, cr - p->pos - 1, &count))
            return set_error(p, "invalid multibulk length");
    }
    if (count > RESP_MAX_MULTIBULK)
        return set_error(p, "invalid multibulk length");
    if (count > 10 && p->unauthenticated)
        return set_error(p, "unauthenticated multibulk length");
    p->pos = cr + 2;
    p->bulk_len = -1;
    if (count <= 0)
        return finish(p, buf, consumed);
    p->mbulk_left = count;
    reserve_args(p, count < ARGS_PREALLOC ? count : ARGS_PREALLOC);
    return STEP_NEXT;
}

static int parse_bulk_header(resp_parser *p, char *buf, size_t len)
{
    long long blen;
    size_t cr = p->pos < len && buf[p->pos] == '$' ? quick_header(p, buf, len, &blen) : 0;
    if (!cr) {
        int rc = header_line(p, buf, len, &cr);
        if (rc == LINE_MORE)
            return RESP_NEED_MORE;
        if (rc == LINE_TOO_BIG)
            return set_error(p, "too big bulk count string");
        unsigned char first = (unsigned char)buf[p->pos];
        if (first != '$') {
            /* Redis prints the byte with %c, then turns CR and LF into
             * spaces so its reply stays one line. */
            char what[40];
            if (first == '\r' || first == '\n')
                first = ' ';
            snprintf(what, sizeof(what), "expected '$', got '%c'", first);
            return set_error(p, what);
        }
        if (!util_str2ll(buf + p->pos + 1, cr - p->pos - 1, &blen) || blen < 0)
            return set_error(p, "invalid bulk length");
    }
    if (blen > p->max_bulk_len)
        return set_error(p, "invalid bulk length");
    if (blen > 16384 && p->unauthenticated)
        return set_error(p, "unauthenticated bulk length");
    p->pos = cr + 2;
    p->bulk_len = blen;
    return STEP_NEXT;
}

static int parse_multibulk(resp_parser *p, char *buf, size_t len, size_t *consumed)
{
    if (p->mbulk_left < 0) {
        int rc = parse_count(p, buf, len, consumed);
        if (rc != STEP_NEXT)
            return rc;
    }
    while (p->mbulk_left > 0) {
        if (p->bulk_len < 0) {
            int rc = parse_bulk_header(p, buf, len);
            if (rc != STEP_NEXT)
                return rc;
        }
        /* The unsigned sum cannot wrap: bulk_len <= LLONG_MAX. */
        unsigned long long need = (unsigned long long)p->bulk_len + 2;
        if (len < p->pos || len - p->pos < need)
            return RESP_NEED_MORE;
        grow_for_one(p, p->argc + p->mbulk_left);
        add_arg(p, p->pos, (size_t)p->bulk_len);
        p->pos += (size_t)need;
        p->bulk_len = -1;
        p->mbulk_left--;
    }
    return finish(p, buf, consumed);
}

/* isspace() in the C locale, which is what Redis runs with for ctype. */
static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int hex_val(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The byte at i of a line of n bytes, or 0 past its end: sdssplitargs walks
 * a NUL-terminated copy, and a line never holds a NUL (find_line stops on
 * one), so 0 means exactly "end of line" here. */
static int at(const char *s, size_t n, size_t i)
{
    return i < n ? (unsigned char)s[i] : 0;
}

/* An escape inside "double quotes" at s[r] (a backslash): stores the byte
 * it stands for in *out and returns how many input bytes it spans, or 0 if
 * the backslash escapes nothing (it is then an ordinary byte). */
static size_t double_quote_escape(const char *s, size_t n, size_t r, char *out)
{
    int h1, h2;
    if (at(s, n, r + 1) == 'x' && (h1 = hex_val(at(s, n, r + 2))) >= 0 &&
        (h2 = hex_val(at(s, n, r + 3))) >= 0) {
        *out = (char)(h1 * 16 + h2);
        return 4;
    }
    int e = at(s, n, r + 1);
    switch (e) {
    case 0: return 0;
    case 'n': e = '\n'; break;
    case 'r': e = '\r'; break;
    case 't': e = '\t'; break;
    case 'b': e = '\b'; break;
    case 'a': e = '\a'; break;
    default: break; /* any other byte stands for itself, \" and \\ too */
    }
    *out = (char)e;
    return 2;
}

/* A quoted section (quote q is '"' or '\''), from the byte after the opening
 * quote; moves *r past the closing quote and writes the unquoted bytes at
 * *w. Returns -1 for unbalanced quotes: no closing quote, or one followed by
 * something other than a space or the end of the line. */
static int copy_quoted(char *s, size_t n, size_t *r_io, size_t *w_io, int q)
{
    size_t r = *r_io, w = *w_io;
    for (;;) {
        int c = at(s, n, r);
        if (c == 0)
            return -1;
        if (c == q) {
            int next = at(s, n, r + 1);
            if (next && !is_space(next))
                return -1;
            r++;
            break;
        }
        size_t k = 0;
        if (c == '\\' && q == '"') {
            k = double_quote_escape(s, n, r, &s[w]);
        } else if (c == '\\' && at(s, n, r + 1) == '\'') {
            s[w] = '\'';
            k = 2;
        }
        if (k == 0) {
            s[w] = (char)c;
            k = 1;
        }
        w++;
        r += k;
    }
    *r_io = r;
    *w_io = w;
    return 0;
}

/* One argument of an inline line, starting at s[*r] (not a space), by the
 * rules of Redis's sdssplitargs. Unescapes in place: every output byte uses
 * up at least one input byte, so writing at w <= r is safe. Returns the
 * argument's length, or -1 for unbalanced quotes. */
static long long split_one(char *s, size_t n, size_t *r_io)
{
    size_t r = *r_io, w = r;
    size_t start = w;
    for (;;) {
        int c = at(s, n, r);
        /* Only these end an unquoted argument: "a\vb" is one argument. */
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0)
            break;
        r++;
        if (c == '"' || c == '\'') {
            /* A quote may open mid-argument (a"b c" is "ab c"), but its
             * closing quote always ends the argument. */
            if (copy_quoted(s, n, &r, &w, c) < 0)
                return -1;
            break;
        }
        s[w++] = (char)c;
    }
    *r_io = r;
    return (long long)(w - start);
}

static int parse_inline(resp_parser *p, char *buf, size_t len, size_t *consumed)
{
    size_t nl;
    int rc = find_line(p, buf, len, '\n', &nl);
    if (rc == LINE_MORE)
        return RESP_NEED_MORE;
    if (rc == LINE_TOO_BIG)
        return set_error(p, "too big inline request");

    size_t n = nl;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    size_t r = 0;
    for (;;) {
        while (r < n && is_space((unsigned char)buf[r]))
            r++;
        if (r == n)
            break;
        size_t start = r;
        long long alen = split_one(buf, n, &r);
        if (alen < 0)
            return set_error(p, "unbalanced quotes in request");
        /* A line holds at most RESP_INLINE_MAX / 2 + 1 arguments. */
        grow_for_one(p, INT_MAX);
        add_arg(p, start, (size_t)alen);
    }
    p->pos = nl + 1;
    return finish(p, buf, consumed);
}

static void start_request(resp_parser *p, char first)
{
    if (p->cap > ARGS_KEEP)
        free_arrays(p);
    p->kind = first == '*' ? '*' : 'i';
    p->pos = 0;
    p->argc = 0;
    p->bulk_len = -1;
    p->mbulk_left = -1;
}

int resp_parse(resp_parser *p, char *buf, size_t len, size_t *consumed)
{
    *consumed = 0;
    if (p->kind == 0) {
        if (len == 0)
            return RESP_NEED_MORE;
        start_request(p, buf[0]);
    }
    if (p->kind == '*')
        return parse_multibulk(p, buf, len, consumed);
    return parse_inline(p, buf, len, consumed);
}

size_t resp_bulk_missing(const resp_parser *p, size_t len)
{
    if (p->kind != '*' || p->mbulk_left <= 0 || p->bulk_len < 0)
        return 0;
    unsigned long long need = (unsigned long long)p->bulk_len + 2;
    size_t have = len > p->pos ? len - p->pos : 0;
    return need > have ? (size_t)(need - have) : 0;
}
