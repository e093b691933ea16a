/* test_randdiff: seeded random commands, drawn from every command respd
 * lists, sent to respd and to a real redis-server side by side; the reply
 * bytes must be equal, and after every command the state of each key of the
 * pool (type, whole value, TTL or not) must be equal too. A run covers RESP2,
 * RESP3 (after HELLO 3) and a dataset whose collections are past the compact
 * encodings' thresholds. Without redis-server the tests are skipped.
 *
 * What is compared, and how:
 *   - replies byte for byte; those of the random commands (SRANDMEMBER,
 *     HRANDFIELD, ZRANDMEMBER) only by shape (types and aggregate sizes)
 *     unless one is an error; those whose order is the hash table's (KEYS,
 *     SMEMBERS, SUNION, HGETALL, SORT of a set BY a constant...) as
 *     unordered collections (hdiff.h),
 *     and times (TTL, PTTL, EXPIRETIME, PEXPIRETIME) within the moments
 *     that pass between the two servers running the same command;
 *   - the state after a command whose replies agreed. A key with a
 *     millisecond TTL expires at slightly different moments on the two
 *     servers, so a state that differs is read again after 50 ms, and only a
 *     difference that remains counts; a key about to expire is waited out
 *     before the next command (compare_state).
 * A lex range over a sorted set whose scores differ has no defined answer
 * (lex_range_unspecified): such a command is generated but not sent.
 * Commands whose effect is random (SPOP, RANDOMKEY), that read or change the
 * server rather than the keyspace (CONFIG, CLIENT, INFO, DEBUG, SHUTDOWN...)
 * or the connection (HELLO, RESET, QUIT) are never drawn. Neither is the SCAN
 * family: a cursor is a position in the server's own hash table, so respd's
 * and Redis's cursors and the batches they return legitimately differ. Nor
 * are the transaction commands: inside MULTI the state reads would only be
 * queued, and the comparisons after each command would compare nothing.
 *
 * Every mismatch is printed with the command line and both replies escaped;
 * after one the dataset is seeded again so that the next comparisons mean
 * something, and a run gives up after MAX_BAD of them.
 */
#include "harness.h"
#include "hdiff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The dataset is seeded again (FLUSHALL and the setup) this often, so that
 * a run does not end up with every key deleted. */
#define RESEED_EVERY 200
/* A run stops after this many mismatches: past that they are mostly echoes
 * of the first ones. */
#define MAX_BAD 10
/* A key with less than this to live is waited out before the next command
 * (see compare_state). It covers the time from reading the state to both
 * servers having run the next command. */
#define EXPIRY_MARGIN_MS 100
/* The most arguments a generated command has (the command, a key, 7 more). */
#define MAX_ARGS 9

/* The argument pools of the generator. The keys are those of the setup plus
 * a free one; the numbers include what the parsers must reject or clamp
 * (overflow, spaces, hex, exponents, nan, the range forms of the sorted
 * set commands); the option words include the misspelt and lower-case. */
static const char *const keys[] = {"k1", "k2", "s1", "h1", "z1", "l1", "nokey"};
static const char *const nums[] = {
    /* small, signed, fractional and not a number */
    "0", "1", "2", "-1", "-2", "3", "10", "-100", "1.5", "-0.5", "abc", "",
    /* the edges of long long and of double */
    "9223372036854775807", "9223372036854775808", "-9223372036854775808", "17976931348623157e292",
    /* what strtod takes and Redis's integer parser does not */
    "1e3", "0x10", " 1", "+1", "01", "1.", ".5", "5e-1",
    /* infinities, nan, and the range forms of the sorted set commands */
    "inf", "-inf", "+inf", "nan", "(1", "(-1", "[a", "(b", "-", "+", "[", "("};
static const char *const vals[] = {"m1",    "m5", "m77", "m139", "519", "600", "a", "b",   "c", "x",
                                   "hello", "1",  "2",   "10",   "-5",  "3.0", "",  "a b", "zz"};
