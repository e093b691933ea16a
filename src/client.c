/* client: connections, their buffers and their life cycle. See client.h.
 *
 * Reading uses one shared 16 KB buffer: a read that holds only complete
 * requests is parsed and executed straight from it, so an idle or
 * request-response client keeps no query buffer of its own. Only the bytes of
 * a partial request are copied into the client's own buffer, which the next
 * reads then extend. A large bulk argument grows that buffer as its bytes
 * arrive, up to exactly the size the request needs and never past it
 * (grow_qbuf); once the request has run, the buffer is released or shrunk,
 * so a connection that once sent 100 MB does not keep 100 MB.
 */
#include "client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "blocking.h"
#include "command.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "mem.h"
#include "monitor.h"
#include "multi.h"
#include "net.h"
#include "pause.h"
#include "server.h"

#define READ_CHUNK (16 * 1024)
/* A bulk this large is read into a buffer sized for it exactly. */
#define BIG_ARG (32 * 1024)
/* Output buffers larger than this are released by the cron when it finds
 * them empty (client_cron), not after every write: a client
 * that pipelines large replies would otherwise free and grow its buffer
 * again for every batch, an mmap, munmap and page faults each time. */
#define OUT_KEEP (16 * 1024)
/* ... up to this size: a buffer larger still is released as soon as it has
 * been written out, so that megabytes do not wait for the cron. */
#define OUT_KEEP_MAX (1024 * 1024)
/* Fairness: while more than this much output waits for a client, its next
 * requests wait too (and its socket is not read), so one client's huge
 * replies or pipeline cost every other client at most one slice per tick. */
#define OUT_CONGESTED (1024 * 1024)
/* Pending output that client-output-buffer-limit does not count (Redis's
 * static reply buffer). */
#define OUT_UNCOUNTED (16 * 1024)

static char shared_rbuf[READ_CHUNK];
static client *clients_head, *clients_tail;
static client *pending_head;
static client *resume_head; /* clients with held-back input to run */
static size_t nclients;
static size_t nclosing; /* clients marked CLOSE_ASAP and not yet freed */
static uint64_t next_id = 1;
/* The client whose request is executing and the bytes of input from that
 * request's first byte to the end of what was read (CLIENT LIST qbuf). */
static client *exec_client;
static size_t exec_left;

static void on_event(ev_loop *loop, int fd, void *data, int mask);

static size_t out_pending(const client *c)
{
    return c->out.len - c->sent;
}

client *client_new(int fd, int flags)
{
    client *c = mem_calloc(1, sizeof(*c));
    c->id = next_id++;
    c->fd = fd;
    c->flags = flags | (fd < 0 ? CLIENT_FAKE : 0);
    resp_init(&c->parser);
    c->parser.max_bulk_len = cfg.proto_max_bulk_len;
    reply_init(&c->out);
    c->db = &server.dbs[0];
    c->authenticated = !cfg.requirepass || !cfg.requirepass[0];
    c->ctime_ms = server.now_ms;
    c->last_interaction = ev_mono_ms();
    if (fd >= 0) {
        if (ev_add_fd(server.loop, fd, EV_READABLE, on_event, c) < 0) {
            int saved = errno;
            resp_fini(&c->parser);
            reply_fini(&c->out);
            mem_free(c);
            errno = saved;
            return NULL;
        }
        if (net_is_unix(fd)) {
            /* As Redis: both ends named after the socket's path. */
            c->flags |= CLIENT_UNIX;
            snprintf(c->addr, sizeof(c->addr), "%s:0", cfg.unixsocket ? cfg.unixsocket : "");
            memcpy(c->laddr, c->addr, sizeof(c->laddr));
        } else {
            net_peer_name(fd, c->addr, sizeof(c->addr), 0);
            net_peer_name(fd, c->laddr, sizeof(c->laddr), 1);
        }
        nclients++;
    }
    c->prev = clients_tail;
    if (clients_tail)
        clients_tail->next = c;
    else
        clients_head = c;
    clients_tail = c;
    return c;
}

