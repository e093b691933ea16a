/* fuzz_exec: sequences of commands run through the command table.
 *
 * The fuzz bytes decode into steps, run by two clients that have no socket
 * (client_new(-1, ...), as the AOF loader makes them). Unlike the loader's,
 * these clients are not marked CLIENT_FAKE: they keep their replies and can
 * block, so they behave as connections whose output is written at once. Time
 * is virtual: it starts at FUZZ_EPOCH_MS and moves only when a step says so,
 * which makes blocking commands with timeouts and expiries safe and
 * reproducible. Commands that would stop, fork or sleep are never run
 * (SHUTDOWN, BGREWRITEAOF, DEBUG SLEEP), CONFIG SET is limited to the
 * encoding limits and the maxmemory settings (so that eviction runs before
 * commands, in any policy), and the few commands whose reply size is set by an
 * argument alone are capped (see skip_step).
 *
 * After every step:
 *   - each client's output is a sequence of well-formed replies in its
 *     protocol: exactly one for the command just run (none if it blocked, at
 *     most one with CLIENT REPLY OFF/SKIP), one for a blocked client that was
 *     served or timed out, none otherwise;
 *   - fuzz_check_dbs: the keyspace and every value are consistent.
 * After the last step, fuzz_check_rewrite: every value survives an AOF
 * rewrite and replay; and fuzz_check_aof: the AOF the steps appended to (the
 * commands as propagated, expiries as DEL) loads back to the same live keys.
 *
 * Input format (a sequence of steps; the stable forms, used by the seed
 * corpus and the regression inputs, name their command and spell out their
 * arguments, so that they keep their meaning when commands are added):
 *   0xF0 n name[n] A args   the command `name` ("set", "config|get" ...)
 *   0xF1 lo hi              advance the clock: v = lo | hi << 8 milliseconds,
 *                           or (v & 0x7fff) seconds when v >= 0x8000; then
 *                           time out blocked clients, as the server's timer
 *   0xF2 c                  further commands come from client c % 2
 *   0xF3                    one active expiry cycle over every database
 *   0xF4                    the current client disconnects and reconnects
 *   0xF5                    a step of incremental rehashing in every database
 *   any other byte b A args command number b of the eligible commands in
 *                           name order (changes when commands are added)
 * A, the argument count: below 0x80, the command's own arity (for a variadic
 * command, its minimum plus A % 8); from 0x80, A & 0x7f arguments, whatever
 * the arity. Each argument (after the command name, and the subcommand name
 * for "x|y"):
 *   0xDE lo hi bytes        a literal of lo | hi << 8 bytes
 *   0xDF n c                n * 4 copies of byte c
 *   0xE0 + n, bytes         a literal of n (0-31) bytes
 *   any other byte b        at a key position, key[b % NKEYS]; elsewhere,
 *                           key[b % NKEYS] when b < 0x40, else token
 *                           [(b - 0x40) % NTOKENS]: a number, an option ...
 * The key and token tables below may only be appended to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "blocking.h"
#include "client.h"
#include "command.h"
#include "config.h"
#include "db.h"
#include "ev.h"
#include "fuzz.h"
#include "mem.h"
#include "server.h"
#include "util.h"

#define NCLIENTS 2
#define MAX_ARGS 130
/* Memory the dataset may use before an input stops: it bounds what a few
 * thousand bytes of commands can build (SORT ... GET ... STORE multiplies a
 * list per step). */
#define MEM_BUDGET (48u << 20)