static const char *const opts[] = {
    "EX",  "PX",    "EXAT",      "PXAT",      "NX",         "XX",        "GT",      "LT",
    "CH",  "INCR",  "KEEPTTL",   "GET",       "WITHSCORES", "LIMIT",     "BYSCORE", "BYLEX",
    "REV", "COUNT", "MATCH",     "TYPE",      "BEFORE",     "AFTER",     "LEFT",    "RIGHT",
    "MIN", "MAX",   "WEIGHTS",   "AGGREGATE", "SUM",        "RANK",      "MAXLEN",  "ALPHA",
    "ASC", "DESC",  "STORE",     "BY",        "WITHVALUES", "PERSIST",   "REPLACE", "DB",
    "LEN", "IDX",   "nosuchopt", "ex",        "limit",      "withscores"};

static const char *const excluded[] = {
    "shutdown",  "monitor", "debug",      "client",   "quit",     "reset",
    "hello",     "auth",    "config",     "info",     "time",     "lastsave",
    "slowlog",   "latency", "command",    "function", "script",   "eval",
    "eval_ro",   "evalsha", "evalsha_ro", "fcall",    "fcall_ro", "bgrewriteaof",
    "randomkey", "object",  "swapdb",     "spop",     "scan",     "sscan",
    "hscan",     "zscan",   "multi",      "exec",     "discard",  "watch",
    "unwatch",   NULL};
static const char *const random_reply[] = {"srandmember", "hrandfield", "zrandmember", NULL};
static const char *const unordered[] = {"keys",  "smembers", "sunion", "sinter",
                                        "sdiff", "hkeys",    "hvals",  NULL};
/* Blocking commands whose timeout is the last argument, and those whose
 * timeout is the first. */
static const char *const block_last[] = {"blpop",  "brpop",      "bzpopmin", "bzpopmax",
                                         "blmove", "brpoplpush", NULL};
static const char *const block_first[] = {"blmpop", "bzmpop", NULL};

static const char *const setup_small[] = {"FLUSHALL",
                                          "SET k1 10",
                                          "RPUSH l1 a b c 1 2",
                                          "SADD s1 a b 1",
                                          "HSET h1 a 1 b x",
                                          "ZADD z1 1 a 2 b 2 c -inf d",
                                          NULL};

static int in_list(const char *const *list, const char *name)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], name) == 0)
            return 1;
    return 0;
}

static int pick(unsigned *seed, size_t n)
{
    return (int)((unsigned)rand_r(seed) % n);
}

/* ---- the dataset ------------------------------------------------------------ */

/* The setup of the BIG runs, after setup_small: collections past the compact
 * encodings' default thresholds (a set of more than set-max-intset-entries
 * 512 integers; a hash, a sorted set and a set of strings of more than the
 * 128 listpack entries; a list of 151 entries, one of them 70 bytes long).
 * Lines for h_split_args; malloc'd, NULL-terminated; the caller frees each
 * line and the array. */
static char **big_setup_new(void)
{
    char **lines = calloc(6, sizeof(char *));
    char long_entry[71] = "";
    size_t len;
    FILE *f;

    assert_non_null(lines);
    memset(long_entry, 'x', sizeof(long_entry) - 1);
    for (int l = 0; l < 5; l++) {
        f = open_memstream(&lines[l], &len);
        assert_non_null(f);
        static const char *const heads[] = {"RPUSH l1", "SADD s1", "HSET h1", "ZADD z1", "SADD k2"};
        fputs(heads[l], f);
        int n = l == 0 ? 150 : l == 1 ? 520 : 140;
        for (int j = 0; j < n; j++) {
            if (l == 0 || l == 4)
                fprintf(f, " m%d", j);
            else if (l == 1)
                fprintf(f, " %d", j);
            else if (l == 2)
                fprintf(f, " m%d %d", j, j);
            else
                fprintf(f, " %d m%d", j % 37, j);
        }
        if (l == 0)
            fprintf(f, " %s", long_entry);
        fclose(f);
    }
    return lines;
}

