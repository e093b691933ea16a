/* fuzz_env: the server state the fuzz targets run against, and the checks
 * they share: keyspace consistency, the AOF rewrite round trip, the AOF as
 * written, reply well-formedness. See fuzz.h.
 *
 * The databases are checked from the outside in: the keyspace tables are
 * walked directly, each value is iterated through its type's AOF rewrite
 * callback (the one generic walk every collection type has), and the lengths
 * and ranges are asked of the real command handlers, run by a socket-less
 * checker client. A disagreement between any two of them is a bug.
 *
 * The checker never touches a key whose expire time has passed: looking it
 * up would delete it (lazy expiry), and the check would change the state it
 * is checking.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aof.h"
#include "client.h"
#include "command.h"
#include "config.h"
#include "db.h"
#include "evict.h"
#include "hashtable.h"
#include "lazyfree.h"
#include "log.h"
#include "mem.h"
#include "object.h"
#include "quicklist.h"
#include "server.h"
#include "util.h"

/* ---- failures -------------------------------------------------------------- */

static fuzz_fail_fn fail_hook;

void fuzz_set_fail_hook(fuzz_fail_fn fn)
{
    fail_hook = fn;
}

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (fail_hook)
        fail_hook(file, line, what); /* cmocka's fail_msg does not return */
    fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
    abort();
}

/* ---- environment ----------------------------------------------------------- */

#define NDBS 16
/* Id of the scratch database of the rewrite check: no client selects it and
 * no blocked client can wait on it. */
#define SCRATCH_DB_ID 1000

static int inited;
static config_t default_cfg;
static client *checker;  /* runs read-only handlers for the checks */
static client *replayer; /* replays rewrite commands, as the AOF loader does */
static db scratch;

void fuzz_set_time(long long unix_ms)
{
    server.now_ms = unix_ms;
    db_set_now(unix_ms);
    obj_access_clock(unix_ms);
}

/* What the server's expiry hook does: an expired key reaches the AOF as a
 * DEL, so that the file does not depend on time, and WATCH sees it. */
static void on_expired(db *d, const char *key, size_t klen)
{
    server_key_removed(d, key, klen);
    server.stats.expired_keys++;
}

void fuzz_env_init(void)
{
    if (inited)
        return;
    inited = 1;
    config_init();
    log_set_level(LOG_NOTHING);
    /* Strings may grow to 1 MB (APPEND, SETRANGE): enough for every code
     * path, small enough that a few hundred commands cannot exhaust memory. */
    cfg.proto_max_bulk_len = 1024 * 1024;
    default_cfg = cfg;
    /* A fixed seed, before any table exists: iteration orders, and with them
     * every reply, depend only on the input. */
    static const uint8_t seed[16] = {0};
    ht_set_seed(seed);
    server.ndbs = NDBS;
    server.dbs = mem_calloc(NDBS, sizeof(db));
    for (int i = 0; i < NDBS; i++)
        db_init(&server.dbs[i], i);
    db_init(&scratch, SCRATCH_DB_ID);
    cmd_init();
    server.active_expire_enabled = 1;
    server.start_ms = FUZZ_EPOCH_MS;
    fuzz_set_time(FUZZ_EPOCH_MS);
    checker = client_new(-1, CLIENT_FAKE);
    replayer = client_new(-1, CLIENT_FAKE);
    db_set_expired_hook(on_expired);
    evict_init();
}

void fuzz_env_reset(void)
{
    for (int i = 0; i < NDBS; i++) {
        db_flush(&server.dbs[i]);
        server.dbs[i].id = i;
    }
    db_flush(&scratch);
    lazyfree_drain(); /* what UNLINK and FLUSH ASYNC queued */
    /* CONFIG SET may only change integer settings (see fuzz_exec.c), so a plain
     * copy restores every setting without touching an allocation. */
    cfg = default_cfg;
    evict_init(); /* LRU stamps again, no candidates left from the last input */
    server.active_expire_enabled = 1;
    server.loading = 0;
    db_set_expiry_enabled(1);
    fuzz_set_time(FUZZ_EPOCH_MS);
    util_seed_random(1);
    cmd_reset_stats();
}

/* ---- byte strings ---------------------------------------------------------- */

typedef struct bytes {
    char *p;
    size_t len, cap;
} bytes;

static void b_add(bytes *b, const void *p, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p)
            abort();
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* A length-prefixed field, so that concatenations cannot collide. */
static void b_field(bytes *b, const void *p, size_t n)
{
    uint64_t len = n;
    b_add(b, &len, sizeof(len));
    b_add(b, p, n);
}

