#!/bin/bash
# t3600: what ctquery writes for programs to read parses: every line of `list -o json` and `replay -o json` is JSON (also with a program name that is not UTF-8), `list -o csv` is CSV with its header, `list -o xml` is XML.
set -eu
. "$(dirname "$0")/lib.sh"

require_cmd python3
require_built ctrecord ctquery
cd "$TMP"
# A program name is bytes: "проверка-тест" cut by the kernel at 15 bytes,
# inside the "т" (\xd1\x82), and a byte that is no UTF-8 at all.
printf '[1795800000.000001]\t    [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 id=5 [USERSPACE] portid=77 progname=\xd0\xbf\xd1\x80\xd0\xbe\xd0\xb2\xd0\xb5\xd1\x80\xd0\xba\xd0\xb0-\xd1\n[1795800001.000001]\t[DESTROY] udp      17 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 packets=3 bytes=300 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 packets=1 bytes=100 id=5 [USERSPACE] portid=78 progname=a"b\\c\xff\xc3\xa9\n' >odd.log
"$BIN/ctrecord" --db odd.db --import odd.log 2>/dev/null || fail "cannot import odd.log"
Q() { "$BIN/ctquery" --db odd.db "$@"; }

Q replay -o json >replay.json
Q list -o json >list.json
python3 - replay.json list.json <<'EOF' || fail "not JSON: $(cat replay.json list.json)"
import json, sys
for name in sys.argv[1:]:
    lines = open(name, 'rb').read().split(b'\n')
    assert lines[-1] == b'' and len(lines) == (3 if 'replay' in name else 2), name
    for l in lines[:-1]:
        json.loads(l.decode('utf-8'))
names = [json.loads(l).get('progname') for l in open(sys.argv[1], encoding='utf-8')]
assert names == ['проверка-\ufffd', 'a"b\\c\ufffdé'], names
EOF
say "replay -o json and list -o json: JSON in UTF-8, a program name's stray bytes as U+FFFD"

Q list -o csv >list.csv
python3 - list.csv <<'EOF' || fail "not the CSV expected: $(cat list.csv)"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
assert len(rows) == 1 and rows[0]['bytes_orig'] == '300' and rows[0]['ended'] == 'destroyed', rows
EOF
Q list -o xml >list.xml
python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' list.xml ||
	fail "list -o xml is not XML: $(cat list.xml)"
say "list -o csv and -o xml parse"
exit 0
