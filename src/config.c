/* config: the settings table. See config.h.
 *
 * Each setting is one row: its name (and an old alias), its kind, where the
 * value lives in `cfg`, the default, the bounds and flags. Parsing, CONFIG GET
 * and CONFIG SET all walk this table, so a setting added here is at once
 * accepted in the file, as a flag and at run time. Error texts are Redis's.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "util.h"

config_t cfg;

enum { T_INT, T_MEM, T_BOOL, T_ENUM, T_STR, T_SAVE, T_DIR, T_LOGLEVEL, T_OBL, T_OCT, T_LL, T_PCTL };
enum { F_IMMUTABLE = 1, F_PROTECTED = 2, F_SENSITIVE = 4 };

typedef struct enum_name {
    const char *name;
    int value;
} enum_name;

static const enum_name fsync_names[] = {{"everysec", FSYNC_EVERYSEC}, {"always", FSYNC_ALWAYS},
                                        {"no", FSYNC_NO}, {NULL, 0}};
static const enum_name supervised_names[] = {{"upstart", -1}, {"systemd", SUPERVISED_SYSTEMD},
                                             {"auto", SUPERVISED_AUTO}, {"no", SUPERVISED_NO},
                                             {NULL, 0}};

/* In Redis's order, which its error message lists. */
static const enum_name policy_names[] = {
    {"volatile-lru", MAXMEMORY_VOLATILE_LRU},       {"volatile-lfu", MAXMEMORY_VOLATILE_LFU},
    {"volatile-random", MAXMEMORY_VOLATILE_RANDOM}, {"volatile-ttl", MAXMEMORY_VOLATILE_TTL},
    {"allkeys-lru", MAXMEMORY_ALLKEYS_LRU},         {"allkeys-lfu", MAXMEMORY_ALLKEYS_LFU},
    {"allkeys-random", MAXMEMORY_ALLKEYS_RANDOM},   {"noeviction", MAXMEMORY_NO_EVICTION},
    {NULL, 0}};

typedef struct config_def {
    const char *name;
    const char *alias;
    int type;
    int flags;
    void *ptr;
    long long min, max;
    const char *def;
    const enum_name *enums;
    config_apply_fn apply;
} config_def;

#define INT(n, f, field, lo, hi, d) {n, NULL, T_INT, f, &cfg.field, lo, hi, d, NULL, NULL}
#define MEM(n, f, field, lo, hi, d) {n, NULL, T_MEM, f, &cfg.field, lo, hi, d, NULL, NULL}
#define BOOL(n, f, field, d) {n, NULL, T_BOOL, f, &cfg.field, 0, 1, d, NULL, NULL}
#define STR(n, f, field, d) {n, NULL, T_STR, f, &cfg.field, 0, 0, d, NULL, NULL}
#define ENUM(n, f, field, names, d) {n, NULL, T_ENUM, f, &cfg.field, 0, 0, d, names, NULL}