static void b_free(bytes *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static uint64_t fnv1a(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ---- reply validation ------------------------------------------------------ */

typedef struct rparse {
    const char *p, *end;
    int proto;
    const char *why;
} rparse;

/* The line at r->p up to CRLF; moves past it. Returns its length or -1. */
static long r_line(rparse *r, const char **line)
{
    const char *s = r->p;
    while (s + 1 < r->end && !(s[0] == '\r' && s[1] == '\n'))
        s++;
    if (s + 1 >= r->end) {
        r->why = "cut short";
        return -1;
    }
    *line = r->p;
    long n = (long)(s - r->p);
    r->p = s + 2;
    return n;
}

static int r_number(rparse *r, long long *v)
{
    const char *line;
    long n = r_line(r, &line);
    if (n < 0)
        return -1;
    if (!util_str2ll(line, (size_t)n, v)) {
        r->why = "bad number";
        return -1;
    }
    return 0;
}

static int r_value(rparse *r, int depth);

static int r_elements(rparse *r, long long n, int depth)
{
    for (long long i = 0; i < n; i++)
        if (r_value(r, depth + 1) < 0)
            return -1;
    return 0;
}

/* A bulk-like body of n bytes and its CRLF. */
static int r_body(rparse *r, long long n)
{
    if (n < 0 || r->end - r->p < 2 || n > r->end - r->p - 2) {
        r->why = "bulk cut short";
        return -1;
    }
    if (r->p[n] != '\r' || r->p[n + 1] != '\n') {
        r->why = "bulk not followed by CRLF";
        return -1;
    }
    r->p += n + 2;
    return 0;
}

static int r_value(rparse *r, int depth)
{
    if (depth > 64) {
        r->why = "nested too deep";
        return -1;
    }
    if (r->p >= r->end) {
        r->why = "cut short";
        return -1;
    }
    char t = *r->p++;
    const char *line;
    long long n;
    long ln;
    if (r->proto == 2 && !strchr("+-:$*", t)) {
        r->why = "a RESP3 type in a RESP2 reply";
        return -1;
    }
    switch (t) {
    case '+':
    case '-':
        ln = r_line(r, &line);
        if (ln < 0)
            return -1;
        if (memchr(line, '\r', (size_t)ln) || memchr(line, '\n', (size_t)ln)) {
            r->why = "CR or LF inside a simple string";
            return -1;
        }
        if (t == '-' && ln == 0) {
            r->why = "empty error";
            return -1;
        }
        return 0;
    case ':':
        return r_number(r, &n);
    case '$':
        if (r_number(r, &n) < 0)
            return -1;
        if (n == -1 && r->proto == 2)
            return 0;
        return r_body(r, n);
    case '!':
    case '=':
        if (r_number(r, &n) < 0)
            return -1;
        if (t == '=' && (n < 4 || r->end - r->p < 4 || r->p[3] != ':')) {
            r->why = "bad verbatim string";
            return -1;
        }
        return r_body(r, n);
    case '*':
        if (r_number(r, &n) < 0)
            return -1;
        if (n == -1 && r->proto == 2)
            return 0;
        if (n < 0) {
            r->why = "negative aggregate length";
            return -1;
        }
        return r_elements(r, n, depth);
    case '~':
    case '>':
        if (r_number(r, &n) < 0)
            return -1;
        if (n < 0) {
            r->why = "negative aggregate length";
            return -1;
        }
        return r_elements(r, n, depth);
    case '%':
    case '|':
        if (r_number(r, &n) < 0)
            return -1;
        if (n < 0 || n > LLONG_MAX / 2) {
            r->why = "bad map length";
            return -1;
        }
        if (r_elements(r, 2 * n, depth) < 0)
            return -1;
        /* An attribute decorates the reply that follows it. */
        return t == '|' ? r_value(r, depth + 1) : 0;
    case '_':
        ln = r_line(r, &line);
        if (ln != 0) {
            r->why = "bad null";
            return -1;
        }
        return 0;
    case '#':
        ln = r_line(r, &line);
        if (ln != 1 || (line[0] != 't' && line[0] != 'f')) {
            r->why = "bad boolean";
            return -1;
        }
        return 0;
    case ',': {
        ln = r_line(r, &line);
        if (ln <= 0) {
            r->why = "bad double";
            return -1;
        }
        char tmp[64];
        if ((size_t)ln >= sizeof(tmp)) {
            r->why = "double too long";
            return -1;
        }
        memcpy(tmp, line, (size_t)ln);
        tmp[ln] = '\0';
        if (strcmp(tmp, "inf") && strcmp(tmp, "-inf") && strcmp(tmp, "nan")) {
            char *endp;
            strtod(tmp, &endp);
            if (*endp) {
                r->why = "bad double";
                return -1;
            }
        }
        return 0;
    }
    case '(':
        ln = r_line(r, &line);
        if (ln <= 0) {
            r->why = "bad big number";
            return -1;
        }
        return 0;
    default:
        r->why = "unknown type byte";
        return -1;
    }
}

long fuzz_count_replies(const char *out, size_t len, int proto, const char **why)
{
    if (len == 0)
        return 0;
    rparse r = {.p = out, .end = out + len, .proto = proto, .why = NULL};
    long n = 0;
    while (r.p < r.end) {
        if (r_value(&r, 0) < 0) {
            *why = r.why;
            return -1;
        }
        n++;
    }
    return n;
}

/* ---- running a handler for a check ----------------------------------------- */

/* Runs one read-only command on database d with the checker client, straight
 * through its handler (no statistics, no AOF), and returns its RESP2 reply,
 * valid until the next call. */
static const char *check_cmd(db *d, size_t *rlen, int argc, ...)
{
    char *argv[8];
    size_t lens[8];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++) {
        argv[i] = va_arg(ap, char *);
        lens[i] = va_arg(ap, size_t);
    }
    va_end(ap);
    const cmd_def *def = cmd_lookup(argv, lens, argc);
    FUZZ_CHECK(def && def->proc, "no handler for %s", argv[0]);
    checker->db = d;
    checker->argc = argc;
    checker->argv = argv;
    checker->argvlen = lens;
    checker->out.len = 0;
    def->proc(checker);
    checker->argc = 0;
    checker->argv = NULL;
    checker->argvlen = NULL;
    *rlen = checker->out.len;
    return checker->out.buf;
}

#define LIT(s) (char *)(s), sizeof(s) - 1

static long long reply_integer(const char *r, size_t len, const char *what)
{
    long long v = 0;
    FUZZ_CHECK(len >= 4 && r[0] == ':' && r[len - 2] == '\r' && r[len - 1] == '\n' &&
                   util_str2ll(r + 1, len - 3, &v),
               "%s: not an integer reply: %.*s", what, (int)(len > 60 ? 60 : len), r);
    return v;
}

/* The elements of a flat RESP2 array of bulk strings. */
typedef struct slice {
    const char *p;
    size_t len;
} slice;

static slice *parse_array(const char *r, size_t len, long long *count, const char *what)
{
    rparse rp = {.p = r, .end = r + len, .proto = 2};
    FUZZ_CHECK(len > 0 && r[0] == '*', "%s: not an array: %.*s", what,
               (int)(len > 60 ? 60 : len), r);
    rp.p++;
    long long n;
    FUZZ_CHECK(r_number(&rp, &n) == 0 && n >= 0, "%s: bad array header", what);
    slice *out = calloc((size_t)n + 1, sizeof(*out));
    for (long long i = 0; i < n; i++) {
        long long bl;
        FUZZ_CHECK(rp.p < rp.end && *rp.p == '$', "%s: element %lld is not a bulk", what, i);
        rp.p++;
        FUZZ_CHECK(r_number(&rp, &bl) == 0 && bl >= 0 && rp.end - rp.p >= bl + 2,
                   "%s: bad bulk %lld", what, i);
        out[i].p = rp.p;
        out[i].len = (size_t)bl;
        rp.p += bl + 2;
    }
    FUZZ_CHECK(rp.p == rp.end, "%s: bytes after the array", what);
    *count = n;
    return out;
}

/* ---- walking a value ------------------------------------------------------- */

/* What a type's rewrite callback emitted for one key: the elements (lists,
 * sets), field/value pairs (hashes) or member/score pairs (sorted sets, the
 * member first), as owned copies. */
typedef struct walk {
    const char *key;
    size_t klen;
    int type;
    slice *items; /* copies; pairs are consecutive */
    size_t n, cap;
    int ok_commands; /* every emitted command exists with a valid arity */
} walk;

static void walk_push(walk *w, const char *p, size_t len)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->items = realloc(w->items, w->cap * sizeof(*w->items));
        if (!w->items)
            abort();
    }
    char *copy = malloc(len + 1);
    if (!copy)
        abort();
    memcpy(copy, p, len);
    w->items[w->n].p = copy;
    w->items[w->n].len = len;
    w->n++;
}

