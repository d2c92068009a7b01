/* Giving up root: switch to an unprivileged user, keeping CAP_NET_ADMIN only where it is needed. */
#ifndef CT_PRIVDROP_H
#define CT_PRIVDROP_H

#include <sys/types.h>

struct passwd;

/* Looks up the user; NULL after reporting when there is none. */
struct passwd *privdrop_user(const char *name);

/* Switches to pw's groups, gid and uid, then sets no-new-privileges. With
 * keep_net_admin, CAP_NET_ADMIN stays permitted and effective (the table
 * dumper needs it: the kernel checks it on every dump request); otherwise no
 * capability is left. Returns 0 or -1 (reported). */
int privdrop(const struct passwd *pw, int keep_net_admin);

#endif
