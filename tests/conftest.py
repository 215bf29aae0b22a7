"""Shared test fixtures: the TF 1.4-written checkpoints, TensorFlow (lazily), temporary copies."""

import json
import os
import shutil
import sys
import tempfile

import numpy as np
import pytest

from tests.strict import STRICT_VARIABLE, strict

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if not os.environ.get("XDG_RUNTIME_DIR"):  # Qt warns without one, and Qt warnings fail a test
    os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="tf1freeze-xdg-")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "tf1.4")
FIXTURE_NAMES = sorted(n for n in os.listdir(FIXTURES) if os.path.isdir(os.path.join(FIXTURES, n)))


class Fixture(object):
    """A TF 1.4-written checkpoint folder with its spec and recorded inputs/outputs."""

    def __init__(self, name, folder=None):
        self.name = name
        self.folder = folder or os.path.join(FIXTURES, name)
        with open(os.path.join(self.folder, "spec.json")) as handle:
            self.spec = json.load(handle)
        self.outputs = list(self.spec["outputs"])
        self.prefix = os.path.join(self.folder, self.spec.get("prefix", "model.ckpt"))
        self.meta = self.prefix + ".meta"
        self.reference = os.path.join(self.folder, "reference.pb")
        data = np.load(os.path.join(self.folder, "io.npz"))
        self.feeds = dict((k[3:], data[k]) for k in data.files if k.startswith("in:"))
        self.expected = dict((k[4:], data[k]) for k in data.files if k.startswith("out:"))

    @property
    def has_reference(self):
        return os.path.isfile(self.reference)

    def meta_node_count(self):
        """How many NodeDefs the fixture's .meta holds, counted with protobuf (not by the tool)."""
        from core.formats import protos
        with open(self.meta, "rb") as handle:
            return len(protos.MetaGraphDef.FromString(handle.read()).graph_def.node)

    def reference_node_count(self):
        """How many NodeDefs TensorFlow 1.4's own freezer kept for the fixture's outputs (reference.pb)."""
        from core.formats import protos
        with open(self.reference, "rb") as handle:
            return len(protos.GraphDef.FromString(handle.read()).node)


def load_fixture(name):
    return Fixture(name)


def copy_fixture(name, destination):
    """Copies a fixture folder (to damage or to write beside) and returns it as a Fixture."""
    target = os.path.join(str(destination), name)
    shutil.copytree(os.path.join(FIXTURES, name), target)
    return Fixture(name, target)


@pytest.fixture(params=FIXTURE_NAMES)
def tf14_fixture(request):
    return load_fixture(request.param)


@pytest.fixture(scope="module")
def judge():
    """TensorFlow (this interpreter's) as a judge in a child process (tests/tf_judge.py)."""
    from tests.tf_judge import Judge
    judge = Judge()
    yield judge
    judge.close()


@pytest.fixture(scope="session")
def tf():
    """TensorFlow's v1 API (tf.compat.v1 on 2.x, tf on 1.4)."""
    from tests.tf_runtime import tf1
    return tf1()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under TF1FREEZE_STRICT=1 (CI) a skipped test fails the run: no test is skipped by default, so a
    skip means the machine lacks something the suite needs (TensorFlow, Xvfb, xdotool, TF 1.4's Python)."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and strict():
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = "skipped, and %s=1 makes a skip a failure: %s" % (STRICT_VARIABLE, reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """The same for a whole module skipped at collection (pytest.importorskip at module level)."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and strict():
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = "skipped, and %s=1 makes a skip a failure: %s" % (STRICT_VARIABLE, reason)
