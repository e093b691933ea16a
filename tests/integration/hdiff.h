/* hdiff: a small differential runner shared by the collection tests
 * (header-only, static functions: each test binary links only harness.c).
 *
 * A script is a NULL-terminated list of command lines (split as redis-cli
 * splits them). Each line goes to respd and to redis-server over fresh
 * connections after FLUSHALL; the replies are compared byte for byte,
 * unless the line starts with %FLAGS and a space:
 *   s   compare only the shape (types and aggregate sizes): random replies
 *   u   compare aggregates as unordered collections, recursively (maps as
 *       pairs): hashtable-encoded hashes iterate in another order
 *   p   like u, but a top-level flat array is compared as unordered
 *       field/value pairs (RESP2 HGETALL of a hashtable-encoded hash)
 * hdiff_run runs a script in RESP2, then in RESP3 (HELLO 3) unless told not
 * to, and returns the number of mismatches, each reported on stderr.
 */
#ifndef RESPD_ITEST_HDIFF_H
#define RESPD_ITEST_HDIFF_H

#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hdiff_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Canonical form of the reply at b[*pos]: the elements of every aggregate
 * sorted (group = elements per sorted unit at the top level). */
static char *hdiff_canon(const char *b, size_t len, size_t *pos, int group)
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
    if (t == '%')
        group = 2;
    long long units = t == '%' ? n : (n + group - 1) / group;
    const char *nl = strstr(b + *pos, "\r\n");
    size_t hlen = (size_t)(nl - (b + *pos)) + 2;
    char *head = strndup(b + *pos, hlen);
    *pos += hlen;
    char **el = calloc((size_t)units, sizeof(char *));
    size_t total = hlen + 1;
    long long left = t == '%' ? 2 * n : n;
    for (long long i = 0; i < units; i++) {
        size_t l = 0;
        el[i] = calloc(1, 1);
        for (int g = 0; g < group && left > 0; g++, left--) {
            char *part = hdiff_canon(b, len, pos, 1);
            if (!part)
                part = strdup("?");
            size_t pl = strlen(part);
            el[i] = realloc(el[i], l + pl + 1);
            memcpy(el[i] + l, part, pl + 1);
            l += pl;
            free(part);
        }
        total += l;
    }
    qsort(el, (size_t)units, sizeof(char *), hdiff_cmp_str);
    char *out = malloc(total);
    size_t o = hlen;
    memcpy(out, head, hlen);
    for (long long i = 0; i < units; i++) {
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

/* Types and aggregate sizes only. */
static void hdiff_shape_at(const char *b, size_t len, size_t *pos, char *sig, size_t cap)
{
    long one = h_reply_len(b + *pos, len - *pos);
    if (one <= 0)
        return;
    char t = b[*pos];
    long long n = atoll(b + *pos + 1);
    size_t sl = strlen(sig);
    if (!strchr("*%~", t)) {
        snprintf(sig + sl, cap - sl, "%c%s ", t, (t == '$' && n < 0) ? "-1" : "");
        *pos += (size_t)one;
        return;
    }
    snprintf(sig + sl, cap - sl, "%c%lld[", t, n);
    *pos = (size_t)(strstr(b + *pos, "\r\n") - b) + 2;
    for (long long i = 0; i < (t == '%' ? 2 * n : n); i++)
        hdiff_shape_at(b, len, pos, sig, cap);
    sl = strlen(sig);
    snprintf(sig + sl, cap - sl, "]");
}

static char *hdiff_transform(const char *r, char mode)
{
    size_t pos = 0;
    if (!r)
        return strdup("(no reply)");
    if (mode == 's') {
        char *sig = calloc(1, 65536);
        hdiff_shape_at(r, strlen(r), &pos, sig, 65536);
        return sig;
    }
    if (mode == 'u' || mode == 'p') {
        char *c = hdiff_canon(r, strlen(r), &pos, mode == 'p' ? 2 : 1);
        return c ? c : strdup(r);
    }
    return strdup(r);
}

static h_conn *hdiff_conn(int port, int proto)
{
    h_conn *c = h_connect(port, 2000);
    if (!c)
        return NULL;
    char *r = h_call(c, proto == 3 ? "HELLO 3" : "FLUSHALL");
    free(r);
    if (proto == 3) {
        r = h_call(c, "FLUSHALL");
        free(r);
    }
    return c;
}

/* Runs steps on both servers in one protocol; returns mismatches. */
static int hdiff_run_proto(const char *test, int respd_port, int redis_port,
                           const char *const *steps, int proto)
{
    h_conn *c[2] = {hdiff_conn(respd_port, proto), hdiff_conn(redis_port, proto)};
    if (!c[0] || !c[1]) {
        fprintf(stderr, "%s: cannot connect\n", test);
        h_close(c[0]);
        h_close(c[1]);
        return 1;
    }
    int bad = 0;
    for (int k = 0; steps[k]; k++) {
        const char *line = steps[k];
        char mode = 0;
        if (line[0] == '%') {
            mode = line[1];
            line += 3;
        }
        char *rep[2];
        for (int i = 0; i < 2; i++)
            rep[i] = h_call(c[i], line);
        char *a = hdiff_transform(rep[0], mode), *b = hdiff_transform(rep[1], mode);
        if (strcmp(a, b) != 0) {
            char *ea = h_escape(rep[0] ? rep[0] : "-", rep[0] ? strlen(rep[0]) : 1, 600);
            char *eb = h_escape(rep[1] ? rep[1] : "-", rep[1] ? strlen(rep[1]) : 1, 600);
            fprintf(stderr, "MISMATCH %s/resp%d step %d [%s]\n  respd: %s\n  redis: %s\n", test,
                    proto, k, steps[k], ea, eb);
            free(ea);
            free(eb);
            bad++;
        }
        free(a);
        free(b);
        free(rep[0]);
        free(rep[1]);
        if (!rep[0] || !rep[1])
            break;
    }
    h_close(c[0]);
    h_close(c[1]);
    return bad;
}

static int hdiff_run(const char *test, int respd_port, int redis_port, const char *const *steps,
                     int resp3_too)
{
    int bad = hdiff_run_proto(test, respd_port, redis_port, steps, 2);
    if (resp3_too)
        bad += hdiff_run_proto(test, respd_port, redis_port, steps, 3);
    return bad;
}

/* The fixture the differential test files share: one respd and one
 * redis-server for the whole group (hdiff_group_setup/_teardown), and
 * RUN(steps), which compares a script on both, or skips the test when
 * redis-server is not installed. */
static h_server respd_srv, redis_srv;
static int have_redis __attribute__((unused));

static __attribute__((unused)) int hdiff_group_setup(void **state)
{
    (void)state;
    return h_pair_start(&respd_srv, NULL, &redis_srv, &have_redis);
}

static __attribute__((unused)) int hdiff_group_teardown(void **state)
{
    (void)state;
    return h_pair_stop(&respd_srv, &redis_srv, have_redis);
}

static __attribute__((unused)) void hdiff_check(const char *test, const char *const *steps)
{
    if (!have_redis)
        skip();
    assert_int_equal(hdiff_run(test, respd_srv.port, redis_srv.port, steps, 1), 0);
}

#define RUN(steps) hdiff_check(__func__, steps)

/* ---- scripts over several connections ------------------------------------ */

/* A script over three connections of one server. Steps:
 *   "N> cmd"  send cmd on connection N without waiting for the reply
 *   "N<"      read the reply that connection N is owed
 *   "N?"      "blocked" if nothing arrives on N within 100 ms
 *   "N: cmd"  call cmd on connection N
 *   "~ms"     sleep ms milliseconds (expiries)
 *   "cmd"     call cmd on connection 0
 * Returns the replies, NULL-terminated, for comparison between servers. */
static __attribute__((unused)) char **hdiff_conns_script(int port, int proto,
                                                         const char *const *steps)
{
    h_conn *c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = h_connect(port, 2000);
        assert_non_null(c[i]);
        if (proto == 3)
            free(h_call(c[i], "HELLO 3"));
    }
    free(h_call(c[0], "FLUSHALL"));
    size_t n = 0;
    while (steps[n])
        n++;
    char **out = calloc(n + 1, sizeof(char *));
    for (size_t k = 0; k < n; k++) {
        const char *s = steps[k];
        if (s[0] == '~') {
            h_sleep_ms(atol(s + 1));
            out[k] = strdup("slept");
        } else if (s[0] >= '0' && s[0] <= '2' && s[1] && strchr("><?:", s[1])) {
            h_conn *cc = c[s[0] - '0'];
            if (s[1] == '>') {
                char *req = h_inline(&(size_t){0}, "%s", s + 3);
                size_t len = strlen(req);
                assert_int_equal(h_send(cc, req, len), 0);
                free(req);
                h_sleep_ms(50); /* let the server take it before the next step */
                out[k] = strdup("sent");
            } else if (s[1] == '<') {
                char *r = NULL;
                if (h_read_reply(cc, H_REPLY_TIMEOUT_MS, &r, NULL) < 0)
                    r = strdup("(no reply)");
                out[k] = r;
            } else if (s[1] == ':') {
                char *r = h_call(cc, s + 3);
                out[k] = r ? r : strdup("(no reply)");
            } else {
                out[k] = strdup(h_no_data(cc, 100) ? "blocked" : "data");
            }
        } else {
            char *r = h_call(c[0], s);
            out[k] = r ? r : strdup("(no reply)");
        }
    }
    for (int i = 0; i < 3; i++)
        h_close(c[i]);
    return out;
}

/* Runs a hdiff_conns_script on both servers, in RESP2 and RESP3, and fails
 * the test on any difference (each reported on stderr). */
static __attribute__((unused)) void hdiff_check_conns(const char *test, const char *const *steps)
{
    if (!have_redis)
        skip();
    int bad = 0;
    for (int proto = 2; proto <= 3; proto++) {
        char **a = hdiff_conns_script(respd_srv.port, proto, steps);
        char **b = hdiff_conns_script(redis_srv.port, proto, steps);
        for (size_t k = 0; steps[k]; k++) {
            if (strcmp(a[k], b[k]) != 0) {
                char *ea = h_escape(a[k], strlen(a[k]), 300), *eb = h_escape(b[k], strlen(b[k]), 300);
                fprintf(stderr, "MISMATCH %s/resp%d step %zu [%s]\n  respd: %s\n  redis: %s\n",
                        test, proto, k, steps[k], ea, eb);
                free(ea);
                free(eb);
                bad++;
            }
            free(a[k]);
            free(b[k]);
        }
        free(a);
        free(b);
    }
    assert_int_equal(bad, 0);
}

#endif
