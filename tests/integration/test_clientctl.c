/* test_clientctl: client introspection and control, against a real
 * redis-server wherever the behaviour is Redis's: MONITOR (the lines, what is
 * hidden and redacted, what a monitor may do), CLIENT PAUSE/UNPAUSE (what
 * waits, for how long, in which order, expiry during a pause, blocking
 * commands), CLIENT KILL filters, CLIENT LIST/INFO fields, and the redis-cli
 * modes built on them (monitor, --stat, --latency, --bigkeys, --scan).
 *
 * Each scenario runs on both servers and records a transcript: the replies,
 * with what legitimately differs normalised (timestamps, ports, client ids),
 * and timing classes ("held", "at once") instead of raw times. The two
 * transcripts must be equal byte for byte. Pauses are a few hundred ms and
 * every wait is bounded. Without redis-server the differential tests are
 * skipped; the respd-only ones (unix socket, MAXAGE, buffer fields) run.
 */
#include "harness.h"
#include "hdiff.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

static h_server respd_srv, redis_srv;
static int have_redis;
static char sock_dir[128];
static char sock_path[256];

/* ---- small helpers ---------------------------------------------------------- */

static h_conn *conn(int port)
{
    h_conn *c = h_connect(port, 2000);
    assert_non_null(c);
    return c;
}

static h_conn *unix_conn(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    assert_true(strlen(path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        fail_msg("connect %s: %s", path, strerror(errno));
    }
    h_conn *c = calloc(1, sizeof(*c));
    c->fd = fd;
    return c;
}

static char *call(h_conn *c, const char *line)
{
    char *r = h_call(c, line);
    if (!r)
        fail_msg("no reply to: %s", line);
    return r;
}

static long long call_int(h_conn *c, const char *line)
{
    char *r = call(c, line);
    long long v = 0;
    if (h_reply_int(r, &v) < 0)
        fail_msg("%s: not an integer reply: %s", line, r);
    free(r);
    return v;
}

/* Sends a command line without reading its reply. */
static void send_line(h_conn *c, const char *line)
{
    size_t n;
    char *req = h_request(line, &n);
    assert_non_null(req);
    assert_int_equal(h_send(c, req, n), 0);
    free(req);
}

/* The next reply within ms, or NULL. */
static char *reply_within(h_conn *c, int ms)
{
    char *r = NULL;
    if (h_read_reply(c, ms, &r, NULL) < 0)
        return NULL;
    return r;
}

static char *next_reply(h_conn *c)
{
    char *r = reply_within(c, H_REPLY_TIMEOUT_MS);
    if (!r)
        fail_msg("no reply within %d ms", H_REPLY_TIMEOUT_MS);
    return r;
}

/* "127.0.0.1:port" of our end of c: the server's addr= for it. */
static void addr_of(h_conn *c, char *buf, size_t size)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    assert_int_equal(getsockname(c->fd, (struct sockaddr *)&sa, &sl), 0);
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
    snprintf(buf, size, "%s:%d", ip, ntohs(sa.sin_port));
}

/* The value of field= in a CLIENT LIST/INFO text (its first occurrence; not
 * for id, the one field without a space before it), or "". */
static void field_of(const char *text, const char *field, char *out, size_t size)
{
    char key[64];
    snprintf(key, sizeof(key), " %s=", field);
    out[0] = '\0';
    const char *p = strstr(text, key);
    if (!p)
        return;
    p += strlen(key);
    size_t n = strcspn(p, " \n\r");
    snprintf(out, size, "%.*s", (int)n, p);
}

/* The CLIENT LIST line of client id in a CLIENT LIST reply, malloc'd. */
static char *line_of_id(const char *list, long long id)
{
    char key[40];
    snprintf(key, sizeof(key), "id=%lld ", id);
    const char *p = list;
    while ((p = strstr(p, key)) != NULL) {
        if (p == list || p[-1] == '\n' || p[-1] == ':')
            break;
        p++;
    }
    if (!p)
        return strdup("");
    size_t n = strcspn(p, "\n");
    return strndup(p, n);
}