static config_def defs[] = {
    INT("port", 0, port, 0, 65535, "6379"),
    STR("bind", 0, bind, "127.0.0.1 -::1"),
    INT("tcp-backlog", F_IMMUTABLE, tcp_backlog, 0, INT_MAX, "511"),
    INT("timeout", 0, timeout, 0, INT_MAX, "0"),
    INT("tcp-keepalive", 0, tcp_keepalive, 0, INT_MAX, "300"),
    INT("maxclients", 0, maxclients, 1, UINT_MAX, "10000"),
    INT("databases", F_IMMUTABLE, databases, 1, INT_MAX, "16"),
    INT("hz", 0, hz, 0, INT_MAX, "10"),
    {"loglevel", NULL, T_LOGLEVEL, 0, &cfg.loglevel, 0, 0, "notice", NULL, NULL},
    STR("logfile", F_IMMUTABLE, logfile, ""),
    BOOL("daemonize", F_IMMUTABLE, daemonize, "no"),
    STR("pidfile", 0, pidfile, ""),
    {"dir", NULL, T_DIR, F_PROTECTED, &cfg.dir, 0, 0, NULL, NULL, NULL},
    {"save", NULL, T_SAVE, 0, NULL, 0, 0, "", NULL, NULL},
    BOOL("appendonly", 0, appendonly, "no"),
    STR("appendfilename", F_IMMUTABLE, appendfilename, "appendonly.aof"),
    ENUM("appendfsync", 0, appendfsync, fsync_names, "everysec"),
    BOOL("aof-load-truncated", 0, aof_load_truncated, "yes"),
    INT("auto-aof-rewrite-percentage", 0, auto_aof_rewrite_percentage, 0, INT_MAX, "100"),
    MEM("auto-aof-rewrite-min-size", 0, auto_aof_rewrite_min_size, 0, LLONG_MAX, "64mb"),
    STR("requirepass", F_SENSITIVE, requirepass, ""),
    BOOL("protected-mode", 0, protected_mode, "yes"),
    MEM("proto-max-bulk-len", 0, proto_max_bulk_len, 1024 * 1024, LLONG_MAX, "512mb"),
    MEM("client-query-buffer-limit", 0, client_query_buffer_limit, 1024 * 1024, LLONG_MAX, "1gb"),
    ENUM("supervised", F_IMMUTABLE, supervised, supervised_names, "no"),
    STR("unixsocket", F_IMMUTABLE, unixsocket, ""),
    /* Octal, as chmod takes it and as Redis reads and shows it. */
    {"unixsocketperm", NULL, T_OCT, F_IMMUTABLE, &cfg.unixsocketperm, 0, 0777, "0", NULL, NULL},
    {"client-output-buffer-limit", NULL, T_OBL, 0, NULL, 0, 0, NULL, NULL, NULL},
    {"list-max-listpack-size", "list-max-ziplist-size", T_INT, 0, &cfg.list_max_listpack_size,
     INT_MIN, INT_MAX, "-2", NULL, NULL},
    /* Redis's types: counts are integers, the -value limits of hashes and
     * sorted sets memory sizes ("1kb"), all from 0 to LLONG_MAX. */
    {"hash-max-listpack-entries", "hash-max-ziplist-entries", T_LL, 0,
     &cfg.hash_max_listpack_entries, 0, LLONG_MAX, "512", NULL, NULL},
    {"hash-max-listpack-value", "hash-max-ziplist-value", T_MEM, 0, &cfg.hash_max_listpack_value,
     0, LLONG_MAX, "64", NULL, NULL},
    {"set-max-intset-entries", NULL, T_LL, 0, &cfg.set_max_intset_entries, 0, LLONG_MAX, "512",
     NULL, NULL},
    {"set-max-listpack-entries", NULL, T_LL, 0, &cfg.set_max_listpack_entries, 0, LLONG_MAX, "128",
     NULL, NULL},
    {"set-max-listpack-value", NULL, T_LL, 0, &cfg.set_max_listpack_value, 0, LLONG_MAX, "64",
     NULL, NULL},
    {"zset-max-listpack-entries", "zset-max-ziplist-entries", T_LL, 0,
     &cfg.zset_max_listpack_entries, 0, LLONG_MAX, "128", NULL, NULL},
    {"zset-max-listpack-value", "zset-max-ziplist-value", T_MEM, 0, &cfg.zset_max_listpack_value,
     0, LLONG_MAX, "64", NULL, NULL},
    /* Command timing: plain integers (no memory units), Redis's ranges. */
    {"slowlog-log-slower-than", NULL, T_LL, 0, &cfg.slowlog_log_slower_than, -1, LLONG_MAX,
     "10000", NULL, NULL},
    {"slowlog-max-len", NULL, T_LL, 0, &cfg.slowlog_max_len, 0, LLONG_MAX, "128", NULL, NULL},
    BOOL("latency-tracking", 0, latency_tracking, "yes"),
    {"latency-tracking-info-percentiles", NULL, T_PCTL, 0, NULL, 0, 0, "50 99 99.9", NULL, NULL},
    INT("metrics-port", 0, metrics_port, 0, 65535, "0"),
    MEM("maxmemory", 0, maxmemory, 0, LLONG_MAX, "0"),
    ENUM("maxmemory-policy", 0, maxmemory_policy, policy_names, "noeviction"),
    INT("maxmemory-samples", 0, maxmemory_samples, 1, INT_MAX, "5"),
    INT("maxmemory-eviction-tenacity", 0, maxmemory_eviction_tenacity, 0, 100, "10"),
    INT("lfu-log-factor", 0, lfu_log_factor, 0, INT_MAX, "10"),
    INT("lfu-decay-time", 0, lfu_decay_time, 0, INT_MAX, "1"),
};

#define NDEFS (sizeof(defs) / sizeof(defs[0]))

/* Each setting's default as CONFIG GET shows it, taken by config_init: CONFIG
 * REWRITE appends a setting missing from the file only when it differs. */
static char *default_values[NDEFS];
static config_obl default_obl[3];

/* Where rename-command goes (see config_set_rename_hook). */
static config_rename_fn rename_hook;

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static config_def *find_def(const char *name, size_t len)
{
    for (size_t i = 0; i < NDEFS; i++)
        if (util_eq_nocase(name, len, defs[i].name) ||
            (defs[i].alias && util_eq_nocase(name, len, defs[i].alias)))
            return &defs[i];
    return NULL;
}

void config_set_apply_hook(const char *name, config_apply_fn fn)
{
    config_def *d = find_def(name, strlen(name));
    if (d)
        d->apply = fn;
}

/* latency-tracking-info-percentiles as Redis shows it: each value with %f,
 * trailing zeros (and a trailing point) removed, separated by spaces. */
static void format_percentiles(char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < cfg.latency_npercentiles && len + 1 < size; i++) {
        char one[400];
        int n = snprintf(one, sizeof(one), "%f", cfg.latency_percentiles[i]);
        if (n < 0 || (size_t)n >= sizeof(one))
            continue;
        if (strchr(one, '.')) {
            while (n > 0 && one[n - 1] == '0')
                one[--n] = '\0';
            if (n > 0 && one[n - 1] == '.')
                one[--n] = '\0';
        }
        int w = snprintf(buf + len, size - len, "%s%s", i ? " " : "", one);
        if (w < 0 || (size_t)w >= size - len)
            break;
        len += (size_t)w;
    }
}