static void big_setup_free(char **lines)
{
    for (int l = 0; lines && lines[l]; l++)
        free(lines[l]);
    free(lines);
}

/* ---- talking to both servers -------------------------------------------------- */

/* Sends req[i] (n pipelined requests) to server i, both before reading, so
 * that the servers work at once (a blocking command's timeout runs out on
 * both together), then reads n replies from each into rep[i][0..n). A reply
 * that does not come is NULL; a server that fails does not stop the other's
 * replies from being read, so that a report shows what Redis said to the
 * command respd died on. Returns 0 when all came, else -1. The caller frees
 * the replies. */
static int pipeline_both(h_conn *const c[2], char *const req[2], const size_t len[2], int n,
                         char **rep[2])
{
    int ok[2];
    for (int i = 0; i < 2; i++)
        ok[i] = h_send(c[i], req[i], len[i]) == 0;
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < n; k++) {
            rep[i][k] = NULL;
            if (ok[i] && h_read_reply(c[i], H_REPLY_TIMEOUT_MS, &rep[i][k], NULL) < 0) {
                rep[i][k] = NULL;
                ok[i] = 0;
            }
        }
    }
    return ok[0] && ok[1] ? 0 : -1;
}

/* One command to both servers; rep[i] as for pipeline_both. */
static int call_both(h_conn *const c[2], int argc, const char *const *argv, char *rep[2])
{
    size_t len;
    char *req = h_multibulk(argc, argv, NULL, &len);
    char *reqs[2] = {req, req};
    size_t lens[2] = {len, len};
    char **reps[2] = {&rep[0], &rep[1]};
    int r = pipeline_both(c, reqs, lens, 1, reps);
    free(req);
    return r;
}

/* Runs a command line (split as redis-cli splits it) on both servers and
 * drops the replies. Returns -1 when a server did not answer. */
static int line_both(h_conn *const c[2], const char *line)
{
    enum { MAX_LINE_ARGS = 1024 };
    char **argv = calloc(MAX_LINE_ARGS, sizeof(char *));
    size_t *lens = calloc(MAX_LINE_ARGS, sizeof(size_t));
    int r = -1;

    assert_non_null(argv);
    assert_non_null(lens);
    int argc = h_split_args(line, argv, lens, MAX_LINE_ARGS);
    if (argc > 0) {
        char *rep[2];
        r = call_both(c, argc, (const char *const *)argv, rep);
        free(rep[0]);
        free(rep[1]);
        h_free_args(argv, argc);
    }
    free(lens);
    free(argv);
    return r;
}

/* FLUSHALL and the setup (big: NULL, or big_setup_new's lines after it). */
static int seed_dataset(h_conn *const c[2], char *const *big)
{
    for (int i = 0; setup_small[i]; i++)
        if (line_both(c, setup_small[i]) < 0)
            return -1;
    for (int i = 0; big && big[i]; i++)
        if (line_both(c, big[i]) < 0)
            return -1;
    return 0;
}

/* ---- the command generator -------------------------------------------------- */

/* The commands a run draws from: respd's COMMAND LIST without subcommands and
 * without the excluded ones, sorted, so that a seed gives the same sequence
 * whatever order respd lists them in. Returns their number; *out (and each
 * name) malloc'd. */
static int command_pool(h_conn *c, char ***out)
{
    char *r = h_call(c, "COMMAND LIST");
    assert_non_null(r);
    assert_int_equal(r[0], '*');
    long n = atol(r + 1);
    char **names = calloc((size_t)n + 1, sizeof(char *));
    int kept = 0;
    const char *p = strstr(r, "\r\n") + 2;

    assert_non_null(names);
    for (long i = 0; i < n; i++) {
        assert_int_equal(p[0], '$');
        long len = atol(p + 1);
        p = strstr(p, "\r\n") + 2;
        char *name = strndup(p, (size_t)len);
        p += len + 2;
        if (strchr(name, '|') || in_list(excluded, name))
            free(name);
        else
            names[kept++] = name;
    }
    free(r);
    qsort(names, (size_t)kept, sizeof(char *), hdiff_cmp_str);
    *out = names;
    return kept;
}

