/* test_compat: differential tests. Each test runs a script of commands on
 * respd and on a real redis-server, over fresh connections to both after a
 * FLUSHALL, and compares the reply bytes exactly. Most scripts run twice:
 * in RESP2, and again on connections that sent HELLO 3 first.
 *
 * A script step is a command line split like redis-cli splits it ("double
 * quotes" with \xHH escapes, 'single quotes') and sent as a multibulk
 * request. A step may start with %FLAGS (then a space) to change how it runs:
 *   r    send the rest of the step as raw bytes instead (C escapes apply);
 *        with nothing after the flags, send nothing and read the next reply
 *   n    expect no reply (CLIENT REPLY OFF/SKIP, an empty inline line)
 *   c    the server closes the connection after this reply (compared too);
 *        later steps use new connections
 *   s    compare only the shape: types and aggregate sizes, not the values
 *   u    compare a top-level array as an unordered collection
 *   tN   both replies are integers within N of each other (TTLs)
 *   A    both replies are aggregates, of any size (HELP texts)
 *   2    run on a second connection of each server
 *   wN   sleep N ms before the step
 *   K    a known discrepancy whose cause lies outside the command handlers
 *        (parser, encoder, command table, config ...): it is reported as
 *        KNOWN but fails the test only when RESPD_ITEST_STRICT is set, and
 *        a note says so when it starts to match
 * Placeholders expand per server: {id}/{id2} the client id of the first or
 * second connection, {addr}/{addr2} its address as the server sees it,
 * {laddr} the server's address; and the same for both servers: {t+N} unix
 * seconds N from now, {pt+N} unix ms N from now (also t-N, pt-N).
 *
 * Where replies legitimately differ (ids, times, addresses, INFO contents,
 * COMMAND COUNT) the step compares the shape. Without redis-server every
 * test is skipped.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>

static h_server respd_srv, redis_srv;
static int have_redis;
/* RESPD_ITEST_VERBOSE=1 prints every step's two replies; RESPD_ITEST_STRICT=1
 * makes known discrepancies (K) fail too. */
static int verbose, strict;

/* ---- one server's side of a script ------------------------------------------ */

typedef struct side {
    const char *name;
    int port;
    int proto;
    h_conn *c[2];
    long long id[2];
} side;

static h_conn *side_conn(side *s, int which)
{
    if (s->c[which])
        return s->c[which];
    h_conn *c = h_connect(s->port, 2000);
    if (!c)
        return NULL;
    char *r = h_call(c, "CLIENT ID");
    long long id = -1;
    if (h_reply_int(r, &id) < 0) {
        free(r);
        h_close(c);
        return NULL;
    }
    free(r);
    if (s->proto == 3) {
        r = h_call(c, "HELLO 3");
        if (!r || r[0] != '%') {
            free(r);
            h_close(c);
            return NULL;
        }
        free(r);
    }
    s->c[which] = c;
    s->id[which] = id;
    return c;
}

static void side_drop(side *s, int which)
{
    h_close(s->c[which]);
    s->c[which] = NULL;
}

static void side_fini(side *s)
{
    side_drop(s, 0);
    side_drop(s, 1);
}

/* "127.0.0.1:port" of our end of the connection (the server's "addr"). */
static void sock_addr(int fd, int peer, char *buf, size_t size)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    int rc = peer ? getpeername(fd, (struct sockaddr *)&sa, &sl)
                  : getsockname(fd, (struct sockaddr *)&sa, &sl);
    if (rc < 0) {
        snprintf(buf, size, "?");
        return;
    }
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
    snprintf(buf, size, "%s:%d", ip, ntohs(sa.sin_port));
}

static long long wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Expands the placeholders of line for side s. base_ms is the wall clock
 * fixed for this step, so both servers see the same times. */
static char *expand(side *s, const char *line, long long base_ms)
{
    size_t cap = strlen(line) + 256, len = 0;
    char *out = malloc(cap);
    for (const char *p = line; *p;) {
        char val[128];
        int used = 0;
        val[0] = '\0';
        if (*p == '{') {
            const char *end = strchr(p, '}');
            if (end) {
                char name[32];
                size_t n = (size_t)(end - p - 1);
                if (n < sizeof(name)) {
                    memcpy(name, p + 1, n);
                    name[n] = '\0';
                    long long off;
                    char sign;
                    if (!strcmp(name, "id") || !strcmp(name, "id2")) {
                        int w = name[2] == '2';
                        side_conn(s, w);
                        snprintf(val, sizeof(val), "%lld", s->id[w]);
                        used = 1;
                    } else if (!strcmp(name, "addr") || !strcmp(name, "addr2")) {
                        h_conn *c = side_conn(s, name[4] == '2');
                        if (c)
                            sock_addr(c->fd, 0, val, sizeof(val));
                        used = 1;
                    } else if (!strcmp(name, "laddr")) {
                        h_conn *c = side_conn(s, 0);
                        if (c)
                            sock_addr(c->fd, 1, val, sizeof(val));
                        used = 1;
                    } else if (sscanf(name, "pt%c%lld", &sign, &off) == 2) {
                        snprintf(val, sizeof(val), "%lld", base_ms + (sign == '-' ? -off : off));
                        used = 1;
                    } else if (sscanf(name, "t%c%lld", &sign, &off) == 2) {
                        snprintf(val, sizeof(val), "%lld",
                                 base_ms / 1000 + (sign == '-' ? -off : off));
                        used = 1;
                    }
                    if (used)
                        p = end + 1;
                }
            }
        }
        if (!used) {
            val[0] = *p++;
            val[1] = '\0';
        }
        size_t vl = strlen(val);
        if (len + vl + 1 > cap) {
            cap = (len + vl + 1) * 2;
            out = realloc(out, cap);
        }
        memcpy(out + len, val, vl);
        len += vl;
    }
    out[len] = '\0';
    return out;
}

/* ---- comparing replies ---------------------------------------------------------- */

/* Appends the shape of the reply at b[*pos]: its type and, for aggregates,
 * the element count, recursively; scalar values are left out. */
static int shape_of(const char *b, size_t len, size_t *pos, char *sig, size_t *sl, size_t cap)
{
    long one = h_reply_len(b + *pos, len - *pos);
    if (one <= 0)
        return -1;
    char t = b[*pos];
    const char *nl = strstr(b + *pos, "\r\n");
    long long n = atoll(b + *pos + 1);
    int agg = strchr("*%~>|", t) != NULL;
    int w;
    if (agg)
        w = snprintf(sig + *sl, cap - *sl, "%c%lld[", t, n);
    else if (t == '$' && n < 0)
        w = snprintf(sig + *sl, cap - *sl, "$-1 ");
    else
        w = snprintf(sig + *sl, cap - *sl, "%c ", t);
    if (w < 0 || (size_t)w >= cap - *sl)
        return -1;
    *sl += (size_t)w;
    if (!agg) {
        *pos += (size_t)one;
        return 0;
    }
    *pos = (size_t)(nl - b) + 2;
    long long items = t == '%' ? 2 * n : t == '|' ? 2 * n : n;
    for (long long i = 0; i < items; i++)
        if (shape_of(b, len, pos, sig, sl, cap) < 0)
            return -1;
    if (*sl + 2 >= cap)
        return -1;
    sig[(*sl)++] = ']';
    sig[*sl] = '\0';
    if (t == '|')
        return shape_of(b, len, pos, sig, sl, cap);
    return 0;
}

