/* monitor: clients in MONITOR mode and the line each executed command sends
 * them.
 *
 * After a command has run, cmd_execute hands it to monitor_feed, which sends
 * every monitor one status reply in Redis's format:
 *
 *   +<unix seconds>.<6-digit micros> [<db> <addr:port>] "cmd" "arg" ...
 *
 * with unix socket clients shown as "unix:<unixsocket>", each argument quoted
 * and escaped as Redis does (\" \\ \n \r \t \a \b, \xHH for any other byte
 * outside printable ASCII), and the arguments a handler marked secret
 * (monitor_redact) replaced by "(redacted)". Not fed, as in Redis 7.0:
 * admin commands (CMD_ADMIN), commands refused before running (unknown,
 * arity, NOAUTH ...), the re-execution of a blocked command when it is
 * served, and the AOF loader's fake client. The db shown is the client's
 * after the command, so SELECT shows its new database.
 *
 * A monitor stays a normal client (CLIENT LIST TYPE normal, flag O): it is
 * never held by CLIENT PAUSE and may run commands that do not touch the
 * keyspace; those that do are refused by cmd_execute. RESET ends the mode.
 */
#ifndef RESPD_MONITOR_H
#define RESPD_MONITOR_H

#include <stddef.h>

#include "client.h"

/* Makes c a monitor (CLIENT_MONITOR). Returns 0, or -1 if it already was. */
int monitor_add(client *c);
/* Ends c's monitor mode; nothing when it was not a monitor. Called by RESET
 * and when the client is freed. */
void monitor_remove(client *c);

/* Marks argument argi of the command being executed as secret, as Redis's
 * handlers do (AUTH, HELLO ... AUTH, CONFIG SET of a sensitive setting),
 * after the checks that come before: monitors and SLOWLOG show
 * "(redacted)" in its place. Marks apply to the current command only;
 * monitor_feed or monitor_forget_redactions clears them, after the slow
 * log has read them. */
void monitor_redact(int argi);
/* 1 when argument argi of the command being executed was marked secret. */
int monitor_is_redacted(int argi);

/* Sends the command c just executed (argv as received) to every monitor
 * except those with replies switched off, and clears the redaction marks.
 * Cheap when there are no monitors. */
void monitor_feed(client *c, int argc, char **argv, const size_t *argvlen);
/* Clears the redaction marks of a command that is not fed. */
void monitor_forget_redactions(void);

#endif