/* Formats the current value of d into buf. */
static void format_value(const config_def *d, char *buf, size_t size)
{
    switch (d->type) {
    case T_INT:
        snprintf(buf, size, "%d", *(int *)d->ptr);
        break;
    case T_MEM:
    case T_LL:
        snprintf(buf, size, "%lld", *(long long *)d->ptr);
        break;
    case T_PCTL:
        format_percentiles(buf, size);
        break;
    case T_OCT:
        snprintf(buf, size, "%o", (unsigned)*(int *)d->ptr);
        break;
    case T_BOOL:
        snprintf(buf, size, "%s", *(int *)d->ptr ? "yes" : "no");
        break;
    case T_ENUM:
        for (const enum_name *e = d->enums; e->name; e++)
            if (e->value == *(int *)d->ptr) {
                snprintf(buf, size, "%s", e->name);
                return;
            }
        buf[0] = '\0';
        break;
    case T_LOGLEVEL:
        snprintf(buf, size, "%s", log_level_name(*(int *)d->ptr));
        break;
    case T_STR:
    case T_DIR: {
        const char *s = *(char **)d->ptr;
        snprintf(buf, size, "%s", s ? s : "");
        break;
    }
    case T_SAVE:
        buf[0] = '\0';
        break;
    case T_OBL:
        snprintf(buf, size, "normal %lld %lld %d slave %lld %lld %d pubsub %lld %lld %d",
                 cfg.obl_normal.hard, cfg.obl_normal.soft, cfg.obl_normal.soft_seconds,
                 cfg.obl_replica.hard, cfg.obl_replica.soft, cfg.obl_replica.soft_seconds,
                 cfg.obl_pubsub.hard, cfg.obl_pubsub.soft, cfg.obl_pubsub.soft_seconds);
        break;
    }
}

static int split_line(const char *line, char *out, char **args, int max);

/* "class hard soft seconds" groups, all validated before any is applied. A
 * single argument holding the groups ("normal 0 0 0 pubsub ...", as
 * --client-output-buffer-limit "..." gives) is split first. */
