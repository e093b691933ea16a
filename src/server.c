/* server: global state, start-up, the cron, before-sleep and shutdown.
 * See server.h for the sequences.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aof.h"
#include "blocking.h"
#include "client.h"
#include "command.h"
#include "config.h"
#include "evict.h"
#include "hashtable.h"
#include "lazyfree.h"
#include "latency.h"
#include "log.h"
#include "mem.h"
#include "multi.h"
#include "metrics.h"
#include "net.h"
#include "notify.h"
#include "slowlog.h"
#include "util.h"

server_t server;

static volatile sig_atomic_t got_shutdown_signal;
static volatile sig_atomic_t got_sighup;

/* ---- time ----------------------------------------------------------------- */

void server_update_time(void)
{
    server.now_ms = ev_wall_ms();
    db_set_now(server.now_ms);
    obj_access_clock(server.now_ms);
}

/* ---- statistics ----------------------------------------------------------- */

#define SAMPLES 16

static void sample_stats(void)
{
    server_stats *s = &server.stats;
    long long now = ev_mono_ms();
    long long dt = now - s->last_sample_ms;
    if (dt < 100)
        return;
    int i = s->sample_idx;
    s->ops_sample[i] = (s->total_commands - s->last_sample_ops) * 1000 / dt;
    s->in_sample[i] = (s->net_input_bytes - s->last_sample_in) * 1000 / dt;
    s->out_sample[i] = (s->net_output_bytes - s->last_sample_out) * 1000 / dt;
    s->sample_idx = (i + 1) % SAMPLES;
    s->last_sample_ms = now;
    s->last_sample_ops = s->total_commands;
    s->last_sample_in = s->net_input_bytes;
    s->last_sample_out = s->net_output_bytes;
}

static long long sample_mean(const long long *v)
{
    long long sum = 0;
    for (int i = 0; i < SAMPLES; i++)
        sum += v[i];
    return sum / SAMPLES;
}

long long server_instant_ops(void)
{
    return sample_mean(server.stats.ops_sample);
}

double server_instant_kbps(int dir)
{
    return (double)sample_mean(dir ? server.stats.out_sample : server.stats.in_sample) / 1024.0;
}

void server_reset_stats(void)
{
    memset(&server.stats, 0, sizeof(server.stats));
    server.stats.last_sample_ms = ev_mono_ms();
    evict_reset_stats();
    lazyfree_reset_stats();
}

/* ---- listeners and accept ------------------------------------------------- */

/* Redis's answer to a non-loopback client while protected mode is on and
 * no password is set; sent at once, before any command, then the socket is
 * closed. */
size_t server_memory_used(void)
{
    size_t used = mem_used();
    if (used > server.peak_memory)
        server.peak_memory = used;
    return used;
}

int server_protected_refuses(int fd)
{
    return cfg.protected_mode && (!cfg.requirepass || !cfg.requirepass[0]) &&
           !net_peer_is_local(fd);
}

static void deny_protected(int fd)
{
    static const char msg[] =
        "-DENIED Redis is running in protected mode because protected mode is enabled and no "
        "password is set for the default user. In this mode connections are only accepted from "
        "the loopback interface. If you want to connect from external computers to Redis you "
        "may adopt one of the following solutions: 1) Just disable protected mode sending the "
        "command 'CONFIG SET protected-mode no' from the loopback interface by connecting to "
        "Redis from the same host the server is running, however MAKE SURE Redis is not "
        "publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change "
        "permanent. 2) Alternatively you can just disable the protected mode by editing the "
        "Redis configuration file, and setting the protected mode option to 'no', and then "
        "restarting the server. 3) If you started the server manually just for testing, "
        "restart it with the '--protected-mode no' option. 4) Setup a an authentication "
        "password for the default user. NOTE: You only need to do one of the above things in "
        "order for the server to start accepting connections from the outside.\r\n";
    ssize_t w = write(fd, msg, sizeof(msg) - 1);
    (void)w; /* best effort: the client is refused either way */
    server.stats.rejected_connections++;
    close(fd);
}

