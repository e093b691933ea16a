/* net: listening sockets (TCP over IPv4/IPv6, unix), accept and socket
 * options. Every function is a thin, checked wrapper around the socket API;
 * none of them touches clients or the event loop.
 */
#ifndef RESPD_NET_H
#define RESPD_NET_H

#include <stddef.h>

/* Opens a listening TCP socket on addr:port (port 0 = any free port), non-
 * blocking, SO_REUSEADDR, IPV6_V6ONLY for v6 addresses. Returns the fd or -1
 * with a message in err. */
int net_listen_tcp(const char *addr, int port, int backlog, char *err, size_t errlen);
/* Opens a listening unix socket at path with the given permissions (0 = keep
 * umask's). Returns the fd or -1 with a message in err. */
int net_listen_unix(const char *path, int perm, int backlog, char *err, size_t errlen);
/* Accepts one connection, non-blocking and close-on-exec. Returns the fd, or -1
 * with errno set (EAGAIN when none is waiting). */
int net_accept(int lfd);
/* The local port a socket is bound to, or -1. */
int net_local_port(int fd);
/* Sets TCP_NODELAY and, when interval > 0, keepalive probes. Ignores errors on
 * unix sockets. */
void net_tune(int fd, int keepalive_interval);
/* Writes "ip:port" (or the unix path) of the peer (local = 0) or of our end
 * (local = 1) into buf. */
void net_peer_name(int fd, char *buf, size_t size, int local);
/* 1 if fd's peer is loopback (127.0.0.1, ::1) or a unix socket. */
int net_peer_is_local(int fd);
/* Takes over a listening socket made by someone else (systemd socket
 * activation): checks that fd is a listening stream socket (TCP or unix),
 * makes it non-blocking and close-on-exec. Returns 0, or -1 with a
 * message in err. */
int net_adopt_listener(int fd, char *err, size_t errlen);
/* 1 if fd is a unix domain socket. */
int net_is_unix(int fd);

#endif