static int set_obl(int argc, char **argv, char *err, size_t errlen)
{
    if (argc == 1 && strchr(argv[0], ' ')) {
        char *out = mem_alloc(strlen(argv[0]) + 1);
        char *args[32];
        int n = split_line(argv[0], out, args, 32);
        int rc = n < 0 ? fail(err, errlen, "Wrong number of arguments in buffer limit "
                                           "configuration.")
                       : set_obl(n, args, err, errlen);
        mem_free(out);
        return rc;
    }
    /* No groups at all (CONFIG SET ... "", or the bare name in a file)
     * changes nothing, as in Redis. */
    if (argc == 0)
        return 0;
    if (argc % 4 != 0)
        return fail(err, errlen, "Wrong number of arguments in buffer limit configuration.");
    config_obl vals[8];
    config_obl *dst[8];
    int n = 0;
    for (int i = 0; i < argc && n < 8; i += 4, n++) {
        const char *cls = argv[i];
        if (!strcasecmp(cls, "normal"))
            dst[n] = &cfg.obl_normal;
        else if (!strcasecmp(cls, "replica") || !strcasecmp(cls, "slave"))
            dst[n] = &cfg.obl_replica;
        else if (!strcasecmp(cls, "pubsub"))
            dst[n] = &cfg.obl_pubsub;
        else
            return fail(err, errlen, "Invalid client class specified in buffer limit configuration.");
        long long hard, soft, secs;
        if (util_parse_memory(argv[i + 1], &hard) != 1 ||
            util_parse_memory(argv[i + 2], &soft) != 1 ||
            !util_str2ll(argv[i + 3], strlen(argv[i + 3]), &secs) || secs < 0 || secs > INT_MAX)
            return fail(err, errlen, "Error in hard, soft or soft_seconds setting in buffer limit "
                                     "configuration.");
        vals[n].hard = hard;
        vals[n].soft = soft;
        vals[n].soft_seconds = (int)secs;
    }
    for (int i = 0; i < n; i++)
        *dst[i] = vals[i];
    return 0;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static void set_string(char **slot, const char *v)
{
    char *copy = mem_strdup(v);
    mem_free(*slot);
    *slot = copy;
}

/* The arguments joined by single spaces (caller frees): a setting that takes
 * several words, from a config file line or CONFIG SET. */
static char *join_args(int argc, char **argv)
{
    size_t total = 1;
    for (int i = 0; i < argc; i++)
        total += strlen(argv[i]) + 1;
    char *s = mem_alloc(total);
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* latency-tracking-info-percentiles: numbers in [0, 100] separated by single
 * spaces. Redis splits the value at every space, so a doubled, leading or
 * trailing space makes an empty (invalid) number; an empty value means no
 * percentiles. Several arguments (a config file line without quotes) read as
 * if joined by spaces. Numbers are read as Redis's string2d reads them:
 * strtod over the whole token, no leading space, no NaN, no overflow. */
static int set_percentiles(int argc, char **argv, char *err, size_t errlen)
{
    char *s = join_args(argc, argv);
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ' ';
    double *vals = mem_alloc(sizeof(double) * cap);
    int n = 0, rc = 0;
    for (char *p = s; s[0];) {
        char *sp = strchr(p, ' ');
        if (sp)
            *sp = '\0';
        char *end = p;
        errno = 0;
        double v = *p && !isspace((unsigned char)*p) ? strtod(p, &end) : 0;
        if (end == p || *end || isnan(v) ||
            (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0))) {
            rc = fail(err, errlen, "Invalid latency-tracking-info-percentiles parameters");
            break;
        }
        if (v < 0.0 || v > 100.0) {
            rc = fail(err, errlen,
                      "latency-tracking-info-percentiles parameters should sit between "
                      "[0.0,100.0]");
            break;
        }
        vals[n++] = v;
        if (!sp)
            break;
        p = sp + 1;
    }
    mem_free(s);
    if (rc < 0) {
        mem_free(vals);
        return -1;
    }
    mem_free(cfg.latency_percentiles);
    cfg.latency_percentiles = vals;
    cfg.latency_npercentiles = n;
    return 0;
}

/* Validates and stores one value. argv holds the values after the name. */
static int set_value(config_def *d, int argc, char **argv, char *err, size_t errlen)
{
    if (d->type == T_SAVE) {
        /* respd keeps no RDB snapshots; an empty save line (or "save" with
         * no arguments) is the only truthful setting. */
        for (int i = 0; i < argc; i++)
            if (argv[i][0])
                return fail(err, errlen, "respd has no RDB snapshots; only save \"\" is accepted");
        return 0;
    }
    if (d->type == T_OBL)
        return set_obl(argc, argv, err, errlen);
    if (d->type == T_PCTL)
        return set_percentiles(argc, argv, err, errlen);
    if (d->type == T_STR && strcmp(d->name, "bind") == 0) {
        /* bind takes several addresses; keep them as one spaced string. */
        char *s = join_args(argc, argv);
        mem_free(cfg.bind);
        cfg.bind = s;
        return 0;
    }
    if (argc != 1)
        return fail(err, errlen, "wrong number of arguments");
    const char *v = argv[0];
    switch (d->type) {
    case T_INT:
    case T_MEM:
    case T_LL: {
        long long ll;
        int ok = d->type == T_MEM ? util_parse_memory(v, &ll) : util_str2ll(v, strlen(v), &ll);
        if (!ok)
            return fail(err, errlen, d->type == T_MEM
                                         ? "argument must be a memory value"
                                         : "argument couldn't be parsed into an integer");
        if (ok < 0 || ll < d->min || ll > d->max) /* ok < 0: a memory value past LLONG_MAX */
            return fail(err, errlen, "argument must be between %lld and %lld inclusive", d->min,
                        d->max);
        if (d->type == T_INT) {
            if (strcmp(d->name, "hz") == 0) /* as Redis, clamp rather than refuse */
                ll = ll < 1 ? 1 : ll > 500 ? 500 : ll;
            if (ll > INT_MAX)
                ll = INT_MAX;
            *(int *)d->ptr = (int)ll;
        } else {
            *(long long *)d->ptr = ll;
        }
        return 0;
    }
    case T_OCT: {
        char *end;
        errno = 0;
        long long ll = strtoll(v, &end, 8);
        if (!*v || *end || errno)
            return fail(err, errlen, "argument couldn't be parsed as an octal number");
        if (ll < d->min || ll > d->max)
            return fail(err, errlen, "argument must be between %llo and %llo inclusive",
                        (unsigned long long)d->min, (unsigned long long)d->max);
        *(int *)d->ptr = (int)ll;
        return 0;
    }
    case T_BOOL:
        if (strcasecmp(v, "yes") == 0)
            *(int *)d->ptr = 1;
        else if (strcasecmp(v, "no") == 0)
            *(int *)d->ptr = 0;
        else
            return fail(err, errlen, "argument must be 'yes' or 'no'");
        return 0;
    case T_ENUM:
        for (const enum_name *e = d->enums; e->name; e++)
            if (strcasecmp(v, e->name) == 0 && e->value >= 0) {
                *(int *)d->ptr = e->value;
                return 0;
            }
        {
            char list[256] = "";
            for (const enum_name *e = d->enums; e->name; e++) {
                if (e->value < 0)
                    continue;
                if (list[0])
                    strncat(list, ", ", sizeof(list) - strlen(list) - 1);
                strncat(list, e->name, sizeof(list) - strlen(list) - 1);
            }
            return fail(err, errlen, "argument(s) must be one of the following: %s", list);
        }
    case T_LOGLEVEL: {
        int l = log_level_from_name(v);
        if (l < 0)
            return fail(err, errlen, "argument(s) must be one of the following: debug, verbose, "
                                     "notice, warning");
        cfg.loglevel = l;
        log_set_level(l);
        return 0;
    }
    case T_STR:
        set_string((char **)d->ptr, v);
        return 0;
    case T_DIR: {
        if (chdir(v) != 0)
            return fail(err, errlen, "%s", strerror(errno));
        char *cwd = getcwd(NULL, 0);
        set_string(&cfg.dir, cwd ? cwd : v);
        free(cwd); /* getcwd's buffer comes from libc's malloc */
        return 0;
    }
    }
    return fail(err, errlen, "unknown setting type");
}

void config_init(void)
{
    memset(&cfg, 0, sizeof(cfg));
    char err[256];
    for (size_t i = 0; i < NDEFS; i++) {
        config_def *d = &defs[i];
        if (!d->def)
            continue;
        char *v = (char *)d->def;
        if (strcmp(d->name, "bind") == 0) {
            char *args[] = {"127.0.0.1", "-::1"};
            set_value(d, 2, args, err, sizeof(err));
            continue;
        }
        set_value(d, 1, &v, err, sizeof(err));
    }
    cfg.obl_replica = (config_obl){256LL << 20, 64LL << 20, 60};
    cfg.obl_pubsub = (config_obl){32LL << 20, 8LL << 20, 60};
    char *cwd = getcwd(NULL, 0);
    set_string(&cfg.dir, cwd ? cwd : ".");
    free(cwd);
    char value[1024];
    for (size_t i = 0; i < NDEFS; i++) {
        format_value(&defs[i], value, sizeof(value));
        mem_free(default_values[i]);
        default_values[i] = mem_strdup(value);
    }
    default_obl[0] = cfg.obl_normal;
    default_obl[1] = cfg.obl_replica;
    default_obl[2] = cfg.obl_pubsub;
}

void config_fini(void)
{
    for (size_t i = 0; i < NDEFS; i++) {
        mem_free(default_values[i]);
        default_values[i] = NULL;
        if (defs[i].type == T_STR || defs[i].type == T_DIR) {
            char **slot = defs[i].ptr;
            mem_free(*slot);
            *slot = NULL;
        }
    }
    mem_free(cfg.latency_percentiles);
    cfg.latency_percentiles = NULL;
    cfg.latency_npercentiles = 0;
}

void config_set_rename_hook(config_rename_fn fn)
{
    rename_hook = fn;
}

int config_set_from_args(const char *name, int argc, char **argv, char *err, size_t errlen)
{
    /* rename-command is a directive, not a setting: the file and the
     * command line take it, CONFIG GET/SET do not know it (as in Redis). */
    if (strcasecmp(name, "rename-command") == 0) {
        if (argc != 2 || !rename_hook)
            return fail(err, errlen, "Bad directive or wrong number of arguments");
        return rename_hook(argv[0], argv[1], err, errlen);
    }
    config_def *d = find_def(name, strlen(name));
    if (!d)
        return fail(err, errlen, "Bad directive or wrong number of arguments");
    if (d->type != T_SAVE && d->type != T_OBL && d->type != T_PCTL &&
        strcmp(d->name, "bind") != 0 && argc != 1)
        return fail(err, errlen, "wrong number of arguments");
    return set_value(d, argc, argv, err, errlen);
}

/* Splits a config line into arguments like Redis's sdssplitargs: spaces
 * separate, "double quotes" take \n \r \t \b \a \\ \" \xHH escapes, 'single
 * quotes' take \'. Returns the count, or -1 for unbalanced quotes. Writes the
 * unescaped arguments into out (as long as line), pointers into args. */
static int split_line(const char *line, char *out, char **args, int max)
{
    int n = 0;
    const char *p = line;
    char *o = out;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            return n;
        if (n == max)
            return -1;
        args[n++] = o;
        int dq = 0, sq = 0;
        for (;;) {
            if (dq) {
                if (!*p)
                    return -1;
                if (*p == '\\' && p[1] == 'x' && isxdigit((unsigned char)p[2]) &&
                    isxdigit((unsigned char)p[3])) {
                    char hex[3] = {p[2], p[3], 0};
                    *o++ = (char)strtol(hex, NULL, 16);
                    p += 4;
                    continue;
                }
                if (*p == '\\' && p[1]) {
                    char c = p[1];
                    *o++ = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t'
                         : c == 'b' ? '\b' : c == 'a' ? '\a' : c;
                    p += 2;
                    continue;
                }
                if (*p == '"') {
                    p++;
                    if (*p && !isspace((unsigned char)*p))
                        return -1;
                    break;
                }
                *o++ = *p++;
            } else if (sq) {
                if (!*p)
                    return -1;
                if (*p == '\\' && p[1] == '\'') {
                    *o++ = '\'';
                    p += 2;
                    continue;
                }
                if (*p == '\'') {
                    p++;
                    if (*p && !isspace((unsigned char)*p))
                        return -1;
                    break;
                }
                *o++ = *p++;
            } else {
                if (!*p || isspace((unsigned char)*p))
                    break;
                if (*p == '"') {
                    dq = 1;
                    p++;
                } else if (*p == '\'') {
                    sq = 1;
                    p++;
                } else {
                    *o++ = *p++;
                }
            }
        }
        *o++ = '\0';
    }
}

