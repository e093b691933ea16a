/* t_multi: MULTI EXEC DISCARD WATCH UNWATCH. See multi.h for the sequence.
 *
 * Structures: a client's multi_state holds its queue (private copies of the
 * queued requests) and the nodes of the keys it watches. A hash table maps
 * (database, key) to the list of watch nodes on that key, so that touching
 * a key costs one lookup, and nothing at all while no client watches.
 */
#include "multi.h"

#include <string.h>

#include "aof.h"
#include "commands.h"
#include "db.h"
#include "hashtable.h"
#include "mem.h"
#include "reply.h"
#include "server.h"

typedef struct watch_list watch_list;
typedef struct watch_node watch_node;

/* One client watching one key. */
struct watch_node {
    client *c;
    watch_list *wl;
    watch_node *prev, *next; /* in the key's list */
    int alive;               /* the key existed (unexpired) at WATCH */
};

/* The clients watching one key; the key is the database id (4 bytes)
 * followed by the key bytes. */
struct watch_list {
    watch_node *head;
    size_t klen;
    char key[];
};

typedef struct multi_state {
    int doomed;       /* a request failed its checks: EXECABORT */
    int dirty_cas;    /* a watched key was modified */
    int flags;        /* of the queued commands, or-ed */
    client_args *q;   /* the queued requests */
    int nq, capq;
    size_t qmem;      /* argument bytes queued */
    watch_node **w;   /* the keys this client watches */
    int nw, capw;
} multi_state;

static ht *watches;
size_t multi_nwatched; /* watch nodes, all clients */

static void wl_key(const void *entry, const char **key, size_t *len)
{
    const watch_list *wl = entry;
    *key = wl->key;
    *len = wl->klen;
}

static const ht_type watch_type = {.entry_key = wl_key, .entry_free = mem_free};

/* db_key_find_or_add's record for a newly watched (database, key). */
static void *new_list(const char *composed, size_t len)
{
    watch_list *wl = mem_calloc(1, sizeof(*wl) + len);
    memcpy(wl->key, composed, len);
    wl->klen = len;
    return wl;
}

static watch_list *find_list(int dbid, const char *key, size_t klen)
{
    if (!watches || multi_nwatched == 0)
        return NULL;
    return db_key_find(watches, dbid, key, klen);
}

static int list_db(const watch_list *wl)
{
    return db_key_dbid(wl->key);
}

static int list_key_alive(const watch_list *wl, struct db *d)
{
    return db_peek(d, wl->key + 4, wl->klen - 4) != NULL;
}

static multi_state *state(client *c)
{
    if (!c->multi)
        c->multi = mem_calloc(1, sizeof(multi_state));
    return c->multi;
}

/* ---- queue ------------------------------------------------------------- */

int multi_runs_now(const cmd_def *d)
{
    return d->proc == cmd_exec || d->proc == cmd_discard || d->proc == cmd_multi ||
           d->proc == cmd_watch || d->proc == cmd_quit || d->proc == cmd_reset;
}

void multi_queue(client *c, const cmd_def *d)
{
    multi_state *m = state(c);
    if (m->nq == m->capq) {
        m->capq = m->capq ? m->capq * 2 : 8;
        m->q = mem_realloc(m->q, sizeof(client_args) * (size_t)m->capq);
    }
    client_args *q = &m->q[m->nq++];
    client_args_copy(q, c);
    m->qmem += q->mem;
    m->flags |= d->flags;
    reply_simple(client_reply_buf(c), "QUEUED");
}

void multi_flag_error(client *c)
{
    if (multi_active(c))
        state(c)->doomed = 1;
}

int multi_queued_flags(const client *c)
{
    return c->multi ? c->multi->flags : 0;
}

/* The queue EXEC is running (one at a time): CLIENT LIST shows its size,
 * as Redis does, while the client is out of MULTI. */
static int exec_nq;

int multi_queued_count(const client *c)
{
    if (c->flags & CLIENT_IN_EXEC)
        return exec_nq;
    return multi_active(c) ? c->multi->nq : -1;
}

size_t multi_mem(const client *c)
{
    return c->multi ? c->multi->qmem + sizeof(client_args) * (size_t)c->multi->capq : 0;
}

int multi_dirty_cas(const client *c)
{
    return c->multi && c->multi->dirty_cas;
}

static void free_queued(client_args *q, int n)
{
    for (int i = 0; i < n; i++)
        client_args_free(&q[i]);
    mem_free(q);
}