static void walk_free(walk *w)
{
    for (size_t i = 0; i < w->n; i++)
        free((void *)w->items[i].p);
    free(w->items);
    w->items = NULL;
    w->n = w->cap = 0;
}

static const char *const rewrite_cmd[OBJ_NTYPES] = {
    [OBJ_LIST] = "RPUSH", [OBJ_SET] = "SADD", [OBJ_HASH] = "HSET", [OBJ_ZSET] = "ZADD"};

static void walk_emit(void *ctx, int argc, const char **argv, const size_t *lens)
{
    walk *w = ctx;
    const char *want = rewrite_cmd[w->type];
    FUZZ_CHECK(argc >= 3 && lens[0] == strlen(want) && memcmp(argv[0], want, lens[0]) == 0,
               "rewrite of a %s emitted '%.*s' with %d arguments", want, (int)lens[0], argv[0],
               argc);
    FUZZ_CHECK(lens[1] == w->klen && memcmp(argv[1], w->key, w->klen) == 0,
               "rewrite emitted another key");
    int pairs = w->type == OBJ_HASH || w->type == OBJ_ZSET;
    FUZZ_CHECK(!pairs || argc % 2 == 0, "rewrite emitted an odd number of pair items");
    const cmd_def *d = cmd_lookup((char **)argv, (size_t *)lens, argc);
    if (!d || !d->proc || (d->arity > 0 ? argc != d->arity : argc < -d->arity))
        w->ok_commands = 0;
    for (int i = 2; i < argc; i += pairs ? 2 : 1) {
        if (w->type == OBJ_ZSET) {
            walk_push(w, argv[i + 1], lens[i + 1]); /* member */
            walk_push(w, argv[i], lens[i]);         /* score */
        } else {
            walk_push(w, argv[i], lens[i]);
            if (pairs)
                walk_push(w, argv[i + 1], lens[i + 1]);
        }
    }
}

