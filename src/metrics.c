/* metrics: the Prometheus endpoint. See metrics.h for what it serves and
 * the life of a scrape.
 *
 * The values come from the same places INFO reads (server.stats, the
 * command table, aof_get_info, the databases, latency.c), so a name here
 * and its INFO field always agree. Names follow Prometheus's conventions:
 * a unit suffix (_bytes, _seconds), _total on counters, one # HELP and one
 * # TYPE line before the samples of each family. Counters restart from 0
 * after CONFIG RESETSTAT, which Prometheus treats as a counter reset.
 */
#include "metrics.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aof.h"
#include "blocking.h"
#include "client.h"
#include "command.h"
#include "config.h"
#include "db.h"
#include "ev.h"
#include "latency.h"
#include "log.h"
#include "mem.h"
#include "net.h"
#include "pause.h"
#include "server.h"
#include "slowlog.h"
#include "util.h"

#define REQ_MAX 8192            /* request line and headers */
#define MAX_CONNS 64            /* scrapes served at once */
#define READ_TIMEOUT_MS 5000    /* from accept to a complete request */
#define WRITE_TIMEOUT_MS 10000  /* to send the response */
#define DRAIN_TIMEOUT_MS 1000   /* lingering after the response */
#define DRAIN_MAX (64 * 1024)   /* bytes discarded while lingering */
#define SWEEP_MS 100
#define MAX_LISTENERS 16

/* ---- the request ------------------------------------------------------------ */

static int is_tchar(unsigned char ch)
{
    return ch && (isalnum(ch) || strchr("!#$%&'*+-.^_`|~", ch));
}

/* Length of the line starting at p (before its LF and optional CR), or -1
 * when no LF has arrived yet. *next is set past the LF. */
static long line_at(const char *p, const char *end, const char **next)
{
    const char *lf = memchr(p, '\n', (size_t)(end - p));
    if (!lf)
        return -1;
    *next = lf + 1;
    return (long)(lf - p) - (lf > p && lf[-1] == '\r');
}

int metrics_parse_request(const char *buf, size_t len, size_t max)
{
    static const char get[] = "GET ";
    const char *end = buf + len;
    /* Refused as soon as the bytes cannot begin "GET " (a RESP client on
     * the wrong port gets its answer at once). */
    if (memcmp(buf, get, len < 4 ? len : 4) != 0)
        return 400;
    const char *p;
    long ll = line_at(buf, end, &p);
    if (ll < 0)
        return len >= max ? 431 : 0;
    /* GET SP request-target SP HTTP-version, single spaces. */
    const char *target = buf + 4, *line_end = buf + ll;
    const char *sp = target < line_end ? memchr(target, ' ', (size_t)(line_end - target)) : NULL;
    if (!sp || sp == target || target[0] != '/')
        return 400;
    for (const char *t = target; t < sp; t++)
        if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
            return 400;
    size_t vlen = (size_t)(line_end - sp - 1);
    if (vlen != 8 || (memcmp(sp + 1, "HTTP/1.0", 8) != 0 && memcmp(sp + 1, "HTTP/1.1", 8) != 0))
        return 400;
    /* Header fields up to the empty line: a token, a colon, then a value
     * without control bytes other than tab. */
    for (;;) {
        const char *next;
        long hl = line_at(p, end, &next);
        if (hl < 0)
            return len >= max ? 431 : 0;
        if (hl == 0)
            break;
        long k = 0;
        while (k < hl && is_tchar((unsigned char)p[k]))
            k++;
        if (k == 0 || k == hl || p[k] != ':')
            return 400;
        for (long i = k + 1; i < hl; i++) {
            unsigned char ch = (unsigned char)p[i];
            if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
                return 400;
        }
        p = next;
    }
    size_t plen = (size_t)(sp - target);
    const char *q = memchr(target, '?', plen);
    if (q)
        plen = (size_t)(q - target);
    return plen == 8 && memcmp(target, "/metrics", 8) == 0 ? 200 : 404;
}

/* ---- the exposition ------------------------------------------------------------ */

/* A label value with \, " and newline escaped, as the format requires. */
static void add_label_value(strbuf *o, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            util_strbuf_addf(o, "\\\\");
        else if (*s == '"')
            util_strbuf_addf(o, "\\\"");
        else if (*s == '\n')
            util_strbuf_addf(o, "\\n");
        else
            util_strbuf_addf(o, "%c", *s);
    }
}

