#!/usr/bin/env python3
"""t/pyrun.py: runs Python unittest modules and prints and records the counts.

usage: pyrun.py NAME DIR [PATTERN]
Discovers PATTERN (default test_*.py) under DIR (on sys.path, and t/lib with the shared
helpers, the package bpgtest), runs it verbosely, prints
"NAME: N passed, N failed, N skipped" and, with BPG_TOTALS=FILE, appends "P F" to FILE;
with BPG_SKIPS=FILE, appends one "SKIPPED: NAME: test: why" line per skip to FILE.
Exit 1 if anything failed or nothing ran. Skips are reported, never counted as passes.
"""
import os
import sys
import unittest


def main():
    name, top = sys.argv[1], sys.argv[2]
    pattern = sys.argv[3] if len(sys.argv) > 3 else "test_*.py"
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
    sys.path.insert(0, top)
    suite = unittest.defaultTestLoader.discover(top, pattern=pattern, top_level_dir=top)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print("%s: %d passed, %d failed, %d skipped" % (name, passed, failed, skipped))
    for test, why in result.skipped:
        print("  skipped: %s: %s" % (test.id(), why))
    skips = os.environ.get("BPG_SKIPS")
    if skips and result.skipped:
        with open(skips, "a") as f:
            for test, why in result.skipped:
                f.write("SKIPPED: %s: %s: %s\n" % (name, test.id(), why))
    totals = os.environ.get("BPG_TOTALS")
    if totals:
        with open(totals, "a") as f:
            f.write("%d %d\n" % (passed, failed if result.testsRun else failed + 1))
    sys.exit(0 if failed == 0 and result.testsRun > 0 else 1)


if __name__ == "__main__":
    main()
