"""Issue 18's defects and missing pieces, one test each where one can be written."""

import os

import numpy as np

from PyQt5.QtCore import QEvent, QPoint, Qt
from PyQt5.QtGui import QPalette
from PyQt5.QtWidgets import QAction, QApplication, QFileDialog, QLabel

from core import api
from core.formats import protos
from tests import format_models
from tests.conftest import copy_fixture, load_fixture
from tests.gui.conftest import PhaseGate, open_and_wait


def _frozen_names(path):
    graph = protos.GraphDef()
    with open(path, "rb") as handle:
        graph.ParseFromString(handle.read())
    return set(n.name for n in graph.node)


def test_what_the_freeze_keeps_follows_inference_mode_and_is_the_written_graph(qtbot, window, tmp_path):
    fixture = copy_fixture("cnn_bn", tmp_path)
    open_and_wait(qtbot, window, fixture.folder)
    view = window.graph_dock.view
    window.graph_dock.show()
    view.freeze_button.setChecked(True)
    with qtbot.waitSignal(view.layout_ready, timeout=30000):
        window.tree_model.set_all_checked(fixture.outputs)
    assert len(view.picture.subgraph.nodes) == 38 and "exactly what the freeze writes" in view.status.text()
    assert window.runtime.frozen_floor is window.plans.current().floor  # the floor reads the same plan
    inference = str(tmp_path / "inference.pb")
    with qtbot.waitSignal(window.freeze_finished, timeout=30000):
        window.start_freeze(inference)
    assert set(view.items) == _frozen_names(inference)  # the .pb the freeze wrote, node for node
    with qtbot.waitSignal(view.layout_ready, timeout=30000):
        window.outputs.inference_mode.setChecked(False)
    assert not window.session.inference and len(view.picture.subgraph.nodes) == 71
    training = str(tmp_path / "training.pb")
    with qtbot.waitSignal(window.freeze_finished, timeout=30000):
        window.start_freeze(training)
    assert set(view.items) == _frozen_names(training)


def test_group_scopes_and_find_in_the_graph(qtbot, window):
    fixture = load_fixture("multi_head")
    open_and_wait(qtbot, window, fixture.folder)
    view = window.graph_dock.view
    window.graph_dock.show()
    view.freeze_button.setChecked(True)
    with qtbot.waitSignal(view.layout_ready, timeout=30000):
        window.session.set_outputs(fixture.outputs)
    every = set(view.picture.subgraph.nodes)
    with qtbot.waitSignal(view.layout_ready, timeout=30000):
        view.group_box.setChecked(True)
    groups = view.picture.subgraph.groups
    assert groups and set(view.picture.subgraph.nodes) < every
    assert set(view.picture.subgraph.nodes) | set(n for g in groups.values() for n in g.names) == every
    top = sorted(groups.values(), key=lambda g: -len(g.names))[0]
    with qtbot.waitSignal(view.layout_ready, timeout=30000):
        view._clicked(view.items[top.id])  # a click opens the scope
    assert top.scope in view.picture.scopes and top.id not in view.picture.subgraph.groups
    view.group_box.setChecked(False)
    qtbot.waitUntil(lambda: view.picture.scopes is None, timeout=30000)
    view.find.setText("class_probs")
    selected = [n for n, item in view.items.items() if item.isSelected()]
    assert selected == ["model/heads/class_probs"] and "1 of 1" in view.status.text()


def test_searching_filters_without_moving_and_return_goes_to_the_first_match(qtbot, window):
    open_and_wait(qtbot, window, load_fixture("mlp").folder)
    start = window.details.current
    history = list(window.history.names)
    window.search.setText("MatMul")
    qtbot.waitUntil(lambda: window.match_label.text() != "", timeout=3000)
    assert window.details.current == start and window.history.names == history  # typing moves nothing
    window.search.setFocus()
    qtbot.keyClick(window.search, Qt.Key_Return)
    first = window.tree_model.index(0, 0, window.tree_model.index(0, 0)).internalPointer().op_name
    assert first in window.loaded.analysis.search("MatMul")  # the match at the top of the tree
    assert window.details.current == first and window.history.names[-1] == first
    qtbot.keyClick(window.search, Qt.Key_Escape)
    assert window.tree.hasFocus()  # Down and Space reach the tree
    qtbot.keyClick(window.tree, Qt.Key_Space)
    assert window.session.outputs == [first]
    window.search.setText("dense/kernel")  # its initializer's ops come first in graph order, not in the tree
    assert window.loaded.analysis.search("dense/kernel")[0] != "dense/kernel"
    window.search.setFocus()
    qtbot.keyClick(window.search, Qt.Key_Return)
    assert window.details.current == "dense/kernel"


