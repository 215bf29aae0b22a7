"""The window, driven as a user would: drops, search, ticking, freezing, navigation, errors."""

import os
import re

import numpy as np
import pytest
from PyQt5.QtCore import QMimeData, QPoint, Qt, QUrl
from PyQt5.QtGui import QDragEnterEvent, QDropEvent
from PyQt5.QtWidgets import QApplication

from core.formats import protos
from tests.conftest import copy_fixture, load_fixture
from tests.gui.conftest import PhaseGate, open_and_wait
from tests.synthetic_graphs import write_chain_graph
from tests.tf_runtime import assert_close, run_frozen


def _names_containing(graph_def, *terms):
    """The NodeDef names (read with protobuf, not by the tool) holding every term, case-insensitively: what a
    search of plain terms must find."""
    return [n.name for n in graph_def.node if all(t.lower() in n.name.lower() for t in terms)]


def _mime(path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    return mime


def _drag_enter(window, mime):
    event = QDragEnterEvent(QPoint(50, 50), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window, event)
    return event.isAccepted()


def _drop(window, mime):
    event = QDropEvent(QPoint(50, 50), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window, event)
    return event


DROP_KINDS = {
    "folder": lambda f: f.folder, "meta": lambda f: f.meta, "index": lambda f: f.prefix + ".index",
    "data": lambda f: f.prefix + ".data-00000-of-00001",
    "state": lambda f: os.path.join(f.folder, "checkpoint"), "pb": lambda f: f.reference,
}


@pytest.mark.parametrize("kind", sorted(DROP_KINDS))
def test_drop_each_kind_of_path(qtbot, window, kind):
    fixture = load_fixture("mlp")
    mime = _mime(DROP_KINDS[kind](fixture))
    assert _drag_enter(window, mime)
    with qtbot.waitSignal(window.model_loaded, timeout=60000):
        _drop(window, mime)
    location = window.loaded.model.location
    assert location.kind == ("graph" if kind == "pb" else "checkpoint")
    assert window.tree_model.rowCount() > 0
    nodes = fixture.reference_node_count() if kind == "pb" else fixture.meta_node_count()
    if kind == "pb":  # a frozen graph: its constants' values, not "0 parameters"
        counts = re.match(r"^(\d+) nodes · ([\d,]+) constant values \(.*\)$", window.status_counts.text())
    else:
        counts = re.match(r"^(\d+) nodes · (\d+) variables · ([\d,]+) parameters$", window.status_counts.text())
    assert counts and int(counts.group(1)) == nodes, window.status_counts.text()


def test_unsupported_drop_says_why(qtbot, window, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text(u"hello")
    mime = _mime(text)
    assert not _drag_enter(window, mime)  # Qt then never delivers the drop; the notice bar says why
    assert window.notice.isVisible() and "not a TensorFlow model file" in window.notice.text()
    window.notice.clear()
    window.opener.drop(QDropEvent(QPoint(50, 50), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))
    assert window.notice.isVisible()
    assert "not a TensorFlow model file" in window.notice.text()
    assert window.loaded is None


def test_bad_file_reports_error_without_traceback(qtbot, window, tmp_path):
    fixture = copy_fixture("mlp", tmp_path)
    with open(fixture.meta, "wb") as handle:
        handle.write(b"\x07garbage" * 50)
    with qtbot.waitSignal(window.load_failed, timeout=30000) as blocker:
        window.open_path(fixture.meta)
    message = blocker.args[0]
    assert "model.ckpt.meta" in message and "Traceback" not in message
    assert window.notice.isVisible() and "model.ckpt.meta" in window.notice.text()


def _visible_ops(model, parent=None):
    from PyQt5.QtCore import QModelIndex
    parent = parent or QModelIndex()
    names = []
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        node = index.internalPointer()
        if node.op_name is not None:
            names.append(node.op_name)
        names.extend(_visible_ops(model, index))
    return names


def test_search_filters_and_counts(qtbot, window):
    open_and_wait(qtbot, window, load_fixture("multi_head").folder)
    window.search.setText("op:Softmax")
    qtbot.waitUntil(lambda: window.match_label.text() != "", timeout=3000)
    assert window.match_label.text() == "1 match"
    assert _visible_ops(window.tree_model) == ["model/heads/class_probs"]
    window.search.setText("heads relu")
    window.apply_search()
    with open(load_fixture("multi_head").meta, "rb") as handle:
        expected = _names_containing(protos.MetaGraphDef.FromString(handle.read()).graph_def, "heads", "relu")
    assert len(expected) > 1 and window.match_label.text() == "%d matches" % len(expected)
    assert set(expected) <= set(_visible_ops(window.tree_model))
    window.search.setText("/[/")
    window.apply_search()
    assert window.match_label.text() == "bad query"
    assert window.search_bar.error_label.isVisible()
    assert "unterminated character set" in window.search_bar.error_label.text()  # the re.error message
    window.search.clear()
    window.apply_search()
    assert len(_visible_ops(window.tree_model)) == len(window.loaded.analysis.graph)


def test_hide_training_ops(qtbot, window):
    open_and_wait(qtbot, window, load_fixture("mlp").folder)
    window.training_action.trigger()
    visible = set(_visible_ops(window.tree_model))
    assert "output/BiasAdd" in visible
    assert not any(name.startswith(("gradients/", "save/", "Adam")) for name in visible)


def test_tick_suggested_outputs_and_freeze(qtbot, window, tmp_path):
    fixture = copy_fixture("multi_head", tmp_path)
    open_and_wait(qtbot, window, fixture.folder)
    window.use_suggested_outputs()
    assert sorted(window.outputs.outputs()) == sorted(fixture.outputs)
    assert window.outputs.comma_list().count(",") == 2
    destination = tmp_path / "frozen.pb"
    with qtbot.waitSignal(window.freeze_finished, timeout=60000) as blocker:
        window.start_freeze(str(destination))
    assert blocker.args[0].nodes_after < blocker.args[0].nodes_before
    values = run_frozen(destination.read_bytes(), fixture.feeds, fixture.outputs)
    for name in fixture.outputs:
        assert_close(values[name], fixture.expected[name])
    window.freezer.box.close()


def test_tick_with_checkbox_then_freeze_in_inference_mode(qtbot, window, tmp_path):
    fixture = copy_fixture("cnn_bn", tmp_path)
    open_and_wait(qtbot, window, fixture.folder)
    model = window.tree_model
    assert model.setData(model.index_of("probs"), Qt.Checked, Qt.CheckStateRole)
    assert window.outputs.outputs() == ["probs"]
    assert window.outputs.inference_mode.isChecked()
    destination = tmp_path / "frozen.pb"
    with qtbot.waitSignal(window.freeze_finished, timeout=60000):
        window.start_freeze(str(destination))
    graph = protos.GraphDef.FromString(destination.read_bytes())
    assert not [n.name for n in graph.node if n.op in ("Switch", "Merge")]
    values = run_frozen(destination.read_bytes(), fixture.feeds, ["probs"])
    assert_close(values["probs"], fixture.expected["probs"])
    window.freezer.box.close()


def test_cancelled_freeze_leaves_nothing(qtbot, window, tmp_path, monkeypatch):
    fixture = copy_fixture("mlp", tmp_path)
    open_and_wait(qtbot, window, fixture.folder)
    window.tree_model.set_checked("output/BiasAdd", True)
    destination = tmp_path / "frozen.pb"
    writing = PhaseGate(monkeypatch, "freeze", lambda _: [n for n in os.listdir(str(tmp_path)) if n.endswith(".tmp")])
    with qtbot.waitSignal(window.freeze_cancelled, timeout=30000):
        window.start_freeze(str(destination))
        qtbot.waitUntil(writing.reached.is_set, timeout=30000)  # the temporary file is being written
        qtbot.mouseClick(window.tasks.cancel_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.worker is None, timeout=10000)
    assert writing.cancelled and not destination.exists()
    assert sorted(os.listdir(str(tmp_path))) == ["mlp", "settings.ini"]


def test_failed_freeze_is_reported(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, load_fixture("mlp").folder)
    window.tree_model.set_checked("output/BiasAdd", True)
    with qtbot.waitSignal(window.freeze_failed, timeout=30000) as blocker:
        window.start_freeze(str(tmp_path / "missing" / "frozen.pb"))
    assert "does not exist" in blocker.args[0]
    assert "Freeze failed" in window.notice.text()


def test_navigation_links_double_click_and_history(qtbot, window):
    open_and_wait(qtbot, window, load_fixture("mlp").folder)
    window.navigate("output/BiasAdd")
    assert window.details.current == "output/BiasAdd"
    window.details.anchorClicked.emit(QUrl("node:output/MatMul"))
    assert window.details.current == "output/MatMul"
    current = window.tree.currentIndex()
    assert current.internalPointer().op_name == "output/MatMul"
    window.back_action.trigger()
    assert window.details.current == "output/BiasAdd"
    assert window.tree.currentIndex().internalPointer().op_name == "output/BiasAdd"
    window.forward_action.trigger()
    assert window.details.current == "output/MatMul"
    index = window.tree_model.index_of("dense/Relu")
    window._expand_to("dense/Relu")
    window.tree.scrollTo(index)
    rect = window.tree.visualRect(index)
    qtbot.mouseClick(window.tree.viewport(), Qt.LeftButton, pos=rect.center())  # Qt wants the press first
    qtbot.mouseDClick(window.tree.viewport(), Qt.LeftButton, pos=rect.center())
    assert window.details.current == "dense/Relu"
    assert window.history.names[-3:] == ["output/BiasAdd", "output/MatMul", "dense/Relu"], window.history.names
    window.back_action.trigger()
    assert window.details.current == "output/MatMul"


def test_navigation_reveals_nodes_hidden_by_the_search_and_keeps_it(qtbot, window):
    open_and_wait(qtbot, window, load_fixture("mlp").folder)
    window.search.setText("op:BiasAdd")
    window.apply_search()
    matches = window.loaded.analysis.search("op:BiasAdd")
    assert len(matches) == 2
    assert window.navigate("dense/kernel")
    assert window.tree.currentIndex().internalPointer().op_name == "dense/kernel"
    assert window.search.text() == "op:BiasAdd" and window.match_label.text() == "2 matches"
    assert set(_visible_ops(window.tree_model)) == set(matches) | {"dense/kernel"}


def test_variable_details_show_the_checkpoint_values(qtbot, window, tf):
    fixture = load_fixture("custom_saver_keys")
    open_and_wait(qtbot, window, fixture.folder)
    window.navigate("w1")
    lines = window.details.toPlainText().splitlines()
    assert "Checkpoint entry" in lines
    key = [l for l in lines if l.startswith("checkpoint key: ")][0][len("checkpoint key: "):]
    shown = [float(v) for v in [l for l in lines if l.startswith("first values: ")][0][14:].split(", ")]
    theirs = tf.train.NewCheckpointReader(fixture.prefix).get_tensor(key).ravel()
    assert key != "w1" and len(shown) == min(8, theirs.size)  # this saver's keys differ from the names
    np.testing.assert_allclose(shown, theirs[:len(shown)], rtol=1e-5)


def test_recent_files_are_remembered(qtbot, window):
    fixture = load_fixture("dtypes")
    open_and_wait(qtbot, window, fixture.folder)
    assert window.recent_paths()[0] == os.path.abspath(fixture.folder)
    assert window.recent_menu.actions()


def test_tree_model_passes_qtmodeltester(qtbot, window, qtmodeltester):
    open_and_wait(qtbot, window, load_fixture("cnn_bn").folder)
    qtmodeltester.check(window.tree_model, force_py=True)
    window.tree_model.set_filter(window.loaded.analysis.search("bn1"), hide_training=True)
    qtmodeltester.check(window.tree_model, force_py=True)


def test_100k_nodes_load_in_the_background_and_search(qtbot, window, tmp_path):
    """The load runs off the GUI thread (open_path returns before it is done); how long the event loop
    may pause and how long a search takes are measured by bench/bench_gui.py, not here."""
    path = tmp_path / "big.pb"
    write_chain_graph(path, 100000)
    with qtbot.waitSignal(window.model_loaded, timeout=120000):
        window.open_path(str(path))
        assert window.loaded is None and window.worker is not None  # still loading: the call did not block
    assert len(window.loaded.analysis.graph) == 100000
    window.search.setText("op_9999")
    window.apply_search()
    expected = _names_containing(protos.GraphDef.FromString(path.read_bytes()), "op_9999")
    assert len(expected) == 10  # op_9999 and op_99990 ... op_99998
    assert window.match_label.text() == "%d matches" % len(expected)


def test_opening_while_a_load_runs_supersedes_it(qtbot, window, tmp_path, monkeypatch):
    import gc
    first, second = load_fixture("lstm"), load_fixture("mlp")
    analysing = PhaseGate(monkeypatch, "load", lambda message: message == "finding roles")
    with qtbot.waitSignal(window.model_loaded, timeout=60000):
        window.open_path(first.folder)
        qtbot.waitUntil(analysing.reached.is_set, timeout=30000)  # the first load is running
        window.open_path(second.folder)  # and is cancelled: the gate holds it until then
    assert analysing.cancelled
    gc.collect()  # a dropped worker whose thread still ran used to abort the process here
    assert window.loaded.model.location.meta_path == second.meta
    window.tree_model.set_checked("output/BiasAdd", True)
    with qtbot.waitSignal(window.freeze_finished, timeout=60000):
        window.start_freeze(str(tmp_path / "frozen.pb"))
    gc.collect()


def test_space_toggles_the_tick_of_the_current_op(qtbot, window):
    open_and_wait(qtbot, window, load_fixture("mlp").folder)
    window.navigate("dense/Relu")
    window.tree.setFocus()
    qtbot.keyClick(window.tree, Qt.Key_Space)
    assert window.outputs.outputs() == ["dense/Relu"]
    qtbot.keyClick(window.tree, Qt.Key_Space)
    assert window.outputs.outputs() == []
