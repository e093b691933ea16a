/* harness: servers, connections and RESP replies for the integration tests.
 * See harness.h for the contracts. libc and cmocka only.
 */
#include "harness.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

/* ---- time ------------------------------------------------------------------ */

long long h_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void h_sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- running under a wrapper ------------------------------------------------- */

static const char *wrapper(void)
{
    const char *w = getenv("RESPD_WRAPPER");
    return w && w[0] ? w : NULL;
}

int h_wrapped(void)
{
    return wrapper() != NULL;
}

int h_rss_meaningful(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 0;
#else
    return !wrapper();
#endif
}

int h_slowdown(void)
{
    if (!wrapper())
        return 1;
    const char *f = getenv("RESPD_SLOWDOWN");
    int v = f ? atoi(f) : 0;
    return v > 0 ? v : 10;
}

/* ---- what is left to clean up ---------------------------------------------------
 * Every process the harness started and every directory it made, until they
 * are released. cmocka leaves a failing test by longjmp, skipping the test's
 * own clean-up; at exit the survivors are killed (only these PIDs) and their
 * directories removed, so a failed run leaves nothing behind. */

#define MAX_TRACKED 256

static pid_t tracked_pids[MAX_TRACKED];
static char tracked_dirs[MAX_TRACKED][128];
static int cleanup_registered;

static void remove_tree(const char *dir);

/* Wrapped servers whose tool reported errors (see harness.h). */
static int wrapper_failures;

void h_kill_started(void)
{
    for (int i = 0; i < MAX_TRACKED; i++) {
        if (tracked_pids[i] > 0) {
            kill(tracked_pids[i], SIGKILL);
            waitpid(tracked_pids[i], NULL, 0);
            tracked_pids[i] = 0;
        }
    }
}

static void cleanup_at_exit(void)
{
    h_kill_started();
    for (int i = 0; i < MAX_TRACKED; i++) {
        if (tracked_dirs[i][0]) {
            remove_tree(tracked_dirs[i]);
            tracked_dirs[i][0] = '\0';
        }
    }
    if (wrapper_failures) {
        fprintf(stderr, "harness: %d server(s) run under $RESPD_WRAPPER reported errors\n",
                wrapper_failures);
        fflush(stderr);
        _exit(99);
    }
}

static void register_cleanup(void)
{
    if (!cleanup_registered) {
        atexit(cleanup_at_exit);
        cleanup_registered = 1;
    }
}

void h_track_pid(pid_t pid)
{
    register_cleanup();
    for (int i = 0; i < MAX_TRACKED; i++) {
        if (tracked_pids[i] <= 0) {
            tracked_pids[i] = pid;
            return;
        }
    }
}

static void untrack_pid(pid_t pid)
{
    for (int i = 0; i < MAX_TRACKED; i++)
        if (tracked_pids[i] == pid)
            tracked_pids[i] = 0;
}

static void track_dir(const char *dir)
{
    register_cleanup();
    for (int i = 0; i < MAX_TRACKED; i++) {
        if (!tracked_dirs[i][0]) {
            snprintf(tracked_dirs[i], sizeof(tracked_dirs[i]), "%s", dir);
            return;
        }
    }
}

static void untrack_dir(const char *dir)
{
    for (int i = 0; i < MAX_TRACKED; i++)
        if (tracked_dirs[i][0] && !strcmp(tracked_dirs[i], dir))
            tracked_dirs[i][0] = '\0';
}

/* ---- files and directories -------------------------------------------------- */

int h_mktempdir(char *path, size_t size)
{
    const char *base = getenv("TMPDIR");
    if (!base || !base[0])
        base = "/tmp";
    int n = snprintf(path, size, "%s/respd-itest-XXXXXX", base);
    if (n < 0 || (size_t)n >= size || !mkdtemp(path))
        return -1;
    track_dir(path);
    return 0;
}

int h_write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return close(fd);
}

char *h_read_file(const char *path, size_t *outlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (cap - len < 4096) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    if (outlen)
        *outlen = len;
    return buf;
}

/* Removes a directory with its plain files and empty subdirectories (the
 * harness creates no deeper trees). Only paths made by h_mktempdir reach
 * here. */