#define MAX_LINE_ARGS 64

int config_load_string(const char *text, const char *origin, char *err, size_t errlen)
{
    int lineno = 0;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char *line = mem_strndup(p, len);
        char *out = mem_alloc(len + 1);
        char *args[MAX_LINE_ARGS];
        lineno++;
        p += len + (eol ? 1 : 0);
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        int rc = 0;
        char why[256] = "";
        if (*s && *s != '#') {
            int n = split_line(s, out, args, MAX_LINE_ARGS);
            if (n < 0) {
                snprintf(why, sizeof(why), "Unbalanced quotes in configuration line");
                rc = -1;
            } else if (n > 0 && strcasecmp(args[0], "include") == 0 && n == 2) {
                rc = config_load(args[1], 0, NULL, why, sizeof(why));
            } else if (n > 0) {
                rc = config_set_from_args(args[0], n - 1, args + 1, why, sizeof(why));
            }
        }
        if (rc < 0) {
            snprintf(err, errlen,
                     "*** FATAL CONFIG FILE ERROR ***\nReading the configuration file %s, at "
                     "line %d\n>>> '%s'\n%s",
                     origin, lineno, s, why);
        }
        mem_free(out);
        mem_free(line);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* The rest of f as a NUL-terminated string (caller frees), or NULL with
 * errno set on a read error. */
static char *read_all(FILE *f)
{
    size_t cap = 4096, len = 0;
    char *buf = mem_alloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2) {
            cap *= 2;
            buf = mem_realloc(buf, cap);
        }
    }
    if (ferror(f)) {
        mem_free(buf);
        errno = EIO;
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        fail(err, errlen, "Fatal error, can't open config file '%s': %s", path, strerror(errno));
        return NULL;
    }
    char *buf = read_all(f);
    if (f != stdin)
        fclose(f);
    if (!buf)
        fail(err, errlen, "Fatal error, can't read config file '%s': %s", path, strerror(errno));
    return buf;
}

