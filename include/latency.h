/* latency: how long each command takes, as Redis 7's latency tracking
 * measures it: one histogram per command (and subcommand), read by INFO
 * latencystats, LATENCY HISTOGRAM and the Prometheus endpoint (metrics.c).
 *
 * Recording costs a comparison with the previous command (a table probe
 * when it differs) and three increments: the duration comes from the clock
 * read cmd_execute already makes, and goes
 * into a log-linear histogram of fixed buckets (exact up to 127 µs, then 64
 * buckets per power of two, so any value is known within 1.6%), never into
 * a list of samples. A command's histogram is allocated the first time it
 * is recorded and freed by CONFIG RESETSTAT; durations of 2^32 µs (71
 * minutes) or more count in the last bucket.
 *
 * latency_command_done is also where the slow log (slowlog.c) is fed, so
 * that cmd_execute has one hook for both.
 */
#ifndef RESPD_LATENCY_H
#define RESPD_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "command.h"

/* The hook cmd_execute calls after each handler with the time it took:
 * records it in d's histogram while latency-tracking is on, and offers the
 * command to the slow log. As in Redis 7.0, a blocking command counts once,
 * when it completes: not when it blocks, nor when it runs again and blocks
 * again, but when it is served (with the time of that last run); one that
 * times out is not recorded. Neither are the commands of the fake client
 * (AOF loading). */
void latency_command_done(client *c, const cmd_def *d, long long usec);

/* One command's histogram; NULL when d has recorded nothing since start or
 * the last reset. Borrowed until the next reset. */
typedef struct latency_hist latency_hist;
const latency_hist *latency_get(const cmd_def *d);
/* Durations recorded, and their sum in µs. */
uint64_t latency_count(const latency_hist *h);
uint64_t latency_sum_us(const latency_hist *h);
/* For n ascending limits (µs), out[i] = durations recorded below limits[i].
 * Exact for limits below 128 and for powers of two; otherwise the bucket
 * holding the limit counts as below it. */
void latency_count_below(const latency_hist *h, const uint64_t *limits, size_t n,
                         uint64_t *out);
/* The duration at percentile p (0..100) in µs, as HdrHistogram (which Redis
 * uses) gives it: the highest value of the bucket holding the rank, or the
 * lowest for p = 0. 0 for an empty histogram. */
uint64_t latency_percentile(const latency_hist *h, double p);

/* Frees every histogram (CONFIG RESETSTAT, shutdown). */
void latency_reset(void);
/* The lines of INFO latencystats (no CRLF), one per command with a
 * histogram, with the percentiles of latency-tracking-info-percentiles.
 * Nothing while latency-tracking is off, as Redis. */
void latency_info(cmd_line_fn fn, void *ctx);

#endif