/* Appends a formatted line to a growing transcript. */
static void note(char **t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(char **t, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    size_t old = *t ? strlen(*t) : 0;
    *t = realloc(*t, old + strlen(buf) + 2);
    memcpy(*t + old, buf, strlen(buf));
    (*t)[old + strlen(buf)] = '\n';
    (*t)[old + strlen(buf) + 1] = '\0';
}

/* Notes a reply, escaped. */
static void note_reply(char **t, const char *tag, const char *r)
{
    char *e = r ? h_escape(r, strlen(r), 400) : strdup("(none)");
    note(t, "%s: %s", tag, e);
    free(e);
}

/* Asserts two transcripts are equal (RESPD_ITEST_VERBOSE=1 prints them). */
static void compare(const char *test, char *a, char *b)
{
    if (getenv("RESPD_ITEST_VERBOSE"))
        fprintf(stderr, "== %s\n%s", test, a ? a : "");
    if (strcmp(a ? a : "", b ? b : "") != 0)
        fprintf(stderr, "MISMATCH %s\n--- respd:\n%s--- redis:\n%s", test, a ? a : "",
                b ? b : "");
    assert_string_equal(a ? a : "", b ? b : "");
    free(a);
    free(b);
}

static long long wall_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* Checks a monitor line's shape and normalises it: the timestamp becomes T
 * (after checking it is within a minute of our clock) and each known
 * address becomes its name. Returns a malloc'd copy. */
static char *normalise_monitor(const char *r, int n, char (*addrs)[64], const char *const *names)
{
    if (r[0] != '+' || r[1] < '0' || r[1] > '9')
        return strdup(r); /* a reply, not a monitor line */
    const char *p = r + 1;
    char *end;
    long long secs = strtoll(p, &end, 10);
    if (end == p || *end != '.')
        fail_msg("bad monitor timestamp: %s", r);
    const char *us = end + 1;
    for (int i = 0; i < 6; i++)
        if (us[i] < '0' || us[i] > '9')
            fail_msg("monitor micros not 6 digits: %s", r);
    if (us[6] != ' ' || us[7] != '[')
        fail_msg("bad monitor line: %s", r);
    long long now = wall_us() / 1000000;
    if (secs < now - 60 || secs > now + 60)
        fail_msg("monitor timestamp %lld far from now %lld", secs, now);
    const char *db = us + 8;
    const char *sp = strchr(db, ' ');
    const char *close = sp ? strchr(sp, ']') : NULL;
    if (!sp || !close)
        fail_msg("bad monitor line: %s", r);
    const char *who = "?";
    for (int i = 0; i < n; i++)
        if ((size_t)(close - sp - 1) == strlen(addrs[i]) &&
            !strncmp(sp + 1, addrs[i], strlen(addrs[i])))
            who = names[i];
    char *out = malloc(strlen(r) + 64);
    sprintf(out, "+T [%.*s %s%s", (int)(sp - db), db, who, close);
    return out;
}

/* ---- MONITOR ---------------------------------------------------------------- */

typedef struct step {
    char who;          /* 'A' or 'B' */
    char mode;         /* 'c' call, 's' send only, 'r' read one reply */
    const char *line;
} step;

/* The monitor transcript of a script run by A and B on one server. */
static char *monitor_script(int port, const step *steps)
{
    h_conn *m = conn(port), *a = conn(port), *b = conn(port);
    char addrs[3][64];
    const char *names[3] = {"A", "B", "M"};
    addr_of(a, addrs[0], 64);
    addr_of(b, addrs[1], 64);
    addr_of(m, addrs[2], 64);
    free(call(a, "FLUSHALL"));
    h_expect(m, "MONITOR", "+OK\r\n");
    char *t = NULL;
    for (int i = 0; steps[i].line || steps[i].mode == 'r'; i++) {
        h_conn *c = steps[i].who == 'A' ? a : b;
        if (steps[i].mode == 's') {
            send_line(c, steps[i].line);
        } else if (steps[i].mode == 'r') {
            free(next_reply(c));
        } else {
            free(call(c, steps[i].line));
        }
    }
    free(call(a, "ECHO end"));
    for (int k = 0; k < 200; k++) {
        char *r = next_reply(m);
        char *n = normalise_monitor(r, 3, addrs, names);
        note_reply(&t, "M", n);
        int done = strstr(r, "\"ECHO\" \"end\"") != NULL;
        free(r);
        free(n);
        if (done)
            break;
    }
    /* Nothing more: the hidden commands left no line behind. */
    note(&t, "quiet after: %d", h_no_data(m, 100));
    h_close(m);
    h_close(a);
    h_close(b);
    return t;
}

/* The lines a monitor receives: format, escaping, db after SELECT,
 * redaction of AUTH and HELLO AUTH, admin and refused commands hidden,
 * a blocked command shown once. */
static void test_monitor_lines_match_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    static const step steps[] = {
        {'A', 'c', "SET k \"a b\\\"c\\\\\\n\\r\\t\\x07\\x08\\x01\\xff\\xc3\\xa9 ~\""},
        {'A', 'c', "GET k"},
        {'A', 'c', "SELECT 5"},
        {'A', 'c', "SET x 1"},
        {'A', 'c', "SELECT 0"},
        {'A', 'c', "AUTH foo"},
        {'A', 'c', "AUTH default foo"},
        {'A', 'c', "AUTH a b c"},
        {'A', 'c', "HELLO 3 AUTH default pw"},
        {'A', 'c', "HELLO 2 SETNAME auth AUTH default pw"},
        {'A', 'c', "HELLO 2 AUTH default pw AUTH nobody x"},
        {'A', 'c', "HELLO 2 SETNAME \"a b\" AUTH default pw"},
        {'A', 'c', "HELLO 2 AUTH default"},
        {'A', 'c', "hello 2 auth default pw"},
        {'A', 'c', "CLIENT LIST"},
        {'A', 'c', "CONFIG GET port"},
        {'A', 'c', "DEBUG SLEEP 0"},
        {'A', 'c', "CLIENT KILL ID 999999"},
        {'A', 'c', "CLIENT SETNAME n1"},
        {'A', 'c', "NOSUCH x"},
        {'A', 'c', "GET"},
        {'A', 'c', "CLIENT FOO"},
        {'A', 'c', "INCR k"},
        {'A', 'c', "Set Mixed Case"},
        {'A', 'c', "EXPIRE k 100"},
        {'A', 'c', "OBJECT ENCODING nokey"},
        {'A', 's', "BLPOP q 0"},
        {'B', 'c', "RPUSH q x"},
        {'A', 'r', NULL},
        {'A', 'c', "BLPOP q 0.01"},
        {'A', 'c', "EVAL \"return 1\" 0"},
        {'A', 'c', "EVALSHA 0123456789012345678901234567890123456789 0"},
        {'A', 'c', "FCALL nosuch 0"},
        {'A', 'c', "PING"},
        {'B', 'c', "SET \"\" \"\""},
        {0, 0, NULL},
    };
    char *a = monitor_script(respd_srv.port, steps);
    char *b = monitor_script(redis_srv.port, steps);
    compare(__func__, a, b);
}

/* What a monitor may do: no keyspace commands, others answered and fed
 * back to it; a second MONITOR is ignored; RESET ends the mode. */
static char *monitor_self(int port)
{
    h_conn *m = conn(port), *a = conn(port);
    char addrs[2][64];
    const char *names[2] = {"M", "A"};
    addr_of(m, addrs[0], 64);
    addr_of(a, addrs[1], 64);
    char *t = NULL;
    static const struct {
        const char *line;
        int replies; /* the reply, then monitor lines */
    } steps[] = {
        {"MONITOR", 1},  {"GET k", 1},     {"SET k v", 1},      {"DBSIZE", 1},
        {"SCAN 0", 1},   {"SET", 1},       {"PING", 2},         {"ECHO x", 2},
        {"SELECT 1", 2}, {"MONITOR", 0},   {"CLIENT SETNAME mon", 2}, {NULL, 0},
    };
    for (int i = 0; steps[i].line; i++) {
        send_line(m, steps[i].line);
        for (int k = 0; k < steps[i].replies; k++) {
            char *r = next_reply(m);
            char *n = normalise_monitor(r, 2, addrs, names);
            note_reply(&t, steps[i].line, n);
            free(r);
            free(n);
        }
        if (steps[i].replies == 0)
            note(&t, "%s: no reply %d", steps[i].line, h_no_data(m, 150));
    }
    /* CLIENT INFO of a monitor: flag O, its db, the command. */
    char *r = call(m, "CLIENT INFO");
    char flags[32], db[8], cmd[32];
    field_of(r, "flags", flags, sizeof(flags));
    field_of(r, "db", db, sizeof(db));
    field_of(r, "cmd", cmd, sizeof(cmd));
    note(&t, "CLIENT INFO: flags=%s db=%s cmd=%s", flags, db, cmd);
    free(r);
    free(next_reply(m)); /* its own CLIENT INFO line */
    free(call(a, "SET k v"));
    r = next_reply(m);
    char *n = normalise_monitor(r, 2, addrs, names);
    note_reply(&t, "A's SET", n);
    free(r);
    free(n);
    /* RESET: no longer a monitor, keyspace commands allowed again. */
    r = call(m, "RESET");
    note_reply(&t, "RESET", r);
    free(r);
    free(call(a, "SET k v2"));
    note(&t, "quiet after RESET: %d", h_no_data(m, 150));
    r = call(m, "GET k");
    note_reply(&t, "GET k", r);
    free(r);
    r = call(m, "CLIENT INFO");
    field_of(r, "flags", flags, sizeof(flags));
    note(&t, "flags after RESET: %s", flags);
    free(r);
    h_close(m);
    h_close(a);
    return t;
}

