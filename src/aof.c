/* aof: append-only file writing, background fsync, loading and rewriting.
 * See aof.h for the format and its checklist.
 *
 * Threads: the server is single-threaded except for one helper thread that
 * only calls fdatasync() for appendfsync everysec, so that a slow disk does
 * not stall the event loop (Redis's bio thread plays the same role). It
 * touches no data: it gets an fd under a mutex and reports completion.
 */
#include "aof.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "command.h"
#include "config.h"
#include "db.h"
#include "ev.h"
#include "hashtable.h"
#include "log.h"
#include "mem.h"
#include "multi.h"
#include "object.h"
#include "resp.h"
#include "server.h"
#include "util.h"

enum { AOF_OFF = 0, AOF_ON = 1, AOF_WAIT_REWRITE = 2 };

/* A growable byte buffer with the database its last command selected. */
typedef struct cmdbuf {
    char *buf;
    size_t len, cap;
    int selected_db;
} cmdbuf;

static struct {
    int state;
    int fd;
    cmdbuf pending;            /* written to fd in before-sleep */
    cmdbuf diff;               /* writes made while a rewrite child runs */
    long long current_size;
    long long base_size;
    int unsynced;              /* bytes written but not yet fsynced */
    long long last_fsync_ms;
    long long postponed_since; /* everysec: write delayed by a running fsync */
    long long delayed_fsync;
    int last_write_ok;
    int last_write_errno;
    /* rewrite */
    pid_t child;
    long long child_start_ms;
    char tmpname[1024];
    int last_bgrewrite_ok;
    long long rewrites;
    long long rewrites_consecutive_failures;
    long long total_forks;
    long long latest_fork_usec;
    long long last_rewrite_time_sec;
    int rewrite_scheduled;
} aof = {.fd = -1, .last_write_ok = 1, .last_bgrewrite_ok = 1, .last_rewrite_time_sec = -1,
         .pending = {.selected_db = -1}, .diff = {.selected_db = -1}};

/* ---- background fsync -------------------------------------------------- */

static struct {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int started;
    int fd;          /* fd to fsync; -1 when there is no job */
    int running;     /* a job is in progress */
} bio = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .fd = -1};

static void *fsync_thread(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are for the main thread */
    pthread_mutex_lock(&bio.mu);
    for (;;) {
        while (bio.fd < 0)
            pthread_cond_wait(&bio.cv, &bio.mu);
        int fd = bio.fd;
        bio.running = 1;
        pthread_mutex_unlock(&bio.mu);
        if (fdatasync(fd) < 0 && errno != EINVAL)
            log_warning("Background AOF fsync: %s", strerror(errno));
        pthread_mutex_lock(&bio.mu);
        bio.fd = -1;
        bio.running = 0;
        pthread_cond_broadcast(&bio.cv);
    }
    return NULL;
}

static int fsync_busy(void)
{
    pthread_mutex_lock(&bio.mu);
    int busy = bio.running || bio.fd >= 0;
    pthread_mutex_unlock(&bio.mu);
    return busy;
}

static void fsync_in_background(int fd)
{
    if (!bio.started) {
        if (pthread_create(&bio.thread, NULL, fsync_thread, NULL) != 0) {
            /* No thread: fall back to a synchronous fsync. */
            if (fdatasync(fd) < 0)
                log_warning("AOF fsync: %s", strerror(errno));
            return;
        }
        bio.started = 1;
    }
    pthread_mutex_lock(&bio.mu);
    bio.fd = fd;
    pthread_cond_signal(&bio.cv);
    pthread_mutex_unlock(&bio.mu);
}

/* Waits until no fsync job is queued or running (before closing an fd). */
static void fsync_wait_idle(void)
{
    pthread_mutex_lock(&bio.mu);
    while (bio.running || bio.fd >= 0)
        pthread_cond_wait(&bio.cv, &bio.mu);
    pthread_mutex_unlock(&bio.mu);
}

/* ---- encoding ---------------------------------------------------------- */

static void buf_reserve(cmdbuf *b, size_t more)
{
    if (b->cap - b->len >= more)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < more)
        cap *= 2;
    b->buf = mem_realloc(b->buf, cap);
    b->cap = cap;
}

