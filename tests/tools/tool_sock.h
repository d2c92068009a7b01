/* tool_sock.h: what the test tools that make traffic share: an address from its text, a socket with timeouts. */
#ifndef TOOL_SOCK_H
#define TOOL_SOCK_H
#include <sys/socket.h>

/* Fills *ss (*len its size) with s, an IPv4 or IPv6 address in text, and
 * port. Returns 0, or -1 when s is neither (nothing reported). */
int sockaddr_text(const char *s, int port, struct sockaddr_storage *ss, socklen_t *len);

/* A socket of family and type with SO_REUSEADDR, whose blocking calls give
 * up after secs seconds. Returns it, or -1 (errno set; nothing reported). */
int sock_timed(int family, int type, int secs);

#endif
