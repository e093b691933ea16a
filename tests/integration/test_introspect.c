/* test_introspect: the slow log, latency tracking and INFO, against a real
 * redis-server 7.0 where the behaviour is Redis's.
 *
 *   - SLOWLOG: the same commands on both servers leave the same entries
 *     (arguments byte for byte, truncation of long argument lists and long
 *     arguments, "(redacted)" secrets, client names), in RESP2 and RESP3;
 *     only ids, times, durations and client ports may differ, and those
 *     are checked for sanity instead. Errors, HELP, the thresholds and the
 *     lazy trimming to slowlog-max-len are compared byte for byte.
 *   - latency tracking: INFO latencystats lines are present and ordered
 *     (p50 <= p99 <= p99.9) after traffic, follow the percentiles setting,
 *     vanish with latency-tracking no and CONFIG RESETSTAT; LATENCY
 *     HISTOGRAM has Redis's shape and counts every call.
 *   - INFO: every field redis-server prints in a section respd has is
 *     printed by respd too, but for a short documented list of fields
 *     specific to jemalloc, fork progress and Redis's reply-buffer policy;
 *     and the new fields hold true values.
 * Tests that need redis-server are skipped without it.
 */
#include "hdiff.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- a small RESP reader ------------------------------------------------------ */

typedef struct node {
    char type;
    long long n;          /* integer, or length of a string / aggregate */
    const char *str;      /* points into the reply (strings) */
    struct node **el;     /* aggregate elements (a map has 2n) */
    int nel;
} node;

static void node_free(node *x)
{
    if (!x)
        return;
    for (int i = 0; i < x->nel; i++)
        node_free(x->el[i]);
    free(x->el);
    free(x);
}

static node *parse_at(const char *b, size_t *pos)
{
    node *x = calloc(1, sizeof(*x));
    x->type = b[*pos];
    const char *line = b + *pos + 1;
    const char *crlf = strstr(line, "\r\n");
    if (!crlf) {
        free(x);
        return NULL;
    }
    x->n = atoll(line);
    *pos = (size_t)(crlf - b) + 2;
    switch (x->type) {
    case '$':
    case '=':
        if (x->n >= 0) {
            x->str = b + *pos;
            *pos += (size_t)x->n + 2;
        }
        break;
    case '+':
    case '-':
        x->str = line;
        x->n = crlf - line;
        break;
    case '*':
    case '~':
    case '%':
    case '>': {
        int count = x->n < 0 ? 0 : (int)(x->type == '%' ? 2 * x->n : x->n);
        x->el = calloc((size_t)count + 1, sizeof(node *));
        for (int i = 0; i < count; i++) {
            x->el[i] = parse_at(b, pos);
            if (!x->el[i]) {
                node_free(x);
                return NULL;
            }
            x->nel++;
        }
        break;
    }
    default:
        break;
    }
    return x;
}

static node *parse_reply(const char *r)
{
    size_t pos = 0;
    return r ? parse_at(r, &pos) : NULL;
}

static int is_str(const node *x, const char *s)
{
    return x && (x->type == '$' || x->type == '+') && x->n == (long long)strlen(s) &&
           memcmp(x->str, s, (size_t)x->n) == 0;
}

/* ---- helpers ------------------------------------------------------------------- */

static h_conn *connect_to(const h_server *s)
{
    h_conn *c = h_connect(s->port, 2000);
    assert_non_null(c);
    return c;
}

static void ok(h_conn *c, const char *line)
{
    char *r = h_call(c, line);
    if (!r || strcmp(r, "+OK\r\n") != 0)
        fail_msg("%s: %s", line, r ? r : "(no reply)");
    free(r);
}

/* Sends a command made of argv and ignores the reply (whatever it is). */
static void run(h_conn *c, int argc, const char *const *argv, const size_t *lens)
{
    char *r = h_callv(c, argc, argv, lens);
    assert_non_null(r);
    free(r);
}

static void run_line(h_conn *c, const char *line)
{
    char *r = h_call(c, line);
    assert_non_null(r);
    free(r);
}

/* SLOWLOG GET reply → a canonical text of its entries (arguments, client
 * name), after checking what may differ between servers: ids descending by
 * one, times within a minute of now, durations >= 0, the peer an IPv4
 * address and port. */