static void family(strbuf *o, const char *name, const char *type, const char *help)
{
    util_strbuf_addf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metric_ll(strbuf *o, const char *name, const char *type, const char *help, long long v)
{
    family(o, name, type, help);
    util_strbuf_addf(o, "%s %lld\n", name, v);
}

static void metric_d(strbuf *o, const char *name, const char *type, const char *help, double v)
{
    family(o, name, type, help);
    util_strbuf_addf(o, "%s %.6f\n", name, v);
}

/* name{label="value"} v */
static void sample_label(strbuf *o, const char *name, const char *label, const char *value,
                         long long v)
{
    util_strbuf_addf(o, "%s{%s=\"", name, label);
    add_label_value(o, value);
    util_strbuf_addf(o, "\"} %lld\n", v);
}

static void render_server(strbuf *o)
{
    family(o, "respd_build_info", "gauge",
           "Always 1; the labels give respd's version and the Redis version it follows.");
    util_strbuf_addf(o, "respd_build_info{version=\"%s\",redis_version=\"%s\"} 1\n", RESPD_REAL_VERSION,
         RESPD_VERSION);
    metric_ll(o, "respd_uptime_seconds", "gauge", "Seconds since the server started.",
              (ev_mono_ms() - server.start_mono_ms) / 1000);
    metric_ll(o, "respd_connected_clients", "gauge", "Client connections, not counting scrapes.",
              (long long)client_count());
    metric_ll(o, "respd_blocked_clients", "gauge",
              "Clients waiting in a blocking command or a client pause.",
              (long long)(blocking_count() + pause_waiting()));
    metric_ll(o, "respd_maxclients", "gauge", "The maxclients setting.", cfg.maxclients);
}

static void render_memory(strbuf *o)
{
    size_t used = server_memory_used();
    size_t max_in, max_out, clients_mem;
    client_buffers(&max_in, &max_out, &clients_mem);
    aof_info ai;
    aof_get_info(&ai);
    metric_ll(o, "respd_used_memory_bytes", "gauge", "Bytes allocated by respd (INFO used_memory).",
              (long long)used);
    metric_ll(o, "respd_used_memory_rss_bytes", "gauge", "Resident set size of the process.",
              (long long)util_rss_bytes());
    metric_ll(o, "respd_used_memory_peak_bytes", "gauge", "Most bytes allocated at once.",
              (long long)server.peak_memory);
    metric_ll(o, "respd_used_memory_startup_bytes", "gauge", "Bytes allocated at start-up.",
              (long long)server.startup_memory);
    metric_ll(o, "respd_mem_clients_normal_bytes", "gauge",
              "Bytes held by client connections (structures, query and reply buffers).",
              (long long)clients_mem);
    metric_ll(o, "respd_mem_aof_buffer_bytes", "gauge", "Bytes allocated to the AOF buffers.",
              aof_buffered_bytes());
    metric_ll(o, "respd_maxmemory_bytes", "gauge", "The maxmemory limit (0: none).",
              cfg.maxmemory);
}

static void render_persistence(strbuf *o)
{
    aof_info ai;
    aof_get_info(&ai);
    metric_ll(o, "respd_loading", "gauge", "1 while the AOF is being loaded.", server.loading);
    metric_ll(o, "respd_rdb_changes_since_last_save", "gauge",
              "Changes to the dataset since start-up.", server.dirty);
    metric_ll(o, "respd_aof_enabled", "gauge", "1 when appendonly is on.", ai.enabled);
    metric_ll(o, "respd_aof_rewrite_in_progress", "gauge", "1 while an AOF rewrite child runs.",
              ai.rewrite_in_progress);
    metric_ll(o, "respd_aof_rewrite_scheduled", "gauge", "1 when an AOF rewrite waits to start.",
              ai.rewrite_scheduled);
    metric_ll(o, "respd_aof_rewrites_total", "counter", "AOF rewrites that succeeded.",
              ai.rewrites);
    metric_ll(o, "respd_aof_rewrites_consecutive_failures", "gauge",
              "AOF rewrites that failed since the last one that succeeded.",
              ai.rewrites_consecutive_failures);
    metric_ll(o, "respd_aof_last_bgrewrite_ok", "gauge", "1 when the last AOF rewrite succeeded.",
              ai.last_bgrewrite_ok);
    metric_ll(o, "respd_aof_last_write_ok", "gauge", "1 when the last AOF write succeeded.",
              ai.last_write_ok);
    metric_ll(o, "respd_aof_current_size_bytes", "gauge", "Size of the AOF (0 when off).",
              ai.enabled ? ai.current_size : 0);
    metric_ll(o, "respd_aof_delayed_fsync_total", "counter",
              "Times an AOF write waited for an fsync still running.", ai.delayed_fsync);
}

static void render_stats(strbuf *o)
{
    server_stats *s = &server.stats;
    aof_info ai;
    aof_get_info(&ai);
    metric_ll(o, "respd_connections_received_total", "counter", "Connections accepted.",
              s->total_connections);
    metric_ll(o, "respd_commands_processed_total", "counter", "Commands run.", s->total_commands);
    metric_ll(o, "respd_instantaneous_ops_per_sec", "gauge",
              "Commands per second over the last 1.6 seconds.", server_instant_ops());
    metric_ll(o, "respd_net_input_bytes_total", "counter", "Bytes read from clients.",
              s->net_input_bytes);
    metric_ll(o, "respd_net_output_bytes_total", "counter", "Bytes written to clients.",
              s->net_output_bytes);
    metric_d(o, "respd_instantaneous_input_kbps", "gauge",
             "KiB per second read over the last 1.6 seconds.", server_instant_kbps(0));
    metric_d(o, "respd_instantaneous_output_kbps", "gauge",
             "KiB per second written over the last 1.6 seconds.", server_instant_kbps(1));
    metric_ll(o, "respd_rejected_connections_total", "counter",
              "Connections refused (maxclients, protected mode).", s->rejected_connections);
    metric_ll(o, "respd_expired_keys_total", "counter", "Keys deleted because they expired.",
              s->expired_keys);
    metric_ll(o, "respd_evicted_keys_total", "counter",
              "Keys deleted to stay under maxmemory.", s->evicted_keys);
    metric_d(o, "respd_expire_cycle_cpu_seconds_total", "counter",
             "Time spent in the active expiry cycle.", (double)s->expire_cycle_us / 1e6);
    metric_ll(o, "respd_eventloop_cycles_total", "counter",
              "Event-loop cycles (wake-ups from epoll_wait).", s->eventloop_cycles);
    metric_d(o, "respd_eventloop_duration_seconds_total", "counter",
             "Time the event loop spent working between waits.",
             (double)s->eventloop_duration_sum / 1e6);
    metric_d(o, "respd_eventloop_duration_max_seconds", "gauge",
             "The longest event-loop cycle since the start or CONFIG RESETSTAT.",
             (double)s->eventloop_duration_max / 1e6);
    metric_ll(o, "respd_keyspace_hits_total", "counter", "Key lookups that found the key.",
              s->keyspace_hits);
    metric_ll(o, "respd_keyspace_misses_total", "counter", "Key lookups that found nothing.",
              s->keyspace_misses);
    metric_ll(o, "respd_forks_total", "counter", "Child processes forked (AOF rewrites).",
              ai.total_forks);
    metric_d(o, "respd_latest_fork_seconds", "gauge", "How long the latest fork() took.",
             (double)ai.latest_fork_usec / 1e6);
    metric_ll(o, "respd_error_replies_total", "counter", "Error replies sent.",
              s->total_error_replies);
    metric_ll(o, "respd_unexpected_error_replies_total", "counter",
              "Error replies of an unexpected kind (AOF loading).", s->unexpected_error_replies);
    metric_ll(o, "respd_reads_processed_total", "counter", "Read events handled.", s->total_reads);
    metric_ll(o, "respd_writes_processed_total", "counter", "Write events handled.",
              s->total_writes);
    metric_ll(o, "respd_client_query_buffer_limit_disconnections_total", "counter",
              "Clients closed for client-query-buffer-limit.",
              s->client_query_buffer_limit_disconnections);
    metric_ll(o, "respd_client_output_buffer_limit_disconnections_total", "counter",
              "Clients closed for client-output-buffer-limit.",
              s->client_output_buffer_limit_disconnections);
    metric_ll(o, "respd_slowlog_length", "gauge", "Entries in the slow log.",
              (long long)slowlog_len());
    metric_ll(o, "respd_slowlog_entries_total", "counter", "Commands ever logged as slow.",
              slowlog_logged());
}

static void render_cpu(strbuf *o)
{
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
#define TV(tv) ((double)(tv).tv_sec + (double)(tv).tv_usec / 1e6)
    metric_d(o, "respd_cpu_sys_seconds_total", "counter", "System CPU time of the server.",
             TV(self.ru_stime));
    metric_d(o, "respd_cpu_user_seconds_total", "counter", "User CPU time of the server.",
             TV(self.ru_utime));
    metric_d(o, "respd_cpu_sys_children_seconds_total", "counter",
             "System CPU time of finished child processes.", TV(children.ru_stime));
    metric_d(o, "respd_cpu_user_children_seconds_total", "counter",
             "User CPU time of finished child processes.", TV(children.ru_utime));
#undef TV
}

static void render_keyspace(strbuf *o)
{
    static const struct {
        const char *name, *help;
    } fams[] = {
        {"respd_db_keys", "Keys in the database."},
        {"respd_db_keys_expiring", "Keys with a time to live in the database."},
        {"respd_db_avg_ttl_seconds", "Estimated average time to live of the expiring keys."},
    };
    for (int f = 0; f < 3; f++) {
        family(o, fams[f].name, "gauge", fams[f].help);
        for (int i = 0; i < server.ndbs; i++) {
            db *d = &server.dbs[i];
            if (f == 0)
                util_strbuf_addf(o, "%s{db=\"%d\"} %zu\n", fams[f].name, i, db_size(d));
            else if (f == 1)
                util_strbuf_addf(o, "%s{db=\"%d\"} %zu\n", fams[f].name, i, db_expires_count(d));
            else
                util_strbuf_addf(o, "%s{db=\"%d\"} %.3f\n", fams[f].name, i,
                     db_expires_count(d) ? (double)d->avg_ttl / 1000.0 : 0.0);
        }
    }
}

/* Calls fn for every command and subcommand in table order. */
static void each_command(strbuf *o, void (*fn)(strbuf *, const cmd_def *, int), int which)
{
    for (size_t i = 0; i < cmd_count(); i++) {
        const cmd_def *d = cmd_at(i);
        for (const cmd_def *s = d->subcmds; s && s->name; s++)
            fn(o, s, which);
        fn(o, d, which);
    }
}

static void command_stat(strbuf *o, const cmd_def *d, int which)
{
    if (!d->calls && !d->rejected_calls && !d->failed_calls)
        return;
    static const char *const names[] = {"respd_commands_total", "respd_commands_rejected_calls_total",
                                        "respd_commands_failed_calls_total"};
    if (which < 3) {
        long long v = which == 0 ? d->calls : which == 1 ? d->rejected_calls : d->failed_calls;
        sample_label(o, names[which], "cmd", d->name, v);
    } else {
        util_strbuf_addf(o, "respd_commands_duration_seconds_total{cmd=\"");
        add_label_value(o, d->name);
        util_strbuf_addf(o, "\"} %.6f\n", (double)d->usec / 1e6);
    }
}

/* The histogram's bucket bounds: 2^k µs for k = 0..LE_STEPS-1 (1 µs to
 * 16.8 s), then +Inf. latency_count_below is exact at powers of two. */
#define LE_STEPS 25

static void command_histogram(strbuf *o, const cmd_def *d, int which)
{
    (void)which;
    const latency_hist *h = latency_get(d);
    if (!h)
        return;
    uint64_t limits[LE_STEPS], below[LE_STEPS];
    for (int k = 0; k < LE_STEPS; k++)
        limits[k] = (uint64_t)1 << k;
    latency_count_below(h, limits, LE_STEPS, below);
    for (int k = 0; k < LE_STEPS; k++) {
        char le[32];
        int n = snprintf(le, sizeof(le), "%.6f", (double)limits[k] / 1e6);
        while (n > 0 && le[n - 1] == '0')
            le[--n] = '\0';
        if (n > 0 && le[n - 1] == '.')
            le[--n] = '\0';
        util_strbuf_addf(o, "respd_command_duration_seconds_bucket{cmd=\"");
        add_label_value(o, d->name);
        util_strbuf_addf(o, "\",le=\"%s\"} %llu\n", le, (unsigned long long)below[k]);
    }
    util_strbuf_addf(o, "respd_command_duration_seconds_bucket{cmd=\"");
    add_label_value(o, d->name);
    util_strbuf_addf(o, "\",le=\"+Inf\"} %llu\n", (unsigned long long)latency_count(h));
    util_strbuf_addf(o, "respd_command_duration_seconds_sum{cmd=\"");
    add_label_value(o, d->name);
    util_strbuf_addf(o, "\"} %.6f\n", (double)latency_sum_us(h) / 1e6);
    util_strbuf_addf(o, "respd_command_duration_seconds_count{cmd=\"");
    add_label_value(o, d->name);
    util_strbuf_addf(o, "\"} %llu\n", (unsigned long long)latency_count(h));
}

/* INFO errorstats lines ("errorstat_ERR:count=3") as samples. */
static void error_line(const char *line, void *ctx)
{
    const char *colon = strchr(line, ':');
    const char *count = strstr(line, "count=");
    if (strncmp(line, "errorstat_", 10) != 0 || !colon || !count)
        return;
    char code[64];
    snprintf(code, sizeof(code), "%.*s", (int)(colon - line - 10), line + 10);
    sample_label(ctx, "respd_errors_total", "prefix", code, atoll(count + 6));
}

static void render_commands(strbuf *o)
{
    family(o, "respd_commands_total", "counter", "Calls of each command (INFO commandstats).");
    each_command(o, command_stat, 0);
    family(o, "respd_commands_rejected_calls_total", "counter",
           "Calls refused before running (arity, authentication ...).");
    each_command(o, command_stat, 1);
    family(o, "respd_commands_failed_calls_total", "counter", "Calls that replied an error.");
    each_command(o, command_stat, 2);
    family(o, "respd_commands_duration_seconds_total", "counter", "Time spent in each command.");
    each_command(o, command_stat, 3);
    family(o, "respd_errors_total", "counter", "Error replies by their first word (INFO errorstats).");
    cmd_info_errorstats(error_line, o);
    family(o, "respd_command_duration_seconds", "histogram",
           "Duration of each command, while latency-tracking is on.");
    each_command(o, command_histogram, 0);
}

static char *metrics_render(size_t *len)
{
    strbuf o = {0};
    render_server(&o);
    render_memory(&o);
    render_persistence(&o);
    render_stats(&o);
    render_cpu(&o);
    render_keyspace(&o);
    render_commands(&o);
    *len = o.len;
    return o.buf;
}

/* ---- connections --------------------------------------------------------------- */

enum { M_READ, M_WRITE, M_DRAIN };

typedef struct mconn {
    int fd;
    int state;
    long long deadline;     /* monotonic ms */
    char *req;              /* REQ_MAX bytes while reading */
    size_t rlen;
    char *resp;
    size_t resp_len, sent;
    size_t drained;
    struct mconn *prev, *next;
} mconn;

static mconn *conns;
static int nconns;
static long long sweep_timer;

static int lfds[MAX_LISTENERS];
static int nlfds;
static int bound_port;      /* port of the listeners, 0 when none */
static char *bound_bind;    /* bind addresses they were opened on */

static void conn_close(mconn *m)
{
    ev_del_fd(server.loop, m->fd, EV_READABLE | EV_WRITABLE);
    close(m->fd);
    if (m->prev)
        m->prev->next = m->next;
    else
        conns = m->next;
    if (m->next)
        m->next->prev = m->prev;
    nconns--;
    mem_free(m->req);
    mem_free(m->resp);
    mem_free(m);
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    default: return "Internal Server Error";
    }
}

