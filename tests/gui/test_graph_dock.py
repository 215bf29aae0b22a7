"""The Graph dock in the window: Ctrl+G, the tree's selection, clicks that navigate, the ticked outputs."""

import pytest

pytest.importorskip("PyQt5")

from PyQt5.QtCore import Qt  # noqa: E402

from core.formats import protos  # noqa: E402
from tests.conftest import load_fixture  # noqa: E402
from tests.gui.conftest import open_and_wait  # noqa: E402
from tests.gui.test_graph_view import click  # noqa: E402


def test_graph_dock_follows_the_window(qtbot, window, tmp_path):
    fixture = load_fixture("multi_head")
    open_and_wait(qtbot, window, fixture.meta)
    dock = window.graph_dock
    view = dock.view
    action = dock.toggleViewAction()
    assert not dock.isVisible() and action.shortcut().toString() == "Ctrl+G"
    assert action in [a for m in window.menuBar().actions() if m.menu() for a in m.menu().actions()]
    current = window.tree.currentIndex().internalPointer().op_name
    with qtbot.waitSignal(view.layout_ready, timeout=20000):
        action.trigger()
    assert dock.isVisible() and view.picture.request[1] == current
    other = window.loaded.analysis.graph.data_inputs(current)[0][0]
    with qtbot.waitSignal(view.layout_ready, timeout=20000):  # the window navigates, the view re-centres
        click(qtbot, view, other)
    assert window.details.current == other and view.picture.request[1] == other
    assert window.tree.currentIndex().internalPointer().op_name == other
    window.back()
    assert window.details.current == current
    window.tree_model.set_checked(fixture.outputs[0], True)
    with qtbot.waitSignal(view.layout_ready, timeout=20000):
        view.freeze_button.setChecked(True)
    assert view.picture.request[0] == "frozen" and view.picture.request[1] == (fixture.outputs[0],)
    qtbot.keyClick(window, Qt.Key_G, Qt.ControlModifier)
    assert not dock.isVisible()
    destination = str(tmp_path / "frozen.pb")
    with qtbot.waitSignal(window.freeze_finished, timeout=30000):
        window.start_freeze(destination)
    frozen = protos.GraphDef()
    with open(destination, "rb") as handle:
        frozen.ParseFromString(handle.read())
    assert set(view.items) == set(n.name for n in frozen.node)  # the drawing is the written graph