static void walk_value(const obj *o, walk *w)
{
    memset(w, 0, sizeof(*w));
    obj_key(o, &w->key, &w->klen);
    w->type = obj_type(o);
    w->ok_commands = 1;
    obj_type_ops_of(w->type)->rewrite(w->key, w->klen, obj_value(o), walk_emit, w);
}

static int slice_cmp(const slice *a, const slice *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->p, b->p, n);
    if (c)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

static int slice_cmp_q(const void *a, const void *b)
{
    return slice_cmp(a, b);
}

/* Sorts pairs by their first item. */
static int pair_cmp_q(const void *a, const void *b)
{
    return slice_cmp(a, b);
}

static void sort_walk(walk *w)
{
    if (w->n < 2)
        return;
    if (w->type == OBJ_SET)
        qsort(w->items, w->n, sizeof(slice), slice_cmp_q);
    else if (w->type == OBJ_HASH || w->type == OBJ_ZSET)
        qsort(w->items, w->n / 2, 2 * sizeof(slice), pair_cmp_q);
}

/* Items (or pair heads) of a sorted walk of a set, hash or sorted set are
 * all distinct. */
static void check_unique(const walk *w)
{
    if (w->type == OBJ_LIST)
        return;
    size_t step = (w->type == OBJ_HASH || w->type == OBJ_ZSET) ? 2 : 1;
    for (size_t i = step; i < w->n; i += step)
        FUZZ_CHECK(slice_cmp(&w->items[i - step], &w->items[i]) != 0,
                   "key '%.*s': duplicate element '%.*s'", (int)w->klen, w->key,
                   (int)w->items[i].len, w->items[i].p);
}

/* ---- checking a key -------------------------------------------------------- */

static int valid_encoding(int type, int enc)
{
    switch (type) {
    case OBJ_STRING:
        return enc == OBJ_ENC_RAW || enc == OBJ_ENC_INT || enc == OBJ_ENC_EMBSTR;
    case OBJ_LIST:
        return enc == OBJ_ENC_LISTPACK || enc == OBJ_ENC_QUICKLIST;
    case OBJ_SET:
        return enc == OBJ_ENC_INTSET || enc == OBJ_ENC_LISTPACK || enc == OBJ_ENC_HASHTABLE;
    case OBJ_ZSET:
        return enc == OBJ_ENC_LISTPACK || enc == OBJ_ENC_SKIPLIST;
    case OBJ_HASH:
        return enc == OBJ_ENC_LISTPACK || enc == OBJ_ENC_HASHTABLE;
    }
    return 0;
}

static int is_expired(const obj *o)
{
    long long e = obj_expire(o);
    return e != OBJ_NO_EXPIRE && e <= db_now();
}

static void check_string(db *d, obj *o, const char *k, size_t kl)
{
    const char *v;
    size_t vl;
    obj_str(o, &v, &vl);
    int enc = obj_encoding(o);
    long long ll;
    if (enc == OBJ_ENC_INT)
        FUZZ_CHECK(util_str2ll(v, vl, &ll), "key '%.*s': int encoding of '%.*s'", (int)kl, k,
                   (int)(vl > 40 ? 40 : vl), v);
    if (enc == OBJ_ENC_EMBSTR)
        FUZZ_CHECK(vl <= OBJ_EMBSTR_MAX, "key '%.*s': embstr of %zu bytes", (int)kl, k, vl);
    if (is_expired(o))
        return;
    size_t rl;
    const char *r = check_cmd(d, &rl, 2, LIT("STRLEN"), (char *)k, kl);
    FUZZ_CHECK(reply_integer(r, rl, "STRLEN") == (long long)vl, "key '%.*s': STRLEN %.*s, %zu bytes",
               (int)kl, k, (int)rl, r, vl);
    r = check_cmd(d, &rl, 2, LIT("GET"), (char *)k, kl);
    FUZZ_CHECK(rl >= vl && memcmp(r + rl - vl - 2, v, vl) == 0, "key '%.*s': GET differs",
               (int)kl, k);
}

/* Compact encodings hold at most their configured number and size of
 * elements: a conversion to the large structure happens as soon as one is
 * exceeded, and never back (lists aside, whose packed form is checked by
 * ql_validate). */
