"""Rules of the suite itself (issue 20): no test measures wall-clock time, TensorFlow is asked for one way,
and nothing is marked to skip."""

import os
import re

from tests.conftest import ROOT

# A duration measured: a stopwatch clock, or a difference of time.time() (a timestamp set on a file is no
# measurement).
_CLOCK = re.compile(r"\btime\.(?:perf_counter|monotonic|process_time)\s*\(|time\.time\(\)\s*-|-\s*time\.time\(\)")
_TF_SKIP = re.compile(r"importorskip\(\s*[\"']tensorflow")
_MARKED_SKIP = re.compile(r"mark\.skip(?:if)?\b")


def _test_modules():
    for base, folders, files in os.walk(os.path.join(ROOT, "tests")):
        folders[:] = [f for f in folders if f not in ("__pycache__", "fixtures")]
        for name in sorted(files):
            if name.startswith("test_") and name.endswith(".py"):
                yield os.path.join(base, name)


def _lines_matching(pattern):
    found = []
    for path in _test_modules():
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if pattern.search(line) and path != os.path.abspath(__file__):
                    found.append("%s:%d %s" % (os.path.relpath(path, ROOT), number, line.strip()))
    return found


def test_the_rules_see_the_test_modules():
    assert len(list(_test_modules())) > 40


def test_no_test_measures_wall_clock_time():
    """Speed lives in bench/: a test that asserts on seconds passes or fails with the machine's load."""
    assert _lines_matching(_CLOCK) == []


def test_tensorflow_is_asked_for_through_tests_tf_runtime():
    """tests.tf_runtime.tensorflow() skips (fails under TF1FREEZE_STRICT=1) with one message; no module has
    a way of its own."""
    assert _lines_matching(_TF_SKIP) == []


def test_no_test_is_marked_to_skip():
    assert _lines_matching(_MARKED_SKIP) == []
