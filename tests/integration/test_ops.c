/* test_ops: running respd in production. etc/respd.conf names every setting
 * (and holds the defaults), the systemd units pass `systemd-analyze verify`,
 * `make install` lays the files out under PREFIX and DESTDIR, socket
 * activation (fds passed from a test-made socket and through
 * systemd-socket-activate), daemonize with a pidfile, SIGHUP reopening the
 * log, SIGTERM writing and fsyncing the AOF (the fsync seen by strace), the
 * default bind, protected mode and AUTH
 * against redis-server byte for byte, rename-command (runtime behaviour and
 * config errors against redis-server, the AOF under renames), CONFIG
 * REWRITE (a round trip through a restart) and unixsocketperm.
 *
 * Servers this file starts itself (with fds to pass, a log file, a
 * daemonized child, or redis-server with extra options) are tracked by the
 * harness with its own and killed in the teardown if a test fails half-way;
 * each dies with the test process too.
 * Tests that need redis-server, systemd-analyze, systemd-socket-activate,
 * strace or make skip when the tool is missing.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- processes this file starts --------------------------------------------- */

static char dir[128]; /* the test's own temp directory */

static int setup(void **state)
{
    (void)state;
    return h_mktempdir(dir, sizeof(dir));
}

static int teardown(void **state)
{
    (void)state;
    h_kill_started();
    char cmd[192];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

enum { LISTEN_NONE, LISTEN_SELF, LISTEN_OTHER };

/* Forks and execs argv with stdout and stderr in out_path, in cwd. The
 * fds in pass[0..npass) become fds 3, 4 ... of the child, and with
 * LISTEN_SELF (LISTEN_OTHER) LISTEN_FDS=npass and LISTEN_PID=the child's
 * own PID (another PID) are set, as systemd does for socket activation. */
static pid_t spawn(const char *const *argv, const char *out_path, const char *cwd,
                   const int *pass, int npass, int listen)
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
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
            _exit(127);
        close(in);
        close(out);
        /* Out of the way first, so that moving one cannot clobber another. */
        int high[8];
        for (int i = 0; i < npass && i < 8; i++)
            high[i] = fcntl(pass[i], F_DUPFD, 100);
        for (int i = 0; i < npass && i < 8; i++) {
            if (high[i] < 0 || dup2(high[i], 3 + i) < 0)
                _exit(127);
            close(high[i]);
        }
        if (listen != LISTEN_NONE) {
            char v[32];
            snprintf(v, sizeof(v), "%d", npass);
            setenv("LISTEN_FDS", v, 1);
            snprintf(v, sizeof(v), "%d", (int)(listen == LISTEN_SELF ? getpid() : parent));
            setenv("LISTEN_PID", v, 1);
        }
        if (cwd && chdir(cwd) != 0)
            _exit(127);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    h_track_pid(pid);
    return pid;
}

/* Waits for pid (a child, or a daemon reparented to us) to exit; returns
 * its status as h_server_wait does, -2 after timeout_ms. */
static int wait_exit(pid_t pid, int timeout_ms)
{
    h_server s = {.pid = pid};
    return h_server_wait(&s, timeout_ms);
}

/* SIGTERM, then waits; SIGKILL after 5 s. Returns the exit status. */
static int stop(pid_t pid)
{
    kill(pid, SIGTERM);
    int st = wait_exit(pid, H_SERVER_TIMEOUT_MS);
    if (st == -2) {
        kill(pid, SIGKILL);
        st = wait_exit(pid, H_SERVER_TIMEOUT_MS);
    }
    return st;
}

/* ---- files ---------------------------------------------------------------------- */

static void write_text(const char *path, const char *text)
{
    assert_int_equal(h_write_file(path, text, strlen(text)), 0);
}

/* Waits until the file contains text; returns its contents, or NULL. */
static char *wait_text(const char *path, const char *text, int timeout_ms)
{
    long long deadline = h_now_ms() + timeout_ms;
    for (;;) {
        char *s = h_read_file(path, NULL);
        if (s && strstr(s, text))
            return s;
        free(s);
        if (h_now_ms() >= deadline)
            return NULL;
        h_sleep_ms(10);
    }
}

/* Waits for respd's "Ready" line in log_path and returns the port it
 * logged, or -1 (the log is printed). */
