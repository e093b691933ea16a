/* harness: what the integration tests share. It starts the real respd binary
 * (and, for differential tests, a real redis-server) on a free port of
 * 127.0.0.1, connects to them, sends raw bytes or commands and reads back
 * exactly one complete RESP2/RESP3 reply at a time.
 *
 * Every wait is bounded: a server that does not come up within about 5 s is a
 * failure, a reply that does not arrive within the timeout is a failure, and
 * stopping a server escalates from SIGTERM to SIGKILL after about 5 s. The
 * harness only ever signals the PIDs it started, and each server's child
 * process is told to die with the test process (PR_SET_PDEATHSIG), so a
 * crashed test leaves no server behind. A test that fails half-way (cmocka
 * leaves it by longjmp) skips its own clean-up; at exit the harness kills
 * the processes it started that are still running and removes the temp
 * directories it made that are still there.
 *
 * Ownership: strings returned by h_* functions are malloc'd and released by
 * the caller with free(); h_conn and h_server are released by h_close and
 * h_server_stop / h_server_cleanup.
 */
#ifndef RESPD_ITEST_HARNESS_H
#define RESPD_ITEST_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>

/* Default time allowed for one reply, in milliseconds. */
#define H_REPLY_TIMEOUT_MS (5000 * h_slowdown())
/* Time allowed for a server to start or to exit, in milliseconds. */
#define H_SERVER_TIMEOUT_MS (5000 * h_slowdown())

/* ---- running respd under a tool (valgrind) ----------------------------------
 * When $RESPD_WRAPPER is set (e.g. "valgrind --leak-check=full
 * --error-exitcode=99"), h_respd_start runs the wrapper's words before the
 * respd binary. The harness then allows $RESPD_SLOWDOWN (default 10) times
 * longer for start-up, replies and exit, and when a wrapped server ends it
 * reads the tool's report from the server log: exit status 99 or an "ERROR
 * SUMMARY" that is not "0 errors" prints the report, and the test binary then
 * exits with status 99 at its end even if the test itself passed. */

/* 1 normally; the slowdown factor when $RESPD_WRAPPER is set. */
int h_slowdown(void);
/* 1 when respd runs under $RESPD_WRAPPER. Tests that measure latency,
 * throughput or memory skip themselves then (cmocka's skip()). */
int h_wrapped(void);
/* 0 when the server's resident memory says nothing about what it uses:
 * under $RESPD_WRAPPER, or when the tests are built with AddressSanitizer
 * (make asan builds the server the same way, and ASan's quarantine holds
 * on to freed memory). */
int h_rss_meaningful(void);

/* ---- servers -------------------------------------------------------------- */

typedef struct h_server {
    pid_t pid;          /* 0 once stopped */
    int port;
    int status;         /* exit code after h_server_stop; 128+signal if killed */
    char dir[128];      /* private temp directory: log, config, working files */
    char log_path[192];
    int wrapped;        /* started under $RESPD_WRAPPER: its report is checked at exit */
} h_server;

/* The respd binary under test: $RESPD_BIN, or ./build/respd when unset. */
const char *h_respd_bin(void);

/* Starts `respd --port 0 --bind 127.0.0.1 [extra...]` (extra is NULL-terminated
 * or NULL) with stderr and stdout in s->log_path, and waits up to ~5 s for the
 * log line "Running mode=standalone, port=N." Returns 0 with s->pid and
 * s->port set, or -1 (the process, if any, is killed and reaped). The
 * arguments go after those defaults, so a later --port overrides. When
 * config_path is not NULL it is passed first, as redis-server takes it. */
int h_respd_start(h_server *s, const char *config_path, const char *const *extra);
/* h_respd_start, then a connection to the server; fails the test (cmocka)
 * when either fails. The caller h_closes the connection. */
struct h_conn *h_respd_start_connected(h_server *s, const char *config_path,
                                       const char *const *extra);

/* Returns 1 when a redis-server binary is on PATH. */
int h_redis_available(void);
/* Starts redis-server on a free port with persistence off and waits until
 * it answers PING. Retries with another port when the port was taken.
 * Returns 0 or -1. */
int h_redis_start(h_server *s);

