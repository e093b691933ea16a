/* test_metrics: the Prometheus endpoint (metrics-port) of a real respd,
 * scraped over HTTP on 127.0.0.1.
 *
 * Every scrape is checked against the rules of the Prometheus text
 * exposition format (0.0.4): a # TYPE line precedes the samples of each
 * family and appears once, a family's samples are contiguous, metric and
 * label names match their grammars, label values use only the \\ \" \n
 * escapes, values are floats; a histogram's buckets are cumulative, have
 * increasing bounds, end with le="+Inf", and its _count equals that last
 * bucket. Between two scrapes no counter may decrease. The values are
 * compared with what INFO, DBSIZE and INFO commandstats say at the same
 * moment. Bad requests get 400 (404 for another path, 431 past the size
 * limit) and the connection closes; slow, silent or non-reading scrapers
 * never hold up RESP clients; metrics-port moves at run time.
 */
#include "harness.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

static h_server srv;
static int mport; /* the metrics port of srv */

/* ---- HTTP -------------------------------------------------------------------- */

typedef struct http_resp {
    int status;          /* 0 when no status line arrived */
    char *raw;           /* everything received (NUL-terminated) */
    size_t len;
    const char *body;    /* inside raw, after the blank line */
    size_t body_len;
    int closed;          /* the server closed the connection */
} http_resp;

static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads until the peer closes or timeout_ms passes. */
static void read_until_close(int fd, http_resp *r, int timeout_ms)
{
    size_t cap = 4096;
    r->raw = malloc(cap);
    r->len = 0;
    r->closed = 0;
    long long deadline = h_now_ms() + timeout_ms;
    for (;;) {
        long long left = deadline - h_now_ms();
        if (left <= 0)
            break;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int pr = poll(&pfd, 1, (int)left);
        if (pr <= 0)
            continue;
        if (cap - r->len < 4096) {
            cap *= 2;
            r->raw = realloc(r->raw, cap);
        }
        ssize_t n = read(fd, r->raw + r->len, cap - r->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r->closed = 1;
            break;
        }
        r->len += (size_t)n;
    }
    r->raw[r->len] = '\0';
    r->status = 0;
    r->body = NULL;
    r->body_len = 0;
    if (sscanf(r->raw, "HTTP/1.%*d %d", &r->status) != 1)
        r->status = 0;
    const char *blank = strstr(r->raw, "\r\n\r\n");
    if (blank) {
        r->body = blank + 4;
        r->body_len = r->len - (size_t)(r->body - r->raw);
    }
}

/* Sends req on a new connection and reads the whole answer. */
static http_resp http_raw(int port, const char *req, size_t len)
{
    http_resp r = {0};
    int fd = connect_port(port);
    if (fd < 0)
        fail_msg("cannot connect to the metrics port %d", port);
    if (len && send_all(fd, req, len) < 0)
        fail_msg("cannot send the request");
    read_until_close(fd, &r, 5000);
    close(fd);
    return r;
}

static http_resp scrape(int port)
{
    static const char req[] = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n";
    return http_raw(port, req, sizeof(req) - 1);
}

/* The value of header name (case-insensitive) in r, or NULL. */
static char *header(const http_resp *r, const char *name)
{
    size_t nl = strlen(name);
    const char *p = strstr(r->raw, "\r\n");
    while (p && r->body && p + 2 < r->body) {
        p += 2;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            return strndup(v, (size_t)(e - v));
        }
        p = strstr(p, "\r\n");
    }
    return NULL;
}

/* ---- the exposition format ------------------------------------------------------ */

typedef struct sample {
    char *key;       /* name{labels} exactly as written: the series */
    char *name;
    char *family;
    char *labels_no_le; /* the labels other than le, as written */
    char *le;        /* NULL when there is none */
    double value;
} sample;

typedef struct family {
    char *name;
    char *type;
    int has_help;
    int samples;     /* samples seen */
    int closed;      /* another family's samples came after them */
} family;

typedef struct expo {
    sample *s;
    int ns;
    family *f;
    int nf;
} expo;

static void expo_free(expo *e)
{
    for (int i = 0; i < e->ns; i++) {
        free(e->s[i].key);
        free(e->s[i].name);
        free(e->s[i].family);
        free(e->s[i].labels_no_le);
        free(e->s[i].le);
    }
    for (int i = 0; i < e->nf; i++) {
        free(e->f[i].name);
        free(e->f[i].type);
    }
    free(e->s);
    free(e->f);
    memset(e, 0, sizeof(*e));
}