/* ---- watching ---------------------------------------------------------- */

static void watch_key(client *c, const char *key, size_t klen)
{
    multi_state *m = state(c);
    int dbid = c->db->id;
    for (int i = 0; i < m->nw; i++) {
        const watch_list *wl = m->w[i]->wl;
        if (list_db(wl) == dbid && wl->klen == klen + 4 && memcmp(wl->key + 4, key, klen) == 0)
            return; /* already watched */
    }
    if (!watches)
        watches = ht_new(&watch_type);
    watch_list *wl = db_key_find_or_add(watches, dbid, key, klen, new_list);
    watch_node *n = mem_calloc(1, sizeof(*n));
    n->c = c;
    n->wl = wl;
    n->alive = db_peek(c->db, key, klen) != NULL;
    n->next = wl->head;
    if (wl->head)
        wl->head->prev = n;
    wl->head = n;
    if (m->nw == m->capw) {
        m->capw = m->capw ? m->capw * 2 : 4;
        m->w = mem_realloc(m->w, sizeof(watch_node *) * (size_t)m->capw);
    }
    m->w[m->nw++] = n;
    multi_nwatched++;
}

static void unwatch_all(client *c)
{
    multi_state *m = c->multi;
    if (!m)
        return;
    for (int i = 0; i < m->nw; i++) {
        watch_node *n = m->w[i];
        watch_list *wl = n->wl;
        if (n->prev)
            n->prev->next = n->next;
        else
            wl->head = n->next;
        if (n->next)
            n->next->prev = n->prev;
        if (!wl->head)
            ht_delete(watches, wl->key, wl->klen);
        mem_free(n);
        multi_nwatched--;
    }
    mem_free(m->w);
    m->w = NULL;
    m->nw = m->capw = 0;
    m->dirty_cas = 0;
}

static void touch_list(watch_list *wl)
{
    for (watch_node *n = wl->head; n; n = n->next)
        n->c->multi->dirty_cas = 1;
}

void multi_touch_key(struct db *d, const char *key, size_t klen)
{
    watch_list *wl = find_list(d->id, key, klen);
    if (wl)
        touch_list(wl);
}

void multi_touch_dbs(int a, int b)
{
    if (!watches || multi_nwatched == 0)
        return;
    ht_iter it;
    ht_iter_init(&it, watches);
    watch_list *wl;
    while ((wl = ht_iter_next(&it))) {
        int id = list_db(wl);
        if ((id == a || id == b) &&
            (list_key_alive(wl, &server.dbs[a]) || list_key_alive(wl, &server.dbs[b])))
            touch_list(wl);
    }
}

/* A watched key that existed at WATCH and is gone now without a touch has
 * expired (logically, or by the active cycle): EXEC fails, as in Redis. */
static int watched_key_expired(const multi_state *m)
{
    for (int i = 0; i < m->nw; i++) {
        const watch_list *wl = m->w[i]->wl;
        if (m->w[i]->alive && !list_key_alive(wl, &server.dbs[list_db(wl)]))
            return 1;
    }
    return 0;
}

/* ---- write commands and WATCH ------------------------------------------- */

/* The keys of the running write command that some client watches, and
 * whether each existed before the handler ran. */
#define NOTE_MAX 64
static struct {
    struct db *d;
    int n;
    int pos[NOTE_MAX];
    int existed[NOTE_MAX];
} note;

/* Which argument positions a write command may modify (see the command
 * flags CMD_WRITES_FIRST_KEY and CMD_TOUCHES_OWN_KEYS). */
static int written_keys(const cmd_def *d, client *c, int *pos, int max)
{
    if (d->flags & CMD_TOUCHES_OWN_KEYS)
        return 0;
    if (d->flags & CMD_WRITES_FIRST_KEY) {
        pos[0] = 1;
        return 1;
    }
    return cmd_key_positions(d, c->argv, c->argvlen, c->argc, pos, max);
}