/* An argument: a key, a number, an option word or a value. */
static const char *random_arg(unsigned *seed)
{
    int x = pick(seed, 100);
    if (x < 30)
        return keys[pick(seed, NELEM(keys))];
    if (x < 55)
        return nums[pick(seed, NELEM(nums))];
    if (x < 80)
        return opts[pick(seed, NELEM(opts))];
    return vals[pick(seed, NELEM(vals))];
}

/* A random command into argv (MAX_ARGS slots): a name from the pool, then
 * mostly a key and a few arguments. A blocking command gets a timeout of a
 * few milliseconds (or an invalid one) where it expects it, so that it never
 * blocks for long. Returns argc. */
static int random_command(unsigned *seed, char *const *pool, int npool, const char **argv)
{
    static const int nargs[] = {0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 8};
    static const char *const tmo_last[] = {"0.01", "-1", "abc", "0.001"};
    static const char *const tmo_first[] = {"0.01", "-1", "x", "0.002"};
    int argc = 0;

    argv[argc++] = pool[pick(seed, (size_t)npool)];
    int n = nargs[pick(seed, NELEM(nargs))];
    if (n > 0)
        argv[argc++] = keys[pick(seed, NELEM(keys))];
    for (int i = 1; i < n; i++)
        argv[argc++] = random_arg(seed);
    if (in_list(block_last, argv[0]) && argc > 2)
        argv[argc - 1] = tmo_last[pick(seed, NELEM(tmo_last))];
    else if (in_list(block_first, argv[0]) && argc > 1)
        argv[1] = tmo_first[pick(seed, NELEM(tmo_first))];
    return argc;
}

/* The last line of a reply, without its CRLF: the score of a one-member
 * ZRANGE ... WITHSCORES in RESP2 (a bulk string) and RESP3 (a double). */
static const char *last_line(const char *r, int *len)
{
    size_t n = strlen(r), end = n >= 2 ? n - 2 : n, start = end;
    while (start >= 2 && !(r[start - 2] == '\r' && r[start - 1] == '\n'))
        start--;
    if (start < 2)
        start = 0;
    *len = (int)(end - start);
    return r + start;
}

/* Lex ranges (ZRANGEBYLEX and the like, ZRANGE ... BYLEX) assume that every
 * member has the same score. When they have not, the answer over a skiplist
 * depends on which nodes its random levels let the search skip: Redis's
 * changes from one run to the next (respd's too); over a listpack the scan
 * is in order and the answer always the same. 1 when argv is a lex range
 * over a key that redis-server holds as such a skiplist, asked before the
 * command runs: it is then not sent. */
static int lex_range_unspecified(h_conn *redis, int argc, const char *const *argv)
{
    static const char *const lex[] = {"zrangebylex", "zrevrangebylex", "zlexcount",
                                      "zremrangebylex", NULL};
    int bylex = in_list(lex, argv[0]);

    for (int j = 1; j < argc && !bylex; j++)
        bylex = strcasecmp(argv[j], "BYLEX") == 0 &&
                (strcmp(argv[0], "zrange") == 0 || strcmp(argv[0], "zrangestore") == 0);
    for (int j = 1; j < argc && bylex; j++) {
        int pool_key = 0;
        for (size_t k = 0; k < NELEM(keys); k++)
            pool_key |= strcmp(keys[k], argv[j]) == 0;
        if (!pool_key)
            continue;
        const char *enc_argv[] = {"OBJECT", "ENCODING", argv[j]};
        const char *low_argv[] = {"ZRANGE", argv[j], "0", "0", "WITHSCORES"};
        const char *high_argv[] = {"ZRANGE", argv[j], "-1", "-1", "WITHSCORES"};
        char *enc = h_callv(redis, 3, enc_argv, NULL);
        char *low = h_callv(redis, 5, low_argv, NULL);
        char *high = h_callv(redis, 5, high_argv, NULL);
        int mixed = 0;
        if (enc && low && high && strcmp(enc, "$8\r\nskiplist\r\n") == 0) {
            int ll, hl;
            const char *ls = last_line(low, &ll), *hs = last_line(high, &hl);
            mixed = ll != hl || memcmp(ls, hs, (size_t)ll) != 0;
        }
        free(enc);
        free(low);
        free(high);
        if (mixed)
            return 1;
    }
    return 0;
}