def test_typed_outputs_tick_exactly_the_list_and_refuse_unknown_names(qtbot, window):
    open_and_wait(qtbot, window, load_fixture("mlp").folder)
    window.outputs.entry.setText("output/BiasAdd:0, dense/Relu")
    qtbot.keyClick(window.outputs.entry, Qt.Key_Return)
    assert window.session.outputs == ["output/BiasAdd", "dense/Relu"]
    assert window.tree_model.data(window.tree_model.index_of("dense/Relu"), Qt.CheckStateRole) == Qt.Checked
    window.outputs.entry.setText("output/BiasAd")
    qtbot.keyClick(window.outputs.entry, Qt.Key_Return)
    assert window.session.outputs == ["output/BiasAdd", "dense/Relu"]
    assert "output/BiasAdd" in window.notice.text() and window.notice.kind == "error"


def test_context_menu_offers_every_output_port_and_copies_the_name(qtbot, window, tmp_path):
    spec = format_models.build_estimator_dir(str(tmp_path / "estimator"))
    open_and_wait(qtbot, window, spec.folder)
    assert window.outputs.pipeline.isVisibleTo(window)  # the cuts inspect suggests are shown
    assert "IteratorGetNext:0" in window.outputs.pipeline_label.text()
    from gui.tree_menu import menu_for
    menu = menu_for(window, "IteratorGetNext")
    texts = [a.text() for a in menu.actions()]
    assert "Cut at IteratorGetNext:0 (float32 [?,3]) as an input" in texts
    assert "Cut at IteratorGetNext:1 (int64 [?]) as an input" in texts
    menu.findChild(QAction, "cut:1").trigger()
    assert window.session.input_cuts == ["IteratorGetNext:1"]
    assert window.outputs.pipeline_button.isEnabled()
    window.outputs.pipeline_button.click()
    assert window.session.input_cuts == ["IteratorGetNext:1", "IteratorGetNext:0"]
    assert not window.outputs.pipeline_button.isEnabled()  # nothing left to cut
    window.session.set_cut("IteratorGetNext:1", False)
    assert window.outputs.pipeline_button.isEnabled()
    window.session.set_cut("IteratorGetNext:1", True)
    menu_for(window, "IteratorGetNext").findChild(QAction, "copy").trigger()
    assert QApplication.clipboard().text() == "IteratorGetNext"


def test_details_take_dtypes_and_shapes_from_the_op_definition(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, load_fixture("resource_vars").folder)
    window.navigate("net/w")
    text = window.details.toPlainText()
    assert "net/w:0   resource [] (a float32 [4,3] variable)" in text, text
    window.navigate("net/w/Read/ReadVariableOp")
    assert "float32 [4,3]" in window.details.toPlainText()
    spec = format_models.build_saved_model(str(tmp_path / "sm"))
    open_and_wait(qtbot, window, spec.folder)
    window.navigate("classes")
    assert "classes:0   int64 [?]" in window.details.toPlainText()  # ArgMax's output_type, not T


def test_value_viewer_shows_a_variables_checkpoint_values(qtbot, window):
    fixture = load_fixture("mlp")
    open_and_wait(qtbot, window, fixture.folder)
    window.navigate("dense/kernel")
    assert "Show values…" in window.details.toPlainText()
    viewer = window.show_values("dense/kernel")
    qtbot.waitUntil(lambda: viewer.array is not None, timeout=30000)
    expected = window.loaded.model.checkpoint.read(window.loaded.variables["dense/kernel"].key)
    assert viewer.array.shape == expected.shape and (viewer.array == expected).all()
    assert viewer.model.rowCount() == expected.shape[0] and viewer.model.columnCount() == expected.shape[1]
    cell = viewer.model.data(viewer.model.index(1, 2))
    assert float(cell) == float("%.6g" % expected[1, 2])
    assert "min %.6g" % expected.min() in viewer.stats.text()
    assert sum(viewer.histogram.counts) == expected.size
    viewer.close()


