"""The window verifies exactly what it opened and froze, in a real `main.py verify` child with TensorFlow:
a graph paired with a dropped checkpoint, inference mode's fixed switches, a SavedModel opened with a
non-serve tag, an input cut made from the tree's menu."""

import shutil
import sys

from PyQt5.QtCore import QMimeData, QPoint, Qt, QUrl
from PyQt5.QtGui import QDragEnterEvent, QDropEvent
from PyQt5.QtWidgets import QAction, QApplication

from core.formats import protos
from tests import verify_models
from tests.conftest import load_fixture
from tests.gui.conftest import open_and_wait
from tests.tf_runtime import tensorflow

tensorflow()  # the verify child needs it; both test stacks have it


def _drop(widget, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(QPoint(5, 5), Qt.CopyAction | Qt.MoveAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(QPoint(5, 5), Qt.CopyAction | Qt.MoveAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, drop)
    return enter, drop


def _verify(qtbot, window):
    with qtbot.waitSignal(window.verify_finished, timeout=240000) as done:
        window.verify()
    assert "tensorflow" not in sys.modules or sys.modules["tensorflow"] is not None
    return done.args[0]


def test_pairing_by_drop_then_inference_freeze_then_verify_passes(qtbot, window, tmp_path):
    fixture = load_fixture("cnn_bn")
    (tmp_path / "graph").mkdir()
    (tmp_path / "weights").mkdir()
    meta = str(tmp_path / "graph" / "net.meta")
    shutil.copy(fixture.meta, meta)
    for suffix in (".index", ".data-00000-of-00001"):
        shutil.copy(fixture.prefix + suffix, str(tmp_path / "weights" / ("trained" + suffix)))
    open_and_wait(qtbot, window, meta)
    with qtbot.waitSignal(window.model_loaded, timeout=30000):
        enter, drop = _drop(window.tree.viewport(), tmp_path / "weights" / "trained.index")
    assert enter.dropAction() == Qt.CopyAction and drop.dropAction() == Qt.CopyAction  # never a Move
    assert window.status_model.text() == "net.meta paired with checkpoint trained"
    window.tree_model.set_all_checked(fixture.outputs)
    assert window.outputs.inference_mode.isChecked() and window.session.inference
    destination = str(tmp_path / "frozen.pb")
    with qtbot.waitSignal(window.freeze_finished, timeout=30000) as frozen:
        window.start_freeze(destination)
    assert frozen.args[0].fixed == {"is_training": False}
    assert window.outputs.verify_button.isEnabled()  # at once, without clicking anywhere
    window.freezer.box.close()
    result = _verify(qtbot, window)
    assert result.passed and [c.name for c in result.outputs] == fixture.outputs
    assert sorted(result.inputs_used) == ["images"]  # each input once
    dialog = window.freezer.verify_dialog
    assert dialog.verdict.text() == "<b>The output matches the checkpoint</b>"


def test_saved_model_with_a_train_tag_and_a_cut_from_the_menu_verifies(qtbot, window, tmp_path):
    spec = verify_models.build_saved_model_two_graphs(str(tmp_path / "sm"))
    window.open_path(spec.folder)
    qtbot.waitUntil(lambda: window.opener.tag_dialog is not None and window.opener.tag_dialog.isVisible(),
                    timeout=30000)
    dialog = window.opener.tag_dialog
    dialog.setTextValue("train")
    with qtbot.waitSignal(window.model_loaded, timeout=30000):
        dialog.accept()
    assert window.loaded.model.tags == ("train",)
    window.tree_model.set_checked("scaled", True)
    from gui.tree_menu import menu_for
    menu_for(window, "logits/MatMul").findChild(QAction, "cut").trigger()
    assert window.session.input_cuts == ["logits/MatMul:0"]
    destination = str(tmp_path / "frozen.pb")
    with qtbot.waitSignal(window.freeze_finished, timeout=30000):
        window.start_freeze(destination)
    window.freezer.box.close()
    result = _verify(qtbot, window)
    assert result.passed and sorted(result.inputs_used) == ["logits/MatMul"]
    frozen = protos.GraphDef()
    with open(destination, "rb") as handle:
        frozen.ParseFromString(handle.read())
    ops = dict((n.name, n.op) for n in frozen.node)
    assert ops["logits/MatMul"] == "Placeholder" and "features" not in ops and "scaled" in ops
