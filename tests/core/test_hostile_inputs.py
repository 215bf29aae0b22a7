"""What the writer and the messages do with hostile conditions (the input cases are data: tests/cases.py).

Signals during a write, the destination's name limit and mode, file-supplied strings in
messages, and a restore path that loops.
"""

import os
import signal

import pytest

from core.errors import ModelError, quote
from core.formats import protos
from core.formats.model import open_model
from core.formats.saver_map import variable_sources
from core.freeze.stage import plan_and_write
from core.freeze.writer import _removed_on_signal, temporary_name
from tests.sigterm import assert_sigterm_leaves_nothing
from tests.conftest import load_fixture
from tests.tf_runtime import assert_close, run_frozen


# -- 6. a cycle on a variable's restore path --------------------------------------------------------

def test_identity_cycle_on_the_restore_path_ends():
    graph = protos.GraphDef()
    var = graph.node.add(name="v", op="VariableV2")
    var.attr["dtype"].type = 1
    graph.node.add(name="i1", op="Identity", input=["i2"])
    graph.node.add(name="i2", op="Identity", input=["i1"])
    graph.node.add(name="assign", op="Assign", input=["v", "i1"])
    assert variable_sources(graph) == {}


# -- file-supplied strings in messages --------------------------------------------------------------

def test_quote_escapes_and_truncates():
    assert quote("plain") == "'plain'"
    assert quote("a'b\\c\n") == "'a\\'b\\\\c\\n'"
    assert quote("x" * 500, limit=10) == "'" + "x" * 10 + "'..."
    assert quote(b"\xff\xfe") == "'\\\\xff\\\\xfe'"
    assert "\n" not in str(ModelError("two\nlines", "/some\npath"))


# -- 9, 10, 11. the writer ----------------------------------------------------------------------------

_SLOW_FREEZE = r'''
import os, sys, time
sys.path.insert(0, %(root)r)
from core.formats.model import open_model
from core.freeze.stage import plan_and_write
def progress(done, total, message):
    sys.stdout.write("writing\n"); sys.stdout.flush(); time.sleep(60)
with open_model(%(folder)r) as model:
    plan_and_write(model, %(outputs)r, %(destination)r, progress=progress)
'''


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT])
def test_signal_during_a_freeze_leaves_no_temporary_file(tmp_path, signum):
    assert_sigterm_leaves_nothing(tmp_path, _SLOW_FREEZE, signum)


def test_an_ignored_sighup_stays_ignored():
    """Under nohup a SIGHUP must neither stop the freeze nor remove the file it is writing."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        before = signal.getsignal(signal.SIGTERM)
        with _removed_on_signal("/nonexistent/.frozen.pb.0000.tmp"):
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not before
        assert signal.getsignal(signal.SIGTERM) is before
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_longest_destination_name_fits(tmp_path):
    fixture = load_fixture("mlp")
    destination = str(tmp_path / ("n" * 252 + ".pb"))
    assert len(os.path.basename(temporary_name(destination)).encode("utf-8")) <= 255
    with open_model(fixture.folder) as model:
        plan_and_write(model, fixture.outputs, destination)
    with open(destination, "rb") as handle:
        values = run_frozen(handle.read(), fixture.feeds, fixture.outputs)
    for name in fixture.outputs:
        assert_close(values[name], fixture.expected[name])
    multibyte = str(tmp_path / (u"\u00e9" * 126 + ".pb"))
    assert len(os.path.basename(temporary_name(multibyte)).encode("utf-8")) <= 255


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_frozen_graph_gets_the_umask_permissions(tmp_path, umask, mode):
    fixture = load_fixture("dtypes")
    destination = str(tmp_path / "frozen.pb")
    old = os.umask(umask)
    try:
        with open_model(fixture.folder) as model:
            plan_and_write(model, fixture.outputs, destination)
    finally:
        os.umask(old)
    assert os.stat(destination).st_mode & 0o777 == mode
    os.chmod(destination, 0o640)
    with open_model(fixture.folder) as model:
        plan_and_write(model, fixture.outputs, destination)
    assert os.stat(destination).st_mode & 0o777 == 0o640
