#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""scan-log.py - find kernel splats in a pcpupool guest's serial log.

Usage: scripts/scan-log.py [--expect PATTERN]... LOGFILE

A splat starts at a kernel message (the text after the "[   1.234567] "
printk timestamp) that
  - begins with BUG:, WARNING:, Oops, Kernel panic, kernel BUG at, UBSAN:,
    general protection fault, or SLUB's "BUG <cache> (" (optionally after a
    "subsystem: " prefix, as in "watchdog: BUG: soft lockup"), or
  - contains one of: possible circular locking, inconsistent lock state,
    possible recursive locking, INFO: possible, sleeping function called
    from invalid context, list_add corruption, list_del corruption, general
    protection fault, blocked for more than, detected stalls, or
  - is a "Call Trace:" that does not belong to a splat already seen
    (e.g. a bare dump_stack()),
or at an "unreferenced object" line inside the kmemleak report that
scripts/guest/init.sh prints between PCPUPOOL-KMEMLEAK-BEGIN and
PCPUPOOL-KMEMLEAK-END.  KTAP lines (KUnit results: "ok 1 name", "# ...")
never start a splat, so test names cannot trigger one; nor do the
"Kernel command line" and taint messages and the expect-splat markers.

A splat extends over its header, its Call Trace and what follows it until
"---[ end trace", the closing "====" line of a KASAN report, the next splat,
another Call Trace (only stall, lockup and hung-task reports have several)
or 40 quiet kernel lines.  Several trigger lines before the first
Call Trace ("BUG: unable to handle page fault" ... "Oops: ...") form one
splat.

Expected splats:
  - A test prints "pcpupool-test: expect-splat-begin PATTERN" and, after
    provoking the splat, "pcpupool-test: expect-splat-end".  Every splat
    starting in between must match PATTERN (e.g. "KASAN", "WARNING"), and
    at least one such splat must appear.
    Exact form: "expect-splat-begin PATTERN :: task=COMM :: MSG1 :: MSG2"
    (task= optional): exactly as many PATTERN splats as messages, the k-th
    with MSGk in its report (the WARN text printed just before its
    "WARNING:" line), each from task COMM ("Comm: COMM" in its registers).
  - --expect PATTERN (repeatable, for whole-log negative controls): the log
    must contain a splat matching PATTERN; those splats are not failures.
    Other splats still are.