static char *shape(const char *r)
{
    size_t cap = 65536, sl = 0, pos = 0;
    char *sig = malloc(cap);
    sig[0] = '\0';
    if (!r || shape_of(r, strlen(r), &pos, sig, &sl, cap) < 0)
        snprintf(sig, cap, "(invalid)");
    return sig;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A canonical form of the reply at b[*pos] in which the elements of every
 * array and set are sorted (map entries stay pairs and are sorted as pairs),
 * so that two replies differing only in order compare equal. */
static char *canon_at(const char *b, size_t len, size_t *pos)
{
    long one = h_reply_len(b + *pos, len - *pos);
    if (one <= 0)
        return NULL;
    char t = b[*pos];
    long long n = atoll(b + *pos + 1);
    if (!strchr("*~%", t) || n <= 0) {
        char *r = strndup(b + *pos, (size_t)one);
        *pos += (size_t)one;
        return r;
    }
    const char *nl = strstr(b + *pos, "\r\n");
    size_t hlen = (size_t)(nl - (b + *pos)) + 2;
    char *head = strndup(b + *pos, hlen);
    *pos += hlen;
    int group = t == '%' ? 2 : 1;
    char **el = calloc((size_t)n, sizeof(char *));
    size_t total = hlen + 1;
    for (long long i = 0; i < n; i++) {
        size_t cap = 0, l = 0;
        el[i] = NULL;
        for (int g = 0; g < group; g++) {
            char *part = canon_at(b, len, pos);
            if (!part)
                part = strdup("?");
            size_t pl = strlen(part);
            if (l + pl + 1 > cap) {
                cap = (l + pl + 1) * 2;
                el[i] = realloc(el[i], cap);
            }
            memcpy(el[i] + l, part, pl + 1);
            l += pl;
            free(part);
        }
        total += l;
    }
    qsort(el, (size_t)n, sizeof(char *), cmp_str);
    char *out = malloc(total);
    size_t o = hlen;
    memcpy(out, head, hlen);
    for (long long i = 0; i < n; i++) {
        size_t l = strlen(el[i]);
        memcpy(out + o, el[i], l);
        o += l;
        free(el[i]);
    }
    out[o] = '\0';
    free(el);
    free(head);
    return out;
}

static char *unordered(const char *r)
{
    size_t pos = 0;
    char *c = r ? canon_at(r, strlen(r), &pos) : NULL;
    return c ? c : strdup(r ? r : "");
}

/* ---- running a script -------------------------------------------------------------- */

typedef struct flags {
    int raw, noreply, closed, shape, unordered, tol, agg, conn2, wait_ms, known;
} flags;

static const char *parse_flags(const char *step, flags *f)
{
    memset(f, 0, sizeof(*f));
    f->tol = -1;
    if (step[0] != '%')
        return step;
    const char *p = step + 1;
    while (*p && *p != ' ') {
        char ch = *p++;
        switch (ch) {
        case 'r': f->raw = 1; break;
        case 'n': f->noreply = 1; break;
        case 'c': f->closed = 1; break;
        case 's': f->shape = 1; break;
        case 'u': f->unordered = 1; break;
        case 'A': f->agg = 1; break;
        case '2': f->conn2 = 1; break;
        case 'K': f->known = 1; break;
        case 't': f->tol = (int)strtol(p, (char **)&p, 10); break;
        case 'w': f->wait_ms = (int)strtol(p, (char **)&p, 10); break;
        default: fail_msg("bad step flag '%c' in: %s", ch, step);
        }
    }
    return *p ? p + 1 : p;
}

/* Turns C-style escapes (\r \n \t \\ \xHH) of a raw step into bytes. */
static char *unescape_raw(const char *s, size_t *outlen)
{
    size_t n = strlen(s), o = 0;
    char *out = malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            char e = s[++i];
            if (e == 'r')
                out[o++] = '\r';
            else if (e == 'n')
                out[o++] = '\n';
            else if (e == 't')
                out[o++] = '\t';
            else if (e == '0')
                out[o++] = '\0';
            else if (e == 'x' && i + 2 < n) {
                char hex[3] = {s[i + 1], s[i + 2], 0};
                out[o++] = (char)strtol(hex, NULL, 16);
                i += 2;
            } else
                out[o++] = e;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* Sends one step on one side. Returns 0, or -1 if it could not be sent. */
static int send_step(side *s, const flags *f, const char *line)
{
    h_conn *c = side_conn(s, f->conn2);
    if (!c)
        return -1;
    if (f->raw) {
        size_t n;
        char *bytes = unescape_raw(line, &n);
        int rc = h_send(c, bytes, n);
        free(bytes);
        return rc;
    }
    size_t n;
    char *req = h_request(line, &n);
    if (!req)
        fail_msg("cannot split step: %s", line);
    int rc = h_send(c, req, n);
    free(req);
    return rc;
}

static int report(const char *test, int stepno, const char *step, const char *why,
                  const char *a, const char *b)
{
    char *ea = h_escape(a ? a : "(no reply)", a ? strlen(a) : 10, 600);
    char *eb = h_escape(b ? b : "(no reply)", b ? strlen(b) : 10, 600);
    fprintf(stderr, "MISMATCH %s step %d [%s] %s\n  respd: %s\n  redis: %s\n", test, stepno,
            step, why, ea, eb);
    free(ea);
    free(eb);
    return 1;
}

/* Compares two replies as the flags say. Returns 1 on a mismatch (reported). */
static int compare(const char *test, int stepno, const char *step, const flags *f,
                   const char *a, const char *b)
{
    if (!a || !b) {
        if (!a && !b)
            return 0;
        return report(test, stepno, step, "one side gave no reply", a, b);
    }
    if (f->tol >= 0) {
        long long x, y;
        if (h_reply_int(a, &x) < 0 || h_reply_int(b, &y) < 0 || llabs(x - y) > f->tol)
            return report(test, stepno, step, "integers differ beyond tolerance", a, b);
        return 0;
    }
    if (f->agg) {
        if (!strchr("*%~", a[0]) || a[0] != b[0])
            return report(test, stepno, step, "not both aggregates of one type", a, b);
        return 0;
    }
    if (f->shape) {
        char *sa = shape(a), *sb = shape(b);
        int bad = strcmp(sa, sb) != 0;
        if (bad)
            report(test, stepno, step, "shapes differ", sa, sb);
        free(sa);
        free(sb);
        return bad;
    }
    if (f->unordered) {
        char *ua = unordered(a), *ub = unordered(b);
        int bad = strcmp(ua, ub) != 0;
        if (bad)
            report(test, stepno, step, "unordered contents differ", a, b);
        free(ua);
        free(ub);
        return bad;
    }
    if (strcmp(a, b) != 0)
        return report(test, stepno, step, "bytes differ", a, b);
    return 0;
}

/* Runs a script on both servers with the given protocol; returns the
 * number of mismatching steps (each reported on stderr). */
static int run_script_proto(const char *test, const char *const *steps, int proto)
{
    side sides[2] = {{.name = "respd", .port = respd_srv.port, .proto = proto},
                     {.name = "redis", .port = redis_srv.port, .proto = proto}};
    int bad = 0;
    for (int i = 0; i < 2; i++) {
        h_conn *c = side_conn(&sides[i], 0);
        assert_non_null(c);
        char *r = h_call(c, "FLUSHALL");
        assert_non_null(r);
        free(r);
    }
    for (int k = 0; steps[k]; k++) {
        flags f;
        const char *line = parse_flags(steps[k], &f);
        if (f.wait_ms)
            h_sleep_ms(f.wait_ms);
        long long base = wall_ms();
        long long t0 = h_now_ms();
        char *reply[2] = {NULL, NULL};
        int closed[2] = {0, 0};
        for (int i = 0; i < 2; i++) {
            char *exp = expand(&sides[i], line, base);
            int rc = send_step(&sides[i], &f, exp);
            free(exp);
            if (rc < 0) {
                closed[i] = 1; /* a send that fails means the peer is gone */
                continue;
            }
            if (f.noreply)
                continue;
            h_conn *c = sides[i].c[f.conn2];
            /* A known discrepancy may be a missing reply: wait less for it. */
            if (h_read_reply(c, f.known ? 500 : 2500, &reply[i], NULL) < 0)
                reply[i] = NULL;
            if (f.closed)
                closed[i] = h_wait_closed(c, 1500);
        }
        if (verbose) {
            char *ea = h_escape(reply[0] ? reply[0] : "-", reply[0] ? strlen(reply[0]) : 1, 300);
            char *eb = h_escape(reply[1] ? reply[1] : "-", reply[1] ? strlen(reply[1]) : 1, 300);
            fprintf(stderr, "STEP %s/resp%d %d [%s] %lld ms\n  respd: %s\n  redis: %s\n", test,
                    proto, k, steps[k], h_now_ms() - t0, ea, eb);
            free(ea);
            free(eb);
        }
        if (!f.noreply) {
            char tag[48];
            snprintf(tag, sizeof(tag), "%s%s/resp%d", f.known ? "(KNOWN) " : "", test, proto);
            int differs = compare(tag, k, steps[k], &f, reply[0], reply[1]);
            if (!differs && f.closed && closed[0] != closed[1]) {
                report(tag, k, steps[k], closed[0] ? "respd closed, redis did not"
                                                   : "redis closed, respd did not",
                       reply[0], reply[1]);
                differs = 1;
            }
            if (differs && (!f.known || strict))
                bad++;
            if (!differs && f.known)
                fprintf(stderr, "NOTE %s step %d [%s] matches in this protocol (drop its K flag once it matches in both)\n", tag, k,
                        steps[k]);
            for (int i = 0; i < 2; i++) {
                /* After a lost reply or a close, start over on new
                 * connections so one difference does not cascade. */
                if (!reply[i] || !reply[1 - i] || f.closed) {
                    side_drop(&sides[i], f.conn2);
                }
            }
        }
        free(reply[0]);
        free(reply[1]);
    }
    side_fini(&sides[0]);
    side_fini(&sides[1]);
    return bad;
}

/* Restarts respd when an earlier test crashed it, so one crash fails one
 * test instead of all that follow. Returns 1 if it had died. */
static int respd_revive(void)
{
    if (respd_srv.pid > 0 && h_server_wait(&respd_srv, 0) == -2)
        return 0;
    char *log = h_server_log(&respd_srv);
    fprintf(stderr, "respd died (status %d); its log:\n%s\n", respd_srv.status,
            log ? log : "(none)");
    free(log);
    h_server_cleanup(&respd_srv);
    assert_int_equal(h_respd_start(&respd_srv, NULL, NULL), 0);
    return 1;
}

static void run_script(const char *test, const char *const *steps, int resp3_too)
{
    if (!have_redis)
        skip();
    respd_revive();
    int bad = run_script_proto(test, steps, 2);
    if (!respd_revive() && resp3_too)
        bad += run_script_proto(test, steps, 3);
    if (respd_revive())
        fail_msg("respd crashed during %s", test);
    assert_int_equal(bad, 0);
}

#define RUN(steps) run_script(__func__, steps, 1)
#define RUN2(steps) run_script(__func__, steps, 0)

/* ---- connection commands ---------------------------------------------------------- */

static void test_compat_ping_echo(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "PING",
        "ping",
        "PiNg hello",
        "PING \"\"",
        "PING \"a\\x00b\\r\\n\"",
        "PING a b",
        "ECHO hello",
        "ECHO \"\"",
        "ECHO \"\\xff\\x00\\r\\n\"",
        "ECHO",
        "ECHO a b",
        NULL,
    };
    RUN(steps);
}

static void test_compat_select(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SELECT 0",
        "SELECT 15",
        "SELECT 16",
        "SELECT -1",
        "SELECT abc",
        "SELECT 1.5",
        "SELECT \"\"",
        "SELECT 99999999999",
        "SELECT 01",
        "SELECT",
        "SELECT 1 2",
        "SELECT 1",
        "SET k db1",
        "SELECT 0",
        "GET k",
        "SET k db0",
        "SELECT 1",
        "GET k",
        NULL,
    };
    RUN(steps);
}

static void test_compat_swapdb(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SET a in0",
        "SELECT 1",
        "SET b in1",
        "SELECT 0",
        "SWAPDB 0 1",
        "GET a",
        "GET b",
        "SWAPDB 0 0",
        "GET b",
        "SWAPDB 0 16",
        "SWAPDB 16 0",
        "SWAPDB -1 0",
        "SWAPDB a 1",
        "SWAPDB 0 b",
        "SWAPDB 0",
        "SWAPDB 0 1 2",
        "SWAPDB 16 abc",
        "SWAPDB abc 16",
        "SWAPDB 99999999999 0",
        "SWAPDB 0 99999999999",
        "SWAPDB 16 17",
        "SWAPDB 1 0",
        "GET a",
        "DBSIZE",
        NULL,
    };
    RUN(steps);
}

static void test_compat_hello(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "%s HELLO",
        "%s HELLO 2",
        "HELLO 4",
        "HELLO 1",
        "HELLO 0",
        "HELLO -1",
        "HELLO abc",
        "HELLO 2.5",
        "%s HELLO 2 AUTH default anything",
        "HELLO 2 AUTH nobody pass",
        "HELLO 2 AUTH default",
        "HELLO 2 AUTH",
        "%s HELLO 2 SETNAME myname",
        "CLIENT GETNAME",
        "HELLO 2 SETNAME \"a b\"",
        "HELLO 2 SETNAME",
        "HELLO 2 FOO",
        "HELLO 2 SETNAME x FOO",
        "HELLO 3 SETNAME \"a b\" FOO",
        "HELLO 3 AUTH nobody x SETNAME \"a b\"",
        "HELLO 3 AUTH nobody x FOO",
        "HELLO 3 FOO AUTH nobody x",
        "HELLO 3 SETNAME ok SETNAME \"a b\"",
        "CLIENT GETNAME",
        "GET missing",
        "%s HELLO 3",
        "GET missing",
        "%s hello 2",
        "GET missing",
        NULL,
    };
    RUN(steps);
}

static void test_compat_auth(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "AUTH secret",
        "AUTH default anything",
        "AUTH nobody secret",
        "AUTH a b c",
        "AUTH",
        "PING",
        NULL,
    };
    RUN(steps);
}

static void test_compat_reset(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SELECT 1",
        "SET k v1",
        "CLIENT SETNAME foo",
        "RESET",
        "CLIENT GETNAME",
        "GET k",
        "%s HELLO 3 SETNAME n",
        "RESET",
        "GET k",
        "CLIENT GETNAME",
        "RESET x",
        "reset",
        "%n CLIENT REPLY OFF",
        "%K RESET",
        "PING",
        NULL,
    };
    RUN2(steps);
}

static void test_compat_client_names(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "%s CLIENT ID",
        "CLIENT GETNAME",
        "CLIENT SETNAME foo",
        "CLIENT GETNAME",
        "CLIENT SETNAME \"a b\"",
        "CLIENT SETNAME \"a\\nb\"",
        "CLIENT SETNAME \"\\x7f\"",
        "CLIENT GETNAME",
        "CLIENT SETNAME \"\"",
        "CLIENT GETNAME",
        "CLIENT SETNAME",
        "CLIENT SETNAME a b",
        "CLIENT GETNAME x",
        "CLIENT ID x",
        "client setname Mixed~Case!",
        "client getname",
        "CLIENT",
        "CLIENT FOO",
        "CLIENT foo bar",
        "%A CLIENT HELP",
        NULL,
    };
    RUN(steps);
}

static void test_compat_client_reply(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "%n CLIENT REPLY OFF",
        "%n SET a 1",
        "%n GET a",
        "%n CLIENT REPLY SKIP",
        "CLIENT REPLY ON",
        "GET a",
        "%n CLIENT REPLY SKIP",
        "%n GET a",
        "PING",
        "CLIENT REPLY FOO",
        "CLIENT REPLY",
        "CLIENT REPLY ON x",
        "client reply on",
        NULL,
    };
    RUN(steps);
}

