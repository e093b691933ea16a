/* notify: the systemd protocols, spoken directly (no libsystemd): the
 * notify protocol and socket activation.
 *
 * When supervised by systemd (supervised systemd, or auto with
 * $NOTIFY_SOCKET set), state changes are sent as datagrams to the socket
 * named by $NOTIFY_SOCKET, a filesystem path or, with a leading '@', an
 * abstract socket: STATUS= lines while loading, READY=1 once the AOF is
 * loaded and the listeners are open, STOPPING=1 at shutdown, and
 * WATCHDOG=1 at half of $WATCHDOG_USEC when the unit sets a watchdog.
 */
#ifndef RESPD_NOTIFY_H
#define RESPD_NOTIFY_H

#include <stddef.h>

/* Decides from cfg.supervised and the environment whether to notify.
 * Returns 1 when notifications will be sent. */
int notify_init(void);
/* Sends one notification (several "KEY=value" lines may be joined with
 * '\n'). A no-op when not supervised. Returns 0, or -1 if sending failed. */
int notify_send(const char *msg);
/* The watchdog period in ms (half of $WATCHDOG_USEC), or 0 when none is
 * set for this process. */
long long notify_watchdog_ms(void);

/* Socket activation: the first of the file descriptors systemd passes. */
#define NOTIFY_LISTEN_FDS_START 3
/* How many listening sockets systemd passed to this process, at fds
 * NOTIFY_LISTEN_FDS_START onwards: $LISTEN_FDS when $LISTEN_PID is our
 * PID, else 0. Removes LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES from the
 * environment either way, so that no child takes them for its own. Call
 * once, before forking (daemonize), since the PID must be the one systemd
 * started. Returns -1 with a message in err when the variables are
 * malformed. */
int notify_listen_fds(char *err, size_t errlen);

#endif
