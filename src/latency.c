/* latency: per-command latency histograms, INFO latencystats and LATENCY
 * HISTOGRAM. See latency.h.
 *
 * Bucket layout (values in whole µs, as the command clock gives them):
 *   index v            for v < 128 (one bucket per µs)
 *   128 + 64*(m-7) + s for 2^m <= v < 2^(m+1), m = 7..31, where s (0..63) is
 *                      bits m-1..m-6 of v: 64 buckets of width 2^(m-6)
 * so every power of two from 128 up starts a bucket, which is what makes
 * latency_count_below exact for them (metrics.c's `le` bounds and the keys
 * of LATENCY HISTOGRAM are powers of two).
 *
 * Histograms are found by the address of their cmd_def in a small open-
 * addressing table (a command table entry has no field for it; the table
 * holds a few hundred commands at most), allocated on first use.
 */
#include "latency.h"

#include <stdio.h>
#include <string.h>

#include "blocking.h"
#include "commands.h"
#include "config.h"
#include "mem.h"
#include "reply.h"
#include "slowlog.h"

#include "cmdtable.h"

#define SUB_BITS 6
#define SUB (1 << SUB_BITS)        /* buckets per power of two */
#define LINEAR (2 * SUB)           /* values below this have a bucket each */
#define MAX_BITS 32                /* values of 2^32 µs and more: last bucket */
#define NBUCKETS (LINEAR + (MAX_BITS - SUB_BITS - 1) * SUB)

struct latency_hist {
    uint64_t count;
    uint64_t sum_us;
    uint64_t buckets[NBUCKETS];
};

/* ---- the histogram --------------------------------------------------------- */

static size_t bucket_of(uint64_t v)
{
    if (v < LINEAR)
        return (size_t)v;
    if (v >> MAX_BITS)
        return NBUCKETS - 1;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - SUB_BITS;
    return LINEAR + (size_t)(msb - SUB_BITS - 1) * SUB + (size_t)((v >> shift) - SUB);
}

static uint64_t bucket_low(size_t i)
{
    if (i < LINEAR)
        return i;
    size_t oct = (i - LINEAR) / SUB, s = (i - LINEAR) % SUB;
    int shift = (int)oct + 1;
    return (uint64_t)(SUB + s) << shift;
}

static uint64_t bucket_high(size_t i)
{
    if (i < LINEAR)
        return i;
    int shift = (int)((i - LINEAR) / SUB) + 1;
    return bucket_low(i) + ((uint64_t)1 << shift) - 1;
}

uint64_t latency_count(const latency_hist *h)
{
    return h->count;
}

uint64_t latency_sum_us(const latency_hist *h)
{
    return h->sum_us;
}

void latency_count_below(const latency_hist *h, const uint64_t *limits, size_t n, uint64_t *out)
{
    uint64_t seen = 0;
    size_t b = 0;
    for (size_t k = 0; k < n; k++) {
        /* A bucket counts below the limit when its lowest value does. */
        while (b < NBUCKETS && bucket_low(b) < limits[k])
            seen += h->buckets[b++];
        out[k] = seen;
    }
}

uint64_t latency_percentile(const latency_hist *h, double p)
{
    if (!h->count)
        return 0;
    /* HdrHistogram's rank: round(p% of the count), at least the first. */
    double want_d = p / 100.0 * (double)h->count + 0.5;
    uint64_t want = want_d < 1.0 ? 1 : (uint64_t)want_d;
    if (want > h->count)
        want = h->count;
    uint64_t seen = 0;
    for (size_t i = 0; i < NBUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= want)
            return p == 0.0 ? bucket_low(i) : bucket_high(i);
    }
    return bucket_high(NBUCKETS - 1);
}

/* ---- histograms by command --------------------------------------------------- */

#define SLOT_BITS 10
#define NSLOTS (1u << SLOT_BITS)

static struct {
    const cmd_def *d;
    latency_hist *h;
} slots[NSLOTS];
static size_t nused;
/* The last command recorded: a pipelined burst of one command finds its
 * histogram without probing. */
static const cmd_def *last_d;
static latency_hist *last_h;

static size_t slot_of(const cmd_def *d)
{
    return (size_t)(((uint64_t)(uintptr_t)d * 0x9E3779B97F4A7C15ull) >> (64 - SLOT_BITS));
}