static void conn_on_event(ev_loop *loop, int fd, void *data, int mask);

/* Sends what the socket takes; when all is sent, half-closes and lingers.
 * Returns -1 when m was closed. */
static int conn_write(mconn *m)
{
    while (m->sent < m->resp_len) {
        ssize_t n = write(m->fd, m->resp + m->sent, m->resp_len - m->sent);
        if (n > 0) {
            m->sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!(ev_fd_mask(server.loop, m->fd) & EV_WRITABLE) &&
                ev_add_fd(server.loop, m->fd, EV_WRITABLE, conn_on_event, m) < 0) {
                conn_close(m);
                return -1;
            }
            return 0;
        }
        conn_close(m);
        return -1;
    }
    mem_free(m->resp);
    m->resp = NULL;
    shutdown(m->fd, SHUT_WR);
    ev_del_fd(server.loop, m->fd, EV_WRITABLE);
    m->state = M_DRAIN;
    m->deadline = ev_mono_ms() + DRAIN_TIMEOUT_MS;
    if (ev_add_fd(server.loop, m->fd, EV_READABLE, conn_on_event, m) < 0) {
        conn_close(m);
        return -1;
    }
    return 0;
}

/* Queues the response for status and starts writing it. */
static int conn_respond(mconn *m, int status)
{
    size_t body_len = 0;
    char *body = NULL;
    char small[64];
    const char *type = "text/plain; charset=utf-8";
    if (status == 200) {
        body = metrics_render(&body_len);
        type = "text/plain; version=0.0.4; charset=utf-8";
    } else {
        body_len = (size_t)snprintf(small, sizeof(small), "%d %s\n", status, reason(status));
    }
    char head[256];
    int hn = snprintf(head, sizeof(head),
                      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      status, reason(status), type, body_len);
    m->resp_len = (size_t)hn + body_len;
    m->resp = mem_alloc(m->resp_len);
    memcpy(m->resp, head, (size_t)hn);
    memcpy(m->resp + hn, body ? body : small, body_len);
    mem_free(body);
    m->sent = 0;
    mem_free(m->req);
    m->req = NULL;
    m->state = M_WRITE;
    m->deadline = ev_mono_ms() + WRITE_TIMEOUT_MS;
    ev_del_fd(server.loop, m->fd, EV_READABLE);
    return conn_write(m);
}