static void buf_add(cmdbuf *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->buf + b->len, p, n);
    b->len += n;
}

static void buf_header(cmdbuf *b, char type, long long n)
{
    char tmp[32];
    tmp[0] = type;
    int len = 1 + util_ll2str(tmp + 1, n);
    tmp[len++] = '\r';
    tmp[len++] = '\n';
    buf_add(b, tmp, (size_t)len);
}

static void buf_bulk(cmdbuf *b, const char *p, size_t n)
{
    buf_header(b, '$', (long long)n);
    buf_add(b, p, n);
    buf_add(b, "\r\n", 2);
}

static void buf_command(cmdbuf *b, int dbid, int argc, char **argv, const size_t *argvlen)
{
    if (dbid != b->selected_db) {
        char id[16];
        int n = util_ll2str(id, dbid);
        buf_header(b, '*', 2);
        buf_bulk(b, "SELECT", 6);
        buf_bulk(b, id, (size_t)n);
        b->selected_db = dbid;
    }
    buf_header(b, '*', argc);
    for (int i = 0; i < argc; i++)
        buf_bulk(b, argv[i], argvlen[i]);
}

/* Buffers a command for the file and, during a rewrite, for the new file.
 * Returns 1 if it went anywhere. */
static int feed(int dbid, int argc, char **argv, const size_t *argvlen)
{
    if (aof.state == AOF_ON)
        buf_command(&aof.pending, dbid, argc, argv, argvlen);
    if (aof.child > 0)
        buf_command(&aof.diff, dbid, argc, argv, argvlen);
    return aof.state == AOF_ON || aof.child > 0;
}

/* A transaction's writes are framed by MULTI and EXEC, written only when it
 * writes something: MULTI before its first write, EXEC after the last. */
static struct {
    int open;    /* EXEC is running */
    int written; /* MULTI is in the buffers */
    int dbid;    /* of the last write, for EXEC (no SELECT before it) */
} txn;

void aof_multi_begin(void)
{
    txn.open = 1;
    txn.written = 0;
}

void aof_multi_end(void)
{
    if (txn.written) {
        char *argv[1] = {"EXEC"};
        size_t len[1] = {4};
        feed(txn.dbid, 1, argv, len);
    }
    txn.open = txn.written = 0;
}

void aof_feed(int dbid, int argc, char **argv, const size_t *argvlen)
{
    if (server.loading)
        return;
    if (txn.open && !txn.written) {
        char *multi[1] = {"MULTI"};
        size_t len[1] = {5};
        txn.written = feed(dbid, 1, multi, len);
    }
    txn.dbid = dbid;
    feed(dbid, argc, argv, argvlen);
}

static void buf_free(cmdbuf *b)
{
    mem_free(b->buf);
    b->buf = NULL;
    b->len = b->cap = 0;
    b->selected_db = -1;
}

/* ---- writing ----------------------------------------------------------- */