static family *find_family(expo *e, const char *name)
{
    for (int i = 0; i < e->nf; i++)
        if (!strcmp(e->f[i].name, name))
            return &e->f[i];
    return NULL;
}

static int valid_metric_name(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
            return 0;
    return 1;
}

static int valid_label_name(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return 0;
    if (n >= 2 && s[0] == '_' && s[1] == '_')
        return 0; /* reserved */
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            return 0;
    return 1;
}

/* A Go ParseFloat-style value: a decimal float, or +Inf, -Inf, NaN. */
static int parse_value(const char *s, size_t n, double *v)
{
    char buf[64];
    if (n == 0 || n >= sizeof(buf))
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (!strcmp(buf, "+Inf")) {
        *v = INFINITY;
        return 1;
    }
    if (!strcmp(buf, "-Inf")) {
        *v = -INFINITY;
        return 1;
    }
    if (!strcmp(buf, "NaN")) {
        *v = NAN;
        return 1;
    }
    char *end;
    errno = 0;
    *v = strtod(buf, &end);
    return *end == '\0' && errno == 0 && !isspace((unsigned char)buf[0]) &&
           !strpbrk(buf, "xXiInN"); /* no hex, no spelled-out infinities */
}

/* Parses and checks one exposition. Returns 0, or -1 with why filled. */
static int expo_parse(const char *body, size_t len, expo *e, char *why, size_t wl)
{
    memset(e, 0, sizeof(*e));
    if (len == 0 || body[len - 1] != '\n') {
        snprintf(why, wl, "the body does not end with a newline");
        return -1;
    }
    int cap_s = 0, cap_f = 0, lineno = 0;
    const char *p = body, *end = body + len;
    family *current = NULL;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)(eol - p);
        char line[2048];
        lineno++;
        if (n >= sizeof(line)) {
            snprintf(why, wl, "line %d too long", lineno);
            return -1;
        }
        memcpy(line, p, n);
        line[n] = '\0';
        p = eol + 1;
        if (n == 0)
            continue;
        if (line[0] == '#') {
            char kw[8], name[256];
            int off = 0;
            if (sscanf(line, "# %7s %255s %n", kw, name, &off) < 2 ||
                (strcmp(kw, "HELP") && strcmp(kw, "TYPE")))
                continue; /* a plain comment */
            if (!valid_metric_name(name, strlen(name))) {
                snprintf(why, wl, "line %d: bad metric name '%s'", lineno, name);
                return -1;
            }
            family *f = find_family(e, name);
            if (!f) {
                if (e->nf == cap_f) {
                    cap_f = cap_f ? cap_f * 2 : 64;
                    e->f = realloc(e->f, sizeof(family) * (size_t)cap_f);
                }
                f = &e->f[e->nf++];
                memset(f, 0, sizeof(*f));
                f->name = strdup(name);
            }
            if (!strcmp(kw, "HELP")) {
                if (f->has_help++) {
                    snprintf(why, wl, "line %d: second HELP for %s", lineno, name);
                    return -1;
                }
                for (const char *q = line + off; *q; q++)
                    if (*q == '\\' && q[1] != '\\' && q[1] != 'n') {
                        snprintf(why, wl, "line %d: bad escape in HELP", lineno);
                        return -1;
                    } else if (*q == '\\') {
                        q++;
                    }
            } else {
                const char *type = line + off;
                if (f->type) {
                    snprintf(why, wl, "line %d: second TYPE for %s", lineno, name);
                    return -1;
                }
                if (f->samples) {
                    snprintf(why, wl, "line %d: TYPE for %s after its samples", lineno, name);
                    return -1;
                }
                if (strcmp(type, "counter") && strcmp(type, "gauge") &&
                    strcmp(type, "histogram") && strcmp(type, "summary") &&
                    strcmp(type, "untyped")) {
                    snprintf(why, wl, "line %d: bad type '%s'", lineno, type);
                    return -1;
                }
                f->type = strdup(type);
            }
            continue;
        }
        /* A sample: name[{labels}] value [timestamp] */
        size_t i = 0;
        while (i < n && line[i] != '{' && line[i] != ' ')
            i++;
        if (!valid_metric_name(line, i)) {
            snprintf(why, wl, "line %d: bad metric name in '%.200s'", lineno, line);
            return -1;
        }
        char *name = strndup(line, i);
        char nole[1024] = "", le[128] = "";
        int has_le = 0;
        if (i < n && line[i] == '{') {
            i++;
            char seen[16][128];
            int nseen = 0;
            while (i < n && line[i] != '}') {
                size_t ls = i;
                while (i < n && line[i] != '=')
                    i++;
                if (i >= n || !valid_label_name(line + ls, i - ls)) {
                    snprintf(why, wl, "line %d: bad label name", lineno);
                    free(name);
                    return -1;
                }
                char lname[128];
                snprintf(lname, sizeof(lname), "%.*s", (int)(i - ls), line + ls);
                for (int k = 0; k < nseen; k++)
                    if (!strcmp(seen[k], lname)) {
                        snprintf(why, wl, "line %d: label %s twice", lineno, lname);
                        free(name);
                        return -1;
                    }
                if (nseen < 16)
                    snprintf(seen[nseen++], sizeof(seen[0]), "%s", lname);
                i++;
                if (i >= n || line[i] != '"') {
                    snprintf(why, wl, "line %d: label value not quoted", lineno);
                    free(name);
                    return -1;
                }
                size_t vs = ++i;
                while (i < n && line[i] != '"') {
                    if (line[i] == '\\') {
                        if (i + 1 >= n || !strchr("\\\"n", line[i + 1])) {
                            snprintf(why, wl, "line %d: bad escape in a label value", lineno);
                            free(name);
                            return -1;
                        }
                        i++;
                    }
                    i++;
                }
                if (i >= n) {
                    snprintf(why, wl, "line %d: unterminated label value", lineno);
                    free(name);
                    return -1;
                }
                if (!strcmp(lname, "le")) {
                    has_le = 1;
                    snprintf(le, sizeof(le), "%.*s", (int)(i - vs), line + vs);
                } else {
                    size_t nl = strlen(nole);
                    snprintf(nole + nl, sizeof(nole) - nl, "%s%s=%.*s", nl ? "," : "", lname,
                             (int)(i - vs), line + vs);
                }
                i++; /* closing quote */
                if (i < n && line[i] == ',')
                    i++;
                else if (i < n && line[i] != '}') {
                    snprintf(why, wl, "line %d: expected , or }", lineno);
                    free(name);
                    return -1;
                }
            }
            if (i >= n) {
                snprintf(why, wl, "line %d: unterminated labels", lineno);
                free(name);
                return -1;
            }
            i++;
        }
        size_t key_len = i;
        if (i >= n || line[i] != ' ') {
            snprintf(why, wl, "line %d: no value", lineno);
            free(name);
            return -1;
        }
        i++;
        size_t vs = i;
        while (i < n && line[i] != ' ')
            i++;
        double v;
        if (!parse_value(line + vs, i - vs, &v)) {
            snprintf(why, wl, "line %d: bad value '%.*s'", lineno, (int)(i - vs), line + vs);
            free(name);
            return -1;
        }
        if (i < n) { /* a timestamp: an integer */
            char *tend;
            strtoll(line + i + 1, &tend, 10);
            if (*tend) {
                snprintf(why, wl, "line %d: bad timestamp", lineno);
                free(name);
                return -1;
            }
        }
        /* Its family: the name itself, or a histogram's _bucket/_sum/_count. */
        family *f = find_family(e, name);
        if (!f || !f->type) {
            static const char *const sfx[] = {"_bucket", "_sum", "_count"};
            for (int k = 0; k < 3 && (!f || !f->type); k++) {
                size_t nl = strlen(name), sl = strlen(sfx[k]);
                if (nl > sl && !strcmp(name + nl - sl, sfx[k])) {
                    char base[256];
                    snprintf(base, sizeof(base), "%.*s", (int)(nl - sl), name);
                    family *b = find_family(e, base);
                    if (b && b->type && (!strcmp(b->type, "histogram") ||
                                         (k > 0 && !strcmp(b->type, "summary"))))
                        f = b;
                }
            }
        }
        if (!f || !f->type) {
            snprintf(why, wl, "line %d: sample %s has no # TYPE before it", lineno, name);
            free(name);
            return -1;
        }
        if (!strcmp(f->type, "histogram") && !strcmp(f->name, name)) {
            snprintf(why, wl, "line %d: histogram sample without a suffix", lineno);
            free(name);
            return -1;
        }
        if (!strcmp(f->type, "histogram") && strstr(name, "_bucket") && !has_le) {
            snprintf(why, wl, "line %d: bucket without le", lineno);
            free(name);
            return -1;
        }
        if (current != f) {
            if (f->closed || f->samples) {
                snprintf(why, wl, "line %d: samples of %s are not together", lineno, f->name);
                free(name);
                return -1;
            }
            if (current)
                current->closed = 1;
            current = f;
        }
        f->samples++;
        if (e->ns == cap_s) {
            cap_s = cap_s ? cap_s * 2 : 256;
            e->s = realloc(e->s, sizeof(sample) * (size_t)cap_s);
        }
        sample *s = &e->s[e->ns++];
        s->key = strndup(line, key_len);
        s->name = name;
        s->family = strdup(f->name);
        s->labels_no_le = strdup(nole);
        s->le = has_le ? strdup(le) : NULL;
        s->value = v;
    }
    return 0;
}

