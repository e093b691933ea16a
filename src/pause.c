/* pause: CLIENT PAUSE state and the requests held by it. See pause.h.
 *
 * Held requests wait in a FIFO array of copies of their arguments (the query
 * buffer they were parsed from moves on). A client has at most one held
 * request: it stops processing input while flagged CLIENT_POSTPONED, and the
 * bytes that arrive meanwhile stay in its query buffer.
 */
#include "pause.h"

#include <limits.h>
#include <string.h>

#include "command.h"
#include "db.h"
#include "ev.h"
#include "mem.h"
#include "server.h"

/* A timer longer than this is re-armed when it fires, so that a huge
 * timeout cannot overflow the reactor's microsecond clock. */
#define MAX_TIMER_MS (3600LL * 1000)

typedef struct held {
    client *c;          /* NULL once the client is gone */
    client_args args;
} held;

static int kind = PAUSE_OFF;
static long long end_ms;        /* ev_mono_ms() at which the pause ends */
static long long end_timer;     /* fires at end_ms */
static long long run_timer;     /* runs the held requests after CLIENT UNPAUSE */

static held *queue;             /* held requests are queue[head, tail) */
static size_t head, tail, cap;
static size_t nwaiting;

int pause_active(void)
{
    return kind != PAUSE_OFF;
}

size_t pause_waiting(void)
{
    return nwaiting;
}


/* Runs a held request again, then the input that arrived behind it. */
static void run_one(held *h)
{
    client *c = h->c;
    if (!c) {
        client_args_free(&h->args);
        return;
    }
    nwaiting--;
    c->flags &= ~CLIENT_POSTPONED;
    if (!(c->flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSE_AFTER_REPLY))) {
        cmd_begin_batch();
        cmd_execute_args(c, &h->args); /* may be held again if a new pause started */
    }
    client_args_free(&h->args);
    if (!(c->flags & CLIENT_POSTPONED) && !c->blocked)
        client_resume(c);
}

/* Runs every request held when called, oldest first. One that meets a new
 * pause is held again, behind the others, so their order is kept. */
static void run_held(void)
{
    server_update_time();
    size_t todo = tail - head;
    for (size_t i = 0; i < todo && head < tail; i++) {
        held h = queue[head++];
        if (head == tail)
            head = tail = 0;
        run_one(&h);
    }
}

static void end_pause(void)
{
    kind = PAUSE_OFF;
    db_set_expiry_paused(0);
}

static long long timer_delay(void)
{
    long long left = end_ms - ev_mono_ms();
    if (left < 0)
        return 0;
    return left > MAX_TIMER_MS ? MAX_TIMER_MS : left;
}

static long long on_end(ev_loop *loop, long long id, void *data)
{
    (void)loop;
    (void)id;
    (void)data;
    /* A later CLIENT PAUSE may have moved the end: wait on. */
    if (kind != PAUSE_OFF && ev_mono_ms() < end_ms)
        return timer_delay();
    end_timer = 0;
    end_pause();
    run_held();
    return EV_TIMER_STOP;
}

static long long on_run(ev_loop *loop, long long id, void *data)
{
    (void)loop;
    (void)id;
    (void)data;
    run_timer = 0;
    run_held();
    return EV_TIMER_STOP;
}

void pause_start(int type, long long timeout_ms)
{
    /* Redis adds the timeout to the unix time in ms; when that overflows,
     * the end lies in the past and the pause is over at once. */
    long long end;
    long long now = ev_mono_ms();
    if (timeout_ms > LLONG_MAX - server.now_ms)
        end = now - 1;
    else
        end = timeout_ms > LLONG_MAX - now ? LLONG_MAX : now + timeout_ms;
    if (kind == PAUSE_OFF) {
        kind = type;
        end_ms = end;
    } else {
        if (type > kind)
            kind = type;
        if (end > end_ms)
            end_ms = end;
    }
    db_set_expiry_paused(1);
    if (!end_timer)
        end_timer = ev_timer_add(server.loop, timer_delay(), on_end, NULL);
}

void pause_stop(void)
{
    if (kind == PAUSE_OFF)
        return;
    end_pause();
    if (end_timer) {
        ev_timer_del(server.loop, end_timer);
        end_timer = 0;
    }
    /* Not from here: this runs inside the CLIENT UNPAUSE command. */
    if (nwaiting && !run_timer)
        run_timer = ev_timer_add(server.loop, 0, on_run, NULL);
}

int pause_hold(client *c, int cmd_flags, int stage)
{
    if (kind == PAUSE_OFF)
        return 0;
    if ((c->flags & (CLIENT_FAKE | CLIENT_MONITOR | CLIENT_IN_EXEC)) || c->blocked)
        return 0;
    if (stage == PAUSE_ALL) {
        if (kind != PAUSE_ALL)
            return 0;
    } else if (!(cmd_flags & (CMD_WRITE | CMD_MAY_REPLICATE))) {
        return 0;
    }
    if (tail == cap) {
        if (head > 0) {
            memmove(queue, queue + head, (tail - head) * sizeof(*queue));
            tail -= head;
            head = 0;
        } else {
            cap = cap ? cap * 2 : 16;
            queue = mem_realloc(queue, cap * sizeof(*queue));
        }
    }
    held *h = &queue[tail++];
    h->c = c;
    client_args_copy(&h->args, c);
    c->flags |= CLIENT_POSTPONED;
    nwaiting++;
    return 1;
}

static held *find(const client *c)
{
    for (size_t i = head; i < tail; i++)
        if (queue[i].c == c)
            return &queue[i];
    return NULL;
}

void pause_forget(client *c)
{
    if (!(c->flags & CLIENT_POSTPONED))
        return;
    held *h = find(c);
    if (h) {
        client_args_free(&h->args);
        h->c = NULL;
        nwaiting--;
    }
    c->flags &= ~CLIENT_POSTPONED;
}

size_t pause_argv_mem(const client *c)
{
    if (!(c->flags & CLIENT_POSTPONED))
        return 0;
    const held *h = find(c);
    return h ? h->args.mem : 0;
}