static void unlink_resume(client *c)
{
    if (!(c->flags & CLIENT_RESUME_QUEUED))
        return;
    for (client **pp = &resume_head; *pp; pp = &(*pp)->resume_next) {
        if (*pp == c) {
            *pp = c->resume_next;
            break;
        }
    }
    c->flags &= ~CLIENT_RESUME_QUEUED;
}

static void unlink_pending(client *c)
{
    if (!(c->flags & CLIENT_PENDING_WRITE))
        return;
    for (client **pp = &pending_head; *pp; pp = &(*pp)->pending_next) {
        if (*pp == c) {
            *pp = c->pending_next;
            break;
        }
    }
    c->flags &= ~CLIENT_PENDING_WRITE;
}

void client_args_copy(client_args *a, const client *c)
{
    a->argc = c->argc;
    a->argv = mem_alloc(sizeof(char *) * (size_t)c->argc);
    a->argvlen = mem_alloc(sizeof(size_t) * (size_t)c->argc);
    a->mem = 0;
    for (int i = 0; i < c->argc; i++) {
        a->argv[i] = mem_strndup(c->argv[i], c->argvlen[i]);
        a->argvlen[i] = c->argvlen[i];
        a->mem += c->argvlen[i];
    }
}

void client_args_free(client_args *a)
{
    for (int i = 0; i < a->argc; i++)
        mem_free(a->argv[i]);
    mem_free(a->argv);
    mem_free(a->argvlen);
    memset(a, 0, sizeof(*a));
}

void client_free(client *c)
{
    multi_reset(c);
    blocking_remove(c);
    monitor_remove(c);
    pause_forget(c);
    unlink_pending(c);
    unlink_resume(c);
    if (c->fd >= 0) {
        ev_del_fd(server.loop, c->fd, EV_READABLE | EV_WRITABLE);
        close(c->fd);
        nclients--;
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        clients_head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        clients_tail = c->prev;
    resp_fini(&c->parser);
    reply_fini(&c->out);
    mem_free(c->qbuf);
    mem_free(c->name);
    mem_free(c->lib_name);
    mem_free(c->lib_ver);
    mem_free(c);
}

void client_close_async(client *c)
{
    if (!(c->flags & CLIENT_CLOSE_ASAP))
        nclosing++;
    c->flags |= CLIENT_CLOSE_ASAP;
}

void client_free_closed(void)
{
    /* Most ticks close nobody: skip the walk over every client then. */
    if (nclosing == 0)
        return;
    nclosing = 0;
    client *c = clients_head;
    while (c) {
        client *next = c->next;
        if (c->flags & CLIENT_CLOSE_ASAP)
            client_free(c);
        c = next;
    }
}

void client_mark_pending(client *c)
{
    if (c->flags & (CLIENT_PENDING_WRITE | CLIENT_FAKE))
        return;
    c->flags |= CLIENT_PENDING_WRITE;
    c->pending_next = pending_head;
    pending_head = c;
}

/* Writes as much of c->out as the socket takes. Returns 0 when everything
 * was written, 1 when the socket would block, -1 on a fatal error. */
static int write_out(client *c)
{
    server.stats.total_writes++; /* INFO total_writes_processed */
    while (c->sent < c->out.len) {
        ssize_t n = write(c->fd, c->out.buf + c->sent, c->out.len - c->sent);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 1;
            log_verbose("Error writing to client: %s", strerror(errno));
            return -1;
        }
        c->sent += (size_t)n;
        server.stats.net_output_bytes += n;
    }
    if (c->out.len > c->out_peak)
        c->out_peak = c->out.len;
    /* A monitor only receives: its writes count as interaction (CLIENT LIST
     * idle=), as in Redis. Others read in the same tick as they are written
     * to, so the clock is not read again for them. */
    if (c->flags & CLIENT_MONITOR)
        c->last_interaction = ev_mono_ms();
    c->soft_limit_since = 0; /* all written: under every output limit */
    c->out.len = 0;
    c->sent = 0;
    if (c->out.cap > OUT_KEEP_MAX) {
        reply_shrink(&c->out, 0);
        c->out_peak = 0;
    }
    return 0;
}

