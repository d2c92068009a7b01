#!/bin/bash
# t0100: the man pages match --help: same options both ways (ctrecord, ctquery and each ctquery command) and SYNOPSIS equal to the usage lines.
#
# Needs no root and no namespace.  Env: BIN (default <top>/build), MAN_DIR
# (default <top>/man; the test is run against a damaged copy to check it fails).
# An option "documented" in a man page is one in a .TP tag of the section that
# belongs to the binary or command: OPTIONS (ctrecord, ctquery), ".SS CMD" under
# COMMANDS, and FILTER OPTIONS for the commands whose --help lists the filters.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$TOP/build}
MAN_DIR=${MAN_DIR:-$TOP/man}
# Options documented before their code lands, allowed to be missing from
# --help (e.g. PENDING_CTRECORD="--user"; empty once the code has them).
PENDING_CTRECORD=""

say()  { echo "# $*"; }
fail() { echo "FAIL: $*" >&2; failed=1; }
failed=0

for f in "$BIN/ctrecord" "$BIN/ctquery"; do
	[ -x "$f" ] || { echo "FAIL: $f not built" >&2; exit 1; }
done
for f in "$MAN_DIR/ctrecord.8" "$MAN_DIR/ctquery.1"; do
	[ -r "$f" ] || { echo "FAIL: $f missing" >&2; exit 1; }
done

# roff_text: roff source on stdin to plain text (fonts, \-, \ , \&, \(aq).
roff_text() {
	sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\ / /g' -e 's/\\&//g' \
	    -e "s/\\\\(aq/'/g" -e 's/\\e/\\/g'
}

# opts: the options in text on stdin, one per line, sorted and unique:
# --long-words and single-letter -x after a start, space, '[', ',' or '|'.
opts() {
	local t
	t=$(cat)
	{
		printf '%s\n' "$t" | grep -oE -- '--[a-z][a-z0-9-]*' | sed 's/-*$//'
		printf '%s\n' "$t" | grep -oE -- '(^|[][ ,|])-[a-zA-Z]([],. |]|$)' |
			grep -oE -- '-[a-zA-Z]'
	} | sort -u
}

# help_opts: the options of --help output on stdin: its usage lines and its
# option lines (indented, starting with '-'), without the text in
# parentheses and without "conntrack -X" (mentions of conntrack's options).
help_opts() {
	awk '/^usage:/ { u = 1 } u && /^$/ { u = 0 } u || /^[ \t]+-/' |
		sed -e 's/([^)]*)//g' -e 's/conntrack -[A-Za-z]//g' | opts
}

