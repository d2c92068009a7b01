/* The recorder's netlink sockets: the event subscription and table dumps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "log.h"
#include "nlsock.h"

struct mnl_socket *nlsock_events(unsigned groups, size_t bufsize, int reliable)
{
	int on = 1;
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	int size = bufsize > (size_t)0x7fffffff ? 0x7fffffff : (int)bufsize;

	if (!nl) {
		log_errno("cannot open a netlink socket");
		return NULL;
	}
	if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		log_errno("cannot subscribe to conntrack events (are you root?)");
		mnl_socket_close(nl);
		return NULL;
	}
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size,
		       sizeof(size)) < 0 &&
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &size,
		       sizeof(size)) < 0)
		log_warn("cannot set the receive buffer to %zu bytes", bufsize);
	if (reliable &&
	    (setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_BROADCAST_ERROR, &on,
			sizeof(on)) < 0 ||
	     setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_NO_ENOBUFS, &on,
			sizeof(on)) < 0)) {
		log_errno("cannot ask for reliable event delivery");
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

struct dump_ctx {
	nlsock_dump_cb cb;
	void *data;
	long count;
	int cb_failed;		/* the callback failed and reported it */
};

static int dump_one(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;

	d->count++;
	if (d->cb(nlh, d->data)) {
		d->cb_failed = 1;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

long nlsock_dump(nlsock_dump_cb cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 4] __attribute__((aligned(8)));
	struct dump_ctx d = { cb, data, 0, 0 };
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	unsigned int seq = time(NULL), portid;
	ssize_t n;
	int ret;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_errno("cannot open a netlink socket for the table dump");
		if (nl)
			mnl_socket_close(nl);
		return -1;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		log_errno("cannot request the conntrack table");
		mnl_socket_close(nl);
		return -1;
	}
	ret = MNL_CB_OK;
	while (ret > MNL_CB_STOP) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			log_errno("cannot read the conntrack table");
			d.count = -1;
			break;
		}
		ret = mnl_cb_run(buf, n, seq, portid, dump_one, &d);
		if (ret == MNL_CB_ERROR) {
			if (!d.cb_failed)
				log_errno("cannot read the conntrack table");
			d.count = -1;
		}
	}
	mnl_socket_close(nl);
	return d.count;
}