static int wait_ready(const char *log_path)
{
    char *log = wait_text(log_path, "Ready to accept connections", H_SERVER_TIMEOUT_MS);
    if (!log) {
        char *s = h_read_file(log_path, NULL);
        fprintf(stderr, "respd did not start; %s:\n%s\n", log_path, s ? s : "(none)");
        free(s);
        return -1;
    }
    int port = -1;
    const char *p = strstr(log, "Running mode=standalone, port=");
    if (p)
        port = atoi(p + strlen("Running mode=standalone, port="));
    free(log);
    return port;
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* The source tree (where etc/ and the Makefile are): the working directory
 * when the tests run from it (make integration), else the parent of the
 * binary's build directory. */
static const char *srcdir(void)
{
    static char path[PATH_MAX];
    if (path[0])
        return path;
    if (access("etc/respd.conf", R_OK) == 0 && access("Makefile", R_OK) == 0) {
        if (!getcwd(path, sizeof(path)))
            path[0] = '\0';
        return path;
    }
    char *bin = realpath(h_respd_bin(), NULL);
    if (bin) {
        for (int up = 0; up < 2; up++) {
            char *slash = strrchr(bin, '/');
            if (slash)
                *slash = '\0';
        }
        snprintf(path, sizeof(path), "%s", bin);
        free(bin);
    }
    return path;
}

static const char *respd_abs(void)
{
    static char path[PATH_MAX];
    if (!path[0] && !realpath(h_respd_bin(), path))
        snprintf(path, sizeof(path), "%s", h_respd_bin());
    return path;
}

/* ---- connections and replies ---------------------------------------------------- */

static h_conn *wrap_fd(int fd)
{
    h_conn *c = calloc(1, sizeof(*c));
    c->fd = fd;
    return c;
}

/* Connects fd to sa within 2 s; returns it wrapped, or NULL (fd closed). */
static h_conn *finish_connect(int fd, const struct sockaddr *sa, socklen_t sl)
{
    if (connect(fd, sa, sl) < 0) {
        if (errno != EINPROGRESS) {
            close(fd);
            return NULL;
        }
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int err = 0;
        socklen_t el = sizeof(err);
        if (poll(&p, 1, 2000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 ||
            err != 0) {
            close(fd);
            return NULL;
        }
    }
    return wrap_fd(fd);
}

/* TCP to dst:port, from source address src when not NULL. */
static h_conn *connect_v4(const char *src, const char *dst, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    if (src) {
        struct sockaddr_in from = {.sin_family = AF_INET};
        inet_pton(AF_INET, src, &from.sin_addr);
        assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, dst, &to.sin_addr);
    return finish_connect(fd, (struct sockaddr *)&to, sizeof(to));
}

static h_conn *connect_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    return finish_connect(fd, (struct sockaddr *)&sa, sizeof(sa));
}

/* Sends the same line to both and asserts the replies are the same bytes. */
static void same(h_conn *ours, h_conn *redis, const char *line)
{
    char *a = h_call(ours, line), *b = h_call(redis, line);
    if (!a || !b || strcmp(a, b) != 0) {
        char *ea = a ? h_escape(a, strlen(a), 400) : strdup("(none)");
        char *eb = b ? h_escape(b, strlen(b), 400) : strdup("(none)");
        fprintf(stderr, "%s\n  respd: %s\n  redis: %s\n", line, ea, eb);
        free(ea);
        free(eb);
    }
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

/* The bulk strings of a flat RESP2 array reply (CONFIG GET). Returns the
 * count; out[i] are malloc'd. */
static int bulks(const char *r, char **out, int max)
{
    if (!r || r[0] != '*')
        return -1;
    int n = atoi(r + 1);
    const char *p = strstr(r, "\r\n") + 2;
    for (int i = 0; i < n; i++) {
        if (*p != '$' || i >= max)
            return -1;
        int len = atoi(p + 1);
        p = strstr(p, "\r\n") + 2;
        out[i] = strndup(p, (size_t)len);
        p += len + 2;
    }
    return n;
}

static char *config_value(h_conn *c, const char *name)
{
    char *r = h_callf(c, "CONFIG GET %s", name);
    char *kv[2] = {NULL, NULL};
    int n = bulks(r, kv, 2);
    free(r);
    if (n != 2) {
        free(kv[0]);
        fail_msg("CONFIG GET %s: not one pair", name);
    }
    free(kv[0]);
    return kv[1];
}

/* Starts respd with argv (after the binary) in the test's directory, its
 * output in dir/name.log. Returns the port it logged; *pid set. */
static int start_respd(pid_t *pid, const char *name, const char *const *args, const char *cwd)
{
    const char *argv[40];
    int n = 0;
    argv[n++] = respd_abs();
    for (int i = 0; args && args[i] && n < 39; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char log[256];
    snprintf(log, sizeof(log), "%s/%s.log", dir, name);
    *pid = spawn(argv, log, cwd ? cwd : dir, NULL, 0, LISTEN_NONE);
    assert_true(*pid > 0);
    return wait_ready(log);
}

/* Starts redis-server with extra options on a free port; returns the port. */
static int start_redis(pid_t *pid, const char *const *extra)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        int port = h_free_port();
        char ports[16], log[256];
        snprintf(ports, sizeof(ports), "%d", port);
        snprintf(log, sizeof(log), "%s/redis-%d.log", dir, port);
        const char *argv[40] = {"redis-server", "--port", ports, "--bind", "127.0.0.1", "--save",
                                "", "--appendonly", "no", "--dir", dir};
        int n = 11;
        for (int i = 0; extra && extra[i] && n < 39; i++)
            argv[n++] = extra[i];
        argv[n] = NULL;
        *pid = spawn(argv, log, dir, NULL, 0, LISTEN_NONE);
        long long deadline = h_now_ms() + H_SERVER_TIMEOUT_MS;
        while (h_now_ms() < deadline && wait_exit(*pid, 0) == -2) {
            h_conn *c = h_connect(port, 200);
            char *r = c ? h_call(c, "PING") : NULL;
            h_close(c);
            int ok = r && !strcmp(r, "+PONG\r\n");
            free(r);
            if (ok)
                return port;
            h_sleep_ms(20);
        }
        stop(*pid);
    }
    fail_msg("redis-server did not start");
    return -1;
}

/* Starts respd and redis-server with their defaults, or skips the test when
 * redis-server is not installed. */
static void start_both(h_server *ours, h_server *redis)
{
    h_need_tool("redis-server");
    assert_int_equal(h_respd_start(ours, NULL, NULL), 0);
    assert_int_equal(h_redis_start(redis), 0);
}

/* ---- etc/respd.conf ------------------------------------------------------------- */

/* The setting names in etc/respd.conf: "name value" lines and commented-out
 * "#name value" lines (no space after '#': the file's convention for
 * settings, so they cannot be confused with prose). */
static int conf_names(const char *text, char **names, int *commented, int max)
{
    int n = 0;
    for (const char *p = text; *p && n < max;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *s = p;
        int com = 0;
        if (*s == '#' && s[1] >= 'a' && s[1] <= 'z') {
            com = 1;
            s++;
        }
        if (com || (*s && *s != '#' && *s != '\n')) {
            size_t w = 0;
            while (w < len - (size_t)com && s[w] != ' ' && s[w] != '\t')
                w++;
            if (w > 0) {
                names[n] = strndup(s, w);
                commented[n++] = com;
            }
        }
        p += len + (eol ? 1 : 0);
    }
    return n;
}

static void test_ops_conf_names_every_setting_with_its_default(void **state)
{
    (void)state;
    char conf[PATH_MAX + 32];
    snprintf(conf, sizeof(conf), "%s/etc/respd.conf", srcdir());
    char *text = h_read_file(conf, NULL);
    if (!text) {
        fprintf(stderr, "cannot read %s\n", conf);
        fail();
    }
    static char *fnames[512];
    static int fcom[512];
    int nf = conf_names(text, fnames, fcom, 512);
    assert_true(nf > 10);

    /* A server started with the file, and one with no file at all. */
    h_server withfile, plain;
    assert_int_equal(h_respd_start(&withfile, conf, NULL), 0);
    assert_int_equal(h_respd_start(&plain, NULL, NULL), 0);
    h_conn *a = h_connect(withfile.port, 2000), *b = h_connect(plain.port, 2000);
    char *ra = h_call(a, "CONFIG GET *"), *rb = h_call(b, "CONFIG GET *");
    static char *ka[1024], *kb[1024];
    int na = bulks(ra, ka, 1024), nb = bulks(rb, kb, 1024);
    assert_true(na > 20);
    assert_int_equal(na, nb);
    int bad = 0;
    /* Every setting the server has is in the file. */
    for (int i = 0; i < na; i += 2) {
        int found = 0;
        for (int j = 0; j < nf && !found; j++)
            found = !strcmp(fnames[j], ka[i]);
        if (!found) {
            fprintf(stderr, "etc/respd.conf does not mention the setting '%s'\n", ka[i]);
            bad++;
        }
    }
    /* Every name in the file is a setting (or one of the directives). */
    for (int j = 0; j < nf; j++) {
        int found = !strcmp(fnames[j], "include") || !strcmp(fnames[j], "rename-command");
        for (int i = 0; i < na && !found; i += 2)
            found = !strcmp(fnames[j], ka[i]);
        if (!found) {
            fprintf(stderr, "etc/respd.conf names '%s'%s, which is no setting of respd\n",
                    fnames[j], fcom[j] ? " (commented out)" : "");
            bad++;
        }
    }
    /* The values in the file are the defaults, but for appendonly (which
     * the file turns on) and dir (each server runs in its own directory). */
    for (int i = 0; i < na; i += 2) {
        int k = -1;
        for (int j = 0; j < nb && k < 0; j += 2)
            if (!strcmp(ka[i], kb[j]))
                k = j;
        if (k < 0) {
            fprintf(stderr, "setting '%s' missing from a plain server's CONFIG GET *\n", ka[i]);
            bad++;
            continue;
        }
        if (!strcmp(ka[i], "appendonly") || !strcmp(ka[i], "dir"))
            continue;
        if (strcmp(ka[i + 1], kb[k + 1]) != 0) {
            fprintf(stderr, "etc/respd.conf sets %s to '%s'; the default is '%s'\n", ka[i],
                    ka[i + 1], kb[k + 1]);
            bad++;
        }
    }
    char *ao = config_value(a, "appendonly");
    assert_string_equal(ao, "yes");
    free(ao);
    assert_int_equal(bad, 0);
    for (int i = 0; i < na; i++)
        free(ka[i]);
    for (int i = 0; i < nb; i++)
        free(kb[i]);
    for (int j = 0; j < nf; j++)
        free(fnames[j]);
    free(ra);
    free(rb);
    free(text);
    h_close(a);
    h_close(b);
    h_server_stop_ok(&withfile);
    h_server_stop_ok(&plain);
}

/* ---- systemd units and make install ----------------------------------------------- */

/* Writes the unit with the installed paths replaced by the built binary and
 * the source tree's config file, so that verify finds them. */
static void unit_copy(const char *src, const char *dst, const char *bin)
{
    char *u = h_read_file(src, NULL);
    assert_non_null(u);
    const char *exe = "ExecStart=/usr/local/bin/respd /usr/local/etc/respd/respd.conf ";
    char *at = strstr(u, exe);
    assert_non_null(at); /* the unit runs the installed binary with the installed file */
    FILE *f = fopen(dst, "w");
    assert_non_null(f);
    fprintf(f, "%.*sExecStart=%s %s/etc/respd.conf %s", (int)(at - u), u, bin, srcdir(),
            at + strlen(exe));
    fclose(f);
    free(u);
}

static void test_ops_systemd_units_pass_verify(void **state)
{
    (void)state;
    h_need_tool("systemd-analyze");
    char src[PATH_MAX + 32], svc[256], sock[256];
    snprintf(src, sizeof(src), "%s/etc/respd.service", srcdir());
    snprintf(svc, sizeof(svc), "%s/respd.service", dir);
    snprintf(sock, sizeof(sock), "%s/respd.socket", dir);
    unit_copy(src, svc, respd_abs());
    snprintf(src, sizeof(src), "%s/etc/respd.socket", srcdir());
    char *socket_unit = h_read_file(src, NULL);
    assert_non_null(socket_unit);
    write_text(sock, socket_unit);
    free(socket_unit);
    const char *argv[] = {"systemd-analyze", "verify", svc, sock, NULL};
    char *out = NULL;
    int rc = h_run(argv, NULL, &out, 20000);
    if (rc != 0 || strstr(out, "respd"))
        fprintf(stderr, "systemd-analyze verify: exit %d\n%s\n", rc, out);
    assert_int_equal(rc, 0);
    assert_null(strstr(out, "respd")); /* no warning about either unit */
    free(out);

    /* The check can fail: a unit whose binary is missing does not pass, and
     * an unknown key is reported. */
    char bad[192], missing[256];
    snprintf(bad, sizeof(bad), "%s/bad", dir);
    assert_int_equal(mkdir(bad, 0700), 0);
    snprintf(svc, sizeof(svc), "%s/respd.service", bad);
    snprintf(missing, sizeof(missing), "%s/no-such-respd", dir);
    snprintf(src, sizeof(src), "%s/etc/respd.service", srcdir());
    unit_copy(src, svc, missing);
    const char *argv2[] = {"systemd-analyze", "verify", svc, NULL};
    rc = h_run(argv2, NULL, &out, 20000);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(out, "no-such-respd"));
    free(out);
    unit_copy(src, svc, respd_abs());
    char *u = h_read_file(svc, NULL);
    char *typo = strstr(u, "NoNewPrivileges=");
    assert_non_null(typo);
    memcpy(typo, "NoNewPrivilegez=", 16);
    write_text(svc, u);
    free(u);
    rc = h_run(argv2, NULL, &out, 20000);
    assert_non_null(strstr(out, "NoNewPrivilegez"));
    free(out);
    unlink(svc);
    rmdir(bad);
}