static void on_accept(ev_loop *loop, int lfd, void *data, int mask)
{
    (void)loop;
    (void)data;
    (void)mask;
    /* Bounded, so a connection storm cannot starve the clients already in. */
    for (int i = 0; i < 1000; i++) {
        int fd = net_accept(lfd);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_warning("Accepting client connection: %s", strerror(errno));
            return;
        }
        server.stats.total_connections++;
        if (client_count() >= (size_t)cfg.maxclients) {
            static const char msg[] = "-ERR max number of clients reached\r\n";
            ssize_t w = write(fd, msg, sizeof(msg) - 1);
            (void)w; /* best effort, like Redis */
            server.stats.rejected_connections++;
            close(fd);
            continue;
        }
        if (server_protected_refuses(fd)) {
            deny_protected(fd);
            continue;
        }
        net_tune(fd, cfg.tcp_keepalive);
        client *c = client_new(fd, 0);
        if (!c) {
            log_warning("Registering new client: %s", strerror(errno));
            close(fd);
            continue;
        }
        log_verbose("Accepted %s", c->addr);
    }
}

static void close_listeners(int *fds, int n)
{
    for (int i = 0; i < n; i++) {
        ev_del_fd(server.loop, fds[i], EV_READABLE);
        close(fds[i]);
    }
}

/* Opens every listener cfg asks for. On success sets *fds_out, *n_out and
 * *port_out (the TCP port used). Addresses prefixed with '-' may fail quietly. */
static int open_listeners(int **fds_out, int *n_out, int *port_out, char *err, size_t errlen)
{
    int *fds = mem_alloc(sizeof(int) * 20);
    int n = 0;
    int port = cfg.port;
    char *bind = mem_strdup(cfg.bind ? cfg.bind : "");
    char *save = NULL;
    int failed = 0;
    if (cfg.port != 0 || bind[0]) {
        for (char *tok = strtok_r(bind, " ", &save); tok && n < 16;
             tok = strtok_r(NULL, " ", &save)) {
            int optional = tok[0] == '-';
            const char *addr = optional ? tok + 1 : tok;
            int fd = net_listen_tcp(addr, port, cfg.tcp_backlog, err, errlen);
            if (fd < 0) {
                if (optional && (errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT ||
                                 errno == EPROTONOSUPPORT || errno == EINVAL))
                    continue;
                failed = 1;
                break;
            }
            if (port == 0)
                port = net_local_port(fd); /* every address shares the first's port */
            fds[n++] = fd;
        }
    }
    if (!failed && cfg.unixsocket && cfg.unixsocket[0]) {
        int fd = net_listen_unix(cfg.unixsocket, cfg.unixsocketperm, cfg.tcp_backlog, err,
                                 errlen);
        if (fd < 0)
            failed = 1;
        else
            fds[n++] = fd;
    }
    mem_free(bind);
    if (!failed && n == 0) {
        snprintf(err, errlen, "Configured to not listen anywhere, exiting.");
        failed = 1;
    }
    if (failed) {
        for (int i = 0; i < n; i++)
            close(fds[i]);
        mem_free(fds);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (ev_add_fd(server.loop, fds[i], EV_READABLE, on_accept, NULL) < 0) {
            snprintf(err, errlen, "Registering listener: %s", strerror(errno));
            close_listeners(fds, i);
            for (int j = i; j < n; j++)
                close(fds[j]);
            mem_free(fds);
            return -1;
        }
    }
    *fds_out = fds;
    *n_out = n;
    *port_out = port;
    return 0;
}

/* Socket activation: how many listeners systemd passed (0 = none). */
static int activated;

