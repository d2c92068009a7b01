/* Giving up root: switch to an unprivileged user, keeping CAP_NET_ADMIN only where it is needed. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "log.h"
#include "privdrop.h"

struct passwd *privdrop_user(const char *name)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (!pw) {
		if (errno)
			log_errno("cannot look up user '%s'", name);
		else
			log_error("no such user '%s'", name);
	}
	return pw;
}

/* Sets the permitted and effective sets to CAP_NET_ADMIN, or to nothing. */
static int set_caps(int net_admin)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (net_admin)
		data[0].effective = data[0].permitted = 1u << CAP_NET_ADMIN;
	return (int)syscall(SYS_capset, &hdr, data);
}

int privdrop(const struct passwd *pw, int keep_net_admin)
{
	if (keep_net_admin && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return log_errno("cannot keep capabilities across the user switch");
	if (initgroups(pw->pw_name, pw->pw_gid) || setgid(pw->pw_gid) ||
	    setuid(pw->pw_uid))
		return log_errno("cannot switch to user '%s'", pw->pw_name);
	if (set_caps(keep_net_admin))
		return log_errno("cannot set capabilities");
	if (keep_net_admin)
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (pw->pw_uid != 0 && setuid(0) == 0)
		return log_error("could switch back to root after dropping privileges");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return log_errno("cannot set no-new-privileges");
	return 0;
}