static void assert_same_file(const char *a, const char *b)
{
    char *x = h_read_file(a, NULL), *y = h_read_file(b, NULL);
    if (!x || !y || strcmp(x, y) != 0)
        fail_msg("%s and %s differ", a, b);
    free(x);
    free(y);
}

static void test_ops_make_install_lays_out_prefix_and_destdir(void **state)
{
    (void)state;
    h_need_tool("make");
    /* The binary under test is the one installed: its build directory is
     * BUILD, and -o keeps make from rebuilding it. */
    char build[PATH_MAX], o[PATH_MAX + 8], destdir[256], dd[300];
    snprintf(build, sizeof(build), "%s", respd_abs());
    *strrchr(build, '/') = '\0';
    snprintf(o, sizeof(o), "%s/respd", build);
    char buildarg[PATH_MAX + 8];
    snprintf(buildarg, sizeof(buildarg), "BUILD=%s", build);
    for (int custom = 0; custom < 2; custom++) {
        snprintf(destdir, sizeof(destdir), "%s/dest%d", dir, custom);
        snprintf(dd, sizeof(dd), "DESTDIR=%s", destdir);
        const char *prefix = custom ? "/opt/respd" : "/usr/local";
        const char *argv[12] = {"make", "-s", "-C", srcdir(), buildarg, "-o", o, dd, "install"};
        if (custom)
            argv[9] = "PREFIX=/opt/respd";
        char *out = NULL;
        int rc = h_run(argv, NULL, &out, 60000);
        if (rc != 0)
            fprintf(stderr, "make install: exit %d\n%s\n", rc, out);
        assert_int_equal(rc, 0);
        free(out);
        char p[600], s[PATH_MAX + 64];
        snprintf(p, sizeof(p), "%s%s/bin/respd", destdir, prefix);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0755);
        const char *ver[] = {p, "--version", NULL};
        assert_int_equal(h_run(ver, NULL, &out, 10000), 0);
        assert_non_null(strstr(out, "respd v="));
        free(out);
        snprintf(p, sizeof(p), "%s%s/etc/respd/respd.conf", destdir, prefix);
        snprintf(s, sizeof(s), "%s/etc/respd.conf", srcdir());
        assert_same_file(p, s);
        for (int u = 0; u < 2; u++) {
            const char *unit = u ? "respd.socket" : "respd.service";
            snprintf(p, sizeof(p), "%s%s/lib/systemd/system/%s", destdir, prefix, unit);
            snprintf(s, sizeof(s), "%s/etc/%s", srcdir(), unit);
            assert_int_equal(stat(p, &st), 0);
            assert_int_equal(st.st_mode & 0777, 0644);
            if (!custom) {
                assert_same_file(p, s);
                continue;
            }
            char *text = h_read_file(p, NULL);
            assert_null(strstr(text, "/usr/local/"));
            if (!u)
                assert_non_null(strstr(text, "\nExecStart=/opt/respd/bin/respd "
                                             "/opt/respd/etc/respd/respd.conf "));
            free(text);
        }
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", destdir);
        assert_int_equal(system(cmd), 0);
    }
}

/* ---- socket activation ------------------------------------------------------------ */

static int listen_tcp(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sa);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static int listen_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    assert_true(strlen(path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 16), 0);
    return fd;
}

static void test_ops_socket_activation_serves_passed_sockets(void **state)
{
    (void)state;
    int port;
    int tfd = listen_tcp(&port);
    char act[256], own_sock[256], log[256], own[16];
    snprintf(act, sizeof(act), "%s/act.sock", dir);
    snprintf(own_sock, sizeof(own_sock), "%s/own.sock", dir);
    snprintf(log, sizeof(log), "%s/respd.log", dir);
    int ufd = listen_unix(act);
    int own_port = h_free_port();
    snprintf(own, sizeof(own), "%d", own_port);
    const char *argv[] = {respd_abs(), "--port", own, "--bind", "127.0.0.1", "--unixsocket",
                          own_sock, NULL};
    int pass[2] = {tfd, ufd};
    pid_t pid = spawn(argv, log, dir, pass, 2, LISTEN_SELF);
    assert_true(pid > 0);
    /* From now on only respd holds them. They were made blocking: unless
     * respd makes them non-blocking, its accept loop hangs after the first
     * connection and the second one below gets no reply. */
    close(tfd);
    close(ufd);
    assert_int_equal(wait_ready(log), port);
    char *text = h_read_file(log, NULL);
    assert_non_null(strstr(text, "Using 2 listening sockets passed by systemd"));
    free(text);

    h_conn *c = h_connect(port, 2000);
    assert_non_null(c);
    h_expect(c, "PING", "+PONG\r\n");
    h_expect(c, "SET k over-tcp", "+OK\r\n");
    h_conn *u = connect_unix(act);
    assert_non_null(u);
    h_expect(u, "GET k", "$8\r\nover-tcp\r\n");
    /* Nothing of its own: not the configured port, not the unix socket. */
    assert_null(h_connect(own_port, 500));
    assert_int_equal(access(own_sock, F_OK), -1);
    /* The listeners are systemd's to change. */
    h_expect(c, "CONFIG SET port 0",
           "-ERR CONFIG SET failed (possibly related to argument 'port') - the listening "
           "sockets were passed by systemd (socket activation) and cannot be changed\r\n");
    h_expect(c, "CONFIG SET bind 0.0.0.0",
           "-ERR CONFIG SET failed (possibly related to argument 'bind') - the listening "
           "sockets were passed by systemd (socket activation) and cannot be changed\r\n");
    char *v = config_value(c, "bind");
    assert_string_equal(v, "127.0.0.1"); /* rolled back */
    free(v);
    h_expect(u, "PING", "+PONG\r\n");
    h_close(c);
    h_close(u);
    assert_int_equal(stop(pid), 0);
    /* The socket file is systemd's: respd leaves it. */
    assert_int_equal(access(act, F_OK), 0);
}