static void test_compat_client_info_list(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "%s CLIENT INFO",
        "CLIENT INFO x",
        "%s CLIENT LIST ID {id}",
        "%s CLIENT LIST ID {id} 999999",
        "%s CLIENT LIST ID 999999",
        "CLIENT LIST ID abc",
        "CLIENT LIST ID 0",
        "CLIENT LIST ID -1",
        "CLIENT LIST ID",
        "%s CLIENT LIST TYPE master",
        "%s CLIENT LIST TYPE replica",
        "%s CLIENT LIST TYPE pubsub",
        "CLIENT LIST TYPE foo",
        "CLIENT LIST TYPE",
        "CLIENT LIST FOO",
        "CLIENT LIST FOO bar",
        NULL,
    };
    RUN(steps);
}

static void test_compat_client_kill(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "CLIENT KILL 1.2.3.4:5",
        "CLIENT KILL ID abc",
        "CLIENT KILL ID 0",
        "CLIENT KILL ID -5",
        "CLIENT KILL ID 999999",
        "CLIENT KILL ID",
        "CLIENT KILL ADDR 1.2.3.4:5",
        "CLIENT KILL LADDR 1.2.3.4:5",
        "CLIENT KILL TYPE master",
        "CLIENT KILL TYPE foo",
        "CLIENT KILL USER nobody",
        "CLIENT KILL USER DEFAULT",
        "CLIENT KILL USER default ID 999999",
        "CLIENT KILL SKIPME maybe",
        "CLIENT KILL SKIPME yes ID 999999",
        /* No MAXAGE: respd accepts Redis 7.4's filter, 7.0 does not (see
         * test_clientctl.c). */
        "CLIENT KILL FOO bar",
        "CLIENT KILL",
        "%2 PING",
        "CLIENT KILL ID {id2}",
        "%2c PING",
        "%2 PING",
        "CLIENT KILL ADDR {addr2}",
        "%2c PING",
        "%2 PING",
        "CLIENT KILL {addr2}",
        "%2c PING",
        "CLIENT KILL ID {id}",
        "CLIENT KILL ADDR {addr} SKIPME yes",
        "%c CLIENT KILL ID {id} SKIPME no",
        "PING",
        NULL,
    };
    RUN(steps);
}

/* ---- strings ------------------------------------------------------------------------ */

static void test_compat_get_set(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "GET k",
        "SET k v",
        "GET k",
        "SET k \"\"",
        "GET k",
        "SET \"\" empty",
        "GET \"\"",
        "SET k \"bin\\x00ary\\r\\n\"",
        "GET k",
        "SET k",
        "SET",
        "GET",
        "GET a b",
        "SET k v extra",
        "set k v",
        NULL,
    };
    RUN(steps);
}

static void test_compat_set_options(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SET k v NX",
        "SET k v2 NX",
        "GET k",
        "SET k v3 XX",
        "GET k",
        "SET n v XX",
        "GET n",
        "SET k v NX XX",
        "SET k v XX NX",
        "SET k v NX NX",
        "SET k v GET",
        "SET k v2 GET GET",
        "SET m v GET",
        "GET m",
        "SET k v4 NX GET",
        "GET k",
        "SET k2 v NX GET",
        "GET k2",
        "SET k v5 XX GET",
        "SET k3 v XX GET",
        "EXISTS k3",
        "set k v ex 100 nx",
        "SET k v nx ex 100",
        "SET k v Px 100000 xx gEt",
        NULL,
    };
    RUN(steps);
}

static void test_compat_set_expire(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SET k v EX 100",
        "%t1 TTL k",
        "SET k v PX 100000",
        "%t1000 PTTL k",
        "SET k v EXAT {t+200}",
        "EXPIRETIME k",
        "SET k v PXAT {pt+200000}",
        "PEXPIRETIME k",
        "SET k v EX 100 PX 100",
        "SET k v EX 100 EX 100",
        "SET k v EX 100 EXAT {t+100}",
        "SET k v PXAT {pt+100} PX 100",
        "SET k v EX",
        "SET k v PX",
        "SET k v EX 0",
        "SET k v EX -1",
        "SET k v PX 0",
        "SET k v PX -100",
        "SET k v EXAT 0",
        "SET k v PXAT -1",
        "SET k v EX abc",
        "SET k v EX 1.5",
        "SET k v EX \" 10\"",
        "SET k v EX 9223372036854775807",
        "SET k v EX 9223372036854775",
        "SET k v EX 9223372036854776",
        "SET k v PX 9223372036854775807",
        "SET k v PX 9223372036854775000",
        "SET k v EXAT 9223372036854775",
        "SET k v EXAT 9223372036854776",
        "SET k v PXAT 9223372036854775807",
        "SET k v EX 9223372036854775808",
        "TTL k",
        "SET k v EXAT 1",
        "GET k",
        "EXISTS k",
        "SET k v PXAT 1",
        "EXISTS k",
        "SET k v EX 100",
        "SET k v2 KEEPTTL",
        "%t1 TTL k",
        "GET k",
        "SET k v3",
        "TTL k",
        "SET k v KEEPTTL EX 100",
        "SET k v EX 100 KEEPTTL",
        "SET k v KEEPTTL KEEPTTL",
        "SET new v KEEPTTL",
        "TTL new",
        "SET k v EX 100 GET",
        "SET k v2 KEEPTTL GET",
        "%t1 TTL k",
        "SET k v EX 100 XX GET",
        "SET k v PX 100 NX",
        "%t1 TTL k",
        NULL,
    };
    RUN(steps);
}

static void test_compat_setnx_setex_psetex(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SETNX k v",
        "SETNX k v2",
        "GET k",
        "SETNX k",
        "SETNX k v x",
        "SETEX k 100 v",
        "%t1 TTL k",
        "SETEX k 0 v",
        "SETEX k -5 v",
        "SETEX k abc v",
        "SETEX k 9223372036854775807 v",
        "SETEX k 100",
        "SETEX k 100 v x",
        "PSETEX k 100000 v",
        "%t1000 PTTL k",
        "PSETEX k 0 v",
        "PSETEX k -1 v",
        "PSETEX k 1.5 v",
        "PSETEX k 9223372036854775807 v",
        "PSETEX k 100",
        "GET k",
        NULL,
    };
    RUN(steps);
}

static void test_compat_mget_mset(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "MSET a 1 b 2 c 3",
        "MGET a b c missing",
        "MGET missing",
        "MGET",
        "MSET a",
        "MSET a 1 b",
        "MSET",
        "MSET a 10 a 11",
        "GET a",
        "SET t 1 EX 100",
        "MSET t 2",
        "TTL t",
        "SET t 1 EX 100",
        "MSETNX t 3 u 4",
        "%t1 TTL t",
        "SETNX t 5",
        "%t1 TTL t",
        "MSETNX a 1 z 26",
        "EXISTS z",
        "MSETNX x 1 y 2",
        "MGET x y",
        "MSETNX p 1 p 2",
        "GET p",
        "MSETNX q",
        "MSETNX q 1 r",
        NULL,
    };
    RUN(steps);
}

static void test_compat_getset_getdel_getex(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "GETSET k v1",
        "GETSET k v2",
        "GET k",
        "GETSET k",
        "SET k v EX 100",
        "GETSET k v3",
        "TTL k",
        "GETDEL k",
        "GETDEL k",
        "EXISTS k",
        "GETDEL",
        "GETDEL a b",
        "SET k v",
        "GETEX k",
        "GETEX missing",
        "GETEX missing EX 10",
        "GETEX k EX 100",
        "%t1 TTL k",
        "GETEX k PX 200000",
        "%t1 TTL k",
        "GETEX k EXAT {t+300}",
        "EXPIRETIME k",
        "GETEX k PXAT {pt+400000}",
        "PEXPIRETIME k",
        "GETEX k PERSIST",
        "TTL k",
        "GETEX k EX 100 PERSIST",
        "GETEX k PERSIST EX 100",
        "GETEX k PERSIST PERSIST",
        "GETEX k EX 10 PX 10",
        "GETEX k KEEPTTL",
        "GETEX k NX",
        "GETEX k GET",
        "GETEX k FOO",
        "GETEX k EX",
        "GETEX k EX 0",
        "GETEX k EX -1",
        "GETEX k PX 0",
        "GETEX k EX abc",
        "GETEX k EX 9223372036854775807",
        "GETEX k EXAT 1",
        "EXISTS k",
        "GETEX",
        /* A missing key or another type is answered before the expire
         * time is read (found by a random differential run). */
        "GETEX missing EX abc",
        "GETEX missing EX 0",
        "GETEX missing PX 99999999999999999",
        "RPUSH l a",
        "GETEX l EX abc",
        "GETEX l EXAT -5",
        "GETEX l FOO",
        NULL,
    };
    RUN(steps);
}

static void test_compat_append_strlen(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "APPEND k Hello",
        "APPEND k \" World\"",
        "GET k",
        "APPEND k \"\"",
        "APPEND e \"\"",
        "EXISTS e",
        "GET e",
        "STRLEN k",
        "STRLEN e",
        "STRLEN missing",
        "APPEND n 12",
        "APPEND n 34",
        "INCR n",
        "STRLEN n",
        "SET big 123456789",
        "STRLEN big",
        "APPEND k",
        "STRLEN",
        "STRLEN a b",
        "SET t v EX 100",
        "APPEND t w",
        "%t1 TTL t",
        NULL,
    };
    RUN(steps);
}

static void test_compat_getrange_substr(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SET s \"Hello World\"",
        "GETRANGE s 0 4",
        "GETRANGE s -5 -1",
        "GETRANGE s -1 -5",
        "GETRANGE s 5 3",
        "GETRANGE s 0 -1",
        "GETRANGE s -100 -1",
        "GETRANGE s -100 -50",
        "GETRANGE s -100 3",
        "GETRANGE s 0 100",
        "GETRANGE s 100 200",
        "GETRANGE s -1 -1",
        "GETRANGE s 10 10",
        "GETRANGE s 11 11",
        "GETRANGE s 3 -100",
        "GETRANGE s -3 2",
        "GETRANGE s 0 0",
        "GETRANGE s 0 9223372036854775807",
        "GETRANGE s -9223372036854775808 9223372036854775807",
        "GETRANGE s -9223372036854775808 -9223372036854775808",
        "GETRANGE s 9223372036854775807 -1",
        "GETRANGE s a 1",
        "GETRANGE s 1 b",
        "GETRANGE s 1.5 2",
        "GETRANGE s 0 9223372036854775808",
        "GETRANGE missing 0 -1",
        "GETRANGE missing a b",
        "SET e \"\"",
        "GETRANGE e 0 -1",
        "GETRANGE e 0 0",
        "GETRANGE e -1 -1",
        "SET n 12345",
        "GETRANGE n 1 2",
        "GETRANGE n -2 -1",
        "GETRANGE s 0",
        "GETRANGE s 0 1 2",
        "SUBSTR s 0 4",
        "SUBSTR s -5 -1",
        "SUBSTR s -1 -5",
        "SUBSTR s 3 -100",
        "SUBSTR missing 0 1",
        "SUBSTR s x 1",
        "SUBSTR s 0",
        NULL,
    };
    RUN(steps);
}