def test_theme_switch_recolours_and_is_remembered(qtbot, window):
    open_and_wait(qtbot, window, load_fixture("multi_head").folder)
    light = QApplication.palette().color(QPalette.Base)
    try:
        window.theme_actions["dark"].trigger()
        assert QApplication.palette().color(QPalette.Base).lightness() < 60
        assert window.settings.value("theme") == "dark" and window.tree_model.colours.dark
        star = window.tree_model.data(window.tree_model.index_of("model/heads/class_probs"), Qt.DecorationRole)
        assert not star.isNull()
        window.theme_actions["system"].trigger()
        assert QApplication.palette().color(QPalette.Base) == light and not window.tree_model.colours.dark
    finally:
        window.set_theme("system")


def test_open_recent_clear_and_about_names_the_version(qtbot, window, monkeypatch):
    open_and_wait(qtbot, window, load_fixture("mlp").folder)
    clear = window.recent_menu.findChild(QAction, "clear_recent")
    clear.trigger()
    assert window.recent_paths() == [] and not window.recent_menu.isEnabled()
    shown = []
    from PyQt5.QtWidgets import QMessageBox
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    window.about_action.trigger()
    assert "tf1freeze %s" % api.VERSION in shown[0]


def test_export_opens_beside_the_model(qtbot, window, monkeypatch):
    fixture = load_fixture("mlp")
    open_and_wait(qtbot, window, fixture.folder)
    view = window.graph_dock.view
    with qtbot.waitSignal(view.layout_ready, timeout=30000):
        window.graph_dock.show()
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda parent, title, start, kinds: asked.append(start) or ("", ""))
    view.export_dialog("dot")
    assert os.path.dirname(asked[0]) == os.path.abspath(fixture.folder) and asked[0].endswith(".dot")


def test_freeze_progress_says_its_phase_and_percentage(qtbot, window, tmp_path):
    from gui.freeze_flow import freeze_in_phases
    fixture = copy_fixture("multi_head", tmp_path)
    open_and_wait(qtbot, window, fixture.folder)
    phases = []
    request = api.FreezeSession(fixture.outputs).request(str(tmp_path / "f.pb"))
    report = freeze_in_phases(window.loaded, request, progress=lambda *args: phases.append(args))
    assert phases[0] == (0, 0, "planning the frozen graph")
    total = phases[-1][1]
    done = [p[0] for p in phases[1:]]
    assert total > 0 and done == sorted(done) and all(p[1] == total for p in phases[1:])
    assert phases[-1][2] == "writing %s of %s" % (api.human_size(phases[-1][0]), api.human_size(total))
    assert os.path.getsize(report.destination) >= total
    window.tasks.start(_Idle(), "freeze", lambda _: None, lambda _: None)
    window.tasks._progress(250, 1000, "writing 1 MB of 4 MB")
    assert window.tasks.phase.text() == "writing 1 MB of 4 MB — 25%"
    window.tasks.current.finish()


class _Idle(object):
    """A task that ends when told (drives the status bar's phase label)."""

    def __init__(self):
        from gui.worker import Worker
        self._worker = Worker(lambda progress=None, cancel=None: None)
        for name in ("finished", "failed", "cancelled", "progress", "done", "thread_finished"):
            setattr(self, name, getattr(self._worker, name))

    def start(self):
        pass

    def cancel(self):
        pass

    def wait(self, msecs=0):
        return True

    def finish(self):
        self._worker.start()
        self._worker.wait()