static void test_ops_socket_activation_for_another_pid_is_ignored(void **state)
{
    (void)state;
    int port;
    int tfd = listen_tcp(&port);
    char log[256];
    snprintf(log, sizeof(log), "%s/respd.log", dir);
    const char *argv[] = {respd_abs(), "--port", "0", "--bind", "127.0.0.1", NULL};
    pid_t pid = spawn(argv, log, dir, &tfd, 1, LISTEN_OTHER);
    assert_true(pid > 0);
    int own = wait_ready(log);
    assert_true(own > 0);
    assert_int_not_equal(own, port);
    char *text = h_read_file(log, NULL);
    assert_null(strstr(text, "passed by systemd"));
    free(text);
    h_conn *c = h_connect(own, 2000);
    h_expect(c, "PING", "+PONG\r\n");
    h_close(c);
    /* The kernel queues a connection on the passed socket, nobody serves it. */
    c = h_connect(port, 2000);
    assert_non_null(c);
    assert_int_equal(h_send_str(c, "PING\r\n"), 0);
    assert_true(h_no_data(c, 300));
    h_close(c);
    close(tfd);
    assert_int_equal(stop(pid), 0);
}

static void test_ops_socket_activation_refuses_unusable_fds(void **state)
{
    (void)state;
    char log[256], file[256];
    snprintf(log, sizeof(log), "%s/respd.log", dir);
    snprintf(file, sizeof(file), "%s/plain-file", dir);
    write_text(file, "not a socket\n");
    int ffd = open(file, O_RDONLY | O_CLOEXEC);
    assert_true(ffd >= 0);
    const char *argv[] = {respd_abs(), "--port", "0", "--bind", "127.0.0.1", NULL};
    pid_t pid = spawn(argv, log, dir, &ffd, 1, LISTEN_SELF);
    assert_int_equal(wait_exit(pid, H_SERVER_TIMEOUT_MS), 1);
    char *text = h_read_file(log, NULL);
    assert_non_null(strstr(text, "File descriptor 3 passed by systemd is not a listening TCP or "
                                 "unix stream socket"));
    free(text);
    /* A TCP socket that is not listening is refused too. */
    int cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    pid = spawn(argv, log, dir, &cfd, 1, LISTEN_SELF);
    assert_int_equal(wait_exit(pid, H_SERVER_TIMEOUT_MS), 1);
    text = h_read_file(log, NULL);
    assert_non_null(strstr(text, "File descriptor 3 passed by systemd is not a listening"));
    free(text);
    close(cfd);
    close(ffd);
}

static void test_ops_systemd_socket_activate_starts_respd_on_first_connection(void **state)
{
    (void)state;
    h_need_tool("systemd-socket-activate");
    char log[256], listen_arg[64];
    snprintf(log, sizeof(log), "%s/activate.log", dir);
    int port = h_free_port();
    snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%d", port);
    const char *argv[] = {"systemd-socket-activate", "-l", listen_arg, respd_abs(), "--port",
                          "0", "--bind", "127.0.0.1", NULL};
    pid_t pid = spawn(argv, log, dir, NULL, 0, LISTEN_NONE);
    assert_true(pid > 0);
    char *text = wait_text(log, "Listening on", 5000);
    assert_non_null(text);
    assert_null(strstr(text, "Running mode")); /* respd starts on demand */
    free(text);
    h_conn *c = h_connect(port, 2000);
    assert_non_null(c);
    h_expect(c, "PING", "+PONG\r\n");
    text = h_read_file(log, NULL);
    assert_non_null(strstr(text, "Using 1 listening socket passed by systemd"));
    free(text);
    h_close(c);
    assert_int_equal(stop(pid), 0); /* the same PID: systemd-socket-activate execs */
}

/* ---- daemonize, pidfile, signals ----------------------------------------------- */

static void test_ops_daemonize_writes_pidfile_and_sigterm_removes_it(void **state)
{
    (void)state;
    /* The daemon is orphaned by its launcher; as a subreaper this process
     * becomes its parent and can wait for it. */
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    char pidfile[256], logfile[256], out[256];
    snprintf(pidfile, sizeof(pidfile), "%s/respd.pid", dir);
    snprintf(logfile, sizeof(logfile), "%s/respd.log", dir);
    snprintf(out, sizeof(out), "%s/launcher.out", dir);
    const char *argv[] = {respd_abs(), "--port", "0", "--bind", "127.0.0.1", "--daemonize",
                          "yes", "--pidfile", pidfile, "--logfile", logfile, NULL};
    pid_t launcher = spawn(argv, out, dir, NULL, 0, LISTEN_NONE);
    assert_true(launcher > 0);
    assert_int_equal(wait_exit(launcher, H_SERVER_TIMEOUT_MS), 0);
    char *text = wait_text(pidfile, "\n", H_SERVER_TIMEOUT_MS);
    assert_non_null(text);
    pid_t daemon = (pid_t)atoi(text);
    free(text);
    assert_true(daemon > 0);
    h_track_pid(daemon);
    assert_int_not_equal(daemon, launcher);
    assert_int_equal(getsid(daemon), daemon); /* its own session, no terminal */
    int port = wait_ready(logfile);
    assert_true(port > 0);
    h_conn *c = h_connect(port, 2000);
    assert_non_null(c);
    h_expect(c, "PING", "+PONG\r\n");
    char *info = h_call(c, "INFO server");
    char want[64];
    snprintf(want, sizeof(want), "\r\nprocess_id:%d\r\n", (int)daemon);
    assert_non_null(strstr(info, want));
    free(info);
    h_close(c);
    assert_int_equal(stop(daemon), 0);
    assert_int_equal(access(pidfile, F_OK), -1);
    assert_int_equal(errno, ENOENT);
    text = h_read_file(logfile, NULL);
    assert_non_null(strstr(text, "Received SIGTERM scheduling shutdown"));
    assert_non_null(strstr(text, "bye bye"));
    free(text);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
}

static void test_ops_sigterm_flushes_aof_and_removes_pidfile(void **state)
{
    (void)state;
    char pidfile[256], aof[256];
    snprintf(pidfile, sizeof(pidfile), "%s/respd.pid", dir);
    snprintf(aof, sizeof(aof), "%s/appendonly.aof", dir);
    /* appendfsync no: nothing but the shutdown makes the file durable. */
    const char *args[] = {"--port", "0", "--bind", "127.0.0.1", "--appendonly", "yes",
                          "--appendfsync", "no", "--dir", dir, "--pidfile", pidfile, NULL};
    pid_t pid;
    int port = start_respd(&pid, "first", args, NULL);
    assert_true(port > 0);
    char *text = h_read_file(pidfile, NULL);
    assert_non_null(text);
    assert_int_equal(atoi(text), pid);
    free(text);
    h_conn *c = h_connect(port, 2000);
    enum { N = 2000 };
    size_t cap = N * 64, len = 0;
    char *burst = malloc(cap);
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(burst + len, cap - len,
                                "*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$%d\r\nval:%d\r\n",
                                4 + snprintf(NULL, 0, "%d", i), i,
                                4 + snprintf(NULL, 0, "%d", i), i);
    assert_int_equal(h_send(c, burst, len), 0);
    free(burst);
    h_expect_replies(c, N, "+OK\r\n");
    h_close(c);
    assert_int_equal(stop(pid), 0);
    assert_int_equal(access(pidfile, F_OK), -1);
    /* Every acknowledged write is in the file and loads again. */
    const char *args2[] = {"--port", "0", "--bind", "127.0.0.1", "--appendonly", "yes", "--dir",
                           dir, NULL};
    port = start_respd(&pid, "second", args2, NULL);
    c = h_connect(port, 2000);
    h_expect(c, "DBSIZE", ":2000\r\n");
    h_expect(c, "GET key:1999", "$8\r\nval:1999\r\n");
    h_close(c);
    assert_int_equal(stop(pid), 0);
}

