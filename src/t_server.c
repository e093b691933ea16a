/* t_server: server commands: INFO, CONFIG, TIME, LASTSAVE, SHUTDOWN, DEBUG.
 * INFO field names and formats follow Redis 7.0 so that monitoring tools
 * (redis-cli --stat, exporters) read respd unchanged.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "aof.h"
#include "blocking.h"
#include "commands.h"
#include "config.h"
#include "evict.h"
#include "db.h"
#include "ev.h"
#include "latency.h"
#include "lazyfree.h"
#include "log.h"
#include "mem.h"
#include "monitor.h"
#include "pause.h"
#include "server.h"
#include "util.h"

static void line_cb(const char *line, void *ctx)
{
    util_strbuf_addf(ctx, "%s\r\n", line);
}

static void human_bytes(char *buf, size_t size, double n)
{
    static const char units[] = "BKMGTPE";
    int u = 0;
    while (n >= 1024 && u < 6) {
        n /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%.0fB", n);
    else
        snprintf(buf, size, "%.2f%c", n, units[u]);
}

static void info_server(strbuf *t)
{
    struct utsname u;
    uname(&u);
    long long now_us = ev_wall_us();
    long long uptime = (ev_mono_ms() - server.start_mono_ms) / 1000;
    util_strbuf_addf(t,
              "# Server\r\n"
              "redis_version:%s\r\n"
              "respd_version:%s\r\n"
              "redis_git_sha1:00000000\r\n"
              "redis_git_dirty:0\r\n"
              "redis_build_id:0\r\n"
              "redis_mode:standalone\r\n"
              "os:%s %s %s\r\n"
              "arch_bits:%d\r\n"
              "monotonic_clock:POSIX clock_gettime\r\n"
              "multiplexing_api:epoll\r\n"
              "atomicvar_api:none\r\n"
              "gcc_version:%d.%d.%d\r\n"
              "process_id:%d\r\n"
              "process_supervised:%s\r\n"
              "run_id:%s\r\n"
              "tcp_port:%d\r\n"
              "server_time_usec:%lld\r\n"
              "uptime_in_seconds:%lld\r\n"
              "uptime_in_days:%lld\r\n"
              "hz:%d\r\n"
              "configured_hz:%d\r\n"
              "lru_clock:%lld\r\n"
              "executable:%s\r\n"
              "config_file:%s\r\n"
              "io_threads_active:0\r\n",
              RESPD_VERSION, RESPD_REAL_VERSION, u.sysname, u.release, u.machine,
              (int)(sizeof(void *) * 8),
#ifdef __GNUC__
              __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
#else
              0, 0, 0,
#endif
              (int)server.pid, cfg.supervised == SUPERVISED_SYSTEMD ? "systemd" : "no",
              server.run_id, server.bound_port, now_us, uptime, uptime / 86400, cfg.hz, cfg.hz,
              (long long)((server.now_ms / 1000) & OBJ_LRU_MAX), server.executable ? server.executable : "",
              server.config_file ? server.config_file : "");
}

static void info_clients(strbuf *t)
{
    size_t max_in, max_out, total;
    client_buffers(&max_in, &max_out, &total);
    util_strbuf_addf(t,
              "# Clients\r\n"
              "connected_clients:%zu\r\n"
              "cluster_connections:0\r\n"
              "maxclients:%d\r\n"
              "client_recent_max_input_buffer:%zu\r\n"
              "client_recent_max_output_buffer:%zu\r\n"
              "blocked_clients:%zu\r\n"
              "tracking_clients:0\r\n"
              "clients_in_timeout_table:%zu\r\n",
              client_count(), cfg.maxclients, max_in, max_out,
              blocking_count() + pause_waiting(), /* Redis counts clients held by a pause */
              blocking_count_timeouts());
}

