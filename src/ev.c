/* ev: epoll reactor with timers and a before-sleep hook. See ev.h. */
#include "ev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"

typedef struct ev_file {
    int mask;
    ev_file_fn fn;
    void *data;
} ev_file;

typedef struct ev_timer {
    long long id;
    long long when_us;
    ev_timer_fn fn;
    void *data;
} ev_timer;

struct ev_loop {
    int epfd;
    int setsize;
    ev_file *files;
    struct epoll_event *events;
    ev_timer *timers;
    int ntimers, timers_cap;
    long long next_timer_id;
    ev_hook_fn before_sleep;
    void *before_sleep_data;
    ev_hook_fn after_sleep;
    void *after_sleep_data;
    int stop;
    int no_wait;
};

#define EV_BATCH 1024

long long ev_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long ev_mono_ms(void)
{
    return ev_mono_us() / 1000;
}

long long ev_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long ev_wall_ms(void)
{
    return ev_wall_us() / 1000;
}

ev_loop *ev_new(int setsize)
{
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        return NULL;
    ev_loop *loop = mem_calloc(1, sizeof(*loop));
    loop->epfd = epfd;
    loop->setsize = setsize;
    loop->files = mem_calloc((size_t)setsize, sizeof(ev_file));
    loop->events = mem_calloc(EV_BATCH, sizeof(struct epoll_event));
    loop->next_timer_id = 1;
    return loop;
}

void ev_free(ev_loop *loop)
{
    if (!loop)
        return;
    close(loop->epfd);
    mem_free(loop->files);
    mem_free(loop->events);
    mem_free(loop->timers);
    mem_free(loop);
}

int ev_setsize(const ev_loop *loop)
{
    return loop->setsize;
}

void ev_resize(ev_loop *loop, int setsize)
{
    if (setsize <= loop->setsize)
        return;
    loop->files = mem_realloc(loop->files, (size_t)setsize * sizeof(ev_file));
    memset(loop->files + loop->setsize, 0, (size_t)(setsize - loop->setsize) * sizeof(ev_file));
    loop->setsize = setsize;
}

static uint32_t epoll_mask(int mask)
{
    uint32_t ev = 0;
    if (mask & EV_READABLE)
        ev |= EPOLLIN;
    if (mask & EV_WRITABLE)
        ev |= EPOLLOUT;
    return ev;
}

int ev_add_fd(ev_loop *loop, int fd, int mask, ev_file_fn fn, void *data)
{
    if (fd < 0 || fd >= loop->setsize) {
        errno = ERANGE;
        return -1;
    }
    ev_file *f = &loop->files[fd];
    int op = f->mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    int newmask = f->mask | mask;
    struct epoll_event ee = {.events = epoll_mask(newmask), .data.fd = fd};
    if (newmask != f->mask && epoll_ctl(loop->epfd, op, fd, &ee) < 0)
        return -1;
    f->mask = newmask;
    f->fn = fn;
    f->data = data;
    return 0;
}

void ev_del_fd(ev_loop *loop, int fd, int mask)
{
    if (fd < 0 || fd >= loop->setsize)
        return;
    ev_file *f = &loop->files[fd];
    if (!f->mask)
        return;
    int newmask = f->mask & ~mask;
    struct epoll_event ee = {.events = epoll_mask(newmask), .data.fd = fd};
    /* Failure here means the fd is already gone from epoll (closed); the
     * bookkeeping below is what matters to us. */
    (void)epoll_ctl(loop->epfd, newmask ? EPOLL_CTL_MOD : EPOLL_CTL_DEL, fd, &ee);
    f->mask = newmask;
    if (!newmask) {
        f->fn = NULL;
        f->data = NULL;
    }
}

int ev_fd_mask(const ev_loop *loop, int fd)
{
    if (fd < 0 || fd >= loop->setsize)
        return 0;
    return loop->files[fd].mask;
}

long long ev_timer_add(ev_loop *loop, long long ms, ev_timer_fn fn, void *data)
{
    if (loop->ntimers == loop->timers_cap) {
        loop->timers_cap = loop->timers_cap ? loop->timers_cap * 2 : 8;
        loop->timers = mem_realloc(loop->timers, (size_t)loop->timers_cap * sizeof(ev_timer));
    }
    ev_timer *t = &loop->timers[loop->ntimers++];
    t->id = loop->next_timer_id++;
    t->when_us = ev_mono_us() + ms * 1000;
    t->fn = fn;
    t->data = data;
    return t->id;
}