static void test_monitor_client_rules_match_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    compare(__func__, monitor_self(respd_srv.port), monitor_self(redis_srv.port));
}

/* A client on the unix socket appears as "unix:<path>" (Redis's format)
 * and as addr=<path>:0 with flag U; CLIENT KILL ADDR takes that form. */
static void test_monitor_and_list_unix_socket(void **state)
{
    (void)state;
    h_conn *m = conn(respd_srv.port), *a = conn(respd_srv.port);
    h_conn *u = unix_conn(sock_path);
    h_expect(m, "MONITOR", "+OK\r\n");
    h_expect(u, "SET a \"b c\"", "+OK\r\n");
    char *r = next_reply(m);
    char want[512];
    snprintf(want, sizeof(want), "[0 unix:%s] \"SET\" \"a\" \"b c\"\r\n", sock_path);
    if (!strstr(r, want))
        fail_msg("monitor line %s lacks %s", r, want);
    free(r);
    r = call(u, "CLIENT INFO");
    char addr[300], laddr[300], flags[16];
    field_of(r, "addr", addr, sizeof(addr));
    field_of(r, "laddr", laddr, sizeof(laddr));
    field_of(r, "flags", flags, sizeof(flags));
    free(r);
    snprintf(want, sizeof(want), "%s:0", sock_path);
    assert_string_equal(addr, want);
    assert_string_equal(laddr, want);
    assert_string_equal(flags, "U");
    free(next_reply(m)); /* CLIENT INFO's line */
    char kill[512];
    snprintf(kill, sizeof(kill), "CLIENT KILL ADDR %s:0", sock_path);
    assert_int_equal(call_int(a, kill), 1);
    assert_true(h_wait_closed(u, 2000));
    h_close(u);
    h_close(a);
    h_close(m);
}

/* ---- CLIENT PAUSE ------------------------------------------------------------ */

/* WRITE: writes (and what follows them on that connection) wait, reads
 * run, malformed writes are answered at once, expired keys stay in place
 * but read as missing; at the end everything runs and expiry resumes. */
static char *pause_write(int port)
{
    h_conn *a = conn(port), *b = conn(port), *c = conn(port);
    char *t = NULL;
    free(call(a, "FLUSHALL"));
    free(call(a, "SET k v"));
    free(call(a, "SET e v PX 300"));
    long long bid = call_int(b, "CLIENT ID");
    long long t0 = h_now_ms();
    h_expect(a, "CLIENT PAUSE 1000 WRITE", "+OK\r\n");
    assert_int_equal(h_send_str(b, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
                                   "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv2\r\n"
                                   "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
                     0);
    char *r = next_reply(b);
    note_reply(&t, "B GET (before the SET)", r);
    free(r);
    note(&t, "B SET held: %d", h_no_data(b, 150));
    r = call(c, "GET k");
    note_reply(&t, "C GET", r);
    free(r);
    r = call(c, "SET k");
    note_reply(&t, "C SET (arity)", r);
    free(r);
    r = call(c, "CLIENT PAUSE 10 WRITE"); /* not a write: runs, ends no earlier */
    note_reply(&t, "C CLIENT PAUSE", r);
    free(r);
    send_line(c, "EXPIRE k 100");
    char id[32];
    snprintf(id, sizeof(id), "%lld", bid);
    char cmdline[64];
    snprintf(cmdline, sizeof(cmdline), "CLIENT LIST ID %s", id);
    r = call(a, cmdline);
    static const char *const fields[] = {"flags", "cmd", "argv-mem", "qbuf", NULL};
    for (int k = 0; fields[k]; k++) {
        char v[64];
        field_of(r, fields[k], v, sizeof(v));
        note(&t, "B %s=%s", fields[k], v);
    }
    free(r);
    r = call(a, "INFO clients");
    note(&t, "INFO blocked_clients:2 %d", strstr(r, "\r\nblocked_clients:2\r\n") != NULL);
    free(r);
    /* e's 300 ms pass during the pause: it reads as gone, but stays. */
    long long left = t0 + 450 - h_now_ms();
    if (left > 0)
        h_sleep_ms(left);
    static const char *const reads[] = {"EXISTS e", "TTL e", "GET e", "DBSIZE", "KEYS *",
                                        "RANDOMKEY", "SCAN 0 COUNT 100", NULL};
    for (int k = 0; reads[k]; k++) {
        r = call(a, reads[k]);
        note_reply(&t, reads[k], r);
        free(r);
    }
    r = next_reply(b);
    note_reply(&t, "B SET", r);
    free(r);
    long long waited = h_now_ms() - t0;
    note(&t, "B's SET waited for the pause: %d", waited >= 900);
    r = next_reply(b);
    note_reply(&t, "B GET (after the SET)", r);
    free(r);
    r = next_reply(c);
    note_reply(&t, "C EXPIRE", r);
    free(r);
    /* Expiry resumes: e goes (bounded wait for the active cycle). */
    long long n = -1;
    for (int k = 0; k < 40 && n != 1; k++) {
        n = call_int(a, "DBSIZE");
        if (n != 1)
            h_sleep_ms(50);
    }
    note(&t, "DBSIZE after the pause: %lld", n);
    h_close(a);
    h_close(b);
    h_close(c);
    return t;
}

static void test_pause_write_matches_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    compare(__func__, pause_write(respd_srv.port), pause_write(redis_srv.port));
}