/* The request as a line redis-cli takes back: an argument that is empty or
 * holds a space, a quote or a backslash goes in double quotes. malloc'd. */
static char *render(int argc, const char *const *argv)
{
    char *s;
    size_t len;
    FILE *f = open_memstream(&s, &len);

    assert_non_null(f);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        fputs(i ? " " : "", f);
        if (a[0] && !strpbrk(a, " \"\\")) {
            fputs(a, f);
            continue;
        }
        fputc('"', f);
        for (; *a; a++) {
            if (*a == '"' || *a == '\\')
                fputc('\\', f);
            fputc(*a, f);
        }
        fputc('"', f);
    }
    fclose(f);
    return s;
}

/* ---- comparing -------------------------------------------------------------- */

/* How far apart two TTLs or expiry times of cmd's reply may be, or -1 when
 * its reply is not read off the clock. Each server takes the time when it
 * runs a command, a little before or after the other, and rounds it on its
 * own. */
static long long clock_slack(const char *cmd)
{
    if (strcmp(cmd, "ttl") == 0 || strcmp(cmd, "expiretime") == 0)
        return 1;
    if (strcmp(cmd, "pttl") == 0 || strcmp(cmd, "pexpiretime") == 0)
        return EXPIRY_MARGIN_MS * h_slowdown();
    return -1;
}

/* 1 when the replies of cmd agree: equal bytes; for a random command the
 * same shape (neither an error); for an unordered one the same canonical
 * form (HGETALL as field/value pairs); for a TTL two times within
 * clock_slack of each other (-1 and -2 compare exactly). */
static int replies_agree(const char *cmd, const char *a, const char *b)
{
    char mode = 0;
    long long x, y, slack = clock_slack(cmd);

    if (strcmp(a, b) == 0)
        return 1;
    if (slack >= 0 && h_reply_int(a, &x) == 0 && h_reply_int(b, &y) == 0 && x >= 0 && y >= 0)
        return llabs(x - y) <= slack;
    if (in_list(random_reply, cmd) && a[0] != '-' && b[0] != '-')
        mode = 's';
    else if (in_list(unordered, cmd))
        mode = 'u';
    else if (strcmp(cmd, "hgetall") == 0)
        mode = 'p';
    if (!mode)
        return 0;
    char *ta = hdiff_transform(a, mode), *tb = hdiff_transform(b, mode);
    int same = strcmp(ta, tb) == 0;
    free(ta);
    free(tb);
    return same;
}

/* SORT and SORT_RO with BY a pattern without '*' skip the sorting, and
 * Redis then returns a set (unless it STOREs the result, which it sorts) in
 * its hash table's order, which differs from one process to the next;
 * respd's small sets keep their insertion order. 1 when argv is such a sort
 * of a set (respd says its TYPE: the command changed nothing) and the
 * replies hold the same elements, or under LIMIT as many. */