/* c's output has been written out: read again if reading was paused, and
 * run the input held back meanwhile (from the next before-sleep, so that
 * this tick's slice for c ends here). */
static void after_drain(client *c)
{
    if (c->flags & CLIENT_READ_PAUSED) {
        if (ev_add_fd(server.loop, c->fd, EV_READABLE, on_event, c) < 0) {
            client_close_async(c);
            return;
        }
        c->flags &= ~CLIENT_READ_PAUSED;
    }
    if (c->qbuf && c->qlen && !c->blocked &&
        !(c->flags & (CLIENT_RESUME_QUEUED | CLIENT_POSTPONED))) {
        c->flags |= CLIENT_RESUME_QUEUED;
        c->resume_next = resume_head;
        resume_head = c;
        ev_no_wait(server.loop);
    }
}

/* Writes c's pending output and decides what it waits for next. */
static void flush_client(client *c)
{
    if (c->flags & CLIENT_CLOSE_ASAP)
        return;
    int rc = write_out(c);
    if (rc < 0) {
        client_close_async(c);
        return;
    }
    if (rc == 1) {
        if (!(c->flags & CLIENT_WAIT_WRITABLE)) {
            if (ev_add_fd(server.loop, c->fd, EV_WRITABLE, on_event, c) < 0) {
                client_close_async(c);
                return;
            }
            c->flags |= CLIENT_WAIT_WRITABLE;
        }
        return;
    }
    if (c->flags & CLIENT_WAIT_WRITABLE) {
        ev_del_fd(server.loop, c->fd, EV_WRITABLE);
        c->flags &= ~CLIENT_WAIT_WRITABLE;
    }
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY)
        client_close_async(c);
    else
        after_drain(c);
}

void client_flush_pending(void)
{
    /* First the input held back by congestion, one slice each. */
    client *r = resume_head;
    resume_head = NULL;
    while (r) {
        client *next = r->resume_next;
        r->flags &= ~CLIENT_RESUME_QUEUED;
        if (!(r->flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSE_AFTER_REPLY)))
            client_resume(r);
        r = next;
    }
    while (pending_head) {
        client *c = pending_head;
        pending_head = c->pending_next;
        c->flags &= ~CLIENT_PENDING_WRITE;
        /* A client already waiting for EPOLLOUT is written by that event. */
        if (c->flags & CLIENT_WAIT_WRITABLE)
            continue;
        flush_client(c);
    }
}

static void close_over_limit(client *c)
{
    log_warning("Client id=%llu addr=%s scheduled to be closed ASAP for overcoming of output "
                "buffer limits.",
                (unsigned long long)c->id, c->addr);
    server.stats.client_output_buffer_limit_disconnections++;
    client_close_async(c);
}

/* client-output-buffer-limit (normal class): past the hard limit, or past
 * the soft limit for longer than its seconds, the client is closed, as in
 * Redis, so that a client that does not read cannot make us hold its
 * replies without bound. Returns 1 when c is being closed. */
static int over_output_limit(client *c)
{
    const config_obl *l = &cfg.obl_normal;
    if (c->flags & CLIENT_FAKE)
        return 0;
    if (c->flags & CLIENT_CLOSE_ASAP)
        return 1; /* already counted and logged */
    /* Redis counts only what overflows its 16 KB static reply buffer, so
     * replies that fit there never trip even a tiny limit: same here. */
    size_t pending = out_pending(c);
    size_t used = pending > OUT_UNCOUNTED ? pending - OUT_UNCOUNTED : 0;
    int hard = l->hard && used > (size_t)l->hard;
    int soft = 0;
    if (l->soft && used > (size_t)l->soft) {
        long long now = ev_mono_ms();
        if (!c->soft_limit_since)
            c->soft_limit_since = now;
        soft = now - c->soft_limit_since > (long long)l->soft_seconds * 1000;
    } else {
        c->soft_limit_since = 0;
    }
    if (!hard && !soft)
        return 0;
    close_over_limit(c);
    return 1;
}

