"""The op tree's context menu: tick as an output, cut the graph at any of the op's outputs, copy its name."""

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QApplication, QMenu

from core import api

MAX_PORTS_INLINE = 4


def _cut_text(tensor, dtype, shape, cut_now):
    if cut_now:
        return "Remove the input cut at %s" % tensor
    return "Cut at %s (%s %s) as an input" % (tensor, dtype, shape)


def menu_for(window, name):
    """The QMenu for op ``name`` (actions named for tests: "tick", "cut", "cut:K" per output port, "copy")."""
    menu = QMenu(window.tree)
    session = window.session
    ticked = session.is_output(name)
    tick = menu.addAction("Untick as an output" if ticked else "Tick as an output")
    tick.setObjectName("tick")
    tick.triggered.connect(lambda: session.set_output(name, not ticked))
    ports = api.output_ports(window.loaded, name)
    where = menu if len(ports) <= MAX_PORTS_INLINE else menu.addMenu("Cut as an input at")
    for port, (tensor, dtype, shape) in enumerate(ports):
        cut_now = tensor in session.input_cuts
        cut = where.addAction(_cut_text(tensor, dtype, shape, cut_now))
        cut.setObjectName("cut" if port == 0 else "cut:%d" % port)
        cut.setToolTip("The freeze replaces %s by a Placeholder of its dtype and shape; what fed it is pruned" % tensor)
        cut.triggered.connect(lambda _=False, t=tensor, now=cut_now: session.set_cut(t, not now))
    if not ports:
        menu.addAction("No output to cut at (%s has none)" % api.node_op(window.loaded, name)).setEnabled(False)
    menu.addSeparator()
    copy = menu.addAction("Copy name")
    copy.setObjectName("copy")
    copy.triggered.connect(lambda: copy_name(window, name))
    return menu


def copy_name(window, name):
    QApplication.clipboard().setText(name)
    window.statusBar().showMessage("Copied %s" % name, 4000)


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