/* The fsync itself, seen by strace: after SIGTERM, with appendfsync no (so
 * that nothing else syncs), respd fsyncs the AOF before it exits. */
static void test_ops_sigterm_fsyncs_the_aof(void **state)
{
    (void)state;
    h_need_tool("strace");
    char log[256], trace[256];
    snprintf(log, sizeof(log), "%s/respd.log", dir);
    snprintf(trace, sizeof(trace), "%s/strace.out", dir);
    const char *argv[] = {"strace", "-f", "-y", "-e", "trace=fsync,fdatasync", "-o", trace,
                          respd_abs(), "--port", "0", "--bind", "127.0.0.1", "--appendonly",
                          "yes", "--appendfsync", "no", "--dir", dir, NULL};
    /* LeakSanitizer cannot run under ptrace; the other tests cover leaks. */
    const char *asan = getenv("ASAN_OPTIONS");
    char *saved = asan ? strdup(asan) : NULL;
    char opts[512];
    snprintf(opts, sizeof(opts), "%s%sdetect_leaks=0", asan ? asan : "", asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    pid_t tracer = spawn(argv, log, dir, NULL, 0, LISTEN_NONE);
    if (saved)
        setenv("ASAN_OPTIONS", saved, 1);
    else
        unsetenv("ASAN_OPTIONS");
    free(saved);
    int port = wait_ready(log);
    if (port <= 0) {
        stop(tracer);
        fprintf(stderr, "respd does not run under strace here (ptrace refused?): skipped\n");
        skip();
    }
    char *text = h_read_file(log, NULL);
    const char *p = strstr(text, " pid=");
    assert_non_null(p);
    pid_t pid = (pid_t)atoi(p + 5);
    free(text);
    h_conn *c = h_connect(port, 2000);
    h_expect(c, "SET k v", "+OK\r\n");
    h_close(c);
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(wait_exit(tracer, 10000), 0); /* strace exits as its tracee did */
    text = h_read_file(trace, NULL);
    assert_non_null(text);
    const char *sig = strstr(text, "--- SIGTERM");
    if (!sig)
        fail_msg("no SIGTERM in the trace:\n%s", text);
    const char *sync = strstr(sig, "appendonly.aof>) = 0");
    if (!sync || !(strstr(sig, "fsync(") || strstr(sig, "fdatasync(")))
        fail_msg("no fsync of the AOF after SIGTERM:\n%s", text);
    free(text);
}

static void test_ops_sighup_reopens_the_log_file(void **state)
{
    (void)state;
    char logfile[256], rotated[256];
    snprintf(logfile, sizeof(logfile), "%s/respd.log", dir);
    snprintf(rotated, sizeof(rotated), "%s/respd.log.1", dir);
    const char *argv[] = {respd_abs(), "--port", "0", "--bind", "127.0.0.1", "--logfile",
                          logfile, NULL};
    char out[256];
    snprintf(out, sizeof(out), "%s/stderr.out", dir);
    pid_t pid = spawn(argv, out, dir, NULL, 0, LISTEN_NONE);
    int port = wait_ready(logfile);
    assert_true(port > 0);
    h_conn *c = h_connect(port, 2000);
    /* logrotate: move the file away; respd keeps writing to it until told. */
    assert_int_equal(rename(logfile, rotated), 0);
    h_expect(c, "DEBUG LOG before-hup-marker", "+OK\r\n");
    char *text = wait_text(rotated, "before-hup-marker", 2000);
    assert_non_null(text);
    free(text);
    assert_int_equal(access(logfile, F_OK), -1);
    assert_int_equal(kill(pid, SIGHUP), 0);
    text = wait_text(logfile, "Log file reopened", 3000);
    assert_non_null(text);
    free(text);
    h_expect(c, "DEBUG LOG after-hup-marker", "+OK\r\n");
    text = wait_text(logfile, "after-hup-marker", 2000);
    assert_non_null(text);
    assert_null(strstr(text, "before-hup-marker"));
    free(text);
    text = h_read_file(rotated, NULL);
    assert_null(strstr(text, "after-hup-marker"));
    assert_null(strstr(text, "Log file reopened"));
    free(text);
    h_expect(c, "PING", "+PONG\r\n"); /* SIGHUP does not stop the server */
    h_close(c);
    assert_int_equal(stop(pid), 0);
    text = h_read_file(logfile, NULL);
    assert_non_null(strstr(text, "bye bye"));
    free(text);
    text = h_read_file(out, NULL);
    assert_string_equal(text, ""); /* everything went to the log file */
    free(text);
}

/* ---- security ------------------------------------------------------------------- */

static void test_ops_default_bind_is_loopback_only(void **state)
{
    (void)state;
    int port = 0;
    pid_t pid = 0;
    /* No --bind: the default. A port of our choosing, since 0 would pick
     * one per address. */
    for (int attempt = 0; attempt < 3 && port <= 0; attempt++) {
        char ports[16], log[256];
        snprintf(ports, sizeof(ports), "%d", h_free_port());
        snprintf(log, sizeof(log), "%s/bind.log", dir);
        const char *argv[] = {respd_abs(), "--port", ports, NULL};
        pid = spawn(argv, log, dir, NULL, 0, LISTEN_NONE);
        port = wait_ready(log);
        if (port <= 0)
            stop(pid);
    }
    assert_true(port > 0);
    h_conn *c = connect_v4(NULL, "127.0.0.1", port);
    assert_non_null(c);
    h_expect(c, "CONFIG GET bind", "*2\r\n$4\r\nbind\r\n$14\r\n127.0.0.1 -::1\r\n");
    h_expect(c, "CONFIG GET protected-mode", "*2\r\n$14\r\nprotected-mode\r\n$3\r\nyes\r\n");
    h_close(c);
    /* 127.0.0.2 is a local address, but not one respd listens on. */
    assert_null(connect_v4(NULL, "127.0.0.2", port));
    /* ::1, when this host has IPv6 loopback. */
    int fd6 = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd6 >= 0) {
        struct sockaddr_in6 probe = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        int can = bind(fd6, (struct sockaddr *)&probe, sizeof(probe)) == 0;
        close(fd6);
        if (can) {
            fd6 = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            struct sockaddr_in6 sa = {.sin6_family = AF_INET6,
                                      .sin6_port = htons((uint16_t)port),
                                      .sin6_addr = IN6ADDR_LOOPBACK_INIT};
            h_conn *c6 = finish_connect(fd6, (struct sockaddr *)&sa, sizeof(sa));
            assert_non_null(c6);
            h_expect(c6, "PING", "+PONG\r\n");
            h_close(c6);
        }
    }
    assert_int_equal(stop(pid), 0);
}

/* One reply (or none) then the close, from a client at 127.0.0.2. */
static char *greeting_from_127_0_0_2(int port, const char *send)
{
    h_conn *c = connect_v4("127.0.0.2", "127.0.0.1", port);
    assert_non_null(c);
    if (send)
        assert_int_equal(h_send_str(c, send), 0);
    char *r = NULL;
    assert_int_equal(h_read_reply(c, H_REPLY_TIMEOUT_MS, &r, NULL), 0);
    h_close(c);
    return r;
}