/* ALL: every command waits, unknown ones and CLIENT UNPAUSE included, but
 * not a monitor's; a monitor's UNPAUSE releases them at once. A later
 * PAUSE makes the type stronger and never ends the pause sooner. */
static char *pause_all(int port)
{
    h_conn *m = conn(port), *a = conn(port), *b = conn(port);
    char addrs[3][64];
    const char *names[3] = {"M", "A", "B"};
    addr_of(m, addrs[0], 64);
    addr_of(a, addrs[1], 64);
    addr_of(b, addrs[2], 64);
    long long aid = call_int(a, "CLIENT ID"), bid = call_int(b, "CLIENT ID");
    char *t = NULL;
    h_expect(m, "MONITOR", "+OK\r\n");
    long long t0 = h_now_ms();
    h_expect(a, "CLIENT PAUSE 3000 ALL", "+OK\r\n");
    send_line(b, "PING");
    send_line(b, "NOSUCH");
    send_line(a, "CLIENT UNPAUSE");
    note(&t, "B held: %d", h_no_data(b, 150));
    note(&t, "A's UNPAUSE held: %d", h_no_data(a, 1));
    char *r = call(m, "ECHO monitor-runs");
    note_reply(&t, "M ECHO", r);
    free(r);
    r = next_reply(m);
    char *n = normalise_monitor(r, 3, addrs, names);
    note_reply(&t, "M line", n);
    free(r);
    free(n);
    r = call(m, "CLIENT LIST");
    for (int k = 0; k < 2; k++) {
        char *line = line_of_id(r, k ? bid : aid);
        char flags[16], cmd[32];
        field_of(line, "flags", flags, sizeof(flags));
        field_of(line, "cmd", cmd, sizeof(cmd));
        note(&t, "%s flags=%s cmd=%s", k ? "B" : "A", flags, cmd);
        free(line);
    }
    free(r);
    h_expect(m, "CLIENT UNPAUSE", "+OK\r\n");
    r = next_reply(b);
    note_reply(&t, "B PING", r);
    free(r);
    r = next_reply(b);
    note_reply(&t, "B NOSUCH", r);
    free(r);
    r = next_reply(a);
    note_reply(&t, "A UNPAUSE", r);
    free(r);
    note(&t, "released before the timeout: %d", h_now_ms() - t0 < 2000);
    r = next_reply(m);
    n = normalise_monitor(r, 3, addrs, names);
    note_reply(&t, "M line", n);
    free(r);
    free(n);
    /* WRITE 700 then ALL 100: ALL until the later end. */
    t0 = h_now_ms();
    h_expect(m, "CLIENT PAUSE 700 WRITE", "+OK\r\n"); /* admin: no monitor line */
    h_expect(a, "CLIENT PAUSE 100 ALL", "+OK\r\n");
    send_line(b, "PING");
    note(&t, "B PING held past the ALL's own end: %d", h_no_data(b, 400));
    r = next_reply(b);
    note_reply(&t, "B PING", r);
    free(r);
    note(&t, "waited for the WRITE's end: %d", h_now_ms() - t0 >= 550);
    r = next_reply(m);
    n = normalise_monitor(r, 3, addrs, names);
    note_reply(&t, "M line", n);
    free(r);
    free(n);
    h_close(m);
    h_close(a);
    h_close(b);
    return t;
}

static void test_pause_all_matches_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    compare(__func__, pause_all(respd_srv.port), pause_all(redis_srv.port));
}

/* Held commands run in the order they arrived, as soon as CLIENT UNPAUSE
 * comes. Blocking commands: one blocked before the pause times out during
 * it; one sent during a WRITE pause waits, then blocks for its timeout. */
static char *pause_order_blocking(int port)
{
    h_conn *a = conn(port), *c[3];
    char *t = NULL;
    free(call(a, "FLUSHALL"));
    for (int i = 0; i < 3; i++)
        c[i] = conn(port);
    h_expect(a, "CLIENT PAUSE 5000 WRITE", "+OK\r\n");
    static const char *const appends[] = {"APPEND s b", "APPEND s c", "APPEND s d"};
    for (int i = 0; i < 3; i++) {
        send_line(c[i], appends[i]);
        h_sleep_ms(30); /* so that they reach the server in this order */
    }
    char *r = call(a, "GET s");
    note_reply(&t, "GET s during the pause", r);
    free(r);
    long long t0 = h_now_ms();
    h_expect(a, "CLIENT UNPAUSE", "+OK\r\n");
    for (int i = 0; i < 3; i++) {
        r = next_reply(c[i]);
        note_reply(&t, appends[i], r);
        free(r);
    }
    note(&t, "released at once: %d", h_now_ms() - t0 < 1000);
    r = call(a, "GET s");
    note_reply(&t, "GET s", r);
    free(r);
    /* A BLPOP blocked before the pause times out during it. */
    send_line(c[0], "BLPOP q 0.2");
    h_sleep_ms(30);
    t0 = h_now_ms();
    h_expect(a, "CLIENT PAUSE 900 WRITE", "+OK\r\n");
    r = next_reply(c[0]);
    note_reply(&t, "BLPOP blocked before", r);
    free(r);
    note(&t, "timed out during the pause: %d", h_now_ms() - t0 < 700);
    /* Sent during the pause: waits for it, then blocks 0.2 s. */
    send_line(c[1], "BLPOP q 0.2");
    r = next_reply(c[1]);
    note_reply(&t, "BLPOP sent during", r);
    free(r);
    note(&t, "waited, then blocked: %d", h_now_ms() - t0 >= 950);
    for (int i = 0; i < 3; i++)
        h_close(c[i]);
    h_close(a);
    return t;
}

static void test_pause_order_and_blocking_match_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    compare(__func__, pause_order_blocking(respd_srv.port),
            pause_order_blocking(redis_srv.port));
}