static const char *const keys[] = {"a", "b", "c", "d", "e", "w_1", "h_1", "{a}z"};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Tokens for non-key arguments: numbers at the edges, options, patterns. */
typedef struct token {
    const char *s;
    size_t len;
} token;
#define T(lit) {lit, sizeof(lit) - 1}
static const token tokens[] = {
    T("0"), T("1"), T("2"), T("3"), T("-1"), T("-2"), T("5"), T("10"), T("100"), T("1000"),
    T("-100"), T("1.5"), T("-0.5"), T("0.1"), T("inf"), T("-inf"), T("+inf"), T("nan"),
    T("9223372036854775807"), T("-9223372036854775808"), T("9223372036854775808"),
    T("4294967296"), T("1e308"), T("1e-300"), T("x"), T("y"), T(""), T("(1"), T("(0"), T("(-1"),
    T("[a"), T("(a"), T("[b"), T("(c"), T("-"), T("+"), T("["), T("("), T("NX"), T("XX"), T("GT"),
    T("LT"), T("CH"), T("INCR"), T("EX"), T("PX"), T("EXAT"), T("PXAT"), T("KEEPTTL"), T("GET"),
    T("PERSIST"), T("WITHSCORES"), T("WITHSCORE"), T("WITHVALUES"), T("LIMIT"), T("BYSCORE"),
    T("BYLEX"), T("REV"), T("COUNT"), T("MATCH"), T("TYPE"), T("LEFT"), T("RIGHT"), T("BEFORE"),
    T("AFTER"), T("RANK"), T("MAXLEN"), T("ALPHA"), T("ASC"), T("DESC"), T("BY"), T("STORE"),
    T("nosort"), T("#"), T("w_*"), T("h_*->f"), T("*"), T("a*"), T("?"), T("[a-c]*"),
    T("WEIGHTS"), T("AGGREGATE"), T("SUM"), T("MIN"), T("MAX"), T("MINMAX"), T("REPLACE"),
    T("DB"), T("ASYNC"), T("SYNC"), T("string"), T("list"), T("set"), T("zset"), T("hash"),
    T("ENCODING"), T("IDLETIME"), T("FREQ"), T("REFCOUNT"), T("HELP"), T("ID"), T("GETNAME"),
    T("SETNAME"), T("REPLY"), T("ON"), T("OFF"), T("SKIP"), T("INFO"), T("LIST"), T("KILL"),
    T("SKIPME"), T("no"), T("yes"), T("USER"), T("ADDR"), T("LADDR"), T("normal"), T("GETKEYS"),
    T("DOCS"), T("FILTERBY"), T("everything"), T("keyspace"), T("commandstats"), T("LOG"),
    T("SET-ACTIVE-EXPIRE"), T("AUTH"), T("default"), T("3"), T("f"), T("g"), T("1.0"), T("0.0"),
    T("-0"), T("00"), T("+1"), T(" 1"), T("1 "), T("12345678901234567890"),
    T("-9223372036854775807"), T("2147483648"), T("17179869184"), T("0x10"), T("1e3"), T("3.0e2"),
    T("a,b"), T("\x00"), T("\xff"), T("\r\n"),
    T("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUV"),
    T("allkeys-lru"), T("allkeys-lfu"), T("volatile-ttl"), T("volatile-random"),
};
#undef T
#define NTOKENS (sizeof(tokens) / sizeof(tokens[0]))

/* CONFIG SET may change these (integers only: see fuzz_env_reset). */
static const char *const settable[] = {
    "list-max-listpack-size", "hash-max-listpack-entries", "hash-max-listpack-value",
    "set-max-intset-entries", "set-max-listpack-entries", "set-max-listpack-value",
    "zset-max-listpack-entries", "zset-max-listpack-value", "list-max-ziplist-size",
    "hash-max-ziplist-entries", "zset-max-ziplist-value", "maxmemory", "maxmemory-policy",
    "maxmemory-samples", "maxmemory-eviction-tenacity", "lfu-log-factor", "lfu-decay-time",
};
#define NSETTABLE (sizeof(settable) / sizeof(settable[0]))

/* ---- the eligible commands -------------------------------------------------- */

typedef struct entry {
    char name[64];        /* "set", "config|get" */
    const cmd_def *def;   /* the command or subcommand */
    const char *parent;   /* for a subcommand, its container's name */
    const char *sub;      /* ... and its own name */
} entry;

static entry *entries;
static size_t nentries;

/* SHUTDOWN stops and BGREWRITEAOF forks; CLIENT PAUSE holds every later
 * command until a real-time timer of the event loop fires, which the harness
 * has neither of. */
static int never_run(const char *name)
{
    return !strcasecmp(name, "shutdown") || !strcasecmp(name, "bgrewriteaof") ||
           !strcasecmp(name, "client|pause");
}