static void test_ops_protected_mode_matches_redis(void **state)
{
    (void)state;
    h_server ours, redis;
    start_both(&ours, &redis);
    int ports[2] = {ours.port, redis.port};
    char *denied[2];
    for (int i = 0; i < 2; i++) {
        h_conn *c = connect_v4("127.0.0.2", "127.0.0.1", ports[i]);
        assert_non_null(c);
        /* Refused at once, before any request, then disconnected. */
        assert_int_equal(h_read_reply(c, H_REPLY_TIMEOUT_MS, &denied[i], NULL), 0);
        assert_true(h_wait_closed(c, 2000));
        h_close(c);
    }
    assert_true(!strncmp(denied[0], "-DENIED Redis is running in protected mode", 42));
    assert_string_equal(denied[0], denied[1]);
    free(denied[0]);
    free(denied[1]);
    /* Loopback is welcome; with a password, 127.0.0.2 is let in to AUTH. */
    h_conn *a = h_connect(ours.port, 2000), *b = h_connect(redis.port, 2000);
    same(a, b, "PING");
    same(a, b, "CONFIG SET requirepass pw");
    char *r[2];
    for (int i = 0; i < 2; i++)
        r[i] = greeting_from_127_0_0_2(ports[i], "PING\r\n");
    assert_string_equal(r[0], "-NOAUTH Authentication required.\r\n");
    assert_string_equal(r[0], r[1]);
    free(r[0]);
    free(r[1]);
    for (int i = 0; i < 2; i++)
        r[i] = greeting_from_127_0_0_2(ports[i], "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n");
    assert_string_equal(r[0], "+OK\r\n");
    assert_string_equal(r[0], r[1]);
    free(r[0]);
    free(r[1]);
    /* No password and protected mode off: anyone. */
    same(a, b, "CONFIG SET requirepass \"\" protected-mode no");
    for (int i = 0; i < 2; i++)
        r[i] = greeting_from_127_0_0_2(ports[i], "PING\r\n");
    assert_string_equal(r[0], "+PONG\r\n");
    assert_string_equal(r[0], r[1]);
    free(r[0]);
    free(r[1]);
    h_close(a);
    h_close(b);
    h_server_stop_ok(&ours);
    h_server_stop(&redis);
}

static void test_ops_auth_and_noauth_match_redis(void **state)
{
    (void)state;
    h_server ours, redis;
    start_both(&ours, &redis);
    h_conn *a = h_connect(ours.port, 2000), *b = h_connect(redis.port, 2000);
    same(a, b, "CONFIG SET requirepass s3cret");
    same(a, b, "PING"); /* a connection made before keeps its access */
    h_close(a);
    h_close(b);
    static const char *const steps[] = {
        "PING", "GET k", "SET k v", "CONFIG GET port", "CLIENT ID", "SELECT 1", "DBSIZE",
        "FLUSHALL", "NOSUCHCOMMAND x", "GET", "HELLO", "HELLO 3", "HELLO 2 SETNAME x",
        "HELLO 3 AUTH default wrong", "HELLO 3 AUTH nobody s3cret", "AUTH wrong",
        "AUTH default wrong", "AUTH nobody s3cret", "AUTH DEFAULT s3cret", "AUTH a b c", "AUTH",
        "AUTH S3CRET", "PING", "AUTH s3cret", "PING", "SET k v", "GET k", "AUTH wrong", "PING",
        "RESET", "PING", "AUTH default s3cret", "GET k", "RESET", "GET k", NULL,
    };
    a = h_connect(ours.port, 2000);
    b = h_connect(redis.port, 2000);
    for (int i = 0; steps[i]; i++)
        same(a, b, steps[i]);
    h_close(a);
    h_close(b);
    /* HELLO with AUTH authenticates and switches protocol in one go. */
    a = h_connect(ours.port, 2000);
    char *r = h_call(a, "HELLO 3 AUTH default s3cret");
    assert_true(r && !strncmp(r, "%7\r\n$6\r\nserver\r\n", 16));
    free(r);
    h_expect(a, "GET k", "$1\r\nv\r\n");
    h_close(a);
    /* Before authentication a client may not send large requests; the
     * error closes the connection. */
    static const char *const raw[] = {
        "*11\r\n", "*1\r\n$16385\r\n", "QUIT\r\n",
    };
    for (int i = 0; i < 3; i++) {
        a = h_connect(ours.port, 2000);
        b = h_connect(redis.port, 2000);
        char *x = NULL, *y = NULL;
        assert_int_equal(h_send_str(a, raw[i]), 0);
        assert_int_equal(h_send_str(b, raw[i]), 0);
        assert_int_equal(h_read_reply(a, H_REPLY_TIMEOUT_MS, &x, NULL), 0);
        assert_int_equal(h_read_reply(b, H_REPLY_TIMEOUT_MS, &y, NULL), 0);
        assert_string_equal(x, y);
        assert_true(h_wait_closed(a, 2000));
        assert_true(h_wait_closed(b, 2000));
        free(x);
        free(y);
        h_close(a);
        h_close(b);
    }
    h_server_stop_ok(&ours);
    h_server_stop(&redis);
}

/* ---- rename-command ------------------------------------------------------------- */

static const char *const renames[] = {
    "--rename-command", "CONFIG", "xyz", "--rename-command", "GET", "",
    "--rename-command", "SET", "myset", "--rename-command", "xyz", "CONFIG2", NULL,
};

static void test_ops_rename_command_matches_redis(void **state)
{
    (void)state;
    h_need_tool("redis-server");
    pid_t rp, op, plain_r;
    int rport = start_redis(&rp, renames);
    const char *args[20] = {"--port", "0", "--bind", "127.0.0.1"};
    for (int i = 0; renames[i]; i++)
        args[4 + i] = renames[i];
    int oport = start_respd(&op, "renamed", args, NULL);
    assert_true(oport > 0);
    h_conn *a = h_connect(oport, 2000), *b = h_connect(rport, 2000);
    static const char *const steps[] = {
        "CONFIG GET maxclients", "xyz GET maxclients", "CONFIG2 GET maxclients",
        "config2 get maxclients", "GET k", "get k", "myset k v", "MYSET k v2", "myset",
        "set k v", "MGET k", "COMMAND INFO set", "COMMAND INFO get", "COMMAND INFO config",
        "COMMAND INFO config|get", "COMMAND GETKEYS myset k v", "COMMAND GETKEYS set k v",
        "CONFIG2 nosuch", "config2 nosuch", "CONFIG2 SET rename-command x",
        "CONFIG2 GET rename-command", "CONFIG2 REWRITE", "CONFIG2", "CONFIG2 GET", NULL,
    };
    for (int i = 0; steps[i]; i++)
        same(a, b, steps[i]);
    /* COMMAND INFO under the new name shows the command's own name. */
    char *r = h_call(a, "COMMAND INFO myset");
    assert_non_null(r);
    assert_true(!strncmp(r, "*1\r\n*10\r\n$3\r\nset\r\n", strlen("*1\r\n*10\r\n$3\r\nset\r\n")));
    free(r);
    /* A removed command leaves COMMAND and COMMAND COUNT, as in Redis:
     * GET is gone, the renamed ones are still counted. */
    int plain_port = start_redis(&plain_r, NULL);
    h_conn *pr = h_connect(plain_port, 2000);
    h_server po;
    assert_int_equal(h_respd_start(&po, NULL, NULL), 0);
    h_conn *pa = h_connect(po.port, 2000);
    long long counts[4];
    h_conn *conns[4] = {a, b, pa, pr};
    for (int i = 0; i < 4; i++) {
        r = h_call(conns[i], "COMMAND COUNT");
        assert_int_equal(h_reply_int(r, &counts[i]), 0);
        free(r);
    }
    assert_int_equal(counts[3] - counts[1], 1);
    assert_int_equal(counts[2] - counts[0], 1);
    h_expect(a, "COMMAND LIST FILTERBY PATTERN get", "*0\r\n");
    h_expect(a, "COMMAND LIST FILTERBY PATTERN set", "*1\r\n$3\r\nset\r\n");
    h_close(a);
    h_close(b);
    h_close(pa);
    h_close(pr);
    h_server_stop_ok(&po);
    assert_int_equal(stop(op), 0);
    stop(rp);
    stop(plain_r);
}

/* The last line of a fatal config error: the reason. */
static const char *reason_line(const char *out)
{
    const char *end = out + strlen(out);
    while (end > out && end[-1] == '\n')
        end--;
    const char *start = end;
    while (start > out && start[-1] != '\n')
        start--;
    return start;
}

