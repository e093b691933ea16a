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
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "util.h"

config_t cfg;

enum { T_INT, T_MEM, T_BOOL, T_ENUM, T_STR, T_SAVE, T_DIR, T_LOGLEVEL, T_OBL };
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
    INT("unixsocketperm", F_IMMUTABLE, unixsocketperm, 0, 0777, "0"),
    {"client-output-buffer-limit", NULL, T_OBL, 0, NULL, 0, 0, NULL, NULL, NULL},
    {"list-max-listpack-size", "list-max-ziplist-size", T_INT, 0, &cfg.list_max_listpack_size,
     INT_MIN, INT_MAX, "-2", NULL, NULL},
    {"hash-max-listpack-entries", "hash-max-ziplist-entries", T_INT, 0,
     &cfg.hash_max_listpack_entries, 0, INT_MAX, "128", NULL, NULL},
    {"hash-max-listpack-value", "hash-max-ziplist-value", T_INT, 0, &cfg.hash_max_listpack_value,
     0, INT_MAX, "64", NULL, NULL},
    INT("set-max-intset-entries", 0, set_max_intset_entries, 0, INT_MAX, "512"),
    INT("set-max-listpack-entries", 0, set_max_listpack_entries, 0, INT_MAX, "128"),
    INT("set-max-listpack-value", 0, set_max_listpack_value, 0, INT_MAX, "64"),
    {"zset-max-listpack-entries", "zset-max-ziplist-entries", T_INT, 0,
     &cfg.zset_max_listpack_entries, 0, INT_MAX, "128", NULL, NULL},
    {"zset-max-listpack-value", "zset-max-ziplist-value", T_INT, 0, &cfg.zset_max_listpack_value,
     0, INT_MAX, "64", NULL, NULL},
};

#define NDEFS (sizeof(defs) / sizeof(defs[0]))

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

/* Formats the current value of d into buf. */
static void format_value(const config_def *d, char *buf, size_t size)
{
    switch (d->type) {
    case T_INT:
        snprintf(buf, size, "%d", *(int *)d->ptr);
        break;
    case T_MEM:
        snprintf(buf, size, "%lld", *(long long *)d->ptr);
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
    if (argc == 0 || argc % 4 != 0)
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
        if (!util_parse_memory(argv[i + 1], &hard) || !util_parse_memory(argv[i + 2], &soft) ||
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
    if (d->type == T_STR && strcmp(d->name, "bind") == 0) {
        /* bind takes several addresses; keep them as one spaced string. */
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
        mem_free(cfg.bind);
        cfg.bind = s;
        return 0;
    }
    if (argc != 1)
        return fail(err, errlen, "wrong number of arguments");
    const char *v = argv[0];
    switch (d->type) {
    case T_INT:
    case T_MEM: {
        long long ll;
        int ok = d->type == T_INT ? util_str2ll(v, strlen(v), &ll) : util_parse_memory(v, &ll);
        if (!ok)
            return fail(err, errlen, "argument couldn't be parsed into an integer");
        if (ll < d->min || ll > d->max)
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
}

void config_fini(void)
{
    for (size_t i = 0; i < NDEFS; i++) {
        if (defs[i].type == T_STR || defs[i].type == T_DIR) {
            char **slot = defs[i].ptr;
            mem_free(*slot);
            *slot = NULL;
        }
    }
}

int config_set_from_args(const char *name, int argc, char **argv, char *err, size_t errlen)
{
    config_def *d = find_def(name, strlen(name));
    if (!d)
        return fail(err, errlen, "Bad directive or wrong number of arguments");
    if (d->type != T_SAVE && d->type != T_OBL && strcmp(d->name, "bind") != 0 && argc != 1)
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

static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        fail(err, errlen, "Fatal error, can't open config file '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = mem_alloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            buf = mem_realloc(buf, cap);
        }
    }
    buf[len] = '\0';
    if (f != stdin)
        fclose(f);
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

void config_get(const char *pattern, size_t plen, config_get_fn fn, void *ctx)
{
    char value[1024];
    for (size_t i = 0; i < NDEFS; i++) {
        const config_def *d = &defs[i];
        const char *name = NULL;
        if (util_glob_match(pattern, plen, d->name, strlen(d->name), 1))
            name = d->name;
        else if (d->alias && util_glob_match(pattern, plen, d->alias, strlen(d->alias), 1))
            name = d->alias;
        if (!name)
            continue;
        format_value(d, value, sizeof(value));
        fn(name, value, ctx);
    }
}