int client_check_output_limit(client *c)
{
    return over_output_limit(c);
}

void client_cron(void)
{
    /* One walk over the clients for the three periodic checks:
     *   1. idle clients are closed after `timeout` seconds; as in Redis,
     *      monitors and clients blocked or held by CLIENT PAUSE are waiting
     *      on the server, not idle;
     *   2. a client past the soft output limit is checked after each of its
     *      commands, but when congestion holds its requests back none runs:
     *      its timer then keeps running until its output has drained
     *      completely (write_out stops it), as Redis's runs until a check
     *      finds the client back under the limit, so a reader that stalls
     *      past the soft limit is closed after the limit's seconds;
     *   3. reply buffers grown past OUT_KEEP are released once empty. */
    long long now = ev_mono_ms();
    long long idle_ms = cfg.timeout > 0 ? (long long)cfg.timeout * 1000 : 0;
    const config_obl *l = &cfg.obl_normal;
    for (client *c = clients_head; c; c = c->next) {
        if (c->flags & (CLIENT_FAKE | CLIENT_CLOSE_ASAP))
            continue;
        if (idle_ms && !(c->flags & (CLIENT_MONITOR | CLIENT_POSTPONED)) && !c->blocked &&
            now - c->last_interaction > idle_ms) {
            log_verbose("Closing idle client");
            client_close_async(c);
            continue;
        }
        if (l->soft && c->soft_limit_since &&
            now - c->soft_limit_since > (long long)l->soft_seconds * 1000) {
            close_over_limit(c);
            continue;
        }
        if (c->out.len == 0 && c->out.cap > OUT_KEEP) {
            reply_shrink(&c->out, 0);
            c->out_peak = 0;
        }
    }
}

/* Runs the complete requests in buf[0..len); returns the bytes consumed.
 * Stops early after a protocol error or when the client is closing. */
static size_t process_requests(client *c, char *buf, size_t len)
{
    size_t pos = 0;
    cmd_begin_batch();
    /* A blocked client's further requests wait, unparsed, until it is
     * served or times out (client_resume); so do those of a client whose
     * request waits for CLIENT PAUSE to end (pause.c). */
    while (pos < len && !c->blocked && out_pending(c) <= OUT_CONGESTED &&
           !(c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP | CLIENT_POSTPONED))) {
        size_t consumed = 0;
        c->parser.unauthenticated = !c->authenticated;
        int rc = resp_parse(&c->parser, buf + pos, len - pos, &consumed);
        if (rc == RESP_NEED_MORE)
            break;
        if (rc == RESP_ERROR) {
            client_add_errorf(c, "ERR %s", c->parser.err);
            log_verbose("Protocol error (%s) from client id=%llu addr=%s", c->parser.err,
                        (unsigned long long)c->id, c->addr);
            c->flags |= CLIENT_CLOSE_AFTER_REPLY;
            client_mark_pending(c);
            return len;
        }
        pos += consumed;
        if (c->parser.argc == 0)
            continue; /* empty line or *0: nothing to run, nothing to reply */
        c->argc = c->parser.argc;
        c->argv = c->parser.argv;
        c->argvlen = c->parser.argvlen;
        client *prev_exec = exec_client;
        size_t prev_left = exec_left;
        exec_client = c;
        exec_left = len - pos + consumed;
        cmd_execute(c);
        exec_client = prev_exec;
        exec_left = prev_left;
        c->argc = 0;
        c->argv = NULL;
        c->argvlen = NULL;
        if (over_output_limit(c))
            break;
    }
    return pos;
}