static void remove_tree(const char *path)
{
    if (!path[0] || strstr(path, "respd-itest-") == NULL)
        return;
    /* path may be the tracking slot itself, which untracking empties. */
    char dir[256];
    snprintf(dir, sizeof(dir), "%s", path);
    untrack_dir(dir);
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char p[PATH_MAX];
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            if (unlink(p) != 0)
                rmdir(p); /* an empty directory a test made */
        }
        closedir(d);
    }
    rmdir(dir);
}

void h_raise_nofile(long n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if ((long)rl.rlim_cur >= n)
        return;
    rl.rlim_cur = (rl.rlim_max == RLIM_INFINITY || (long)rl.rlim_max >= n) ? (rlim_t)n
                                                                            : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

/* ---- processes ---------------------------------------------------------------- */

const char *h_respd_bin(void)
{
    const char *b = getenv("RESPD_BIN");
    return b && b[0] ? b : "./build/respd";
}

int h_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sa);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

/* Forks and execs argv[0] (searched on PATH) with stdout and stderr going to
 * log_path and stdin from /dev/null. The child dies with the test process.
 * Returns the PID or -1. */
static pid_t spawn(char *const *argv, const char *log_path, const char *cwd)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int in = open("/dev/null", O_RDONLY);
        int out = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0)
            _exit(127);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        if (cwd && chdir(cwd) != 0)
            _exit(127);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], argv);
        _exit(127);
    }
    h_track_pid(pid);
    return pid;
}

static int decode_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

/* A wrapped server has ended: its tool's report is in its log. Exit status
 * 99 (the --error-exitcode the Makefile passes) or an "ERROR SUMMARY" other
 * than 0 errors is printed and counted. A server killed by a signal wrote no
 * report, and that is not an error here. */
static void check_wrapper_report(const h_server *s)
{
    char *log = h_read_file(s->log_path, NULL);
    if (!log)
        return;
    const char *sum = NULL;
    for (const char *p = log; (p = strstr(p, "ERROR SUMMARY: ")); p++)
        sum = p;
    long errors = sum ? strtol(sum + strlen("ERROR SUMMARY: "), NULL, 10) : 0;
    if (s->status == 99 || errors > 0) {
        fprintf(stderr, "harness: %s under $RESPD_WRAPPER exited with status %d; its report:\n",
                h_respd_bin(), s->status);
        /* The tool's lines carry a "==PID==" prefix; the server's own do not. */
        size_t shown = 0;
        for (char *line = log; *line && shown < 60000;) {
            char *nl = strchr(line, '\n');
            size_t n = nl ? (size_t)(nl - line + 1) : strlen(line);
            if (line[0] == '=' && line[1] == '=') {
                fwrite(line, 1, n, stderr);
                shown += n;
            }
            line += n;
        }
        wrapper_failures++;
    }
    free(log);
}

int h_server_wait(h_server *s, int timeout_ms)
{
    if (s->pid <= 0)
        return -1;
    long long deadline = h_now_ms() + timeout_ms;
    for (;;) {
        int st;
        pid_t r = waitpid(s->pid, &st, WNOHANG);
        if (r == s->pid) {
            untrack_pid(s->pid);
            s->pid = 0;
            s->status = decode_status(st);
            if (s->wrapped)
                check_wrapper_report(s);
            return s->status;
        }
        if (r < 0 && errno != EINTR) {
            untrack_pid(s->pid);
            s->pid = 0;
            s->status = -1;
            return -1;
        }
        if (h_now_ms() >= deadline)
            return -2;
        h_sleep_ms(5);
    }
}

int h_server_stop_keep(h_server *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    int st = h_server_wait(s, H_SERVER_TIMEOUT_MS);
    if (st == -2) {
        fprintf(stderr, "harness: pid %d ignored SIGTERM for %d ms, killing it\n", (int)s->pid,
                H_SERVER_TIMEOUT_MS);
        kill(s->pid, SIGKILL);
        st = h_server_wait(s, H_SERVER_TIMEOUT_MS);
    }
    return st;
}

void h_server_cleanup(h_server *s)
{
    remove_tree(s->dir);
    s->dir[0] = '\0';
}

int h_server_stop(h_server *s)
{
    int st = h_server_stop_keep(s);
    h_server_cleanup(s);
    return st;
}

