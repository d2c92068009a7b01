/* sandbox: runs a command under two of the limits ctrecord.service asks systemd for, RestrictAddressFamilies=AF_NETLINK AF_UNIX and MemoryDenyWriteExecute=yes, so that tests can check ctrecord works under them. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#endif
#ifndef PR_MDWE_REFUSE_EXEC_GAIN
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

static const char usage[] =
	"usage: sandbox --check | sandbox -- COMMAND [ARG...]\n"
	"  Lets socket(2) and socketpair(2) make only AF_UNIX and AF_NETLINK sockets\n"
	"  (others fail with EAFNOSUPPORT, as systemd's RestrictAddressFamilies=),\n"
	"  refuses system calls of other architectures (SystemCallArchitectures=native)\n"
	"  and memory both writable and executable (prctl PR_SET_MDWE, as\n"
	"  MemoryDenyWriteExecute=), then runs COMMAND; children keep all of it.\n"
	"  --check: applies nothing; checks that each limit holds in this process\n"
	"  (run as `sandbox -- sandbox --check`: the limits survive execve).\n"
	"  Exit status 77: this kernel or architecture cannot apply them.\n";

/* The seccomp filter: native calls only; socket families AF_UNIX and AF_NETLINK. */
static int restrict_families(void)
{
#ifdef NATIVE_ARCH
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socketpair, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAFNOSUPPORT),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("sandbox: seccomp");
		return -1;
	}
	return 0;
#else
	fputs("sandbox: no seccomp filter for this architecture\n", stderr);
	return -1;
#endif
}

/* Each limit, tried: 0 when all hold. */
static int check(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), bad = 0;
	void *p;

	if (fd >= 0 || errno != EAFNOSUPPORT) {
		fprintf(stderr, "sandbox: an AF_INET socket was not refused\n");
		if (fd >= 0)
			close(fd);
		bad = 1;
	}
	if ((fd = socket(AF_NETLINK, SOCK_RAW, 0)) < 0) {
		perror("sandbox: an AF_NETLINK socket was refused");
		bad = 1;
	} else {
		close(fd);
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED) {
		fprintf(stderr, "sandbox: memory both writable and executable was mapped\n");
		munmap(p, 4096);
		bad = 1;
	}
	return bad;
}

int main(int argc, char **argv)
{
	int checking = argc == 2 && !strcmp(argv[1], "--check");

	if (checking)
		return check();
	if (argc < 3 || strcmp(argv[1], "--")) {
		fputs(usage, stderr);
		return 2;
	}
	if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0)) {
		perror("sandbox: PR_SET_MDWE");
		return 77;
	}
	if (restrict_families())
		return 77;
	execvp(argv[2], argv + 2);
	fprintf(stderr, "sandbox: cannot run %s: %s\n", argv[2], strerror(errno));
	return 127;
}