/* Argument errors, byte for byte (RESP2 and RESP3). */
static void test_pause_monitor_kill_list_errors_match_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    static const char *const steps[] = {
        "CLIENT PAUSE",
        "CLIENT PAUSE abc",
        "CLIENT PAUSE -1",
        "CLIENT PAUSE 1.5",
        "CLIENT PAUSE \" 10\"",
        "CLIENT PAUSE +10",
        "CLIENT PAUSE 99999999999999999999",
        "CLIENT PAUSE 10 foo",
        "CLIENT PAUSE abc foo",
        "CLIENT PAUSE -1 foo",
        "CLIENT PAUSE 10 WRITE x",
        "CLIENT PAUSE 0",
        "CLIENT PAUSE 0 write",
        "CLIENT PAUSE 0 All",
        "CLIENT PAUSE 9223372036854775807",
        "PING",
        "CLIENT UNPAUSE",
        "CLIENT UNPAUSE",
        "CLIENT UNPAUSE x",
        "MONITOR x",
        "CLIENT KILL ID abc TYPE",
        "CLIENT KILL TYPE foo ID",
        "CLIENT KILL ID 1 FOO",
        "CLIENT KILL SKIPME yes ADDR",
        "CLIENT KILL ADDR x SKIPME maybe",
        "CLIENT KILL USER nobody x",
        "CLIENT KILL LADDR x USER y",
        "CLIENT KILL ID 99999999999999999999",
        "CLIENT KILL ID 9223372036854775807",
        "CLIENT KILL ID 1.5",
        "CLIENT KILL TYPE normal TYPE master",
        "CLIENT KILL TYPE slave",
        "CLIENT KILL TYPE Replica",
        "CLIENT KILL TYPE PUBSUB",
        "CLIENT KILL USER default ID 999999",
        "CLIENT KILL 1.2.3.4:5",
        "CLIENT KILL MAXAGE",
        "CLIENT LIST TYPE Normal ID 1",
        "CLIENT LIST ID 1 x",
        "CLIENT LIST TYPE",
        NULL,
    };
    assert_int_equal(hdiff_run(__func__, respd_srv.port, redis_srv.port, steps, 1), 0);
}

/* ---- CLIENT KILL and CLIENT LIST ------------------------------------------- */

static char *kill_filters(int port)
{
    h_conn *a = conn(port), *b = conn(port), *c = conn(port), *d = conn(port), *e = conn(port),
           *m = conn(port);
    char *t = NULL;
    char addr_a[64], addr_c[64], addr_d[64], laddr[64], line[256];
    addr_of(a, addr_a, sizeof(addr_a));
    addr_of(c, addr_c, sizeof(addr_c));
    addr_of(d, addr_d, sizeof(addr_d));
    snprintf(laddr, sizeof(laddr), "127.0.0.1:%d", port);
    long long aid = call_int(a, "CLIENT ID"), bid = call_int(b, "CLIENT ID");
    long long eid = call_int(e, "CLIENT ID"), mid = call_int(m, "CLIENT ID");
    h_expect(m, "MONITOR", "+OK\r\n");
#define KILL(fmt, ...)                                                                             \
    do {                                                                                           \
        snprintf(line, sizeof(line), fmt, __VA_ARGS__);                                            \
        char *r_ = call(a, line);                                                                  \
        note_reply(&t, fmt, r_);                                                                   \
        free(r_);                                                                                  \
    } while (0)
    KILL("CLIENT KILL ID %lld", bid);
    note(&t, "B closed: %d", h_wait_closed(b, 2000));
    KILL("CLIENT KILL ADDR %s", addr_c);
    note(&t, "C closed: %d", h_wait_closed(c, 2000));
    KILL("CLIENT KILL %s", addr_d);
    note(&t, "D closed: %d", h_wait_closed(d, 2000));
    KILL("CLIENT KILL %s", addr_d);
    KILL("CLIENT KILL ID %lld", aid);
    KILL("CLIENT KILL ADDR %s SKIPME yes", addr_a);
    KILL("CLIENT KILL ID %lld TYPE pubsub", eid);
    KILL("CLIENT KILL ID %lld TYPE master", eid);
    KILL("CLIENT KILL ID %lld TYPE replica", eid);
    KILL("CLIENT KILL ID %lld LADDR 1.2.3.4:5", eid);
    KILL("CLIENT KILL USER default ID %lld LADDR %s", eid, laddr);
    note(&t, "E closed: %d", h_wait_closed(e, 2000));
    /* A monitor is a normal client. */
    KILL("CLIENT KILL TYPE normal ID %lld", mid);
    note(&t, "M closed: %d", h_wait_closed(m, 2000));
    /* The old form kills the caller too, after the reply. */
    KILL("CLIENT KILL %s", addr_a);
    note(&t, "A closed: %d", h_wait_closed(a, 2000));
#undef KILL
    h_close(a);
    h_close(b);
    h_close(c);
    h_close(d);
    h_close(e);
    h_close(m);
    return t;
}

static void test_client_kill_filters_match_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    compare(__func__, kill_filters(respd_srv.port), kill_filters(redis_srv.port));
}

/* CLIENT KILL MAXAGE (Redis 7.4): clients at least that many seconds old. */
static void test_client_kill_maxage(void **state)
{
    (void)state;
    h_conn *old = conn(respd_srv.port);
    free(call(old, "PING"));
    h_sleep_ms(1100);
    h_conn *young = conn(respd_srv.port), *other = conn(respd_srv.port);
    long long oid = call_int(old, "CLIENT ID");
    char line[128];
    snprintf(line, sizeof(line), "CLIENT KILL MAXAGE 1 ID %lld", oid);
    char line100[128];
    snprintf(line100, sizeof(line100), "CLIENT KILL MAXAGE 100 ID %lld", oid);
    h_expect(young, line100, ":0\r\n");
    h_expect(young, line, ":1\r\n");
    assert_true(h_wait_closed(old, 2000));
    h_expect(young, "CLIENT KILL MAXAGE abc",
           "-ERR maxage is not an integer or out of range\r\n");
    /* MAXAGE 0 filters nothing: with SKIPME, every other client goes. */
    long long yid = call_int(young, "CLIENT ID");
    snprintf(line, sizeof(line), "CLIENT KILL MAXAGE 0 ID %lld", yid);
    h_expect(other, line, ":1\r\n");
    assert_true(h_wait_closed(young, 2000));
    h_expect(other, "PING", "+PONG\r\n");
    h_close(old);
    h_close(young);
    h_close(other);
}

/* CLIENT LIST/INFO: the same fields as Redis, in order (respd adds 7.2's
 * lib-name and lib-ver), and the same values where they describe state:
 * flags of blocked clients and monitors, cmd after errors, argv-mem and
 * qbuf of the command being run, ID order. */