static void flush_pending(int force)
{
    if (aof.state != AOF_ON || aof.fd < 0)
        return;
    long long now = ev_mono_ms();
    if (aof.pending.len > 0) {
        if (cfg.appendfsync == FSYNC_EVERYSEC && !force && fsync_busy()) {
            /* A slow fsync is still running: hold the write back (a write
             * would block behind it) but never for more than 2 seconds. */
            if (aof.postponed_since == 0) {
                aof.postponed_since = now;
                return;
            }
            if (now - aof.postponed_since < 2000)
                return;
            aof.delayed_fsync++;
            log_notice("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the "
                       "AOF buffer without waiting for fsync to complete, this may slow down "
                       "respd.");
        }
        aof.postponed_since = 0;
        size_t n = util_write_fully(aof.fd, aof.pending.buf, aof.pending.len);
        if (n < aof.pending.len) {
            int saved = errno;
            /* Remove a half-written command so that the file stays a
             * sequence of whole commands; keep the buffer for a retry. */
            if (n > 0 && ftruncate(aof.fd, aof.current_size) < 0) {
                aof.current_size += (long long)n;
                memmove(aof.pending.buf, aof.pending.buf + n, aof.pending.len - n);
                aof.pending.len -= n;
            }
            if (aof.last_write_ok || aof.last_write_errno != saved)
                log_warning("Error writing to the AOF file: %s", strerror(saved));
            aof.last_write_ok = 0;
            aof.last_write_errno = saved;
            if (cfg.appendfsync == FSYNC_ALWAYS) {
                /* A client may already believe in this write: stopping is
                 * the only honest answer, as Redis does. */
                log_warning("Can't recover from AOF write error when the AOF fsync policy is "
                            "'always'. Exiting...");
                _exit(1);
            }
            return;
        }
        if (!aof.last_write_ok)
            log_warning("AOF write error looks solved, respd can write again.");
        aof.last_write_ok = 1;
        aof.current_size += (long long)n;
        aof.pending.len = 0;
        aof.unsynced = 1;
        if (aof.pending.cap > 1024 * 1024) {
            mem_free(aof.pending.buf);
            aof.pending.buf = NULL;
            aof.pending.cap = 0;
        }
    }
    if (!aof.unsynced)
        return;
    if (cfg.appendfsync == FSYNC_ALWAYS) {
        if (fdatasync(aof.fd) < 0) {
            log_warning("Can't persist AOF for fsync error when the AOF fsync policy is "
                        "'always': %s. Exiting...",
                        strerror(errno));
            _exit(1);
        }
        aof.unsynced = 0;
        aof.last_fsync_ms = now;
    } else if (cfg.appendfsync == FSYNC_EVERYSEC && now - aof.last_fsync_ms >= 1000 &&
               !fsync_busy()) {
        fsync_in_background(aof.fd);
        aof.unsynced = 0;
        aof.last_fsync_ms = now;
    }
}

void aof_before_sleep(void)
{
    flush_pending(0);
}

int aof_write_error(void)
{
    return aof.state == AOF_ON && !aof.last_write_ok;
}

/* ---- loading ----------------------------------------------------------- */

/* dir/name into buf; a path too long for buf is cut (and then fails to
 * open, which the callers report). */
static const char *full_path(const char *name, char *buf, size_t size)
{
    int n;
    if (name[0] == '/')
        n = snprintf(buf, size, "%s", name);
    else
        n = snprintf(buf, size, "%s/%s", cfg.dir ? cfg.dir : ".", name);
    if (n < 0 || (size_t)n >= size)
        buf[size - 1] = '\0';
    return buf;
}

/* Checks that argv is a command the loader may replay: a known command
 * with a valid arity that writes data, or SELECT. Nothing else is ever
 * written to an AOF, and replaying anything else from a damaged or hostile
 * file could sleep (DEBUG SLEEP), stop the server (SHUTDOWN), fork
 * (BGREWRITEAOF) or change the configuration (CONFIG SET) mid-load. */
static int command_ok(char **argv, size_t *argvlen, int argc)
{
    const cmd_def *d = cmd_lookup_original(argv, argvlen, argc);
    if (!d || !d->proc)
        return 0;
    if (!(d->flags & CMD_WRITE) && strcmp(d->name, "select") != 0 &&
        strcmp(d->name, "multi") != 0 && strcmp(d->name, "exec") != 0)
        return 0;
    return d->arity > 0 ? argc == d->arity : argc >= -d->arity;
}

/* After an incomplete command at `pos`, decides whether the rest is a torn
 * tail (nothing well-formed follows) or damage that only looks like one,
 * e.g. a corrupt length that swallowed the commands after it. */
static int later_command_exists(char *data, size_t size, size_t pos)
{
    resp_parser p;
    resp_init(&p);
    int found = 0;
    for (size_t q = pos + 1; q < size && !found; q++) {
        if (data[q] != '*' || data[q - 1] != '\n')
            continue;
        size_t used;
        resp_reset(&p);
        if (resp_parse(&p, data + q, size - q, &used) == RESP_DONE && p.argc > 0 &&
            command_ok(p.argv, p.argvlen, p.argc))
            found = 1;
    }
    resp_fini(&p);
    return found;
}