static const family *family_of(const expo *e, const sample *s)
{
    for (int i = 0; i < e->nf; i++)
        if (!strcmp(e->f[i].name, s->family))
            return &e->f[i];
    return NULL;
}

/* Histogram rules for every series of every histogram. Returns the number
 * of series checked, or -1 with why filled. */
static int check_histograms(const expo *e, char *why, size_t wl)
{
    int series = 0;
    for (int i = 0; i < e->ns; i++) {
        const sample *s = &e->s[i];
        const family *f = family_of(e, s);
        if (strcmp(f->type, "histogram") || !s->le)
            continue;
        /* The first bucket of a series: walk its buckets. */
        if (i > 0 && e->s[i - 1].le && !strcmp(e->s[i - 1].family, s->family) &&
            !strcmp(e->s[i - 1].labels_no_le, s->labels_no_le))
            continue;
        double prev_le = -INFINITY, prev_v = 0, inf_v = -1;
        int j = i;
        for (; j < e->ns && e->s[j].le && !strcmp(e->s[j].family, s->family) &&
               !strcmp(e->s[j].labels_no_le, s->labels_no_le);
             j++) {
            double le;
            if (!parse_value(e->s[j].le, strlen(e->s[j].le), &le) || isnan(le) || le <= prev_le) {
                snprintf(why, wl, "%s: le %s not increasing", e->s[j].key, e->s[j].le);
                return -1;
            }
            if (e->s[j].value < prev_v) {
                snprintf(why, wl, "%s: bucket count decreases", e->s[j].key);
                return -1;
            }
            prev_le = le;
            prev_v = e->s[j].value;
            if (isinf(le))
                inf_v = e->s[j].value;
        }
        if (!isinf(prev_le)) {
            snprintf(why, wl, "%s{%s}: the last bucket is not +Inf", s->family, s->labels_no_le);
            return -1;
        }
        int have_count = 0, have_sum = 0;
        for (int k = 0; k < e->ns; k++) {
            if (strcmp(e->s[k].family, s->family) || strcmp(e->s[k].labels_no_le, s->labels_no_le) ||
                e->s[k].le)
                continue;
            size_t nl = strlen(e->s[k].name);
            if (nl > 6 && !strcmp(e->s[k].name + nl - 6, "_count")) {
                have_count = 1;
                if (e->s[k].value != inf_v) {
                    snprintf(why, wl, "%s: _count %.0f != +Inf bucket %.0f", e->s[k].key,
                             e->s[k].value, inf_v);
                    return -1;
                }
            } else if (nl > 4 && !strcmp(e->s[k].name + nl - 4, "_sum")) {
                have_sum = 1;
            }
        }
        if (!have_count || !have_sum) {
            snprintf(why, wl, "%s{%s}: no _count or _sum", s->family, s->labels_no_le);
            return -1;
        }
        series++;
        i = j - 1;
    }
    return series;
}

