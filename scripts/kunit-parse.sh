#!/bin/bash
# kunit-parse.sh - judge the KUnit results in a pcpupool guest log.
#
# Usage: scripts/kunit-parse.sh LOGFILE KDIR
#
# Takes the KTAP output that KUnit printed to the guest console while
# pcpupool_kunit.ko loaded and runs it through the kernel tree's own parser,
# $KDIR/tools/testing/kunit/kunit.py parse, which prints the per-suite
# results.  Then prints one final line, computed from the parser's --json
# output (a parameterized case counts once per parameter; a crashed test
# counts as failed):
#
#   N passed, N failed[, N skipped]
#
# Exit status 1 if a test failed or crashed, if the parser reported errors
# (e.g. missing results after a crash), or if no test was found at all.
#
# Extraction: only kernel lines (with a printk timestamp, which is removed)
# are kept, so the guest's user-space output cannot confuse the parser.  The
# kernel prints one top-level KTAP document per batch of suites: the boot
# executor's (usually empty, "1..0", skipped) and one per test module loaded.
# kunit.py parses a single document, so each non-empty one is parsed on its
# own and the counts are added up.  (Given the whole log, kunit.py parse
# stops at the empty boot document and reports "0 tests run!".)
set -uo pipefail
if [ $# != 2 ]; then
	echo "usage: $0 LOGFILE KDIR" >&2
	exit 2
fi
log=$1 kdir=$2
kunit=$kdir/tools/testing/kunit/kunit.py
[ -r "$log" ] || { echo "kunit-parse: cannot read $log" >&2; exit 2; }
[ -f "$kunit" ] || { echo "kunit-parse: no $kunit" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pcpupool-kunit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tmp=$(realpath "$tmp")	# kunit.py chdir()s to the kernel tree: absolute paths only

# Split the log into KTAP documents: $tmp/ktap.1, $tmp/ktap.2, ...
python3 - "$log" "$tmp" <<'EOF'
import re, sys
log, out = sys.argv[1], sys.argv[2]
ts = re.compile(r'\[\s*\d+\.\d+\] ?')
header = re.compile(r'^(?:KTAP|TAP) version \d+\s*$')
plan = re.compile(r'^1\.\.(\d+)\s*$')
result = re.compile(r'^(?:not )?ok \d+')
with open(log, 'rb') as f:
    text = f.read().decode('utf-8', errors='replace')
msgs = []
for line in text.split('\n'):
    m = ts.search(line.rstrip('\r'))
    if m:
        msgs.append(line.rstrip('\r')[m.end():])
docs, cur = [], None
for msg in msgs:
    if header.match(msg):
        cur = [msg]
        docs.append(cur)
    elif cur is not None:
        cur.append(msg)
n = 0
for doc in docs:
    m = plan.match(doc[1]) if len(doc) > 1 else None
    if m and int(m.group(1)) == 0:
        continue                    # boot executor without built-in suites
    if m:
        # Stop after the last top-level result once all are there.
        ends = [i for i, l in enumerate(doc) if result.match(l)]
        if len(ends) >= int(m.group(1)):
            doc = doc[:ends[int(m.group(1)) - 1] + 1]
    n += 1
    with open('%s/ktap.%d' % (out, n), 'w') as f:
        f.write('\n'.join(doc) + '\n')
EOF

ndocs=$(ls "$tmp"/ktap.* 2>/dev/null | wc -l)
if [ "$ndocs" = 0 ]; then
	echo "kunit-parse: no KTAP output with tests in $log (did pcpupool_kunit.ko load?)"
	echo "0 passed, 0 failed"
	exit 1
fi

prc=0
for ((i = 1; i <= ndocs; i++)); do
	python3 "$kunit" parse --json="$tmp/json.$i" "$tmp/ktap.$i" > "$tmp/out.$i" 2>&1
	r=$?
	grep -v 'Test results stored in' "$tmp/out.$i"
	[ $r = 0 ] || prc=$r
done

python3 - "$tmp" "$ndocs" "$prc" <<'EOF'
import json, re, sys
tmp, ndocs, prc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
counts = {'PASS': 0, 'FAIL': 0, 'SKIP': 0, 'ERROR': 0}
errors = 0
bad = []

def walk(group):
    for case in group.get('test_cases', []):
        counts[case['status']] = counts.get(case['status'], 0) + 1
        if case['status'] in ('FAIL', 'ERROR'):
            bad.append('%s %s' % (case['status'], case['name'] or '(missing)'))
    for sub in group.get('sub_groups', []):
        walk(sub)

for i in range(1, ndocs + 1):
    try:
        with open('%s/json.%d' % (tmp, i)) as f:
            walk(json.load(f))
    except (OSError, ValueError) as e:
        print('kunit-parse: no parser result for KTAP document %d: %s' % (i, e))
        errors += 1
    with open('%s/out.%d' % (tmp, i)) as f:
        for line in f:
            m = re.search(r'Testing complete\. .*\berrors: (\d+)', line)
            if m:
                errors += int(m.group(1))
passed, skipped = counts['PASS'], counts['SKIP']
failed = counts['FAIL'] + counts['ERROR']
if bad:
    print('kunit-parse: failed: ' + ', '.join(bad))
if counts['ERROR']:
    print('kunit-parse: %d test(s) crashed' % counts['ERROR'])
if errors:
    print('kunit-parse: the parser reported %d error(s) (missing or '
          'malformed results)' % errors)
if passed + failed + skipped == 0:
    print('kunit-parse: no test found')
ok = failed == 0 and errors == 0 and passed + failed + skipped > 0
if prc != 0:
    print('kunit-parse: kunit.py parse exited with status %d' % prc)
    ok = False
if passed == 0:
    # A boot whose every case skipped proved nothing.
    print('kunit-parse: no test passed')
    ok = False
line = '%d passed, %d failed' % (passed, failed)
if skipped:
    line += ', %d skipped' % skipped
print(line)
sys.exit(0 if ok else 1)
EOF