/* d's histogram; with create, allocated when missing (NULL only if the
 * table is half full, which the command tables never make it). Out of
 * line: the hot path is the last_d check. */
__attribute__((noinline)) static latency_hist *find(const cmd_def *d, int create)
{
    size_t i = slot_of(d);
    for (;;) {
        if (slots[i].d == d)
            return slots[i].h;
        if (!slots[i].d)
            break;
        i = (i + 1) & (NSLOTS - 1);
    }
    if (!create || nused >= NSLOTS / 2)
        return NULL;
    slots[i].d = d;
    slots[i].h = mem_calloc(1, sizeof(latency_hist));
    nused++;
    return slots[i].h;
}

const latency_hist *latency_get(const cmd_def *d)
{
    return find(d, 0);
}

void latency_command_done(client *c, const cmd_def *d, long long usec)
{
    if ((c->flags & CLIENT_FAKE) || (c->blocked && blocking_waiting(c)))
        return;
    if (usec < 0)
        usec = 0;
    if (cfg.latency_tracking) {
        latency_hist *h = d == last_d ? last_h : find(d, 1);
        if (h) {
            last_d = d;
            last_h = h;
            h->buckets[bucket_of((uint64_t)usec)]++;
            h->count++;
            h->sum_us += (uint64_t)usec;
        }
    }
    /* EXEC stays out of the slow log: its commands enter it one by one. */
    if (!(d->flags & CMD_SKIP_SLOWLOG) && slowlog_wanted(usec))
        slowlog_push(c, usec);
}

void latency_reset(void)
{
    for (size_t i = 0; i < NSLOTS; i++) {
        mem_free(slots[i].h);
        slots[i].d = NULL;
        slots[i].h = NULL;
    }
    nused = 0;
    last_d = NULL;
    last_h = NULL;
}

/* ---- INFO latencystats ------------------------------------------------------- */

/* A percentile as Redis names it in INFO (and CONFIG GET shows it): %f
 * with trailing zeros and point removed ("50", "99.9"). Returns buf. */
static char *format_percentile(char *buf, size_t size, double p)
{
    int n = snprintf(buf, size, "%f", p);
    if (n < 0 || (size_t)n >= size) {
        if (size)
            buf[0] = '\0';
        return buf;
    }
    if (strchr(buf, '.')) {
        while (n > 0 && buf[n - 1] == '0')
            buf[--n] = '\0';
        if (n > 0 && buf[n - 1] == '.')
            buf[--n] = '\0';
    }
    return buf;
}

static void info_line(const cmd_def *d, cmd_line_fn fn, void *ctx)
{
    const latency_hist *h = find(d, 0);
    if (!h || !h->count)
        return;
    size_t cap = 64 + strlen(d->name) + (size_t)cfg.latency_npercentiles * 400;
    char *line = mem_alloc(cap);
    size_t len = (size_t)snprintf(line, cap, "latency_percentiles_usec_%s:", d->name);
    for (int i = 0; i < cfg.latency_npercentiles; i++) {
        char name[330];
        double p = cfg.latency_percentiles[i];
        format_percentile(name, sizeof(name), p);
        int w = snprintf(line + len, cap - len, "%sp%s=%.3f", i ? "," : "", name,
                         (double)latency_percentile(h, p));
        if (w < 0 || (size_t)w >= cap - len)
            break;
        len += (size_t)w;
    }
    fn(line, ctx);
    mem_free(line);
}

void latency_info(cmd_line_fn fn, void *ctx)
{
    if (!cfg.latency_tracking)
        return;
    /* In table order, as INFO commandstats: a container's subcommands,
     * then the container itself when it runs on its own (COMMAND). */
    for (size_t i = 0; i < cmd_count(); i++) {
        const cmd_def *d = cmd_at(i);
        for (const cmd_def *s = d->subcmds; s && s->name; s++)
            info_line(s, fn, ctx);
        info_line(d, fn, ctx);
    }
}

/* ---- LATENCY HISTOGRAM and HELP ---------------------------------------------- */

/* One command's entry: its name, then {calls, histogram_usec}, where
 * histogram_usec maps each power of two (µs) to the number of calls that
 * took less, listing only the powers where that number grows, up to the
 * first that holds every call (Redis's cumulative distribution, whose keys
 * are powers of two rounded through HdrHistogram's buckets). */