static void check_limits(const obj *o, const walk *w)
{
    int enc = obj_encoding(o);
    size_t step = (w->type == OBJ_HASH || w->type == OBJ_ZSET) ? 2 : 1;
    size_t count = w->n / step;
    long long maxn = -1, maxlen = -1;
    if (w->type == OBJ_HASH && enc == OBJ_ENC_LISTPACK) {
        maxn = cfg.hash_max_listpack_entries;
        maxlen = cfg.hash_max_listpack_value;
    } else if (w->type == OBJ_SET && enc == OBJ_ENC_INTSET) {
        maxn = cfg.set_max_intset_entries;
        for (size_t i = 0; i < w->n; i++) {
            long long ll;
            FUZZ_CHECK(util_str2ll(w->items[i].p, w->items[i].len, &ll),
                       "key '%.*s': intset holds '%.*s'", (int)w->klen, w->key,
                       (int)w->items[i].len, w->items[i].p);
        }
    } else if (w->type == OBJ_SET && enc == OBJ_ENC_LISTPACK) {
        maxn = cfg.set_max_listpack_entries;
        maxlen = cfg.set_max_listpack_value;
    } else if (w->type == OBJ_ZSET && enc == OBJ_ENC_LISTPACK) {
        maxn = cfg.zset_max_listpack_entries;
        maxlen = cfg.zset_max_listpack_value;
    }
    if (maxn >= 0)
        FUZZ_CHECK((long long)count <= maxn, "key '%.*s': %s of %zu elements (limit %lld)",
                   (int)w->klen, w->key, obj_encoding_name(o), count, maxn);
    if (maxlen < 0)
        return;
    for (size_t i = 0; i < w->n; i++) {
        /* Sorted sets: the member is limited, not its score. */
        if (w->type == OBJ_ZSET && i % 2 == 1)
            continue;
        FUZZ_CHECK((long long)w->items[i].len <= maxlen,
                   "key '%.*s': %s element of %zu bytes (limit %lld)", (int)w->klen, w->key,
                   obj_encoding_name(o), w->items[i].len, maxlen);
    }
}

static double parse_score(const slice *s, const char *k, size_t kl)
{
    char tmp[64];
    FUZZ_CHECK(s->len > 0 && s->len < sizeof(tmp), "key '%.*s': score of %zu bytes", (int)kl, k,
               s->len);
    memcpy(tmp, s->p, s->len);
    tmp[s->len] = '\0';
    char *end;
    double v = strtod(tmp, &end);
    FUZZ_CHECK(*end == '\0' && !isnan(v), "key '%.*s': bad score '%s'", (int)kl, k, tmp);
    return v;
}

/* ZRANGE 0 -1 WITHSCORES: ascending score, ties by member bytes. */
static void check_zset_order(const slice *items, long long n, const char *k, size_t kl)
{
    for (long long i = 2; i + 1 < n; i += 2) {
        double a = parse_score(&items[i - 1], k, kl), b = parse_score(&items[i + 1], k, kl);
        FUZZ_CHECK(a < b || (a == b && slice_cmp(&items[i - 2], &items[i]) < 0),
                   "key '%.*s': ZRANGE out of order at %lld", (int)kl, k, i / 2);
    }
}

/* The length command and the whole range agree with the walk w of o. Ranges
 * are compared only for small values: a large one would make every later
 * step slow. */
#define RANGE_CHECK_MAX 300

static void check_read_commands(db *d, const walk *w, const char *k, size_t kl)
{
    static const char *const len_cmd[OBJ_NTYPES] = {
        [OBJ_LIST] = "LLEN", [OBJ_SET] = "SCARD", [OBJ_ZSET] = "ZCARD", [OBJ_HASH] = "HLEN"};
    int type = w->type;
    size_t count = (type == OBJ_HASH || type == OBJ_ZSET) ? w->n / 2 : w->n;
    size_t rl;
    const char *r = check_cmd(d, &rl, 2, (char *)len_cmd[type], strlen(len_cmd[type]), (char *)k,
                              kl);
    FUZZ_CHECK(reply_integer(r, rl, len_cmd[type]) == (long long)count,
               "key '%.*s': %s says %.*s, iteration found %zu", (int)kl, k, len_cmd[type],
               (int)rl - 2, r, count);
    if (count > RANGE_CHECK_MAX)
        return;
    long long n;
    slice *items;
    if (type == OBJ_LIST) {
        r = check_cmd(d, &rl, 4, LIT("LRANGE"), (char *)k, kl, LIT("0"), LIT("-1"));
        items = parse_array(r, rl, &n, "LRANGE");
        FUZZ_CHECK(n == (long long)w->n, "key '%.*s': LRANGE 0 -1 gave %lld of %zu", (int)kl, k,
                   n, w->n);
        for (long long i = 0; i < n; i++)
            FUZZ_CHECK(slice_cmp(&items[i], &w->items[i]) == 0,
                       "key '%.*s': LRANGE element %lld differs", (int)kl, k, i);
    } else if (type == OBJ_SET) {
        r = check_cmd(d, &rl, 2, LIT("SMEMBERS"), (char *)k, kl);
        items = parse_array(r, rl, &n, "SMEMBERS");
        FUZZ_CHECK(n == (long long)w->n, "key '%.*s': SMEMBERS gave %lld of %zu", (int)kl, k, n,
                   w->n);
    } else if (type == OBJ_HASH) {
        r = check_cmd(d, &rl, 2, LIT("HGETALL"), (char *)k, kl);
        items = parse_array(r, rl, &n, "HGETALL");
        FUZZ_CHECK(n == (long long)w->n, "key '%.*s': HGETALL gave %lld of %zu", (int)kl, k, n,
                   w->n);
    } else {
        r = check_cmd(d, &rl, 5, LIT("ZRANGE"), (char *)k, kl, LIT("0"), LIT("-1"),
                      LIT("WITHSCORES"));
        items = parse_array(r, rl, &n, "ZRANGE");
        FUZZ_CHECK(n == (long long)w->n, "key '%.*s': ZRANGE 0 -1 gave %lld of %zu", (int)kl, k,
                   n, w->n);
        check_zset_order(items, n, k, kl);
    }
    free(items);
}

