"""The window's target runtime: the combo goes into the freeze, the floors show, a too-old target is refused."""

import os

from PyQt5.QtWidgets import QFileDialog

from core import api
from core.formats import protos
from tests.conftest import copy_fixture
from tests.gui.conftest import open_and_wait


def _dilate(meta_path, dilations):
    """Gives every Conv2D of a .meta the `dilations` attr TF >= 1.5 writes (non-default: needs 1.5)."""
    meta = protos.MetaGraphDef()
    with open(meta_path, "rb") as handle:
        meta.ParseFromString(handle.read())
    for node in meta.graph_def.node:
        if node.op == "Conv2D":
            node.attr["dilations"].list.i.extend(dilations)
    with open(meta_path, "wb") as handle:
        handle.write(meta.SerializeToString())


def _measured(qtbot, window):
    with qtbot.waitSignal(window.runtime.measured, timeout=30000):
        pass


def test_target_defaults_to_1_4_and_reaches_the_freeze(qtbot, window, tmp_path):
    fixture = copy_fixture("mlp", tmp_path)
    combo = window.runtime.combo
    labels = [combo.itemText(i) for i in range(combo.count())]
    assert labels[0] == "1.0" and "1.15" in labels and labels[-1] == "2.x"
    assert window.runtime.target() == api.DEFAULT_TARGET_TF == "1.4"
    with qtbot.waitSignal(window.runtime.measured, timeout=30000):
        open_and_wait(qtbot, window, fixture.meta)
    assert window.runtime.graph_label.text().startswith("Loaded graph runs on TensorFlow ≥ 1.")
    with qtbot.waitSignal(window.runtime.measured, timeout=30000):
        window.tree_model.set_all_checked(fixture.outputs)
    assert window.runtime.frozen_label.text().startswith("Frozen result runs on TensorFlow ≥ 1.")
    assert window.freezer.request(None).target_tf == "1.4"
    window.runtime.set_target("1.15")
    assert window.freezer.request(None).target_tf == "1.15"
    assert window.settings.value("target_tf") == "1.15"


def test_floor_shown_live_and_too_old_target_refused(qtbot, window, tmp_path, monkeypatch):
    fixture = copy_fixture("cnn_bn", tmp_path)
    _dilate(fixture.meta, [1, 2, 2, 1])
    with qtbot.waitSignal(window.runtime.measured, timeout=30000):
        open_and_wait(qtbot, window, fixture.meta)
    graph_line = window.runtime.graph_label.text()
    assert "TensorFlow ≥ 1.5" in graph_line and "dilations" in graph_line, graph_line
    assert window.runtime.frozen_label.text() == ""
    with qtbot.waitSignal(window.runtime.measured, timeout=30000):
        window.tree_model.set_all_checked(fixture.outputs)
    frozen_line = window.runtime.frozen_label.text()
    assert "TensorFlow ≥ 1.5" in frozen_line and "refused" in frozen_line, frozen_line
    destination = str(tmp_path / "frozen.pb")
    with qtbot.waitSignal(window.freeze_failed, timeout=30000) as failed:
        window.start_freeze(destination)
    assert "1.5" in failed.args[0] and not os.path.exists(destination)
    notice = window.notice.text()
    assert "cannot freeze for TensorFlow 1.4" in notice and "\n" not in notice, notice
    assert "Target TensorFlow 1.5" in notice
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: asked.append(args) or ("", ""))
    window.notice.clear()
    window.freeze()  # Ctrl+S: the floor already says it is refused, so no save dialog opens
    assert asked == [] and "refused" not in window.notice.text() and "needs TensorFlow ≥ 1.5" in window.notice.text()
    window.runtime.set_target("1.5")  # the same plan, compared with another release: at once
    assert "refused" not in window.runtime.frozen_label.text()
    assert window.runtime.frozen_label.wordWrap()  # the line is never cut at the pane's edge
    window.freeze()
    assert len(asked) == 1
    with qtbot.waitSignal(window.freeze_finished, timeout=30000) as finished:
        window.start_freeze(destination)
    assert os.path.isfile(destination) and finished.args[0].outputs == fixture.outputs