/* The fixture of the differential test groups: starts respd (extra as for
 * h_respd_start) and, when redis-server is installed, a redis-server beside
 * it. Returns -1 when respd did not start. Otherwise returns 0 with
 * *have_redis 1 when redis-server runs too, or 0 (said on stderr) when the
 * comparisons with it cannot run. */
int h_pair_start(h_server *respd, const char *const *extra, h_server *redis, int *have_redis);
/* Stops what h_pair_start started. Returns 0 when respd exited with status
 * 0, else -1 with its status on stderr. */
int h_pair_stop(h_server *respd, h_server *redis, int have_redis);

/* Sends SIGTERM, waits up to ~5 s, then SIGKILLs; reaps the process and
 * removes the temp directory. Returns the exit code (0..255), 128+signal when
 * a signal ended it, or -1 when it was not running. Safe to call twice. */
int h_server_stop(h_server *s);
/* Like h_server_stop, but leaves the temp directory (and its log) in place
 * for inspection; call h_server_cleanup afterwards. */
int h_server_stop_keep(h_server *s);
/* Waits up to timeout_ms for the process to exit on its own; returns the
 * exit status as h_server_stop does, or -2 if it is still running. */
int h_server_wait(h_server *s, int timeout_ms);
/* Stops the server and asserts (cmocka) that it exited with status 0. */
void h_server_stop_ok(h_server *s);
/* Removes the temp directory and everything in it. */
void h_server_cleanup(h_server *s);
/* The whole log file as a NUL-terminated string (NULL if unreadable). */
char *h_server_log(const h_server *s);

/* A process a test forked itself (fds to pass, a daemon) joins those the
 * harness started: killed by h_kill_started and at exit, forgotten once
 * h_server_wait (or h_server_stop) has reaped it. */
void h_track_pid(pid_t pid);
/* SIGKILLs and reaps every process the harness started or was given that
 * is still running. A per-test teardown calls it so that a test failing
 * half-way leaves nothing running for the next. */
void h_kill_started(void);

/* Returns 1 when an executable of that name is on PATH. */
int h_which(const char *name);
/* Skips the calling test (cmocka's skip(), saying so on stderr) when no
 * executable of that name is on PATH. */
void h_need_tool(const char *name);
/* Runs argv (argv[0] searched on PATH) with stdin from stdin_path (or
 * /dev/null) and stdout and stderr captured into *output (malloc'd,
 * NUL-terminated; may be NULL if not wanted). Kills it after timeout_ms
 * (times h_slowdown(), for a server under valgrind).
 * Returns its exit code, 128+signal, or -1 when it timed out or could not
 * be started. */
int h_run(const char *const *argv, const char *stdin_path, char **output, int timeout_ms);

/* A port that was free a moment ago (bind to port 0, read it, close). */
int h_free_port(void);
/* Makes a private temp directory (respd-itest-XXXXXX under $TMPDIR or /tmp);
 * path must hold at least 64 bytes. The caller removes it; whatever is left
 * (plain files and empty subdirectories) is removed at exit. */
int h_mktempdir(char *path, size_t size);
/* Writes a whole file. Returns 0 or -1. */
int h_write_file(const char *path, const void *data, size_t len);
/* The whole file, NUL-terminated (its length in *len when len is not
 * NULL), malloc'd; NULL when it cannot be opened. */
char *h_read_file(const char *path, size_t *len);
/* Raises the soft RLIMIT_NOFILE to at least n (up to the hard limit). */
void h_raise_nofile(long n);

/* ---- connections ---------------------------------------------------------- */

typedef struct h_conn {
    int fd;
    char *buf;        /* received bytes not yet returned as replies */
    size_t len, cap;
    int eof;          /* the peer closed its side */
} h_conn;

/* Connects to 127.0.0.1:port within timeout_ms. Returns NULL on failure. */
h_conn *h_connect(int port, int timeout_ms);
void h_close(h_conn *c);
/* Opens n connections to port, sends a PING on each and then reads every
 * reply; fails the test (cmocka), naming the first connection that could
 * not connect or did not answer +PONG. The connections keep no read buffer
 * (n of them can be many). Returns a malloc'd array: the caller h_closes
 * each connection and frees it. */
h_conn **h_connect_pinged(int port, int n);

