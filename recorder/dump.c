/* Table dumps: read from the kernel directly, or through the privileged dumper process. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "dump.h"

#define DUMP_BUFSZ (MNL_SOCKET_BUFFER_SIZE * 4)

/* On the channel: 'R' asks for a dump; the answer is 'D' + datagram, each as
 * one message, ending with the datagram that holds NLMSG_DONE, or 'X' + errno. */
enum { TAG_REQUEST = 'R', TAG_DATA = 'D', TAG_ERROR = 'X' };

static int dumper_fd[DUMP_CHANNELS] = { -1, -1 };

void dump_use_dumpers(int writer_fd, int receiver_fd)
{
	dumper_fd[DUMP_WRITER] = writer_fd;
	dumper_fd[DUMP_RECEIVER] = receiver_fd;
}

/* Asks the kernel for the table and hands each datagram to fn, which returns
 * MNL_CB_OK to go on, MNL_CB_STOP at the end, MNL_CB_ERROR to fail. Returns
 * 0, or -1 with errno set (nothing reported). */
static int kernel_dump(int (*fn)(const void *buf, size_t n, void *arg), void *arg)
{
	char buf[DUMP_BUFSZ] __attribute__((aligned(8)));
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	int ret = MNL_CB_OK, err = 0;
	ssize_t n;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = errno;
		goto out;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = time(NULL);
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		err = errno;
		goto out;
	}
	while (ret == MNL_CB_OK) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			err = errno;
			break;
		}
		ret = fn(buf, n, arg);
		if (ret == MNL_CB_ERROR)
			err = errno ? errno : EIO;
	}
out:
	if (nl)
		mnl_socket_close(nl);
	errno = err;
	return err ? -1 : 0;
}

/* Asks the dumper and hands each datagram it sends back to fn, as
 * kernel_dump() does. Returns 0, or -1 with errno set (nothing reported);
 * EPIPE when the dumper is gone. */
static int dumper_dump(int fd, int (*fn)(const void *buf, size_t n, void *arg), void *arg)
{
	char buf[DUMP_BUFSZ] __attribute__((aligned(8)));
	char tag = TAG_REQUEST;
	struct iovec iov[2] = { { &tag, 1 }, { buf, sizeof(buf) } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	int ret = MNL_CB_OK, err = 0;
	ssize_t n;

	if (write(fd, &tag, 1) != 1)
		return -1;
	while (ret == MNL_CB_OK) {
		n = recvmsg(fd, &msg, 0);
		if (n <= 0) {
			errno = EPIPE;
			return -1;
		}
		if (tag == TAG_ERROR) {
			memcpy(&err, buf, sizeof(err));
			errno = err;
			return -1;
		}
		ret = fn(buf, n - 1, arg);
		if (ret == MNL_CB_ERROR) {
			errno = errno ? errno : EIO;
			return -1;
		}
	}
	return 0;
}

int dump_datagrams(enum dump_channel ch, dump_datagram_cb fn, void *arg)
{
	return dumper_fd[ch] >= 0 ? dumper_dump(dumper_fd[ch], fn, arg) : kernel_dump(fn, arg);
}

/* The dumper passes each datagram on, and sees the end for itself. */
static int forward(const void *buf, size_t n, void *arg)
{
	char tag = TAG_DATA;
	struct iovec iov[2] = { { &tag, 1 }, { (void *)buf, n } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	int ret;

	if (sendmsg(*(int *)arg, &msg, 0) < 0)
		return MNL_CB_ERROR;
	ret = mnl_cb_run(buf, n, 0, 0, NULL, NULL);
	return ret == MNL_CB_ERROR ? MNL_CB_STOP : ret;	/* the recorder reports it */
}

void dump_serve(int fd)
{
	char req;

	while (read(fd, &req, 1) == 1) {
		if (req != TAG_REQUEST)
			continue;
		if (kernel_dump(forward, &fd)) {
			char msg[1 + sizeof(int)] = { TAG_ERROR };
			int err = errno;

			memcpy(msg + 1, &err, sizeof(err));
			if (send(fd, msg, sizeof(msg), 0) < 0)
				return;
		}
	}
}