static const sample *find_sample(const expo *e, const char *key)
{
    for (int i = 0; i < e->ns; i++)
        if (!strcmp(e->s[i].key, key))
            return &e->s[i];
    return NULL;
}

/* Scrapes, checks the HTTP answer and the exposition, and parses it. */
static void scrape_checked(int port, expo *e)
{
    http_resp r = scrape(port);
    if (r.status != 200)
        fail_msg("scrape: status %d: %.200s", r.status, r.raw);
    assert_true(r.closed);
    char *ct = header(&r, "Content-Type");
    assert_non_null(ct);
    assert_string_equal(ct, "text/plain; version=0.0.4; charset=utf-8");
    free(ct);
    char *cl = header(&r, "Content-Length");
    assert_non_null(cl);
    assert_int_equal(atoll(cl), (long long)r.body_len);
    free(cl);
    char *conn = header(&r, "Connection");
    assert_non_null(conn);
    assert_string_equal(conn, "close");
    free(conn);
    char why[512];
    if (expo_parse(r.body, r.body_len, e, why, sizeof(why)) < 0)
        fail_msg("exposition: %s", why);
    if (check_histograms(e, why, sizeof(why)) < 0)
        fail_msg("histogram: %s", why);
    free(r.raw);
}

/* ---- helpers ---------------------------------------------------------------------- */