void h_server_stop_ok(h_server *s)
{
    int st = h_server_stop_keep(s);
    if (st != 0) {
        char *log = h_server_log(s);
        fprintf(stderr, "harness: server exited with status %d; log:\n%s\n", st,
                log ? log : "(none)");
        free(log);
    }
    h_server_cleanup(s);
    assert_int_equal(st, 0);
}

char *h_server_log(const h_server *s)
{
    return h_read_file(s->log_path, NULL);
}

/* Reads the port from respd's "Running mode=standalone, port=N." line. */
static int log_port(const char *path)
{
    char *log = h_read_file(path, NULL);
    if (!log)
        return -1;
    int port = -1;
    const char *p = strstr(log, "Running mode=standalone, port=");
    if (p && strchr(p, '\n')) {
        p += strlen("Running mode=standalone, port=");
        char *end;
        long v = strtol(p, &end, 10);
        if (end != p && *end == '.' && v > 0 && v < 65536)
            port = (int)v;
    }
    free(log);
    return port;
}

static int setup_dir(h_server *s)
{
    memset(s, 0, sizeof(*s));
    if (h_mktempdir(s->dir, sizeof(s->dir)) < 0)
        return -1;
    snprintf(s->log_path, sizeof(s->log_path), "%s/server.log", s->dir);
    return 0;
}

int h_respd_start(h_server *s, const char *config_path, const char *const *extra)
{
    if (setup_dir(s) < 0)
        return -1;
    const char *argv[96];
    int n = 0;
    /* The wrapper's words (split on spaces; no quoting) go first. */
    static char words[1024];
    if (wrapper()) {
        snprintf(words, sizeof(words), "%s", wrapper());
        char *save = NULL;
        for (char *w = strtok_r(words, " \t", &save); w && n < 32; w = strtok_r(NULL, " \t", &save))
            argv[n++] = w;
        s->wrapped = 1;
    }
    argv[n++] = h_respd_bin();
    if (config_path)
        argv[n++] = config_path;
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--bind";
    argv[n++] = "127.0.0.1";
    for (int i = 0; extra && extra[i] && n < 95; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    s->pid = spawn((char *const *)argv, s->log_path, s->dir);
    if (s->pid < 0) {
        s->pid = 0;
        h_server_cleanup(s);
        return -1;
    }
    long long deadline = h_now_ms() + H_SERVER_TIMEOUT_MS;
    while (h_now_ms() < deadline) {
        int port = log_port(s->log_path);
        if (port > 0) {
            s->port = port;
            return 0;
        }
        if (h_server_wait(s, 0) != -2)
            break; /* it exited: bad arguments or config */
        h_sleep_ms(10);
    }
    char *log = h_server_log(s);
    fprintf(stderr, "harness: respd did not start; log:\n%s\n", log ? log : "(none)");
    free(log);
    h_server_stop(s);
    return -1;
}

h_conn *h_respd_start_connected(h_server *s, const char *config_path, const char *const *extra)
{
    assert_int_equal(h_respd_start(s, config_path, extra), 0);
    h_conn *c = h_connect(s->port, 2000);
    assert_non_null(c);
    return c;
}

int h_which(const char *name)
{
    const char *path = getenv("PATH");
    if (!path)
        return 0;
    char *copy = strdup(path);
    int found = 0;
    for (char *save = NULL, *d = strtok_r(copy, ":", &save); d && !found;
         d = strtok_r(NULL, ":", &save)) {
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/%s", d, name);
        found = access(p, X_OK) == 0;
    }
    free(copy);
    return found;
}

void h_need_tool(const char *name)
{
    if (!h_which(name)) {
        fprintf(stderr, "%s not installed: skipped\n", name);
        skip();
    }
}

int h_redis_available(void)
{
    return h_which("redis-server");
}

int h_run(const char *const *argv, const char *stdin_path, char **output, int timeout_ms)
{
    char dir[128], out_path[192];
    if (h_mktempdir(dir, sizeof(dir)) < 0)
        return -1;
    snprintf(out_path, sizeof(out_path), "%s/output", dir);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        remove_tree(dir);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int in = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0)
            _exit(127);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    h_track_pid(pid);
    h_server s = {.pid = pid};
    /* A tool that talks to the server waits for it: under valgrind, longer. */
    timeout_ms *= h_slowdown();
    int st = h_server_wait(&s, timeout_ms);
    if (st == -2) {
        fprintf(stderr, "harness: %s ran over %d ms, killing it\n", argv[0], timeout_ms);
        kill(pid, SIGKILL);
        h_server_wait(&s, H_SERVER_TIMEOUT_MS);
        st = -1;
    }
    if (output)
        *output = h_read_file(out_path, NULL);
    remove_tree(dir);
    return st;
}