A splat matches PATTERN if its first trigger line contains it, or one of its
other trigger lines starts with it ("list_add corruption ..." followed by
"WARNING: CPU: ..." matches both "list_add" and "WARNING"; "BUG: unable to
handle page fault" followed by "Oops: ... SMP KASAN" does not match "KASAN").

Each failure is printed with about 20 lines of context.  Exit status: 0 if
clean, 1 on any unexpected splat or missing expected splat, 2 on usage
errors.
"""

import argparse
import re
import sys

TIMESTAMP = re.compile(r'\[\s*\d+\.\d+\] ?')
# Trigger at the start of the message, optionally after "subsystem: ".
START = re.compile(
    r'^(?:[\w.-]+: )?(?:BUG:|WARNING:|Oops\b|Kernel panic|kernel BUG at|'
    r'UBSAN:|general protection fault|BUG [\w.:-]+ \()')
ANYWHERE = (
    'possible circular locking', 'inconsistent lock state',
    'possible recursive locking', 'INFO: possible',
    'sleeping function called from invalid context',
    'list_add corruption', 'list_del corruption', 'general protection fault',
    'blocked for more than', 'detected stalls',
)
KTAP = re.compile(r'^\s*(?:#|ok |not ok |KTAP version|TAP version|1\.\.\d)')
IGNORE = re.compile(
    r'^(?:Kernel command line:|Command line:|Unknown kernel command line)|'
    r'taints kernel|tainting kernel|due to kernel taint')
CALL_TRACE = 'Call Trace:'
END_MARKER = re.compile(r'^---\[ end (?:trace|Kernel panic)')
KASAN_END = re.compile(r'^={20,}\s*$')
# Splats with one Call Trace per CPU or task (stalls, lockups, hung tasks).
MULTI_TRACE = re.compile(r'stall|lockup|LOCKUP|blocked for more than')
# Register dump lines that may sit inside a Call Trace (user-mode part).
REGISTER = re.compile(r'^[A-Z][A-Z0-9]{1,4}:')
EXPECT_BEGIN = re.compile(r'pcpupool-test: expect-splat-begin\s+(.*\S)')
EXPECT_END = 'pcpupool-test: expect-splat-end'
KMEMLEAK_BEGIN = 'PCPUPOOL-KMEMLEAK-BEGIN'
KMEMLEAK_END = 'PCPUPOOL-KMEMLEAK-END'
LEAK = 'unreferenced object'

HEADER_MAX = 150   # kernel lines from a trigger to its first Call Trace
TAIL_MAX = 40      # quiet kernel lines after a Call Trace before a splat ends
CONTEXT_BEFORE = 3
CONTEXT_AFTER = 25


class Splat:
    def __init__(self, start):
        self.start = start      # index of the first trigger line
        self.end = start        # index of the last line seen as part of it
        self.triggers = []      # indices of trigger lines
        self.kmemleak = False

    def matches(self, lines, msgs, pattern):
        """PATTERN is in the first trigger line (the headline), or another
        trigger line starts with it ("list_add corruption" + "WARNING:").  Not
        anywhere in later ones: "Oops: ... SMP KASAN" is not a KASAN report."""
        if pattern in lines[self.triggers[0]]:
            return True
        return any((msgs[i] or '').startswith(pattern) for i in self.triggers[1:])


def read_lines(path):
    with open(path, 'rb') as f:
        data = f.read().decode('utf-8', errors='replace')
    return [l.rstrip('\r') for l in data.split('\n')]


def messages(lines):
    """Kernel message text for every line, None for non-kernel lines."""
    found = [TIMESTAMP.search(l) for l in lines]
    if not any(found):     # log without printk times: take every line
        return list(lines)
    return [l[m.end():] if m else None for l, m in zip(lines, found)]


def is_trigger(msg):
    if msg is None or KTAP.match(msg) or IGNORE.search(msg) or \
       EXPECT_BEGIN.search(msg) or EXPECT_END in msg:
        return False
    return bool(START.match(msg)) or any(p in msg for p in ANYWHERE)


def find_splats(lines, msgs):
    splats = []
    cur = None
    mode = None        # 'header', 'trace', 'tail'
    quiet = 0          # kernel lines since the last header/trace activity

    def close():
        nonlocal cur, mode
        if cur is not None:
            splats.append(cur)
        cur, mode = None, None

    leak_block = False
    for i, msg in enumerate(msgs):
        line = lines[i]
        if KMEMLEAK_BEGIN in line:
            close()
            leak_block = True
            continue
        if KMEMLEAK_END in line:
            close()
            leak_block = False
            continue
        if leak_block and msg is None:
            # kmemleak's report, printed by init.sh (no timestamps).
            if LEAK in line:
                close()
                cur = Splat(i)
                cur.triggers.append(i)
                cur.kmemleak = True
                mode = 'leak'
            elif cur is not None and mode == 'leak':
                cur.end = i
            continue
        if msg is None:
            continue    # user-space output inside a splat: not part of it
        if mode == 'leak':
            close()

        if is_trigger(msg):
            if cur is not None and mode == 'header':
                cur.triggers.append(i)      # e.g. BUG: unable... then Oops:
                cur.end = i
                quiet = 0
                continue
            close()
            cur = Splat(i)
            cur.triggers.append(i)
            mode, quiet = 'header', 0
            continue
        if msg.strip() == CALL_TRACE:
            if cur is not None and mode == 'tail' and \
               not MULTI_TRACE.search(msgs[cur.triggers[0]] or ''):
                close()     # a second trace after a one-trace splat
            if cur is None:
                cur = Splat(i)          # stray Call Trace: a splat itself
                cur.triggers.append(i)
            cur.end = i
            mode, quiet = 'trace', 0
            continue
        if cur is None:
            continue
        if END_MARKER.match(msg):
            cur.end = i
            close()
            continue
        if mode == 'trace':
            if msg.startswith((' ', '\t')) or REGISTER.match(msg):
                cur.end = i
                continue
            mode, quiet = 'tail', 0
        if mode == 'tail' and KASAN_END.match(msg):
            cur.end = i
            close()
            continue
        quiet += 1
        cur.end = i
        if (mode == 'header' and quiet > HEADER_MAX) or \
           (mode == 'tail' and quiet > TAIL_MAX):
            close()
    close()
    return splats, leak_block


def find_regions(lines):
    """Expect-splat regions: (begin index, end index or None, pattern)."""
    regions, errors = [], []
    open_region = None
    for i, line in enumerate(lines):
        m = EXPECT_BEGIN.search(line)
        if m:
            if open_region is not None:
                errors.append((i, 'expect-splat-begin inside the region opened '
                                  'at line %d' % (open_region[0] + 1)))
                regions.append((open_region[0], i, open_region[1]))
            open_region = (i, m.group(1))
        elif EXPECT_END in line:
            if open_region is None:
                errors.append((i, 'expect-splat-end without expect-splat-begin'))
            else:
                regions.append((open_region[0], i, open_region[1]))
                open_region = None
    if open_region is not None:
        errors.append((open_region[0], 'expect-splat region for "%s" never '
                       'closed (test crashed?)' % open_region[1]))
        regions.append((open_region[0], len(lines), open_region[1]))
    return regions, errors


def show(lines, first, last, mark=()):
    first = max(first, 0)
    last = min(last, len(lines) - 1)
    for j in range(first, last + 1):
        print('  %s%6d| %s' % ('>' if j in mark else ' ', j + 1, lines[j]))


def show_splat(lines, s):
    before = 0 if s.kmemleak else CONTEXT_BEFORE
    show(lines, s.start - before, min(s.end, s.start + CONTEXT_AFTER),
         set(s.triggers))


def main():
    ap = argparse.ArgumentParser(
        description='Scan a pcpupool guest log for kernel splats.')
    ap.add_argument('--expect', action='append', default=[], metavar='PATTERN',
                    help='the log must contain a splat matching PATTERN; '
                         'such splats are not failures (repeatable)')
    ap.add_argument('log')
    args = ap.parse_args()
    try:
        lines = read_lines(args.log)
    except OSError as e:
        print('scan-log: %s' % e, file=sys.stderr)
        return 2
    msgs = messages(lines)
    splats, leak_block_open = find_splats(lines, msgs)
    regions, failures = find_regions(lines)
    failures = [(i, msg, None) for i, msg in failures]
    if leak_block_open:
        failures.append((len(lines) - 1, 'kmemleak report not terminated '
                         '(no %s)' % KMEMLEAK_END, None))

    region_hits = [0] * len(regions)
    region_splats = [[] for _ in regions]
    expect_hits = {p: [] for p in args.expect}
    expected = []
    for s in splats:
        region = next((k for k, (b, e, _) in enumerate(regions)
                       if b < s.start < e), None)
        if region is not None:
            b, e, pattern = regions[region]
            if s.matches(lines, msgs, pattern.split(' :: ')[0]):
                region_hits[region] += 1
                region_splats[region].append(s)
                expected.append((s, 'expect-splat region "%s" at line %d'
                                 % (pattern, b + 1)))
            else:
                failures.append((s.start, 'splat not matching "%s" inside the '
                                 'expect-splat region at line %d'
                                 % (pattern.split(' :: ')[0], b + 1), s))
            continue
        pattern = next((p for p in args.expect if s.matches(lines, msgs, p)),
                       None)
        if pattern is not None:
            expect_hits[pattern].append(s)
            expected.append((s, '--expect "%s"' % pattern))
            continue
        what = 'kmemleak: unreferenced object' if s.kmemleak else \
            'stray Call Trace' if msgs[s.start].strip() == CALL_TRACE else \
            'kernel splat'
        failures.append((s.start, what, s))
    for k, (b, e, pattern) in enumerate(regions):
        parts = pattern.split(' :: ')
        task = next((p[5:] for p in parts[1:] if p.startswith('task=')), None)
        want = [p for p in parts[1:] if not p.startswith('task=')]
        got = region_splats[k]
        if want and len(got) != len(want):
            failures.append((b, 'expect-splat region at line %d: %d "%s" splat(s), '
                             'expected exactly %d (%s)'
                             % (b + 1, len(got), parts[0], len(want), '; '.join(want)),
                             None))
        for sp, w in zip(got, want):
            text = '\n'.join(lines[max(sp.start - 4, 0):sp.end + 1])
            if w not in text:
                failures.append((sp.start, 'expected splat without its message '
                                 '"%s"' % w, sp))
        for sp in got if task else ():
            text = '\n'.join(lines[sp.start:sp.end + 1])
            if 'Comm: %s ' % task not in text and not text.rstrip().endswith('Comm: ' + task):
                failures.append((sp.start, 'expected splat not from task %s' % task, sp))
        if not region_hits[k]:
            failures.append((b, 'expected splat did not appear: no "%s" splat '
                             'in the expect-splat region (lines %d-%d)'
                             % (pattern, b + 1, e + 1), None))
    for p, hits in expect_hits.items():
        if not hits:
            failures.append((len(lines) - 1, 'expected splat did not appear: '
                             'no splat matching --expect "%s"' % p, None))

    for s, why in expected:
        print('scan-log: expected splat (%s), line %d: %s'
              % (why, s.start + 1, lines[s.start].strip()))
    failures.sort(key=lambda f: f[0])
    for i, what, s in failures:
        print('scan-log: FAIL: %s, %s line %d' % (what, args.log, i + 1))
        if s is not None:
            show_splat(lines, s)
    if failures:
        print('scan-log: %s: %d failure(s), %d expected splat(s)'
              % (args.log, len(failures), len(expected)))
        return 1
    print('scan-log: %s: clean, %d expected splat(s)' % (args.log, len(expected)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