static h_conn *conn(void)
{
    h_conn *c = h_connect(srv.port, 2000);
    assert_non_null(c);
    return c;
}

static void ok(h_conn *c, const char *line, const char *want)
{
    char *r = h_call(c, line);
    if (!r || strcmp(r, want) != 0)
        fail_msg("%s: got %s, want %s", line, r ? r : "(none)", want);
    free(r);
}

/* calls= of cmdstat_<cmd>, or 0. */
static long long cmdstat_calls(h_conn *c, const char *cmd)
{
    char key[128];
    snprintf(key, sizeof(key), "\r\ncmdstat_%s:calls=", cmd);
    long long v = h_call_num(c, "INFO commandstats", key);
    return v < 0 ? 0 : v;
}

static double value_of(const expo *e, const char *key)
{
    const sample *s = find_sample(e, key);
    if (!s)
        fail_msg("no sample %s", key);
    return s->value;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_metrics_scrape_follows_the_exposition_format(void **state)
{
    (void)state;
    h_conn *c = conn();
    ok(c, "SELECT 3", "+OK\r\n");
    ok(c, "FLUSHDB", "+OK\r\n");
    for (int i = 0; i < 50; i++) {
        char *r = h_callf(c, "SET mk:%d v%d", i, i);
        assert_non_null(r);
        free(r);
    }
    for (int i = 0; i < 30; i++) {
        char *r = h_callf(c, "GET mk:%d", i);
        free(r);
    }
    char *r = h_call(c, "EXPIRE mk:1 1000");
    free(r);
    r = h_call(c, "GET nosuchkey");
    free(r);
    r = h_call(c, "LPUSH mk:1 x"); /* WRONGTYPE: errorstats */
    free(r);
    expo e;
    scrape_checked(mport, &e);
    /* The families the issue names, and their types. */
    static const char *const must[][2] = {
        {"respd_connected_clients", "gauge"},
        {"respd_commands_processed_total", "counter"},
        {"respd_keyspace_hits_total", "counter"},
        {"respd_keyspace_misses_total", "counter"},
        {"respd_used_memory_bytes", "gauge"},
        {"respd_db_keys", "gauge"},
        {"respd_commands_total", "counter"},
        {"respd_errors_total", "counter"},
        {"respd_command_duration_seconds", "histogram"},
        {"respd_uptime_seconds", "gauge"},
        {"respd_blocked_clients", "gauge"},
        {"respd_expired_keys_total", "counter"},
        {"respd_evicted_keys_total", "counter"},
        {"respd_rejected_connections_total", "counter"},
        {"respd_instantaneous_ops_per_sec", "gauge"},
    };
    for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
        family *f = find_family(&e, must[i][0]);
        if (!f || !f->type || strcmp(f->type, must[i][1]) || !f->has_help)
            fail_msg("family %s missing, without HELP, or not a %s", must[i][0], must[i][1]);
    }
    /* Values agree with what the server says over RESP right now (no
     * command ran in between: a scrape is not a command). */
    assert_int_equal((long long)value_of(&e, "respd_db_keys{db=\"3\"}"), 50);
    assert_int_equal((long long)value_of(&e, "respd_db_keys_expiring{db=\"3\"}"), 1);
    assert_int_equal((long long)value_of(&e, "respd_commands_total{cmd=\"get\"}"),
                     cmdstat_calls(c, "get"));
    assert_int_equal((long long)value_of(&e, "respd_commands_total{cmd=\"set\"}"),
                     cmdstat_calls(c, "set"));
    assert_true(value_of(&e, "respd_errors_total{prefix=\"WRONGTYPE\"}") >= 1);
    assert_true(value_of(&e, "respd_connected_clients") >= 1);
    long long hits = h_info_field(c, "stats", "keyspace_hits");
    assert_int_equal((long long)value_of(&e, "respd_keyspace_hits_total"), hits);
    /* The latency histogram of GET counts every call. */
    assert_int_equal((long long)value_of(&e, "respd_command_duration_seconds_count{cmd=\"get\"}"),
                     cmdstat_calls(c, "get"));
    assert_non_null(find_sample(&e, "respd_command_duration_seconds_bucket{cmd=\"get\",le=\"+Inf\"}"));
    char why[256];
    assert_true(check_histograms(&e, why, sizeof(why)) >= 2);
    expo_free(&e);
    h_close(c);
}