static char *slowlog_canon(const char *reply, long long *newest_id)
{
    node *x = parse_reply(reply);
    if (!x || x->type != '*')
        fail_msg("SLOWLOG GET: not an array: %s", reply ? reply : "(none)");
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    long long now = (long long)time(NULL), prev_id = -1;
    for (int i = 0; i < x->nel; i++) {
        node *e = x->el[i];
        if (e->type != '*' || e->nel != 6 || e->el[0]->type != ':' || e->el[1]->type != ':' ||
            e->el[2]->type != ':' || e->el[3]->type != '*' || e->el[4]->type != '$' ||
            e->el[5]->type != '$')
            fail_msg("SLOWLOG entry %d has the wrong shape", i);
        long long id = e->el[0]->n;
        if (i == 0 && newest_id)
            *newest_id = id;
        if (prev_id >= 0 && id != prev_id - 1)
            fail_msg("SLOWLOG ids not consecutive: %lld after %lld", id, prev_id);
        prev_id = id;
        if (llabs(e->el[1]->n - now) > 60)
            fail_msg("SLOWLOG time %lld, now %lld", e->el[1]->n, now);
        if (e->el[2]->n < 0)
            fail_msg("SLOWLOG negative duration");
        char peer[64];
        snprintf(peer, sizeof(peer), "%.*s", (int)e->el[4]->n, e->el[4]->str);
        int a, b2, c2, d, port;
        if (sscanf(peer, "%d.%d.%d.%d:%d", &a, &b2, &c2, &d, &port) != 5 || port <= 0)
            fail_msg("SLOWLOG peer '%s'", peer);
        for (int k = 0; k < e->el[3]->nel; k++) {
            node *arg = e->el[3]->el[k];
            char *esc = h_escape(arg->str, (size_t)arg->n, 1000);
            size_t need = len + strlen(esc) + 200 + (size_t)e->el[5]->n;
            if (need > cap) {
                cap = need * 2;
                out = realloc(out, cap);
            }
            len += (size_t)sprintf(out + len, "%s%s", k ? " " : "[", esc);
            free(esc);
        }
        len += (size_t)sprintf(out + len, "] name=%.*s\n", (int)e->el[5]->n, e->el[5]->str);
    }
    node_free(x);
    return out;
}

/* The lines of an INFO section as "name" entries, in order. */
typedef struct info {
    char **sections;     /* "# Server" ... */
    int nsections;
    char **fields;       /* "Server/used_memory" */
    int nfields;
} info;

static void info_free(info *in)
{
    for (int i = 0; i < in->nsections; i++)
        free(in->sections[i]);
    for (int i = 0; i < in->nfields; i++)
        free(in->fields[i]);
    free(in->sections);
    free(in->fields);
}

static info info_read(h_conn *c, const char *what)
{
    info in = {0};
    char *r = h_callf(c, "INFO %s", what);
    assert_non_null(r);
    node *x = parse_reply(r);
    assert_non_null(x);
    assert_true(x->type == '$' || x->type == '=');
    char *text = strndup(x->str + (x->type == '=' ? 4 : 0), (size_t)x->n - (x->type == '=' ? 4 : 0));
    node_free(x);
    free(r);
    char section[64] = "";
    char *save = NULL;
    for (char *line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        if (line[0] == '#') {
            snprintf(section, sizeof(section), "%s", line + 2);
            in.sections = realloc(in.sections, sizeof(char *) * (size_t)(in.nsections + 1));
            in.sections[in.nsections++] = strdup(line);
            continue;
        }
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        char field[256];
        snprintf(field, sizeof(field), "%s/%.*s", section, (int)(colon - line), line);
        in.fields = realloc(in.fields, sizeof(char *) * (size_t)(in.nfields + 1));
        in.fields[in.nfields++] = strdup(field);
    }
    free(text);
    return in;
}

static int info_has(const info *in, const char *field)
{
    for (int i = 0; i < in->nfields; i++)
        if (!strcmp(in->fields[i], field))
            return 1;
    return 0;
}

/* The INFO latencystats line of cmd ("" when absent), without CRLF. */
static char *latency_line(h_conn *c, const char *cmd)
{
    char *r = h_call(c, "INFO latencystats");
    assert_non_null(r);
    char key[128];
    snprintf(key, sizeof(key), "\r\nlatency_percentiles_usec_%s:", cmd);
    const char *p = strstr(r, key);
    char *line = strdup("");
    if (p) {
        p += 2;
        const char *e = strstr(p, "\r\n");
        free(line);
        line = strndup(p, (size_t)(e - p));
    }
    free(r);
    return line;
}