static void test_compat_setrange(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SET s \"Hello World\"",
        "SETRANGE s 6 Redis",
        "GET s",
        "SETRANGE s 20 !",
        "GET s",
        "STRLEN s",
        "SETRANGE n 3 abc",
        "GET n",
        "SETRANGE s -1 x",
        "SETRANGE s abc x",
        "SETRANGE s 0 \"\"",
        "SETRANGE missing 0 \"\"",
        "SETRANGE missing 100 \"\"",
        "EXISTS missing",
        "SETRANGE missing -1 \"\"",
        "SETRANGE s 536870912 x",
        "SETRANGE s 536870911 xx",
        "SETRANGE s 9223372036854775807 x",
        "SETRANGE big 536870912 x",
        "EXISTS big",
        "SET t v EX 100",
        "SETRANGE t 1 x",
        "%t1 TTL t",
        "GET t",
        "SETRANGE s 0",
        "SETRANGE s",
        "CONFIG SET proto-max-bulk-len 1048576",
        "SETRANGE limit 1048575 x",
        "STRLEN limit",
        "APPEND limit y",
        "SETRANGE limit 1048576 x",
        "SETRANGE limit 1048575 xy",
        "SETRANGE limit 0 abc",
        "STRLEN limit",
        "CONFIG SET proto-max-bulk-len 536870912",
        "APPEND limit y",
        "STRLEN limit",
        "DEL limit",
        NULL,
    };
    RUN(steps);
}

/* Values APPEND and SETRANGE grow past 64 bytes move into a buffer with
 * spare room (obj_str_grow): every way of reading, copying, renaming,
 * expiring and replacing such a value must still answer as Redis does. */
static void test_compat_grown_strings(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "APPEND g 0123456789012345678901234567890123456789012345678901234567",
        "OBJECT ENCODING g",
        "APPEND g abcdefghij",
        "OBJECT ENCODING g",
        "APPEND g K",
        "GET g",
        "STRLEN g",
        "GETRANGE g 60 -1",
        "SETRANGE g 2 XY",
        "SETRANGE g 100 tail",
        "GET g",
        "SETRANGE g 69 Z",
        "GETRANGE g 60 104",
        "EXPIRE g 100",
        "%t1 TTL g",
        "APPEND g more",
        "%t1 TTL g",
        "PERSIST g",
        "TTL g",
        "COPY g g2",
        "APPEND g2 copy",
        "STRLEN g",
        "STRLEN g2",
        "RENAME g2 g3",
        "GET g3",
        "GETEX g3 PX 100000",
        "%t1 PTTL g3",
        "GETEX g3 PERSIST",
        "MOVE g3 1",
        "SELECT 1",
        "APPEND g3 !",
        "GETRANGE g3 -6 -1",
        "SELECT 0",
        "SETRANGE g 0 \"\"",
        "INCR g",
        "GETDEL g",
        "EXISTS g",
        "APPEND s 0123456789012345678901234567890123456789012345678901234567890123456789",
        "SET s short",
        "APPEND s er",
        "OBJECT ENCODING s",
        "GET s",
        NULL,
    };
    RUN(steps);
}

static void test_compat_incr_decr(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "INCR n",
        "INCR n",
        "DECR n",
        "DECR m",
        "INCRBY n 10",
        "INCRBY n -20",
        "DECRBY n 5",
        "DECRBY n -5",
        "GET n",
        "INCRBY n abc",
        "INCRBY n 1.5",
        "INCRBY n \"\"",
        "INCRBY n 9223372036854775808",
        "DECRBY n abc",
        "SET s abc",
        "INCR s",
        "DECR s",
        "INCRBY s 1",
        "SET s \" 1\"",
        "INCR s",
        "SET s \"1 \"",
        "INCR s",
        "SET s +1",
        "INCR s",
        "SET s 01",
        "INCR s",
        "SET s -0",
        "INCR s",
        "SET s 1.0",
        "INCR s",
        "SET s \"\"",
        "INCR s",
        "SET s 123456789012345678901",
        "INCR s",
        "SET max 9223372036854775807",
        "INCR max",
        "INCRBY max 0",
        "DECR max",
        "INCRBY max 1",
        "SET min -9223372036854775808",
        "DECR min",
        "DECRBY min 1",
        "INCRBY min -1",
        "INCRBY min 9223372036854775807",
        "SET z 0",
        "DECRBY z -9223372036854775808",
        "DECRBY z 9223372036854775807",
        "DECRBY z 1",
        "INCRBY z -9223372036854775808",
        "GET z",
        "SET t 5 EX 100",
        "INCR t",
        "%t1 TTL t",
        "INCR",
        "INCR a b",
        "INCRBY a",
        "DECRBY a",
        NULL,
    };
    RUN(steps);
}

static void test_compat_incrbyfloat(void **state)
{
    (void)state;
    if (h_wrapped())
        skip(); /* valgrind computes long double in 64 bits: the sums differ */
    static const char *const steps[] = {
        "INCRBYFLOAT f 1.5",
        "INCRBYFLOAT f 0.1",
        "INCRBYFLOAT f -1.6",
        "INCRBYFLOAT f 5.0e3",
        "INCRBYFLOAT f 2E-3",
        "INCRBYFLOAT f -5000.002",
        "SET f 10.50",
        "INCRBYFLOAT f 0.1",
        "SET f 3.0e3",
        "INCRBYFLOAT f 200",
        "SET f 0.1",
        "INCRBYFLOAT f 0.2",
        "INCRBYFLOAT g 1e-20",
        "INCRBYFLOAT h 123456789012345678",
        "INCRBYFLOAT h2 1.5e16",
        "INCRBYFLOAT h3 1e300",
        "INCRBYFLOAT h4 1e17",
        "INCRBYFLOAT h5 -1.5e-7",
        "INCRBYFLOAT h6 3.0000000000000001",
        "INCRBYFLOAT h7 0.1234567890123456789",
        "INCRBYFLOAT h8 -0.0",
        "INCRBYFLOAT h9 1e500",
        "STRLEN h9",
        "INCRBYFLOAT f inf",
        "INCRBYFLOAT f +inf",
        "INCRBYFLOAT f -inf",
        "INCRBYFLOAT f nan",
        "INCRBYFLOAT f abc",
        "INCRBYFLOAT f \"\"",
        "INCRBYFLOAT f \" 1\"",
        "INCRBYFLOAT f \"1 \"",
        "INCRBYFLOAT f 1e5000",
        "INCRBYFLOAT f 1e-5000",
        "INCRBYFLOAT f 0x10",
        "INCRBYFLOAT f 1.",
        "INCRBYFLOAT f .5",
        "INCRBYFLOAT f -0",
        "GET f",
        "SET big 1.7976931348623157e308",
        "INCRBYFLOAT big 1.7976931348623157e308",
        "GET big",
        "SET s abc",
        "INCRBYFLOAT s 1",
        "SET s inf",
        "INCRBYFLOAT s 1",
        "SET s \"\"",
        "INCRBYFLOAT s 1",
        "SET i 10",
        "INCRBYFLOAT i 5",
        "GET i",
        "SET t 5 EX 100",
        "INCRBYFLOAT t 1.5",
        "%t1 TTL t",
        "INCRBYFLOAT f",
        "INCRBYFLOAT",
        NULL,
    };
    RUN(steps);
}

/* ---- keys ----------------------------------------------------------------------------- */

static void test_compat_del_exists_type(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "MSET a 1 b 2 c 3",
        "EXISTS a",
        "EXISTS a a b missing",
        "DEL a missing",
        "DEL a",
        "UNLINK b c d",
        "UNLINK b",
        "EXISTS a b c",
        "DEL",
        "UNLINK",
        "EXISTS",
        "SET s v",
        "TYPE s",
        "TYPE missing",
        "TYPE",
        "TYPE a b",
        "DEL s s s",
        NULL,
    };
    RUN(steps);
}

static void test_compat_keys_patterns(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "MSET hello 1 hallo 2 hxllo 3 hllo 4 heeeello 5 hbllo 6 hcllo 7 hdllo 8",
        "MSET h[e]llo 9 h*llo 10 h?llo 11 \"h\\\\llo\" 12 foo 13 Hello 14 x 15",
        "%u KEYS *",
        "%u KEYS h?llo",
        "%u KEYS h*llo",
        "%u KEYS h[ae]llo",
        "%u KEYS h[^e]llo",
        "%u KEYS h[a-c]llo",
        "%u KEYS h[c-a]llo",
        "%u KEYS h[a-]llo",
        "%u KEYS \"h\\\\[e\\\\]llo\"",
        "%u KEYS \"h\\\\*llo\"",
        "%u KEYS \"h\\\\?llo\"",
        "%u KEYS \"h\\\\\\\\llo\"",
        "%u KEYS hello",
        "%u KEYS HELLO",
        "%u KEYS \"\"",
        "%u KEYS [",
        "%u KEYS h[",
        "%u KEYS h[e",
        "%u KEYS \"h\\\\\"",
        "%u KEYS ?",
        "%u KEYS **",
        "%u KEYS *o",
        "%u KEYS *l*o",
        "%u KEYS [hH]ello",
        "%u KEYS [^h]*",
        "%u KEYS [!h]*",
        "%u KEYS h[]llo",
        "%u KEYS h[]]llo",
        "%u KEYS h[a-c-e]llo",
        "%u KEYS h[\\\\]llo",
        "%u KEYS *e*e*e*e*",
        "%u KEYS ******o",
        "%u KEYS h?????o",
        "KEYS",
        "KEYS a b",
        NULL,
    };
    RUN(steps);
}

static void test_compat_scan_options(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SCAN 0",
        "SCAN 0 MATCH *",
        "SCAN 0 COUNT 10",
        "SCAN 0 TYPE string",
        "SCAN -1",
        "SCAN \"\"",
        "SCAN +0",
        "SCAN 00",
        "SCAN -18446744073709551615",
        "SCAN 18446744073709551615",
        "SCAN \"0\\x00junk\"",
        "SCAN -",
        "SCAN 0x0",
        "SCAN \" 0\"",
        "SCAN \"0 \"",
        "MSET a 1 b 2 c 3",
        "%u SCAN 0 COUNT 100",
        "%u SCAN \"\" COUNT 100",
        "%u SCAN 0 COUNT 100 MATCH a",
        "%u SCAN 0 COUNT 100 TYPE string",
        "%u SCAN 0 COUNT 100 type STRING",
        "%u SCAN 0 COUNT 100 TYPE list",
        "%u SCAN 0 COUNT 100 TYPE nosuchtype",
        "%u SCAN 0 COUNT 100 COUNT 50 MATCH [ab] MATCH a",
        "SCAN abc",
        "SCAN 18446744073709551616",
        "SCAN 0 COUNT 0",
        "SCAN 0 COUNT -1",
        "SCAN 0 COUNT abc",
        "SCAN 0 COUNT",
        "SCAN 0 MATCH",
        "SCAN 0 TYPE",
        "SCAN 0 FOO bar",
        "SCAN 0 COUNT 10 FOO",
        "SCAN",
        NULL,
    };
    RUN(steps);
}

static void test_compat_rename(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SET a 1",
        "RENAME a b",
        "EXISTS a",
        "GET b",
        "RENAME missing x",
        "RENAME b b",
        "GET b",
        "RENAME missing missing",
        "SET c 3 EX 100",
        "RENAME b c",
        "GET c",
        "TTL c",
        "SET t v EX 100",
        "RENAME t u",
        "%t1 TTL u",
        "SET x v",
        "RENAMENX c x",
        "RENAMENX c y",
        "GET y",
        "RENAMENX y y",
        "RENAMENX missing z",
        "RENAME a",
        "RENAMENX a",
        "RENAME a b c",
        NULL,
    };
    RUN(steps);
}

static void test_compat_randomkey_dbsize_flush(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "RANDOMKEY",
        "DBSIZE",
        "SET only v",
        "RANDOMKEY",
        "DBSIZE",
        "RANDOMKEY x",
        "DBSIZE x",
        "MSET a 1 b 2",
        "DBSIZE",
        "FLUSHDB",
        "DBSIZE",
        "SET a 1",
        "FLUSHDB ASYNC",
        "DBSIZE",
        "FLUSHDB SYNC",
        "FLUSHDB sync",
        "FLUSHDB FOO",
        "FLUSHDB SYNC ASYNC",
        "SET a 1",
        "SELECT 1",
        "SET b 1",
        "FLUSHALL",
        "DBSIZE",
        "SELECT 0",
        "DBSIZE",
        "FLUSHALL ASYNC",
        "FLUSHALL SYNC",
        "FLUSHALL FOO",
        "FLUSHALL SYNC x",
        NULL,
    };
    RUN(steps);
}