/* Saves data[pos..size) beside the file, then truncates the file to pos. */
static int keep_torn_tail(const char *path, const char *data, size_t size, size_t pos, char *err,
                          size_t errlen)
{
    char torn[512];
    snprintf(torn, sizeof(torn), "%s.torn-%lld", path, ev_wall_ms() / 1000);
    int fd = open(torn, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || util_write_fully(fd, data + pos, size - pos) != size - pos || fsync(fd) < 0) {
        snprintf(err, errlen, "Could not save the torn tail of %s to %s: %s", path, torn,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    if (truncate(path, (off_t)pos) < 0) {
        snprintf(err, errlen, "Could not truncate %s to %zu bytes: %s", path, pos,
                 strerror(errno));
        return -1;
    }
    log_warning("!!! Warning: short read while loading the AOF file %s !!! The last %zu bytes "
                "(from offset %zu) were an incomplete command; they were saved to %s and the "
                "file was truncated to %zu bytes. AOF loaded anyway because aof-load-truncated "
                "is enabled.",
                path, size - pos, pos, torn, pos);
    return 0;
}

static int only_zeros(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* The file ends inside a MULTI ... EXEC (a crash while writing one): its
 * commands were queued, not applied. With aof-load-truncated the file is
 * cut back to the MULTI, as Redis does, so that later appends are not
 * swallowed by the unfinished transaction. */
static int unfinished_transaction(const char *path, const char *data, size_t size,
                                  size_t multi_pos, char *err, size_t errlen)
{
    if (!cfg.aof_load_truncated) {
        snprintf(err, errlen,
                 "Unexpected end of file reading the append only file %s: the transaction "
                 "(MULTI) at offset %zu has no EXEC. Set aof-load-truncated yes to load the "
                 "commands before it, or truncate it with redis-check-aof --fix.",
                 path, multi_pos);
        return -1;
    }
    log_warning("Revert incomplete MULTI/EXEC transaction in AOF file %s (from offset %zu)", path,
                multi_pos);
    return keep_torn_tail(path, data, size, multi_pos, err, errlen);
}

int aof_load(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "Can't open the append-only file %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "Can't stat the append-only file %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    if (size == 0) {
        close(fd);
        return 0;
    }
    /* MAP_PRIVATE: the parser may write (inline unescaping) without ever
     * touching the file. */
    char *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    if (data == MAP_FAILED) {
        snprintf(err, errlen, "Can't map the append-only file %s: %s", path, strerror(errno));
        return -1;
    }
    madvise(data, size, MADV_SEQUENTIAL);
    log_notice("Loading AOF %s (%zu bytes)", path, size);

    client *fc = client_new(-1, CLIENT_FAKE);
    fc->authenticated = 1;
    resp_parser p;
    resp_init(&p);
    p.max_bulk_len = 1LL << 62; /* the file is trusted as to sizes, not content */
    int was_loading = server.loading;
    server.loading = 1;
    db_set_expiry_enabled(0);
    size_t pos = 0;
    size_t multi_pos = 0; /* where the open transaction's MULTI starts */
    long long commands = 0, last_log = ev_mono_ms();
    int rc = 0;
    while (pos < size) {
        size_t used = 0;
        int r = data[pos] == '*' ? resp_parse(&p, data + pos, size - pos, &used) : RESP_ERROR;
        if (r == RESP_DONE) {
            if (p.argc > 0) {
                if (!command_ok(p.argv, p.argvlen, p.argc)) {
                    snprintf(err, errlen,
                             "Bad file format reading the append only file %s at offset %zu: "
                             "unknown command '%.*s', wrong number of arguments, or a command "
                             "that has no place in an AOF",
                             path, pos, (int)(p.argvlen[0] > 64 ? 64 : p.argvlen[0]), p.argv[0]);
                    rc = -1;
                    break;
                }
                if (!multi_active(fc))
                    multi_pos = pos;
                fc->argc = p.argc;
                fc->argv = p.argv;
                fc->argvlen = p.argvlen;
                cmd_execute(fc);
                commands++;
            }
            pos += used;
            if (pos == size && multi_active(fc)) {
                rc = unfinished_transaction(path, data, size, multi_pos, err, errlen);
                break;
            }
            if ((commands & 4095) == 0 && ev_mono_ms() - last_log >= 1000) {
                last_log = ev_mono_ms();
                log_notice("Loading AOF: %zu of %zu bytes (%.1f%%), %lld commands", pos, size,
                           100.0 * (double)pos / (double)size, commands);
            }
            continue;
        }
        int torn = 0;
        if (r == RESP_NEED_MORE)
            torn = !later_command_exists(data, size, pos);
        else if (only_zeros(data + pos, size - pos))
            torn = 1; /* a crash can leave zero-filled blocks at the end */
        if (!torn) {
            snprintf(err, errlen,
                     "Bad file format reading the append only file %s at offset %zu (%s). The "
                     "file was left untouched; inspect it with redis-check-aof.",
                     path, pos, r == RESP_NEED_MORE ? "a command is cut short but complete "
                                                      "commands follow it"
                                                    : (data[pos] == '*' ? p.err : "expected '*'"));
            rc = -1;
            break;
        }
        if (multi_active(fc)) {
            /* The tail cut a transaction short: none of it applies. */
            rc = unfinished_transaction(path, data, size, multi_pos, err, errlen);
            break;
        }
        if (!cfg.aof_load_truncated) {
            snprintf(err, errlen,
                     "Unexpected end of file reading the append only file %s at offset %zu. "
                     "Set aof-load-truncated yes to load the complete commands, or truncate it "
                     "with redis-check-aof --fix.",
                     path, pos);
            rc = -1;
            break;
        }
        rc = keep_torn_tail(path, data, size, pos, err, errlen);
        break;
    }
    resp_fini(&p);
    fc->argc = 0;
    fc->argv = NULL;
    fc->argvlen = NULL;
    client_free(fc);
    munmap(data, size);
    server.loading = was_loading;
    db_set_expiry_enabled(1);
    if (rc == 0)
        log_notice("DB loaded from append only file: %lld commands", commands);
    return rc;
}

/* Removes temp-rewriteaof-*.aof files that a crash during a rewrite left. */
static void remove_stale_temp_files(void)
{
    DIR *d = opendir(cfg.dir ? cfg.dir : ".");
    if (!d)
        return;
    struct dirent *e;
    char path[1024];
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "temp-rewriteaof-", 16) == 0 && n > 4 &&
            strcmp(e->d_name + n - 4, ".aof") == 0) {
            full_path(e->d_name, path, sizeof(path));
            if (unlink(path) == 0)
                log_notice("Removed the temporary file %s left by an interrupted AOF rewrite",
                           path);
        }
    }
    closedir(d);
}

