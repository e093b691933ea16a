/* client: one connection. Its query buffer and parser state, its output
 * buffer, its flags and the command being executed.
 *
 * Reading: bytes are read into a growable query buffer and parsed one request
 * at a time; each complete request runs at once through cmd_execute().
 * Writing: replies accumulate in `out`; the before-sleep hook writes them
 * (client_flush_pending) and only a socket that would block is watched for
 * EPOLLOUT. A client is never freed inside its own callback: it is marked
 * CLIENT_CLOSE_ASAP and freed by client_free_closed() in before-sleep.
 *
 * A client with fd -1 has no socket: the AOF loader uses one to replay
 * commands, and the fuzzers use one to run commands against a database.
 */
#ifndef RESPD_CLIENT_H
#define RESPD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "reply.h"
#include "resp.h"

struct db;
struct cmd_def;
struct block_state;

enum {
    CLIENT_CLOSE_AFTER_REPLY = 1 << 0, /* close once `out` is written */
    CLIENT_CLOSE_ASAP = 1 << 1,        /* close in the next before-sleep */
    CLIENT_PENDING_WRITE = 1 << 2,     /* on the pending-writes list */
    CLIENT_REPLY_OFF = 1 << 3,         /* CLIENT REPLY OFF */
    CLIENT_REPLY_SKIP_NEXT = 1 << 4,   /* CLIENT REPLY SKIP: skip the next reply */
    CLIENT_REPLY_SKIP = 1 << 5,        /* this command's reply is dropped */
    CLIENT_FAKE = 1 << 6,              /* no socket (AOF loading, fuzzing) */
    CLIENT_UNIX = 1 << 7,              /* connected over a unix socket */
    CLIENT_WAIT_WRITABLE = 1 << 8,     /* EPOLLOUT registered */
    CLIENT_PROPAGATED = 1 << 9,        /* the handler fed the AOF itself */
    CLIENT_READ_PAUSED = 1 << 10,      /* not reading: its output is congested */
    CLIENT_RESUME_QUEUED = 1 << 11,    /* on the resume list (held-back input) */
    CLIENT_MONITOR = 1 << 12,          /* in MONITOR mode (monitor.c) */
    CLIENT_POSTPONED = 1 << 13,        /* a request waits for CLIENT PAUSE to end (pause.c) */
    CLIENT_IN_EXEC = 1 << 14,          /* running its queued commands (t_multi.c) */
    CLIENT_MULTI = 1 << 15,            /* between MULTI and EXEC/DISCARD (t_multi.c) */
};

typedef struct client {
    uint64_t id;
    int fd;
    int flags;

    /* Query buffer: bytes [qpos, qlen) are not parsed yet. */
    char *qbuf;
    size_t qlen, qpos, qcap;
    size_t qpeak;                 /* recent peak use, for shrinking */
    size_t qbig;                  /* bytes of qcap sized exactly for big arguments */
    resp_parser parser;

    /* Current command. argv slices point into qbuf and are valid only while
     * the command runs. */
    int argc;
    char **argv;
    size_t *argvlen;
    const struct cmd_def *cmd;
    const struct cmd_def *lastcmd;

    /* Replies not yet written: out.buf[sent, out.len). */
    reply_buf out;
    size_t sent;
    size_t out_peak;              /* most bytes `out` held since it was last released */

    struct db *db;
    int authenticated;
    char *name;
    char *lib_name;
    char *lib_ver;
    char addr[64];
    char laddr[64];
    long long ctime_ms;           /* connection time, unix ms */
    long long last_interaction;   /* monotonic ms of the last read or command */
    long long soft_limit_since;   /* monotonic ms since over the soft output limit, or 0 */
    unsigned long long commands;  /* commands executed */
    struct block_state *blocked;  /* set while blocked on keys (blocking.c) */
    struct multi_state *multi;    /* MULTI queue and WATCHed keys, or NULL (t_multi.c) */

    struct client *prev, *next;   /* all clients, in creation order */
    struct client *pending_next;  /* pending-writes list */
    struct client *resume_next;   /* resume list */
} client;

/* A private copy of a request's arguments, for a request kept past the read
 * that brought it (held by CLIENT PAUSE, blocked on keys, queued by MULTI):
 * the parsed arguments point into a query buffer that is reused.
 * client_args_copy copies c's current request; client_args_free releases a
 * copy (and leaves it empty). */
typedef struct client_args {
    int argc;
    char **argv;
    size_t *argvlen;
    size_t mem; /* sum of the argument lengths */
} client_args;
void client_args_copy(client_args *a, const client *c);
void client_args_free(client_args *a);

/* Creates a client for an accepted socket and starts reading from it, or
 * (fd == -1) a fake client with no socket. Returns NULL with errno set if the
 * socket cannot be registered. Ownership: the server's client list owns it. */
client *client_new(int fd, int flags);
/* Frees a client now. Never call it on a client whose callback is running;
 * use client_close_async. */
void client_free(client *c);
/* Marks c to be closed at the next before-sleep. */
void client_close_async(client *c);

/* Queues c for writing in before-sleep (called by the reply helpers). */
void client_mark_pending(client *c);
/* Before-sleep: writes replies of pending clients; registers EPOLLOUT for
 * those whose socket would block. */
void client_flush_pending(void);
/* Before-sleep: frees clients marked CLOSE_ASAP. */
void client_free_closed(void);
/* Feeds bytes to a client as if read from its socket and processes the
 * complete requests among them (used by fake clients and tests). Returns 0,
 * or -1 after a protocol error. */
int client_feed(client *c, const char *buf, size_t len);

/* Processes input that arrived while c was blocked (blocking.c calls it
 * when c is served or times out). */
void client_resume(client *c);

/* Reply helpers: each appends to c->out (unless replies are off/skipped) and
 * queues the client for writing. */
reply_buf *client_reply_buf(client *c);
void client_add_error(client *c, const char *msg);
void client_add_errorf(client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* client-output-buffer-limit: closes c (asynchronously) when its pending
 * output is past the limits. Returns 1 when c is being closed. Checked after
 * each command of c, and by whoever appends to another client's output
 * (monitor lines). */
int client_check_output_limit(client *c);
/* The cron's pass over the clients: closes idle ones (`timeout`) and those
 * past the soft output limit for longer than its seconds, and releases the
 * reply buffers grown past 16 KB that are empty now. */
void client_cron(void);

/* Formats the CLIENT LIST / CLIENT INFO line for c (no trailing newline) into
 * buf, as snprintf does: returns the line's full length, and when that is
 * size or more the line was cut short (call again with more room). */
size_t client_info_line(client *c, char *buf, size_t size);

/* Iteration over all clients. */
client *client_first(void);
/* Number of connected (non-fake) clients. */
size_t client_count(void);
client *client_by_id(uint64_t id);


/* The connections' buffers: the largest query buffer and reply buffer
 * (bytes allocated), and all they hold with the client structures (INFO
 * mem_clients_normal, the metrics endpoint). */
void client_buffers(size_t *max_in, size_t *max_out, size_t *total);

#endif
