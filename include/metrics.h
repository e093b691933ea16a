/* metrics: a Prometheus endpoint. With metrics-port set (0, the default,
 * means off), respd also listens on that port, on the same bind addresses
 * as for clients, and answers `GET /metrics` over HTTP/1.0 or 1.1 with the
 * text exposition format 0.0.4: the INFO counters and gauges under
 * Prometheus names (respd_connected_clients, respd_commands_processed_total,
 * respd_db_keys{db="0"} ...), per-command calls and errors, and each
 * command's latency histogram (respd_command_duration_seconds, buckets at
 * powers of two microseconds, from latency.c).
 *
 * Everything runs on the event loop, non-blocking:
 *   1. accept (at most 64 scrapes at a time; more are closed at once; a
 *      non-loopback peer is refused with 403 under protected mode, as the
 *      client port refuses it);
 *   2. read the request, at most 8 KB of request line and headers, within
 *      5 seconds of the connection; a request line that cannot begin a
 *      well-formed GET is answered 400 as soon as it is seen, without
 *      waiting for the rest;
 *   3. answer (200 with the body, 400 for anything but a well-formed GET,
 *      404 for another path, 431 past the size limit; always with
 *      Content-Length and Connection: close), written as the socket takes
 *      it, giving up after 10 seconds;
 *   4. half-close, read and discard what the client still sends (up to a
 *      second), then close, so that unread request bytes cannot make the
 *      kernel reset the connection and cut the response short.
 * A forked child (AOF rewrite) closes the endpoint's sockets at once.
 */
#ifndef RESPD_METRICS_H
#define RESPD_METRICS_H

#include <stddef.h>

/* Opens the listeners when metrics-port is set and registers the run-time
 * hook of metrics-port. On failure writes a message into err, returns -1. */
int metrics_start(char *err, size_t errlen);
/* Reopens the listeners after metrics-port or bind changed: closes them,
 * opens them anew (none when the port is 0) and, when that fails, reopens
 * the previous ones and returns -1 with *err set to a static message. */
int metrics_rebind(const char **err);
/* Closes the listeners and every scrape connection (shutdown). */
void metrics_stop(void);

/* The HTTP status for the request in buf[0..len): 0 while it is incomplete
 * but may still become a well-formed GET, else 200 (GET /metrics), 400, 404
 * or 431 (no complete request within max bytes). Pure; exposed for tests. */
int metrics_parse_request(const char *buf, size_t len, size_t max);

#endif