/* Takes over the listening sockets systemd passed (socket activation) in
 * place of those bind, port and unixsocket would open. *port_out is the
 * first TCP socket's port (0 when all are unix sockets). */
static int adopt_listeners(int n, int **fds_out, int *n_out, int *port_out, char *err,
                           size_t errlen)
{
    int *fds = mem_alloc(sizeof(int) * (size_t)n);
    int port = 0;
    for (int i = 0; i < n; i++) {
        int fd = NOTIFY_LISTEN_FDS_START + i;
        int failed = net_adopt_listener(fd, err, errlen) < 0;
        if (!failed && ev_add_fd(server.loop, fd, EV_READABLE, on_accept, NULL) < 0) {
            snprintf(err, errlen, "Registering listener: %s", strerror(errno));
            failed = 1;
        }
        if (failed) {
            close_listeners(fds, i);
            mem_free(fds);
            return -1;
        }
        fds[i] = fd;
        if (!port && net_local_port(fd) > 0)
            port = net_local_port(fd);
    }
    log_notice("Using %d listening socket%s passed by systemd (socket activation) for clients, "
               "not those of bind, port and unixsocket.", n, n == 1 ? "" : "s");
    *fds_out = fds;
    *n_out = n;
    *port_out = port;
    return 0;
}

int server_rebind(const char **errp)
{
    static char err[256];
    int *fds, n, port;
    if (activated) {
        /* The sockets are systemd's: closing them could not be undone. */
        *errp = "the listening sockets were passed by systemd (socket activation) and cannot "
                "be changed";
        return -1;
    }
    /* New listeners first: when they fail the old ones stay as they were. */
    close_listeners(server.listen_fds, server.nlisten);
    if (open_listeners(&fds, &n, &port, err, sizeof(err)) < 0) {
        int *ofds, on, oport;
        char ignored[256];
        if (open_listeners(&ofds, &on, &oport, ignored, sizeof(ignored)) == 0) {
            mem_free(server.listen_fds);
            server.listen_fds = ofds;
            server.nlisten = on;
        }
        *errp = err;
        return -1;
    }
    mem_free(server.listen_fds);
    server.listen_fds = fds;
    server.nlisten = n;
    server.bound_port = port;
    log_notice("Listening again, port=%d.", port);
    /* The metrics endpoint listens on the same addresses. */
    const char *merr;
    if (metrics_rebind(&merr) < 0)
        log_warning("Metrics endpoint not moved: %s", merr);
    return 0;
}

/* ---- cron and hooks ------------------------------------------------------- */

static long long cron(ev_loop *loop, long long id, void *data)
{
    (void)loop;
    (void)id;
    (void)data;
    server_update_time();
    server.cron_loops++;
    int period_ms = 1000 / (cfg.hz > 0 ? cfg.hz : 10);
    /* Active expiry may use a quarter of the cron period, shared by the dbs. */
    if (server.active_expire_enabled) {
        long long start = ev_mono_us();
        long long deadline = start + (long long)period_ms * 1000 / 4;
        for (int i = 0; i < server.ndbs && ev_mono_us() < deadline; i++)
            db_active_expire(&server.dbs[i], deadline);
        long long end = ev_mono_us();
        server.stats.expire_cycle_us += end - start;
        server.stats.expire_cycle_cap_reached += end >= deadline;
    }
    for (int i = 0; i < server.ndbs; i++)
        db_rehash(&server.dbs[i], 1);
    client_cron();
    aof_cron();
    sample_stats();
    server_memory_used();
    if (got_sighup) {
        got_sighup = 0;
        if (log_reopen() < 0)
            log_warning("Reopening the log file: %s", strerror(errno));
        else
            log_notice("Log file reopened");
    }
    return period_ms;
}

void server_key_removed(db *d, const char *key, size_t klen)
{
    /* The AOF must depend neither on time nor on memory: a DEL. */
    char *argv[2] = {"DEL", (char *)key};
    size_t argvlen[2] = {3, klen};
    aof_feed(d->id, 2, argv, argvlen);
    multi_touch_key(d, key, klen);
}