/* Parses "...:pA=x,pB=y,..." into names and values; returns the count. */
static int parse_percentiles(const char *line, char names[][32], double *vals, int max)
{
    const char *p = strchr(line, ':');
    int n = 0;
    if (!p)
        return -1;
    p++;
    while (*p && n < max) {
        const char *eq = strchr(p, '=');
        if (!eq || *p != 'p')
            return -1;
        snprintf(names[n], 32, "%.*s", (int)(eq - p), p);
        char *end;
        vals[n] = strtod(eq + 1, &end);
        if (end == eq + 1)
            return -1;
        const char *dot = strchr(eq + 1, '.');
        if (!dot || dot > end || end - dot != 4)
            return -1; /* three decimals, as Redis prints them */
        n++;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return n;
}

/* A LATENCY HISTOGRAM reply as "name:calls ..." after checking its shape:
 * a map (a flat array in RESP2) of name -> {calls, histogram_usec}, where
 * histogram_usec maps increasing bucket bounds to increasing cumulative
 * counts that end at calls. */
static char *histogram_skeleton(const char *reply, int proto)
{
    node *x = parse_reply(reply);
    char want = proto == 3 ? '%' : '*';
    if (!x || x->type != want || x->nel % 2)
        fail_msg("LATENCY HISTOGRAM: %s", reply ? reply : "(none)");
    char *out = calloc(1, 1024);
    for (int i = 0; i < x->nel; i += 2) {
        node *name = x->el[i], *m = x->el[i + 1];
        if (name->type != '$' || m->type != want || m->nel != 4 || !is_str(m->el[0], "calls") ||
            m->el[1]->type != ':' || !is_str(m->el[2], "histogram_usec") ||
            m->el[3]->type != want)
            fail_msg("LATENCY HISTOGRAM entry %d: %s", i / 2, reply);
        node *h = m->el[3];
        long long prev_key = 0, prev_count = 0;
        for (int k = 0; k < h->nel; k += 2) {
            if (h->el[k]->type != ':' || h->el[k + 1]->type != ':' || h->el[k]->n <= prev_key ||
                h->el[k + 1]->n <= prev_count)
                fail_msg("LATENCY HISTOGRAM buckets: %s", reply);
            prev_key = h->el[k]->n;
            prev_count = h->el[k + 1]->n;
        }
        if (prev_count != m->el[1]->n)
            fail_msg("LATENCY HISTOGRAM: last bucket %lld, calls %lld", prev_count, m->el[1]->n);
        size_t l = strlen(out);
        snprintf(out + l, 1024 - l, "%.*s:%lld ", (int)name->n, name->str, m->el[1]->n);
    }
    node_free(x);
    return out;
}

/* ---- SLOWLOG against redis-server ---------------------------------------------- */

/* Runs the same commands on one server (two connections) and returns the
 * canonical slow log they leave. */
static char *slowlog_script(const h_server *s, int proto)
{
    h_conn *a = connect_to(s), *b = connect_to(s);
    if (proto == 3) {
        run_line(a, "HELLO 3");
        run_line(b, "HELLO 3");
    }
    ok(a, "CONFIG SET slowlog-log-slower-than 0");
    ok(a, "CONFIG SET slowlog-max-len 128");
    ok(a, "SLOWLOG RESET");
    run_line(a, "SET foo bar");
    /* 32 arguments are kept whole; 33 become 31 and "... (2 more arguments)". */
    const char *argv[64];
    char keys[64][16];
    for (int n = 32; n <= 33; n++) {
        argv[0] = "DEL";
        for (int i = 1; i < n; i++) {
            snprintf(keys[i], sizeof(keys[i]), "k%d", i);
            argv[i] = keys[i];
        }
        run(a, n, argv, NULL);
    }
    /* Arguments of 128 bytes are kept whole; longer ones are cut. */
    char big[300];
    memset(big, 'x', sizeof(big));
    for (size_t n = 128; n <= 130; n++) {
        const char *av[3] = {"SET", big, "v"};
        size_t lens[3] = {3, n, 1};
        run(a, 3, av, lens);
    }
    const char *av[3] = {"ECHO", "bin\0\xff\r\n", NULL};
    size_t lens[3] = {4, 7, 0};
    run(a, 2, av, lens);
    /* Secrets, and the forms refused before their arguments are read. */
    run_line(a, "AUTH foo");
    run_line(a, "AUTH user pass");
    run_line(a, "AUTH a b c");
    run_line(b, "HELLO 9 AUTH a b");
    run_line(b, "HELLO 3 AUTH default");
    run_line(b, proto == 3 ? "HELLO 3 SETNAME conn2 AUTH default pw"
                           : "HELLO 2 SETNAME conn2 AUTH default pw");
    ok(a, "CONFIG SET requirepass \"\"");
    ok(a, "CONFIG SET maxclients 10000 requirepass \"\"");
    run_line(a, "CONFIG SET requirepass a maxclients");
    /* Refused before running: not logged. */
    run_line(a, "NOSUCHCOMMAND x");
    run_line(a, "GET");
    ok(a, "CLIENT SETNAME nm");
    run_line(a, "PING");
    run_line(b, "PING");
    char *r = h_call(a, "SLOWLOG GET -1");
    assert_non_null(r);
    long long newest = -1;
    char *canon = slowlog_canon(r, &newest);
    free(r);
    /* SLOWLOG GET with a count gives the newest entries. */
    r = h_call(a, "SLOWLOG GET 2");
    node *x = parse_reply(r);
    assert_non_null(x);
    assert_int_equal(x->nel, 2);
    assert_true(x->el[0]->el[0]->n > newest); /* the GET -1 itself came in between */
    node_free(x);
    free(r);
    ok(a, "CONFIG SET slowlog-log-slower-than 10000");
    h_close(a);
    h_close(b);
    return canon;
}

static void test_introspect_slowlog_entries_match_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    for (int proto = 2; proto <= 3; proto++) {
        char *mine = slowlog_script(&respd_srv, proto);
        char *theirs = slowlog_script(&redis_srv, proto);
        if (strcmp(mine, theirs) != 0) {
            fprintf(stderr, "RESP%d slow logs differ\n--- respd\n%s--- redis\n%s", proto, mine,
                    theirs);
            fail();
        }
        /* Not vacuous: the cuts and the secrets are there. */
        assert_non_null(strstr(mine, "... (2 more arguments)"));
        assert_non_null(strstr(mine, "... (2 more bytes)"));
        assert_non_null(strstr(mine, "[AUTH (redacted)]"));
        assert_non_null(strstr(mine, "SETNAME conn2 AUTH (redacted) (redacted)] name=conn2"));
        assert_non_null(strstr(mine, "[CONFIG SET maxclients 10000 requirepass (redacted)]"));
        assert_non_null(strstr(mine, "[AUTH a b c]"));
        assert_null(strstr(mine, "NOSUCHCOMMAND"));
        free(mine);
        free(theirs);
    }
}