/* Keeps buf[0..len), a partial request, in the client's own buffer. */
static void keep_partial(client *c, const char *buf, size_t len)
{
    size_t cap = len * 2 > READ_CHUNK ? len * 2 : READ_CHUNK;
    c->qbuf = mem_alloc(cap);
    c->qcap = cap;
    c->qbig = 0;
    memcpy(c->qbuf, buf, len);
    c->qlen = len;
    c->qpos = 0;
}

static void drop_qbuf(client *c)
{
    mem_free(c->qbuf);
    c->qbuf = NULL;
    c->qlen = c->qpos = c->qcap = c->qbig = 0;
}

/* Processes the client's own buffer after new bytes arrived in it. */
static void process_own(client *c)
{
    size_t used = process_requests(c, c->qbuf, c->qlen);
    if (used == c->qlen) {
        drop_qbuf(c);
        return;
    }
    /* Move the partial request to the front; the parser's offsets are
     * relative to the request's start, so they stay right. */
    if (used == 0)
        return; /* the buffer holds one partial request, sized for it */
    memmove(c->qbuf, c->qbuf + used, c->qlen - used);
    c->qlen -= used;
    c->qbig = 0;
    /* Shrink back after large requests: a connection that once sent 100 MB
     * does not keep 100 MB. */
    if (c->qcap > 4 * READ_CHUNK && c->qlen < c->qcap / 4) {
        size_t cap = c->qlen * 2 > READ_CHUNK ? c->qlen * 2 : READ_CHUNK;
        c->qbuf = mem_realloc(c->qbuf, cap);
        c->qcap = cap;
    }
}

void client_resume(client *c)
{
    client_mark_pending(c);
    if (c->qbuf && !(c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP)))
        process_own(c);
}

int client_feed(client *c, const char *buf, size_t len)
{
    if (!c->qbuf) {
        keep_partial(c, buf, len);
    } else {
        if (c->qcap - c->qlen < len) {
            c->qcap = c->qlen + len;
            c->qbuf = mem_realloc(c->qbuf, c->qcap);
        }
        memcpy(c->qbuf + c->qlen, buf, len);
        c->qlen += len;
    }
    process_own(c);
    return (c->flags & CLIENT_CLOSE_AFTER_REPLY) ? -1 : 0;
}

static int over_query_limit(client *c, size_t pending)
{
    if ((long long)pending <= cfg.client_query_buffer_limit)
        return 0;
    log_warning("Closing client that reached max query buffer length: id=%llu addr=%s "
                "(qbuf initial bytes: %zu)",
                (unsigned long long)c->id, c->addr, pending);
    server.stats.client_query_buffer_limit_disconnections++;
    client_close_async(c);
    return 1;
}

/* Makes room in c's own buffer before a read, once less than a read's worth
 * is left. While a big bulk argument is awaited the buffer doubles, but
 * never past the request's exact size with that argument complete: a 100 MB
 * argument ends in a buffer of 100 MB plus its headers, not 128 MB, and a
 * length the client announced costs memory only as its bytes arrive.
 * Otherwise the part of the buffer not taken by big arguments doubles, so
 * that the few bytes after a 100 MB argument do not double 100 MB. */
static void grow_qbuf(client *c)
{
    if (c->qcap - c->qlen >= READ_CHUNK)
        return;
    size_t missing = resp_bulk_missing(&c->parser, c->qlen);
    size_t cap;
    if (missing > BIG_ARG) {
        size_t exact = c->qlen + missing;
        cap = c->qcap * 2 < exact ? c->qcap * 2 : exact;
        c->qbig += cap - c->qcap;
    } else {
        size_t small = c->qcap - c->qbig;
        cap = c->qcap + (small > READ_CHUNK ? small : READ_CHUNK);
    }
    c->qbuf = mem_realloc(c->qbuf, cap);
    c->qcap = cap;
}