static int unsorted_set_agrees(h_conn *c, int argc, const char *const *argv, const char *a,
                               const char *b)
{
    int by = 0, limit = 0;

    if (strcmp(argv[0], "sort") != 0 && strcmp(argv[0], "sort_ro") != 0)
        return 0;
    for (int j = 2; j < argc; j++) {
        if (strcasecmp(argv[j], "STORE") == 0)
            return 0;
        limit |= strcasecmp(argv[j], "LIMIT") == 0;
        by |= strcasecmp(argv[j], "BY") == 0 && j + 1 < argc && !strchr(argv[j + 1], '*');
    }
    if (!by)
        return 0;
    const char *type_argv[] = {"TYPE", argv[1]};
    char *type = h_callv(c, 2, type_argv, NULL);
    int set = type && strcmp(type, "+set\r\n") == 0;
    free(type);
    if (!set)
        return 0;
    char *ta = hdiff_transform(a, limit ? 's' : 'u'), *tb = hdiff_transform(b, limit ? 's' : 'u');
    int same = strcmp(ta, tb) == 0;
    free(ta);
    free(tb);
    return same;
}

/* Prints a mismatch: what, the command line, and both texts escaped. */
static void report(const char *run, int op, const char *what, const char *line, const char *a,
                   const char *b)
{
    char *ea = h_escape(a ? a : "(no reply)", strlen(a ? a : "(no reply)"), 600);
    char *eb = h_escape(b ? b : "(no reply)", strlen(b ? b : "(no reply)"), 600);
    fprintf(stderr, "MISMATCH %s op %d %s [%s]\n  respd: %s\n  redis: %s\n", run, op, what, line,
            ea, eb);
    free(ea);
    free(eb);
}

/* The state of every pool key on both servers: state[i][k] says, for server
 * i and key k, its TYPE reply, whether PTTL is -2, -1 or a TTL, and its whole
 * value read back by type (a set's members and a hash's pairs sorted).
 * *soonest is the smallest TTL in milliseconds on either server, or -1 when
 * no key has one. Two pipelines per server: TYPE and PTTL of every key, then
 * the reads. Returns 0, or -1 when a server did not answer; the caller frees
 * the strings. */
static int read_state(h_conn *const c[2], char *state[2][NELEM(keys)], long long *soonest)
{
    enum { N = NELEM(keys) };
    char *head[2][2 * N], *val[2][N];
    char **heads[2] = {head[0], head[1]}, **vals_[2] = {val[0], val[1]};
    char *req[2];
    size_t len[2];
    FILE *f;

    *soonest = -1;
    f = open_memstream(&req[0], &len[0]);
    assert_non_null(f);
    for (int k = 0; k < N; k++) {
        fprintf(f, "*2\r\n$4\r\nTYPE\r\n$%zu\r\n%s\r\n", strlen(keys[k]), keys[k]);
        fprintf(f, "*2\r\n$4\r\nPTTL\r\n$%zu\r\n%s\r\n", strlen(keys[k]), keys[k]);
    }
    fclose(f);
    req[1] = req[0];
    len[1] = len[0];
    int r = pipeline_both(c, req, len, 2 * N, heads);
    free(req[0]);
    if (r < 0)
        goto fail_head;

    /* Each server's reads follow its own types: types that differ are a
     * difference already, and reading by the other's type would only hide
     * the values behind WRONGTYPE. */
    for (int i = 0; i < 2; i++) {
        f = open_memstream(&req[i], &len[i]);
        assert_non_null(f);
        for (int k = 0; k < N; k++) {
            const char *t = head[i][2 * k], *key = keys[k];
            if (strcmp(t, "+string\r\n") == 0)
                fprintf(f, "*2\r\n$3\r\nGET\r\n$%zu\r\n%s\r\n", strlen(key), key);
            else if (strcmp(t, "+list\r\n") == 0)
                fprintf(f, "*4\r\n$6\r\nLRANGE\r\n$%zu\r\n%s\r\n$1\r\n0\r\n$2\r\n-1\r\n",
                        strlen(key), key);
            else if (strcmp(t, "+set\r\n") == 0)
                fprintf(f, "*2\r\n$8\r\nSMEMBERS\r\n$%zu\r\n%s\r\n", strlen(key), key);
            else if (strcmp(t, "+hash\r\n") == 0)
                fprintf(f, "*2\r\n$7\r\nHGETALL\r\n$%zu\r\n%s\r\n", strlen(key), key);
            else if (strcmp(t, "+zset\r\n") == 0)
                fprintf(f,
                        "*5\r\n$6\r\nZRANGE\r\n$%zu\r\n%s\r\n$1\r\n0\r\n$2\r\n-1\r\n"
                        "$10\r\nWITHSCORES\r\n",
                        strlen(key), key);
            else
                fprintf(f, "*2\r\n$6\r\nEXISTS\r\n$%zu\r\n%s\r\n", strlen(key), key);
        }
        fclose(f);
    }
    r = pipeline_both(c, req, len, N, vals_);
    free(req[0]);
    free(req[1]);
    if (r < 0)
        goto fail_val;

    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < N; k++) {
            const char *t = head[i][2 * k], *pttl = head[i][2 * k + 1];
            long long ms;
            if (h_reply_int(pttl, &ms) == 0 && ms >= 0 && (*soonest < 0 || ms < *soonest))
                *soonest = ms;
            const char *ttl = strcmp(pttl, ":-2\r\n") == 0   ? "no key"
                              : strcmp(pttl, ":-1\r\n") == 0 ? "no ttl"
                                                             : "ttl";
            char mode = strcmp(t, "+set\r\n") == 0 ? 'u' : strcmp(t, "+hash\r\n") == 0 ? 'p' : 0;
            char *v = hdiff_transform(val[i][k], mode);
            if (asprintf(&state[i][k], "%.*s %s %s", (int)strlen(t) - 2, t, ttl, v) < 0)
                state[i][k] = NULL;
            assert_non_null(state[i][k]);
            free(v);
        }
    }
    r = 0;