/* One attempt at starting redis-server on the given port. */
static int redis_try(h_server *s, int port)
{
    char portbuf[16];
    snprintf(portbuf, sizeof(portbuf), "%d", port);
    const char *argv[] = {"redis-server", "--port", portbuf, "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "no", "--daemonize", "no",
                          "--dir", s->dir, "--enable-debug-command", "local", NULL};
    s->pid = spawn((char *const *)argv, s->log_path, s->dir);
    if (s->pid < 0) {
        s->pid = 0;
        return -1;
    }
    long long deadline = h_now_ms() + H_SERVER_TIMEOUT_MS;
    while (h_now_ms() < deadline) {
        if (h_server_wait(s, 0) != -2)
            return -1; /* exited, most likely the port was taken */
        h_conn *c = h_connect(port, 200);
        if (c) {
            char *r = h_call(c, "PING");
            h_close(c);
            int ok = r && strcmp(r, "+PONG\r\n") == 0;
            free(r);
            if (ok) {
                s->port = port;
                return 0;
            }
        }
        h_sleep_ms(20);
    }
    h_server_stop_keep(s);
    return -1;
}

int h_redis_start(h_server *s)
{
    if (!h_redis_available())
        return -1;
    if (setup_dir(s) < 0)
        return -1;
    for (int attempt = 0; attempt < 5; attempt++) {
        int port = h_free_port();
        if (port > 0 && redis_try(s, port) == 0)
            return 0;
    }
    char *log = h_server_log(s);
    fprintf(stderr, "harness: redis-server did not start; log:\n%s\n", log ? log : "(none)");
    free(log);
    h_server_cleanup(s);
    return -1;
}

int h_pair_start(h_server *respd, const char *const *extra, h_server *redis, int *have_redis)
{
    if (h_respd_start(respd, NULL, extra) < 0)
        return -1;
    *have_redis = h_redis_start(redis) == 0;
    if (!*have_redis)
        fprintf(stderr, "redis-server not available: the comparisons with it are skipped\n");
    return 0;
}

int h_pair_stop(h_server *respd, h_server *redis, int have_redis)
{
    int st = h_server_stop(respd);
    if (have_redis)
        h_server_stop(redis);
    if (st != 0) {
        fprintf(stderr, "respd exited with status %d\n", st);
        return -1;
    }
    return 0;
}

/* ---- connections ------------------------------------------------------------ */