static void test_metrics_counters_never_decrease(void **state)
{
    (void)state;
    expo a, b;
    scrape_checked(mport, &a);
    h_conn *c = conn();
    for (int i = 0; i < 200; i++) {
        char *r = h_callf(c, i % 3 ? "INCR ctr:%d" : "GET ctr:%d", i % 7);
        free(r);
    }
    char *r = h_call(c, "DEBUG SLEEP 0.002");
    free(r);
    scrape_checked(mport, &b);
    int counters = 0;
    for (int i = 0; i < a.ns; i++) {
        const family *f = family_of(&a, &a.s[i]);
        if (strcmp(f->type, "counter") && strcmp(f->type, "histogram"))
            continue;
        const sample *s2 = find_sample(&b, a.s[i].key);
        if (!s2)
            fail_msg("series %s vanished", a.s[i].key);
        if (s2->value < a.s[i].value)
            fail_msg("%s went from %f to %f", a.s[i].key, a.s[i].value, s2->value);
        counters++;
    }
    assert_true(counters > 20);
    assert_true(value_of(&b, "respd_commands_processed_total") >=
                value_of(&a, "respd_commands_processed_total") + 200);
    assert_true(value_of(&b, "respd_command_duration_seconds_count{cmd=\"incr\"}") >= 133);
    /* DEBUG SLEEP 0.002 took at least 2 ms: not in the buckets below it. */
    const char *le1ms = "respd_command_duration_seconds_bucket{cmd=\"debug\",le=\"0.001024\"}";
    const char *inf = "respd_command_duration_seconds_bucket{cmd=\"debug\",le=\"+Inf\"}";
    assert_true(value_of(&b, le1ms) < value_of(&b, inf));
    expo_free(&a);
    expo_free(&b);
    h_close(c);
}

/* Sends raw bytes, expects status and the connection closed after it. */
static void expect_status(const char *req, size_t len, int status)
{
    http_resp r = http_raw(mport, req, len);
    if (r.status != status || !r.closed) {
        char *esc = h_escape(req, len, 100);
        fail_msg("request %s: status %d (want %d), closed %d", esc, r.status, status, r.closed);
    }
    char *cl = header(&r, "Content-Length");
    assert_non_null(cl);
    assert_int_equal(atoll(cl), (long long)r.body_len);
    free(cl);
    free(r.raw);
}