/* A blocking command is recorded once, when it is served: not when it
 * blocks, not when it times out. */
static char *blocking_script(const h_server *s, char **histogram)
{
    h_conn *a = connect_to(s), *b = connect_to(s);
    ok(a, "CONFIG RESETSTAT");
    ok(a, "CONFIG SET slowlog-log-slower-than 0");
    ok(a, "SLOWLOG RESET");
    ok(a, "SELECT 0");
    run_line(a, "DEL bq1 bq2");
    char *r = h_call(a, "BLPOP bq1 0.1");
    assert_string_equal(r, "*-1\r\n");
    free(r);
    assert_int_equal(h_send_str(b, "*3\r\n$5\r\nBLPOP\r\n$3\r\nbq2\r\n$1\r\n5\r\n"), 0);
    h_sleep_ms(100);
    run_line(a, "RPUSH bq2 x");
    r = NULL;
    assert_int_equal(h_read_reply(b, H_REPLY_TIMEOUT_MS, &r, NULL), 0);
    assert_string_equal(r, "*2\r\n$3\r\nbq2\r\n$1\r\nx\r\n");
    free(r);
    r = h_call(a, "SLOWLOG GET -1");
    char *canon = slowlog_canon(r, NULL);
    free(r);
    r = h_call(a, "LATENCY HISTOGRAM blpop");
    char *skel = histogram_skeleton(r, 2);
    free(r);
    /* INFO commandstats: the call that timed out and the one served count,
     * the call that blocked does not. */
    r = h_call(a, "INFO commandstats");
    const char *calls = strstr(r, "cmdstat_blpop:calls=");
    assert_non_null(calls);
    assert_true(asprintf(histogram, "%scalls=%d", skel, atoi(calls + 20)) > 0);
    free(skel);
    free(r);
    ok(a, "CONFIG SET slowlog-log-slower-than 10000");
    h_close(a);
    h_close(b);
    return canon;
}

static void test_introspect_blocking_commands_recorded_when_served(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    char *hist[2];
    char *mine = blocking_script(&respd_srv, &hist[0]);
    char *theirs = blocking_script(&redis_srv, &hist[1]);
    if (strcmp(mine, theirs) != 0)
        fail_msg("slow logs differ\n--- respd\n%s--- redis\n%s", mine, theirs);
    assert_string_equal(hist[0], hist[1]);
    assert_string_equal(hist[0], "blpop:1 calls=2");
    assert_non_null(strstr(mine, "[BLPOP bq2 5]"));
    assert_null(strstr(mine, "[BLPOP bq1"));
    free(mine);
    free(theirs);
    free(hist[0]);
    free(hist[1]);
}

static void test_introspect_slowlog_errors_and_limits_match_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    static const char *const steps[] = {
        "SLOWLOG GET -2",
        "SLOWLOG GET abc",
        "SLOWLOG GET 9223372036854775808",
        "SLOWLOG GET 1 2",
        "SLOWLOG LEN x",
        "SLOWLOG RESET x",
        "SLOWLOG foo",
        "SLOWLOG",
        "SLOWLOG HELP",
        "slowlog help",
        "SLOWLOG HELP x",
        "CONFIG SET slowlog-log-slower-than -2",
        "CONFIG SET slowlog-log-slower-than abc",
        "CONFIG SET slowlog-log-slower-than 1kb",
        "CONFIG SET slowlog-log-slower-than 9223372036854775808",
        "CONFIG SET slowlog-max-len -1",
        "CONFIG SET slowlog-max-len 1.5",
        "CONFIG GET slowlog-log-slower-than",
        "CONFIG GET slowlog-max-len",
        /* Thresholds: a fast command is not logged, a slow one is. */
        "CONFIG SET slowlog-log-slower-than 50000",
        "SLOWLOG RESET",
        "PING",
        "DEBUG SLEEP 0.06",
        "SLOWLOG LEN",
        "%s SLOWLOG GET",
        "SLOWLOG GET 0",
        "CONFIG SET slowlog-log-slower-than -1",
        "DEBUG SLEEP 0.06",
        "SLOWLOG LEN",
        /* 0 logs everything; a lower slowlog-max-len trims at the next
         * entry, not at once. */
        "CONFIG SET slowlog-log-slower-than 0",
        "SLOWLOG RESET",
        "PING",
        "PING",
        "PING",
        "CONFIG SET slowlog-log-slower-than -1",
        "CONFIG SET slowlog-max-len 2",
        "SLOWLOG LEN",
        "CONFIG SET slowlog-log-slower-than 0",
        "SLOWLOG LEN",
        "%s SLOWLOG GET -1",
        "CONFIG SET slowlog-max-len 0",
        "SLOWLOG LEN",
        "SLOWLOG GET",
        "CONFIG SET slowlog-max-len 128",
        "CONFIG SET slowlog-log-slower-than 10000",
        "SLOWLOG RESET",
        "SLOWLOG LEN",
        NULL,
    };
    assert_int_equal(hdiff_run("slowlog", respd_srv.port, redis_srv.port, steps, 1), 0);
}

