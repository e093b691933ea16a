/* workload: the mixed request stream of the soak test (test_soak.c) and of
 * bench/soak.sh (through bench/loadgen.c), header-only and libc-only so that
 * both build it alone.
 *
 * Strings, lists, hashes, sets, sorted sets and counters, small keys (listpack
 * encodings) and large ones (hashtable, skiplist), with reads, deletes of
 * members and of whole keys, expiry set on writes and afterwards (TTLs of
 * 50 ms to 1 s, so that expiry churns at its steady rate within the first
 * second of a run, however fast the server). Every key
 * space and every collection is bounded and each is written often enough to
 * reach its steady size within the first few hundred thousand requests: from
 * then on the dataset churns without growing, which is what lets the soak
 * compare resident memory after one and after two million requests. No
 * request of the stream is meant to fail: an error reply means a bug.
 *
 * Also here: the busy clients of the 10,000-connection PING probe
 * (test_hostile.c and bench/conns.sh through bench/loadgen.c).
 */
#ifndef RESPD_ITEST_WORKLOAD_H
#define RESPD_ITEST_WORKLOAD_H

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The longest request wl_request writes. */
#define WL_MAX_REQ 1024

typedef struct wl_state {
    uint64_t rng;
    char val[512]; /* value bytes: letters, never a line end */
} wl_state;

static inline void wl_init(wl_state *w, uint64_t seed)
{
    w->rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (size_t i = 0; i < sizeof(w->val); i++)
        w->val[i] = (char)('a' + i % 26);
}

static inline uint32_t wl_rand(wl_state *w, uint32_t n)
{
    w->rng = w->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((w->rng >> 33) % n);
}

/* A multibulk request from up to 8 NUL-terminated arguments; argument
 * "%V<n>" stands for n value bytes. Returns its length. */
static inline size_t wl_build(const wl_state *w, char *buf, int argc, const char *const *argv)
{
    size_t len = (size_t)sprintf(buf, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        size_t n = strlen(a);
        if (a[0] == '%' && a[1] == 'V') {
            size_t vl = (size_t)atoi(a + 2);
            len += (size_t)sprintf(buf + len, "$%zu\r\n", vl);
            memcpy(buf + len, w->val, vl);
            len += vl;
        } else {
            len += (size_t)sprintf(buf + len, "$%zu\r\n", n);
            memcpy(buf + len, a, n);
            len += n;
        }
        memcpy(buf + len, "\r\n", 2);
        len += 2;
    }
    return len;
}

/* Writes the next request of the stream into buf (WL_MAX_REQ bytes).
 * Returns its length. */
