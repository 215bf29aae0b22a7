"""Issue 13's defects, one test each: drops on children, cancel, history, folders, status, columns, colours."""

import os
import shutil
import sys

from PyQt5.QtCore import QMimeData, QPoint, Qt, QTimer, QUrl
from PyQt5.QtGui import QColor, QDragEnterEvent, QDropEvent, QKeySequence, QPalette
from PyQt5.QtWidgets import QAction, QApplication, QFileDialog, QLineEdit

from gui.colours import Colours, contrast
from gui.op_tree_model import NAME, OP, SHAPE, OpTreeModel
from gui.tree_view import content_widths
from gui.verify_process import VerifyProcess, failure_text
from tests.conftest import copy_fixture, load_fixture
from tests.gui.conftest import PhaseGate, open_and_wait


def _mime(path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    mime.setText(QUrl.fromLocalFile(str(path)).toString())
    return mime


def _drag_and_drop(widget, mime):
    enter = QDragEnterEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, drop)
    return enter.isAccepted()


def test_drop_on_the_search_box_opens_the_model(qtbot, window):
    fixture = load_fixture("mlp")
    with qtbot.waitSignal(window.model_loaded, timeout=30000):
        assert _drag_and_drop(window.search, _mime(fixture.meta))
    assert window.search.text() == ""
    assert window.loaded.model.location.meta_path == fixture.meta
    with qtbot.waitSignal(window.model_loaded, timeout=30000):  # and on the details panel
        _drag_and_drop(window.details.viewport(), _mime(fixture.folder))


def test_cancel_during_a_load_stops_it_and_restores_the_status(qtbot, window, monkeypatch):
    fixture = load_fixture("mlp")
    open_and_wait(qtbot, window, fixture.folder)
    status = window.status_model.text()
    analysing = PhaseGate(monkeypatch, "load", lambda message: message == "finding roles")
    with qtbot.waitSignal(window.load_cancelled, timeout=30000):
        window.open_path(load_fixture("cnn_bn").folder)
        qtbot.waitUntil(analysing.reached.is_set, timeout=30000)
        assert window.tasks.cancel_button.isVisible() and window.tasks.cancel_button.isEnabled()
        qtbot.mouseClick(window.tasks.cancel_button, Qt.LeftButton)
        assert not window.tasks.cancel_button.isEnabled()  # pressed once; it cannot act twice
    qtbot.waitUntil(lambda: window.worker is None, timeout=10000)
    assert analysing.cancelled and window.status_model.text() == status
    assert len(window.loaded.analysis.graph) == fixture.meta_node_count()
    assert window.loaded.model.location.meta_path == fixture.meta
    assert not window.tasks.cancel_button.isVisible()


def test_load_shows_phases_with_percentages(qtbot, window):
    phases = []
    window.tasks.progress.valueChanged.connect(lambda _: phases.append(window.tasks.phase.text()))
    open_and_wait(qtbot, window, load_fixture("cnn_bn").folder)
    texts = set(phases) | {window.tasks.phase.text()}
    assert any(t.startswith("finding roles — 45%") for t in texts), texts
    assert any(t.startswith("reading checkpoint") for t in texts), texts
    assert not window.tasks.progress.isVisible()


def _click(qtbot, window, name):
    window._expand_to(name)
    index = window.tree_model.index_of(name)
    window.tree.scrollTo(index)
    qtbot.mouseClick(window.tree.viewport(), Qt.LeftButton, pos=window.tree.visualRect(index).center())
    assert window.details.current == name


def test_back_returns_to_nodes_selected_in_the_tree(qtbot, window):
    open_and_wait(qtbot, window, load_fixture("mlp").folder)
    window.navigate("output/BiasAdd")
    _click(qtbot, window, "dense/Relu")
    _click(qtbot, window, "dense/MatMul")
    window.back_action.trigger()
    assert window.details.current == "dense/Relu"
    assert window.tree.currentIndex().internalPointer().op_name == "dense/Relu"
    window.back_action.trigger()
    assert window.details.current == "output/BiasAdd"
    window.forward_action.trigger()
    assert window.details.current == "dense/Relu"