fail_val:
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < N; k++)
            free(val[i][k]);
fail_head:
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2 * N; k++)
            free(head[i][k]);
    return r;
}

static void free_state(char *state[2][NELEM(keys)])
{
    for (int i = 0; i < 2; i++)
        for (size_t k = 0; k < NELEM(keys); k++)
            free(state[i][k]);
}

/* Compares the state of the pool keys on both servers, and reports every key
 * that differs. Two things about TTLs:
 *   1. A key with a millisecond TTL expires at slightly different moments on
 *      the two servers, so a state that differs is read again after 50 ms,
 *      and only a difference that remains counts.
 *   2. A key that expires between the moments the two servers run the next
 *      command would make their replies differ for no fault of either. So
 *      while a key has less than EXPIRY_MARGIN_MS to live, this waits until
 *      it is gone and compares again: the next command then finds every key
 *      of the pool with more than the margin left, or none.
 * Returns the number of keys that differ, or -1 when a server did not
 * answer. */
static int compare_state(h_conn *const c[2], const char *run, int op, const char *line)
{
    char *state[2][NELEM(keys)];
    long long soonest, margin = EXPIRY_MARGIN_MS * h_slowdown();
    int differ = 0;

    for (int round = 0;; round++) {
        int differed = differ;
        long wait = 0;
        if (read_state(c, state, &soonest) < 0)
            return -1;
        differ = 0;
        for (size_t k = 0; k < NELEM(keys); k++)
            differ += strcmp(state[0][k], state[1][k]) != 0;
        /* A difference is read again once; one that is read twice in a row
         * is real. The rounds are bounded for a server whose TTLs never
         * run out. */
        if (differ && !differed)
            wait = 50;
        else if (!differ && soonest >= 0 && soonest <= margin && round < 20)
            wait = (long)soonest + 2;
        if (!wait)
            break;
        free_state(state);
        h_sleep_ms(wait);
    }
    for (size_t k = 0; differ && k < NELEM(keys); k++) {
        if (strcmp(state[0][k], state[1][k]) != 0) {
            char what[64];
            snprintf(what, sizeof(what), "state of %s after", keys[k]);
            report(run, op, what, line, state[0][k], state[1][k]);
        }
    }
    free_state(state);
    return differ;
}