# man_tags FILE SECTION [SUBSECTION]: the .TP tag lines of a section (and
# subsection, if given) of a man page, as plain text.
man_tags() {
	awk -v sec="$2" -v sub_="${3:-}" '
		function name(l) { sub(/^\.S[HS][ \t]+/, "", l); gsub(/"/, "", l); return l }
		/^\.SH/ { cur = name($0); cursub = ""; next }
		/^\.SS/ { cursub = name($0); next }
		tag { tag = 0; if (cur == sec && (sub_ == "" || cursub == sub_)) {
			l = $0; sub(/^\.[A-Z]+[ \t]+/, "", l); gsub(/"/, "", l); print l } }
		/^\.TP/ { tag = 1 }' "$1" | roff_text
}

# man_subsections FILE SECTION: the .SS names in a section.
man_subsections() {
	awk -v sec="$2" '
		/^\.SH/ { l = $0; sub(/^\.SH[ \t]+/, "", l); gsub(/"/, "", l); cur = l; next }
		/^\.SS/ && cur == sec { l = $0; sub(/^\.SS[ \t]+/, "", l); gsub(/"/, "", l); print l }' "$1"
}

# man_synopsis FILE: one line per form of the SYNOPSIS, as plain text.
man_synopsis() {
	awk '/^\.SH/ { s = ($0 ~ /^\.SH[ \t]+"?SYNOPSIS/); next } s && !/^\./' "$1" |
		roff_text | tr -s ' \t' ' ' | sed 's/^ //; s/ $//'
}

# help_synopsis PROG: the usage forms of --help on stdin, one per line
# (continuation lines joined to their form).
help_synopsis() {
	awk -v prog="$1" '
		/^usage:/ { u = 1; sub(/^usage:[ \t]*/, "") }
		u && /^$/ { u = 0 }
		!u { next }
		{ sub(/^[ \t]+/, "") }
		$1 == prog { if (form != "") print form; form = $0; next }
		{ form = form " " $0 }
		END { if (form != "") print form }' | tr -s ' \t' ' ' | sed 's/ $//'
}

# compare WHAT HELP_OPTS MAN_OPTS [PENDING]: both directions.  Commands
# whose --help shows no option (show, sessions) must document none.
compare() {
	local what=$1 h=$2 m=$3 pending=${4:-} o
	for o in $(comm -23 <(printf '%s\n' "$h" | sed '/^$/d') <(printf '%s\n' "$m" | sed '/^$/d')); do
		fail "$what: '$o' is in --help but not documented in the man page"
	done
	for o in $(comm -13 <(printf '%s\n' "$h" | sed '/^$/d') <(printf '%s\n' "$m" | sed '/^$/d')); do
		case " $pending " in *" $o "*) say "$what: '$o' documented ahead of --help (pending)"; continue ;; esac
		fail "$what: '$o' is documented in the man page but not in --help"
	done
	say "$what: $(printf '%s\n' "$h" | sed '/^$/d' | wc -l) options in --help, $(printf '%s\n' "$m" | sed '/^$/d' | wc -l) documented"
}

# gethelp CMD...: runs a --help, which must exit 0 and print something;
# its output goes to $out.
gethelp() {
	out=$("$@" 2>&1) || fail "'$*' exited $?"
	[ -n "$out" ] || fail "'$*' printed nothing"
}

# --- ctrecord
gethelp "$BIN/ctrecord" --help
h=$out
[ -n "$(help_opts <<<"$h")" ] || fail "ctrecord: no option found in --help"
compare "ctrecord" "$(help_opts <<<"$h")" "$(man_tags "$MAN_DIR/ctrecord.8" OPTIONS | opts)" \
	"$PENDING_CTRECORD"
help_syn=$(help_synopsis ctrecord <<<"$h")
man_syn=$(man_synopsis "$MAN_DIR/ctrecord.8")
diff <(sort <<<"$help_syn") <(sort <<<"$man_syn") >/dev/null ||
	fail "ctrecord: SYNOPSIS differs from the usage lines:$(echo; diff <(sort <<<"$help_syn") <(sort <<<"$man_syn") | sed 's/^/    /')"

# --- ctquery and its commands
gethelp "$BIN/ctquery" --help
h=$out
[ -n "$(help_opts <<<"$h")" ] || fail "ctquery: no option found in --help"
compare "ctquery" "$(help_opts <<<"$h")" "$(man_tags "$MAN_DIR/ctquery.1" OPTIONS | opts)"
help_syn=$(help_synopsis ctquery <<<"$h")
cmds=$(awk '/^commands:/ { c = 1; next } c && /^  [a-z]/ { print $1 }' <<<"$h")
[ -n "$cmds" ] || fail "ctquery --help lists no command"
sections=$(man_subsections "$MAN_DIR/ctquery.1" COMMANDS)
filter_tags=$(man_tags "$MAN_DIR/ctquery.1" "FILTER OPTIONS")
[ -n "$filter_tags" ] || fail "ctquery.1 has no tagged FILTER OPTIONS"
for c in $cmds; do
	grep -qx -- "$c" <<<"$sections" || fail "ctquery $c: no '.SS $c' under COMMANDS in ctquery.1"
	gethelp "$BIN/ctquery" "$c" --help
	ch=$out
	# --help COMMAND prints the same (it printed the general help)
	gethelp "$BIN/ctquery" --help "$c"
	[ "$out" = "$ch" ] || fail "ctquery --help $c differs from ctquery $c --help"
	m=$(man_tags "$MAN_DIR/ctquery.1" COMMANDS "$c")
	if grep -q '^filters' <<<"$ch"; then
		m=$(printf '%s\n%s\n' "$m" "$filter_tags")
		# (conntrack -E refuses --status: so does replay, whose --help
		# leaves it out and whose man entry says so; stats, --limit)
		grep -q -- '--status' <<<"$ch" || m=$(grep -v -- '--status' <<<"$m")
		grep -q -- '--limit' <<<"$ch" || m=$(grep -v -- '--limit' <<<"$m")
	fi
	compare "ctquery $c" "$(help_opts <<<"$ch" | grep -vx -- '--db')" "$(opts <<<"$m")"
	help_syn=$(printf '%s\n%s\n' "$help_syn" "$(help_synopsis ctquery <<<"$ch")")
done
for s in $sections; do
	grep -qx -- "$s" <<<"$cmds" || fail "ctquery.1 documents a command '$s' that ctquery --help does not list"
done
man_syn=$(man_synopsis "$MAN_DIR/ctquery.1")
diff <(sort <<<"$help_syn") <(sort <<<"$man_syn") >/dev/null ||
	fail "ctquery: SYNOPSIS differs from the usage lines:$(echo; diff <(sort <<<"$help_syn") <(sort <<<"$man_syn") | sed 's/^/    /')"

# --- README.md's synopses are the usage lines too: ctrecord's block under
# "## ctrecord", and a "- `COMMAND ...`" item per ctquery command
readme=$TOP/README.md
readme_syn=$(awk '/^## ctrecord/ { r = 1; next } r && /^```/ { if (b) exit; b = 1; next } b' "$readme" | sed '1s/^/usage: /' |
	help_synopsis ctrecord)
gethelp "$BIN/ctrecord" --help
diff <(help_synopsis ctrecord <<<"$out" | sort) <(sort <<<"$readme_syn") >/dev/null ||
	fail "README.md: ctrecord's synopsis differs from the usage lines:$(echo; diff <(help_synopsis ctrecord <<<"$out" | sort) <(sort <<<"$readme_syn") | sed 's/^/    /')"
for c in $cmds; do
	gethelp "$BIN/ctquery" "$c" --help
	u=$(help_synopsis ctquery <<<"$out" | sed 's/^ctquery \[--db PATH\] //')
	grep -qF -- "- \`$u\`" "$readme" || fail "README.md: no item '- \`$u\`' for ctquery $c"
done

# --- each command's --help lists an option once, and only options the
# command takes (replay listed -e twice; stats, --limit, which it refuses);
# ctrecord's lists an option once too (it listed -e as its own and a filter)

# help_twice: the options that --help output on stdin lists more than once.
# (an option's entry: at the line's start, after ", " or two spaces; one
# named in the text after it, "when --by is given", is not one)
help_twice() {
	grep -E '^ +-' | grep -oE -- '(^ +|  |, )--[a-z][a-z0-9-]*' | sed 's/^[ ,]*//' |
		sort | uniq -d | tr '\n' ' '
}
gethelp "$BIN/ctrecord" --help
dup=$(help_twice <<<"$out")
[ -z "$dup" ] || fail "ctrecord --help lists twice: $dup"
for c in $cmds; do
	gethelp "$BIN/ctquery" "$c" --help
	dup=$(help_twice <<<"$out")
	[ -z "$dup" ] || fail "ctquery $c --help lists twice: $dup"
	for o in $(grep -oE -- '(^|[ ,])--[a-z][a-z0-9-]*' <<<"$out" | sed 's/^[ ,]//' | sort -u); do
		e=$("$BIN/ctquery" --db /nonexistent/flows.db "$c" "$o" 1 2>&1 | head -1)
		case $e in
		*"unknown option"* | *"does not apply"* | *"unrecognized option"*)
			fail "ctquery $c --help lists $o, which it refuses: $e" ;;
		esac
	done
done

# --- the pages render without warnings (where groff is installed)
if command -v groff >/dev/null 2>&1; then
	w=$(groff -man -Tutf8 -ww -z "$MAN_DIR/ctrecord.8" "$MAN_DIR/ctquery.1" 2>&1)
	[ -z "$w" ] || fail "groff warns:"$'\n'"$w"
else
	say "groff not installed: rendering not checked"
fi

[ "$failed" = 0 ] || exit 1
say "man pages and --help agree"
exit 0