static void test_ops_rename_command_config_errors_match_redis(void **state)
{
    (void)state;
    h_need_tool("redis-server");
    static const char *const lines[] = {
        "rename-command nosuch xyz",  "rename-command GET SET", "rename-command GET",
        "rename-command GET a b",     "rename-command GET \"\"\nrename-command GET x",
        NULL,
    };
    static const char *const reasons[] = {
        "No such command in rename-command", "Target command name already exists",
        "Bad directive or wrong number of arguments", "Bad directive or wrong number of arguments",
        "No such command in rename-command",
    };
    char path[256];
    snprintf(path, sizeof(path), "%s/bad.conf", dir);
    for (int i = 0; lines[i]; i++) {
        char text[256];
        snprintf(text, sizeof(text), "port 0\n%s\n", lines[i]);
        write_text(path, text);
        char *out[2];
        const char *ours[] = {respd_abs(), path, NULL};
        const char *theirs[] = {"redis-server", path, NULL};
        assert_int_equal(h_run(ours, NULL, &out[0], 10000), 1);
        assert_int_equal(h_run(theirs, NULL, &out[1], 10000), 1);
        const char *ro = reason_line(out[0]), *rr = reason_line(out[1]);
        if (strncmp(ro, reasons[i], strlen(reasons[i])) || strcmp(ro, rr))
            fprintf(stderr, "%s\n  respd: %s\n  redis: %s\n", lines[i], out[0], out[1]);
        assert_int_equal(strncmp(ro, reasons[i], strlen(reasons[i])), 0);
        assert_string_equal(ro, rr);
        /* Both quote the line at fault. */
        const char *bad = strrchr(lines[i], '\n') ? strrchr(lines[i], '\n') + 1 : lines[i];
        char quoted[128];
        snprintf(quoted, sizeof(quoted), ">>> '%s'", bad);
        assert_non_null(strstr(out[0], quoted));
        assert_non_null(strstr(out[1], quoted));
        free(out[0]);
        free(out[1]);
    }
}

static void test_ops_aof_uses_original_names_under_renames(void **state)
{
    (void)state;
    const char *args[] = {"--port", "0", "--bind", "127.0.0.1", "--appendonly", "yes",
                          "--appendfsync", "always", "--dir", dir,
                          "--rename-command", "SET", "myset", "--rename-command", "DEL", "",
                          "--rename-command", "PEXPIREAT", "", "--rename-command", "EXPIRE",
                          "ttl-it", NULL};
    pid_t pid;
    int port = start_respd(&pid, "first", args, NULL);
    assert_true(port > 0);
    h_conn *c = h_connect(port, 2000);
    h_expect(c, "myset k v", "+OK\r\n");
    h_expect(c, "myset t v EX 1000", "+OK\r\n");
    h_expect(c, "ttl-it k 2000", ":1\r\n");
    h_expect(c, "myset gone v PX 1", "+OK\r\n");
    h_sleep_ms(20);
    h_expect(c, "GET gone", "$-1\r\n"); /* expired: written to the AOF as DEL */
    h_expect(c, "DEL k", "-ERR unknown command 'DEL', with args beginning with: 'k' \r\n");
    h_close(c);
    assert_int_equal(stop(pid), 0);
    char aof[256];
    snprintf(aof, sizeof(aof), "%s/appendonly.aof", dir);
    char *text = h_read_file(aof, NULL);
    assert_non_null(text);
    assert_null(strcasestr(text, "myset"));
    assert_null(strcasestr(text, "ttl-it"));
    assert_non_null(strcasestr(text, "$3\r\nDEL\r\n"));
    free(text);
    /* It loads under the same renames, and with none. */
    for (int renamed = 1; renamed >= 0; renamed--) {
        const char *plain[] = {"--port", "0", "--bind", "127.0.0.1", "--appendonly", "yes",
                               "--dir", dir, NULL};
        port = start_respd(&pid, renamed ? "again" : "plain", renamed ? args : plain, NULL);
        assert_true(port > 0);
        c = h_connect(port, 2000);
        h_expect(c, "DBSIZE", ":2\r\n");
        h_expect(c, "GET k", "$1\r\nv\r\n");
        char *r = h_call(c, "TTL k");
        long long ttl = 0;
        assert_int_equal(h_reply_int(r, &ttl), 0);
        assert_true(ttl > 1900 && ttl <= 2000);
        free(r);
        h_close(c);
        assert_int_equal(stop(pid), 0);
    }
}

/* ---- CONFIG REWRITE --------------------------------------------------------------- */

static void test_ops_config_rewrite_without_file_matches_redis(void **state)
{
    (void)state;
    h_server ours, redis;
    start_both(&ours, &redis);
    h_conn *a = h_connect(ours.port, 2000), *b = h_connect(redis.port, 2000);
    same(a, b, "CONFIG REWRITE");
    same(a, b, "config rewrite");
    same(a, b, "CONFIG REWRITE now");
    same(a, b, "CONFIG HELP");
    h_close(a);
    h_close(b);
    h_server_stop_ok(&ours);
    h_server_stop(&redis);
}