static void read_from(client *c)
{
    if (out_pending(c) > OUT_CONGESTED) {
        /* Replies are piling up: stop reading until they are written. */
        ev_del_fd(server.loop, c->fd, EV_READABLE);
        c->flags |= CLIENT_READ_PAUSED;
        return;
    }
    char *dst;
    size_t room;
    if (c->qbuf) {
        grow_qbuf(c);
        dst = c->qbuf + c->qlen;
        room = c->qcap - c->qlen;
    } else {
        dst = shared_rbuf;
        room = sizeof(shared_rbuf);
    }
    ssize_t n;
    server.stats.total_reads++; /* INFO total_reads_processed */
    do {
        n = read(c->fd, dst, room);
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
        client_close_async(c);
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            log_verbose("Reading from client: %s", strerror(errno));
            client_close_async(c);
        }
        return;
    }
    server.stats.net_input_bytes += n;
    /* The tick's clock (read when epoll_wait returned) is close enough for
     * idle times counted in seconds. */
    c->last_interaction = server.tick_start_us ? server.tick_start_us / 1000 : ev_mono_ms();
    if (c->qbuf) {
        c->qlen += (size_t)n;
        if (over_query_limit(c, c->qlen))
            return;
        process_own(c);
        return;
    }
    size_t used = process_requests(c, shared_rbuf, (size_t)n);
    if (used < (size_t)n && !(c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP)))
        keep_partial(c, shared_rbuf + used, (size_t)n - used);
}

static void on_event(ev_loop *loop, int fd, void *data, int mask)
{
    (void)loop;
    (void)fd;
    client *c = data;
    if (c->flags & CLIENT_CLOSE_ASAP)
        return;
    if (mask & EV_WRITABLE) {
        /* The socket drained: write now, and stop watching when done. */
        int rc = write_out(c);
        if (rc < 0) {
            client_close_async(c);
        } else if (rc == 0) {
            ev_del_fd(server.loop, c->fd, EV_WRITABLE);
            c->flags &= ~CLIENT_WAIT_WRITABLE;
            if (c->flags & CLIENT_CLOSE_AFTER_REPLY)
                client_close_async(c);
            else
                after_drain(c);
        }
        return;
    }
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY)
        return; /* read nothing more from a client that is being closed */
    read_from(c);
}

reply_buf *client_reply_buf(client *c)
{
    client_mark_pending(c);
    return &c->out;
}

void client_add_error(client *c, const char *msg)
{
    size_t len = strlen(msg);
    cmd_count_error(msg, len);
    reply_error_len(client_reply_buf(c), msg, len);
}

void client_add_errorf(client *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    client_add_error(c, buf);
}

/* Bytes of the arguments c holds for a command: the one executing, or a
 * copy kept while it is blocked or waits for CLIENT PAUSE to end. */
static size_t argv_mem(const client *c)
{
    if (c->flags & CLIENT_POSTPONED)
        return pause_argv_mem(c);
    if (c->blocked)
        return blocking_argv_mem(c);
    size_t n = 0;
    if (c->cmd)
        for (int i = 0; i < c->argc; i++)
            n += c->argvlen[i];
    return n;
}