static void test_introspect_slowlog_records_the_real_duration(void **state)
{
    (void)state;
    h_conn *c = connect_to(&respd_srv);
    ok(c, "CONFIG SET slowlog-log-slower-than 20000");
    ok(c, "SLOWLOG RESET");
    run_line(c, "PING");
    ok(c, "DEBUG SLEEP 0.025");
    char *r = h_call(c, "SLOWLOG GET");
    node *x = parse_reply(r);
    assert_non_null(x);
    assert_int_equal(x->nel, 1);
    node *e = x->el[0];
    assert_true(e->el[2]->n >= 25000);
    assert_true(e->el[2]->n < 2000000);
    assert_true(is_str(e->el[3]->el[0], "DEBUG"));
    long long id = e->el[0]->n;
    node_free(x);
    free(r);
    /* Ids go on after a reset. */
    ok(c, "SLOWLOG RESET");
    ok(c, "DEBUG SLEEP 0.025");
    r = h_call(c, "SLOWLOG GET");
    x = parse_reply(r);
    assert_non_null(x);
    assert_int_equal(x->nel, 1);
    assert_true(x->el[0]->el[0]->n > id);
    node_free(x);
    free(r);
    ok(c, "CONFIG SET slowlog-log-slower-than 10000");
    h_close(c);
}

/* ---- latency tracking ----------------------------------------------------------- */

static void test_introspect_latencystats_after_traffic(void **state)
{
    (void)state;
    h_conn *c = connect_to(&respd_srv);
    ok(c, "CONFIG RESETSTAT");
    for (int i = 0; i < 300; i++) {
        char *r = h_callf(c, "SET lat:%d %d", i % 50, i);
        free(r);
    }
    for (int i = 0; i < 200; i++) {
        char *r = h_callf(c, "GET lat:%d", i % 60);
        free(r);
    }
    ok(c, "DEBUG SLEEP 0.012");
    ok(c, "DEBUG SLEEP 0.012");
    static const char *const cmds[] = {"set", "get", "debug"};
    for (int k = 0; k < 3; k++) {
        char *line = latency_line(c, cmds[k]);
        char names[8][32];
        double v[8];
        int n = parse_percentiles(line, names, v, 8);
        if (n != 3 || strcmp(names[0], "p50") || strcmp(names[1], "p99") ||
            strcmp(names[2], "p99.9"))
            fail_msg("latencystats line for %s: '%s'", cmds[k], line);
        assert_true(v[0] <= v[1] && v[1] <= v[2]);
        if (!strcmp(cmds[k], "debug")) {
            /* Both took 12 ms; the histogram is within 1.6% of that. */
            assert_true(v[0] >= 12000 && v[0] < 20000);
        } else {
            assert_true(v[0] >= 0 && v[0] < 12000);
        }
        free(line);
    }
    /* Other percentiles, as Redis names them. */
    ok(c, "CONFIG SET latency-tracking-info-percentiles \"0 50.5 100\"");
    char *line = latency_line(c, "debug");
    char names[8][32];
    double v[8];
    assert_int_equal(parse_percentiles(line, names, v, 8), 3);
    assert_string_equal(names[0], "p0");
    assert_string_equal(names[1], "p50.5");
    assert_string_equal(names[2], "p100");
    assert_true(v[0] <= v[1] && v[1] <= v[2] && v[0] >= 12000);
    free(line);
    ok(c, "CONFIG SET latency-tracking-info-percentiles \"\"");
    line = latency_line(c, "get");
    assert_string_equal(line, "latency_percentiles_usec_get:");
    free(line);
    ok(c, "CONFIG SET latency-tracking-info-percentiles \"50 99 99.9\"");
    /* LATENCY HISTOGRAM: {calls, histogram_usec {power of two: calls below}}. */
    char *r = h_call(c, "LATENCY HISTOGRAM get nosuch");
    node *x = parse_reply(r);
    assert_non_null(x);
    assert_int_equal(x->type, '*');
    assert_int_equal(x->nel, 2);
    assert_true(is_str(x->el[0], "get"));
    node *m = x->el[1];
    assert_int_equal(m->nel, 4);
    assert_true(is_str(m->el[0], "calls"));
    assert_int_equal(m->el[1]->n, 200);
    assert_true(is_str(m->el[2], "histogram_usec"));
    node *h = m->el[3];
    assert_true(h->nel >= 2 && h->nel % 2 == 0);
    long long prev_key = 0, prev_count = 0;
    for (int i = 0; i < h->nel; i += 2) {
        long long key = h->el[i]->n, count = h->el[i + 1]->n;
        assert_true(key > prev_key && (key & (key - 1)) == 0);
        assert_true(count > prev_count);
        prev_key = key;
        prev_count = count;
    }
    assert_int_equal(prev_count, 200);
    node_free(x);
    free(r);
    /* Off: nothing recorded, the INFO section is empty (as Redis). */
    ok(c, "CONFIG SET latency-tracking no");
    run_line(c, "GET lat:1");
    r = h_call(c, "INFO latencystats");
    assert_non_null(strstr(r, "# Latencystats\r\n"));
    assert_null(strstr(r, "latency_percentiles_usec_"));
    free(r);
    ok(c, "CONFIG SET latency-tracking yes");
    r = h_call(c, "LATENCY HISTOGRAM get");
    x = parse_reply(r);
    assert_int_equal(x->el[1]->el[1]->n, 200);
    node_free(x);
    free(r);
    /* CONFIG RESETSTAT forgets every histogram. */
    ok(c, "CONFIG RESETSTAT");
    line = latency_line(c, "get");
    assert_string_equal(line, "");
    free(line);
    h_expect(c, "LATENCY HISTOGRAM get set", "*0\r\n");
    h_close(c);
}