static inline size_t wl_request(wl_state *w, char *buf)
{
    char k[32], m[32], v[16], x[32], y[32];
    uint32_t r = wl_rand(w, 1000);
    const char *a[8];
    int n = 0;
    /* Strings: 20,000 keys, values of 1..400 bytes. */
    if (r < 330) {
        snprintf(k, sizeof(k), "s:%u", wl_rand(w, 20000));
        if (r < 200) {
            snprintf(v, sizeof(v), "%%V%u", 1 + wl_rand(w, 400));
            a[n++] = "SET", a[n++] = k, a[n++] = v;
            if (r < 20) {
                a[n++] = "EX", a[n++] = "1";
            } else if (r < 40) {
                snprintf(x, sizeof(x), "%u", 50 + wl_rand(w, 750));
                a[n++] = "PX", a[n++] = x;
            }
        } else if (r < 290) {
            a[n++] = "GET", a[n++] = k;
        } else if (r < 310) {
            a[n++] = "DEL", a[n++] = k;
        } else {
            snprintf(x, sizeof(x), "%u", 50 + wl_rand(w, 950));
            a[n++] = "PEXPIRE", a[n++] = k, a[n++] = x;
        }
        return wl_build(w, buf, n, a);
    }
    /* Small collections: 200 keys of each type, up to 32 members (64 list
     * entries): listpack encodings. */
    uint32_t key = wl_rand(w, 200), mem = wl_rand(w, 32);
    snprintf(m, sizeof(m), "m%u", mem);
    snprintf(v, sizeof(v), "%%V%u", 1 + wl_rand(w, 64));
    if (r < 430) {
        snprintf(k, sizeof(k), "l:%u", key);
        if (r < 380)
            a[n++] = "LPUSH", a[n++] = k, a[n++] = v;
        else if (r < 405)
            a[n++] = "RPOP", a[n++] = k;
        else if (r < 420)
            a[n++] = "LTRIM", a[n++] = k, a[n++] = "0", a[n++] = "63";
        else
            a[n++] = "LRANGE", a[n++] = k, a[n++] = "0", a[n++] = "9";
    } else if (r < 520) {
        snprintf(k, sizeof(k), "h:%u", key);
        if (r < 480)
            a[n++] = "HSET", a[n++] = k, a[n++] = m, a[n++] = v;
        else if (r < 500)
            a[n++] = "HDEL", a[n++] = k, a[n++] = m;
        else
            a[n++] = "HGET", a[n++] = k, a[n++] = m;
    } else if (r < 590) {
        snprintf(k, sizeof(k), "S:%u", key);
        if (r < 560)
            a[n++] = "SADD", a[n++] = k, a[n++] = m;
        else if (r < 580)
            a[n++] = "SREM", a[n++] = k, a[n++] = m;
        else
            a[n++] = "SISMEMBER", a[n++] = k, a[n++] = m;
    } else if (r < 670) {
        snprintf(k, sizeof(k), "z:%u", key);
        snprintf(x, sizeof(x), "%u.%u", wl_rand(w, 1000), wl_rand(w, 100));
        if (r < 630)
            a[n++] = "ZADD", a[n++] = k, a[n++] = x, a[n++] = m;
        else if (r < 655)
            a[n++] = "ZREM", a[n++] = k, a[n++] = m;
        else
            a[n++] = "ZRANGE", a[n++] = k, a[n++] = "0", a[n++] = "9", a[n++] = "WITHSCORES";
    } else if (r < 880) {
        /* Large collections: 20 keys of each type, up to 500 members:
         * hashtable and skiplist encodings. */
        uint32_t big = wl_rand(w, 20);
        snprintf(m, sizeof(m), "member:%u", wl_rand(w, 500));
        snprintf(x, sizeof(x), "%u", wl_rand(w, 100000));
        if (r < 740) {
            snprintf(k, sizeof(k), "H:%u", big);
            if (r < 720)
                a[n++] = "HSET", a[n++] = k, a[n++] = m, a[n++] = v;
            else
                a[n++] = "HDEL", a[n++] = k, a[n++] = m;
        } else if (r < 810) {
            snprintf(k, sizeof(k), "B:%u", big);
            if (r < 790)
                a[n++] = "SADD", a[n++] = k, a[n++] = m;
            else
                a[n++] = "SREM", a[n++] = k, a[n++] = m;
        } else {
            snprintf(k, sizeof(k), "Z:%u", big);
            if (r < 860)
                a[n++] = "ZADD", a[n++] = k, a[n++] = x, a[n++] = m;
            else
                a[n++] = "ZREM", a[n++] = k, a[n++] = m;
        }
    } else if (r < 930) {
        snprintf(k, sizeof(k), "c:%u", wl_rand(w, 1000));
        a[n++] = "INCR", a[n++] = k;
    } else if (r < 970) {
        /* Whole small collections deleted or given a TTL. */
        static const char types[] = "lhSz";
        snprintf(k, sizeof(k), "%c:%u", types[wl_rand(w, 4)], key);
        if (r < 950) {
            a[n++] = "DEL", a[n++] = k;
        } else {
            a[n++] = "EXPIRE", a[n++] = k, a[n++] = "1";
        }
    } else {
        snprintf(k, sizeof(k), "s:%u", wl_rand(w, 20000));
        snprintf(x, sizeof(x), "s:%u", wl_rand(w, 20000));
        snprintf(y, sizeof(y), "s:%u", wl_rand(w, 20000));
        a[n++] = "MGET", a[n++] = k, a[n++] = x, a[n++] = y;
    }
    return wl_build(w, buf, n, a);
}