def _answer_file_dialog(path):
    """Types ``path`` into the next file dialog and presses Open, as a user would."""
    def answer():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(100, answer)
            return
        dialog.findChild(QLineEdit, "fileNameEdit").setText(path)
        dialog.accept()
        if dialog.isVisible():
            dialog.reject()  # never leave a test hanging on a modal dialog
    QTimer.singleShot(200, answer)


def test_file_open_and_open_folder_accept_a_folder(qtbot, window):
    folder = load_fixture("mlp").folder.rstrip("/")
    assert window.open_folder_action.shortcut().toString() == "Ctrl+Shift+O"
    _answer_file_dialog(folder)
    with qtbot.waitSignal(window.model_loaded, timeout=30000):
        window.open_action.trigger()
    assert window.loaded.model.location.meta_path.startswith(folder)
    other = load_fixture("dtypes").folder.rstrip("/")
    _answer_file_dialog(other)
    with qtbot.waitSignal(window.model_loaded, timeout=30000):
        window.open_folder_action.trigger()
    assert window.loaded.model.location.meta_path.startswith(other)


def test_failed_open_restores_the_status_and_names_the_model_in_the_title(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, load_fixture("mlp").folder)
    assert window.windowTitle() == "mlp/model.ckpt.meta — tf1freeze"
    status = window.status_model.text()
    assert "mlp/model.ckpt.meta" in status and os.sep + "tests" not in status  # no machine path
    bad = tmp_path / "bad.pb"
    bad.write_bytes(b"\x07garbage" * 20)
    with qtbot.waitSignal(window.load_failed, timeout=30000):
        window.open_path(str(bad))
    assert window.status_model.text() == status
    assert "Opening" not in window.status_model.text()


def _columns(window):
    header = window.tree.header()
    return header.sectionSize(NAME), header.sectionSize(OP), header.sectionSize(SHAPE)


def test_name_keeps_half_the_tree_at_any_width_and_the_columns_come_back(qtbot, window):
    window.resize(1024, 700)
    open_and_wait(qtbot, window, load_fixture("cnn_bn").folder)
    qtbot.waitUntil(lambda: window.tree.viewport().width() > 200)
    metrics = window.tree.fontMetrics()
    wide_op = metrics.width("PlaceholderWithDefault") + 16

    def check(expect_full):
        width = window.tree.viewport().width()
        name, op, shape = _columns(window)
        assert name >= width / 2 - 1, (name, width)
        assert name + op + shape <= width + 1  # nothing pushed off the right edge
        if expect_full:
            assert op >= wide_op and shape >= metrics.width("[?,28,28,1]")
    check(False)
    window.resize(1600, 900)
    qtbot.waitUntil(lambda: _columns(window)[1] >= wide_op, timeout=3000)
    check(True)
    full = (None,) + content_widths(window.tree, window.loaded)  # what Op and Shape want
    assert window.tree.textElideMode() == Qt.ElideRight  # a narrow Op or Shape elides its text
    window.graph_dock.show()
    qtbot.waitUntil(lambda: window.tree.viewport().width() < 700, timeout=5000)
    check(False)
    window.graph_dock.hide()
    qtbot.waitUntil(lambda: _columns(window)[1:] == full[1:], timeout=5000)  # the dock closed: back to their texts
    check(True)


DARK = {QPalette.Window: "#202124", QPalette.Base: "#1e1e1e", QPalette.AlternateBase: "#2a2a2a",
        QPalette.Text: "#e8eaed", QPalette.WindowText: "#e8eaed", QPalette.Highlight: "#8ab4f8",
        QPalette.Link: "#8ab4f8", QPalette.Button: "#303134", QPalette.ButtonText: "#e8eaed"}


def _palette(colours):
    palette = QPalette()
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    return palette


