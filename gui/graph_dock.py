"""The graph view as a dock of the main window, wired to its selection, history and freeze plan."""

from PyQt5.QtCore import QEvent, QObject, Qt, QTimer
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QDockWidget

from gui.graph_view import GraphView


class GraphDock(QDockWidget):
    """The graph view in a dock ("Graph", toggled with Ctrl+G from the View menu)."""

    def __init__(self, parent=None):
        super(GraphDock, self).__init__("Graph", parent)
        self.setObjectName("graph")
        self.view = GraphView()
        self.setWidget(self.view)
        action = self.toggleViewAction()
        action.setText("&Graph")
        action.setShortcut(QKeySequence("Ctrl+G"))
        action.setStatusTip("Draw the selected node's neighbourhood, or what the freeze keeps")
        self.visibilityChanged.connect(lambda visible: visible and self.view.refresh())


TREE_SHARE = 0.4  # of the window's width the tree keeps when the dock opens


def dock_width(window, dock):
    """A third of the window, less on a narrow one: the tree keeps TREE_SHARE and the details and freeze panel
    their minimum (at 1024 px the names stay readable; the dock can be dragged wider)."""
    room = window.width() - window.right.minimumWidth() - int(window.width() * TREE_SHARE)
    return max(dock.minimumSizeHint().width(), min(window.width() // 3, room))


class _CloseWatcher(QObject):
    """Joins the view's layout threads when the window closes."""

    def __init__(self, view, parent):
        super(_CloseWatcher, self).__init__(parent)
        self._view = view

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Close:
            self._view.wait_for_workers()
        return False


def attach_graph_dock(window):
    """Adds the Graph dock to a gui.main_window.MainWindow (hidden; View › Graph, Ctrl+G).

    Selecting a node in the tree draws it; clicking a node in the graph navigates like a link
    (same Back/Forward history); "What the freeze keeps" draws the window's freeze plan
    (gui.plan_watch), the one the live floor reads and the freeze writes.
    """
    dock = GraphDock(window)
    window.addDockWidget(Qt.RightDockWidgetArea, dock)
    dock.hide()
    window.view_menu.addAction(dock.toggleViewAction())
    view = dock.view
    view.node_activated.connect(window.navigate)
    window.installEventFilter(_CloseWatcher(view, dock))

    def current_changed(current, _previous=None):
        name = current.internalPointer().op_name if current.isValid() else None
        if name is not None:
            view.show_node(name)

    def loaded():
        view.set_model(window.loaded)
        window.tree.selectionModel().currentChanged.connect(current_changed)
        current_changed(window.tree.currentIndex())

    def freeze_mode(checked):
        if checked and window.plans.current() is None and window.session.outputs:
            window.plans.measure()  # at once, not after the debounce

    window.model_loaded.connect(loaded)
    window.plans.planned.connect(view.show_plan)
    window.plans.started.connect(view.show_measuring)
    view.freeze_button.toggled.connect(freeze_mode)

    def opened(visible):
        if visible and not dock.isFloating():
            window.resizeDocks([dock], [dock_width(window, dock)], Qt.Horizontal)
        QTimer.singleShot(0, window.balance_panels)
    dock.visibilityChanged.connect(opened)
    return dock
