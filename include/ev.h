/* ev: the event loop. One epoll instance, a timer list and a before-sleep hook.
 *
 * The loop is single-threaded and owns no sockets: modules register an fd with
 * a callback and the events they want. Timers are kept in a small unsorted
 * array (the server has a handful); each run returns the delay to its next run
 * or EV_TIMER_STOP. Before every epoll_wait the before-sleep hook runs, which is
 * where the server flushes the AOF and writes replies.
 *
 * Invariant: a callback may unregister any fd, including its own; the loop
 * re-checks that an fd is still registered for an event before delivering it.
 * Owners of fds must therefore tolerate a spurious event (an fd closed and
 * reused within one batch sees at most a read that returns EAGAIN).
 */
#ifndef RESPD_EV_H
#define RESPD_EV_H

#include <stdint.h>

#define EV_READABLE 1
#define EV_WRITABLE 2
#define EV_TIMER_STOP (-1)

typedef struct ev_loop ev_loop;
typedef void (*ev_file_fn)(ev_loop *loop, int fd, void *data, int mask);
/* Returns milliseconds until the next run, or EV_TIMER_STOP to delete the timer. */
typedef long long (*ev_timer_fn)(ev_loop *loop, long long id, void *data);
typedef void (*ev_hook_fn)(ev_loop *loop, void *data);

/* Returns a loop able to watch fds below setsize, or NULL with errno set. */
ev_loop *ev_new(int setsize);
void ev_free(ev_loop *loop);
/* Largest fd + 1 the loop can watch. */
int ev_setsize(const ev_loop *loop);
/* Lets the loop watch fds below setsize; it never shrinks. Safe inside a
 * callback (the loop re-reads its table after each one). */
void ev_resize(ev_loop *loop, int setsize);

/* Adds mask (EV_READABLE and/or EV_WRITABLE) to what fd is watched for. The
 * callback and data replace any earlier ones for this fd. Returns 0 or -1. */
int ev_add_fd(ev_loop *loop, int fd, int mask, ev_file_fn fn, void *data);
/* Stops watching fd for mask; when nothing is left the fd is unregistered. */
void ev_del_fd(ev_loop *loop, int fd, int mask);
/* Events fd is currently watched for (0 when not registered). */
int ev_fd_mask(const ev_loop *loop, int fd);

/* Runs fn after ms milliseconds. Returns the timer's id (> 0). */
long long ev_timer_add(ev_loop *loop, long long ms, ev_timer_fn fn, void *data);
void ev_timer_del(ev_loop *loop, long long id);

void ev_set_before_sleep(ev_loop *loop, ev_hook_fn fn, void *data);
/* Runs right after epoll_wait returns, before any event is delivered (the
 * server reads the clock there, once per tick). */
void ev_set_after_sleep(ev_loop *loop, ev_hook_fn fn, void *data);
/* Makes the next epoll_wait return at once (work is pending that no event
 * will announce, e.g. input held back while a client's output drained). */
void ev_no_wait(ev_loop *loop);
/* Runs until ev_stop. */
void ev_run(ev_loop *loop);
/* Makes ev_run return after the current iteration. Safe from a signal handler
 * only through the server's own flag; call it from the loop. */
void ev_stop(ev_loop *loop);
/* Processes one iteration: before-sleep, wait at most timeout_ms (-1 = until
 * the next timer), deliver events and timers. Returns events handled. */
int ev_once(ev_loop *loop, int timeout_ms);

/* Monotonic and wall clocks in milliseconds / microseconds. */
long long ev_mono_ms(void);
long long ev_mono_us(void);
long long ev_wall_ms(void);
long long ev_wall_us(void);

#endif
