"""The window's Deploy panel on the bundled example: four targets run from the panel, four result rows."""

import os

import pytest

from tests.conftest import ROOT
from tests.deploy.conftest import python_lacking

pytest.importorskip("PyQt5")
EXAMPLE = os.path.join(ROOT, "resources", "example")
OUTPUTS = ["model/heads/class_probs", "model/heads/regression/Sigmoid", "model/heads/embedding/Relu"]


@pytest.fixture
def window(qtbot, tmp_path):
    from PyQt5.QtCore import QSettings
    from gui.app import create_application
    from gui.main_window import MainWindow
    create_application()
    win = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def test_deploy_the_example_to_all_four_targets_from_the_panel(qtbot, window, tmp_path, deploy_python_path,
                                                               monkeypatch):
    monkeypatch.setenv("TF1FREEZE_DEPLOY_PYTHON", deploy_python_path)
    with qtbot.waitSignal(window.model_loaded, timeout=120000):
        window.open_path(EXAMPLE)
    window.deploy_action.trigger()  # opened before any output is ticked: it follows the ticks after
    panel = window.deploy_panel
    assert panel.outputs_label.text().startswith("Outputs: none ticked")
    assert not panel.run_button.isEnabled()
    for name in OUTPUTS:
        window.tree_model.set_checked(name, True)
    assert panel.outputs == OUTPUTS and panel.run_button.isEnabled()
    assert panel.outputs_label.text() == "Outputs: " + ", ".join(OUTPUTS)
    qtbot.waitUntil(lambda: all(l.text() != "checking…" for l in panel.ready.values()), timeout=120000)
    assert [panel.ready[t].text() for t in panel.ready] == ["ready"] * 4
    panel.folder.setText(str(tmp_path / "deployed"))
    panel.run_button.click()
    qtbot.waitUntil(lambda: panel.report is not None, timeout=1800000)
    assert panel.table.rowCount() == 4
    rows = [[panel.table.item(r, c).text() for c in range(4)] for r in range(4)]
    assert [r[0] for r in rows] == ["TFLite", "ONNX (onnxruntime)", "OpenVINO", "OpenCV DNN"]
    for target, status, diff, files in rows:
        assert status == "ok", (target, files)
        assert float(diff) < 1e-3
    assert sorted(os.listdir(str(tmp_path / "deployed"))) == sorted(
        ["model.tflite", "model.onnx", "model.xml", "model.bin", "model.opencv.pb"])
    assert all(panel.lines[t].text() == "ok" for t in panel.lines)
    assert panel.open_button.isEnabled()
    panel.close()


def test_readiness_says_install_for_a_package_the_deploy_python_lacks(qtbot, window, tmp_path, deploy_python_path,
                                                                       monkeypatch):
    """A deploy Python without OpenCV (a real venv: the deploy Python's packages but cv2): the panel's
    readiness says "install opencv-python-headless<5 ..." before anything runs, the others stay ready, and
    a run refuses OpenCV with that same line."""
    from core.deploy.children import install_line
    python = python_lacking(deploy_python_path, str(tmp_path / "no-opencv"), ["cv2", "opencv_python"])
    monkeypatch.setenv("TF1FREEZE_DEPLOY_PYTHON", python)
    with qtbot.waitSignal(window.model_loaded, timeout=120000):
        window.open_path(EXAMPLE)
    for name in OUTPUTS:
        window.tree_model.set_checked(name, True)
    window.deploy_action.trigger()
    panel = window.deploy_panel
    qtbot.waitUntil(lambda: all(l.text() != "checking…" for l in panel.ready.values()), timeout=120000)
    line = install_line(["cv2"], python)
    assert line.startswith("install opencv-python-headless<5 into %s " % python)
    assert dict((t, panel.ready[t].text()) for t in panel.ready) == {
        "tflite": "ready", "onnx": "ready", "openvino": "ready", "opencv": line}
    assert panel.ready["opencv"].toolTip() == line
    for target in ("tflite", "onnx", "openvino"):
        panel.boxes[target].setChecked(False)
    panel.folder.setText(str(tmp_path / "deployed"))
    panel.run_button.click()
    qtbot.waitUntil(lambda: panel.report is not None, timeout=600000)
    assert panel.table.rowCount() == 1
    assert [panel.table.item(0, c).text() for c in range(4)] == ["OpenCV DNN", "refused", "", line]
    panel.close()