/* Writes all bytes, reading whatever replies arrive meanwhile into the
 * connection's buffer so that a large pipeline cannot deadlock. Gives up
 * after H_REPLY_TIMEOUT_MS without progress. Returns 0 or -1. */
int h_send(h_conn *c, const void *data, size_t len);
int h_send_str(h_conn *c, const char *s);

/* Reads exactly one complete reply (any RESP2/RESP3 type, aggregates
 * included) within timeout_ms. On success returns 0 with *out a malloc'd,
 * NUL-terminated copy of its raw bytes and *outlen its length. Returns -1 on
 * timeout, EOF before a full reply, or a malformed reply. */
int h_read_reply(h_conn *c, int timeout_ms, char **out, size_t *outlen);
/* Returns 1 when the peer closes the connection within timeout_ms with no
 * further bytes, 0 otherwise (bytes arrived, or it stayed open). */
int h_wait_closed(h_conn *c, int timeout_ms);
/* Returns 1 when no byte arrives within timeout_ms (and it is still open). */
int h_no_data(h_conn *c, int timeout_ms);

/* The length of the first complete RESP reply in buf[0..len): > 0 its size,
 * 0 when more bytes are needed, -1 when the bytes are not valid RESP. */
long h_reply_len(const char *buf, size_t len);

/* ---- building commands ---------------------------------------------------- */

/* A multibulk request from argc binary-safe arguments (lens may be NULL for
 * NUL-terminated argv). Returns a malloc'd buffer; *outlen its size. */
char *h_multibulk(int argc, const char *const *argv, const size_t *lens, size_t *outlen);
/* An inline (telnet style) request: the formatted text followed by CRLF. */
char *h_inline(size_t *outlen, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Splits a line into arguments like redis-cli does: spaces separate,
 * "double quotes" allow spaces and \n \r \t \\ \" \xHH escapes, 'single
 * quotes' take bytes literally (\' only). Returns argc, or -1 on unbalanced
 * quotes or more than max arguments. argv[i] are malloc'd (free with
 * h_free_args); lens[i] their lengths. */
int h_split_args(const char *line, char **argv, size_t *lens, int max);
void h_free_args(char **argv, int argc);
/* The multibulk request for a command line (split as h_split_args does, up
 * to 512 arguments). Returns it malloc'd with *outlen its size, or NULL when
 * the line does not split into at least one argument. */
char *h_request(const char *line, size_t *outlen);

/* Splits `line` (see h_split_args), sends it as multibulk and reads one
 * reply. Returns the malloc'd reply, or NULL on any failure. */
char *h_call(h_conn *c, const char *line);
/* Like h_call with a printf-style line. */
char *h_callf(h_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sends a request made of argv (binary safe) and reads one reply. */
char *h_callv(h_conn *c, int argc, const char *const *argv, const size_t *lens);

/* ---- reading replies ------------------------------------------------------ */

/* A printable copy of bytes (\r \n \xHH escaped), truncated to about max
 * characters. malloc'd. */
char *h_escape(const char *p, size_t n, size_t max);

/* Test helpers that assert (cmocka): h_expect sends line and requires the
 * reply to be exactly want, printing both escaped when it is not. */
void h_expect(h_conn *c, const char *line, const char *want);
/* Sends line and returns the number that follows key in the reply (key as
 * "\r\nused_memory:" of INFO or " qbuf=" of CLIENT LIST), or -1 when key is
 * not in it. Asserts (cmocka) that a reply came. */
long long h_call_num(h_conn *c, const char *line, const char *key);
/* Reads n replies (a pipeline's) and requires each to be exactly want,
 * naming the first that is missing or different. */
void h_expect_replies(h_conn *c, long n, const char *want);
/* The number after "field:" in the INFO section, or -1 when absent. */
long long h_info_field(h_conn *c, const char *section, const char *field);
/* VmRSS of a process in KB, or -1. */
long h_rss_kb(pid_t pid);
/* The integer of a ":n\r\n" reply; returns 0 and sets *v, or -1. */
int h_reply_int(const char *reply, long long *v);

/* Monotonic milliseconds. */
long long h_now_ms(void);
/* Sleeps ms milliseconds. */
void h_sleep_ms(long ms);

#endif