static int open_for_append(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "Can't open the append-only file %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) == 0)
        aof.current_size = aof.base_size = st.st_size;
    return fd;
}

int aof_start(char *err, size_t errlen)
{
    remove_stale_temp_files();
    if (!cfg.appendonly)
        return 0;
    char path[1024];
    full_path(cfg.appendfilename, path, sizeof(path));
    struct stat st;
    if (stat(path, &st) == 0) {
        long long t0 = ev_mono_ms();
        if (aof_load(path, err, errlen) < 0)
            return -1;
        log_notice("AOF loaded in %.3f seconds", (double)(ev_mono_ms() - t0) / 1000.0);
    }
    int fd = open_for_append(path, err, errlen);
    if (fd < 0)
        return -1;
    aof.fd = fd;
    aof.state = AOF_ON;
    aof.pending.selected_db = -1;
    aof.last_fsync_ms = ev_mono_ms();
    return 0;
}

/* ---- rewriting ---------------------------------------------------------- */

/* Buffered writer for the child. */
typedef struct out {
    int fd;
    cmdbuf b;
    int failed;
} out;

static void out_flush(out *o)
{
    if (o->failed || o->b.len == 0)
        return;
    if (util_write_fully(o->fd, o->b.buf, o->b.len) != o->b.len)
        o->failed = 1;
    o->b.len = 0;
}

static void out_maybe_flush(out *o)
{
    if (o->b.len >= 64 * 1024)
        out_flush(o);
}

#define MSET_BATCH 64