h_conn *h_connect(int port, int timeout_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return NULL;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (errno != EINPROGRESS) {
            close(fd);
            return NULL;
        }
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int err = 0;
        socklen_t el = sizeof(err);
        if (poll(&p, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 ||
            err != 0) {
            close(fd);
            return NULL;
        }
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    h_conn *c = calloc(1, sizeof(*c));
    c->fd = fd;
    return c;
}

void h_close(h_conn *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    free(c);
}

/* Reads what is available into c->buf. Returns bytes read, 0 at EOF, -1 on
 * error or when nothing was there (errno EAGAIN). */
static ssize_t fill(h_conn *c)
{
    if (c->cap - c->len < 16384) {
        c->cap = c->cap ? c->cap * 2 : 65536;
        c->buf = realloc(c->buf, c->cap);
    }
    ssize_t n;
    do {
        n = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        c->len += (size_t)n;
        c->buf[c->len] = '\0';
    } else if (n == 0) {
        c->eof = 1;
    }
    return n;
}

int h_send(h_conn *c, const void *data, size_t len)
{
    const char *p = data;
    long long deadline = h_now_ms() + H_REPLY_TIMEOUT_MS;
    while (len > 0) {
        struct pollfd pf = {.fd = c->fd, .events = POLLOUT | POLLIN};
        int left = (int)(deadline - h_now_ms());
        if (left <= 0)
            return -1;
        int r = poll(&pf, 1, left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        if ((pf.revents & POLLIN) && !c->eof) {
            /* Drain replies so the server never stalls writing to us. */
            fill(c);
        }
        if (pf.revents & POLLOUT) {
            ssize_t w = send(c->fd, p, len, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EINTR || errno == EAGAIN)
                    continue;
                return -1;
            }
            p += w;
            len -= (size_t)w;
            deadline = h_now_ms() + H_REPLY_TIMEOUT_MS;
        } else if (pf.revents & (POLLERR | POLLHUP)) {
            return -1;
        } else if (c->eof) {
            return -1;
        }
    }
    return 0;
}

int h_send_str(h_conn *c, const char *s)
{
    return h_send(c, s, strlen(s));
}

/* Parses "<digits>\r\n" starting at b[pos] (after the type byte): returns
 * the index just past the CRLF, 0 when incomplete, -1 if malformed. */
static long header(const char *b, size_t len, size_t pos, long long *num, int want_num)
{
    size_t i = pos;
    while (i + 1 < len && !(b[i] == '\r' && b[i + 1] == '\n'))
        i++;
    if (i + 1 >= len)
        return 0;
    if (want_num) {
        char tmp[32];
        size_t n = i - pos;
        if (n == 0 || n >= sizeof(tmp))
            return -1;
        memcpy(tmp, b + pos, n);
        tmp[n] = '\0';
        char *end;
        errno = 0;
        *num = strtoll(tmp, &end, 10);
        if (*end || errno)
            return -1;
    }
    return (long)(i + 2);
}

long h_reply_len(const char *b, size_t len)
{
    size_t pos = 0;
    long long pending = 1;
    while (pending > 0) {
        if (pos >= len)
            return 0;
        char t = b[pos];
        long long n = 0;
        int numeric = strchr("$=!*%~>|", t) != NULL;
        if (!strchr("+-:_,#($=!*%~>|", t) || t == '\0')
            return -1;
        long next = header(b, len, pos + 1, &n, numeric);
        if (next <= 0)
            return next;
        pending--;
        if (t == '$' || t == '=' || t == '!') {
            if (n < -1 || (n == -1 && t != '$'))
                return -1;
            if (n >= 0) {
                if ((size_t)next + (size_t)n + 2 > len)
                    return 0;
                if (b[next + n] != '\r' || b[next + n + 1] != '\n')
                    return -1;
                next += (long)n + 2;
            }
        } else if (numeric) {
            if (n < -1 || n > (1LL << 32) || (n == -1 && t != '*'))
                return -1;
            if (n > 0)
                pending += (t == '%') ? 2 * n : (t == '|') ? 2 * n + 1 : n;
            else if (t == '|')
                pending += 1; /* an empty attribute still precedes a reply */
        }
        pos = (size_t)next;
    }
    return (long)pos;
}

static int wait_readable(h_conn *c, long long deadline)
{
    for (;;) {
        int left = (int)(deadline - h_now_ms());
        if (left < 0)
            left = 0;
        struct pollfd pf = {.fd = c->fd, .events = POLLIN};
        int r = poll(&pf, 1, left);
        if (r < 0 && errno == EINTR)
            continue;
        return r;
    }
}

int h_read_reply(h_conn *c, int timeout_ms, char **out, size_t *outlen)
{
    long long deadline = h_now_ms() + timeout_ms;
    for (;;) {
        long n = h_reply_len(c->buf, c->len);
        if (n < 0)
            return -1;
        if (n > 0) {
            *out = malloc((size_t)n + 1);
            memcpy(*out, c->buf, (size_t)n);
            (*out)[n] = '\0';
            if (outlen)
                *outlen = (size_t)n;
            memmove(c->buf, c->buf + n, c->len - (size_t)n);
            c->len -= (size_t)n;
            return 0;
        }
        if (c->eof)
            return -1;
        if (wait_readable(c, deadline) <= 0)
            return -1;
        if (fill(c) < 0 && errno != EAGAIN)
            return -1;
    }
}

int h_wait_closed(h_conn *c, int timeout_ms)
{
    long long deadline = h_now_ms() + timeout_ms;
    while (!c->eof) {
        if (c->len > 0)
            return 0;
        if (wait_readable(c, deadline) <= 0)
            return 0;
        ssize_t n = fill(c);
        if (n < 0 && errno != EAGAIN) {
            c->eof = 1; /* a reset counts as closed */
            break;
        }
    }
    return c->len == 0;
}

int h_no_data(h_conn *c, int timeout_ms)
{
    if (c->len > 0 || c->eof)
        return 0;
    if (wait_readable(c, h_now_ms() + timeout_ms) <= 0)
        return 1;
    fill(c);
    return c->len == 0 && !c->eof;
}

h_conn **h_connect_pinged(int port, int n)
{
    h_conn **cs = calloc((size_t)n, sizeof(*cs));
    assert_non_null(cs);
    for (int i = 0; i < n; i++)
        if (!(cs[i] = h_connect(port, 3000)))
            fail_msg("connection %d failed", i);
    for (int i = 0; i < n; i++)
        assert_int_equal(h_send_str(cs[i], "*1\r\n$4\r\nPING\r\n"), 0);
    for (int i = 0; i < n; i++) {
        char *r = NULL;
        if (h_read_reply(cs[i], H_REPLY_TIMEOUT_MS, &r, NULL) < 0)
            fail_msg("connection %d got no reply", i);
        assert_string_equal(r, "+PONG\r\n");
        free(r);
        free(cs[i]->buf);
        cs[i]->buf = NULL;
        cs[i]->len = cs[i]->cap = 0;
    }
    return cs;
}

/* ---- building commands ------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_addf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_addf(sbuf *b, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    sb_add(b, tmp, (size_t)n);
}

char *h_multibulk(int argc, const char *const *argv, const size_t *lens, size_t *outlen)
{
    sbuf b = {0};
    sb_addf(&b, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        size_t n = lens ? lens[i] : strlen(argv[i]);
        sb_addf(&b, "$%zu\r\n", n);
        sb_add(&b, argv[i], n);
        sb_add(&b, "\r\n", 2);
    }
    if (outlen)
        *outlen = b.len;
    return b.p;
}

char *h_inline(size_t *outlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    s = realloc(s, (size_t)n + 3);
    memcpy(s + n, "\r\n", 3);
    if (outlen)
        *outlen = (size_t)n + 2;
    return s;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = tolower(ch);
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

int h_split_args(const char *line, char **argv, size_t *lens, int max)
{
    const char *p = line;
    int argc = 0;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            return argc;
        if (argc == max) {
            h_free_args(argv, argc);
            return -1;
        }
        sbuf b = {0};
        sb_add(&b, "", 0);
        int inq = 0, insq = 0, done = 0;
        while (!done) {
            if (inq) {
                if (!*p)
                    goto unbalanced;
                if (p[0] == '\\' && p[1] == 'x' && hexval(p[2]) >= 0 && hexval(p[3]) >= 0) {
                    char ch = (char)(hexval(p[2]) * 16 + hexval(p[3]));
                    sb_add(&b, &ch, 1);
                    p += 3;
                } else if (p[0] == '\\' && p[1]) {
                    p++;
                    char ch = *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p == 't' ? '\t'
                              : *p == 'b' ? '\b' : *p == 'a' ? '\a' : *p;
                    sb_add(&b, &ch, 1);
                } else if (*p == '"') {
                    if (p[1] && !isspace((unsigned char)p[1]))
                        goto unbalanced;
                    done = 1;
                } else {
                    sb_add(&b, p, 1);
                }
            } else if (insq) {
                if (!*p)
                    goto unbalanced;
                if (p[0] == '\\' && p[1] == '\'') {
                    p++;
                    sb_add(&b, "'", 1);
                } else if (*p == '\'') {
                    if (p[1] && !isspace((unsigned char)p[1]))
                        goto unbalanced;
                    done = 1;
                } else {
                    sb_add(&b, p, 1);
                }
            } else {
                if (!*p || isspace((unsigned char)*p)) {
                    done = 1;
                    p--; /* do not consume the separator */
                } else if (*p == '"') {
                    inq = 1;
                } else if (*p == '\'') {
                    insq = 1;
                } else {
                    sb_add(&b, p, 1);
                }
            }
            if (*p)
                p++;
        }
        argv[argc] = b.p;
        lens[argc] = b.len;
        argc++;
        continue;
    unbalanced:
        free(b.p);
        h_free_args(argv, argc);
        return -1;
    }
}