static void test_compat_move(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SET k v",
        "MOVE k 1",
        "EXISTS k",
        "SELECT 1",
        "GET k",
        "MOVE k 1",
        "MOVE k 0",
        "SELECT 0",
        "SET k other",
        "SELECT 1",
        "MOVE k 0",
        "GET k",
        "MOVE missing 0",
        "MOVE k 16",
        "MOVE k -1",
        "MOVE k abc",
        "MOVE k 99999999999",
        "MOVE missing 16",
        "SET t v EX 100",
        "MOVE t 2",
        "SELECT 2",
        "%t1 TTL t",
        "MOVE k",
        "MOVE k 1 2",
        NULL,
    };
    RUN(steps);
}

static void test_compat_copy(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SET a v",
        "COPY a b",
        "GET b",
        "COPY a b",
        "SET a v2",
        "COPY a b REPLACE",
        "GET b",
        "COPY a a",
        "COPY a a DB 0",
        "COPY a a DB 1",
        "COPY a c DB 1",
        "COPY a c DB 1",
        "COPY a c DB 1 REPLACE",
        "COPY a c REPLACE DB 1",
        "SELECT 1",
        "GET a",
        "GET c",
        "SELECT 0",
        "COPY missing x",
        "COPY missing x DB 1",
        "COPY a x DB 16",
        "COPY a x DB -1",
        "COPY a x DB abc",
        "COPY a x DB 99999999999",
        "COPY a x DB",
        "COPY a x FOO",
        "COPY a x REPLACE REPLACE",
        "COPY a x DB 1 DB 2",
        "COPY missing missing",
        "SET t v EX 100",
        "COPY t u",
        "%t1 TTL u",
        "SET n 123",
        "COPY n n2",
        "OBJECT ENCODING n2",
        "COPY a",
        NULL,
    };
    RUN(steps);
}

static void test_compat_touch(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "MSET a 1 b 2",
        "TOUCH a",
        "TOUCH a b missing a",
        "TOUCH missing",
        "TOUCH",
        NULL,
    };
    RUN(steps);
}

static void test_compat_expire_options(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SET k v",
        "EXPIRE k 100",
        "%t1 TTL k",
        "EXPIRE k 200 NX",
        "EXPIRE k 200 XX",
        "%t1 TTL k",
        "EXPIRE k 100 GT",
        "EXPIRE k 300 GT",
        "%t1 TTL k",
        "EXPIRE k 400 LT",
        "EXPIRE k 50 LT",
        "%t1 TTL k",
        "PERSIST k",
        "EXPIRE k 100 XX",
        "EXPIRE k 100 GT",
        "EXPIRE k 100 LT",
        "%t1 TTL k",
        "PERSIST k",
        "EXPIRE k 100 NX",
        "EXPIRE k 100 NX XX",
        "EXPIRE k 100 NX GT",
        "EXPIRE k 100 NX LT",
        "EXPIRE k 100 GT LT",
        "EXPIRE k 50 XX GT",
        "EXPIRE k 150 XX GT",
        "EXPIRE k 200 xx lt",
        "EXPIRE k 100 xx lt",
        "%t1 TTL k",
        "EXPIRE k 100 FOO",
        "EXPIRE k 100 NX FOO",
        "EXPIRE k abc FOO",
        "EXPIRE k abc NX XX",
        "EXPIRE k abc",
        "EXPIRE k 1.5",
        "EXPIRE k \"\"",
        "EXPIRE missing 100",
        "EXPIRE missing 100 XX",
        "EXPIRE k",
        NULL,
    };
    RUN(steps);
}

static void test_compat_expire_times(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SET k v",
        "EXPIRE k 9223372036854775807",
        "EXPIRE k 9223372036854775",
        "EXPIRE k 9223372036854776",
        "EXPIRE k -9223372036854775808",
        "EXPIRE k -9223372036854775",
        "EXPIRE k -9223372036854776",
        "PEXPIRE k 9223372036854775807",
        "PEXPIRE k 9223372036854775000",
        "PEXPIRE k -9223372036854775808",
        "EXPIREAT k 9223372036854775807",
        "EXPIREAT k 9223372036854775",
        "EXPIREAT k 9223372036854776",
        "PEXPIREAT k 9223372036854775807",
        "EXPIREAT k -9223372036854775808",
        "TTL k",
        "EXPIREAT k {t+500}",
        "EXPIRETIME k",
        "%t1 TTL k",
        "PEXPIREAT k {pt+600000}",
        "PEXPIRETIME k",
        "%t1000 PTTL k",
        "EXPIREAT k {t+1000} GT",
        "PEXPIREAT k {pt+100} GT",
        "PEXPIREAT k {pt+100000} LT",
        "PEXPIRETIME k",
        "PEXPIRE k 100000",
        "%t1000 PTTL k",
        "EXPIRE k -1",
        "EXISTS k",
        "SET k v",
        "EXPIRE k 0",
        "EXISTS k",
        "SET k v",
        "PEXPIRE k -100",
        "EXISTS k",
        "SET k v",
        "EXPIREAT k 1",
        "EXISTS k",
        "SET k v",
        "PEXPIREAT k {pt-1000}",
        "EXISTS k",
        "SET k v EX 100",
        "EXPIRE k -1 LT",
        "EXISTS k",
        "SET k v EX 100",
        "EXPIRE k -1 GT",
        "EXISTS k",
        "SET k v",
        "EXPIRE k 0 NX",
        "EXISTS k",
        "EXPIREAT missing 1",
        "PEXPIRE",
        "EXPIREAT k",
        "PEXPIREAT k",
        NULL,
    };
    RUN(steps);
}

static void test_compat_ttl_persist(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "TTL missing",
        "PTTL missing",
        "EXPIRETIME missing",
        "PEXPIRETIME missing",
        "SET k v",
        "TTL k",
        "PTTL k",
        "EXPIRETIME k",
        "PEXPIRETIME k",
        "PEXPIREAT k {pt+10499}",
        "%t1 TTL k",
        "PEXPIREAT k {pt+10500}",
        "%t1 TTL k",
        "PEXPIREAT k 4102444800499",
        "EXPIRETIME k",
        "PEXPIREAT k 4102444800500",
        "EXPIRETIME k",
        "PEXPIRETIME k",
        "PERSIST k",
        "PERSIST k",
        "TTL k",
        "PERSIST missing",
        "TTL",
        "PTTL a b",
        "PERSIST",
        "EXPIRETIME",
        "PEXPIRETIME a b",
        NULL,
    };
    RUN(steps);
}

/* Reads that do not touch (EXISTS, TYPE, TTL, OBJECT) leave the idle time
 * running; a GET resets it. */
static void test_compat_object_idletime_untouched(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SET idle v",
        "%w1200 EXISTS idle",
        "TYPE idle",
        "TTL idle",
        "OBJECT ENCODING idle",
        "%t1 OBJECT IDLETIME idle",
        "GET idle",
        "OBJECT IDLETIME idle",
        NULL,
    };
    RUN2(steps);
}

static void test_compat_object(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SET i 123",
        "SET n -5",
        "SET z 0",
        "SET m 9223372036854775807",
        "SET o 9223372036854775808",
        "SET l 01",
        "SET mz -0",
        "SET s abc",
        "SET sp \" 1\"",
        "SET e \"\"",
        "SET r 123456789012345678901234567890123456789012345",
        "SET b 12345678901234567890123456789012345678901234",
        "OBJECT ENCODING i",
        "OBJECT ENCODING n",
        "OBJECT ENCODING z",
        "OBJECT ENCODING m",
        "OBJECT ENCODING o",
        "OBJECT ENCODING l",
        "OBJECT ENCODING mz",
        "OBJECT ENCODING s",
        "OBJECT ENCODING sp",
        "OBJECT ENCODING e",
        "OBJECT ENCODING r",
        "OBJECT ENCODING b",
        "OBJECT ENCODING missing",
        "APPEND s def",
        "OBJECT ENCODING s",
        "APPEND new 123",
        "OBJECT ENCODING new",
        "SETRANGE sr 0 abc",
        "OBJECT ENCODING sr",
        "SETRANGE i 0 9",
        "OBJECT ENCODING i",
        "INCR s2",
        "OBJECT ENCODING s2",
        "INCRBY big 100000",
        "OBJECT ENCODING big",
        "INCRBYFLOAT f 1",
        "OBJECT ENCODING f",
        "INCRBYFLOAT f 0.5",
        "OBJECT ENCODING f",
        "SETEX x 100 42",
        "OBJECT ENCODING x",
        "MSET y 42 w abc",
        "OBJECT ENCODING y",
        "OBJECT ENCODING w",
        "GETSET y 7",
        "OBJECT ENCODING y",
        "%t1 OBJECT IDLETIME s",
        "OBJECT IDLETIME missing",
        "OBJECT FREQ s",
        "OBJECT FREQ missing",
        "OBJECT REFCOUNT s",
        "OBJECT REFCOUNT missing",
        "OBJECT HELP",
        "OBJECT",
        "OBJECT FOO",
        "OBJECT foo bar",
        "OBJECT ENCODING",
        "OBJECT ENCODING a b",
        "OBJECT IDLETIME",
        "OBJECT HELP x",
        "object encoding i",
        NULL,
    };
    RUN(steps);
}

/* Keys whose time has passed behave as missing for every command, whether
 * or not anything has removed them yet. */
static void test_compat_expired_keys_are_gone(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "DEBUG SET-ACTIVE-EXPIRE 0",
        "SET a v PX 30",
        "SET b 5 PX 30",
        "SET c v PX 30",
        "SET d v PX 30",
        "SET e v PX 30",
        "SET f v PX 30",
        "SET keep v",
        "%w120 GET a",
        "EXISTS a b c",
        "TTL b",
        "PTTL c",
        "EXPIRETIME d",
        "TYPE e",
        "STRLEN f",
        "%u KEYS *",
        "%u SCAN 0 COUNT 100",
        "RENAME a x",
        "RENAMENX a x",
        "MOVE a 1",
        "COPY a x",
        "PERSIST b",
        "EXPIRE b 100",
        "INCR b",
        "APPEND c x",
        "GET c",
        "SETRANGE d 2 x",
        "GET d",
        "GETDEL e",
        "GETEX f PERSIST",
        "SET a new NX",
        "SET b new XX",
        "TOUCH a b c d e f keep",
        "MGET a b c d e f keep",
        "OBJECT ENCODING e",
        "DBSIZE",
        "FLUSHDB",
        "SET keep v",
        "SET g1 v PX 30",
        "SET g2 v PX 30",
        "SET g3 v PX 30",
        "SET g4 v PX 30",
        "SET g5 v PX 30",
        "%w100 RANDOMKEY",
        "RANDOMKEY",
        "RANDOMKEY",
        "DEBUG SET-ACTIVE-EXPIRE 1",
        NULL,
    };
    RUN(steps);
}

/* ---- server ------------------------------------------------------------------------------- */