/* obj_emit_fn for the rewrite: one command into the child's buffer. */
static void emit_command(void *ctx, int argc, const char **argv, const size_t *lens)
{
    out *o = ctx;
    buf_header(&o->b, '*', argc);
    for (int i = 0; i < argc; i++)
        buf_bulk(&o->b, argv[i], lens[i]);
    out_maybe_flush(o);
}

void aof_rewrite_key(const obj *e, long long exp, obj_emit_fn emit, void *ctx)
{
    const char *k;
    size_t kl;
    obj_key(e, &k, &kl);
    char ms[24];
    int msl = exp == OBJ_NO_EXPIRE ? 0 : util_ll2str(ms, exp);
    if (obj_type(e) == OBJ_STRING) {
        const char *v;
        size_t vl;
        obj_str(e, &v, &vl);
        const char *argv[] = {"SET", k, v, "PXAT", ms};
        size_t lens[] = {3, kl, vl, 4, (size_t)msl};
        emit(ctx, msl ? 5 : 3, argv, lens);
        return;
    }
    obj_type_ops_of(obj_type(e))->rewrite(k, kl, obj_value(e), emit, ctx);
    if (msl) {
        const char *argv[] = {"PEXPIREAT", k, ms};
        size_t lens[] = {9, kl, (size_t)msl};
        emit(ctx, 3, argv, lens);
    }
}

/* One MSET of n strings with no expire. */
static void write_mset(out *o, obj **batch, int n)
{
    buf_header(&o->b, '*', 1 + 2 * n);
    buf_bulk(&o->b, "MSET", 4);
    for (int i = 0; i < n; i++) {
        const char *k, *v;
        size_t kl, vl;
        obj_key(batch[i], &k, &kl);
        obj_str(batch[i], &v, &vl);
        buf_bulk(&o->b, k, kl);
        buf_bulk(&o->b, v, vl);
    }
    out_maybe_flush(o);
}

/* Writes the commands that rebuild database d. Strings without an expire go
 * in MSET batches; every other key is written by aof_rewrite_key. */
static void rewrite_db(out *o, db *d, long long now)
{
    obj *batch[MSET_BATCH];
    int nb = 0;
    ht_iter it;
    obj *e;
    char id[16];
    int idlen = util_ll2str(id, d->id);
    buf_header(&o->b, '*', 2);
    buf_bulk(&o->b, "SELECT", 6);
    buf_bulk(&o->b, id, (size_t)idlen);
    ht_iter_init(&it, d->keys);
    while ((e = ht_iter_next(&it))) {
        long long exp = obj_expire(e);
        if (exp == OBJ_NO_EXPIRE && obj_type(e) == OBJ_STRING) {
            batch[nb++] = e;
            if (nb == MSET_BATCH) {
                write_mset(o, batch, nb);
                nb = 0;
            }
        } else if (exp == OBJ_NO_EXPIRE || exp > now) { /* an expired key is left out */
            aof_rewrite_key(e, exp, emit_command, o);
        }
    }
    if (nb > 0)
        write_mset(o, batch, nb);
}

