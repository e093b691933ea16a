/* blocking: clients waiting on keys. See blocking.h for the sequence.
 *
 * Structures: a hash table maps (database, key) to a FIFO queue of waiting
 * clients; each blocked client keeps its state (a private copy of its
 * command, its keys, its deadline) and the queue nodes it owns, so that
 * removing it is proportional to its number of keys. Signalled keys go on a
 * ready list; blocking_handle_ready() drains it after each command.
 *
 * Re-execution keeps a client's place: while its command runs again, a
 * second blocking_block() call only marks it as still blocked, and its
 * queue nodes are left where they are.
 */
#include "blocking.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "command.h"
#include "commands.h"
#include "db.h"
#include "ev.h"
#include "hashtable.h"
#include "mem.h"
#include "server.h"
#include "util.h"

typedef struct waiter waiter;
typedef struct key_queue key_queue;

/* One client waiting on one key. */
struct waiter {
    client *c;
    key_queue *q;
    waiter *prev, *next;     /* in the key's queue */
};

/* The clients waiting on one key, oldest first. The key is the database
 * id (4 bytes) followed by the key bytes. */
struct key_queue {
    waiter *head, *tail;
    int ready;               /* on the ready list */
    size_t klen;
    char key[];
};

typedef struct block_state {
    client_args args;        /* its command, to run again */
    int nkeys;
    waiter **waiters;        /* one per key */
    long long deadline;      /* unix ms, 0 = forever */
    int timeout_reply;
    int want_type;           /* OBJ_LIST or OBJ_ZSET: what it can take */
    int rerun;               /* its command is being executed again */
    int reblocked;           /* ...and found nothing to take */
    client *prev, *next;     /* all blocked clients */
} block_state;

static ht *queues;
static key_queue **ready;
static size_t nready, capready;
static client *blocked_head;
static size_t nblocked;
static long long timer_id;

static void queue_key(const void *entry, const char **key, size_t *len)
{
    const key_queue *q = entry;
    *key = q->key;
    *len = q->klen;
}

static const ht_type queue_type = {.entry_key = queue_key, .entry_free = mem_free};

/* db_key_find_or_add's record for a (database, key) first waited on. */
static void *new_queue(const char *composed, size_t len)
{
    key_queue *q = mem_calloc(1, sizeof(*q) + len);
    memcpy(q->key, composed, len);
    q->klen = len;
    return q;
}

static block_state *state_of(const client *c)
{
    return c->blocked;
}

int blocking_is_blocked(const client *c)
{
    return c->blocked != NULL;
}

size_t blocking_argv_mem(const client *c)
{
    const block_state *st = c->blocked;
    return st ? st->args.mem : 0;
}

size_t blocking_count(void)
{
    return nblocked;
}

int blocking_waiting(const client *c)
{
    const block_state *st = c->blocked;
    return st && (!st->rerun || st->reblocked);
}

size_t blocking_count_timeouts(void)
{
    size_t n = 0;
    for (const client *c = blocked_head; c; c = state_of(c)->next)
        n += state_of(c)->deadline != 0;
    return n;
}

int blocking_timeout_or_reply(client *c, int argi, long long *deadline_ms)
{
    long double secs;
    if (!util_str2ld(c->argv[argi], c->argvlen[argi], &secs)) {
        client_add_error(c, "ERR timeout is not a float or out of range");
        return -1;
    }
    /* Redis 7.0 rounds the milliseconds up and converts them to a long
     * long: "-0.0001" becomes 0 (wait forever), and a value the conversion
     * cannot hold ("inf", "1e20") comes out as LLONG_MIN on x86-64, so it is
     * refused as negative. Every other timeout is accepted; a deadline past
     * the end of time saturates. */
    long double ms = ceill(secs * 1000.0L);
    if (!(ms < 9223372036854775808.0L) || ms < 0) {
        client_add_error(c, "ERR timeout is negative");
        return -1;
    }
    long long t = (long long)ms;
    long long now = db_now();
    *deadline_ms = t == 0 ? 0 : t > LLONG_MAX - now ? LLONG_MAX : now + t;
    return 0;
}

/* While clients wait with a deadline, a 10 ms timer makes sure the loop
 * wakes up to time them out even when nothing else happens. */
static long long timeout_tick(ev_loop *loop, long long id, void *data)
{
    (void)loop;
    (void)id;
    (void)data;
    server_update_time();
    blocking_handle_timeouts(server.now_ms);
    if (nblocked == 0) {
        timer_id = 0;
        return EV_TIMER_STOP;
    }
    return 10;
}