/* Reads the request (or, lingering, discards input). Returns -1 when m was
 * closed. */
static int conn_read(mconn *m)
{
    for (;;) {
        if (m->state == M_DRAIN) {
            char junk[4096];
            ssize_t n = read(m->fd, junk, sizeof(junk));
            if (n > 0 && (m->drained += (size_t)n) <= DRAIN_MAX)
                continue;
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return 0;
            conn_close(m);
            return -1;
        }
        if (m->state != M_READ)
            return 0;
        ssize_t n = read(m->fd, m->req + m->rlen, REQ_MAX - m->rlen);
        if (n > 0) {
            m->rlen += (size_t)n;
            int status = metrics_parse_request(m->req, m->rlen, REQ_MAX);
            if (status)
                return conn_respond(m, status);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        conn_close(m); /* the peer left before a complete request */
        return -1;
    }
}

static void conn_on_event(ev_loop *loop, int fd, void *data, int mask)
{
    (void)loop;
    (void)fd;
    mconn *m = data;
    if ((mask & EV_READABLE) && conn_read(m) < 0)
        return;
    if ((mask & EV_WRITABLE) && m->state == M_WRITE)
        conn_write(m);
}

static long long sweep(ev_loop *loop, long long id, void *data)
{
    (void)loop;
    (void)id;
    (void)data;
    long long now = ev_mono_ms();
    mconn *next;
    for (mconn *m = conns; m; m = next) {
        next = m->next;
        if (now < m->deadline)
            continue;
        if (m->state == M_READ)
            conn_respond(m, 408); /* its own deadline bounds the answer */
        else
            conn_close(m);
    }
    if (!conns) {
        sweep_timer = 0;
        return EV_TIMER_STOP;
    }
    return SWEEP_MS;
}

static void on_accept(ev_loop *loop, int lfd, void *data, int mask)
{
    (void)loop;
    (void)data;
    (void)mask;
    for (int i = 0; i < 100; i++) {
        int fd = net_accept(lfd);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_verbose("Accepting a metrics connection: %s", strerror(errno));
            return;
        }
        if (nconns >= MAX_CONNS) {
            close(fd);
            continue;
        }
        mconn *m = mem_calloc(1, sizeof(*m));
        m->fd = fd;
        m->req = mem_alloc(REQ_MAX);
        m->state = M_READ;
        m->deadline = ev_mono_ms() + READ_TIMEOUT_MS;
        m->next = conns;
        if (conns)
            conns->prev = m;
        conns = m;
        nconns++;
        if (!sweep_timer)
            sweep_timer = ev_timer_add(server.loop, SWEEP_MS, sweep, NULL);
        if (ev_add_fd(server.loop, fd, EV_READABLE, conn_on_event, m) < 0) {
            conn_close(m);
            continue;
        }
        /* The same rule as the client port: with protected mode on and no
         * password, only loopback peers are served. */
        if (server_protected_refuses(fd))
            conn_respond(m, 403);
    }
}