static void on_expired(db *d, const char *key, size_t klen)
{
    server_key_removed(d, key, klen);
    server.stats.expired_keys++;
}

/* Closes the cycle after_sleep opened: one clock read per tick. */
static void tick_end(void)
{
    if (!server.tick_start_us)
        return; /* the first before-sleep, before any wait */
    server_stats *s = &server.stats;
    long long dur = ev_mono_us() - server.tick_start_us;
    long long cmds = s->total_commands - server.tick_start_cmds;
    s->eventloop_cycles++;
    s->eventloop_duration_sum += dur;
    if (dur > s->eventloop_duration_max)
        s->eventloop_duration_max = dur;
    if (cmds > s->eventloop_cmd_per_cycle_max)
        s->eventloop_cmd_per_cycle_max = cmds;
}

static void before_sleep(ev_loop *loop, void *data)
{
    (void)data;
    if (got_shutdown_signal && !server.shutdown_asap) {
        log_warning("Received %s scheduling shutdown...",
                    got_shutdown_signal == SIGINT ? "SIGINT" : "SIGTERM");
        server.shutdown_asap = 1;
    }
    /* An eviction run that stopped on its time bound goes on, a slice per
     * iteration, without sleeping in between. */
    if (evict_pending() && evict_perform() == EVICT_RUNNING)
        ev_no_wait(loop);
    blocking_handle_ready();
    blocking_handle_timeouts(server.now_ms);
    client_free_closed();
    /* The AOF is written (and for appendfsync always, fsynced) before any
     * reply of this tick leaves, so no client sees OK for a write that is
     * not in the file. */
    aof_before_sleep();
    client_flush_pending();
    client_free_closed();
    /* UNLINK and FLUSH ASYNC leftovers: half a millisecond of freeing per
     * iteration, after this tick's replies are out, without sleeping until
     * it is done. */
    if (lazyfree_pending() && lazyfree_step(500))
        ev_no_wait(loop);
    tick_end();
    if (server.shutdown_asap)
        ev_stop(loop);
}

static void after_sleep(ev_loop *loop, void *data)
{
    (void)loop;
    (void)data;
    server_update_time();
    server.tick_start_us = ev_mono_us();
    server.tick_start_cmds = server.stats.total_commands;
}

static void on_signal(int sig)
{
    if (sig == SIGHUP) {
        got_sighup = 1;
        return;
    }
    if (got_shutdown_signal && sig == SIGINT) {
        static const char msg[] = "You insist... exiting now.\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
        (void)w;
        _exit(1);
    }
    got_shutdown_signal = sig;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* Raises the open-file limit so that maxclients connections fit; lowers
 * maxclients when the hard limit does not allow it, as Redis does. */
static int adjust_open_files(void)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)cfg.maxclients + 32;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 1024;
    if (rl.rlim_cur < want) {
        rlim_t target = want < rl.rlim_max || rl.rlim_max == RLIM_INFINITY ? want : rl.rlim_max;
        struct rlimit nl = {.rlim_cur = target, .rlim_max = rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &nl) == 0)
            rl.rlim_cur = target;
        if (rl.rlim_cur < want) {
            int old = cfg.maxclients;
            cfg.maxclients = rl.rlim_cur > 64 ? (int)(rl.rlim_cur - 32) : 32;
            log_warning("You requested maxclients of %d requiring at least %llu max file "
                        "descriptors. Server can't set maximum open files to %llu because of OS "
                        "error: %s. Current maximum open files is %llu. maxclients has been "
                        "reduced to %d to compensate for low ulimit.",
                        old, (unsigned long long)want, (unsigned long long)want,
                        strerror(errno), (unsigned long long)rl.rlim_cur, cfg.maxclients);
        }
    }
    return (int)(rl.rlim_cur > (rlim_t)INT_MAX / 2 ? INT_MAX / 2 : rl.rlim_cur);
}

