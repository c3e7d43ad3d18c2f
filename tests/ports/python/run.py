"""Runs the port's tests: every conformance vector, then (with KLING_SIMULATOR_DLL or --e2e) the end-to-end run
against the standalone simulator. Prints one line per kind and a closing count."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    loader = unittest.TestLoader()
    suite = loader.loadTestsFromName("tests.test_vectors")
    if os.environ.get("KLING_SIMULATOR_DLL") or "--e2e" in sys.argv:
        suite.addTests(loader.loadTestsFromName("tests.test_e2e"))
    counts = {}
    for test in _flatten(suite):
        kind = type(test).__name__
        counts[kind] = counts.get(kind, 0) + 1
    result = unittest.TextTestRunner(verbosity=1, stream=sys.stdout).run(suite)
    print("tests per kind: " + ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items())))
    failed = len(result.failures) + len(result.errors)
    print(f"python port result: {result.testsRun - failed} of {result.testsRun} passed, {failed} failed")
    return 0 if result.wasSuccessful() and result.testsRun > 0 else 1


def _flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _flatten(item)
        else:
            yield item


if __name__ == "__main__":
    sys.exit(main())