int config_load(const char *path, int argc, char **argv, char *err, size_t errlen)
{
    if (path) {
        char *text = read_file(path, err, errlen);
        if (!text)
            return -1;
        int rc = config_load_string(text, path, err, errlen);
        mem_free(text);
        if (rc < 0)
            return -1;
    }
    /* "--name v1 v2 --other v" becomes lines "name v1 v2" and "other v",
     * handled exactly as file lines, as redis-server does. */
    int i = 0;
    while (i < argc) {
        if (strncmp(argv[i], "--", 2) != 0 || !argv[i][2])
            return fail(err, errlen, "Invalid argument '%s': options start with --", argv[i]);
        const char *name = argv[i] + 2;
        int j = i + 1;
        while (j < argc && strncmp(argv[j], "--", 2) != 0)
            j++;
        char why[256];
        if (config_set_from_args(name, j - i - 1, argv + i + 1, why, sizeof(why)) < 0)
            return fail(err, errlen,
                        "*** FATAL CONFIG FILE ERROR ***\nIn the command line option '--%s'\n%s",
                        name, why);
        i = j;
    }
    return 0;
}

/* Snapshot of one value for rollback. */
typedef struct saved {
    config_def *d;
    char value[1024];
} saved;

int config_set_pairs(int n, char **names, size_t *name_lens, char **values, size_t *value_lens,
                     char *err, size_t errlen)
{
    saved *old = mem_calloc((size_t)n, sizeof(saved));
    int rc = -1, set = 0;
    char why[256];
    const char *bad = NULL;
    int badlen = 0;
    for (int i = 0; i < n; i++) {
        config_def *d = find_def(names[i], name_lens[i]);
        if (!d) {
            snprintf(err, errlen, "ERR Unknown option or number of arguments for CONFIG SET - '%.*s'",
                     (int)name_lens[i], names[i]);
            goto out;
        }
        for (int j = 0; j < i; j++)
            if (old[j].d == d) {
                snprintf(err, errlen,
                         "ERR CONFIG SET failed (possibly related to argument '%.*s') - duplicate "
                         "parameter",
                         (int)name_lens[i], names[i]);
                goto out;
            }
        old[i].d = d;
        if (d->flags & (F_IMMUTABLE | F_PROTECTED)) {
            snprintf(err, errlen,
                     "ERR CONFIG SET failed (possibly related to argument '%.*s') - can't set %s "
                     "config",
                     (int)name_lens[i], names[i],
                     (d->flags & F_IMMUTABLE) ? "immutable" : "protected");
            goto out;
        }
    }
    for (int i = 0; i < n; i++) {
        format_value(old[i].d, old[i].value, sizeof(old[i].value));
        char *v = mem_strndup(values[i], value_lens[i]);
        int r;
        if (strcmp(old[i].d->name, "bind") == 0 || old[i].d->type == T_SAVE ||
            old[i].d->type == T_OBL) {
            /* One CONFIG SET value holds all the space-separated arguments. */
            char *out = mem_alloc(value_lens[i] + 1);
            char *args[MAX_LINE_ARGS];
            int argc = split_line(v, out, args, MAX_LINE_ARGS);
            r = argc < 0 ? fail(why, sizeof(why), "Unbalanced quotes")
                         : set_value(old[i].d, argc, args, why, sizeof(why));
            mem_free(out);
        } else {
            r = set_value(old[i].d, 1, &v, why, sizeof(why));
        }
        mem_free(v);
        if (r < 0) {
            bad = names[i];
            badlen = (int)name_lens[i];
            goto rollback;
        }
        set = i + 1;
    }
    for (int i = 0; i < n; i++) {
        const char *aerr = NULL;
        if (old[i].d->apply && old[i].d->apply(&aerr) < 0) {
            snprintf(why, sizeof(why), "%s", aerr ? aerr : "failed to apply");
            bad = names[i];
            badlen = (int)name_lens[i];
            goto rollback;
        }
    }
    rc = 0;
    goto out;
rollback:
    snprintf(err, errlen, "ERR CONFIG SET failed (possibly related to argument '%.*s') - %s",
             badlen, bad, why);
    for (int i = 0; i < set; i++) {
        char *v = old[i].value;
        char tmp[256];
        if (old[i].d->type == T_SAVE)
            continue;
        if (strcmp(old[i].d->name, "bind") == 0 || old[i].d->type == T_OBL) {
            char *out = mem_alloc(strlen(v) + 1);
            char *args[MAX_LINE_ARGS];
            int argc = split_line(v, out, args, MAX_LINE_ARGS);
            if (argc >= 0)
                set_value(old[i].d, argc, args, tmp, sizeof(tmp));
            mem_free(out);
        } else {
            set_value(old[i].d, 1, &v, tmp, sizeof(tmp));
        }
        const char *aerr;
        if (old[i].d->apply)
            old[i].d->apply(&aerr);
    }
out:
    mem_free(old);
    return rc;
}

int config_get_value(const char *name, size_t len, char *buf, size_t size)
{
    const config_def *d = find_def(name, len);
    if (!d)
        return -1;
    format_value(d, buf, size);
    return 0;
}

