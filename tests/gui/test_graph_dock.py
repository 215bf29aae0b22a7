"""The Graph dock in the window: Ctrl+G, the tree's selection, clicks that navigate, the ticked outputs."""

import pytest

pytest.importorskip("PyQt5")

from PyQt5.QtCore import Qt  # noqa: E402

from tests.conftest import load_fixture  # noqa: E402
from tests.gui.conftest import open_and_wait  # noqa: E402
from tests.gui.test_graph_view import click  # noqa: E402


def test_graph_dock_follows_the_window(qtbot, window):
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
    assert view.picture.request[0] == "freeze" and view.picture.request[1] == (fixture.outputs[0],)
    assert set(view.items) >= {fixture.outputs[0]}
    qtbot.keyClick(window, Qt.Key_G, Qt.ControlModifier)
    assert not dock.isVisible()
