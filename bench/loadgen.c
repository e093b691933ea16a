/* loadgen: the load of bench/soak.sh and bench/conns.sh, for respd and
 * redis-server alike (libc only; built by those scripts).
 *
 *   loadgen soak PORT PID REQUESTS STEP
 *       The soak test's request stream (tests/integration/workload.h) from
 *       four clients with 16 requests in flight each; every STEP requests
 *       prints "requests elapsed_ms rss_kb" of process PID.
 *   loadgen conns PORT CONNECTIONS ACTIVE SECONDS
 *       Opens CONNECTIONS connections (each answers one PING first), waits a
 *       second, keeps ACTIVE of them busy with 8 requests in flight, and for SECONDS
 *       measures PING round trips on one more connection every 2 ms; prints
 *       "connect_ms pings requests p50_us p90_us p99_us p999_us max_us".
 *   loadgen fairness PORT PIPELINE VALUE_KB
 *       Stores a VALUE_KB value, sends PIPELINE GETs of it in one write on
 *       one connection and reads the replies as fast as it can, while
 *       another connection sends PINGs one after another; prints
 *       "heavy_ms pings p50_us p99_us max_us" for the PINGs sent meanwhile.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "workload.h"

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *what)
{
    fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* A blocking TCP connection to 127.0.0.1:port with TCP_NODELAY. */
static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die("send");
        p += w;
        n -= (size_t)w;
    }
}

/* Reads until want complete replies have arrived; exits on an error reply.
 * The buffer is per thread: the soak's clients run in threads of their own. */
static void read_replies(int fd, long want)
{
    static __thread char buf[1 << 18];
    size_t len = 0;
    while (want > 0) {
        if (len == sizeof(buf)) {
            fprintf(stderr, "loadgen: a reply longer than %zu bytes\n", sizeof(buf));
            exit(1);
        }
        ssize_t r = read(fd, buf + len, sizeof(buf) - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            die("read");
        len += (size_t)r;
        size_t off = 0;
        for (;;) {
            int err = 0;
            long one = wl_reply_len(buf + off, len - off, &err);
            if (one < 0 || err) {
                fprintf(stderr, "loadgen: bad reply: %.*s\n", (int)(len - off), buf + off);
                exit(1);
            }
            if (one == 0)
                break;
            off += (size_t)one;
            want--;
        }
        memmove(buf, buf + off, len - off);
        len -= off;
    }
}

static long rss_kb(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    fclose(f);
    return kb;
}

/* ---- soak -------------------------------------------------------------------- */

enum { CONNS = 4, BATCH = 16 };

typedef struct soak_conn {
    int fd;
    wl_state w;
    long todo;
    pthread_t th;
} soak_conn;

/* One client: batches of BATCH requests, each read back before the next. */
static void *soak_client(void *p)
{
    soak_conn *c = p;
    char *out = malloc((size_t)BATCH * WL_MAX_REQ);
    while (c->todo > 0) {
        long b = c->todo < BATCH ? c->todo : BATCH;
        size_t len = 0;
        for (long i = 0; i < b; i++)
            len += wl_request(&c->w, out + len);
        send_all(c->fd, out, len);
        read_replies(c->fd, b);
        c->todo -= b;
    }
    free(out);
    return NULL;
}

static int soak(int port, long pid, long total, long step)
{
    soak_conn cs[CONNS];
    for (int i = 0; i < CONNS; i++) {
        cs[i].fd = dial(port);
        wl_init(&cs[i].w, 42 + (uint64_t)i);
    }
    long long t0 = now_us();
    printf("%ld %lld %ld\n", 0L, 0LL, rss_kb(pid));
    for (long done = 0; done < total; done += step) {
        for (int i = 0; i < CONNS; i++) {
            cs[i].todo = step / CONNS;
            pthread_create(&cs[i].th, NULL, soak_client, &cs[i]);
        }
        for (int i = 0; i < CONNS; i++)
            pthread_join(cs[i].th, NULL);
        printf("%ld %lld %ld\n", done + step, (now_us() - t0) / 1000, rss_kb(pid));
        fflush(stdout);
    }
    for (int i = 0; i < CONNS; i++)
        close(cs[i].fd);
    return 0;
}

/* ---- many connections ---------------------------------------------------------- */

static int conns(int port, int n, int active, int seconds)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)n + 64) {
        rl.rlim_cur = (rlim_t)n + 64;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            die("setrlimit (raise ulimit -n)");
    }
    int *fds = malloc(sizeof(int) * (size_t)n);
    long long t0 = now_us();
    for (int i = 0; i < n; i++)
        fds[i] = dial(port);
    for (int i = 0; i < n; i++)
        send_all(fds[i], "PING\r\n", 6);
    for (int i = 0; i < n; i++)
        read_replies(fds[i], 1);
    long long connect_ms = (now_us() - t0) / 1000;
    /* Let the kernel settle after the connection storm (its delayed ACKs and
     * timers for 10,000 new sockets), which is not the server's latency. */
    sleep(1);
    int probe = dial(port);
    wl_busy l = {.fds = fds, .n = active};
    pthread_t th;
    pthread_create(&th, NULL, wl_busy_run, &l);
    usleep(200000);
    long cap = (long)seconds * 1000, pings = 0;
    long long *lat = malloc(sizeof(long long) * (size_t)cap);
    long long end = now_us() + (long long)seconds * 1000000;
    while (now_us() < end && pings < cap) {
        long long t = now_us();
        send_all(probe, "*1\r\n$4\r\nPING\r\n", 14);
        read_replies(probe, 1);
        lat[pings++] = now_us() - t;
        usleep(2000);
    }
    l.stop = 1;
    pthread_join(th, NULL);
    if (l.send_failures > 0) {
        fprintf(stderr, "loadgen: %ld batches of the busy clients could not be sent\n",
                l.send_failures);
        exit(1);
    }
    qsort(lat, (size_t)pings, sizeof(long long), wl_cmp_ll);
    printf("%lld %ld %ld %lld %lld %lld %lld %lld\n", connect_ms, pings, l.requests,
           lat[pings / 2], lat[pings * 90 / 100], lat[pings * 99 / 100], lat[pings * 999 / 1000],
           lat[pings - 1]);
    for (int i = 0; i < n; i++)
        close(fds[i]);
    close(probe);
    free(lat);
    free(fds);
    return 0;
}