static void add_entry(const cmd_def *d, const cmd_def *parent)
{
    if (never_run(d->name))
        return;
    entries = realloc(entries, (nentries + 1) * sizeof(*entries));
    entry *e = &entries[nentries++];
    snprintf(e->name, sizeof(e->name), "%s", d->name);
    e->def = d;
    e->parent = parent ? parent->name : NULL;
    e->sub = parent ? strchr(d->name, '|') + 1 : NULL;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

static void build_entries(void)
{
    if (entries)
        return;
    for (size_t i = 0; i < cmd_count(); i++) {
        const cmd_def *d = cmd_at(i);
        add_entry(d, NULL);
        for (const cmd_def *s = d->subcmds; s && s->name; s++)
            add_entry(s, d);
    }
    qsort(entries, nentries, sizeof(*entries), entry_cmp);
}

static const entry *find_entry(const char *name, size_t len)
{
    for (size_t i = 0; i < nentries; i++)
        if (strlen(entries[i].name) == len && !strncasecmp(entries[i].name, name, len))
            return &entries[i];
    return NULL;
}

/* ---- decoding --------------------------------------------------------------- */

typedef struct reader {
    const uint8_t *p, *end;
} reader;

static int next_byte(reader *r)
{
    return r->p < r->end ? *r->p++ : 0;
}

/* A step's command line: arguments point into the input, a table, or arena. */
typedef struct step {
    const entry *e;   /* NULL: a name that is not in the table */
    int argc;
    char *argv[MAX_ARGS];
    size_t lens[MAX_ARGS];
    char *arena;      /* the 0xDF arguments */
    size_t arena_used;
    char unknown[256];
} step;

static int is_key_position(const cmd_def *d, int i, int argc)
{
    if (!d || d->first_key <= 0 || i < d->first_key)
        return 0;
    int last = d->last_key < 0 ? argc + d->last_key : d->last_key;
    int stepk = d->key_step > 0 ? d->key_step : 1;
    return i <= last && (i - d->first_key) % stepk == 0;
}

static void set_arg(step *s, int i, const char *p, size_t len)
{
    s->argv[i] = (char *)p;
    s->lens[i] = len;
}

static void decode_arg(reader *r, step *s, int i, int argc)
{
    int b = next_byte(r);
    const cmd_def *d = s->e ? s->e->def : NULL;
    if (b == 0xDE) {
        size_t n = (size_t)next_byte(r);
        n |= (size_t)next_byte(r) << 8;
        if (n > (size_t)(r->end - r->p))
            n = (size_t)(r->end - r->p);
        set_arg(s, i, (const char *)r->p, n);
        r->p += n;
    } else if (b == 0xDF) {
        size_t n = (size_t)next_byte(r) * 4;
        int c = next_byte(r);
        char *dst = s->arena + s->arena_used;
        memset(dst, c, n);
        s->arena_used += n;
        set_arg(s, i, dst, n);
    } else if (b >= 0xE0) {
        size_t n = (size_t)(b - 0xE0);
        if (n > (size_t)(r->end - r->p))
            n = (size_t)(r->end - r->p);
        set_arg(s, i, (const char *)r->p, n);
        r->p += n;
    } else if (s->e && !strcmp(s->e->name, "config|set") && i >= 2 && i % 2 == 0) {
        set_arg(s, i, settable[b % NSETTABLE], strlen(settable[b % NSETTABLE]));
    } else if (is_key_position(d, i, argc) || b < 0x40) {
        set_arg(s, i, keys[b % NKEYS], strlen(keys[b % NKEYS]));
    } else {
        const token *t = &tokens[(b - 0x40) % NTOKENS];
        set_arg(s, i, t->s, t->len);
    }
}

/* Decodes the rest of a command step after its selector. */
static void decode_command(reader *r, step *s, const entry *e, const char *name, size_t nlen)
{
    s->e = e;
    int fixed = e && e->parent ? 2 : 1;
    int a = next_byte(r);
    int nargs;
    if (a >= 0x80) {
        nargs = a & 0x7f;
    } else if (!e) {
        nargs = a & 7;
    } else {
        int arity = e->def->arity;
        nargs = arity > 0 ? arity - fixed : -arity - fixed + (a & 7);
        if (nargs < 0)
            nargs = 0;
    }
    if (nargs > MAX_ARGS - fixed)
        nargs = MAX_ARGS - fixed;
    int argc = fixed + nargs;
    s->argc = argc;
    if (e && e->parent) {
        set_arg(s, 0, e->parent, strlen(e->parent));
        set_arg(s, 1, e->sub, strlen(e->sub));
    } else if (e) {
        set_arg(s, 0, e->name, strlen(e->name));
    } else {
        memcpy(s->unknown, name, nlen);
        set_arg(s, 0, s->unknown, nlen);
    }
    for (int i = fixed; i < argc; i++)
        decode_arg(r, s, i, argc);
}

/* ---- running ---------------------------------------------------------------- */

typedef struct run {
    client *c[NCLIENTS];
    int cur;
    long long now;
    int limits_changed;
    int trace;
} run;

static client *connect_client(void)
{
    client *c = client_new(-1, 0);
    /* A connection, not the AOF loader: replies are kept, blocking works. */
    c->flags &= ~CLIENT_FAKE;
    return c;
}

static int arg_is(const step *s, int i, const char *word)
{
    return i < s->argc && util_eq_nocase(s->argv[i], s->lens[i], word);
}

/* Commands the harness does not run: they would stop the process, sleep,
 * change what the harness cannot restore, or build a reply whose size only
 * an argument bounds (SRANDMEMBER key -1000000000 is a legal request for a
 * billion members; the output buffer limits deal with it in a server). */
static int skip_step(const step *s, const cmd_def *d)
{
    if (!d)
        return 0; /* an unknown command: its error reply is worth checking */
    const char *n = d->name;
    if (never_run(n))
        return 1;
    if (!strcmp(n, "debug") && arg_is(s, 1, "sleep"))
        return 1;
    if (!strcmp(n, "config|set")) {
        for (int i = 2; i < s->argc; i += 2) {
            int ok = 0;
            for (size_t j = 0; j < NSETTABLE; j++)
                ok |= util_eq_nocase(s->argv[i], s->lens[i], settable[j]);
            if (!ok)
                return 1;
        }
    }
    if (!strcmp(n, "srandmember") || !strcmp(n, "hrandfield") || !strcmp(n, "zrandmember")) {
        long long count;
        if (s->argc > 2 && util_str2ll(s->argv[2], s->lens[2], &count) && count < -10000)
            return 1;
    }
    if (!strcmp(n, "sort") || !strcmp(n, "sort_ro")) {
        int gets = 0;
        for (int i = 2; i < s->argc; i++)
            gets += arg_is(s, i, "get");
        if (gets > 4)
            return 1;
    }
    return 0;
}

static void trace_step(const run *rn, const step *s)
{
    fprintf(stderr, "[%d]", rn->cur);
    for (int i = 0; i < s->argc; i++) {
        fputc(' ', stderr);
        for (size_t j = 0; j < s->lens[i]; j++) {
            unsigned char ch = (unsigned char)s->argv[i][j];
            if (ch > 32 && ch < 127 && ch != '\\')
                fputc(ch, stderr);
            else
                fprintf(stderr, "\\x%02x", ch);
        }
        if (s->lens[i] == 0)
            fputs("\"\"", stderr);
    }
    fputc('\n', stderr);
}

static int reply_flags(const client *c)
{
    return c->flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP | CLIENT_REPLY_SKIP_NEXT);
}

