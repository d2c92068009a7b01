/* The recorder's netlink event subscription, and the kernel setting it depends on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The value of /proc/sys/net/netfilter/NAME, or -1 when it cannot be read. */
static int netfilter_sysctl(const char *name)
{
	char path[128];
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "/proc/sys/net/netfilter/%s", name);
	if (!(f = fopen(path, "r")))
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

void nlsock_check_events_sysctl(void)
{
	int v = netfilter_sysctl("nf_conntrack_events");

	if (v == 0)
		log_warn("net.netfilter.nf_conntrack_events=0: the kernel sends no events;"
			 " set it to 1");
	else if (v == 2)
		log_warn("net.netfilter.nf_conntrack_events=2: connections made while no"
			 " recorder runs will send no events, not even their end; set it to 1"
			 " to record them across restarts");
}

void nlsock_check_acct_sysctl(void)
{
	if (netfilter_sysctl("nf_conntrack_acct") == 0)
		log_warn("net.netfilter.nf_conntrack_acct=0: flows end without packet and byte"
			 " counts; set it to 1 to record those of the connections made after");
}
