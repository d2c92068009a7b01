/* The dumper process: after the recorder gives up root, it alone keeps CAP_NET_ADMIN, to answer table dumps. */
#include <pwd.h>
#include <signal.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "dump.h"
#include "dumper.h"
#include "log.h"
#include "privdrop.h"

int dumper_start(const struct passwd *pw, int close_fd, int close_fd2, pid_t *pid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return log_errno("cannot create the dumper's channel");
	*pid = fork();
	if (*pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return log_errno("cannot start the dumper");
	}
	if (*pid == 0) {
		/* The child: dies with the recorder, ignores the signals meant for it. */
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		close(sv[0]);
		close(close_fd);
		if (close_fd2 >= 0)
			close(close_fd2);
		prctl(PR_SET_NAME, "ctrecord-dump", 0, 0, 0);
		if (privdrop(pw, 1) == 0)
			dump_serve(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

int dumper_become(const char *user, int event_fd)
{
	struct passwd *pw = privdrop_user(user);
	pid_t pid;
	int fd, fd2;

	if (!pw)
		return -1;
	fd = dumper_start(pw, event_fd, -1, &pid);
	fd2 = fd < 0 ? -1 : dumper_start(pw, event_fd, fd, &pid);
	if (fd2 < 0)
		return -1;
	dump_use_dumpers(fd, fd2);
	return privdrop(pw, 0);
}