def test_quit_during_a_freeze_says_it_is_cancelling_then_closes(qtbot, window, tmp_path, monkeypatch):
    fixture = copy_fixture("mlp", tmp_path)
    gate = PhaseGate(monkeypatch, "freeze", lambda message: True)  # held at its first write until cancelled
    open_and_wait(qtbot, window, fixture.folder)
    window.session.set_outputs(fixture.outputs)
    destination = str(tmp_path / "f.pb")
    window.start_freeze(destination)
    assert gate.reached.wait(30) and window.tasks.kind == "freeze"
    assert window.quit() is False  # not closed at once: cancelled first
    assert "Cancelling the freeze before quitting" in window.status_model.text()
    assert "cancelled" in window.notice.text()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30000)
    assert gate.cancelled and not os.path.exists(destination)
    assert not [n for n in os.listdir(str(tmp_path)) if n.endswith(".tmp")]


def test_verify_dialog_says_what_it_compared(qtbot):
    from gui.verify_dialog import verdict_text
    from gui.verify_process import Check, VerifyResult
    passed = VerifyResult([Check("y", "float32", [2], 0.0, 0.0, True, "")], {"x": ("float32", [2])}, "2.21", True)
    assert verdict_text(passed, True) == "The output matches the checkpoint"
    assert verdict_text(passed, False) == "The output matches the source graph"
    failed = VerifyResult([Check("y", "float32", [2], 1.0, 1.0, False, "x"), Check("z", "int64", [2], 0, 0, True, "")],
                          {}, "2.21", False)
    assert verdict_text(failed, True) == "The frozen graph DIFFERS from the checkpoint on 1 of 2 outputs"


def test_a_frozen_graph_counts_its_constants_not_zero_parameters(qtbot, window):
    fixture = load_fixture("mlp")
    open_and_wait(qtbot, window, fixture.reference)
    values, size = api.constant_values(window.loaded)
    with api.load(fixture.folder) as source:  # the weights TensorFlow froze: the trainable variables
        weights = sum(int(np.prod(v.shape)) for v in source.variables.values() if v.trainable)
    assert weights <= values < weights + 100 and size >= 4 * weights
    assert window.status_counts.text().endswith("constant values (%s)" % api.human_size(size))


def test_hiding_training_ops_leaves_no_scope_of_only_loss_constants(qtbot, window):
    open_and_wait(qtbot, window, load_fixture("cnn_bn").folder)
    window.training_action.trigger()  # hide training ops
    model = window.tree_model
    tops = [model.index(row, 0).internalPointer().name for row in range(model.rowCount())]
    assert sorted(tops) == ["classifier", "features", "images", "is_training", "probs"], tops


def test_a_wide_fan_out_opens_readable_around_the_selected_node(qtbot, window, tmp_path):
    graph = protos.GraphDef()
    source = graph.node.add(name="input", op="Placeholder")
    source.attr["dtype"].type = 1
    for i in range(100):
        graph.node.add(name="tower_%d/Relu" % i, op="Relu").input.append("input")
    path = tmp_path / "fan.pb"
    path.write_bytes(graph.SerializeToString())
    open_and_wait(qtbot, window, path)
    view = window.graph_dock.view
    window.graph_dock.show()
    with qtbot.waitSignal(view.layout_ready, timeout=30000):
        window.navigate("input")
    more = [i for i in view.items if i.startswith("+down:")]
    assert more and view.picture.subgraph.collapsed[more[0]].label == "+93 more"
    assert view.canvas.transform().m11() >= 0.8  # text stays readable; the rest is a drag or 0 away
    visible = view.canvas.mapToScene(view.canvas.viewport().rect()).boundingRect()
    assert visible.contains(view.items["input"].sceneBoundingRect().center())


def test_on_a_1024_screen_the_graph_dock_leaves_the_tree_room_for_its_names(qtbot, window):
    window.resize(942, 630)  # what fit_to_screen gives on a 1024x700 screen
    open_and_wait(qtbot, window, load_fixture("cnn_bn").folder)
    window.graph_dock.show()
    qtbot.waitUntil(lambda: window.graph_dock.width() > 100 and window.tree.width() < 600, timeout=5000)
    qtbot.wait(50)  # the panels are balanced after the dock's first layout
    assert window.tree.width() >= 0.38 * window.width(), (window.tree.width(), window.graph_dock.width())
    assert window.right.width() >= window.right.minimumWidth()
    window.navigate("classifier/logits/kernel")
    rect = window.tree.visualRect(window.tree.currentIndex())
    text = window.tree.fontMetrics().width("kernel")
    assert rect.right() - rect.left() >= text + 34, rect  # the leaf's name is not elided