static char *list_fields(int port)
{
    h_conn *a = conn(port), *b = conn(port), *m = conn(port), *c = conn(port);
    char *t = NULL;
    long long aid = call_int(a, "CLIENT ID"), bid = call_int(b, "CLIENT ID");
    long long mid = call_int(m, "CLIENT ID"), cid = call_int(c, "CLIENT ID");
    free(call(a, "DEL q"));
    h_expect(m, "MONITOR", "+OK\r\n");
    send_line(b, "BLPOP q 0");
    h_sleep_ms(50);
    char line[128];
    /* Field names, from CLIENT INFO. */
    char *r = call(a, "CLIENT INFO");
    const char *p = strstr(r, "id=");
    char names[1024] = "";
    while (p && *p && *p != '\n') {
        const char *eq = strchr(p, '=');
        if (!eq)
            break;
        size_t n = (size_t)(eq - p);
        if (!(n == 8 && !strncmp(p, "lib-name", 8)) && !(n == 7 && !strncmp(p, "lib-ver", 7)))
            snprintf(names + strlen(names), sizeof(names) - strlen(names), "%.*s ", (int)n, p);
        p = strchr(eq, ' ');
        p = p ? p + 1 : NULL;
    }
    note(&t, "fields: %s", names);
    static const char *const own[] = {"flags", "db", "qbuf", "argv-mem", "cmd", "events",
                                      "multi", "sub", NULL};
    for (int k = 0; own[k]; k++) {
        char v[64];
        field_of(r, own[k], v, sizeof(v));
        note(&t, "A %s=%s", own[k], v);
    }
    free(r);
    snprintf(line, sizeof(line), "CLIENT LIST ID %lld %lld %lld 0 -1 99999", bid, aid, bid);
    r = call(a, line);
    char order[128] = "";
    for (const char *q = r; (q = strstr(q, "id=")) != NULL; q += 3) {
        long long id = atoll(q + 3);
        strcat(order, id == aid ? "A " : id == bid ? "B " : "? ");
    }
    note(&t, "CLIENT LIST ID order: %s", order);
    free(r);
    r = call(a, "CLIENT LIST TYPE normal");
    char *lines[3] = {line_of_id(r, bid), line_of_id(r, mid), line_of_id(r, aid)};
    static const char *const who[3] = {"B (blocked)", "M (monitor)", "A"};
    for (int k = 0; k < 3; k++) {
        char flags[16], cmd[32], argv_mem[16], qbuf[16];
        field_of(lines[k], "flags", flags, sizeof(flags));
        field_of(lines[k], "cmd", cmd, sizeof(cmd));
        field_of(lines[k], "argv-mem", argv_mem, sizeof(argv_mem));
        field_of(lines[k], "qbuf", qbuf, sizeof(qbuf));
        note(&t, "%s: listed %d flags=%s cmd=%s argv-mem=%s qbuf=%s", who[k], lines[k][0] != 0,
             flags, cmd, k == 2 ? "-" : argv_mem, k == 2 ? "-" : qbuf);
        free(lines[k]);
    }
    free(r);
    static const char *const types[] = {"replica", "slave", "master", "pubsub", NULL};
    for (int k = 0; types[k]; k++) {
        snprintf(line, sizeof(line), "CLIENT LIST TYPE %s", types[k]);
        r = call(a, line);
        note_reply(&t, line, r);
        free(r);
    }
    /* cmd= after commands that failed before or while running. */
    static const char *const tries[] = {"GET x",        "NOSUCH",     "GET",    "CLIENT FOO",
                                        "CONFIG GET",   "OBJECT",     "INCR",   "SET k v",
                                        "CLIENT SETNAME x", NULL};
    snprintf(line, sizeof(line), "CLIENT LIST ID %lld", cid);
    for (int k = 0; tries[k]; k++) {
        free(call(c, tries[k]));
        r = call(a, line);
        char cmd[32];
        field_of(r, "cmd", cmd, sizeof(cmd));
        note(&t, "after %s: cmd=%s", tries[k], cmd);
        free(r);
    }
    h_expect(a, "RPUSH q x", ":1\r\n");
    free(next_reply(b));
    h_close(a);
    h_close(b);
    h_close(m);
    h_close(c);
    return t;
}

static void test_client_list_fields_match_redis(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    compare(__func__, list_fields(respd_srv.port), list_fields(redis_srv.port));
}

/* respd's own numbers: qbuf counts a partial request; obl (up to 16 KB, like
 * Redis's static buffer) and omem (the rest, what client-output-buffer-limit
 * counts) the replies a client does not read; events shows the wait for
 * writability; all of it is inside tot-mem. */