int config_is_sensitive(const char *name, size_t len)
{
    const config_def *d = find_def(name, len);
    return d && (d->flags & F_SENSITIVE);
}

void config_get(const char *pattern, size_t plen, config_get_fn fn, void *ctx)
{
    /* As Redis, an old name (hash-max-ziplist-entries) is a name of its
     * own: a pattern that matches both names returns both. */
    char value[1024];
    for (size_t i = 0; i < NDEFS; i++) {
        const config_def *d = &defs[i];
        int by_name = util_glob_match(pattern, plen, d->name, strlen(d->name), 1);
        int by_alias = d->alias && util_glob_match(pattern, plen, d->alias, strlen(d->alias), 1);
        if (!by_name && !by_alias)
            continue;
        format_value(d, value, sizeof(value));
        if (by_name)
            fn(d->name, value, ctx);
        if (by_alias)
            fn(d->alias, value, ctx);
    }
}

/* ---- CONFIG REWRITE ------------------------------------------------------ */

#define REWRITE_SIGNATURE "# Generated by CONFIG REWRITE"

/* The file being rewritten, line by line (without newlines). */
typedef struct rewrite_state {
    char **lines;
    int *owner; /* index into defs of the setting on that line, or -1 */
    int n, cap;
    int signed_; /* the signature line is there already */
} rewrite_state;

static void rw_append(rewrite_state *st, char *line, int owner)
{
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 64;
        st->lines = mem_realloc(st->lines, sizeof(char *) * (size_t)st->cap);
        st->owner = mem_realloc(st->owner, sizeof(int) * (size_t)st->cap);
    }
    st->lines[st->n] = line;
    st->owner[st->n++] = owner;
}

static void rw_free(rewrite_state *st)
{
    for (int i = 0; i < st->n; i++)
        mem_free(st->lines[i]);
    mem_free(st->lines);
    mem_free(st->owner);
}

#define LINE_UNKNOWN (-2)

/* Which setting a line of the file sets: an index into defs; -1 for a
 * comment, a blank line, include or rename-command; LINE_UNKNOWN for a line
 * that is none of these or cannot be parsed. */
static int line_owner(const char *line)
{
    while (isspace((unsigned char)*line))
        line++;
    if (!*line || *line == '#')
        return -1;
    char *out = mem_alloc(strlen(line) + 1);
    char *args[MAX_LINE_ARGS];
    int owner = LINE_UNKNOWN;
    if (split_line(line, out, args, MAX_LINE_ARGS) > 0) {
        config_def *d = find_def(args[0], strlen(args[0]));
        if (d)
            owner = (int)(d - defs);
        else if (!strcasecmp(args[0], "include") || !strcasecmp(args[0], "rename-command"))
            owner = -1;
    }
    mem_free(out);
    return owner;
}

/* Loads the old file into st; a missing file reads as empty. */
static int rw_read(const char *path, rewrite_state *st)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    char *buf = read_all(f);
    fclose(f);
    if (!buf)
        return -1;
    for (const char *p = buf; *p;) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        char *line = mem_strndup(p, n);
        const char *t = line;
        while (isspace((unsigned char)*t))
            t++;
        size_t tl = strlen(t);
        while (tl && isspace((unsigned char)t[tl - 1]))
            tl--;
        if (tl == strlen(REWRITE_SIGNATURE) && !memcmp(t, REWRITE_SIGNATURE, tl))
            st->signed_ = 1;
        int owner = line_owner(line);
        if (owner == LINE_UNKNOWN) {
            /* As Redis: kept, but as a comment, so that the file loads. */
            char *kept = mem_alloc(strlen(line) + 7);
            snprintf(kept, strlen(line) + 7, "# ??? %s", line);
            mem_free(line);
            line = kept;
            owner = -1;
        }
        rw_append(st, line, owner);
        p += n + (eol ? 1 : 0);
    }
    mem_free(buf);
    return 0;
}

/* A string as the config parser reads it back: double quotes, and \n \r \t
 * \a \b \\ \" or \xHH for other bytes that are not printable (as Redis
 * writes strings). out must hold 4 * strlen(s) + 3 bytes. */
static void quote_into(char *out, const char *s)
{
    out[util_repr(out, s, strlen(s))] = '\0';
}