void multi_before_write(client *c, const cmd_def *d)
{
    note.n = 0;
    if (!(d->flags & CMD_WRITE))
        return;
    /* Every key position counts: MSET may name thousands. */
    int small[256];
    int max = c->argc > 256 ? c->argc : 256;
    int *pos = max > 256 ? mem_alloc(sizeof(int) * (size_t)max) : small;
    int n = written_keys(d, c, pos, max);
    note.d = c->db;
    for (int i = 0; i < n; i++) {
        const char *k = c->argv[pos[i]];
        size_t kl = c->argvlen[pos[i]];
        if (!find_list(c->db->id, k, kl))
            continue;
        if (note.n == NOTE_MAX) {
            multi_touch_key(c->db, k, kl); /* too many to track: touch now */
            continue;
        }
        note.pos[note.n] = pos[i];
        note.existed[note.n] = db_peek(c->db, k, kl) != NULL;
        note.n++;
    }
    if (pos != small)
        mem_free(pos);
}

void multi_after_write(client *c, int changed)
{
    for (int i = 0; changed && i < note.n; i++) {
        const char *k = c->argv[note.pos[i]];
        size_t kl = c->argvlen[note.pos[i]];
        if (note.existed[i] || db_peek(note.d, k, kl))
            multi_touch_key(note.d, k, kl);
    }
    note.n = 0;
}

/* ---- commands ---------------------------------------------------------- */

void multi_reset(client *c)
{
    c->flags &= ~CLIENT_MULTI;
    if (!c->multi)
        return;
    free_queued(c->multi->q, c->multi->nq);
    unwatch_all(c);
    mem_free(c->multi);
    c->multi = NULL;
}

void cmd_multi(client *c)
{
    if (multi_active(c)) {
        client_add_error(c, "ERR MULTI calls can not be nested");
        return;
    }
    state(c);
    c->flags |= CLIENT_MULTI;
    reply_ok(client_reply_buf(c));
}

void cmd_discard(client *c)
{
    if (!multi_active(c)) {
        client_add_error(c, "ERR DISCARD without MULTI");
        return;
    }
    multi_reset(c);
    reply_ok(client_reply_buf(c));
}

void multi_abort_exec(client *c, const char *reason)
{
    multi_reset(c);
    if (strncmp(reason, "ERR ", 4) == 0)
        reason += 4;
    client_add_errorf(c, "EXECABORT Transaction discarded because of: %s", reason);
}

void cmd_exec(client *c)
{
    if (!multi_active(c)) {
        client_add_error(c, "ERR EXEC without MULTI");
        return;
    }
    multi_state *m = c->multi;
    if (m->doomed) {
        multi_reset(c);
        client_add_error(c, "EXECABORT Transaction discarded because of previous errors.");
        return;
    }
    if (m->dirty_cas || watched_key_expired(m)) {
        multi_reset(c);
        reply_null_array(client_reply_buf(c));
        return;
    }
    /* Take the queue out, then unwatch and leave MULTI before running it:
     * a queued MULTI, WATCH or DISCARD is answered as outside a
     * transaction, as in Redis (CLIENT LIST still shows flag x, multi= and
     * cmd=exec meanwhile). */
    client_args *q = m->q;
    int nq = m->nq;
    m->q = NULL;
    m->nq = m->capq = 0;
    multi_reset(c);

    const cmd_def *self = c->cmd, *self_last = c->lastcmd;
    /* The array counts the replies given: a queued CLIENT REPLY OFF/SKIP
     * drops some, and the reply must stay well-formed. A fake client (the
     * AOF loader) keeps no replies, so it gets no array either. */
    int fake = (c->flags & CLIENT_FAKE) != 0;
    reply_buf *rb = client_reply_buf(c);
    size_t header = reply_defer(rb);
    long long replies = 0;
    c->flags |= CLIENT_IN_EXEC;
    exec_nq = nq;
    aof_multi_begin();
    for (int i = 0; i < nq; i++) {
        size_t before = rb->len;
        cmd_execute_args(c, &q[i]);
        replies += rb->len != before;
    }
    aof_multi_end();
    if (!fake)
        reply_defer_set(rb, header, '*', replies);
    c->flags &= ~CLIENT_IN_EXEC;
    c->cmd = self;
    c->lastcmd = self_last;
    /* The queued commands fed the AOF themselves. */
    c->flags |= CLIENT_PROPAGATED;
    free_queued(q, nq);
}

void cmd_watch(client *c)
{
    if (multi_active(c)) {
        client_add_error(c, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    for (int i = 1; i < c->argc; i++)
        watch_key(c, c->argv[i], c->argvlen[i]);
    reply_ok(client_reply_buf(c));
}

void cmd_unwatch(client *c)
{
    unwatch_all(c);
    reply_ok(client_reply_buf(c));
}