static size_t str_mem(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

/* The fields are Redis 7.0's, with what each means in respd:
 *   qbuf       input read and not yet executed, from the first byte of the
 *              request being executed (or of the next one) on
 *   qbuf-free  unused room in the client's own query buffer (0 while its
 *              requests are parsed from the shared read buffer)
 *   argv-mem   bytes of the arguments of the command executing, blocked or
 *              waiting for CLIENT PAUSE
 *   rbs, rbp   the reply buffer's size, and the most it held since it was
 *              last released
 *   obl, omem  reply bytes not yet written: the first OUT_UNCOUNTED of them
 *              in obl (Redis's static buffer), the rest, which is what
 *              client-output-buffer-limit measures, in omem; oll is 0:
 *              respd has one reply buffer, no list
 *   tot-mem    the client structure, both buffers, the parser's arrays, the
 *              name strings and any held arguments
 *   multi      commands queued since MULTI (-1 outside a transaction);
 *              multi-mem their argument bytes and the queue's slots
 * There is no pub/sub: sub, psub, ssub are 0. */
size_t client_info_line(client *c, char *buf, size_t size)
{
    char flags[16];
    int nf = 0;
    if (c->flags & CLIENT_MONITOR)
        flags[nf++] = 'O';
    if (c->flags & (CLIENT_MULTI | CLIENT_IN_EXEC))
        flags[nf++] = 'x';
    if (c->blocked || (c->flags & CLIENT_POSTPONED))
        flags[nf++] = 'b';
    if (multi_dirty_cas(c))
        flags[nf++] = 'd';
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY)
        flags[nf++] = 'c';
    if (c->flags & CLIENT_CLOSE_ASAP)
        flags[nf++] = 'A';
    if (c->flags & CLIENT_UNIX)
        flags[nf++] = 'U';
    if (nf == 0)
        flags[nf++] = 'N';
    flags[nf] = '\0';
    char events[3];
    int ne = 0;
    int mask = c->fd >= 0 ? ev_fd_mask(server.loop, c->fd) : 0;
    if (mask & EV_READABLE)
        events[ne++] = 'r';
    if (mask & EV_WRITABLE)
        events[ne++] = 'w';
    events[ne] = '\0';
    long long now = ev_mono_ms();
    size_t qbuf = (c == exec_client && c->cmd) ? exec_left : c->qlen;
    size_t pending = out_pending(c);
    size_t obl = pending < OUT_UNCOUNTED ? pending : OUT_UNCOUNTED;
    size_t peak = c->out.len > c->out_peak ? c->out.len : c->out_peak;
    size_t argmem = argv_mem(c);
    size_t totmem = sizeof(*c) + c->qcap + c->out.cap +
                    (size_t)c->parser.cap * (sizeof(char *) + 2 * sizeof(size_t)) +
                    str_mem(c->name) + str_mem(c->lib_name) + str_mem(c->lib_ver) + multi_mem(c);
    if (c->flags & CLIENT_POSTPONED || c->blocked)
        totmem += argmem; /* a copy; otherwise they lie in the query buffer */
    int n = snprintf(buf, size,
                     "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d "
                     "sub=0 psub=0 ssub=0 multi=%d qbuf=%zu qbuf-free=%zu argv-mem=%zu "
                     "multi-mem=%zu rbs=%zu rbp=%zu obl=%zu oll=0 omem=%zu tot-mem=%zu events=%s "
                     "cmd=%s user=default redir=-1 resp=%d lib-name=%s lib-ver=%s",
                     (unsigned long long)c->id, c->addr, c->laddr, c->fd, c->name ? c->name : "",
                     (server.now_ms - c->ctime_ms) / 1000, (now - c->last_interaction) / 1000,
                     flags, c->db ? c->db->id : 0, multi_queued_count(c), qbuf, c->qcap - c->qlen,
                     argmem, multi_mem(c), c->out.cap,
                     peak, obl, pending - obl, totmem, events,
                     c->lastcmd ? c->lastcmd->name : "NULL", c->out.proto,
                     c->lib_name ? c->lib_name : "", c->lib_ver ? c->lib_ver : "");
    return n < 0 ? 0 : (size_t)n;
}

client *client_first(void)
{
    return clients_head;
}

size_t client_count(void)
{
    return nclients;
}

client *client_by_id(uint64_t id)
{
    for (client *c = clients_head; c; c = c->next)
        if (c->id == id)
            return c;
    return NULL;
}

void client_buffers(size_t *max_in, size_t *max_out, size_t *total)
{
    *max_in = *max_out = *total = 0;
    for (client *c = clients_head; c; c = c->next) {
        if (c->flags & CLIENT_FAKE)
            continue;
        if (c->qcap > *max_in)
            *max_in = c->qcap;
        if (c->out.cap > *max_out)
            *max_out = c->out.cap;
        *total += sizeof(*c) + c->qcap + c->out.cap;
    }
}