def test_role_colours_are_readable_in_light_and_dark_palettes(qtbot, window):
    open_and_wait(qtbot, window, load_fixture("mlp").folder)
    for palette in (QApplication.style().standardPalette(), _palette(DARK)):
        colours = Colours(palette)
        text, base = palette.color(QPalette.Text), palette.color(QPalette.Base)
        for background in (colours.match, colours.candidate, colours.top_candidate, colours.good, colours.bad,
                           colours.info):
            assert contrast(text, background) >= 4.5, (background.name(), palette.color(QPalette.Base).name())
        assert contrast(colours.input, base) >= 3.0
        assert contrast(colours.dim, base) >= 2.0
    model = OpTreeModel(window.loaded)
    model.set_colours(Colours(_palette(DARK)))
    model.set_filter(["output/BiasAdd"])
    brush = model.data(model.index_of("output/BiasAdd"), Qt.BackgroundRole)
    assert brush.color().lightness() < 128  # a dark highlight under light text, not pale yellow


def test_escape_and_hiding_training_ops_keep_the_selection_open(qtbot, window):
    open_and_wait(qtbot, window, load_fixture("mlp").folder)
    window.navigate("dense/Relu")
    window.training_action.trigger()  # hide training ops
    current = window.tree.currentIndex()
    assert current.internalPointer().op_name == "dense/Relu"
    assert window.tree.isExpanded(current.parent())
    window.search.setText("MatMul")
    window.apply_search()
    window.navigate("output/MatMul")
    window.search.setFocus()
    qtbot.keyClick(window.search, Qt.Key_Escape)
    assert window.search.text() == ""
    current = window.tree.currentIndex()
    assert current.internalPointer().op_name == "output/MatMul"
    assert window.tree.isExpanded(current.parent())
    assert window.tree.isExpanded(window.tree_model.index_of("dense"))


def test_freeze_dialog_says_one_output_and_folder_fallback_names_the_path(qtbot, window, tmp_path):
    fixture = copy_fixture("mlp", tmp_path)
    open_and_wait(qtbot, window, fixture.folder)
    window.tree_model.set_checked("output/BiasAdd", True)
    destination = str(tmp_path / "frozen.pb")
    with qtbot.waitSignal(window.freeze_finished, timeout=60000):
        window.start_freeze(destination)
    box = window.freezer.box
    assert "Froze 1 output into" in box.text()
    opened = []
    window.freezer.open_url = lambda url: opened.append(url) and False  # no file manager on this machine
    open_button = [b for b in box.buttons() if b.text() == "Open folder"][0]
    open_button.click()
    assert opened and opened[0].toLocalFile() == str(tmp_path)
    assert window.notice.isVisible() and destination in window.notice.text()
    box.close()


def test_copy_gives_feedback(qtbot, window):
    open_and_wait(qtbot, window, load_fixture("multi_head").folder)
    window.use_suggested_outputs()
    window.outputs.copy_button.click()
    names = window.outputs.outputs()
    assert QApplication.clipboard().text() == ",".join(names)
    bar = window.statusBar()  # the whole message; as shown it is cut with "…" to the room the window has
    assert bar.full_message() == "Copied %d output names: %s" % (len(names), ",".join(names))
    assert bar.currentMessage().startswith("Copied") and bar.fontMetrics().width(bar.currentMessage()) <= \
        bar.message_width()


def test_refused_drop_reason_is_shown_in_full_until_the_next_action(qtbot, window, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text(u"hello")
    mime = _mime(text)  # the event does not own it: keep it alive
    enter = QDragEnterEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window, enter)
    message = window.notice.text()
    assert message.startswith("Cannot open notes.txt: not a TensorFlow model file") and message.endswith("folder)")
    assert window.notice.label.wordWrap() and window.statusBar().currentMessage() == ""
    window.notice.label.setFixedWidth(300)
    assert window.notice.label.heightForWidth(300) > window.notice.label.fontMetrics().height()  # wraps, not cut
    open_and_wait(qtbot, window, load_fixture("mlp").folder)
    assert "Cannot open" not in window.notice.text()  # replaced by the next action