static void test_client_list_buffer_numbers(void **state)
{
    (void)state;
    h_conn *a = conn(respd_srv.port), *b = conn(respd_srv.port);
    long long bid = call_int(b, "CLIENT ID");
    char line[64], v[32];
    snprintf(line, sizeof(line), "CLIENT LIST ID %lld", bid);
    static const char partial[] = "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$5\r\nab";
    assert_int_equal(h_send_str(b, partial), 0);
    long long qbuf = -1;
    for (int k = 0; k < 40 && qbuf != (long long)strlen(partial); k++) {
        char *r = call(a, line);
        field_of(r, "qbuf", v, sizeof(v));
        qbuf = atoll(v);
        field_of(r, "qbuf-free", v, sizeof(v));
        assert_true(atoll(v) > 0);
        free(r);
        if (qbuf != (long long)strlen(partial))
            h_sleep_ms(25);
    }
    assert_int_equal(qbuf, (long long)strlen(partial));
    assert_int_equal(h_send_str(b, "cde\r\n"), 0);
    char *r = next_reply(b);
    assert_string_equal(r, "+OK\r\n");
    free(r);
    /* A 1 MB value, asked for several times and not read. */
    size_t big = 1 << 20;
    char *val = malloc(big);
    memset(val, 'x', big);
    const char *argv[] = {"SET", "big", val};
    size_t lens[] = {3, 3, big};
    r = h_callv(a, 3, argv, lens);
    assert_string_equal(r, "+OK\r\n");
    free(r);
    free(val);
    /* More than loopback's socket buffers take, so that some must wait. */
    for (int k = 0; k < 16; k++)
        send_line(b, "GET big");
    long long obl = 0, omem = 0, totmem = 0;
    char events[8] = "";
    for (int k = 0; k < 80 && !(omem > 0 && strchr(events, 'w')); k++) {
        r = call(a, line);
        field_of(r, "obl", v, sizeof(v));
        obl = atoll(v);
        field_of(r, "omem", v, sizeof(v));
        omem = atoll(v);
        field_of(r, "tot-mem", v, sizeof(v));
        totmem = atoll(v);
        field_of(r, "events", events, sizeof(events));
        free(r);
        if (!(omem > 0 && strchr(events, 'w')))
            h_sleep_ms(25);
    }
    assert_int_equal(obl, 16384);
    assert_true(omem > 0);
    assert_true(totmem >= obl + omem);
    assert_string_equal(events, "rw");
    /* Read everything: the buffer drains. */
    for (int k = 0; k < 16; k++) {
        r = next_reply(b);
        assert_int_equal(strlen(r), big + 12); /* "$1048576\r\n" + value + CRLF */
        free(r);
    }
    r = call(a, line);
    field_of(r, "obl", v, sizeof(v));
    assert_string_equal(v, "0");
    field_of(r, "omem", v, sizeof(v));
    assert_string_equal(v, "0");
    field_of(r, "events", v, sizeof(v));
    assert_string_equal(v, "r");
    /* A reply buffer that grew past 1 MB is released as soon as it has been
     * written out. */
    field_of(r, "rbs", v, sizeof(v));
    assert_string_equal(v, "0");
    free(r);
    /* One between 16 KB and 1 MB is kept for the next batch and released by
     * the cron (10 times a second) once found empty. */
    r = call(b, "GETRANGE big 0 204799");
    assert_int_equal(strlen(r), 204800 + 11); /* "$204800\r\n" + value + CRLF */
    free(r);
    long long rbs = -1;
    for (int k = 0; k < 40 && rbs != 0; k++) {
        h_sleep_ms(50);
        r = call(a, line);
        field_of(r, "rbs", v, sizeof(v));
        rbs = atoll(v);
        free(r);
    }
    assert_int_equal(rbs, 0);
    h_expect(a, "DEL big", ":1\r\n");
    h_close(a);
    h_close(b);
}

/* ---- redis-cli modes --------------------------------------------------------- */

static void load_data(int port)
{
    h_conn *c = conn(port);
    free(call(c, "FLUSHALL"));
    h_expect(c, "MSET s1 hello s2 \"hello world!\" n 12345", "+OK\r\n");
    free(call(c, "RPUSH l1 a b c"));
    free(call(c, "HSET h1 f v f2 v2"));
    free(call(c, "SADD st a b"));
    free(call(c, "ZADD z 1 a 2 b 3 c"));
    /* Batches of 100 elements: h_call takes at most 256 arguments. */
    char cmd[8192];
    for (int batch = 0; batch < 10; batch++) {
        snprintf(cmd, sizeof(cmd), "RPUSH l2");
        for (int i = batch * 100; i < batch * 100 + 100; i++)
            snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " e%d", i);
        free(call(c, cmd));
        if (batch < 3) {
            snprintf(cmd, sizeof(cmd), "HSET h2");
            for (int i = batch * 100; i < batch * 100 + 100; i++)
                snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " f%d v%d", i, i);
            free(call(c, cmd));
        }
        if (batch < 6) {
            snprintf(cmd, sizeof(cmd), "SADD st2");
            for (int i = batch * 100; i < batch * 100 + 100; i++)
                snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %d", i);
            free(call(c, cmd));
        }
        if (batch < 2) {
            snprintf(cmd, sizeof(cmd), "ZADD z2");
            for (int i = batch * 100; i < batch * 100 + 100; i++)
                snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %d m%d", i, i);
            free(call(c, cmd));
        }
    }
    h_expect(c, "DBSIZE", ":11\r\n");
    h_close(c);
}

