/* blocking: clients blocked on keys by BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
 * BLMPOP, BZPOPMIN, BZPOPMAX and BZMPOP.
 *
 * How a blocking command works:
 *   1. Its handler first tries to serve at once, like the non-blocking form.
 *   2. If nothing can be served, it calls blocking_block() instead of
 *      replying: the client stops processing input and waits, queued on each
 *      key in arrival order.
 *   3. Every command that adds elements to a list or sorted set, or stores
 *      a value under a key, calls blocking_signal_key() for that key.
 *   4. After the current command, the server takes the signalled keys and
 *      re-executes the waiting clients' commands, oldest first, until one
 *      finds nothing to take (which re-blocks it, keeping its place in the
 *      queue). A re-executed command replies and feeds the AOF as if it had
 *      just arrived (so its handler propagates the non-blocking form).
 *   5. At the deadline the client gets the command's null reply and goes on.
 * A client that disconnects while blocked is removed from every queue.
 */
#ifndef RESPD_BLOCKING_H
#define RESPD_BLOCKING_H

#include <stddef.h>

#include "client.h"

struct db;

/* What a timed-out client receives. */
enum { BLOCK_TIMEOUT_NULL_ARRAY = 0, BLOCK_TIMEOUT_NULL_BULK = 1 };

/* Parses a timeout argument in seconds (a float, as Redis 7 accepts) into an
 * absolute deadline in unix ms, 0 meaning forever. Replies with Redis's
 * error and returns -1 when it is not a valid, non-negative number. */
int blocking_timeout_or_reply(client *c, int argi, long long *deadline_ms);

/* Blocks c (which is executing a blocking command) on the keys at
 * argv[key_idx[0..nkeys)] in c->db. Keeps a copy of the command to run again.
 * No reply is sent now. want_type (OBJ_LIST, OBJ_ZSET) is what the command
 * takes: it is run again only when a key holds that type. */
void blocking_block(client *c, const int *key_idx, int nkeys, long long deadline_ms,
                    int timeout_reply, int want_type);

/* Marks key as ready: elements were added to it, or a value was stored
 * under it (RENAME, MOVE, COPY, SORT STORE, the *STORE commands). Cheap when
 * nobody waits. */
void blocking_signal_key(struct db *d, const char *key, size_t klen);
/* Marks every key waited on in database dbid as ready (SWAPDB). */
void blocking_signal_db(int dbid);

/* Serves clients waiting on ready keys (run after each command and in
 * before-sleep). */
void blocking_handle_ready(void);
/* Times out clients whose deadline passed (run from the cron and before-
 * sleep). */
void blocking_handle_timeouts(long long now_ms);

/* CLIENT UNBLOCK: ends c's wait with its timeout reply, or with Redis's
 * -UNBLOCKED error. Returns 0 when c was not blocked. */
int blocking_unblock(client *c, int with_error);

/* Removes c from every queue (disconnect, CLIENT KILL). */
void blocking_remove(client *c);
/* 1 while c is blocked. */
int blocking_is_blocked(const client *c);
/* Bytes of the arguments kept to run c's command again (CLIENT LIST
 * argv-mem), 0 when c is not blocked. */
size_t blocking_argv_mem(const client *c);
/* Number of blocked clients (INFO blocked_clients). */
size_t blocking_count(void);
/* Number of them with a deadline (INFO clients_in_timeout_table). */
size_t blocking_count_timeouts(void);
/* Right after c's command ran: 1 when it left c waiting (it blocked, or ran
 * again and found nothing), 0 when it completed (served at once, or served
 * now on its re-execution). */
int blocking_waiting(const client *c);

#endif