/* Checks and drops each client's output. expect[i]: replies client i owes,
 * or -1 for "at most one", -2 for any number. */
static void check_output(run *rn, const int *expect)
{
    for (int i = 0; i < NCLIENTS; i++) {
        client *c = rn->c[i];
        if (!c)
            continue;
        const char *why = NULL;
        long n = fuzz_count_replies(c->out.buf, c->out.len, c->out.proto, &why);
        if (rn->trace && c->out.len)
            fprintf(stderr, "    -> [%d] %.*s\n", i, (int)(c->out.len > 120 ? 120 : c->out.len),
                    c->out.buf);
        FUZZ_CHECK(n >= 0, "client %d: malformed output (%s): %.*s", i, why,
                   (int)(c->out.len > 200 ? 200 : c->out.len), c->out.buf);
        if (expect[i] >= 0)
            FUZZ_CHECK(n == expect[i], "client %d: %ld replies, expected %d: %.*s", i, n,
                       expect[i], (int)(c->out.len > 200 ? 200 : c->out.len), c->out.buf);
        else if (expect[i] == -1)
            FUZZ_CHECK(n <= 1, "client %d: %ld replies, expected at most one", i, n);
        c->out.len = 0;
        c->sent = 0;
    }
}

/* Frees the clients the last step closed (QUIT, CLIENT KILL), as the
 * server's before-sleep would, and connects new ones in their place. */
static void replace_closed(run *rn)
{
    for (int i = 0; i < NCLIENTS; i++) {
        client *c = rn->c[i];
        if (c->flags & CLIENT_CLOSE_AFTER_REPLY) {
            client_free(c);
            rn->c[i] = connect_client();
        } else if (c->flags & CLIENT_CLOSE_ASAP) {
            rn->c[i] = NULL; /* client_free_closed frees it */
        }
    }
    client_free_closed();
    for (int i = 0; i < NCLIENTS; i++)
        if (!rn->c[i])
            rn->c[i] = connect_client();
}

