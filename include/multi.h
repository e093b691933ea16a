/* multi: transactions (MULTI, EXEC, DISCARD) and optimistic locking (WATCH,
 * UNWATCH), with Redis 7.0's semantics.
 *
 * How a transaction travels:
 *   1. MULTI marks the client. cmd_execute() checks every later request as
 *      usual (name, arity, authentication); a request that fails a check
 *      replies its error and dooms the transaction (multi_flag_error); one
 *      that passes is copied into the client's queue (multi_queue) and
 *      answered +QUEUED. EXEC, DISCARD, MULTI, WATCH, QUIT and RESET run at
 *      once (multi_runs_now).
 *   2. EXEC replies EXECABORT for a doomed transaction, a null array when a
 *      watched key was modified (or expired) since WATCH, and otherwise runs
 *      the queue through cmd_execute() with CLIENT_IN_EXEC set: nothing
 *      blocks, CLIENT PAUSE does not hold a command halfway, clients blocked
 *      on keys are served only after the whole transaction, and the AOF gets
 *      its writes between MULTI and EXEC (aof_multi_begin/end), so that a
 *      torn file never replays half of one.
 *   3. A key is "modified" for WATCH when a write command that changed the
 *      dataset names it where it writes (multi_before_write/after_write: the
 *      key existed before or exists after; for the *STORE family only the
 *      destination), when MOVE, COPY or SORT STORE writes it, when one of
 *      the pops that name several keys takes from it, when it expires, or
 *      when FLUSHDB/FLUSHALL/SWAPDB replace it.
 */
#ifndef RESPD_MULTI_H
#define RESPD_MULTI_H

#include <stddef.h>

#include "client.h"
#include "command.h"

struct db;

/* 1 while c is between MULTI and EXEC/DISCARD. */
static inline int multi_active(const client *c)
{
    return (c->flags & CLIENT_MULTI) != 0;
}
/* 1 for the commands that run at once inside MULTI. */
int multi_runs_now(const cmd_def *d);
/* Copies c's current command into its queue and replies +QUEUED. */
void multi_queue(client *c, const cmd_def *d);
/* A request of c failed its checks: dooms c's transaction, if any. */
void multi_flag_error(client *c);
/* The flags of every queued command, or-ed (EXEC counts as a write for
 * CLIENT PAUSE WRITE and MISCONF when one of them writes). */
int multi_queued_flags(const client *c);
/* EXEC refused before it ran (arity, authentication, MISCONF): discards the
 * transaction and replies -EXECABORT with the reason. */
void multi_abort_exec(client *c, const char *reason);
/* CLIENT LIST: queued commands (-1 outside MULTI), their argument bytes,
 * and whether a watched key was touched. */
int multi_queued_count(const client *c);
size_t multi_mem(const client *c);
int multi_dirty_cas(const client *c);
/* RESET and disconnect: discards the transaction and unwatches all. */
void multi_reset(client *c);

/* WATCH bookkeeping, each a no-op while nobody watches. */
void multi_touch_key(struct db *d, const char *key, size_t klen);
/* Before FLUSHDB/FLUSHALL empties database a (b == a), or SWAPDB a b:
 * touches the watched keys of a and b that exist in either. */
void multi_touch_dbs(int a, int b);
/* Around a command's handler, while some client watches (multi_watching):
 * notes which of its watched keys exist, then touches them (and those
 * created) if the command changed the dataset. */
extern size_t multi_nwatched;
static inline int multi_watching(void)
{
    return multi_nwatched != 0;
}
void multi_before_write(client *c, const cmd_def *d);
void multi_after_write(client *c, int changed);

#endif