/* ---- fairness ---------------------------------------------------------------- */

typedef struct heavy {
    int fd;
    size_t want;
    volatile int done;
} heavy;

static void *heavy_reader(void *p)
{
    heavy *h = p;
    size_t cap = 1 << 20, got = 0;
    char *buf = malloc(cap);
    while (got < h->want) {
        ssize_t r = read(h->fd, buf, cap);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            die("read (heavy)");
        got += (size_t)r;
    }
    free(buf);
    h->done = 1;
    return NULL;
}

static int fairness(int port, int pipeline, long value_kb)
{
    size_t vlen = (size_t)value_kb * 1024;
    int c = dial(port), big = dial(port);
    char head[96];
    int hl = snprintf(head, sizeof(head), "*3\r\n$3\r\nSET\r\n$7\r\nfairbig\r\n$%zu\r\n", vlen);
    char *set = malloc((size_t)hl + vlen + 2);
    memcpy(set, head, (size_t)hl);
    memset(set + hl, 'v', vlen);
    memcpy(set + hl + vlen, "\r\n", 2);
    send_all(c, set, (size_t)hl + vlen + 2);
    free(set);
    read_replies(c, 1);
    static const char get[] = "*2\r\n$3\r\nGET\r\n$7\r\nfairbig\r\n";
    size_t gl = sizeof(get) - 1;
    char *req = malloc(gl * (size_t)pipeline);
    for (int i = 0; i < pipeline; i++)
        memcpy(req + (size_t)i * gl, get, gl);
    int lenlen = snprintf(head, sizeof(head), "$%zu\r\n", vlen);
    heavy h = {.fd = big, .want = (size_t)pipeline * ((size_t)lenlen + vlen + 2)};
    long cap = 1000000, pings = 0;
    long long *lat = malloc(sizeof(long long) * (size_t)cap);
    long long t0 = now_us();
    send_all(big, req, gl * (size_t)pipeline);
    pthread_t th;
    pthread_create(&th, NULL, heavy_reader, &h);
    while (!h.done && pings < cap) {
        long long t = now_us();
        send_all(c, "*1\r\n$4\r\nPING\r\n", 14);
        read_replies(c, 1);
        lat[pings++] = now_us() - t;
    }
    pthread_join(th, NULL);
    long long heavy_ms = (now_us() - t0) / 1000;
    if (pings == 0)
        lat[pings++] = 0;
    qsort(lat, (size_t)pings, sizeof(long long), wl_cmp_ll);
    printf("%lld %ld %lld %lld %lld\n", heavy_ms, pings, lat[pings / 2], lat[pings * 99 / 100],
           lat[pings - 1]);
    send_all(c, "*2\r\n$3\r\nDEL\r\n$7\r\nfairbig\r\n", 28);
    read_replies(c, 1);
    free(req);
    free(lat);
    close(big);
    close(c);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "soak") == 0)
        return soak(atoi(argv[2]), atol(argv[3]), atol(argv[4]), atol(argv[5]));
    if (argc == 6 && strcmp(argv[1], "conns") == 0)
        return conns(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    if (argc == 5 && strcmp(argv[1], "fairness") == 0)
        return fairness(atoi(argv[2]), atoi(argv[3]), atol(argv[4]));
    fprintf(stderr, "usage: loadgen soak PORT PID REQUESTS STEP\n"
                    "       loadgen conns PORT CONNECTIONS ACTIVE SECONDS\n"
                    "       loadgen fairness PORT PIPELINE VALUE_KB\n");
    return 2;
}