/* ---- listeners ------------------------------------------------------------------ */

static void close_listeners(void)
{
    for (int i = 0; i < nlfds; i++) {
        ev_del_fd(server.loop, lfds[i], EV_READABLE);
        close(lfds[i]);
    }
    nlfds = 0;
    bound_port = 0;
    mem_free(bound_bind);
    bound_bind = NULL;
}

/* Opens port on every address of bind ('-' marks one that may be missing,
 * as for the client port). Returns 0, or -1 with a message in err. */
static int open_listeners(int port, const char *bind, char *err, size_t errlen)
{
    char *addrs = mem_strdup(bind ? bind : "");
    char *save = NULL;
    int n = 0, failed = 0;
    for (char *tok = strtok_r(addrs, " ", &save); tok && n < MAX_LISTENERS;
         tok = strtok_r(NULL, " ", &save)) {
        int optional = tok[0] == '-';
        int fd = net_listen_tcp(optional ? tok + 1 : tok, port, cfg.tcp_backlog, err, errlen);
        if (fd < 0) {
            if (optional && (errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT ||
                             errno == EPROTONOSUPPORT || errno == EINVAL))
                continue;
            failed = 1;
            break;
        }
        if (ev_add_fd(server.loop, fd, EV_READABLE, on_accept, NULL) < 0) {
            snprintf(err, errlen, "Registering the metrics listener: %s", strerror(errno));
            close(fd);
            failed = 1;
            break;
        }
        lfds[n++] = fd;
    }
    mem_free(addrs);
    nlfds = n;
    if (!failed && n == 0) {
        snprintf(err, errlen, "metrics-port %d: no bind address to listen on", port);
        failed = 1;
    }
    if (failed) {
        close_listeners();
        return -1;
    }
    bound_port = port;
    bound_bind = mem_strdup(bind ? bind : "");
    log_notice("Serving Prometheus metrics on port %d.", port);
    return 0;
}