static void test_compat_config(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "CONFIG GET maxclients",
        "CONFIG GET databases",
        "CONFIG GET hz",
        "CONFIG GET timeout",
        "CONFIG GET appendonly",
        "CONFIG GET nosuchparam",
        "CONFIG GET MAXCLIENTS",
        "%u CONFIG GET maxclients databases",
        "%u CONFIG GET hz hz",
        "%u CONFIG GET nosuch hz",
        "%s CONFIG GET port",
        "%s CONFIG GET bind",
        "%s CONFIG GET dir",
        "CONFIG GET",
        "CONFIG SET hz 20",
        "CONFIG GET hz",
        "CONFIG SET hz abc",
        "CONFIG SET hz 10 timeout 0",
        "CONFIG GET hz",
        "CONFIG SET hz 11 hz 12",
        "CONFIG SET hz 11 HZ 12",
        "CONFIG GET hz",
        "CONFIG SET hz",
        "CONFIG SET hz 10 timeout",
        "CONFIG SET nosuch 1",
        "CONFIG SET hz 15 nosuch 1",
        "CONFIG GET hz",
        "CONFIG SET databases 5",
        "CONFIG SET maxclients -1",
        "CONFIG SET maxclients 0",
        "CONFIG SET maxclients abc",
        "CONFIG SET timeout -1",
        "CONFIG SET appendonly maybe",
        "CONFIG SET loglevel loud",
        "CONFIG SET hz 1000",
        "CONFIG GET hz",
        "CONFIG SET hz 0",
        "CONFIG GET hz",
        "CONFIG SET hz 10",
        "CONFIG RESETSTAT",
        "CONFIG RESETSTAT x",
        "CONFIG",
        "CONFIG FOO",
        "%A CONFIG HELP",
        NULL,
    };
    RUN(steps);
}

static void test_compat_command(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "%s COMMAND COUNT",
        "COMMAND COUNT x",
        "COMMAND INFO get",
        "%K COMMAND INFO GET set",
        "%K COMMAND INFO mget mset del",
        "COMMAND INFO nosuch",
        "COMMAND INFO get nosuch",
        "%K COMMAND INFO expire ttl incr",
        "%K COMMAND INFO ping echo",
        "COMMAND INFO config|get",
        "%K COMMAND INFO object|encoding",
        "%u COMMAND LIST FILTERBY PATTERN inc*",
        "%u COMMAND LIST FILTERBY PATTERN pexpire*",
        "%u COMMAND LIST FILTERBY PATTERN nomatch*",
        "COMMAND LIST FILTERBY",
        "COMMAND LIST FILTERBY PATTERN",
        "COMMAND LIST FILTERBY FOO x",
        "COMMAND LIST FOO",
        "COMMAND LIST FILTERBY PATTERN a b",
        "COMMAND GETKEYS SET a b",
        "COMMAND GETKEYS MSET a 1 b 2",
        "COMMAND GETKEYS MGET a b c",
        "COMMAND GETKEYS RENAME a b",
        "COMMAND GETKEYS COPY a b DB 1",
        "COMMAND GETKEYS DEL a b",
        "COMMAND GETKEYS OBJECT ENCODING k",
        "COMMAND GETKEYS GET",
        "COMMAND GETKEYS MSET a",
        "COMMAND GETKEYS nosuch a",
        "COMMAND GETKEYS PING",
        "COMMAND GETKEYS CONFIG GET x",
        "COMMAND GETKEYS CONFIG",
        "COMMAND GETKEYS",
        "COMMAND FOO",
        NULL,
    };
    RUN(steps);
}

static void test_compat_time_info_shape(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "%s TIME",
        "TIME x",
        "%s LASTSAVE",
        "LASTSAVE x",
        "INFO keyspace",
        "SET k v",
        "INFO keyspace",
        "SELECT 3",
        "SET k v",
        "INFO KEYSPACE",
        "SET e v EX 1000",
        "%s INFO keyspace",
        "INFO nosuchsection",
        "%s INFO",
        "%s INFO all",
        "%s INFO server clients",
        NULL,
    };
    RUN(steps);
}

/* INFO's sections and fields differ by design; its type and the presence of
 * the fields tools read are what must match. */
static void test_compat_info_fields(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    static const char *const must[] = {
        "# Server\r\n", "redis_version:", "tcp_port:", "uptime_in_seconds:", "# Clients\r\n",
        "connected_clients:", "# Memory\r\n", "used_memory:", "# Stats\r\n",
        "total_commands_processed:", "keyspace_hits:", "# Keyspace\r\n", NULL,
    };
    int ports[2] = {respd_srv.port, redis_srv.port};
    char *replies[2];
    for (int i = 0; i < 2; i++) {
        h_conn *c = h_connect(ports[i], 2000);
        assert_non_null(c);
        replies[i] = h_call(c, "INFO");
        assert_non_null(replies[i]);
        assert_int_equal(replies[i][0], '$');
        for (int j = 0; must[j]; j++) {
            if (!strstr(replies[i], must[j]))
                fail_msg("%s INFO lacks %s", i ? "redis" : "respd", must[j]);
        }
        h_close(c);
    }
    free(replies[0]);
    free(replies[1]);
}

static void test_compat_debug_subset(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "DEBUG SLEEP 0",
        "DEBUG SLEEP 0.001",
        "DEBUG SLEEP abc",
        "DEBUG SLEEP -1",
        "DEBUG LOG hello",
        "DEBUG SET-ACTIVE-EXPIRE 1",
        "DEBUG SET-ACTIVE-EXPIRE abc",
        "DEBUG SET-ACTIVE-EXPIRE 1",
        "DEBUG SET-ACTIVE-EXPIRE",
        "DEBUG SET-ACTIVE-EXPIRE 1 2",
        "DEBUG nosuch",
        "DEBUG nosuch a b",
        "debug Sleep",
        "DEBUG",
        "%A DEBUG HELP",
        NULL,
    };
    RUN(steps);
}

/* Only refused forms: a SHUTDOWN that succeeded would end the test run. */
static void test_compat_shutdown_refusals(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SHUTDOWN FOO",
        "SHUTDOWN ABORT",
        "SHUTDOWN abort ABORT",
        "SHUTDOWN ABORT NOSAVE",
        "SHUTDOWN NOW ABORT",
        "SHUTDOWN FORCE ABORT",
        "SHUTDOWN NOSAVE SAVE",
        "SHUTDOWN SAVE NOSAVE NOW",
        "SHUTDOWN NOSAVE FOO",
        "SHUTDOWN SAVE NOSAVE FOO",
        "PING",
        NULL,
    };
    RUN(steps);
}

static void test_compat_errorstats(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "CONFIG RESETSTAT",
        "INFO errorstats",
        "GET",
        "NOSUCHCOMMAND",
        "SET k v EX 0",
        "SET k v",
        "INCR k",
        "AUTH nobody x",
        "EVALSHA abc 0",
        "SELECT 99",
        "CONFIG nosuch",
        "INFO errorstats",
        "CONFIG RESETSTAT",
        "INFO errorstats",
        NULL,
    };
    RUN(steps);
}

static void test_compat_scripting(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "EVALSHA abc 0",
        "EVALSHA ffffffffffffffffffffffffffffffffffffffff 0",
        "EVALSHA ffffffffffffffffffffffffffffffffffffffff 1 k",
        "EVALSHA ffffffffffffffffffffffffffffffffffffffff x",
        "EVALSHA ffffffffffffffffffffffffffffffffffffffff 5",
        "EVALSHA ffffffffffffffffffffffffffffffffffffffff -1",
        "EVALSHA abc",
        "EVALSHA_RO abc 0",
        "SCRIPT EXISTS abc",
        "SCRIPT EXISTS a b ffffffffffffffffffffffffffffffffffffffff",
        "SCRIPT EXISTS",
        "SCRIPT FLUSH",
        "SCRIPT FLUSH ASYNC",
        "SCRIPT FLUSH sync",
        "SCRIPT FLUSH FOO",
        "SCRIPT FLUSH SYNC ASYNC",
        "SCRIPT FOO",
        "SCRIPT",
        "FCALL nosuch 0",
        "FCALL_RO nosuch 0",
        "FUNCTION LIST",
        "FUNCTION LIST WITHCODE",
        "FUNCTION LIST LIBRARYNAME x",
        "FUNCTION LIST LIBRARYNAME x WITHCODE",
        "FUNCTION LIST LIBRARYNAME",
        "FUNCTION LIST WITHCODE WITHCODE",
        "FUNCTION LIST LIBRARYNAME a LIBRARYNAME b",
        "FUNCTION LIST FOO",
        "FUNCTION FLUSH",
        "FUNCTION FLUSH ASYNC",
        "FUNCTION FLUSH sync",
        "FUNCTION FLUSH FOO",
        "FUNCTION FLUSH SYNC ASYNC",
        "FUNCTION FOO",
        "FUNCTION",
        NULL,
    };
    RUN(steps);
}

static void test_compat_unknown_command(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "FOO",
        "FOO a b",
        "foo \"a b\" \"\"",
        "NOSUCH aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b c",
        "NOSUCH a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p"
        " q r s t u v w x y z a b c d e f g h i j k l m n o",
        "\"\"",
        "\"a\\r\\nb\" x",
        "\"GET\\x00\" k",
        "CONFIG foo",
        "CoNfIg FoO",
        "CLIENT nosuch",
        "OBJECT nosuch k",
        "COMMAND nosuch",
        "SCRIPT nosuch",
        "FUNCTION nosuch",
        "PING",
        NULL,
    };
    RUN(steps);
}

/* Each malformed request gets Redis's error and the connection is closed. */
static void test_compat_protocol_errors(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "%rc *1\\r\\n$foo\\r\\n",
        "%rc *abc\\r\\n",
        "%rc *1\\r\\nfoo\\r\\n",
        "%rc *1\\r\\n$-1\\r\\n",
        "%rc *1\\r\\n$-2\\r\\n",
        "%rc *1\\r\\n$536870913\\r\\n",
        "%rc *2147483648\\r\\n",
        "%rc *1\\r\\n:1\\r\\n",
        "%rc *1\\r\\n$\\r\\n",
        "%rc *\\r\\n",
        "%rc *1\\r\\n\\r\\n",
        "%rc *1\\r\\n*1\\r\\n",
        "%rc SET \"a b\\r\\n",
        "%rc SET 'a\\r\\n",
        "%rc SET \"a\"b\\r\\n",
        "%rc *2\\r\\n$4\\r\\nECHO\\r\\n$+3\\r\\nabc\\r\\n",
        "%rc *+1\\r\\n$4\\r\\nPING\\r\\n",
        NULL,
    };
    RUN2(steps);
}

/* Requests on the edge of the protocol that Redis accepts. */
static void test_compat_protocol_edges(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "%rn *0\\r\\n",
        "%rn *-1\\r\\n",
        "%rn *-2\\r\\n",
        "%rn *-100\\r\\n",
        "%r PING\\r\\n",
        "%r PING\\n",
        "%r   PING   \\r\\n",
        "%r ECHO \"a\\\\x41\\\\n\"\\r\\n",
        "%r ECHO 'it\\\\'s'\\r\\n",
        "%r $4\\r\\n",
        "%r PING\\r\\n",
        "%r *1\\r\\n$4\\r\\nPINGxy",
        "%r *1\\r\\n$4\\r\\nPING\\r\\n",
        "%r *2\\r\\n$4\\r\\nECHO\\r\\n$0\\r\\n\\r\\n",
        "%r *2\\r\\n$4\\r\\nECHO\\r\\n$3\\r\\na\\r\\n\\r\\n",
        "%r *1\\r\\n$4\\r\\nPING\\r\\n*2\\r\\n$4\\r\\nECHO\\r\\n$1\\r\\nx\\r\\n",
        "%r ",
        "%r *3\\r\\n$3\\r\\nSET\\r\\n$1\\r\\nk\\r\\n$1\\r\\nv\\r\\nGET k\\r\\n",
        "%r ",
        "%rc *01\\r\\n$04\\r\\nPING\\r\\n",
        "%rc *1\\n$4\\nPING\\r\\n",
        "PING",
        "%rn \\r\\n",
        "%rn \\n",
        "%rn    \\r\\n",
        "PING",
        NULL,
    };
    RUN2(steps);
}

