"""The op tree's context menu: tick as an output, cut the graph here as an input."""

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QMenu


def menu_for(window, name):
    """The QMenu for op ``name`` (actions named for tests: "tick", "cut")."""
    menu = QMenu(window.tree)
    ticked = name in window.tree_model.checked
    tick = menu.addAction("Untick as an output" if ticked else "Tick as an output")
    tick.setObjectName("tick")
    tick.triggered.connect(lambda: window.tree_model.set_checked(name, not ticked))
    tensor = name + ":0"
    cut_now = tensor in window.freezer.cuts
    cut = menu.addAction("Remove the input cut here" if cut_now else "Cut here as an input")
    cut.setObjectName("cut")
    cut.setToolTip("The freeze replaces %s by a Placeholder of its dtype and shape; what fed it is pruned" % tensor)
    cut.triggered.connect(lambda: window.freezer.set_cut(tensor, not cut_now))
    return menu


def install(window):
    """Shows the menu on right-click over an op of the window's tree."""
    tree = window.tree
    tree.setContextMenuPolicy(Qt.CustomContextMenu)

    def requested(point):
        index = tree.indexAt(point)
        name = index.internalPointer().op_name if index.isValid() else None
        if name is not None and window.tree_model is not None:
            menu_for(window, name).exec_(tree.viewport().mapToGlobal(point))

    tree.customContextMenuRequested.connect(requested)