int metrics_rebind(const char **errp)
{
    static char err[256];
    const char *bind = cfg.bind ? cfg.bind : "";
    if (cfg.metrics_port == bound_port &&
        (bound_port == 0 || (bound_bind && strcmp(bound_bind, bind) == 0)))
        return 0;
    int old_port = bound_port;
    char *old_bind = bound_bind ? mem_strdup(bound_bind) : NULL;
    close_listeners();
    int rc = 0;
    if (cfg.metrics_port && open_listeners(cfg.metrics_port, bind, err, sizeof(err)) < 0) {
        char ignored[256];
        if (old_port)
            open_listeners(old_port, old_bind, ignored, sizeof(ignored));
        *errp = err;
        rc = -1;
    }
    mem_free(old_bind);
    return rc;
}

/* In a forked child (the AOF rewrite), the endpoint's sockets are the
 * parent's business: a listener kept open would hold the port, a scrape
 * connection would not see its close. */
static void close_in_child(void)
{
    for (int i = 0; i < nlfds; i++)
        close(lfds[i]);
    for (mconn *m = conns; m; m = m->next)
        close(m->fd);
}

int metrics_start(char *err, size_t errlen)
{
    static int atfork_done;
    if (!atfork_done) {
        pthread_atfork(NULL, NULL, close_in_child);
        atfork_done = 1;
    }
    config_set_apply_hook("metrics-port", metrics_rebind);
    if (!cfg.metrics_port)
        return 0;
    return open_listeners(cfg.metrics_port, cfg.bind, err, errlen);
}

void metrics_stop(void)
{
    while (conns)
        conn_close(conns);
    if (sweep_timer) {
        ev_timer_del(server.loop, sweep_timer);
        sweep_timer = 0;
    }
    close_listeners();
}