/* The child's work: returns the exit status. */
static int rewrite_child(const char *tmp)
{
    out o = {.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    if (o.fd < 0) {
        log_warning("Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): %s",
                    strerror(errno));
        return 1;
    }
    long long now = ev_wall_ms();
    for (int i = 0; i < server.ndbs; i++)
        if (db_size(&server.dbs[i]) > 0)
            rewrite_db(&o, &server.dbs[i], now);
    out_flush(&o);
    if (o.failed || fsync(o.fd) < 0 || close(o.fd) < 0) {
        log_warning("Write error writing append only file on disk: %s", strerror(errno));
        return 1;
    }
    return 0;
}

int aof_rewrite_start(void)
{
    if (aof.child > 0) {
        errno = EBUSY;
        return -1;
    }
    if (txn.open) {
        /* Inside EXEC (BGREWRITEAOF, CONFIG SET appendonly yes): the child
         * must not snapshot half a transaction. The next cron starts it. */
        aof.rewrite_scheduled = 1;
        return 1;
    }
    /* Everything written so far goes to the old file first, so that the
     * child's snapshot plus the diff is the complete history. */
    flush_pending(1);
    long long start = ev_mono_ms();
    long long fork_start = ev_mono_us();
    pid_t pid = fork();
    if (pid < 0) {
        log_warning("Can't rewrite append only file in background: fork: %s", strerror(errno));
        aof.last_bgrewrite_ok = 0;
        aof.rewrites_consecutive_failures++;
        return -1;
    }
    if (pid == 0) {
        /* Child: the listeners belong to the parent. */
        for (int i = 0; i < server.nlisten; i++)
            close(server.listen_fds[i]);
        char tmp[1024], name[256];
        snprintf(name, sizeof(name), "temp-rewriteaof-bg-%d.aof", (int)getpid());
        full_path(name, tmp, sizeof(tmp));
        _exit(rewrite_child(tmp));
    }
    aof.latest_fork_usec = ev_mono_us() - fork_start;
    aof.total_forks++;
    aof.child = pid;
    aof.child_start_ms = start;
    aof.rewrite_scheduled = 0;
    char name[256];
    snprintf(name, sizeof(name), "temp-rewriteaof-bg-%d.aof", (int)pid);
    full_path(name, aof.tmpname, sizeof(aof.tmpname));
    buf_free(&aof.diff);
    ht_set_resize_allowed(0);
    log_notice("Background append only file rewriting started by pid %d", (int)pid);
    return 0;
}

/* The child finished well: append the diff, make it durable, then rename
 * the new file over the old one and switch to it.
 *   1. open the temp file, append the diff, fsync it
 *   2. rename it to the AOF name (atomic: readers see old or new, whole)
 *   3. fsync the directory, close the old fd, continue on the new one
 * Any failure leaves the old file in use and intact. */
static int install_rewrite(void)
{
    char path[1024];
    full_path(cfg.appendfilename, path, sizeof(path));
    int fd = open(aof.tmpname, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
        log_warning("Unable to open the temporary AOF produced by the child: %s",
                    strerror(errno));
        return -1;
    }
    if (util_write_fully(fd, aof.diff.buf, aof.diff.len) != aof.diff.len || fsync(fd) < 0) {
        log_warning("Error trying to flush the parent diff to the rewritten AOF: %s",
                    strerror(errno));
        close(fd);
        return -1;
    }
    if (rename(aof.tmpname, path) < 0) {
        log_warning("Error trying to rename the temporary AOF file %s into %s: %s", aof.tmpname,
                    path, strerror(errno));
        close(fd);
        return -1;
    }
    util_fsync_dir(path);
    struct stat st;
    if (fstat(fd, &st) == 0)
        aof.current_size = aof.base_size = st.st_size;
    if (aof.fd >= 0) {
        fsync_wait_idle();
        close(aof.fd);
    }
    aof.fd = fd;
    /* What was pending is in the diff already, which the new file holds. */
    aof.pending.len = 0;
    aof.pending.selected_db = aof.diff.selected_db;
    aof.unsynced = 0;
    if (aof.state == AOF_WAIT_REWRITE) {
        aof.state = AOF_ON;
        log_notice("AOF enabled: the rewritten file is now in use");
    }
    return 0;
}

static void rewrite_done(int status)
{
    int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok) {
        ok = install_rewrite() == 0;
    } else {
        log_warning("Background AOF rewrite terminated with %s %d",
                    WIFSIGNALED(status) ? "signal" : "error", WIFSIGNALED(status) ? WTERMSIG(status)
                                                                                : WEXITSTATUS(status));
    }
    if (!ok)
        unlink(aof.tmpname);
    else
        log_notice("Background AOF rewrite finished successfully");
    aof.last_bgrewrite_ok = ok;
    aof.rewrites += ok;
    aof.rewrites_consecutive_failures = ok ? 0 : aof.rewrites_consecutive_failures + 1;
    aof.last_rewrite_time_sec = (ev_mono_ms() - aof.child_start_ms) / 1000;
    aof.child = 0;
    buf_free(&aof.diff);
    ht_set_resize_allowed(1);
}