static void test_metrics_bad_requests_get_400_and_close(void **state)
{
    (void)state;
    static const struct {
        const char *req;
        int status;
    } cases[] = {
        {"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400},
        {"HEAD /metrics HTTP/1.1\r\n\r\n", 400},
        {"get /metrics HTTP/1.1\r\n\r\n", 400},
        {"GET /metrics HTTP/2.0\r\n\r\n", 400},
        {"GET /metrics\r\n\r\n", 400},                 /* HTTP/0.9 style */
        {"GET  /metrics HTTP/1.1\r\n\r\n", 400},       /* two spaces */
        {"GET metrics HTTP/1.1\r\n\r\n", 400},         /* not a path */
        {"GET /metrics HTTP/1.1\r\nNoColonHere\r\n\r\n", 400},
        {"GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n", 400},
        {"GET /metrics HTTP/1.1\r\nX-A: b\x01\r\n\r\n", 400},
        {"*1\r\n$4\r\nPING\r\n", 400},                 /* RESP on the wrong port */
        {"GET /nope HTTP/1.1\r\n\r\n", 404},
        {"GET / HTTP/1.0\r\n\r\n", 404},
        {"GET /metricsx HTTP/1.1\r\n\r\n", 404},
        {"GET /metrics HTTP/1.0\r\n\r\n", 200},
        {"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n", 200},
        {"GET /metrics HTTP/1.1\nHost: a\n\n", 200},   /* bare LF, as RFC 9112 allows */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_status(cases[i].req, strlen(cases[i].req), cases[i].status);
    /* A request past 8 KB without its end: 431, and closed. */
    size_t big = 9000;
    char *req = malloc(big + 64);
    int n = snprintf(req, 64, "GET /metrics HTTP/1.1\r\nX-Big: ");
    memset(req + n, 'a', big - (size_t)n);
    expect_status(req, big, 431);
    free(req);
    /* Garbage is refused as soon as it cannot begin a GET, before any
     * line end (no wait for the request's end or for the timeout). */
    int fd = connect_port(mport);
    assert_true(fd >= 0);
    assert_int_equal(send_all(fd, "PING", 4), 0);
    http_resp r = {0};
    long long t0 = h_now_ms();
    read_until_close(fd, &r, 3000);
    close(fd);
    assert_int_equal(r.status, 400);
    assert_true(r.closed);
    assert_true(h_now_ms() - t0 < 2000);
    free(r.raw);
    /* The server still answers RESP and scrapes. */
    h_conn *c = conn();
    ok(c, "PING", "+PONG\r\n");
    h_close(c);
    expo e;
    scrape_checked(mport, &e);
    expo_free(&e);
}

static void test_metrics_slow_scrapers_do_not_block_clients(void **state)
{
    (void)state;
    /* One scraper stops in the middle of its request line, one sends
     * nothing, and 70 more connect (past the limit of 64 at a time). */
    int stalled = connect_port(mport);
    assert_true(stalled >= 0);
    assert_int_equal(send_all(stalled, "GET /met", 8), 0);
    int silent = connect_port(mport);
    assert_true(silent >= 0);
    int many[70];
    for (int i = 0; i < 70; i++)
        many[i] = connect_port(mport);
    /* RESP clients are served at once meanwhile. */
    h_conn *c = conn();
    long long t0 = h_now_ms();
    for (int i = 0; i < 100; i++)
        ok(c, "PING", "+PONG\r\n");
    assert_true(h_now_ms() - t0 < 2000);
    for (int i = 0; i < 70; i++)
        if (many[i] >= 0)
            close(many[i]);
    h_sleep_ms(200); /* the server sees them go */
    /* A scrape still works once connections are free again. */
    expo e;
    scrape_checked(mport, &e);
    expo_free(&e);
    /* The stalled request times out (5 s): 408, then closed. */
    http_resp r = {0};
    read_until_close(stalled, &r, 8000);
    assert_int_equal(r.status, 408);
    assert_true(r.closed);
    free(r.raw);
    memset(&r, 0, sizeof(r));
    read_until_close(silent, &r, 3000);
    assert_true(r.closed);
    free(r.raw);
    close(stalled);
    close(silent);
    ok(c, "PING", "+PONG\r\n");
    h_close(c);
}

/* Starts a respd of its own with a metrics port (and extra arguments). */
static int start_with_metrics(h_server *s, int *port, const char *const *more)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        *port = h_free_port();
        char p[16];
        snprintf(p, sizeof(p), "%d", *port);
        const char *extra[16] = {"--metrics-port", p};
        int n = 2;
        for (int i = 0; more && more[i] && n < 15; i++)
            extra[n++] = more[i];
        extra[n] = NULL;
        if (h_respd_start(s, NULL, extra) == 0)
            return 0;
    }
    return -1;
}

static void test_metrics_scraper_that_does_not_read(void **state)
{
    (void)state;
    /* 60000 databases make a body of over 6 MB (three series per
     * database), more than the socket buffers take from a peer that does
     * not read (on loopback the kernel lets a send buffer grow to 4 MB). */
    h_server s;
    int port;
    const char *const more[] = {"--databases", "60000", NULL};
    assert_int_equal(start_with_metrics(&s, &port, more), 0);
    h_conn *c = h_connect(s.port, 2000);
    assert_non_null(c);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    static const char req[] = "GET /metrics HTTP/1.1\r\n\r\n";
    assert_int_equal(send_all(fd, req, sizeof(req) - 1), 0);
    h_sleep_ms(200);
    /* The response does not fit; the server must not wait for it. */
    long long t0 = h_now_ms();
    for (int i = 0; i < 50; i++)
        ok(c, "PING", "+PONG\r\n");
    assert_true(h_now_ms() - t0 < 2000);
    http_resp r = {0};
    read_until_close(fd, &r, 10000);
    close(fd);
    assert_int_equal(r.status, 200);
    assert_true(r.closed);
    char *cl = header(&r, "Content-Length");
    assert_non_null(cl);
    assert_true(atoll(cl) > 6000000);
    assert_int_equal(atoll(cl), (long long)r.body_len);
    free(cl);
    expo e;
    char why[512];
    if (expo_parse(r.body, r.body_len, &e, why, sizeof(why)) < 0)
        fail_msg("exposition: %s", why);
    assert_non_null(find_sample(&e, "respd_db_keys{db=\"59999\"}"));
    expo_free(&e);
    free(r.raw);
    h_close(c);
    h_server_stop_ok(&s);
}