/* Bytes in the largest unit that divides them, as Redis writes sizes. */
static void format_memory(char *buf, size_t size, long long bytes)
{
    static const struct {
        long long unit;
        const char *suffix;
    } units[] = {{1LL << 30, "gb"}, {1LL << 20, "mb"}, {1LL << 10, "kb"}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (bytes && bytes % units[i].unit == 0) {
            snprintf(buf, size, "%lld%s", bytes / units[i].unit, units[i].suffix);
            return;
        }
    snprintf(buf, size, "%lld", bytes);
}

/* The line for setting d (for client-output-buffer-limit, for class cls:
 * 0 normal, 1 replica, 2 pubsub). *force says whether the value differs
 * from the default, i.e. whether it must be written when the file has no
 * line for it. Returns a mem_alloc'd line. */
static char *rewrite_line(const config_def *d, int cls, int *force)
{
    size_t i = (size_t)(d - defs);
    char value[1024];
    format_value(d, value, sizeof(value));
    *force = !default_values[i] || strcmp(value, default_values[i]) != 0;
    const char *text = value;
    char *quoted = NULL;
    char mem[64];
    switch (d->type) {
    case T_OBL: {
        static const char *const classes[] = {"normal", "replica", "pubsub"};
        const config_obl *o = cls == 0 ? &cfg.obl_normal : cls == 1 ? &cfg.obl_replica
                                                                    : &cfg.obl_pubsub;
        char hard[32], soft[32];
        format_memory(hard, sizeof(hard), o->hard);
        format_memory(soft, sizeof(soft), o->soft);
        snprintf(value, sizeof(value), "%s %s %s %d", classes[cls], hard, soft, o->soft_seconds);
        *force = memcmp(o, &default_obl[cls], sizeof(*o)) != 0;
        break;
    }
    case T_MEM:
        format_memory(mem, sizeof(mem), *(long long *)d->ptr);
        text = mem;
        break;
    case T_SAVE:
        text = "\"\"";
        *force = 0;
        break;
    case T_DIR:
    case T_STR: {
        /* The string itself, not format_value's copy: that one is cut at
         * its buffer's size, and a cut password would lock everyone out. */
        const char *s = *(char **)d->ptr ? *(char **)d->ptr : "";
        if (d->type == T_STR && strcmp(d->name, "bind") == 0) {
            text = s; /* several addresses, written as arguments */
            break;
        }
        quoted = mem_alloc(4 * strlen(s) + 3);
        quote_into(quoted, s);
        text = quoted;
        if (d->type == T_DIR)
            *force = 1; /* as Redis: dir is always written */
        else
            *force = strcmp(s, default_values[i] ? default_values[i] : "") != 0;
        break;
    }
    case T_INT:
    case T_OCT:
    case T_BOOL:
    case T_ENUM:
    case T_LOGLEVEL:
        break;
    default:
        /* A kind of setting added later: its CONFIG GET text, which reads
         * back as its arguments when spaces separate several (as for bind);
         * quoted only when empty or when quotes or escapes would be
         * misread. */
        if (!value[0] || strpbrk(value, "\t\r\n\"'\\")) {
            quoted = mem_alloc(4 * strlen(value) + 3);
            quote_into(quoted, value);
            text = quoted;
        }
        break;
    }
    size_t len = strlen(d->name) + 1 + strlen(text) + 1;
    char *line = mem_alloc(len);
    snprintf(line, len, "%s %s", d->name, text);
    mem_free(quoted);
    return line;
}

/* Puts each setting's line in place, appends those that must be added,
 * and blanks the extra lines of settings given more than once. */
static void rw_update(rewrite_state *st)
{
    for (size_t i = 0; i < NDEFS; i++) {
        int nlines = defs[i].type == T_OBL ? 3 : 1;
        for (int cls = 0; cls < nlines; cls++) {
            int force;
            char *line = rewrite_line(&defs[i], cls, &force);
            int at = -1;
            for (int j = 0; j < st->n && at < 0; j++)
                if (st->owner[j] == (int)i)
                    at = j;
            if (at >= 0) {
                mem_free(st->lines[at]);
                st->lines[at] = line;
                st->owner[at] = -1;
            } else if (force) {
                if (!st->signed_) {
                    if (st->n > 0) /* as Redis: apart from what was there */
                        rw_append(st, mem_strdup(""), -1);
                    rw_append(st, mem_strdup(REWRITE_SIGNATURE), -1);
                    st->signed_ = 1;
                }
                rw_append(st, line, -1);
            } else {
                mem_free(line);
            }
        }
    }
    for (int j = 0; j < st->n; j++)
        if (st->owner[j] >= 0)
            st->lines[j][0] = '\0';
}

/* The new contents: every line with its newline, runs of blank lines as
 * one. mem_alloc'd; *len its size. */
static char *rw_content(const rewrite_state *st, size_t *len)
{
    size_t cap = 1;
    for (int j = 0; j < st->n; j++)
        cap += strlen(st->lines[j]) + 1;
    char *out = mem_alloc(cap);
    size_t o = 0;
    int was_blank = 0;
    for (int j = 0; j < st->n; j++) {
        const char *l = st->lines[j];
        int blank = 1;
        for (const char *p = l; *p && blank; p++)
            blank = isspace((unsigned char)*p) != 0;
        if (blank && was_blank)
            continue;
        was_blank = blank;
        size_t n = strlen(l);
        memcpy(out + o, l, n);
        o += n;
        out[o++] = '\n';
    }
    out[o] = '\0';
    *len = o;
    return out;
}

/* Writes data to path through a temporary file in the same directory:
 *   1. create path.tmp-XXXXXX with the old file's permissions
 *   2. write and fsync it
 *   3. rename it over path, then fsync the directory so the rename lasts */
static int replace_file(const char *path, const char *data, size_t len)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644;
    if (fchmod(fd, mode) < 0 || util_write_fully(fd, data, len) != len || fsync(fd) < 0)
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) < 0)
        goto fail;
    util_fsync_dir(path); /* best effort: the new file is complete either way */
    return 0;
fail: {
    int e = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = e;
    return -1;
}
}

int config_rewrite(const char *path, char *err, size_t errlen)
{
    rewrite_state st = {0};
    int rc = -1;
    if (rw_read(path, &st) == 0) {
        rw_update(&st);
        size_t len;
        char *content = rw_content(&st, &len);
        rc = replace_file(path, content, len);
        mem_free(content);
    }
    if (rc < 0) {
        int e = errno;
        fail(err, errlen, "%s", strerror(e));
        errno = e;
    }
    rw_free(&st);
    return rc;
}