void h_free_args(char **argv, int argc)
{
    for (int i = 0; i < argc; i++)
        free(argv[i]);
}

char *h_callv(h_conn *c, int argc, const char *const *argv, const size_t *lens)
{
    size_t n;
    char *req = h_multibulk(argc, argv, lens, &n);
    int rc = h_send(c, req, n);
    free(req);
    char *reply = NULL;
    if (rc < 0 || h_read_reply(c, H_REPLY_TIMEOUT_MS, &reply, NULL) < 0)
        return NULL;
    return reply;
}

char *h_request(const char *line, size_t *outlen)
{
    char *argv[512];
    size_t lens[512];
    int argc = h_split_args(line, argv, lens, 512);
    if (argc <= 0)
        return NULL;
    char *req = h_multibulk(argc, (const char *const *)argv, lens, outlen);
    h_free_args(argv, argc);
    return req;
}

char *h_call(h_conn *c, const char *line)
{
    char *argv[256];
    size_t lens[256];
    int argc = h_split_args(line, argv, lens, 256);
    if (argc <= 0)
        return NULL;
    char *r = h_callv(c, argc, (const char *const *)argv, lens);
    h_free_args(argv, argc);
    return r;
}

char *h_callf(h_conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = NULL;
    int n = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *r = h_call(c, line);
    free(line);
    return r;
}