def test_the_graph_controls_are_never_clipped_whatever_the_docks_width(qtbot):
    from gui.graph_view import GraphView
    view = GraphView()
    qtbot.addWidget(view)
    view.show()
    controls = view.controls
    for width in range(700, 250, -15):
        view.resize(width, 500)
        qtbot.waitUntil(lambda: controls.width() <= max(width, controls.minimumWidth()), timeout=3000)
        qtbot.wait(20)
        for widget in controls.widgets:
            wanted = 80 if widget is view.find else widget.sizeHint().width()
            assert widget.width() >= wanted, (width, controls.narrow, widget, widget.width(), wanted)
            assert widget.geometry().right() <= controls.width(), (width, widget)
    assert controls.narrow  # the narrow dock folded the rows
    view.resize(900, 500)
    qtbot.waitUntil(lambda: not controls.narrow, timeout=3000)


def test_a_long_status_is_elided_before_the_counts_and_kept_whole(qtbot, window, tmp_path):
    fixture = copy_fixture("mlp", tmp_path)
    open_and_wait(qtbot, window, fixture.folder)
    window.resize(500, 500)
    long_text = "Suggested outputs ticked: " + ", ".join("model/heads/head_%d/output" % i for i in range(20))
    window.show_status(long_text)
    qtbot.waitUntil(lambda: window.status_model.width() < window.fontMetrics().width(long_text))
    shown = window.status_model.displayed_text()
    assert window.status_model.text() == long_text and window.status_model.toolTip() == long_text
    assert shown.endswith("\u2026") and long_text.startswith(shown[:-1])
    label, counts = window.status_model, window.status_counts
    assert label.mapTo(window, QPoint(label.width(), 0)).x() <= counts.mapTo(window, QPoint(0, 0)).x()
    window.show_status("short")
    assert window.status_model.displayed_text() == "short" and window.status_model.toolTip() == ""


def test_a_long_temporary_message_is_elided_before_the_counts_and_recut_on_resize(qtbot, window, tmp_path):
    """"Suggested outputs ticked: ..." (the Suggest button's message) is cut with "…" in the room QStatusBar paints
    it in, left of the node counts, and cut anew, longer, when the window widens; its whole text stays readable."""
    fixture = copy_fixture("mlp", tmp_path)
    open_and_wait(qtbot, window, fixture.folder)
    window.resize(500, 500)
    bar = window.statusBar()
    qtbot.waitUntil(lambda: window.width() < 900)
    long_text = "Suggested outputs ticked: " + ", ".join("model/heads/head_%d/output" % i for i in range(20))
    bar.showMessage(long_text, 60000)
    shown = bar.currentMessage()
    assert bar.full_message() == long_text and bar.toolTip() == long_text
    assert shown.endswith("\u2026") and long_text.startswith(shown[:-1])
    counts = window.status_counts
    assert counts.isVisible() and bar.fontMetrics().width(shown) <= counts.x() - 8
    window.resize(900, 500)
    qtbot.waitUntil(lambda: len(bar.currentMessage()) > len(shown))
    wider = bar.currentMessage()
    assert wider.endswith("\u2026") and long_text.startswith(wider[:-1]) and bar.full_message() == long_text
    assert bar.fontMetrics().width(wider) <= window.status_counts.x() - 8
    busy = QLabel("a task's progress " * 3)  # a permanent widget that comes and goes, as a task's does
    bar.addPermanentWidget(busy)
    busy.show()
    bar.showMessage(long_text, 60000)
    qtbot.waitUntil(lambda: len(bar.currentMessage()) < len(wider))
    narrow = bar.currentMessage()
    busy.hide()
    qtbot.waitUntil(lambda: len(bar.currentMessage()) > len(narrow))
    bar.showMessage("short", 60000)
    assert bar.currentMessage() == "short" and bar.toolTip() == ""
    bar.clearMessage()
    assert bar.full_message() == "" and window.status_model.isVisible()