static void info_memory(strbuf *t)
{
    size_t used = server_memory_used();
    size_t rss = util_rss_bytes();
    char h_used[32], h_rss[32], h_peak[32], h_total[32];
    human_bytes(h_used, sizeof(h_used), (double)used);
    human_bytes(h_rss, sizeof(h_rss), (double)rss);
    human_bytes(h_peak, sizeof(h_peak), (double)server.peak_memory);
    long long total = (long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
    human_bytes(h_total, sizeof(h_total), (double)total);
    char h_max[32], policy[32];
    human_bytes(h_max, sizeof(h_max), (double)cfg.maxmemory);
    if (config_get_value("maxmemory-policy", 16, policy, sizeof(policy)) < 0)
        policy[0] = '\0';
    size_t max_in, max_out, clients_mem;
    client_buffers(&max_in, &max_out, &clients_mem);
    aof_info ai;
    aof_get_info(&ai);
    long long aof_mem = aof_buffered_bytes(); /* allocated, as Redis reports it */
    /* Overhead as Redis counts it: what start-up allocated, the clients'
     * buffers and the AOF buffers; the dataset is the rest. */
    size_t overhead = server.startup_memory + clients_mem + (size_t)aof_mem;
    size_t dataset = used > overhead ? used - overhead : 0;
    util_strbuf_addf(t,
              "# Memory\r\n"
              "used_memory:%zu\r\n"
              "used_memory_human:%s\r\n"
              "used_memory_rss:%zu\r\n"
              "used_memory_rss_human:%s\r\n"
              "used_memory_peak:%zu\r\n"
              "used_memory_peak_human:%s\r\n"
              "used_memory_peak_perc:%.2f%%\r\n"
              "used_memory_overhead:%zu\r\n"
              "used_memory_startup:%zu\r\n"
              "used_memory_dataset:%zu\r\n"
              "used_memory_dataset_perc:%.2f%%\r\n"
              "total_system_memory:%lld\r\n"
              "total_system_memory_human:%s\r\n"
              /* No script engine, no replication, no cluster, no
               * defragmentation: those figures are truly 0. */
              "used_memory_lua:0\r\n"
              "used_memory_vm_eval:0\r\n"
              "used_memory_lua_human:0B\r\n"
              "used_memory_scripts_eval:0\r\n"
              "number_of_cached_scripts:0\r\n"
              "number_of_functions:0\r\n"
              "number_of_libraries:0\r\n"
              "used_memory_vm_functions:0\r\n"
              "used_memory_vm_total:0\r\n"
              "used_memory_vm_total_human:0B\r\n"
              "used_memory_functions:0\r\n"
              "used_memory_scripts:0\r\n"
              "used_memory_scripts_human:0B\r\n"
              "maxmemory:%lld\r\n"
              "maxmemory_human:%s\r\n"
              "maxmemory_policy:%s\r\n"
              "mem_fragmentation_ratio:%.2f\r\n"
              "mem_fragmentation_bytes:%lld\r\n"
              "mem_not_counted_for_evict:%lld\r\n"
              "mem_replication_backlog:0\r\n"
              "mem_total_replication_buffers:0\r\n"
              "mem_clients_slaves:0\r\n"
              "mem_clients_normal:%zu\r\n"
              "mem_cluster_links:0\r\n"
              "mem_aof_buffer:%lld\r\n"
              "mem_allocator:libc\r\n"
              "active_defrag_running:0\r\n"
              "lazyfree_pending_objects:%zu\r\n"
              "lazyfreed_objects:%zu\r\n",
              used, h_used, rss, h_rss, server.peak_memory, h_peak,
              server.peak_memory ? 100.0 * (double)used / (double)server.peak_memory : 0.0,
              overhead, server.startup_memory, dataset,
              used ? 100.0 * (double)dataset / (double)used : 0.0, total, h_total,
              cfg.maxmemory, h_max, policy, used ? (double)rss / (double)used : 0.0,
              (long long)rss - (long long)used, aof_mem, clients_mem, aof_mem,
              lazyfree_pending_objects(), lazyfree_freed_objects());
}

static void info_persistence(strbuf *t)
{
    aof_info ai;
    aof_get_info(&ai);
    util_strbuf_addf(t,
              "# Persistence\r\n"
              "loading:%d\r\n"
              "async_loading:0\r\n"
              "rdb_changes_since_last_save:%lld\r\n"
              "rdb_bgsave_in_progress:0\r\n"
              "rdb_last_save_time:%lld\r\n"
              "rdb_last_bgsave_status:ok\r\n"
              "rdb_last_bgsave_time_sec:-1\r\n"
              "rdb_current_bgsave_time_sec:-1\r\n"
              "rdb_saves:0\r\n"
              "rdb_last_cow_size:0\r\n"
              "rdb_last_load_keys_expired:0\r\n"
              "rdb_last_load_keys_loaded:0\r\n"
              "aof_enabled:%d\r\n"
              "aof_rewrite_in_progress:%d\r\n"
              "aof_rewrite_scheduled:%d\r\n"
              "aof_last_rewrite_time_sec:%lld\r\n"
              "aof_current_rewrite_time_sec:%lld\r\n"
              "aof_last_bgrewrite_status:%s\r\n"
              "aof_rewrites:%lld\r\n"
              "aof_rewrites_consecutive_failures:%lld\r\n"
              "aof_last_write_status:%s\r\n"
              "module_fork_in_progress:0\r\n"
              "module_fork_last_cow_size:0\r\n",
              server.loading, server.dirty, server.last_save_ms / 1000, ai.enabled,
              ai.rewrite_in_progress, ai.rewrite_scheduled, ai.last_rewrite_time_sec,
              ai.current_rewrite_time_sec, ai.last_bgrewrite_ok ? "ok" : "err", ai.rewrites,
              ai.rewrites_consecutive_failures, ai.last_write_ok ? "ok" : "err");
    if (ai.enabled)
        util_strbuf_addf(t,
                  "aof_current_size:%lld\r\n"
                  "aof_base_size:%lld\r\n"
                  "aof_pending_rewrite:%d\r\n"
                  "aof_buffer_length:%lld\r\n"
                  "aof_rewrite_buffer_length:%lld\r\n"
                  "aof_pending_bio_fsync:%d\r\n"
                  "aof_delayed_fsync:%lld\r\n",
                  ai.current_size, ai.base_size, ai.rewrite_scheduled, ai.buffer_length,
                  ai.rewrite_buffer_length, ai.pending_fsync, ai.delayed_fsync);
}

static void info_stats(strbuf *t)
{
    server_stats *s = &server.stats;
    aof_info ai;
    aof_get_info(&ai);
    /* Replication, eviction, pub/sub, defragmentation, client tracking,
     * MIGRATE, RESTORE and I/O threads do not exist in respd: their
     * counters are truly 0. */
    util_strbuf_addf(t,
              "# Stats\r\n"
              "total_connections_received:%lld\r\n"
              "total_commands_processed:%lld\r\n"
              "instantaneous_ops_per_sec:%lld\r\n"
              "total_net_input_bytes:%lld\r\n"
              "total_net_output_bytes:%lld\r\n"
              "total_net_repl_input_bytes:0\r\n"
              "total_net_repl_output_bytes:0\r\n"
              "instantaneous_input_kbps:%.2f\r\n"
              "instantaneous_output_kbps:%.2f\r\n"
              "instantaneous_input_repl_kbps:0.00\r\n"
              "instantaneous_output_repl_kbps:0.00\r\n"
              "rejected_connections:%lld\r\n"
              "sync_full:0\r\n"
              "sync_partial_ok:0\r\n"
              "sync_partial_err:0\r\n"
              "expired_keys:%lld\r\n"
              "expired_stale_perc:0.00\r\n"
              "expired_time_cap_reached_count:%lld\r\n"
              "expire_cycle_cpu_milliseconds:%lld\r\n"
              "evicted_keys:%lld\r\n"
              "evicted_clients:0\r\n"
              "total_eviction_exceeded_time:%lld\r\n"
              "current_eviction_exceeded_time:%lld\r\n"
              "keyspace_hits:%lld\r\n"
              "keyspace_misses:%lld\r\n"
              "pubsub_channels:0\r\n"
              "pubsub_patterns:0\r\n"
              "pubsubshard_channels:0\r\n"
              "latest_fork_usec:%lld\r\n"
              "total_forks:%lld\r\n"
              "migrate_cached_sockets:0\r\n"
              "slave_expires_tracked_keys:0\r\n"
              "active_defrag_hits:0\r\n"
              "active_defrag_misses:0\r\n"
              "active_defrag_key_hits:0\r\n"
              "active_defrag_key_misses:0\r\n"
              "total_active_defrag_time:0\r\n"
              "current_active_defrag_time:0\r\n"
              "tracking_total_keys:0\r\n"
              "tracking_total_items:0\r\n"
              "tracking_total_prefixes:0\r\n"
              "unexpected_error_replies:%lld\r\n"
              "total_error_replies:%lld\r\n"
              "dump_payload_sanitizations:0\r\n"
              "total_reads_processed:%lld\r\n"
              "total_writes_processed:%lld\r\n"
              "io_threaded_reads_processed:0\r\n"
              "io_threaded_writes_processed:0\r\n"
              "client_query_buffer_limit_disconnections:%lld\r\n"
              "client_output_buffer_limit_disconnections:%lld\r\n"
              "eventloop_cycles:%lld\r\n"
              "eventloop_duration_sum:%lld\r\n",
              s->total_connections, s->total_commands, server_instant_ops(),
              s->net_input_bytes, s->net_output_bytes, server_instant_kbps(0),
              server_instant_kbps(1), s->rejected_connections, s->expired_keys,
              s->expire_cycle_cap_reached, s->expire_cycle_us / 1000, s->evicted_keys,
              evict_exceeded_total_ms(), evict_exceeded_current_ms(), s->keyspace_hits,
              s->keyspace_misses, ai.latest_fork_usec, ai.total_forks,
              s->unexpected_error_replies, s->total_error_replies, s->total_reads,
              s->total_writes, s->client_query_buffer_limit_disconnections,
              s->client_output_buffer_limit_disconnections, s->eventloop_cycles,
              s->eventloop_duration_sum);
}

/* Redis 7.2's "debug" section, shown only when asked for by name: the
 * longest event-loop cycle (µs) and the most commands one cycle ran since
 * the start or CONFIG RESETSTAT. */
static void info_debug(strbuf *t)
{
    server_stats *s = &server.stats;
    util_strbuf_addf(t,
              "# Debug\r\n"
              "eventloop_duration_max:%lld\r\n"
              "eventloop_cmd_per_cycle_max:%lld\r\n",
              s->eventloop_duration_max, s->eventloop_cmd_per_cycle_max);
}

static void info_replication(strbuf *t)
{
    util_strbuf_addf(t,
              "# Replication\r\n"
              "role:master\r\n"
              "connected_slaves:0\r\n"
              "master_failover_state:no-failover\r\n"
              "master_replid:%s\r\n"
              "master_replid2:0000000000000000000000000000000000000000\r\n"
              "master_repl_offset:0\r\n"
              "second_repl_offset:-1\r\n"
              "repl_backlog_active:0\r\n"
              "repl_backlog_size:0\r\n"
              "repl_backlog_first_byte_offset:0\r\n"
              "repl_backlog_histlen:0\r\n",
              server.run_id);
}

static void info_cpu(strbuf *t)
{
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
#define TV(tv) ((double)(tv).tv_sec + (double)(tv).tv_usec / 1e6)
    util_strbuf_addf(t,
              "# CPU\r\n"
              "used_cpu_sys:%.6f\r\n"
              "used_cpu_user:%.6f\r\n"
              "used_cpu_sys_children:%.6f\r\n"
              "used_cpu_user_children:%.6f\r\n"
              "used_cpu_sys_main_thread:%.6f\r\n"
              "used_cpu_user_main_thread:%.6f\r\n",
              TV(self.ru_stime), TV(self.ru_utime), TV(children.ru_stime),
              TV(children.ru_utime), TV(self.ru_stime), TV(self.ru_utime));
#undef TV
}

static void info_keyspace(strbuf *t)
{
    util_strbuf_addf(t, "# Keyspace\r\n");
    for (int i = 0; i < server.ndbs; i++) {
        db *d = &server.dbs[i];
        if (db_size(d) == 0)
            continue;
        util_strbuf_addf(t, "db%d:keys=%zu,expires=%zu,avg_ttl=%lld\r\n", i, db_size(d),
                  db_expires_count(d), db_expires_count(d) ? d->avg_ttl : 0);
    }
}

typedef struct section {
    const char *name;
    void (*fn)(strbuf *t);
    int in_default; /* 1: default; 0: in all; -1: only when named */
} section;

static void info_commandstats(strbuf *t)
{
    util_strbuf_addf(t, "# Commandstats\r\n");
    cmd_info_commandstats(line_cb, t);
}

static void info_errorstats(strbuf *t)
{
    util_strbuf_addf(t, "# Errorstats\r\n");
    cmd_info_errorstats(line_cb, t);
}

static void info_latencystats(strbuf *t)
{
    util_strbuf_addf(t, "# Latencystats\r\n");
    latency_info(line_cb, t);
}

static void info_modules(strbuf *t)
{
    util_strbuf_addf(t, "# Modules\r\n");
}

static void info_cluster(strbuf *t)
{
    util_strbuf_addf(t, "# Cluster\r\ncluster_enabled:0\r\n");
}

static const section sections[] = {
    {"server", info_server, 1},           {"clients", info_clients, 1},
    {"memory", info_memory, 1},           {"persistence", info_persistence, 1},
    {"stats", info_stats, 1},             {"replication", info_replication, 1},
    {"cpu", info_cpu, 1},                 {"modules", info_modules, 1},
    {"commandstats", info_commandstats, 0}, {"errorstats", info_errorstats, 1},
    {"latencystats", info_latencystats, 0}, {"cluster", info_cluster, 1},
    {"keyspace", info_keyspace, 1},       {"debug", info_debug, -1},
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

void cmd_info(client *c)
{
    int want[NSECTIONS] = {0};
    if (c->argc == 1) {
        for (size_t i = 0; i < NSECTIONS; i++)
            want[i] = sections[i].in_default > 0;
    }
    for (int a = 1; a < c->argc; a++) {
        if (cmd_arg_is(c, a, "all") || cmd_arg_is(c, a, "everything")) {
            /* "all" leaves out only the sections of modules, and respd
             * has none: both are every section. */
            for (size_t i = 0; i < NSECTIONS; i++)
                want[i] |= sections[i].in_default >= 0;
        } else if (cmd_arg_is(c, a, "default")) {
            for (size_t i = 0; i < NSECTIONS; i++)
                want[i] |= sections[i].in_default > 0;
        } else {
            for (size_t i = 0; i < NSECTIONS; i++)
                if (cmd_arg_is(c, a, sections[i].name))
                    want[i] = 1;
        }
    }
    strbuf t = {0};
    for (size_t i = 0; i < NSECTIONS; i++) {
        if (!want[i])
            continue;
        if (t.len)
            util_strbuf_addf(&t, "\r\n");
        sections[i].fn(&t);
    }
    reply_verbatim(client_reply_buf(c), t.buf ? t.buf : "", t.len, "txt");
    mem_free(t.buf);
}

/* ---- CONFIG -------------------------------------------------------------- */

typedef struct get_ctx {
    reply_buf *rb;
    long long n;
    /* Names already replied, compared case-insensitively as Redis's dict of
     * matches does, so that "CONFIG GET port PORT *" lists port once. */
    const char **seen;
    size_t *seen_len;
    int nseen, capseen;
} get_ctx;

static void add_match(get_ctx *g, const char *name, size_t nlen, const char *value)
{
    for (int i = 0; i < g->nseen; i++)
        if (g->seen_len[i] == nlen && strncasecmp(g->seen[i], name, nlen) == 0)
            return;
    if (g->nseen == g->capseen) {
        g->capseen = g->capseen ? g->capseen * 2 : 32;
        g->seen = mem_realloc(g->seen, sizeof(*g->seen) * (size_t)g->capseen);
        g->seen_len = mem_realloc(g->seen_len, sizeof(*g->seen_len) * (size_t)g->capseen);
    }
    g->seen[g->nseen] = name;
    g->seen_len[g->nseen++] = nlen;
    reply_bulk(g->rb, name, nlen);
    reply_bulk_cstr(g->rb, value);
    g->n++;
}

static void config_get_cb(const char *name, const char *value, void *arg)
{
    add_match(arg, name, strlen(name), value);
}

void cmd_config_get(client *c)
{
    get_ctx g = {.rb = client_reply_buf(c)};
    size_t off = reply_defer(g.rb);
    char value[1024];
    for (int i = 2; i < c->argc; i++) {
        const char *pat = c->argv[i];
        size_t plen = c->argvlen[i];
        if (!memchr(pat, '*', plen) && !memchr(pat, '?', plen) && !memchr(pat, '[', plen)) {
            /* A plain name is looked up directly and echoed as typed, as
             * Redis does ("CONFIG GET MAXCLIENTS" answers "MAXCLIENTS"). */
            if (config_get_value(pat, plen, value, sizeof(value)) == 0)
                add_match(&g, pat, plen, value);
            continue;
        }
        config_get(pat, plen, config_get_cb, &g);
    }
    reply_defer_set(g.rb, off, '%', g.n);
    mem_free(g.seen);
    mem_free(g.seen_len);
}

void cmd_config_set(client *c)
{
    /* A name without its value: Redis 7.0 calls this a syntax error (the
     * table's arity has already refused fewer than one pair). */
    if ((c->argc - 2) % 2 != 0) {
        client_add_error(c, ERR_SYNTAX);
        return;
    }
    int n = (c->argc - 2) / 2;
    /* As Redis: the values of sensitive settings are hidden from SLOWLOG
     * (and MONITOR) whatever the outcome. */
    for (int i = 0; i < n; i++)
        if (config_is_sensitive(c->argv[2 + 2 * i], c->argvlen[2 + 2 * i]))
            monitor_redact(3 + 2 * i);
    char **names = mem_alloc(sizeof(char *) * (size_t)n);
    char **values = mem_alloc(sizeof(char *) * (size_t)n);
    size_t *nl = mem_alloc(sizeof(size_t) * (size_t)n);
    size_t *vl = mem_alloc(sizeof(size_t) * (size_t)n);
    for (int i = 0; i < n; i++) {
        names[i] = c->argv[2 + 2 * i];
        nl[i] = c->argvlen[2 + 2 * i];
        values[i] = c->argv[3 + 2 * i];
        vl[i] = c->argvlen[3 + 2 * i];
    }
    char err[512];
    if (config_set_pairs(n, names, nl, values, vl, err, sizeof(err)) < 0)
        client_add_error(c, err);
    else
        reply_ok(client_reply_buf(c));
    mem_free(vl);
    mem_free(nl);
    mem_free(values);
    mem_free(names);
}

void cmd_config_resetstat(client *c)
{
    server_reset_stats();
    cmd_reset_stats();
    latency_reset();
    aof_reset_stats();
    reply_ok(client_reply_buf(c));
}

void cmd_config_rewrite(client *c)
{
    if (!server.config_file) {
        client_add_error(c, "ERR The server is running without a config file");
        return;
    }
    char err[256];
    if (config_rewrite(server.config_file, err, sizeof(err)) < 0) {
        log_warning("CONFIG REWRITE failed: %s", err);
        client_add_errorf(c, "ERR Rewriting config file: %s", err);
        return;
    }
    log_notice("CONFIG REWRITE executed with success.");
    reply_ok(client_reply_buf(c));
}

void cmd_config_help(client *c)
{
    static const char *const lines[] = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        NULL,
    };
    cmd_reply_help(c, lines);
}

/* ---- TIME, LASTSAVE, SHUTDOWN, DEBUG -------------------------------------- */

void cmd_time(client *c)
{
    long long us = ev_wall_us();
    reply_buf *rb = client_reply_buf(c);
    reply_array(rb, 2);
    reply_bulk_ll(rb, us / 1000000);
    reply_bulk_ll(rb, us % 1000000);
}

void cmd_lastsave(client *c)
{
    reply_int(client_reply_buf(c), server.last_save_ms / 1000);
}

void cmd_shutdown(client *c)
{
    /* Parsed as Redis 7.0 does: options may repeat, and only the
     * combinations below are illegal. */
    int flags = 0, abort = 0;
    for (int i = 1; i < c->argc; i++) {
        if (cmd_arg_is(c, i, "nosave"))
            flags |= SHUTDOWN_NOSAVE;
        else if (cmd_arg_is(c, i, "save"))
            flags |= SHUTDOWN_SAVE;
        else if (cmd_arg_is(c, i, "now"))
            flags |= SHUTDOWN_NOW;
        else if (cmd_arg_is(c, i, "force"))
            flags |= SHUTDOWN_FORCE;
        else if (cmd_arg_is(c, i, "abort"))
            abort = 1;
        else {
            client_add_error(c, ERR_SYNTAX);
            return;
        }
    }
    if ((abort && flags) || ((flags & SHUTDOWN_NOSAVE) && (flags & SHUTDOWN_SAVE))) {
        client_add_error(c, ERR_SYNTAX);
        return;
    }
    if (abort) {
        /* A shutdown here never waits for replicas, so none is ever in
         * progress when a command can run. */
        client_add_error(c, "ERR No shutdown in progress.");
        return;
    }
    if (server_prepare_shutdown(flags) < 0) {
        client_add_error(c, "ERR Errors trying to SHUTDOWN. Check logs.");
        return;
    }
    /* No reply: the connection closes when the server exits, as in Redis. */
    server_request_shutdown(flags);
}

/* Redis's reply to a subcommand it does not know or that has the wrong
 * number of arguments: the subcommand as typed, the command upper-cased. */
/* The argument as a C string, for the lenient libc parsers Redis uses in
 * DEBUG (strtod, atoi). Caller frees it with mem_free. */
static char *arg_cstr(client *c, int argi)
{
    return mem_strndup(c->argv[argi], c->argvlen[argi]);
}

void cmd_debug(client *c)
{
    /* Arguments are read as Redis's debugCommand reads them: strtod and
     * atoi, which accept anything and read garbage as 0. */
    if (cmd_arg_is(c, 1, "sleep") && c->argc == 3) {
        char *arg = arg_cstr(c, 2);
        double secs = strtod(arg, NULL);
        mem_free(arg);
        /* Clamped so that the conversion cannot overflow; NaN and
         * negative times do not sleep. */
        long long us = secs > 9e12 ? 9000000000000000000LL
                       : secs > 0  ? (long long)(secs * 1000000)
                                   : 0;
        struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        reply_ok(client_reply_buf(c));
    } else if (cmd_arg_is(c, 1, "log") && c->argc == 3) {
        log_warning("DEBUG LOG: %.*s", (int)c->argvlen[2], c->argv[2]);
        reply_ok(client_reply_buf(c));
    } else if (cmd_arg_is(c, 1, "set-active-expire") && c->argc == 3) {
        char *arg = arg_cstr(c, 2);
        server.active_expire_enabled = atoi(arg) != 0;
        mem_free(arg);
        reply_ok(client_reply_buf(c));
    } else if (cmd_arg_is(c, 1, "help") && c->argc == 2) {
        static const char *const lines[] = {
            "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LOG <message>",
            "    Write <message> to the server log.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
            NULL,
        };
        cmd_reply_help(c, lines);
    } else {
        cmd_reply_subcommand_syntax(c);
    }
}
