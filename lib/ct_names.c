/* The names conntrack prints for layer-4 protocols and their states (libnetfilter_conntrack 1.0.9's tables). */
#include <string.h>
#include <netinet/in.h>

#include "ct_names.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct {
	const char *name;
	int num;
} protos[] = {
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "udplite", IPPROTO_UDPLITE },
	{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 }, { "sctp", IPPROTO_SCTP },
	{ "gre", IPPROTO_GRE }, { "dccp", IPPROTO_DCCP },
};

static const char *const tcp_states[] = {
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
	"LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
};
static const char *const sctp_states[] = {
	"NONE", "CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED",
	"SHUTDOWN_SENT", "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT", "HEARTBEAT_SENT",
	"HEARTBEAT_ACKED",
};
static const char *const dccp_states[] = {
	"NONE", "REQUEST", "RESPOND", "PARTOPEN", "OPEN", "CLOSEREQ", "CLOSING",
	"TIMEWAIT", "IGNORE", "INVALID",
};

const char *ct_proto_name(int proto)
{
	int i;

	for (i = 0; i < COUNT(protos); i++)
		if (protos[i].num == proto)
			return protos[i].name;
	return NULL;
}

int ct_proto_num(const char *name)
{
	int i;

	for (i = 0; i < COUNT(protos); i++)
		if (!strcmp(protos[i].name, name))
			return protos[i].num;
	return -1;
}

/* The table of proto's states and its length; NULL for other protocols. */
static const char *const *states_of(int proto, int *n)
{
	switch (proto) {
	case IPPROTO_TCP: *n = COUNT(tcp_states); return tcp_states;
	case IPPROTO_SCTP: *n = COUNT(sctp_states); return sctp_states;
	case IPPROTO_DCCP: *n = COUNT(dccp_states); return dccp_states;
	}
	*n = 0;
	return NULL;
}

const char *ct_state_name(int proto, int state)
{
	int n;
	const char *const *t = states_of(proto, &n);

	return t && state >= 0 && state < n ? t[state] : NULL;
}

int ct_state_num(int proto, const char *name)
{
	int n, i;
	const char *const *t = states_of(proto, &n);

	for (i = 0; i < n; i++)
		if (!strcmp(t[i], name))
			return i;
	return -1;
}