/* ---- reading replies ----------------------------------------------------------- */

char *h_escape(const char *p, size_t n, size_t max)
{
    sbuf b = {0};
    sb_add(&b, "", 0);
    for (size_t i = 0; i < n; i++) {
        if (b.len >= max) {
            sb_addf(&b, "...(%zu bytes)", n);
            break;
        }
        unsigned char ch = (unsigned char)p[i];
        if (ch == '\r')
            sb_add(&b, "\\r", 2);
        else if (ch == '\n')
            sb_add(&b, "\\n", 2);
        else if (ch == '\\')
            sb_add(&b, "\\\\", 2);
        else if (ch < 32 || ch >= 127)
            sb_addf(&b, "\\x%02x", ch);
        else
            sb_add(&b, &p[i], 1);
    }
    return b.p;
}

int h_reply_int(const char *reply, long long *v)
{
    if (!reply || reply[0] != ':')
        return -1;
    char *end;
    errno = 0;
    *v = strtoll(reply + 1, &end, 10);
    return (errno || strcmp(end, "\r\n") != 0) ? -1 : 0;
}

void h_expect(h_conn *c, const char *line, const char *want)
{
    char *r = h_call(c, line);
    if (!r)
        fail_msg("no reply to %s", line);
    if (strcmp(r, want) != 0) {
        char *er = h_escape(r, strlen(r), 400), *ew = h_escape(want, strlen(want), 400);
        fprintf(stderr, "%s\n  got:  %s\n  want: %s\n", line, er, ew);
        free(er);
        free(ew);
    }
    assert_string_equal(r, want);
    free(r);
}

void h_expect_replies(h_conn *c, long n, const char *want)
{
    for (long i = 0; i < n; i++) {
        char *r = NULL;
        if (h_read_reply(c, H_REPLY_TIMEOUT_MS, &r, NULL) < 0)
            fail_msg("reply %ld of %ld missing", i, n);
        if (strcmp(r, want) != 0) {
            char *e = h_escape(r, strlen(r), 200);
            fail_msg("reply %ld of %ld: %s", i, n, e);
        }
        free(r);
    }
}

long long h_call_num(h_conn *c, const char *line, const char *key)
{
    char *r = h_call(c, line);
    if (!r)
        fail_msg("no reply to %s", line);
    const char *p = strstr(r, key);
    long long v = p ? atoll(p + strlen(key)) : -1;
    free(r);
    return v;
}

long long h_info_field(h_conn *c, const char *section, const char *field)
{
    char line[128], key[128];
    snprintf(line, sizeof(line), "INFO %s", section);
    snprintf(key, sizeof(key), "\r\n%s:", field);
    return h_call_num(c, line, key);
}

long h_rss_kb(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    fclose(f);
    return kb;
}