/* CONFIG SET maxclients: as Redis, the open-file limit is raised to fit,
 * and when the system refuses the error names the most it allows. The
 * event loop grows with it (an fd it cannot watch could not be served). */
static int apply_maxclients(const char **err)
{
    static char msg[128];
    int wanted = cfg.maxclients;
    adjust_open_files();
    if (cfg.maxclients != wanted) {
        snprintf(msg, sizeof(msg),
                 "The operating system is not able to handle the specified number of clients, "
                 "try with %d",
                 cfg.maxclients);
        *err = msg;
        return -1;
    }
    if ((long long)cfg.maxclients + 32 > ev_setsize(server.loop))
        ev_resize(server.loop, cfg.maxclients + 128);
    return 0;
}

static int apply_loglevel(const char **err)
{
    (void)err;
    log_set_level(cfg.loglevel);
    return 0;
}

static int daemonize(void)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    setsid();
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        if (!cfg.logfile || !cfg.logfile[0])
            dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
    return 0;
}

static void write_pidfile(void)
{
    if (!cfg.pidfile || !cfg.pidfile[0])
        return;
    FILE *f = fopen(cfg.pidfile, "w");
    if (!f) {
        log_warning("Failed to write PID file: %s", strerror(errno));
        return;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
}

static long long watchdog_ping(ev_loop *loop, long long id, void *data)
{
    (void)loop;
    (void)id;
    notify_send("WATCHDOG=1");
    return (long long)(intptr_t)data;
}

int server_start(char *err, size_t errlen)
{
    if (cfg.logfile && cfg.logfile[0] && log_set_file(cfg.logfile) < 0) {
        snprintf(err, errlen, "Can't open the log file: %s", strerror(errno));
        return -1;
    }
    log_set_level(cfg.loglevel);
    /* Before daemonize: LISTEN_PID names the process systemd started. */
    int passed = notify_listen_fds(err, errlen);
    if (passed < 0)
        return -1;
    if (cfg.daemonize && daemonize() < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    server.pid = getpid();
    uint8_t seed[16];
    util_random_bytes(seed, sizeof(seed));
    ht_set_seed(seed);
    uint64_t rs;
    util_random_bytes(&rs, sizeof(rs));
    util_seed_random(rs);
    for (int i = 0; i < 40; i++)
        server.run_id[i] = "0123456789abcdef"[util_random() & 15];
    server.run_id[40] = '\0';

    int setsize = adjust_open_files();
    if (setsize < cfg.maxclients + 32)
        setsize = cfg.maxclients + 32;
    server.loop = ev_new(setsize + 96);
    if (!server.loop) {
        snprintf(err, errlen, "Failed creating the event loop: %s", strerror(errno));
        return -1;
    }
    server.ndbs = cfg.databases;
    server.dbs = mem_calloc((size_t)server.ndbs, sizeof(db));
    for (int i = 0; i < server.ndbs; i++)
        db_init(&server.dbs[i], i);
    db_set_expired_hook(on_expired);
    cmd_init();
    server.start_ms = ev_wall_ms();
    server.start_mono_ms = ev_mono_ms();
    server.last_save_ms = server.start_ms;
    server.active_expire_enabled = 1;
    evict_init();
    server_update_time();
    server_reset_stats();

    notify_init();
    notify_send("STATUS=Loading the append only file");
    if (aof_start(err, errlen) < 0) {
        notify_send("STATUS=Failed to load the append only file");
        return -1;
    }
    int rc = passed > 0 ? adopt_listeners(passed, &server.listen_fds, &server.nlisten,
                                          &server.bound_port, err, errlen)
                        : open_listeners(&server.listen_fds, &server.nlisten, &server.bound_port,
                                         err, errlen);
    if (rc < 0)
        return -1;
    activated = passed;
    config_set_apply_hook("port", server_rebind);
    config_set_apply_hook("bind", server_rebind);
    config_set_apply_hook("maxclients", apply_maxclients);
    config_set_apply_hook("loglevel", apply_loglevel);
    config_set_apply_hook("appendonly", aof_apply_appendonly);
    if (metrics_start(err, errlen) < 0)
        return -1;

    install_signals();
    write_pidfile();
    ev_set_before_sleep(server.loop, before_sleep, NULL);
    ev_set_after_sleep(server.loop, after_sleep, NULL);
    server.cron_timer = ev_timer_add(server.loop, 1, cron, NULL);
    server.startup_memory = mem_used();
    log_notice("respd %s (Redis %s compatible) pid=%d", RESPD_REAL_VERSION, RESPD_VERSION,
               (int)server.pid);
    log_notice("Running mode=standalone, port=%d.", server.bound_port);
    log_notice("Ready to accept connections tcp");
    /* READY only now: the data is loaded and the listeners are open. */
    notify_send("READY=1\nSTATUS=Ready to accept connections");
    long long wd = notify_watchdog_ms();
    if (wd > 0)
        ev_timer_add(server.loop, wd, watchdog_ping, (void *)(intptr_t)wd);
    return 0;
}

int server_prepare_shutdown(int flags)
{
    if (!(flags & SHUTDOWN_FORCE) && !(flags & SHUTDOWN_NOSAVE) && aof_write_error()) {
        log_warning("Error trying to flush the AOF before shutdown; refusing to exit");
        return -1;
    }
    if ((flags & SHUTDOWN_SAVE) && !(flags & SHUTDOWN_FORCE)) {
        /* respd persists only through the AOF; with it off there is nowhere
         * to save, and SAVE must not pretend otherwise. */
        if (!cfg.appendonly) {
            log_warning("SHUTDOWN SAVE: no persistence is configured (appendonly no); use "
                        "SHUTDOWN NOSAVE or FORCE");
            return -1;
        }
    }
    return 0;
}

void server_request_shutdown(int flags)
{
    log_warning("User requested shutdown...");
    server.shutdown_flags = flags;
    server.shutdown_asap = 1;
}

/* Gives every client one last non-blocking chance to receive its replies. */
static void final_flush(void)
{
    client_flush_pending();
}

/* Frees what the server holds, so that leak checkers see a clean exit and
 * any real leak stands out. */
static void release_everything(void)
{
    while (client_first())
        client_free(client_first());
    for (int i = 0; i < server.ndbs; i++)
        db_fini(&server.dbs[i]);
    lazyfree_drain();
    mem_free(server.dbs);
    server.dbs = NULL;
    mem_free(server.listen_fds);
    server.listen_fds = NULL;
    latency_reset();
    slowlog_reset();
    cmd_fini();
    ev_free(server.loop);
    server.loop = NULL;
    config_fini();
    free(server.executable);
    free(server.config_file);
}

int server_run(void)
{
    ev_run(server.loop);
    /* Orderly shutdown:
     *   1. stop accepting new connections
     *   2. write the replies clients are still owed
     *   3. remove the pidfile and say goodbye */
    notify_send("STOPPING=1\nSTATUS=Shutting down");
    close_listeners(server.listen_fds, server.nlisten);
    server.nlisten = 0;
    metrics_stop();
    int rc = 0;
    if (aof_shutdown() < 0) {
        log_warning("Could not make the AOF durable at shutdown");
        rc = 1;
    }
    final_flush();
    if (cfg.pidfile && cfg.pidfile[0])
        unlink(cfg.pidfile);
    if (cfg.unixsocket && cfg.unixsocket[0] && !activated)
        unlink(cfg.unixsocket); /* ours to remove only when we made it */
    log_warning("respd is now ready to exit, bye bye...");
    release_everything();
    return rc;
}