static int reply_histogram(reply_buf *rb, const cmd_def *d)
{
    const latency_hist *h = find(d, 0);
    if (!h)
        return 0;
    reply_bulk_cstr(rb, d->name);
    reply_map(rb, 2);
    reply_bulk_cstr(rb, "calls");
    reply_int(rb, (long long)h->count);
    reply_bulk_cstr(rb, "histogram_usec");
    uint64_t limits[MAX_BITS + 1], below[MAX_BITS + 1];
    for (int k = 0; k <= MAX_BITS; k++)
        limits[k] = (uint64_t)1 << k;
    latency_count_below(h, limits, MAX_BITS + 1, below);
    size_t off = reply_defer(rb);
    long long n = 0;
    uint64_t prev = 0;
    for (int k = 0; k <= MAX_BITS && prev < h->count; k++) {
        /* The last bucket also holds everything past 2^32 µs. */
        uint64_t cum = k == MAX_BITS ? h->count : below[k];
        if (cum > prev) {
            reply_int(rb, (long long)limits[k]);
            reply_int(rb, (long long)cum);
            n++;
        }
        prev = cum;
    }
    reply_defer_set(rb, off, '%', n);
    return 1;
}

/* A command by the name COMMAND INFO takes: "get", or "config|get" for a
 * subcommand; NULL when there is none. */
static const cmd_def *lookup_full_name(const char *name, size_t len)
{
    const char *bar = memchr(name, '|', len);
    char *argv[2] = {(char *)name, NULL};
    size_t argvlen[2] = {bar ? (size_t)(bar - name) : len, 0};
    const cmd_def *d = cmd_lookup(argv, argvlen, 1);
    if (!d || !bar)
        return d;
    if (!d->subcmds)
        return NULL;
    argv[1] = (char *)bar + 1;
    argvlen[1] = len - argvlen[0] - 1;
    const cmd_def *s = cmd_lookup(argv, argvlen, 2);
    return s != d ? s : NULL; /* cmd_lookup falls back to the container */
}

/* A command, then its subcommands, as Redis lists them. */
static long long reply_family(reply_buf *rb, const cmd_def *d)
{
    long long n = reply_histogram(rb, d);
    for (const cmd_def *s = d->subcmds; s && s->name; s++)
        n += reply_histogram(rb, s);
    return n;
}

static void cmd_latency_histogram(client *c)
{
    reply_buf *rb = client_reply_buf(c);
    size_t off = reply_defer(rb);
    long long n = 0;
    if (c->argc == 2) {
        for (size_t i = 0; i < cmd_count(); i++)
            n += reply_family(rb, cmd_at(i));
    } else {
        /* Names as COMMAND INFO takes them: "get", "config|get" or a
         * container for all its subcommands; unknown names are skipped, a
         * name given twice is listed twice (as Redis does). */
        for (int i = 2; i < c->argc; i++) {
            const cmd_def *d = lookup_full_name(c->argv[i], c->argvlen[i]);
            if (d)
                n += reply_family(rb, d);
        }
    }
    reply_defer_set(rb, off, '%', n);
}

static void cmd_latency_help(client *c)
{
    static const char *const lines[] = {
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
        "    If no commands are specified then all histograms are replied.",
        NULL,
    };
    cmd_reply_help(c, lines);
}

static cmd_def latency_subs[] = {
    C("latency|histogram", cmd_latency_histogram, -2, A | NS | LD | ST, 0, 0, 0, "admin slow dangerous", "server", "7.0.0", "Returns the cumulative distribution of latencies of a subset or all commands.", "O(N) where N is the number of commands with latency information being retrieved."),
    C("latency|help", cmd_latency_help, 2, LD | ST, 0, 0, 0, "slow", "server", "2.8.13", "Returns helpful text about the different subcommands.", "O(1)"),
    END,
};

static cmd_def latency_commands[] = {
    P("latency", -2, 0, "slow", "server", "2.8.13", "A container for latency diagnostics commands.", latency_subs),
    END,
};

__attribute__((constructor)) static void register_latency(void)
{
    cmd_register_table(latency_commands);
}