static void check_collection(db *d, obj *o, const char *k, size_t kl, int limits_changed)
{
    FUZZ_CHECK(obj_value(o) != NULL, "key '%.*s': no value", (int)kl, k);
    walk w;
    walk_value(o, &w);
    size_t count = (w.type == OBJ_HASH || w.type == OBJ_ZSET) ? w.n / 2 : w.n;
    FUZZ_CHECK(count > 0, "key '%.*s': an empty %s", (int)kl, k, obj_type_name(o));
    FUZZ_CHECK(w.ok_commands, "key '%.*s': rewrite emitted a command the loader refuses",
               (int)kl, k);
    if (w.type == OBJ_LIST)
        FUZZ_CHECK(ql_validate(obj_value(o)) == 0, "key '%.*s': list structure", (int)kl, k);
    if (w.type == OBJ_ZSET)
        for (size_t i = 1; i < w.n; i += 2)
            parse_score(&w.items[i], k, kl);
    if (!limits_changed)
        check_limits(o, &w);
    if (!is_expired(o))
        check_read_commands(d, &w, k, kl);
    sort_walk(&w);
    check_unique(&w);
    walk_free(&w);
}

static void check_key(db *d, obj *o, int limits_changed)
{
    const char *k;
    size_t kl;
    obj_key(o, &k, &kl);
    int type = obj_type(o);
    FUZZ_CHECK(type >= 0 && type < OBJ_NTYPES, "key '%.*s': type %d", (int)kl, k, type);
    FUZZ_CHECK(valid_encoding(type, obj_encoding(o)), "key '%.*s': %s encoded as %s", (int)kl, k,
               obj_type_name(o), obj_encoding_name(o));
    if (!is_expired(o)) {
        size_t rl;
        const char *r = check_cmd(d, &rl, 2, LIT("TYPE"), (char *)k, kl);
        const char *name = obj_type_name(o);
        size_t nl = strlen(name);
        FUZZ_CHECK(rl == nl + 3 && r[0] == '+' && memcmp(r + 1, name, nl) == 0,
                   "key '%.*s': TYPE says %.*s for a %s", (int)kl, k, (int)rl, r, name);
    }
    if (type == OBJ_STRING)
        check_string(d, o, k, kl);
    else
        check_collection(d, o, k, kl, limits_changed);
}

static void check_db(db *d, int limits_changed)
{
    size_t n = db_size(d), with_expire = 0, found = 0;
    obj **all = malloc((n + 1) * sizeof(*all));
    ht_iter it;
    obj *o;
    ht_iter_init(&it, d->keys);
    while ((o = ht_iter_next(&it))) {
        FUZZ_CHECK(found < n, "db %d: iteration finds more than its %zu keys", d->id, n);
        all[found++] = o;
    }
    FUZZ_CHECK(found == n, "db %d: DBSIZE %zu but iteration finds %zu keys", d->id, n, found);
    size_t rl;
    const char *r = check_cmd(d, &rl, 1, LIT("DBSIZE"));
    FUZZ_CHECK(reply_integer(r, rl, "DBSIZE") == (long long)n, "db %d: DBSIZE reply", d->id);
    for (size_t i = 0; i < n; i++) {
        const char *k;
        size_t kl;
        obj_key(all[i], &k, &kl);
        FUZZ_CHECK(ht_find(d->keys, k, kl) == all[i], "db %d: key '%.*s' not found by lookup",
                   d->id, (int)kl, k);
        obj *e = ht_find(d->expires, k, kl);
        if (obj_expire(all[i]) != OBJ_NO_EXPIRE) {
            with_expire++;
            FUZZ_CHECK(e == all[i], "db %d: key '%.*s' has an expire but is not indexed", d->id,
                       (int)kl, k);
        } else {
            FUZZ_CHECK(e == NULL, "db %d: key '%.*s' indexed without an expire", d->id, (int)kl,
                       k);
        }
    }
    FUZZ_CHECK(with_expire == db_expires_count(d), "db %d: %zu keys with expires, index has %zu",
               d->id, with_expire, db_expires_count(d));
    /* The checks below only read: no key they visit has expired, so no
     * lookup removes one, and the entries collected above stay valid. */
    for (size_t i = 0; i < n; i++)
        check_key(d, all[i], limits_changed);
    free(all);
}