static void test_introspect_latency_replies_match_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    static const char *const steps[] = {
        "CONFIG GET latency-tracking",
        "CONFIG GET latency-tracking-info-percentiles",
        "CONFIG SET latency-tracking maybe",
        "CONFIG SET latency-tracking-info-percentiles \"50.5 99.0 33.333333333 0.0001 1e1\"",
        "CONFIG GET latency-tracking-info-percentiles",
        "CONFIG SET latency-tracking-info-percentiles \" 50\"",
        "CONFIG SET latency-tracking-info-percentiles \"50  99\"",
        "CONFIG SET latency-tracking-info-percentiles \"50 \"",
        "CONFIG SET latency-tracking-info-percentiles 0x10",
        "CONFIG GET latency-tracking-info-percentiles",
        "CONFIG SET latency-tracking-info-percentiles inf",
        "CONFIG SET latency-tracking-info-percentiles nan",
        "CONFIG SET latency-tracking-info-percentiles \"abc 101\"",
        "CONFIG SET latency-tracking-info-percentiles \"101 abc\"",
        "CONFIG SET latency-tracking-info-percentiles -0.5",
        "CONFIG SET latency-tracking-info-percentiles \"50 50\"",
        "CONFIG GET latency-tracking-info-percentiles",
        "CONFIG SET latency-tracking-info-percentiles \"\"",
        "CONFIG GET latency-tracking-info-percentiles",
        "CONFIG SET latency-tracking-info-percentiles \"50 99 99.9\"",
        "LATENCY",
        "LATENCY FOO",
        "LATENCY HELP x",
        "CONFIG RESETSTAT",
        "LATENCY HISTOGRAM nosuch",
        "LATENCY HISTOGRAM set",
        "LATENCY HISTOGRAM config|nosuch",
        "LATENCY HISTOGRAM set|x",
        NULL,
    };
    assert_int_equal(hdiff_run("latency", respd_srv.port, redis_srv.port, steps, 1), 0);
    /* Which commands a LATENCY HISTOGRAM lists, in which order, with how
     * many calls: the same on both (the buckets hold times, which differ). */
    static const char *const queries[] = {"LATENCY HISTOGRAM set nosuch SET",
                                          "LATENCY HISTOGRAM CONFIG",
                                          "LATENCY HISTOGRAM config|resetstat ping", NULL};
    for (int proto = 2; proto <= 3; proto++) {
        char *sk[2][3];
        const h_server *servers[2] = {&respd_srv, &redis_srv};
        for (int s = 0; s < 2; s++) {
            h_conn *c = connect_to(servers[s]);
            if (proto == 3)
                run_line(c, "HELLO 3");
            ok(c, "CONFIG RESETSTAT");
            run_line(c, "SET a b");
            run_line(c, "SET a c");
            run_line(c, "PING");
            for (int q = 0; queries[q]; q++) {
                char *r = h_call(c, queries[q]);
                sk[s][q] = histogram_skeleton(r, proto);
                free(r);
            }
            h_close(c);
        }
        for (int q = 0; queries[q]; q++) {
            if (strcmp(sk[0][q], sk[1][q]) != 0)
                fail_msg("RESP%d %s: respd %s, redis %s", proto, queries[q], sk[0][q], sk[1][q]);
            free(sk[0][q]);
            free(sk[1][q]);
        }
    }
}

/* ---- INFO ----------------------------------------------------------------------- */

/* 1 while INFO keyspace lists database db. */
static int db_listed(h_conn *c, int db)
{
    char *r = h_call(c, "INFO keyspace");
    assert_non_null(r);
    char key[32];
    snprintf(key, sizeof(key), "\r\ndb%d:", db);
    int found = strstr(r, key) != NULL;
    free(r);
    return found;
}