void ev_timer_del(ev_loop *loop, long long id)
{
    for (int i = 0; i < loop->ntimers; i++) {
        if (loop->timers[i].id == id) {
            loop->timers[i] = loop->timers[--loop->ntimers];
            return;
        }
    }
}

void ev_set_before_sleep(ev_loop *loop, ev_hook_fn fn, void *data)
{
    loop->before_sleep = fn;
    loop->before_sleep_data = data;
}

void ev_set_after_sleep(ev_loop *loop, ev_hook_fn fn, void *data)
{
    loop->after_sleep = fn;
    loop->after_sleep_data = data;
}

void ev_no_wait(ev_loop *loop)
{
    loop->no_wait = 1;
}

void ev_stop(ev_loop *loop)
{
    loop->stop = 1;
}

static int next_timeout_ms(ev_loop *loop, int timeout_ms)
{
    if (loop->ntimers == 0)
        return timeout_ms;
    long long nearest = loop->timers[0].when_us;
    for (int i = 1; i < loop->ntimers; i++)
        if (loop->timers[i].when_us < nearest)
            nearest = loop->timers[i].when_us;
    long long wait = (nearest - ev_mono_us() + 999) / 1000;
    if (wait < 0)
        wait = 0;
    if (timeout_ms >= 0 && wait > timeout_ms)
        wait = timeout_ms;
    return (int)wait;
}

static void run_timers(ev_loop *loop)
{
    long long now = ev_mono_us();
    /* A timer callback may add or delete timers, so look each one up by id
     * again after every call instead of holding an index. */
    long long max_id = loop->next_timer_id;
    for (int i = 0; i < loop->ntimers; i++) {
        ev_timer *t = &loop->timers[i];
        if (t->id >= max_id || t->when_us > now)
            continue;
        long long id = t->id;
        long long next = t->fn(loop, id, t->data);
        for (i = 0; i < loop->ntimers && loop->timers[i].id != id; i++)
            ;
        if (i == loop->ntimers) {
            i = -1; /* deleted by its own callback: restart the scan */
            continue;
        }
        if (next == EV_TIMER_STOP) {
            loop->timers[i] = loop->timers[--loop->ntimers];
            i = -1;
        } else {
            loop->timers[i].when_us = ev_mono_us() + next * 1000;
        }
    }
}

int ev_once(ev_loop *loop, int timeout_ms)
{
    if (loop->before_sleep)
        loop->before_sleep(loop, loop->before_sleep_data);
    int wait = loop->no_wait ? 0 : next_timeout_ms(loop, timeout_ms);
    loop->no_wait = 0;
    int n = epoll_wait(loop->epfd, loop->events, EV_BATCH, wait);
    if (n < 0)
        n = 0; /* EINTR: a signal; the caller's flags are checked next */
    if (loop->after_sleep)
        loop->after_sleep(loop, loop->after_sleep_data);
    for (int i = 0; i < n; i++) {
        struct epoll_event *e = &loop->events[i];
        int fd = e->data.fd;
        ev_file *f = &loop->files[fd];
        int mask = 0;
        if (e->events & (EPOLLIN | EPOLLERR | EPOLLHUP))
            mask |= EV_READABLE;
        if (e->events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            mask |= EV_WRITABLE;
        /* Deliver only what is still wanted: an earlier callback in this
         * batch may have closed or re-registered this fd. */
        if ((mask & f->mask & EV_READABLE) && f->fn)
            f->fn(loop, fd, f->data, EV_READABLE);
        f = &loop->files[fd]; /* the callback may have grown the table (ev_resize) */
        if ((mask & f->mask & EV_WRITABLE) && f->fn)
            f->fn(loop, fd, f->data, EV_WRITABLE);
    }
    run_timers(loop);
    return n;
}

void ev_run(ev_loop *loop)
{
    loop->stop = 0;
    while (!loop->stop)
        ev_once(loop, -1);
}