static void test_metrics_port_moves_at_run_time(void **state)
{
    (void)state;
    h_conn *c = conn();
    char want[128];
    snprintf(want, sizeof(want), "*2\r\n$12\r\nmetrics-port\r\n$%d\r\n%d\r\n",
             (int)snprintf(NULL, 0, "%d", mport), mport);
    ok(c, "CONFIG GET metrics-port", want);
    /* To a port someone holds: refused, the old one keeps serving. */
    int holder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sa);
    assert_int_equal(bind(holder, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(holder, 1), 0);
    assert_int_equal(getsockname(holder, (struct sockaddr *)&sa, &sl), 0);
    int busy = ntohs(sa.sin_port);
    char *r = h_callf(c, "CONFIG SET metrics-port %d", busy);
    assert_non_null(r);
    char prefix[128];
    snprintf(prefix, sizeof(prefix),
             "-ERR CONFIG SET failed (possibly related to argument 'metrics-port') - ");
    if (strncmp(r, prefix, strlen(prefix)) != 0 || !strstr(r, "Address already in use"))
        fail_msg("CONFIG SET to a busy port: %s", r);
    free(r);
    close(holder);
    ok(c, "CONFIG GET metrics-port", want);
    expo e;
    scrape_checked(mport, &e);
    expo_free(&e);
    /* To a free port: served there, not on the old one. */
    int moved = 0, newport = 0;
    for (int attempt = 0; attempt < 5 && !moved; attempt++) {
        newport = h_free_port();
        r = h_callf(c, "CONFIG SET metrics-port %d", newport);
        moved = r && !strcmp(r, "+OK\r\n");
        free(r);
    }
    assert_true(moved);
    scrape_checked(newport, &e);
    expo_free(&e);
    int fd = connect_port(mport);
    if (fd >= 0) {
        /* Something else may have taken the old port since; it must not
         * be respd's endpoint answering. */
        http_resp hr = {0};
        static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
        send_all(fd, req, sizeof(req) - 1);
        read_until_close(fd, &hr, 500);
        assert_true(hr.status != 200 || !strstr(hr.raw, "respd_"));
        free(hr.raw);
        close(fd);
    }
    /* Off, then back on the original port (if still free). */
    ok(c, "CONFIG SET metrics-port 0", "+OK\r\n");
    assert_true(connect_port(newport) < 0);
    r = h_callf(c, "CONFIG SET metrics-port %d", mport);
    if (r && strcmp(r, "+OK\r\n") != 0) {
        free(r);
        mport = h_free_port();
        r = h_callf(c, "CONFIG SET metrics-port %d", mport);
    }
    assert_non_null(r);
    assert_string_equal(r, "+OK\r\n");
    free(r);
    scrape_checked(mport, &e);
    expo_free(&e);
    /* Out of range values are refused with Redis's text. */
    ok(c, "CONFIG SET metrics-port 70000",
       "-ERR CONFIG SET failed (possibly related to argument 'metrics-port') - argument must be "
       "between 0 and 65535 inclusive\r\n");
    h_close(c);
}

static void test_metrics_off_by_default(void **state)
{
    (void)state;
    h_server s;
    h_conn *c = h_respd_start_connected(&s, NULL, NULL);
    ok(c, "CONFIG GET metrics-port", "*2\r\n$12\r\nmetrics-port\r\n$1\r\n0\r\n");
    h_close(c);
    char *log = h_server_log(&s);
    assert_non_null(log);
    assert_null(strstr(log, "Prometheus"));
    free(log);
    h_server_stop_ok(&s);
}

/* ---- setup --------------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    for (int attempt = 0; attempt < 5; attempt++) {
        mport = h_free_port();
        char port[16];
        snprintf(port, sizeof(port), "%d", mport);
        const char *extra[] = {"--metrics-port", port, NULL};
        if (h_respd_start(&srv, NULL, extra) == 0)
            return 0;
    }
    return -1;
}

static int group_teardown(void **state)
{
    (void)state;
    return h_server_stop(&srv) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_scrape_follows_the_exposition_format),
        cmocka_unit_test(test_metrics_counters_never_decrease),
        cmocka_unit_test(test_metrics_bad_requests_get_400_and_close),
        cmocka_unit_test(test_metrics_slow_scrapers_do_not_block_clients),
        cmocka_unit_test(test_metrics_scraper_that_does_not_read),
        cmocka_unit_test(test_metrics_port_moves_at_run_time),
        cmocka_unit_test(test_metrics_off_by_default),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