void fuzz_check_dbs(int limits_changed)
{
    for (int i = 0; i < server.ndbs; i++) {
        FUZZ_CHECK(server.dbs[i].id == i, "db %d has id %d", i, server.dbs[i].id);
        check_db(&server.dbs[i], limits_changed);
    }
}

/* ---- dumps, digests, rewrite round trip ------------------------------------ */

/* The canonical form of a key's value: type, expire, then its elements in an
 * order that does not depend on the encoding. */
static void dump_key(const obj *o, bytes *b)
{
    const char *k;
    size_t kl;
    obj_key(o, &k, &kl);
    int type = obj_type(o);
    long long exp = obj_expire(o);
    b_field(b, k, kl);
    b_add(b, &type, sizeof(type));
    b_add(b, &exp, sizeof(exp));
    if (type == OBJ_STRING) {
        const char *v;
        size_t vl;
        obj_str(o, &v, &vl);
        b_field(b, v, vl);
        return;
    }
    walk w;
    walk_value(o, &w);
    sort_walk(&w);
    for (size_t i = 0; i < w.n; i++)
        b_field(b, w.items[i].p, w.items[i].len);
    walk_free(&w);
}

static int str_cmp_q(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint64_t digest_db(db *d, int live_only)
{
    uint64_t sum = 0;
    ht_iter it;
    obj *o;
    bytes b = {0};
    ht_iter_init(&it, d->keys);
    while ((o = ht_iter_next(&it))) {
        if (live_only && is_expired(o))
            continue;
        b.len = 0;
        b_add(&b, &d->id, sizeof(d->id));
        dump_key(o, &b);
        sum += fnv1a(b.p, b.len);
    }
    b_free(&b);
    return sum;
}

/* One line per live key (db, key, type, element count, hash of its dump),
 * sorted: what the AOF check prints when the data differ. */
static void key_lines(bytes *out)
{
    char **lines = NULL;
    size_t n = 0, cap = 0;
    bytes b = {0};
    for (int i = 0; i < server.ndbs; i++) {
        ht_iter it;
        obj *o;
        ht_iter_init(&it, server.dbs[i].keys);
        while ((o = ht_iter_next(&it))) {
            if (is_expired(o))
                continue;
            const char *k;
            size_t kl;
            obj_key(o, &k, &kl);
            b.len = 0;
            dump_key(o, &b);
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                lines = realloc(lines, cap * sizeof(*lines));
            }
            char *line = malloc(160);
            snprintf(line, 160, "db %d key '%.*s' %s expire %lld dump %016llx\n", i,
                     (int)(kl > 40 ? 40 : kl), k, obj_type_name(o), obj_expire(o),
                     (unsigned long long)fnv1a(b.p, b.len));
            lines[n++] = line;
        }
    }
    if (n > 1)
        qsort(lines, n, sizeof(*lines), str_cmp_q);
    for (size_t i = 0; i < n; i++) {
        b_add(out, lines[i], strlen(lines[i]));
        free(lines[i]);
    }
    b_add(out, "", 1);
    free(lines);
    b_free(&b);
}

uint64_t fuzz_digest(void)
{
    uint64_t sum = 0;
    for (int i = 0; i < server.ndbs; i++)
        sum += digest_db(&server.dbs[i], 0);
    return sum;
}

uint64_t fuzz_digest_live(void)
{
    uint64_t sum = 0;
    for (int i = 0; i < server.ndbs; i++)
        sum += digest_db(&server.dbs[i], 1);
    return sum;
}

static void replay(int argc, const char **argv, const size_t *lens)
{
    long long errors = server.stats.total_error_replies;
    replayer->db = &scratch;
    replayer->argc = argc;
    replayer->argv = (char **)argv;
    replayer->argvlen = (size_t *)lens;
    cmd_execute(replayer);
    replayer->argc = 0;
    replayer->argv = NULL;
    replayer->argvlen = NULL;
    FUZZ_CHECK(server.stats.total_error_replies == errors, "replaying '%.*s' for key '%.*s' failed",
               (int)lens[0], argv[0], argc > 1 ? (int)lens[1] : 0, argc > 1 ? argv[1] : "");
}

static void replay_emit(void *ctx, int argc, const char **argv, const size_t *lens)
{
    (void)ctx;
    replay(argc, argv, lens);
}

/* ---- temporary directories ------------------------------------------------- */

/* Removes the directory tree at path (files one level deep, as ours hold). */
static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
            unlink(p);
        }
    }
    closedir(d);
    rmdir(path);
}