/* The length of the first complete RESP2 reply in buf[0..len): > 0 its
 * size, 0 when incomplete, -1 when malformed. Sets *err for an error reply
 * (at any depth). */
static inline long wl_reply_len(const char *b, size_t len, int *err)
{
    size_t pos = 0;
    long long pending = 1;
    while (pending > 0) {
        if (pos >= len)
            return 0;
        const char *nl = memchr(b + pos, '\n', len - pos);
        if (!nl)
            return 0;
        char t = b[pos];
        long long num = strtoll(b + pos + 1, NULL, 10);
        size_t next = (size_t)(nl - b) + 1;
        pending--;
        if (t == '-')
            *err = 1;
        else if (t == '$' && num >= 0)
            next += (size_t)num + 2;
        else if (t == '*' && num > 0)
            pending += num;
        else if (t != '+' && t != ':' && t != '$' && t != '*')
            return -1;
        if (next > len)
            return 0;
        pos = next;
    }
    return (long)pos;
}

/* ---- busy clients ------------------------------------------------------------- */

typedef struct wl_busy {
    const int *fds;       /* connected sockets, blocking or not */
    int n;
    volatile int stop;    /* set by another thread to end wl_busy_run */
    long requests;        /* replies read */
    long send_failures;   /* batches that could not be written whole */
} wl_busy;

/* A thread's body: keeps the n connections busy, each with a batch of eight
 * requests in flight, until b->stop. Every reply is one line, so counting
 * line ends counts replies. A batch not written whole is counted and sent
 * again on the connection's next turn. */
static inline void *wl_busy_run(void *p)
{
    wl_busy *b = p;
    static const char batch[] = "*3\r\n$3\r\nSET\r\n$4\r\nload\r\n$3\r\nabc\r\n"
                                "*2\r\n$6\r\nEXISTS\r\n$4\r\nload\r\n"
                                "*2\r\n$4\r\nINCR\r\n$8\r\nload:ctr\r\n"
                                "*3\r\n$5\r\nLPUSH\r\n$9\r\nload:list\r\n$1\r\nx\r\n"
                                "*4\r\n$5\r\nLTRIM\r\n$9\r\nload:list\r\n$1\r\n0\r\n$2\r\n99\r\n"
                                "*4\r\n$4\r\nHSET\r\n$6\r\nload:h\r\n$1\r\nf\r\n$1\r\nv\r\n"
                                "*3\r\n$4\r\nSADD\r\n$6\r\nload:s\r\n$1\r\nm\r\n"
                                "*1\r\n$4\r\nPING\r\n";
    struct pollfd *pf = calloc((size_t)b->n, sizeof(*pf));
    int *pending = calloc((size_t)b->n, sizeof(int));
    char buf[65536];
    while (!b->stop) {
        for (int i = 0; i < b->n; i++) {
            if (pending[i] == 0) {
                ssize_t w = send(b->fds[i], batch, sizeof(batch) - 1, MSG_NOSIGNAL);
                if (w == (ssize_t)sizeof(batch) - 1)
                    pending[i] = 8;
                else
                    b->send_failures++;
            }
            pf[i].fd = b->fds[i];
            pf[i].events = POLLIN;
        }
        if (poll(pf, (nfds_t)b->n, 100) <= 0)
            continue;
        for (int i = 0; i < b->n; i++) {
            if (!(pf[i].revents & POLLIN))
                continue;
            ssize_t r = read(b->fds[i], buf, sizeof(buf));
            for (ssize_t k = 0; k < r; k++) {
                if (buf[k] == '\n') {
                    pending[i]--;
                    b->requests++;
                }
            }
        }
    }
    free(pending);
    free(pf);
    return NULL;
}

/* qsort's comparison for the latency samples. */
static inline int wl_cmp_ll(const void *x, const void *y)
{
    long long a = *(const long long *)x, b = *(const long long *)y;
    return a < b ? -1 : a > b;
}

#endif