static void test_compat_quit(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "%c QUIT",
        "%c QUIT x",
        "%c quit",
        "%rc QUIT\\r\\n",
        "PING",
        NULL,
    };
    RUN2(steps);
}

/* SCAN's order differs between servers; a full iteration must visit the
 * same set of keys, with MATCH and TYPE applied the same way. */
static char *scan_all(h_conn *c, const char *opts)
{
    size_t cap = 1 << 16, len = 0;
    char *all = malloc(cap);
    all[0] = '\0';
    char cursor[32] = "0";
    char *keys[4096];
    int nkeys = 0;
    for (int round = 0; round < 5000; round++) {
        char *r = h_callf(c, "SCAN %s %s", cursor, opts);
        if (!r || strncmp(r, "*2\r\n$", 5) != 0) {
            free(r);
            break;
        }
        const char *p = strstr(r + 4, "\r\n") + 2;
        const char *e = strstr(p, "\r\n");
        snprintf(cursor, sizeof(cursor), "%.*s", (int)(e - p), p);
        p = e + 2;
        long n = strtol(p + 1, NULL, 10);
        p = strstr(p, "\r\n") + 2;
        for (long i = 0; i < n && nkeys < 4096; i++) {
            long l = strtol(p + 1, NULL, 10);
            p = strstr(p, "\r\n") + 2;
            keys[nkeys++] = strndup(p, (size_t)l);
            p += l + 2;
        }
        free(r);
        if (!strcmp(cursor, "0"))
            break;
    }
    qsort(keys, (size_t)nkeys, sizeof(char *), cmp_str);
    for (int i = 0; i < nkeys; i++) {
        size_t l = strlen(keys[i]);
        if (len + l + 2 > cap) {
            cap = (len + l + 2) * 2;
            all = realloc(all, cap);
        }
        memcpy(all + len, keys[i], l);
        len += l;
        all[len++] = ' ';
        all[len] = '\0';
        free(keys[i]);
    }
    return all;
}

static void test_compat_scan_full_iteration(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    int ports[2] = {respd_srv.port, redis_srv.port};
    h_conn *c[2];
    for (int i = 0; i < 2; i++) {
        c[i] = h_connect(ports[i], 2000);
        assert_non_null(c[i]);
        free(h_call(c[i], "FLUSHALL"));
        for (int k = 0; k < 500; k += 50) {
            char cmd[4096] = "MSET";
            for (int j = k; j < k + 50; j++)
                snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " key:%d v%d", j, j);
            char *r = h_call(c[i], cmd);
            assert_string_equal(r, "+OK\r\n");
            free(r);
        }
    }
    static const char *const opts[] = {"", "COUNT 1", "COUNT 7", "COUNT 1000", "MATCH key:1*",
                                       "MATCH key:?5 COUNT 3", "MATCH nomatch*",
                                       "TYPE string", "TYPE list", "TYPE STRING COUNT 50",
                                       "MATCH key:4* TYPE string COUNT 20", NULL};
    int bad = 0;
    for (int k = 0; opts[k]; k++) {
        char *a = scan_all(c[0], opts[k]);
        char *b = scan_all(c[1], opts[k]);
        if (strcmp(a, b) != 0) {
            fprintf(stderr, "MISMATCH scan full iteration [SCAN %s]: respd %zu bytes, redis %zu "
                            "bytes\n", opts[k], strlen(a), strlen(b));
            bad++;
        }
        free(a);
        free(b);
    }
    /* Every key exactly once with the default options. */
    char *a = scan_all(c[0], "COUNT 10");
    int count = 0;
    for (char *p = a; (p = strchr(p, ' ')); p++)
        count++;
    free(a);
    assert_int_equal(count, 500);
    h_close(c[0]);
    h_close(c[1]);
    assert_int_equal(bad, 0);
}

/* ---- tests that compare derived values -------------------------------------------------- */

/* A fresh connection to each server: [0] respd, [1] redis. */
static void connect_both(h_conn *c[2])
{
    int ports[2] = {respd_srv.port, redis_srv.port};
    for (int i = 0; i < 2; i++) {
        c[i] = h_connect(ports[i], 2000);
        assert_non_null(c[i]);
    }
}

static void close_both(h_conn *c[2])
{
    h_close(c[0]);
    h_close(c[1]);
}

/* "name calls rejected failed" for every cmdstat_ line, sorted. */
static char *normalize_cmdstats(const char *info)
{
    char *lines[512];
    int n = 0;
    for (const char *p = info; (p = strstr(p, "cmdstat_")) && n < 512; p++) {
        char name[64];
        long long calls = -1, rej = -1, failed = -1;
        if (sscanf(p, "cmdstat_%63[^:]:calls=%lld", name, &calls) != 2)
            continue;
        const char *eol = strstr(p, "\r\n");
        const char *r = strstr(p, "rejected_calls="), *f = strstr(p, "failed_calls=");
        if (r && (!eol || r < eol))
            rej = atoll(r + 15);
        if (f && (!eol || f < eol))
            failed = atoll(f + 13);
        if (asprintf(&lines[n], "%s %lld %lld %lld\n", name, calls, rej, failed) > 0)
            n++;
    }
    qsort(lines, (size_t)n, sizeof(char *), cmp_str);
    size_t total = 1;
    for (int i = 0; i < n; i++)
        total += strlen(lines[i]);
    char *out = malloc(total);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        strcat(out, lines[i]);
        free(lines[i]);
    }
    return out;
}

/* Calls, rejections and failures per command must agree; times cannot. */
static void test_compat_commandstats(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    static const char *const cmds[] = {
        "CONFIG RESETSTAT", "SET a 1", "GET a", "GET a", "GET", "INCR a", "SET a x", "INCR a",
        "CLIENT ID", "CONFIG GET hz", "NOSUCH", "CLIENT SETNAME ok", "CLIENT SETNAME \"a b\"",
        "OBJECT ENCODING a", "EXPIRE a 100 NX XX", "DEL a", "MSET x", NULL,
    };
    h_conn *c[2];
    connect_both(c);
    char *stats[2];
    for (int i = 0; i < 2; i++) {
        for (int k = 0; cmds[k]; k++)
            free(h_call(c[i], cmds[k]));
        char *r = h_call(c[i], "INFO commandstats");
        assert_non_null(r);
        stats[i] = normalize_cmdstats(r);
        free(r);
    }
    close_both(c);
    if (strcmp(stats[0], stats[1]) != 0)
        fprintf(stderr, "MISMATCH commandstats\n  respd:\n%s  redis:\n%s", stats[0], stats[1]);
    int same = strcmp(stats[0], stats[1]) == 0;
    free(stats[0]);
    free(stats[1]);
    assert_true(same);
}

/* The value of field `name` in a CLIENT INFO line ("" if absent). */
static void client_field(const char *line, const char *name, char *out, size_t size)
{
    char key[40];
    snprintf(key, sizeof(key), " %s=", name);
    const char *p = strstr(line, key);
    out[0] = '\0';
    if (!p)
        return;
    p += strlen(key);
    size_t n = strcspn(p, " \r\n");
    snprintf(out, size, "%.*s", (int)n, p);
}

/* CLIENT INFO: the same fields in the same order, and the same values for
 * those that describe the connection's state rather than its memory. */
static void test_compat_client_info_fields(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    static const char *const same_value[] = {"name", "db", "flags", "sub", "psub", "ssub",
                                             "multi", "obl", "oll", "omem", "events", "cmd",
                                             "user", "redir", "resp", NULL};
    /* respd adds Redis 7.2's lib-name and lib-ver (reported as known). */
    static const char *const known_extra[] = {"lib-name", "lib-ver", NULL};
    h_conn *c[2];
    connect_both(c);
    char *info[2];
    char names[2][1024];
    for (int i = 0; i < 2; i++) {
        free(h_call(c[i], "CLIENT SETNAME tester"));
        free(h_call(c[i], "SELECT 3"));
        free(h_call(c[i], "HELLO 3"));
        info[i] = h_call(c[i], "CLIENT INFO");
        assert_non_null(info[i]);
        names[i][0] = '\0';
        /* The text starts after the verbatim header "=N\r\ntxt:". */
        const char *p = strstr(info[i], "txt:");
        p = p ? p + 4 : info[i];
        while (p && *p && *p != '\r') {
            const char *eq = strchr(p, '=');
            const char *sp = strchr(p, ' ');
            if (!eq)
                break;
            char field[40];
            snprintf(field, sizeof(field), "%.*s", (int)(eq - p), p);
            int skip_it = 0;
            for (int k = 0; i == 0 && !strict && known_extra[k]; k++)
                skip_it |= !strcmp(field, known_extra[k]);
            if (!skip_it) {
                strncat(names[i], field, sizeof(names[i]) - strlen(names[i]) - 2);
                strcat(names[i], " ");
            }
            p = sp ? sp + 1 : NULL;
        }
    }
    int bad = 0;
    if (strcmp(names[0], names[1]) != 0) {
        fprintf(stderr, "MISMATCH CLIENT INFO fields\n  respd: %s\n  redis: %s\n", names[0],
                names[1]);
        bad++;
    }
    if (strstr(info[0], "lib-name="))
        fprintf(stderr, "MISMATCH (KNOWN) CLIENT INFO: respd adds lib-name= lib-ver= (Redis "
                        "7.2 fields, not in 7.0)\n");
    for (int k = 0; same_value[k]; k++) {
        char a[128], b[128];
        client_field(info[0], same_value[k], a, sizeof(a));
        client_field(info[1], same_value[k], b, sizeof(b));
        if (strcmp(a, b) != 0) {
            fprintf(stderr, "MISMATCH CLIENT INFO %s: respd '%s' redis '%s'\n", same_value[k], a,
                    b);
            bad++;
        }
    }
    free(info[0]);
    free(info[1]);
    close_both(c);
    assert_int_equal(bad, 0);
}

/* The arity of a command as COMMAND INFO reports it, or 0 if unknown. */
static long long arity_of(h_conn *c, const char *name)
{
    char *r = h_callf(c, "COMMAND INFO %s", name);
    long long arity = 0;
    /* "*1\r\n*10\r\n$<len>\r\n<name>\r\n:<arity>\r\n..." */
    if (r && !strncmp(r, "*1\r\n*", 5)) {
        const char *p = strstr(r + 4, "\r\n$");
        p = p ? strstr(p + 3, "\r\n") : NULL;
        p = p ? strstr(p + 2, "\r\n") : NULL;
        if (p && p[2] == ':')
            arity = atoll(p + 3);
    }
    free(r);
    return arity;
}

/* Every command of respd's table, called with one argument too few and one
 * too many, gets the same reply as from Redis; and the two tables agree on
 * each command's arity. */
