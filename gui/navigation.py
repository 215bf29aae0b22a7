"""Going to a node: select, open its scopes, show its details, Back/Forward; and the search that filters the tree."""

from PyQt5.QtCore import QObject
from PyQt5.QtWidgets import QAbstractItemView

from core import api
from core.api import QueryError
from gui.history import History
from gui.tree_view import keep_view

MAX_EXPANDED_MATCHES = 50


class Navigator(QObject):
    """The window's tree selection as a browser: links, tree clicks and the graph view go somewhere (recorded
    in ``history``); typing a search filters without moving anything; Return goes to the first match."""

    def __init__(self, window):
        super(Navigator, self).__init__(window)
        self.window = window
        self.history = History()
        self._navigating = False

    # -- going to a node ------------------------------------------------------------------
    def expand_to(self, name, include_self=False):
        window = self.window
        if window.tree_model is None:
            return
        chain = api.scope_path(window.loaded, name)
        for path in (chain if include_self else chain[:-1]):
            index = window.tree_model.index_of(path)
            if index.isValid():
                window.tree.expand(index)

    def navigate(self, name, record=True):
        """Selects, expands to and scrolls to ``name``; shows its details; records history. A node hidden by the
        search or the training filter is revealed, the search kept."""
        window = self.window
        model = window.tree_model
        if model is None or not api.has_node(window.loaded, name):
            return False
        index = model.index_of(name)
        if not index.isValid():
            with keep_view(window.tree, model):
                model.reveal(name)
            index = model.index_of(name)
        self.expand_to(name)
        self._navigating = True
        window.tree.setCurrentIndex(index)
        window.tree.scrollTo(index, QAbstractItemView.PositionAtCenter)
        self._navigating = False
        window.show_details(name)
        if record:
            self.history.visit(name)
        window.update_actions()
        return True

    def back(self):
        name = self.history.back()
        if name is not None:
            self.navigate(name, record=False)

    def forward(self):
        name = self.history.forward()
        if name is not None:
            self.navigate(name, record=False)

    def current_changed(self, current, previous):
        if self._navigating or not current.isValid():
            return
        name = current.internalPointer().op_name
        if name is not None:
            self.window.show_details(name)
            self.history.visit(name)  # a node picked in the tree is a place Back returns to
            self.window.update_actions()

    def double_clicked(self, index):
        name = index.internalPointer().op_name if index.isValid() else None
        if name is not None:
            self.navigate(name)

    # -- search ---------------------------------------------------------------------------
    def apply_search(self, text=None, go=False):
        """Filters the tree to the query's matches, keeping the selected node and open scopes; with ``go``
        (Return in the search box) goes to the first match."""
        window = self.window
        search_bar = window.search_bar
        search_bar.timer.stop()
        model = window.tree_model
        if model is None:
            return
        text = search_bar.text() if text is None else text
        hide_training = not window.training_action.isChecked()
        if not text:
            with keep_view(window.tree, model):
                model.set_filter(None, hide_training)
            search_bar.show_count(None)
            return
        try:
            matches = api.search(window.loaded, text)
        except QueryError as exc:
            search_bar.show_error(str(exc))
            return
        with keep_view(window.tree, model):
            model.set_filter(matches, hide_training)
        search_bar.show_count(len(matches))
        for name in matches[:MAX_EXPANDED_MATCHES]:
            self.expand_to(name)
        if go and matches:
            self.navigate(model.first_in_tree(matches) or matches[0])