/* ---- a run ---------------------------------------------------------------- */

/* The number of commands of a run: fewer when the server is slower, under
 * AddressSanitizer (the tests and the server are built alike) or under
 * $RESPD_WRAPPER (valgrind). */
static int scaled(int n)
{
#if defined(__SANITIZE_ADDRESS__)
    n /= 3;
#endif
    n /= h_slowdown();
    return n > 100 ? n : 100;
}

/* Runs ncmds random commands of one seed on both servers, in RESP proto,
 * on the small dataset or with the BIG setup. Returns the number of
 * mismatches (a server that stops answering counts as one and ends it). */
static int random_diff_run(unsigned seed, int proto, int big, int ncmds)
{
    char run[64];
    snprintf(run, sizeof(run), "seed %u resp%d%s", seed, proto, big ? " big" : "");
    h_conn *c[2] = {h_connect(respd_srv.port, 2000), h_connect(redis_srv.port, 2000)};
    assert_non_null(c[0]);
    assert_non_null(c[1]);
    char **pool;
    int npool = command_pool(c[0], &pool);
    assert_true(npool > 50);
    if (proto == 3)
        assert_int_equal(line_both(c, "HELLO 3"), 0);
    char **big_lines = big ? big_setup_new() : NULL;

    int bad = 0, unspecified = 0, op;
    long long t0 = h_now_ms();
    for (op = 0; op < ncmds && bad < MAX_BAD; op++) {
        if (op % RESEED_EVERY == 0 && seed_dataset(c, big_lines) < 0) {
            fprintf(stderr, "MISMATCH %s op %d: a server stopped answering the setup\n", run, op);
            bad++;
            break;
        }
        const char *argv[MAX_ARGS];
        int argc = random_command(&seed, pool, npool, argv);
        if (lex_range_unspecified(c[1], argc, argv)) {
            unspecified++;
            continue;
        }
        char *rep[2];
        int r = call_both(c, argc, argv, rep);
        char *line = render(argc, argv);
        int differ = 0;
        if (r < 0 || (!replies_agree(argv[0], rep[0], rep[1]) &&
                      !unsorted_set_agrees(c[0], argc, argv, rep[0], rep[1]))) {
            report(run, op, "reply to", line, rep[0], rep[1]);
            differ = 1;
        } else {
            differ = compare_state(c, run, op, line);
        }
        free(line);
        free(rep[0]);
        free(rep[1]);
        if (r < 0 || differ < 0) {
            bad++;
            break;
        }
        if (differ) {
            bad++;
            /* The datasets went apart: start both again from the setup. */
            if (seed_dataset(c, big_lines) < 0)
                break;
        }
    }
    fprintf(stderr,
            "randdiff %s: %d commands (%d unspecified, not sent) in %lld ms, %d mismatches\n", run,
            op, unspecified, h_now_ms() - t0, bad);
    big_setup_free(big_lines);
    for (int i = 0; i < npool; i++)
        free(pool[i]);
    free(pool);
    h_close(c[0]);
    h_close(c[1]);
    return bad;
}

static void test_randdiff_resp2_matches_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    assert_int_equal(random_diff_run(1, 2, 0, scaled(5000)), 0);
}

static void test_randdiff_resp3_matches_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    assert_int_equal(random_diff_run(2, 3, 0, scaled(5000)), 0);
}

static void test_randdiff_big_collections_match_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    assert_int_equal(random_diff_run(3, 2, 1, scaled(4000)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_randdiff_resp2_matches_redis),
        cmocka_unit_test(test_randdiff_resp3_matches_redis),
        cmocka_unit_test(test_randdiff_big_collections_match_redis),
    };
    return cmocka_run_group_tests_name("randdiff", tests, hdiff_group_setup, hdiff_group_teardown);
}