void fuzz_make_tmpdir(const char *what, char *out, size_t size)
{
    /* tmpfs when there is one: the targets write and truncate files. */
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    char prefix[64];
    int plen = snprintf(prefix, sizeof(prefix), "respd-fuzz-%s-", what);
    /* A fuzzer stopped by a crash or by -max_total_time does not run its
     * atexit handlers: remove what processes that are gone left behind. */
    DIR *d = opendir(base);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, prefix, (size_t)plen) != 0)
            continue;
        int pid = atoi(e->d_name + plen);
        if (pid > 0 && kill(pid, 0) < 0 && errno == ESRCH) {
            char p[512];
            snprintf(p, sizeof(p), "%s/%s", base, e->d_name);
            remove_tree(p);
        }
    }
    if (d)
        closedir(d);
    snprintf(out, size, "%s/%s%d-XXXXXX", base, prefix, (int)getpid());
    FUZZ_CHECK(mkdtemp(out) != NULL, "mkdtemp %s: %s", out, strerror(errno));
}

/* ---- the AOF as it is written ---------------------------------------------- */

static char aof_dir[256];
static char aof_path[300];
static char segment_path[300];

static void remove_aof_dir(void)
{
    unlink(aof_path);
    unlink(segment_path);
    rmdir(aof_dir);
}

void fuzz_aof_enable(void)
{
    if (aof_dir[0])
        return;
    fuzz_make_tmpdir("exec", aof_dir, sizeof(aof_dir));
    snprintf(aof_path, sizeof(aof_path), "%s/appendonly.aof", aof_dir);
    snprintf(segment_path, sizeof(segment_path), "%s/segment.aof", aof_dir);
    atexit(remove_aof_dir);
    mem_free(cfg.dir);
    cfg.dir = mem_strdup(aof_dir);
    cfg.appendonly = 1;
    cfg.appendfsync = FSYNC_NO;
    char err[512];
    FUZZ_CHECK(aof_start(err, sizeof(err)) == 0, "aof_start: %s", err);
    default_cfg = cfg;
}

void fuzz_aof_begin(void)
{
    aof_before_sleep();
    FUZZ_CHECK(truncate(aof_path, 0) == 0, "truncate %s", aof_path);
    /* The file is opened for appending, so it goes on from its new end. A
     * SELECT makes the input's commands start from a known database. */
    char *argv[2] = {"SELECT", "0"};
    size_t lens[2] = {6, 1};
    aof_feed(0, 2, argv, lens);
}

void fuzz_check_aof(void)
{
    aof_before_sleep();
    size_t size = 0;
    char *data = NULL;
    FILE *f = fopen(aof_path, "rb");
    FUZZ_CHECK(f != NULL, "open %s", aof_path);
    bytes b = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        b_add(&b, buf, n);
    fclose(f);
    data = b.p;
    size = b.len;
    int fd = open(segment_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    FUZZ_CHECK(fd >= 0 && (size == 0 || write(fd, data, size) == (ssize_t)size) && close(fd) == 0,
               "writing %s", segment_path);
    b_free(&b);
    uint64_t before = fuzz_digest_live();
    bytes lines_before = {0};
    key_lines(&lines_before);
    for (int i = 0; i < server.ndbs; i++)
        db_flush(&server.dbs[i]);
    char err[1024];
    int rc = aof_load(segment_path, err, sizeof(err));
    FUZZ_CHECK(rc == 0, "the AOF written does not load: %s", err);
    if (fuzz_digest_live() != before) {
        bytes lines_after = {0};
        key_lines(&lines_after);
        fprintf(stderr, "keys after the commands:\n%s\nkeys after loading their AOF (%s):\n%s",
                lines_before.p, segment_path, lines_after.p);
        b_free(&lines_after);
    }
    b_free(&lines_before);
    FUZZ_CHECK(fuzz_digest_live() == before,
               "replaying the AOF written (%zu bytes) gives other data than the commands did",
               size);
}

void fuzz_check_rewrite(void)
{
    /* As the AOF loader: replay with expiry suspended. */
    int was_loading = server.loading;
    server.loading = 1;
    db_set_expiry_enabled(0);
    bytes a = {0}, b = {0};
    for (int i = 0; i < server.ndbs; i++) {
        db *d = &server.dbs[i];
        ht_iter it;
        obj *o;
        ht_iter_init(&it, d->keys);
        while ((o = ht_iter_next(&it))) {
            if (is_expired(o))
                continue; /* the rewrite leaves it out */
            const char *k;
            size_t kl;
            obj_key(o, &k, &kl);
            aof_rewrite_key(o, obj_expire(o), replay_emit, NULL);
            obj *copy = db_peek(&scratch, k, kl);
            FUZZ_CHECK(copy, "db %d key '%.*s': gone after replaying its rewrite", i, (int)kl, k);
            a.len = b.len = 0;
            dump_key(o, &a);
            dump_key(copy, &b);
            FUZZ_CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0,
                       "db %d key '%.*s': the %s differs after replaying its rewrite", i,
                       (int)kl, k, obj_type_name(o));
            FUZZ_CHECK(db_size(&scratch) == 1, "replay left %zu keys", db_size(&scratch));
            db_flush(&scratch);
        }
    }
    b_free(&a);
    b_free(&b);
    server.loading = was_loading;
    db_set_expiry_enabled(1);
}