void aof_cron(void)
{
    if (aof.child > 0) {
        int status;
        pid_t r = waitpid(aof.child, &status, WNOHANG);
        if (r == aof.child)
            rewrite_done(status);
        return;
    }
    if (aof.rewrite_scheduled || aof.state == AOF_WAIT_REWRITE) {
        aof_rewrite_start();
        return;
    }
    flush_pending(0); /* everysec: fsync what an idle second left unsynced */
    if (aof.state == AOF_ON && cfg.auto_aof_rewrite_percentage > 0 &&
        aof.current_size > cfg.auto_aof_rewrite_min_size) {
        long long base = aof.base_size ? aof.base_size : 1;
        long long growth = (aof.current_size * 100 / base) - 100;
        if (growth >= cfg.auto_aof_rewrite_percentage) {
            log_notice("Starting automatic rewriting of AOF on %lld%% growth", growth);
            aof_rewrite_start();
        }
    }
}

static void kill_child(void)
{
    if (aof.child <= 0)
        return;
    kill(aof.child, SIGKILL);
    int status;
    waitpid(aof.child, &status, 0);
    unlink(aof.tmpname);
    aof.child = 0;
    buf_free(&aof.diff);
    ht_set_resize_allowed(1);
}

int aof_shutdown(void)
{
    kill_child();
    if (aof.state != AOF_ON)
        return 0;
    flush_pending(1);
    int ok = aof.pending.len == 0;
    fsync_wait_idle();
    if (aof.fd >= 0 && fsync(aof.fd) < 0) {
        log_warning("Fsync of the AOF at shutdown: %s", strerror(errno));
        ok = 0;
    }
    return ok ? 0 : -1;
}

int aof_apply_appendonly(const char **err)
{
    if (cfg.appendonly && aof.state == AOF_OFF) {
        /* Like Redis: the file starts as a full rewrite, and appending
         * begins when it is in place. */
        aof.state = AOF_WAIT_REWRITE;
        kill_child();
        if (aof_rewrite_start() < 0) {
            aof.state = AOF_OFF;
            *err = "Unable to turn on AOF. Check server logs.";
            return -1;
        }
    } else if (!cfg.appendonly && aof.state != AOF_OFF) {
        flush_pending(1);
        fsync_wait_idle();
        if (aof.fd >= 0) {
            fsync(aof.fd);
            close(aof.fd);
        }
        aof.fd = -1;
        aof.state = AOF_OFF;
        kill_child();
        buf_free(&aof.pending);
    }
    return 0;
}

long long aof_buffered_bytes(void)
{
    /* What the buffers hold allocated, not just their pending bytes: the
     * write buffer keeps its room (up to 1 MB) between flushes. */
    return (long long)(aof.pending.cap + aof.diff.cap);
}

void aof_get_info(aof_info *i)
{
    memset(i, 0, sizeof(*i));
    i->enabled = aof.state != AOF_OFF;
    i->rewrite_in_progress = aof.child > 0;
    i->rewrite_scheduled = aof.rewrite_scheduled;
    i->last_rewrite_time_sec = aof.last_rewrite_time_sec;
    i->current_rewrite_time_sec = aof.child > 0 ? (ev_mono_ms() - aof.child_start_ms) / 1000 : -1;
    i->last_bgrewrite_ok = aof.last_bgrewrite_ok;
    i->rewrites = aof.rewrites;
    i->last_write_ok = aof.last_write_ok;
    i->last_write_errno = aof.last_write_errno;
    i->current_size = aof.current_size;
    i->base_size = aof.base_size;
    i->buffer_length = (long long)aof.pending.len;
    i->rewrite_buffer_length = (long long)aof.diff.len;
    i->pending_fsync = fsync_busy();
    i->delayed_fsync = aof.delayed_fsync;
    i->total_forks = aof.total_forks;
    i->latest_fork_usec = aof.latest_fork_usec;
    i->rewrites_consecutive_failures = aof.rewrites_consecutive_failures;
}

void aof_reset_stats(void)
{
    aof.rewrites = 0;
    aof.rewrites_consecutive_failures = 0;
    aof.total_forks = 0;
    aof.latest_fork_usec = 0;
    aof.delayed_fsync = 0;
}
