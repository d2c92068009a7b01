#!/bin/bash
# t0110: a bad command line makes ctrecord and ctquery exit 2 with one line that names the option and says what is wrong.
#
# Needs no root and no namespace: options are checked before anything opens.
# (Each ctquery command's own bad options are in t3000.)
set -eu
. "$(dirname "$0")/lib.sh"

require_built ctrecord ctquery
cd "$TMP"
n=0
says() {	# says TOOL TEXT ARGS...: TOOL ARGS exits 2, one stderr line containing TEXT, no stdout
	local tool=$1 want=$2 rc=0 err; shift 2
	err=$("$BIN/$tool" "$@" 2>&1 >"$TMP/stdout") || rc=$?
	[ "$rc" = 2 ] || fail "$tool $*: exited $rc, not 2 ($err)"
	[ "$(wc -l <<<"$err")" = 1 ] || fail "$tool $*: not one line: $err"
	grep -qF -- "$want" <<<"$err" || fail "$tool $*: '$err' does not say \"$want\""
	[ ! -s "$TMP/stdout" ] || fail "$tool $*: printed on stdout: $(head -3 "$TMP/stdout")"
	n=$((n + 1))
}

# a known option without its value is not an unknown option
says ctrecord "option '--db' needs a value; see 'ctrecord --help'" --db
says ctrecord "option '-b' needs a value" -b
says ctrecord "option '-b' needs a value" -vb
says ctrecord "option '--src' needs a value" --src
says ctrecord "option '--reliable' takes no value" --reliable=yes
says ctrecord "unknown option '--bogus'; see 'ctrecord --help'" --bogus
says ctrecord "unknown option '-Z'" -vZ
says ctrecord "unexpected argument 'extra'" --db x.db extra
says ctrecord "--since" --since 1h
says ctrecord "--commit-interval" --commit-interval 0
# recording's options with --import or --prune, which would ignore them
says ctrecord "a filter (-p, -s, ...) is for recording, not for --import" --db x.db --import x.log -p tcp
says ctrecord "--event-mask is for recording, not for --import" --db x.db --import x.log -e DESTROY
says ctrecord "--buffer-size is for recording, not for --prune" --db x.db --prune --retain 1d -b 1M
says ctrecord "--verbose is for recording, not for --import" --db x.db --import x.log -v
says ctrecord "--verbose is for recording, not for --prune" --db x.db --prune --retain 1d --verbose
says ctrecord "--upgrade goes alone" --db x.db --upgrade -v
# a queue must hold a table dump's datagrams (up to 32 KiB): a smaller one
# left the receiving thread unable to queue a resync, and it ended silently
says ctrecord "invalid --queue-size '32K' (a size from 64K" --db x.db --queue-size 32K
says ctrecord "invalid --buffer-size '1K' (a size from 4K" --db x.db -b 1K
says ctrecord "not with --import" --db x.db --import x.log --retain 1d
# --protonum, conntrack's long name of -p (conntrack -h), was an unknown option
for cmd in "ctquery --db x.db list" "ctquery --db x.db replay" "ctquery --db x.db stats" "ctrecord --db x.db"; do
	says ${cmd%% *} "--sport: invalid port 'x'" ${cmd#* } --protonum tcp --sport x
	says ${cmd%% *} "--sport: invalid port 'x'" ${cmd#* } --prot=tcp --sport x
done
# the largest size is said too: 2000G was refused as if it were too small
says ctrecord "invalid --max-size '2000G' (a size from 4K to 1024G" --db x.db --max-size 2000G
says ctrecord "invalid --buffer-size '1T' (a size from 4K to 1024G" --db x.db -b 1T
says ctrecord "invalid --retain '36501d' (a positive age such as 3600s, 90m, 12h, 30d, 4w, at most 36500d)" --db x.db --retain 36501d
says ctrecord "invalid --retain '5215w' (a positive age such as" --db x.db --retain 5215w
# weeks, as ctquery's times take them (-1w): a usage error before
rc=0
"$BIN/ctrecord" --db "$TMP/weeks.db" --prune --retain 4w 2>"$TMP/weeks.err" || rc=$?
[ "$rc" = 1 ] && grep -q "cannot open" "$TMP/weeks.err" || fail "--retain 4w: exit $rc: $(cat "$TMP/weeks.err")"
says ctrecord "--upgrade goes alone" --db x.db --upgrade --reliable
# conntrack -E refuses --status (conntrack -L's filter): so do replay and
# ctrecord, where it was taken and matched
says ctrecord "--status is conntrack -L's filter, which conntrack -E refuses" --db nodir/x.db -u ASSURED
says ctrecord "--status is conntrack -L's filter" --db nodir/x.db --status SEEN_REPLY -p tcp
says ctquery "--status is conntrack -L's filter, which conntrack -E refuses" --db x.db replay -u ASSURED
says ctquery "--status is conntrack -L's filter" --db x.db replay --status=ASSURED -o xml
# SQLite opens "" as a temporary database: an import into it was said done
says ctrecord "--db: an empty path; see 'ctrecord --help'" --db '' --import x.log
says ctquery "--db: an empty path; see 'ctquery --help'" --db '' list
# an empty word in -o's list, which conntrack refuses ("Bad parameter"),
# was passed over
for o in '' , xml, ,id 'xml,,id'; do
	says ctquery "-o: an empty word in '$o'" --db x.db replay -o "$o"
done
# a second --where replaced the first, silently
for cmd in list replay stats; do
	says ctquery "--where: given twice; join the conditions with AND in one ('dport = 53')" \
		--db x.db $cmd --where 'proto = 6' --where 'dport = 53'
done
# NAT addresses as conntrack takes them: an empty one after another NAT
# option's port was taken as ":PORT alone"; [ADDR] needs its port
says ctquery "--dst-nat: invalid IP address ''" --db x.db list -n 1.2.3.4:80 -g ''
for a in '[::1]' '[]:80' '[::1' ; do
	says ctquery "--src-nat: invalid IP address '$a'" --db x.db list -n "$a"
done
says ctquery "--src-nat: invalid port '[::1]:'" --db x.db list -n '[::1]:'
# a status list refused is one error: the warning that SRC_NAT or DST_NAT
# is ignored came before it (found by fuzz_options)
says ctquery "--status: unknown status 'DST_NAT,BOGUS'" --db x.db list -u DST_NAT,BOGUS
# an empty event type after a comma, which conntrack -e refuses too
says ctquery "unknown event type '' in -e 'NEW,'" --db x.db replay -e NEW,
says ctquery "unknown event type '' in -e 'NEW,,UPDATE'" --db x.db list -e NEW,,UPDATE
says ctrecord "unknown event type '' in -e 'DESTROY,'" --db x.db -e DESTROY,
# -e's words as conntrack reads them: an abbreviation (DES, n, U for UPDATES,
# A for ALL) is taken, a longer word is not; S and D abbreviate SRC_NAT and
# DST_NAT, which conntrack tries first and ignores: a list of nothing else
# selects nothing (conntrack -E -e D shows no event), refused
for e in D S dst_n,SRC; do
	for cmd in "ctquery --db x.db replay" "ctquery --db x.db list" "ctrecord --db x.db"; do
		says ${cmd%% *} "-e '$e' names no event type: '${e%%,*}' is" ${cmd#* } -e "$e"
	done
done
says ctquery "unknown event type 'NEWS' in -e 'NEWS'" --db x.db replay -e NEWS
says ctrecord "unknown event type 'UPDATESX' in -e 'UPDATESX'" --db x.db -e UPDATESX
if command -v conntrack >/dev/null 2>&1; then
	for e in NEWS UPDATESX; do
		err=$(timeout 5 conntrack -E -e $e 2>&1 </dev/null) && fail "conntrack -E -e $e did not fail"
		grep -qF "Bad parameter" <<<"$err" || fail "conntrack -E -e $e says '$err'"
	done
fi
# --state is a state's name as conntrack spells it, upper case: conntrack
# refuses 'established' ("unknown TCP state"), which was taken as ESTABLISHED
for st in "tcp established" "tcp Established" "sctp established" "dccp open"; do
	for cmd in "ctquery --db x.db list" "ctquery --db x.db replay" "ctquery --db x.db stats" "ctrecord --db x.db"; do
		says ${cmd%% *} "--state: unknown state '${st#* }'" ${cmd#* } -p ${st% *} --state "${st#* }"
	done
done
if command -v conntrack >/dev/null 2>&1; then
	err=$(conntrack -L -p tcp --state established 2>&1 </dev/null) &&
		fail "conntrack -L -p tcp --state established did not fail"
	grep -qF "unknown TCP state" <<<"$err" || fail "conntrack --state established says '$err'"
fi
# -p takes a name of /etc/protocols as it is spelt there, as conntrack does
# ('esp', 'IPv6-ICMP'), and refuses it in other cases
for p in ESP IPV6-ICMP ospfigp; do
	for cmd in "ctquery --db x.db list" "ctrecord --db x.db"; do
		says ${cmd%% *} "--proto: unsupported protocol '$p'" ${cmd#* } -p $p
	done
	if command -v conntrack >/dev/null 2>&1; then
		err=$(conntrack -L -p $p 2>&1 </dev/null) && fail "conntrack -L -p $p did not fail"
		grep -qF "unsupported protocol" <<<"$err" || fail "conntrack -L -p $p says '$err'"
	fi
done
# a protocol's options follow conntrack's modules: --icmp-* for -p icmp (or
# 1), --icmpv6-* for -p icmpv6 (or 58, any case), none after -p ipv6-icmp
# (a name of /etc/protocols: conntrack's module "unknown"); conntrack says
# "unknown option" for the others, which were taken (-p icmp --icmpv6-type
# 128 selected ICMP's type 128)
ICMP_OK='-p icmp --icmp-type 8|-p 1 --icmp-code 0|-p ICMP --icmp-id 3|-p icmpv6 --icmpv6-type 128|-p 58 --icmpv6-code 0|-p ICMPv6 --icmpv6-id 3'
ICMP_BAD='-p icmp --icmpv6-type 128|-p icmpv6 --icmp-type 128|-p ipv6-icmp --icmpv6-type 128|-p ipv6-icmp --icmp-type 8|-p 58 --icmp-id 1|-p 1 --icmpv6-code 0|-p tcp --icmpv6-type 1|-p esp --icmp-type 1'
IFS='|' read -ra oks <<<"$ICMP_OK"
IFS='|' read -ra bads <<<"$ICMP_BAD"
for a in "${bads[@]}"; do
	case $a in
	*--icmpv6-*) want="--icmpv6-type, --icmpv6-code and --icmpv6-id need -p icmpv6 (or 58)" ;;
	*) want="--icmp-type, --icmp-code and --icmp-id need -p icmp (or 1)" ;;
	esac
	# shellcheck disable=SC2086
	for cmd in "ctquery --db x.db replay" "ctquery --db x.db list" "ctrecord --db x.db"; do
		says ${cmd%% *} "$want" ${cmd#* } $a
	done
done
for a in "${oks[@]}"; do
	for cmd in "ctquery --db nodir/x.db replay" "ctrecord --db nodir/x.db"; do
		rc=0
		# shellcheck disable=SC2086
		err=$($BIN/$cmd $a 2>&1 >/dev/null) || rc=$?
		[ "$rc" = 1 ] && grep -q "nodir/x.db" <<<"$err" || fail "$cmd $a: exit $rc, '$err'"
	done
done
if command -v conntrack >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	for a in "${bads[@]}"; do
		# shellcheck disable=SC2086
		err=$(timeout 5 conntrack -E $a 2>&1 </dev/null) && fail "conntrack -E $a did not fail"
		grep -qF "unknown option" <<<"$err" || fail "conntrack -E $a says '$err'"
	done
	for a in "${oks[@]}"; do	# (taken: it listens until the timeout)
		rc=0
		# shellcheck disable=SC2086
		timeout 1 conntrack -E $a >/dev/null 2>&1 </dev/null || rc=$?
		[ "$rc" = 124 ] || fail "conntrack -E $a exited $rc"
	done
fi
# -c/--secmark: conntrack 1.4.7 takes it, but the kernel sends no secmark
# (CTA_SECMARK is obsolete), so it selects everything (t3000): refused with
# the reason, where it was an unknown option
for cmd in "ctquery --db x.db list" "ctquery --db x.db replay" "ctquery --db x.db stats" "ctrecord --db x.db"; do
	# shellcheck disable=SC2086
	says ${cmd%% *} "--secmark '5': not supported: the kernel sends no secmark" ${cmd#* } -c 5
	# shellcheck disable=SC2086
	says ${cmd%% *} "--secmark '0x10': not supported" ${cmd#* } --secmark 0x10
done
# where conntrack takes a word, so do they: -p's names in any case (and those of
# /etc/protocols as there), -u's and -e's words in any case
# (the command line is taken: the error is the database that is not there)
for args in "-p TCP --state ESTABLISHED" "-p Sctp --state ESTABLISHED" "-p dccp --state OPEN" \
	    "-p esp" "-p IPv6-ICMP" "-p OSPFIGP" \
	    "-u assured,Seen_Reply" "-e new,Destroy" "-u ASS,se,F" "-u !UNSET,A" "-e DES,n,U" "-e a" \
	    "-e UPDATES" "-e dest"; do
	for cmd in "ctquery --db nodir/x.db list" "ctrecord --db nodir/x.db"; do
		[ "${cmd%% *} ${args%% *}" != "ctrecord -u" ] || continue	# conntrack -L's filter
		rc=0
		err=$($BIN/$cmd $args 2>&1 >/dev/null) || rc=$?
		[ "$rc" = 1 ] && grep -q "nodir/x.db" <<<"$err" || fail "$cmd $args: exit $rc, '$err'"
	done
done
says ctquery "option '--db' needs a value; see 'ctquery --help'" --db
says ctquery "unknown option '--bogus'; see 'ctquery --help'" --bogus
says ctquery "unknown option '-x'" -x
says ctquery "unknown command 'lsit'" lsit
# --help COMMAND is the command's help: a name that is no command is an
# error (it printed the general help, exit status 0)
says ctquery "unknown command 'lsit'; see 'ctquery --help'" --help lsit
says ctquery "unknown command 'lsit'" -h lsit
says ctquery "unexpected argument 'extra' after --help list" --help list extra
# replay -o save with another word: refused as conntrack -E refuses it, in its words
SAVE_ONLY="cannot combine save output with any other output type, use -o save only"
for o in save,id xml,save save,timestamp save,extended,userspace save,ktimestamp save,labels; do
	says ctquery "$SAVE_ONLY" --db x.db replay -o "$o"
done
says ctquery "$SAVE_ONLY" --db x.db replay -o save -o timestamp
says ctquery "-o json and -o save exclude each other" --db x.db replay -o json,save
if command -v conntrack >/dev/null 2>&1; then
	err=$(conntrack -E -o save,id 2>&1 </dev/null) && fail "conntrack -E -o save,id did not fail"
	grep -qF -- "$SAVE_ONLY" <<<"$err" || fail "conntrack -E -o save,id says '$err', not \"$SAVE_ONLY\""
fi
[ ! -e "$TMP/x.db" ] || fail "ctrecord created its database for a bad command line"
# output that cannot be written is an error too (exit 1, one line)
for cmd in "ctrecord --help" "ctrecord --version" "ctquery --help" "ctquery --version"; do
	rc=0
	err=$($BIN/$cmd 2>&1 >/dev/full) || rc=$?
	[ "$rc" = 1 ] && grep -q "cannot write the output" <<<"$err" ||
		fail "$cmd >/dev/full: exit $rc, '$err'"
done
say "$n bad command lines refused, each in one line naming what is wrong"
exit 0