static void run_command(run *rn, step *s)
{
    client *c = rn->c[rn->cur];
    if (c->blocked)
        return; /* a blocked connection's input waits, unread */
    /* What the command table will run, whatever the step's form ("config"
     * with the literal arguments "set" "dir" is CONFIG SET). */
    const cmd_def *d = cmd_lookup(s->argv, s->lens, s->argc);
    if (skip_step(s, d))
        return;
    if (rn->trace)
        trace_step(rn, s);
    int before_flags[NCLIENTS], was_blocked[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++) {
        before_flags[i] = reply_flags(rn->c[i]);
        was_blocked[i] = rn->c[i]->blocked != NULL;
    }
    c->argc = s->argc;
    c->argv = s->argv;
    c->argvlen = s->lens;
    cmd_begin_batch();
    cmd_execute(c);
    c->argc = 0;
    c->argv = NULL;
    c->argvlen = NULL;
    if (d && !strcmp(d->name, "config|set"))
        rn->limits_changed = 1;
    int expect[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++) {
        client *o = rn->c[i];
        int loose = before_flags[i] || reply_flags(o);
        if (o->flags & CLIENT_MONITOR)
            expect[i] = -2; /* a line for each command, any number */
        else if (o == c)
            expect[i] = o->blocked ? 0 : loose ? -1 : 1;
        else if (was_blocked[i] && !o->blocked)
            expect[i] = loose ? -1 : 1;
        else
            expect[i] = 0;
    }
    check_output(rn, expect);
    replace_closed(rn);
}

static void advance_time(run *rn, unsigned v)
{
    long long delta = v >= 0x8000 ? (long long)(v & 0x7fff) * 1000 : (long long)v;
    rn->now += delta;
    fuzz_set_time(rn->now);
    int was_blocked[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++)
        was_blocked[i] = rn->c[i]->blocked != NULL;
    blocking_handle_timeouts(rn->now);
    int expect[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++)
        if (rn->c[i]->flags & CLIENT_MONITOR)
            expect[i] = -2;
        else if (was_blocked[i] && !rn->c[i]->blocked)
            expect[i] = reply_flags(rn->c[i]) ? -1 : 1;
        else
            expect[i] = 0;
    check_output(rn, expect);
}

/* Returns the number of steps run. */
int fuzz_exec_one(const uint8_t *data, size_t size)
{
    fuzz_env_init();
    fuzz_aof_enable();
    build_entries();
    fuzz_env_reset();
    fuzz_aof_begin();
    run rn = {.cur = 0, .now = FUZZ_EPOCH_MS, .trace = getenv("FUZZ_TRACE") != NULL};
    for (int i = 0; i < NCLIENTS; i++)
        rn.c[i] = connect_client();
    /* 0xDF arguments take at most 1020 bytes each. */
    step *s = malloc(sizeof(*s));
    s->arena = malloc(MAX_ARGS * 1024);
    reader r = {data, data + size};
    int steps = 0;
    while (r.p < r.end && mem_used() < MEM_BUDGET) {
        int b = next_byte(&r);
        s->arena_used = 0;
        switch (b) {
        case 0xF0: {
            size_t n = (size_t)next_byte(&r);
            if (n > (size_t)(r.end - r.p))
                n = (size_t)(r.end - r.p);
            const char *name = (const char *)r.p;
            r.p += n;
            const entry *e = find_entry(name, n);
            if (!e && memchr(name, '|', n))
                break; /* a subcommand that does not exist */
            decode_command(&r, s, e, name, n);
            run_command(&rn, s);
            break;
        }
        case 0xF1: {
            unsigned v = (unsigned)next_byte(&r);
            v |= (unsigned)next_byte(&r) << 8;
            advance_time(&rn, v);
            break;
        }
        case 0xF2:
            rn.cur = next_byte(&r) % NCLIENTS;
            break;
        case 0xF3: /* what the server's cron does, unless DEBUG SET-ACTIVE-EXPIRE 0 */
            for (int i = 0; i < server.ndbs && server.active_expire_enabled; i++)
                db_active_expire(&server.dbs[i], ev_mono_us() + 1000);
            break;
        case 0xF4:
            client_free(rn.c[rn.cur]);
            rn.c[rn.cur] = connect_client();
            break;
        case 0xF5:
            for (int i = 0; i < server.ndbs; i++)
                db_rehash(&server.dbs[i], 1);
            break;
        default:
            decode_command(&r, s, &entries[(size_t)b % nentries], NULL, 0);
            run_command(&rn, s);
            break;
        }
        steps++;
        fuzz_check_dbs(rn.limits_changed);
    }
    fuzz_check_rewrite();
    /* Disconnect first: the loader's writes must not serve blocked clients
     * (no client is connected while a server loads its AOF). */
    for (int i = 0; i < NCLIENTS; i++)
        client_free(rn.c[i]);
    fuzz_check_aof();
    free(s->arena);
    free(s);
    fuzz_env_reset();
    return steps;
}

#ifdef FUZZ_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_exec_one(data, size);
    return 0;
}
#endif