static char *run_cli(int port, const char *const *args, int timeout_ms, int *rc)
{
    const char *argv[16];
    char portbuf[16];
    snprintf(portbuf, sizeof(portbuf), "%d", port);
    int n = 0;
    argv[n++] = "redis-cli";
    argv[n++] = "-p";
    argv[n++] = portbuf;
    for (int i = 0; args[i] && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char *out = NULL;
    int st = h_run(argv, NULL, &out, timeout_ms);
    if (rc)
        *rc = st;
    return out ? out : strdup("");
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of text, sorted, joined again. */
static char *sorted_lines(const char *text)
{
    char *copy = strdup(text);
    char *lines[4096];
    int n = 0;
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l && n < 4096;
         l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    qsort(lines, (size_t)n, sizeof(char *), cmp_lines);
    size_t len = strlen(text) + 2;
    char *out = calloc(1, len);
    for (int i = 0; i < n; i++) {
        strcat(out, lines[i]);
        strcat(out, "\n");
    }
    free(copy);
    return out;
}

/* --bigkeys (DBSIZE, SCAN, TYPE and the length commands) and --scan
 * --pattern, on the same data as redis-server: the summary and the key
 * lists are the same. */
static void test_cli_bigkeys_and_scan_match_redis(void **state)
{
    (void)state;
    if (!have_redis || !h_which("redis-cli"))
        skip();
    int ports[2] = {respd_srv.port, redis_srv.port};
    char *summary[2], *scan_l[2], *scan_all[2];
    for (int i = 0; i < 2; i++) {
        load_data(ports[i]);
        int rc;
        static const char *const bigkeys[] = {"--bigkeys", NULL};
        char *out = run_cli(ports[i], bigkeys, 20000, &rc);
        assert_int_equal(rc, 0);
        const char *s = strstr(out, "-------- summary -------");
        if (!s)
            fail_msg("no summary in --bigkeys output:\n%s", out);
        summary[i] = strdup(s);
        free(out);
        static const char *const scan[] = {"--scan", "--pattern", "l*", NULL};
        out = run_cli(ports[i], scan, 10000, &rc);
        assert_int_equal(rc, 0);
        scan_l[i] = sorted_lines(out);
        free(out);
        /* 11 keys: more than one SCAN call at its default COUNT of 10. */
        static const char *const scan2[] = {"--scan", NULL};
        out = run_cli(ports[i], scan2, 10000, &rc);
        assert_int_equal(rc, 0);
        scan_all[i] = sorted_lines(out);
        free(out);
    }
    /* The summary names each type's biggest key and its size. */
    assert_non_null(strstr(summary[0], "Biggest   list found '\"l2\"' has 1000 items"));
    assert_non_null(strstr(summary[0], "Sampled 11 keys in the keyspace!"));
    assert_string_equal(scan_l[0], "l1\nl2\n");
    assert_string_equal(scan_all[0], "h1\nh2\nl1\nl2\nn\ns1\ns2\nst\nst2\nz\nz2\n");
    compare("bigkeys summary", summary[0], summary[1]);
    compare("--scan --pattern", scan_l[0], scan_l[1]);
    compare("--scan", scan_all[0], scan_all[1]);
}

/* --latency (PING) prints "min max avg samples"; --stat (INFO) prints
 * Redis's columns with the right key and client counts. */
static void test_cli_latency_and_stat(void **state)
{
    (void)state;
    if (!h_which("redis-cli") || !h_which("timeout") || !h_which("stdbuf"))
        skip();
    load_data(respd_srv.port);
    int rc;
    static const char *const lat[] = {"--latency", "-i", "0.1", NULL};
    char *out = run_cli(respd_srv.port, lat, 10000, &rc);
    assert_int_equal(rc, 0);
    long long mn, mx, samples;
    double avg;
    if (sscanf(out, "%lld %lld %lf %lld", &mn, &mx, &avg, &samples) != 4)
        fail_msg("--latency output: %s", out);
    assert_true(samples > 0);
    assert_true(mn <= mx && avg <= (double)mx + 0.5);
    free(out);
    char portbuf[16];
    snprintf(portbuf, sizeof(portbuf), "%d", respd_srv.port);
    char *outs[2] = {NULL, NULL};
    int ports[2] = {respd_srv.port, have_redis ? redis_srv.port : 0};
    for (int i = 0; i < (have_redis ? 2 : 1); i++) {
        if (i == 1)
            load_data(ports[i]);
        snprintf(portbuf, sizeof(portbuf), "%d", ports[i]);
        /* --stat runs until stopped; line buffering keeps what it printed. */
        const char *argv[] = {"timeout", "1.3", "stdbuf", "-oL", "redis-cli", "-p", portbuf,
                              "--stat", "-i", "0.2", NULL};
        h_run(argv, NULL, &outs[i], 10000);
        assert_non_null(outs[i]);
    }
    /* Header lines, then rows: keys mem clients blocked requests connections. */
    char *first_row = NULL;
    {
        char *copy = strdup(outs[0]);
        int row = 0;
        char *save = NULL;
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
            if (row == 2 && !first_row)
                first_row = strdup(l);
            row++;
        }
        assert_true(row >= 4);
        free(copy);
    }
    long long keys = -1, clients = -1, blocked = -1;
    char mem[32];
    if (!first_row || sscanf(first_row, "%lld %31s %lld %lld", &keys, mem, &clients, &blocked) != 4)
        fail_msg("--stat output:\n%s", outs[0]);
    assert_int_equal(keys, 11);
    assert_true(clients >= 1);
    assert_int_equal(blocked, 0);
    free(first_row);
    if (have_redis) {
        /* The two header lines are the same. */
        size_t h0 = (size_t)(strchr(strchr(outs[0], '\n') + 1, '\n') - outs[0]);
        size_t h1 = (size_t)(strchr(strchr(outs[1], '\n') + 1, '\n') - outs[1]);
        char *a = strndup(outs[0], h0), *b = strndup(outs[1], h1);
        compare("--stat header", a, b);
    }
    free(outs[0]);
    free(outs[1]);
}

/* `redis-cli monitor` shows OK, then each command in Redis's format. */
static void test_cli_monitor(void **state)
{
    (void)state;
    if (!h_which("redis-cli") || !h_which("timeout") || !h_which("stdbuf") || !h_which("sh"))
        skip();
    char script[512];
    snprintf(script, sizeof(script),
             "timeout 1.5 stdbuf -oL redis-cli -p %d monitor & sleep 0.4; "
             "redis-cli -p %d set mon:key 'a \"b\"' >/dev/null; wait",
             respd_srv.port, respd_srv.port);
    const char *argv[] = {"sh", "-c", script, NULL};
    char *out = NULL;
    h_run(argv, NULL, &out, 10000);
    assert_non_null(out);
    if (strncmp(out, "OK\n", 3) != 0)
        fail_msg("redis-cli monitor output:\n%s", out);
    const char *l = out + 3;
    long long secs;
    int us = -1, db = -1, n = 0;
    if (sscanf(l, "%lld.%6d [%d 127.0.0.1:%*d]%n", &secs, &us, &db, &n) != 3 || n == 0)
        fail_msg("redis-cli monitor line: %s", l);
    assert_int_equal(db, 0);
    static const char want[] = " \"set\" \"mon:key\" \"a \\\"b\\\"\"\n";
    if (strncmp(l + n, want, strlen(want)) != 0)
        fail_msg("redis-cli monitor line: %s", l);
    free(out);
}

/* ---- setup ------------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    if (h_mktempdir(sock_dir, sizeof(sock_dir)) < 0)
        return -1;
    snprintf(sock_path, sizeof(sock_path), "%s/respd.sock", sock_dir);
    const char *extra[] = {"--unixsocket", sock_path, NULL};
    return h_pair_start(&respd_srv, extra, &redis_srv, &have_redis);
}

static int group_teardown(void **state)
{
    (void)state;
    int st = h_pair_stop(&respd_srv, &redis_srv, have_redis);
    unlink(sock_path);
    rmdir(sock_dir);
    return st;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_monitor_lines_match_redis),
        cmocka_unit_test(test_monitor_client_rules_match_redis),
        cmocka_unit_test(test_monitor_and_list_unix_socket),
        cmocka_unit_test(test_pause_write_matches_redis),
        cmocka_unit_test(test_pause_all_matches_redis),
        cmocka_unit_test(test_pause_order_and_blocking_match_redis),
        cmocka_unit_test(test_pause_monitor_kill_list_errors_match_redis),
        cmocka_unit_test(test_client_kill_filters_match_redis),
        cmocka_unit_test(test_client_kill_maxage),
        cmocka_unit_test(test_client_list_fields_match_redis),
        cmocka_unit_test(test_client_list_buffer_numbers),
        cmocka_unit_test(test_cli_bigkeys_and_scan_match_redis),
        cmocka_unit_test(test_cli_latency_and_stat),
        cmocka_unit_test(test_cli_monitor),
    };
    return cmocka_run_group_tests_name("clientctl", tests, group_setup, group_teardown);
}