static void test_ops_config_rewrite_round_trip(void **state)
{
    (void)state;
    char data[256], other[256], conf[256], text[2048];
    snprintf(data, sizeof(data), "%s/data", dir);
    snprintf(other, sizeof(other), "%s/other.conf", dir);
    snprintf(conf, sizeof(conf), "%s/respd.conf", dir);
    assert_int_equal(mkdir(data, 0700), 0);
    write_text(other, "tcp-keepalive 60\n");
    snprintf(text, sizeof(text),
             "# respd test config: keep this comment\n"
             "\n"
             "# network\n"
             "port 0\n"
             "bind 127.0.0.1\n"
             "\n\n\n"
             "# limits, kept in place\n"
             "maxclients 100\n"
             "hz 10\n"
             "hz 20\n"
             "list-max-ziplist-size 5\n"
             "rename-command FLUSHALL \"\"\n"
             "include %s\n"
             "dir %s\n"
             "# trailing comment\n",
             other, data);
    write_text(conf, text);
    /* A relative path, and a dir line that changes directory: the rewrite
     * must still find the file. */
    const char *args[] = {"respd.conf", NULL};
    pid_t pid;
    int port = start_respd(&pid, "first", args, dir);
    assert_true(port > 0);
    h_conn *c = h_connect(port, 2000);
    char *v = config_value(c, "hz");
    assert_string_equal(v, "20");
    free(v);
    char *info = h_call(c, "INFO server");
    char real[PATH_MAX], want[PATH_MAX + 32];
    assert_non_null(realpath(conf, real));
    snprintf(want, sizeof(want), "\r\nconfig_file:%s\r\n", real);
    assert_non_null(strstr(info, want));
    free(info);
    h_expect(c, "CONFIG SET maxclients 200 timeout 7 hz 15 loglevel verbose appendfsync always "
              "requirepass \"p\\\"w d\"",
           "+OK\r\n");
    /* Lines added since start-up that are no settings, or do not parse. */
    char *before = h_read_file(conf, NULL);
    char *edited = malloc(strlen(before) + 64);
    sprintf(edited, "%sfoo bar\n\"unbalanced\n", before);
    write_text(conf, edited);
    free(edited);
    free(before);
    h_expect(c, "CONFIG REWRITE", "+OK\r\n");
    char *after = h_read_file(conf, NULL);
    assert_non_null(after);
    /* As Redis: kept as comments, so that the file loads. */
    assert_non_null(strstr(after, "\n# trailing comment\n# ??? foo bar\n# ??? \"unbalanced\n"));
    /* Comments, directives and the order of the file stay. */
    assert_true(!strncmp(after, "# respd test config: keep this comment\n\n# network\nport 0\n"
                                "bind 127.0.0.1\n\n# limits, kept in place\nmaxclients 200\n"
                                "hz 15\n",
                         strlen("# respd test config: keep this comment\n\n# network\nport 0\n"
                                "bind 127.0.0.1\n\n# limits, kept in place\nmaxclients 200\n"
                                "hz 15\n")));
    assert_int_equal(count_of(after, "hz "), 1);
    assert_non_null(strstr(after, "\nlist-max-listpack-size 5\n"));
    assert_null(strstr(after, "ziplist"));
    assert_non_null(strstr(after, "\nrename-command FLUSHALL \"\"\n"));
    snprintf(want, sizeof(want), "\ninclude %s\n", other);
    assert_non_null(strstr(after, want));
    char realdata0[PATH_MAX];
    assert_non_null(realpath(data, realdata0));
    snprintf(want, sizeof(want), "\ndir \"%s\"\n# trailing comment\n", realdata0);
    assert_non_null(strstr(after, want));
    assert_null(strstr(after, "\n\n\n"));
    /* Changed settings the file did not have come after the signature. */
    const char *sig = strstr(after, "\n\n# Generated by CONFIG REWRITE\n");
    assert_non_null(sig);
    assert_int_equal(count_of(after, "# Generated by CONFIG REWRITE"), 1);
    static const char *const appended[] = {
        "\ntimeout 7\n", "\nloglevel verbose\n", "\nappendfsync always\n",
        "\nrequirepass \"p\\\"w d\"\n", "\ntcp-keepalive 60\n", NULL,
    };
    for (int i = 0; appended[i]; i++) {
        const char *at = strstr(after, appended[i]);
        if (!at || at < sig)
            fail_msg("'%s' not appended in:\n%s", appended[i], after);
    }
    /* Settings at their defaults that the file lacked are not added. */
    assert_null(strstr(after, "databases"));
    assert_null(strstr(after, "appendonly"));
    /* Nothing left behind by the temp file + rename. */
    char *ls = NULL;
    const char *lsargv[] = {"ls", "-a", dir, NULL};
    assert_int_equal(h_run(lsargv, NULL, &ls, 5000), 0);
    assert_null(strstr(ls, ".tmp-"));
    free(ls);
    /* A second rewrite with nothing changed leaves the file as it is. */
    h_expect(c, "CONFIG REWRITE", "+OK\r\n");
    char *again = h_read_file(conf, NULL);
    assert_string_equal(again, after);
    free(again);
    free(after);
    h_close(c);
    assert_int_equal(stop(pid), 0);

    /* Restarted with the file, the server has the values it had. */
    char realdata[PATH_MAX];
    assert_non_null(realpath(data, realdata));
    port = start_respd(&pid, "second", args, dir);
    assert_true(port > 0);
    c = h_connect(port, 2000);
    h_expect(c, "PING", "-NOAUTH Authentication required.\r\n");
    h_expect(c, "AUTH \"p\\\"w d\"", "+OK\r\n");
    static const char *const values[][2] = {
        {"maxclients", "200"}, {"timeout", "7"}, {"hz", "15"}, {"loglevel", "verbose"},
        {"appendfsync", "always"}, {"list-max-listpack-size", "5"}, {"tcp-keepalive", "60"},
        {"dir", NULL},
    };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        v = config_value(c, values[i][0]);
        assert_string_equal(v, values[i][1] ? values[i][1] : realdata);
        free(v);
    }
    h_expect(c, "FLUSHALL", "-ERR unknown command 'FLUSHALL', with args beginning with: \r\n");
    h_close(c);
    assert_int_equal(stop(pid), 0);
}

static void test_ops_config_rewrite_reports_errors(void **state)
{
    (void)state;
    char sub[256], conf[300];
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    snprintf(conf, sizeof(conf), "%s/respd.conf", sub);
    assert_int_equal(mkdir(sub, 0700), 0);
    write_text(conf, "hz 11\n");
    const char *args[] = {conf, "--port", "0", "--bind", "127.0.0.1", NULL};
    pid_t pid;
    int port = start_respd(&pid, "respd", args, NULL);
    assert_true(port > 0);
    h_conn *c = h_connect(port, 2000);
    /* The directory is gone: no temp file can be made beside the file. */
    assert_int_equal(unlink(conf), 0);
    assert_int_equal(rmdir(sub), 0);
    h_expect(c, "CONFIG REWRITE", "-ERR Rewriting config file: No such file or directory\r\n");
    /* A missing file in an existing directory is created. */
    assert_int_equal(mkdir(sub, 0700), 0);
    h_expect(c, "CONFIG REWRITE", "+OK\r\n");
    char *text = h_read_file(conf, NULL);
    assert_non_null(text);
    /* As Redis: no blank line first in an empty file. */
    assert_true(!strncmp(text, "# Generated by CONFIG REWRITE\n", 30));
    assert_non_null(strstr(text, "\nhz 11\n"));
    free(text);
    h_close(c);
    assert_int_equal(stop(pid), 0);
}

/* ---- unix socket permissions ------------------------------------------------------ */

static void test_ops_unixsocketperm_is_octal(void **state)
{
    (void)state;
    char sock[256];
    snprintf(sock, sizeof(sock), "%s/respd.sock", dir);
    const char *args[] = {"--port", "0", "--bind", "127.0.0.1", "--unixsocket", sock,
                          "--unixsocketperm", "710", NULL};
    pid_t pid;
    int port = start_respd(&pid, "respd", args, NULL);
    assert_true(port > 0);
    struct stat st;
    assert_int_equal(stat(sock, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0710);
    /* A unix socket client is local: protected mode lets it in. */
    h_conn *u = connect_unix(sock);
    assert_non_null(u);
    h_expect(u, "PING", "+PONG\r\n");
    char *v = config_value(u, "unixsocketperm");
    assert_string_equal(v, "710");
    free(v);
    h_close(u);
    assert_int_equal(stop(pid), 0);
    assert_int_equal(access(sock, F_OK), -1); /* its own socket is removed */
    if (!h_redis_available())
        return;
    static const char *const bad[] = {"799", "1777", NULL};
    for (int i = 0; bad[i]; i++) {
        const char *ours[] = {respd_abs(), "--port", "0", "--unixsocketperm", bad[i], NULL};
        const char *theirs[] = {"redis-server", "--port", "0", "--unixsocketperm", bad[i], NULL};
        char *o = NULL, *r = NULL;
        assert_int_equal(h_run(ours, NULL, &o, 10000), 1);
        assert_int_equal(h_run(theirs, NULL, &r, 10000), 1);
        assert_string_equal(reason_line(o), reason_line(r));
        free(o);
        free(r);
    }
}

int main(void)
{
    h_raise_nofile(4096);
    signal(SIGPIPE, SIG_IGN);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_ops_conf_names_every_setting_with_its_default),
        T(test_ops_systemd_units_pass_verify),
        T(test_ops_make_install_lays_out_prefix_and_destdir),
        T(test_ops_socket_activation_serves_passed_sockets),
        T(test_ops_socket_activation_for_another_pid_is_ignored),
        T(test_ops_socket_activation_refuses_unusable_fds),
        T(test_ops_systemd_socket_activate_starts_respd_on_first_connection),
        T(test_ops_daemonize_writes_pidfile_and_sigterm_removes_it),
        T(test_ops_sigterm_flushes_aof_and_removes_pidfile),
        T(test_ops_sigterm_fsyncs_the_aof),
        T(test_ops_sighup_reopens_the_log_file),
        T(test_ops_default_bind_is_loopback_only),
        T(test_ops_protected_mode_matches_redis),
        T(test_ops_auth_and_noauth_match_redis),
        T(test_ops_rename_command_matches_redis),
        T(test_ops_rename_command_config_errors_match_redis),
        T(test_ops_aof_uses_original_names_under_renames),
        T(test_ops_config_rewrite_without_file_matches_redis),
        T(test_ops_config_rewrite_round_trip),
        T(test_ops_config_rewrite_reports_errors),
        T(test_ops_unixsocketperm_is_octal),
    };
#undef T
    return cmocka_run_group_tests_name("ops", tests, NULL, NULL);
}
