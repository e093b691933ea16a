/* config: every setting respd has, in one table: the config file (redis.conf
 * syntax), `--name value` arguments, CONFIG GET and CONFIG SET.
 *
 * Values live in the global `cfg`, read directly by the modules that use them.
 * Setting a value validates it first; settings whose change needs action at
 * run time (bind, port, loglevel, appendonly ...) have an apply hook that the
 * server registers, and CONFIG SET rolls every pair back if any apply fails.
 */
#ifndef RESPD_CONFIG_H
#define RESPD_CONFIG_H

#include <stddef.h>

enum { FSYNC_NO = 0, FSYNC_ALWAYS = 1, FSYNC_EVERYSEC = 2 };
enum { SUPERVISED_NO = 0, SUPERVISED_SYSTEMD = 1, SUPERVISED_AUTO = 2 };
/* maxmemory-policy: which keys evict.c may remove (volatile: only keys with
 * an expire) and how it picks them. */
enum {
    MAXMEMORY_NO_EVICTION = 0,
    MAXMEMORY_VOLATILE_LRU,
    MAXMEMORY_VOLATILE_LFU,
    MAXMEMORY_VOLATILE_RANDOM,
    MAXMEMORY_VOLATILE_TTL,
    MAXMEMORY_ALLKEYS_LRU,
    MAXMEMORY_ALLKEYS_LFU,
    MAXMEMORY_ALLKEYS_RANDOM,
};

/* One class of client-output-buffer-limit: bytes, bytes, seconds (0 = none). */
typedef struct config_obl {
    long long hard;
    long long soft;
    int soft_seconds;
} config_obl;

typedef struct config_t {
    int port;
    char *bind;                 /* space-separated addresses */
    int tcp_backlog;
    int timeout;                /* idle seconds before a client is closed; 0 = never */
    int tcp_keepalive;
    int maxclients;
    int databases;
    int hz;
    int loglevel;
    char *logfile;
    int daemonize;
    char *pidfile;
    char *dir;
    int appendonly;
    char *appendfilename;
    int appendfsync;
    int aof_load_truncated;
    int auto_aof_rewrite_percentage;
    long long auto_aof_rewrite_min_size;
    char *requirepass;
    int protected_mode;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    int supervised;
    char *unixsocket;
    int unixsocketperm;
    /* Collection encodings: past these sizes a compact (listpack/intset)
     * value converts to its large structure. Names as Redis 7's. */
    int list_max_listpack_size;     /* > 0 entries, < 0: -1..-5 = 4..64 KB */
    long long hash_max_listpack_entries;
    long long hash_max_listpack_value;
    long long set_max_intset_entries;
    long long set_max_listpack_entries;
    long long set_max_listpack_value;
    long long zset_max_listpack_entries;
    long long zset_max_listpack_value;
    /* client-output-buffer-limit. Only the normal class has clients in
     * respd; the replica and pubsub classes are kept so that redis.conf
     * files load, and apply to no client (no replication, no pub/sub). */
    config_obl obl_normal;
    config_obl obl_replica;
    config_obl obl_pubsub;
    /* Command timing (slowlog.c, latency.c) and the Prometheus endpoint
     * (metrics.c). */
    long long slowlog_log_slower_than; /* µs; < 0 logs nothing, 0 everything */
    long long slowlog_max_len;
    int latency_tracking;
    double *latency_percentiles;       /* for INFO latencystats, in [0, 100] */
    int latency_npercentiles;
    int metrics_port;                  /* 0 = no metrics listener */
    /* Memory limit and eviction (evict.c), LFU counters (object.c). */
    long long maxmemory;               /* bytes, 0 = no limit */
    int maxmemory_policy;
    int maxmemory_samples;
    int maxmemory_eviction_tenacity;   /* 0..100 */
    int lfu_log_factor;
    int lfu_decay_time;                /* minutes */
} config_t;

extern config_t cfg;

/* Called after a setting changed at run time; returns 0, or -1 with *err set
 * to a static message (the change is then rolled back). */
typedef int (*config_apply_fn)(const char **err);

/* Fills cfg with the defaults. Call once before anything reads cfg. */
void config_init(void);
/* Releases strings held by cfg. */
void config_fini(void);
/* Registers the hook run when `name` changes through CONFIG SET. */
void config_set_apply_hook(const char *name, config_apply_fn fn);

/* Applies the contents of a config file, then the command-line options
 * (argv as given to main, after the optional config file path). On error
 * writes a message into err and returns -1. */
int config_load(const char *path, int argc, char **argv, char *err, size_t errlen);
/* Parses config text (redis.conf syntax). `origin` names it in messages. */
int config_load_string(const char *text, const char *origin, char *err, size_t errlen);

/* Sets one setting from its textual arguments, as the config file would.
 * Returns 0 or -1 with a message in err. Runs no apply hook. The directive
 * rename-command goes to the rename hook. */
int config_set_from_args(const char *name, int argc, char **argv, char *err, size_t errlen);

/* `rename-command <from> <to>` in the config file or on the command line:
 * the hook (the command table's) renames the command, or removes it when
 * `to` is empty. Returns 0, or -1 with Redis's message in err. Without a
 * hook the directive is refused like an unknown one. */
typedef int (*config_rename_fn)(const char *from, const char *to, char *err, size_t errlen);
void config_set_rename_hook(config_rename_fn fn);

/* CONFIG REWRITE: writes the running settings into the config file at path,
 * as Redis does: comments, blank lines, include and rename-command lines
 * stay as they are, unknown or unparsable lines stay as comments ("# ??? "
 * in front, so that the file loads); the first
 * line of each setting is replaced by its current value, and further lines
 * of the same setting are dropped; a setting with no line is appended, after
 * a blank line and "# Generated by CONFIG REWRITE" (once), only when it
 * differs from its default (dir always is). Runs of blank lines become one. The new file is
 * written beside the old one, fsynced and renamed over it, so a crash leaves
 * either the old file or the new one. A missing file is created. Returns 0,
 * or -1 with errno set and the reason (strerror) in err. */
int config_rewrite(const char *path, char *err, size_t errlen);

/* CONFIG SET with n name/value pairs (argv alternating). All-or-nothing.
 * Returns 0, or -1 with a Redis-style error text in err. */
int config_set_pairs(int n, char **names, size_t *name_lens, char **values, size_t *value_lens,
                     char *err, size_t errlen);

/* Calls fn(name, value) for each setting matching pattern (glob, case-
 * insensitive). Aliases match but report the setting only once, under the
 * name that matched. */
typedef void (*config_get_fn)(const char *name, const char *value, void *ctx);
/* The current value of one setting, by name or alias (any case), formatted
 * as CONFIG GET shows it. Returns 0, or -1 when there is no such setting. */
int config_get_value(const char *name, size_t len, char *buf, size_t size);
/* 1 when `name` (any case, or an alias) is a secret (requirepass): logs and
 * the slow log show "(redacted)" in place of its value. */
int config_is_sensitive(const char *name, size_t len);
void config_get(const char *pattern, size_t plen, config_get_fn fn, void *ctx);

#endif
