#!/usr/bin/env python3
"""Counts the tests of a `mvn test` run from target/surefire-reports (all executions, the vector re-runs included),
prints each skipped test with its reason, and exits 1 when more than MAX_PERCENT of them were skipped.

usage: scripts/test-skips.py REPORTS_DIR MAX_PERCENT
"""
import glob
import re
import sys
import xml.etree.ElementTree as ET

reports, limit = sys.argv[1], float(sys.argv[2])
files = sorted(glob.glob(f"{reports}/TEST-*.xml"))
if not files:
    sys.exit(f"test-skips: no TEST-*.xml in {reports}")
total = skipped = 0
reasons = {}
for f in files:
    for case in ET.parse(f).getroot().iter("testcase"):
        total += 1
        s = case.find("skipped")
        if s is None:
            continue
        skipped += 1
        text = (s.get("message") or s.text or "").strip()
        m = re.search(r"skipped: (.*?)(\n|$)", text)
        reason = m.group(1) if m else text.splitlines()[0] if text else "(no message)"
        reasons.setdefault(reason, []).append(f"{case.get('classname').rsplit('.', 1)[-1]}.{case.get('name')}")
pct = 100.0 * skipped / total
print(f"test-skips: {total} tests, {skipped} skipped ({pct:.1f} %, limit {limit:g} %)")
for reason, cases in sorted(reasons.items()):
    print(f"  {len(cases):3d} x {reason}")
    for c in cases:
        print(f"        {c}")
if pct > limit:
    sys.exit(f"test-skips: {pct:.1f} % of the tests were skipped, more than {limit:g} %")