void blocking_block(client *c, const int *key_idx, int nkeys, long long deadline_ms,
                    int timeout_reply, int want_type)
{
    block_state *st = state_of(c);
    if (st && st->rerun) {
        /* Re-executed and still nothing: keep the place in every queue. */
        st->reblocked = 1;
        return;
    }
    if (!queues)
        queues = ht_new(&queue_type);
    st = mem_calloc(1, sizeof(*st));
    client_args_copy(&st->args, c);
    st->deadline = deadline_ms;
    st->timeout_reply = timeout_reply;
    st->want_type = want_type;
    st->nkeys = nkeys;
    st->waiters = mem_calloc((size_t)nkeys, sizeof(waiter *));
    for (int i = 0; i < nkeys; i++) {
        const char *key = c->argv[key_idx[i]];
        size_t klen = c->argvlen[key_idx[i]];
        key_queue *q = db_key_find_or_add(queues, c->db->id, key, klen, new_queue);
        waiter *w = mem_calloc(1, sizeof(*w));
        w->c = c;
        w->q = q;
        w->prev = q->tail;
        if (q->tail)
            q->tail->next = w;
        else
            q->head = w;
        q->tail = w;
        st->waiters[i] = w;
    }
    st->next = blocked_head;
    if (blocked_head)
        state_of(blocked_head)->prev = c;
    blocked_head = c;
    c->blocked = st;
    nblocked++;
    if (deadline_ms && !timer_id && server.loop)
        timer_id = ev_timer_add(server.loop, 10, timeout_tick, NULL);
}

static void unlink_waiter(waiter *w)
{
    key_queue *q = w->q;
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    if (!q->head && !q->ready)
        ht_delete(queues, q->key, q->klen);
    mem_free(w);
}

void blocking_remove(client *c)
{
    block_state *st = state_of(c);
    if (!st)
        return;
    for (int i = 0; i < st->nkeys; i++)
        unlink_waiter(st->waiters[i]);
    if (st->prev)
        state_of(st->prev)->next = st->next;
    else
        blocked_head = st->next;
    if (st->next)
        state_of(st->next)->prev = st->prev;
    client_args_free(&st->args);
    mem_free(st->waiters);
    mem_free(st);
    c->blocked = NULL;
    nblocked--;
}

static void mark_ready(key_queue *q)
{
    if (q->ready)
        return;
    q->ready = 1;
    if (nready == capready) {
        capready = capready ? capready * 2 : 16;
        ready = mem_realloc(ready, capready * sizeof(*ready));
    }
    ready[nready++] = q;
}

void blocking_signal_key(db *d, const char *key, size_t klen)
{
    if (nblocked == 0 || !queues)
        return;
    key_queue *q = db_key_find(queues, d->id, key, klen);
    if (q)
        mark_ready(q);
}

void blocking_signal_db(int dbid)
{
    if (nblocked == 0 || !queues)
        return;
    ht_iter it;
    ht_iter_init(&it, queues);
    key_queue *q;
    while ((q = ht_iter_next(&it))) {
        if (db_key_dbid(q->key) == dbid)
            mark_ready(q);
    }
}

/* Runs c's saved command again. Returns 1 if it was served. */
static int rerun(client *c)
{
    block_state *st = state_of(c);
    st->rerun = 1;
    st->reblocked = 0;
    cmd_execute_args(c, &st->args);
    st->rerun = 0;
    if (st->reblocked)
        return 0;
    blocking_remove(c);
    client_resume(c);
    return 1;
}

/* The oldest waiter on q that can take from the key as it is now: a BLPOP
 * waiter is skipped (it keeps waiting) while the key holds a sorted set,
 * a BZPOPMIN waiter while it holds a list, as Redis serves by type. NULL
 * when the key is missing or no waiter takes its type. */
static waiter *first_taker(key_queue *q)
{
    obj *o = db_peek(&server.dbs[db_key_dbid(q->key)], q->key + 4, q->klen - 4);
    if (!o)
        return NULL;
    for (waiter *w = q->head; w; w = w->next)
        if (state_of(w->c)->want_type == obj_type(o))
            return w;
    return NULL;
}

void blocking_handle_ready(void)
{
    static int running;
    if (running || nready == 0)
        return;
    running = 1;
    /* Serving one key can make others ready (BLMOVE pushes); keep going
     * until nothing is left. */
    while (nready > 0) {
        key_queue *q = ready[--nready];
        /* Oldest first; stop at the first client that finds nothing. A
         * served client leaves the queue, so the head moves on. q stays
         * marked ready meanwhile so that the last waiter leaving does not
         * free it under us; this loop frees it. */
        while (q->head) {
            waiter *w = first_taker(q);
            if (!w || !rerun(w->c))
                break;
        }
        q->ready = 0;
        if (!q->head)
            ht_delete(queues, q->key, q->klen);
    }
    running = 0;
}

/* Ends c's wait unserved: its timeout reply, or the error given. */
static void end_wait(client *c, const char *error)
{
    block_state *st = state_of(c);
    if (error)
        client_add_error(c, error);
    else if (st->timeout_reply == BLOCK_TIMEOUT_NULL_BULK)
        reply_null(client_reply_buf(c));
    else
        reply_null_array(client_reply_buf(c));
    cmd_count_timeout(c);
    blocking_remove(c);
    client_resume(c);
}

void blocking_handle_timeouts(long long now_ms)
{
    client *c = blocked_head;
    while (c) {
        client *next = state_of(c)->next;
        block_state *st = state_of(c);
        if (st->deadline && now_ms >= st->deadline)
            end_wait(c, NULL);
        c = next;
    }
}

int blocking_unblock(client *c, int with_error)
{
    if (!state_of(c))
        return 0;
    end_wait(c, with_error ? "UNBLOCKED client unblocked via CLIENT UNBLOCK" : NULL);
    return 1;
}
