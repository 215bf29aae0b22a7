"""Pairing a bare graph with a dropped checkpoint; a SavedModel's tag sets and signatures in the window."""

import os
import shutil

import pytest
from PyQt5.QtCore import QMimeData, QPoint, Qt, QUrl
from PyQt5.QtGui import QDragEnterEvent, QDropEvent
from PyQt5.QtWidgets import QApplication

from core.formats import protos
from tests import format_models
from tests.conftest import load_fixture
from tests.gui.conftest import open_and_wait
from tests.tf_runtime import assert_close, run_frozen


def _drop(widget, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, enter)
    QApplication.sendEvent(widget, QDropEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))
    return enter.isAccepted()


def _split_fixture(name, tmp_path):
    """The fixture's .meta alone as graph/seq2seq.meta, its checkpoint alone in ckpt/ (another prefix)."""
    fixture = load_fixture(name)
    (tmp_path / "graph").mkdir()
    (tmp_path / "ckpt").mkdir()
    meta = str(tmp_path / "graph" / "seq2seq.meta")
    shutil.copy(fixture.meta, meta)
    for suffix in (".index", ".data-00000-of-00001"):
        shutil.copy(fixture.prefix + suffix, str(tmp_path / "ckpt" / ("model.ckpt" + suffix)))
    return fixture, meta, str(tmp_path / "ckpt" / "model.ckpt")


def test_dropping_a_checkpoint_on_a_bare_graph_pairs_them(qtbot, window, tmp_path):
    fixture, meta, prefix = _split_fixture("mlp", tmp_path)
    open_and_wait(qtbot, window, meta)
    assert window.loaded.model.checkpoint is None and not window.loaded.model.can_freeze
    with qtbot.waitSignal(window.model_loaded, timeout=30000):
        assert _drop(window.tree.viewport(), prefix + ".index")
    model = window.loaded.model
    assert model.checkpoint is not None and model.location.meta_path == meta
    assert model.location.prefix == prefix
    assert window.status_model.text() == "seq2seq.meta paired with checkpoint model.ckpt"
    window.tree_model.set_all_checked(fixture.outputs)
    destination = str(tmp_path / "frozen.pb")
    with qtbot.waitSignal(window.freeze_finished, timeout=30000):
        window.start_freeze(destination)
    with open(destination, "rb") as handle:
        values = run_frozen(handle.read(), fixture.feeds, fixture.outputs)
    for name in fixture.outputs:
        assert_close(values[name], fixture.expected[name])


def test_dropping_a_checkpoint_on_a_paired_model_opens_it_instead(qtbot, window, tmp_path):
    fixture = load_fixture("mlp")
    open_and_wait(qtbot, window, fixture.meta)
    other = load_fixture("cnn_bn")
    with qtbot.waitSignal(window.model_loaded, timeout=30000):
        assert _drop(window.tree.viewport(), other.prefix + ".index")
    assert window.loaded.model.location.meta_path == other.meta


@pytest.fixture(scope="module")
def two_tag_sets(tmp_path_factory):
    return format_models.build_saved_model(str(tmp_path_factory.mktemp("sm")), extra_tags=("train",))


def _choose_tags(qtbot, window, path, text=None):
    window.open_path(path)
    qtbot.waitUntil(lambda: window.opener.tag_dialog is not None and window.opener.tag_dialog.isVisible(),
                    timeout=30000)
    dialog = window.opener.tag_dialog
    window.opener.tag_dialog = None
    items = dialog.comboBoxItems()
    assert items == ["serve", "train"] and dialog.textValue() == "serve"
    if text is not None:
        dialog.setTextValue(text)
    with qtbot.waitSignal(window.model_loaded, timeout=30000):
        dialog.accept()


def test_saved_model_asks_for_tags_and_shows_its_signatures(qtbot, window, two_tag_sets, tmp_path):
    spec = two_tag_sets
    _choose_tags(qtbot, window, spec.folder)
    assert window.loaded.model.tags == ("serve",)
    assert "tags serve" in window.status_model.text()
    box = window.signatures
    assert box.isVisible() and box.list.count() == 1
    assert box.list.item(0).text() == "predict: x=features:0 → classes=classes:0, probs=probs:0"
    assert window.signature_action.isEnabled()
    box.use_button.click()
    assert window.tree_model.checked == ["classes", "probs"] and window.freezer.cuts == []
    destination = str(tmp_path / "frozen.pb")
    with qtbot.waitSignal(window.freeze_finished, timeout=30000):
        window.start_freeze(destination)
    with open(destination, "rb") as handle:
        values = run_frozen(handle.read(), spec.feeds, spec.outputs)
    for name in spec.outputs:
        assert_close(values[name], spec.expected[name])
    _choose_tags(qtbot, window, spec.folder, "train")
    assert window.loaded.model.tags == ("train",)
    assert not window.signatures.isVisible() and not window.signature_action.isEnabled()


def _add_signature(folder, name, inputs, outputs):
    """Adds a SignatureDef to every meta graph of a SavedModel (tensor names; dtype float)."""
    path = os.path.join(folder, "saved_model.pb")
    saved = protos.SavedModel()
    with open(path, "rb") as handle:
        saved.ParseFromString(handle.read())
    for meta in saved.meta_graphs:
        signature = meta.signature_def[name]
        for key, tensor in list(inputs.items()) + list(outputs.items()):
            side = signature.inputs if key in inputs else signature.outputs
            side[key].name = tensor
            side[key].dtype = 1
        signature.method_name = "tensorflow/serving/predict"
    with open(path, "wb") as handle:
        handle.write(saved.SerializeToString())


def test_signature_with_a_non_placeholder_input_cuts_there(qtbot, window, two_tag_sets, tmp_path):
    folder = str(tmp_path / "export")
    shutil.copytree(two_tag_sets.folder, folder)
    _add_signature(folder, "from_hidden", {"h": "hidden/Relu:0"}, {"probs": "probs:0"})
    _choose_tags(qtbot, window, folder)
    box = window.signatures
    assert [box.list.item(i).text().split(":")[0] for i in range(box.list.count())] == ["from_hidden", "predict"]
    box.list.setCurrentRow(0)
    window.signature_action.trigger()
    assert window.tree_model.checked == ["probs"] and window.freezer.cuts == ["hidden/Relu:0"]
    assert "hidden/Relu:0" in window.outputs.cuts_label.text()
    qtbot.waitUntil(lambda: window.runtime.frozen_label.text().startswith("Frozen result runs on TensorFlow ≥ 1.0"),
                    timeout=30000)  # the cut's Placeholder, not the Relu it replaces
    destination = str(tmp_path / "frozen.pb")
    with qtbot.waitSignal(window.freeze_finished, timeout=30000):
        window.start_freeze(destination)
    graph = protos.GraphDef()
    with open(destination, "rb") as handle:
        graph.ParseFromString(handle.read())
    ops = dict((node.name, node.op) for node in graph.node)
    assert ops["hidden/Relu"] == "Placeholder" and "features" not in ops and ops["probs"] == "Softmax"