def test_no_checkpoint_notice_appears_once_says_how_to_pair_and_is_no_error(qtbot, window, tmp_path):
    fixture = load_fixture("mlp")
    meta = tmp_path / "alone.meta"
    shutil.copy(fixture.meta, str(meta))
    open_and_wait(qtbot, window, meta)
    text = window.notice.text()
    assert text.lower().count("no checkpoint") == 1 and "\n" not in text, text
    assert "Drop its checkpoint" in text and "pair" in text
    assert window.notice.kind == "info"


def test_float_attr_prints_short_in_details(qtbot, window):
    open_and_wait(qtbot, window, load_fixture("cnn_bn").folder)
    window.navigate("features/bn1/cond/FusedBatchNorm")
    text = window.details.toPlainText()
    assert "epsilon: 0.001" in text and "0.00100000" not in text


def test_verify_child_crash_missing_tensorflow_and_cancel_are_one_readable_line(qtbot):
    crash = VerifyProcess([sys.executable, "-c", "import os, sys; sys.stderr.write('progress: 10 loading\\n'); "
                                                 "sys.stderr.flush(); os.abort()"])
    with qtbot.waitSignal(crash.failed, timeout=20000) as blocker:
        crash.start()
    assert blocker.args[0].startswith("the verification process crashed")
    missing = VerifyProcess([sys.executable, "-c", "import sys; sys.stderr.write('error: verification needs "
                                                   "TensorFlow, which is not installed here\\n'); sys.exit(1)"])
    with qtbot.waitSignal(missing.failed, timeout=20000) as blocker:
        missing.start()
    assert blocker.args[0] == "verification needs TensorFlow, which is not installed here"
    slow = VerifyProcess([sys.executable, "-c", "import time; time.sleep(60)"])
    with qtbot.waitSignal(slow.cancelled, timeout=20000):
        slow.start()
        slow.process.waitForStarted(5000)
        slow.cancel()
    assert failure_text(3, False, ["noise", "last words"]).endswith("exit code 3: last words")


def test_cut_here_as_an_input_from_the_tree_menu(qtbot, window, tmp_path):
    from gui.tree_menu import menu_for
    from core.formats import protos
    fixture = copy_fixture("mlp", tmp_path)
    open_and_wait(qtbot, window, fixture.folder)
    menu_for(window, "output/BiasAdd").findChild(QAction, "tick").trigger()
    menu_for(window, "dense/Relu").findChild(QAction, "cut").trigger()
    assert window.freezer.cuts == ["dense/Relu:0"]
    assert window.outputs.cuts_label.isVisibleTo(window) and "dense/Relu:0" in window.outputs.cuts_label.text()
    destination = tmp_path / "cut.pb"
    with qtbot.waitSignal(window.freeze_finished, timeout=60000):
        window.start_freeze(str(destination))
    window.freezer.box.close()
    nodes = dict((n.name, n.op) for n in protos.GraphDef.FromString(destination.read_bytes()).node)
    assert nodes["dense/Relu"] == "Placeholder" and "dense/MatMul" not in nodes and "output/BiasAdd" in nodes
    assert menu_for(window, "dense/Relu").findChild(QAction, "cut").text() == "Remove the input cut at dense/Relu:0"


def test_save_dialog_proposes_frozen_model_pb_beside_the_checkpoint(qtbot, window, tmp_path):
    fixture = copy_fixture("mlp", tmp_path)
    open_and_wait(qtbot, window, fixture.folder)
    window.tree_model.set_checked("output/BiasAdd", True)
    proposed = []

    def answer():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(50, answer)
            return
        proposed.append((dialog.acceptMode(), dialog.selectedFiles()))
        dialog.reject()  # cancelled: nothing is frozen

    QTimer.singleShot(100, answer)
    assert window.freeze_action.shortcut().matches(QKeySequence(QKeySequence.Save)) == QKeySequence.ExactMatch
    window.freeze_action.trigger()  # Ctrl+S: returns once the dialog is answered
    beside = os.path.join(os.path.dirname(fixture.prefix), "frozen_model.pb")
    assert proposed == [(QFileDialog.AcceptSave, [beside])]
    assert not os.path.exists(beside) and window.worker is None