/* Fields redis-server prints that respd leaves out, and why. */
static const char *const info_exclusions[] = {
    /* jemalloc's own statistics (respd uses the C library's allocator) */
    "Memory/allocator_allocated", "Memory/allocator_active", "Memory/allocator_resident",
    "Memory/allocator_frag_ratio", "Memory/allocator_frag_bytes", "Memory/allocator_rss_ratio",
    "Memory/allocator_rss_bytes", "Memory/rss_overhead_ratio", "Memory/rss_overhead_bytes",
    /* progress and copy-on-write size of a forked child, which the AOF
     * rewrite child does not report */
    "Persistence/current_cow_peak", "Persistence/current_cow_size",
    "Persistence/current_cow_size_age", "Persistence/current_fork_perc",
    "Persistence/current_save_keys_processed", "Persistence/current_save_keys_total",
    "Persistence/aof_last_cow_size",
    /* Redis's cron-driven resizing of its fixed 16 KB reply buffer */
    "Stats/reply_buffer_shrinks", "Stats/reply_buffer_expands",
    NULL,
};

static int excluded(const char *field)
{
    for (int i = 0; info_exclusions[i]; i++)
        if (!strcmp(info_exclusions[i], field))
            return 1;
    return 0;
}

static void test_introspect_info_fields_match_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    static const char *const kinds[] = {"", "all", "everything", "default latencystats",
                                        "latencystats", "server clients", NULL};
    for (int k = 0; kinds[k]; k++) {
        h_conn *a = connect_to(&respd_srv), *b = connect_to(&redis_srv);
        run_line(a, "SET infokey v");
        run_line(b, "SET infokey v");
        info mine = info_read(a, kinds[k]), theirs = info_read(b, kinds[k]);
        /* The same sections, in the same order. */
        assert_int_equal(mine.nsections, theirs.nsections);
        for (int i = 0; i < mine.nsections; i++)
            assert_string_equal(mine.sections[i], theirs.sections[i]);
        /* Every field of redis's, but the documented exclusions. Lines
         * named after commands, errors or databases are data, not fields. */
        int checked = 0;
        for (int i = 0; i < theirs.nfields; i++) {
            const char *f = theirs.fields[i];
            if (strstr(f, "/cmdstat_") || strstr(f, "/errorstat_") ||
                strstr(f, "/latency_percentiles_usec_") || !strncmp(f, "Keyspace/db", 11))
                continue;
            if (excluded(f))
                continue;
            if (!info_has(&mine, f))
                fail_msg("INFO %s: respd lacks %s", kinds[k], f);
            checked++;
        }
        if (k == 2)
            assert_true(checked > 150);
        /* The exclusions are real: redis prints them. */
        if (k == 2)
            for (int i = 0; info_exclusions[i]; i++)
                if (!info_has(&theirs, info_exclusions[i]))
                    fail_msg("redis no longer prints %s", info_exclusions[i]);
        info_free(&mine);
        info_free(&theirs);
        run_line(a, "DEL infokey");
        run_line(b, "DEL infokey");
        h_close(a);
        h_close(b);
    }
}