static void test_compat_arity_errors_for_every_command(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    /* Arity differences known to lie in the command table (command.c). */
    static const char *const known[] = {"command|getkeys", NULL};
    h_conn *c[2];
    connect_both(c);
    char *list = h_call(c[0], "COMMAND LIST");
    assert_non_null(list);
    assert_int_equal(list[0], '*');
    int bad = 0, tried = 0;
    const char *p = strstr(list, "\r\n") + 2;
    while (*p == '$') {
        long len = strtol(p + 1, NULL, 10);
        p = strstr(p, "\r\n") + 2;
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)len, p);
        p += len + 2;
        long long ar = arity_of(c[0], name), ax = arity_of(c[1], name);
        if (ax == 0)
            continue; /* not a Redis 7.0 command (CLIENT SETINFO) */
        int is_known = 0;
        for (int k = 0; known[k]; k++)
            is_known |= !strcmp(name, known[k]);
        if (ar != ax) {
            fprintf(stderr, "MISMATCH%s arity of %s: respd %lld redis %lld\n",
                    is_known ? " (KNOWN)" : "", name, ar, ax);
            if (!is_known || strict)
                bad++;
            continue;
        }
        /* The words of the name ("config|get" is CONFIG GET) count as
         * arguments; pad with "x" to reach the count wanted. */
        char words[80];
        snprintf(words, sizeof(words), "%s", name);
        int nwords = 1;
        for (char *b = words; (b = strchr(b, '|')); nwords++)
            *b = ' ';
        long long counts[2] = {ar > 0 ? ar + 1 : 0, ar > 0 ? ar - 1 : -ar - 1};
        for (int t = 0; t < 2; t++) {
            long long want = counts[t];
            if (want < nwords || (t == 1 && want == 0))
                continue;
            char line[256];
            snprintf(line, sizeof(line), "%s", words);
            for (long long k = nwords; k < want; k++)
                strcat(line, " x");
            char *a = h_call(c[0], line), *b = h_call(c[1], line);
            tried++;
            if (!a || !b || strcmp(a, b) != 0) {
                char *ea = h_escape(a ? a : "-", a ? strlen(a) : 1, 200);
                char *eb = h_escape(b ? b : "-", b ? strlen(b) : 1, 200);
                fprintf(stderr, "MISMATCH arity probe [%s]\n  respd: %s\n  redis: %s\n", line,
                        ea, eb);
                free(ea);
                free(eb);
                bad++;
            }
            free(a);
            free(b);
            if (!a || !b) {
                close_both(c);
                connect_both(c);
            }
        }
    }
    free(list);
    close_both(c);
    assert_true(tried > 50);
    assert_int_equal(bad, 0);
}

/* Which commands count keyspace hits and misses, and how many: each
 * command's effect on the two counters must be Redis's. */
static void test_compat_keyspace_hits_misses(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    static const char *const cmds[] = {
        "GET k", "GET nope", "MGET k nope k", "STRLEN k", "STRLEN nope", "GETRANGE k 0 1",
        "GETRANGE nope 0 1", "SUBSTR k 0 1", "EXISTS k nope", "TYPE k", "TYPE nope", "TTL k",
        "TTL nope", "PTTL k", "EXPIRETIME k", "PEXPIRETIME nope", "OBJECT ENCODING k",
        "OBJECT ENCODING nope", "OBJECT IDLETIME k", "OBJECT FREQ k", "OBJECT REFCOUNT nope",
        "TOUCH k nope", "GETEX k", "GETEX nope", "GETEX k PERSIST", "SET k v2 GET", "SET n v GET",
        "GETSET k v3", "GETSET n2 v", "GETDEL n2", "GETDEL nope", "SETNX k v", "SET k v XX",
        "INCR num", "INCRBY num 2", "DECR num", "INCRBYFLOAT fl 1.5", "APPEND k x",
        "SETRANGE k 0 y", "MSETNX a 1 k 2", "DEL a", "UNLINK nope", "COPY k k2", "COPY nope k3",
        "RENAME k2 k4", "RENAMENX k4 k", "MOVE k4 1", "EXPIRE k 100", "PERSIST k",
        "PEXPIRE nope 100", "KEYS *", "SCAN 0", "RANDOMKEY", "DBSIZE", "SET k v", NULL,
    };
    h_conn *c[2];
    connect_both(c);
    int bad = 0;
    for (int i = 0; i < 2; i++) {
        free(h_call(c[i], "FLUSHALL"));
        free(h_call(c[i], "SET k v"));
    }
    for (int k = 0; cmds[k]; k++) {
        long long d[2][2];
        for (int i = 0; i < 2; i++) {
            long long h0 = h_info_field(c[i], "stats", "keyspace_hits");
            long long m0 = h_info_field(c[i], "stats", "keyspace_misses");
            free(h_call(c[i], cmds[k]));
            d[i][0] = h_info_field(c[i], "stats", "keyspace_hits") - h0;
            d[i][1] = h_info_field(c[i], "stats", "keyspace_misses") - m0;
        }
        if (d[0][0] != d[1][0] || d[0][1] != d[1][1]) {
            fprintf(stderr, "MISMATCH [%s] hits/misses: respd +%lld/+%lld redis +%lld/+%lld\n",
                    cmds[k], d[0][0], d[0][1], d[1][0], d[1][1]);
            bad++;
        }
    }
    close_both(c);
    assert_int_equal(bad, 0);
}

/* The names in a flat array reply of bulk strings, each followed by a
 * space, with a space in front: " a b c ". */
static char *names_of(const char *r)
{
    size_t cap = strlen(r) + 2, len = 1;
    char *out = malloc(cap);
    strcpy(out, " ");
    const char *p = r ? strstr(r, "\r\n") : NULL;
    while (p && p[2] == '$') {
        long l = strtol(p + 3, NULL, 10);
        const char *body = strstr(p + 2, "\r\n") + 2;
        memcpy(out + len, body, (size_t)l);
        len += (size_t)l;
        out[len++] = ' ';
        out[len] = '\0';
        p = body + l;
    }
    return out;
}

/* respd has fewer commands than Redis, but each one it lists under an ACL
 * category, Redis lists under that category too. */
static void test_compat_command_list_aclcat_subset(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    static const char *const cats[] = {"keyspace", "read", "write", "string", "admin",
                                       "fast", "slow", "dangerous", "connection", "scripting",
                                       "server", NULL};
    h_conn *c[2];
    connect_both(c);
    char *r = h_call(c[1], "COMMAND LIST");
    assert_non_null(r);
    char *redis_all = names_of(r);
    free(r);
    int bad = 0;
    for (int k = 0; cats[k]; k++) {
        char *a = h_callf(c[0], "COMMAND LIST FILTERBY ACLCAT %s", cats[k]);
        char *b = h_callf(c[1], "COMMAND LIST FILTERBY ACLCAT %s", cats[k]);
        assert_non_null(a);
        assert_non_null(b);
        char *na = names_of(a), *nb = names_of(b);
        if (!strcmp(cats[k], "string")) {
            /* The lists were read at all. */
            assert_non_null(strstr(na, " get "));
            assert_non_null(strstr(nb, " get "));
        }
        for (char *save = NULL, *n = strtok_r(na, " ", &save); n; n = strtok_r(NULL, " ", &save)) {
            char key[80];
            snprintf(key, sizeof(key), " %s ", n);
            if (strstr(redis_all, key) && !strstr(nb, key)) {
                fprintf(stderr, "MISMATCH respd lists %s under @%s, Redis does not\n", n,
                        cats[k]);
                bad++;
            }
        }
        free(na);
        free(nb);
        free(a);
        free(b);
    }
    free(redis_all);
    close_both(c);
    assert_int_equal(bad, 0);
}

/* Lines longer than Redis's 64 KB limit, with no end in sight. */
static void test_compat_protocol_too_big_lines(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    enum { BIG = 70000 };
    static const char *const prefixes[] = {"", "*", "*1\r\n$", NULL};
    static const char fill[] = {'a', '1', '1'};
    int bad = 0;
    for (int k = 0; prefixes[k]; k++) {
        size_t pl = strlen(prefixes[k]);
        char *buf = malloc(pl + BIG);
        memcpy(buf, prefixes[k], pl);
        memset(buf + pl, fill[k], BIG);
        h_conn *c[2];
        connect_both(c);
        char *r[2] = {NULL, NULL};
        int closed[2];
        for (int i = 0; i < 2; i++) {
            h_send(c[i], buf, pl + BIG);
            if (h_read_reply(c[i], 3000, &r[i], NULL) < 0)
                r[i] = NULL;
            closed[i] = h_wait_closed(c[i], 2000);
        }
        char step[32];
        snprintf(step, sizeof(step), "%s + %d x '%c'", k == 0 ? "(inline)" : prefixes[k], BIG,
                 fill[k]);
        flags f;
        parse_flags("", &f);
        if (compare("test_compat_protocol_too_big_lines", k, step, &f, r[0], r[1]))
            bad++;
        else if (closed[0] != closed[1] || !closed[0]) {
            fprintf(stderr, "MISMATCH %s: closed respd %d redis %d\n", step, closed[0],
                    closed[1]);
            bad++;
        }
        free(r[0]);
        free(r[1]);
        close_both(c);
        free(buf);
    }
    assert_int_equal(bad, 0);
}

/* ---- fixture ----------------------------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    h_raise_nofile(4096);
    verbose = getenv("RESPD_ITEST_VERBOSE") != NULL;
    strict = getenv("RESPD_ITEST_STRICT") != NULL;
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
        cmocka_unit_test(test_compat_ping_echo),
        cmocka_unit_test(test_compat_select),
        cmocka_unit_test(test_compat_swapdb),
        cmocka_unit_test(test_compat_hello),
        cmocka_unit_test(test_compat_auth),
        cmocka_unit_test(test_compat_reset),
        cmocka_unit_test(test_compat_client_names),
        cmocka_unit_test(test_compat_client_reply),
        cmocka_unit_test(test_compat_client_info_list),
        cmocka_unit_test(test_compat_client_kill),
        cmocka_unit_test(test_compat_get_set),
        cmocka_unit_test(test_compat_set_options),
        cmocka_unit_test(test_compat_set_expire),
        cmocka_unit_test(test_compat_setnx_setex_psetex),
        cmocka_unit_test(test_compat_mget_mset),
        cmocka_unit_test(test_compat_getset_getdel_getex),
        cmocka_unit_test(test_compat_append_strlen),
        cmocka_unit_test(test_compat_getrange_substr),
        cmocka_unit_test(test_compat_setrange),
        cmocka_unit_test(test_compat_grown_strings),
        cmocka_unit_test(test_compat_incr_decr),
        cmocka_unit_test(test_compat_incrbyfloat),
        cmocka_unit_test(test_compat_del_exists_type),
        cmocka_unit_test(test_compat_keys_patterns),
        cmocka_unit_test(test_compat_scan_options),
        cmocka_unit_test(test_compat_scan_full_iteration),
        cmocka_unit_test(test_compat_rename),
        cmocka_unit_test(test_compat_randomkey_dbsize_flush),
        cmocka_unit_test(test_compat_move),
        cmocka_unit_test(test_compat_copy),
        cmocka_unit_test(test_compat_touch),
        cmocka_unit_test(test_compat_expire_options),
        cmocka_unit_test(test_compat_expire_times),
        cmocka_unit_test(test_compat_ttl_persist),
        cmocka_unit_test(test_compat_object),
        cmocka_unit_test(test_compat_object_idletime_untouched),
        cmocka_unit_test(test_compat_expired_keys_are_gone),
        cmocka_unit_test(test_compat_config),
        cmocka_unit_test(test_compat_command),
        cmocka_unit_test(test_compat_time_info_shape),
        cmocka_unit_test(test_compat_info_fields),
        cmocka_unit_test(test_compat_debug_subset),
        cmocka_unit_test(test_compat_shutdown_refusals),
        cmocka_unit_test(test_compat_errorstats),
        cmocka_unit_test(test_compat_commandstats),
        cmocka_unit_test(test_compat_keyspace_hits_misses),
        cmocka_unit_test(test_compat_client_info_fields),
        cmocka_unit_test(test_compat_arity_errors_for_every_command),
        cmocka_unit_test(test_compat_command_list_aclcat_subset),
        cmocka_unit_test(test_compat_protocol_too_big_lines),
        cmocka_unit_test(test_compat_scripting),
        cmocka_unit_test(test_compat_unknown_command),
        cmocka_unit_test(test_compat_protocol_errors),
        cmocka_unit_test(test_compat_protocol_edges),
        cmocka_unit_test(test_compat_quit),
    };
    return cmocka_run_group_tests_name("compat", tests, group_setup, group_teardown);
}