static void test_introspect_info_new_fields_hold_true_values(void **state)
{
    (void)state;
    h_conn *c = connect_to(&respd_srv);
    ok(c, "SELECT 9");
    ok(c, "FLUSHDB");
    /* Reads and writes are counted. */
    long long reads = h_info_field(c, "stats", "total_reads_processed");
    long long writes = h_info_field(c, "stats", "total_writes_processed");
    for (int i = 0; i < 10; i++)
        run_line(c, "PING");
    assert_true(h_info_field(c, "stats", "total_reads_processed") >= reads + 10);
    assert_true(h_info_field(c, "stats", "total_writes_processed") >= writes + 10);
    /* A client blocked with a timeout is in the timeout table, one blocked
     * forever is not. */
    h_conn *b1 = connect_to(&respd_srv), *b2 = connect_to(&respd_srv);
    assert_int_equal(h_send_str(b1, "*3\r\n$5\r\nBLPOP\r\n$2\r\nq1\r\n$2\r\n30\r\n"), 0);
    assert_int_equal(h_send_str(b2, "*3\r\n$5\r\nBLPOP\r\n$2\r\nq2\r\n$1\r\n0\r\n"), 0);
    long long t0 = h_now_ms();
    while (h_info_field(c, "clients", "blocked_clients") < 2 && h_now_ms() - t0 < 2000)
        h_sleep_ms(10);
    assert_int_equal(h_info_field(c, "clients", "blocked_clients"), 2);
    assert_int_equal(h_info_field(c, "clients", "clients_in_timeout_table"), 1);
    h_close(b1);
    h_close(b2);
    t0 = h_now_ms();
    while (h_info_field(c, "clients", "blocked_clients") > 0 && h_now_ms() - t0 < 2000)
        h_sleep_ms(10);
    assert_int_equal(h_info_field(c, "clients", "clients_in_timeout_table"), 0);
    /* A client holding half of a 200 KB argument shows in the client
     * memory figures. */
    h_conn *big = connect_to(&respd_srv);
    char head[64];
    snprintf(head, sizeof(head), "*2\r\n$4\r\nECHO\r\n$%d\r\n", 200000);
    assert_int_equal(h_send_str(big, head), 0);
    char *half = malloc(100000);
    memset(half, 'z', 100000);
    assert_int_equal(h_send(big, half, 100000), 0);
    t0 = h_now_ms();
    while (h_info_field(c, "clients", "client_recent_max_input_buffer") < 100000 &&
           h_now_ms() - t0 < 2000)
        h_sleep_ms(10);
    assert_true(h_info_field(c, "clients", "client_recent_max_input_buffer") >= 100000);
    assert_true(h_info_field(c, "memory", "mem_clients_normal") >= 100000);
    assert_true(h_info_field(c, "memory", "used_memory_overhead") >=
                h_info_field(c, "memory", "used_memory_startup") + 100000);
    assert_int_equal(h_send(big, half, 100000), 0);
    free(half);
    assert_int_equal(h_send_str(big, "\r\n"), 0);
    char *r = NULL;
    assert_int_equal(h_read_reply(big, H_REPLY_TIMEOUT_MS, &r, NULL), 0);
    assert_true(strlen(r) > 200000);
    free(r);
    h_close(big);
    /* A rewrite forks: total_forks, latest_fork_usec; RESETSTAT clears. */
    long long forks = h_info_field(c, "stats", "total_forks");
    long long rewrites = h_info_field(c, "persistence", "aof_rewrites");
    r = h_call(c, "BGREWRITEAOF");
    assert_non_null(r);
    free(r);
    t0 = h_now_ms();
    while (h_info_field(c, "persistence", "aof_rewrite_in_progress") != 0 && h_now_ms() - t0 < 5000)
        h_sleep_ms(20);
    h_sleep_ms(200); /* the cron reaps the child */
    t0 = h_now_ms();
    while (h_info_field(c, "persistence", "aof_rewrites") < rewrites + 1 && h_now_ms() - t0 < 3000)
        h_sleep_ms(20);
    assert_int_equal(h_info_field(c, "stats", "total_forks"), forks + 1);
    assert_true(h_info_field(c, "stats", "latest_fork_usec") > 0);
    assert_int_equal(h_info_field(c, "persistence", "aof_rewrites"), rewrites + 1);
    assert_int_equal(h_info_field(c, "persistence", "aof_rewrites_consecutive_failures"), 0);
    /* Active expiry of many keys takes measurable time. */
    char *buf = malloc(60 * 100000);
    size_t len = 0;
    for (int i = 0; i < 100000; i++)
        len += (size_t)sprintf(buf + len, "SET exp:%d v PX 1\r\n", i);
    assert_int_equal(h_send(c, buf, len), 0);
    free(buf);
    h_expect_replies(c, 100000, "+OK\r\n");
    t0 = h_now_ms();
    while (db_listed(c, 9) && h_now_ms() - t0 < 10000)
        h_sleep_ms(50);
    assert_true(h_info_field(c, "stats", "expired_keys") >= 100000);
    assert_true(h_info_field(c, "stats", "expire_cycle_cpu_milliseconds") >= 1);
    /* Event-loop cycles: counted and timed; the 100,000 pipelined SETs ran
     * many to a cycle (but in slices, not all in one). The Debug section is
     * shown only when named, as in Redis 7.2. */
    assert_true(h_info_field(c, "stats", "eventloop_cycles") > 10);
    assert_true(h_info_field(c, "stats", "eventloop_duration_sum") > 0);
    assert_true(h_info_field(c, "debug", "eventloop_duration_max") > 0);
    long long per_cycle = h_info_field(c, "debug", "eventloop_cmd_per_cycle_max");
    assert_true(per_cycle > 16 && per_cycle < 100000);
    r = h_call(c, "INFO everything");
    assert_non_null(r);
    assert_null(strstr(r, "# Debug"));
    assert_null(strstr(r, "eventloop_duration_max"));
    free(r);
    ok(c, "CONFIG RESETSTAT");
    assert_true(h_info_field(c, "debug", "eventloop_cmd_per_cycle_max") < per_cycle);
    assert_int_equal(h_info_field(c, "stats", "total_forks"), 0);
    assert_int_equal(h_info_field(c, "stats", "latest_fork_usec"), 0);
    assert_int_equal(h_info_field(c, "persistence", "aof_rewrites"), 0);
    assert_int_equal(h_info_field(c, "stats", "expire_cycle_cpu_milliseconds"), 0);
    h_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_introspect_slowlog_entries_match_redis),
        cmocka_unit_test(test_introspect_blocking_commands_recorded_when_served),
        cmocka_unit_test(test_introspect_slowlog_errors_and_limits_match_redis),
        cmocka_unit_test(test_introspect_slowlog_records_the_real_duration),
        cmocka_unit_test(test_introspect_latencystats_after_traffic),
        cmocka_unit_test(test_introspect_latency_replies_match_redis),
        cmocka_unit_test(test_introspect_info_fields_match_redis),
        cmocka_unit_test(test_introspect_info_new_fields_hold_true_values),
    };
    return cmocka_run_group_tests(tests, hdiff_group_setup, hdiff_group_teardown);
}
