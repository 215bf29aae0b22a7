"""The op tree: a lazy QAbstractItemModel over core's ScopeTree, with ticks, highlights and a filter."""

from PyQt5.QtCore import QAbstractItemModel, QModelIndex, Qt, pyqtSignal
from PyQt5.QtGui import QBrush, QFont

from core import api
from core.api import INPUT, SWITCH, TRAINING_INPUT, TRAINING_ONLY, VARIABLE, FreezeSession
from gui import icons
from gui.colours import Colours

NAME, OP, SHAPE = 0, 1, 2
BROAD_MATCH = 0.5  # share of the graph above which a search highlights instead of filtering
HEADERS = ("Name", "Op", "Shape")


def _add_path(visible, name):
    path = name
    while path and path not in visible:
        visible.add(path)
        slash = path.rfind("/")
        path = path[:slash] if slash > 0 else ""


class OpTreeModel(QAbstractItemModel):
    """Name scopes -> ops, populated lazily: Qt only asks for the children of expanded rows.

    The ticks (a checkbox on every op) are the outputs of a core api.FreezeSession: ticking writes
    into it, and any change of its outputs (the outputs panel, a signature, a pasted list) redraws the
    boxes. The model also holds an optional filter: a set of matching node names (their scopes stay
    visible) and whether training-only ops are hidden.

    Signals:
        checked_changed(): the ticked outputs changed.
    """

    checked_changed = pyqtSignal()

    def __init__(self, loaded, signals=None, parent=None):
        super(OpTreeModel, self).__init__(parent)
        self.loaded = loaded
        self.tree = api.scope_tree(loaded)
        self._node_count = len(api.node_names(loaded))
        if signals is None:
            from gui.freeze_session import SessionSignals
            signals = SessionSignals(FreezeSession(), self)
        self.session = signals.session
        self._signals = signals
        self._checked_set = set(self.session.outputs)
        signals.changed.connect(self._session_changed)
        self._candidates = dict((c.name, (rank, c)) for rank, c in enumerate(api.output_candidates(loaded)))
        self._roles = api.node_roles(loaded)
        self._suggested = set(api.suggested_outputs(loaded))
        self._matches = None
        self._visible = None
        self._hide_training = False
        self._revealed = set()
        self._training_only = None
        self._children_cache = {}
        self._shapes = {}
        self._bold = QFont()
        self._bold.setBold(True)
        self.set_colours(Colours())

    def set_colours(self, colours):
        """Role colours (gui.colours.Colours) derived from the palette in use."""
        self.colours = colours
        self._brushes = dict((key, QBrush(getattr(colours, key)))
                             for key in ("match", "candidate", "top_candidate", "input", "dim"))

    # -- filter ---------------------------------------------------------------------------
    def set_filter(self, matches=None, hide_training=None, revealed=()):
        """Shows only ``matches`` (node names) and their scopes; None shows everything.

        Args:
            matches: iterable of node names, or None for no search filter.
            hide_training: hide training-only ops (loss, gradients, saver, ...); None keeps it.
            revealed: node names shown whatever the filter says (a node the user went to), not highlighted.
        """
        self.beginResetModel()
        if hide_training is not None:
            self._hide_training = hide_training
        self._matches = None if matches is None else set(matches)
        self._revealed = set(revealed)
        # When most of the graph matches, hiding rows shows nothing new: only highlight.
        filter_rows = self._matches is not None and len(self._matches) < BROAD_MATCH * self._node_count
        visible = None
        if filter_rows or self._hide_training:
            names = self._matches if filter_rows else api.node_names(self.loaded)
            visible = set()
            for name in names:
                if self._hide_training and self._is_training_only(name) and name not in self._checked_set:
                    continue
                _add_path(visible, name)
            for name in self._revealed:
                _add_path(visible, name)
        self._visible = visible
        self._children_cache = {}
        self.endResetModel()

    @property
    def matches(self):
        return self._matches

    @property
    def revealed(self):
        return set(self._revealed)

    @property
    def hide_training(self):
        return self._hide_training

    def set_training_only(self, names):
        """The nodes hidden with the training ops (api.training_only_names); None: their roles alone decide."""
        self._training_only = names

    def _is_training_only(self, name):
        if self._training_only is not None:
            return name in self._training_only
        return self._roles.get(name) in TRAINING_ONLY

    def reveal(self, name):
        """Shows ``name`` (and its scopes) although the search or the training filter hides it."""
        self.set_filter(self._matches, None, self._revealed | set([name]))

    def first_in_tree(self, names):
        """The first of ``names`` in the tree's order (what the user sees at the top), or None."""
        wanted = set(names)
        stack = [self.tree.root]
        while stack:
            node = stack.pop()
            if getattr(node, "op_name", None) in wanted:
                return node.op_name
            stack.extend(reversed(self._children(node)))
        return None

    def _children(self, node):
        if self._visible is None:
            return node.children
        key = id(node)
        cached = self._children_cache.get(key)
        if cached is None:
            visible = self._visible
            cached = [c for c in node.children if c.full_path in visible]
            self._children_cache[key] = cached
            for row, child in enumerate(cached):
                self._children_cache[("row", id(child))] = row
        return cached

    def _row_of(self, node):
        if self._visible is None:
            return node.row
        self._children(node.parent)
        return self._children_cache.get(("row", id(node)), 0)

    # -- QAbstractItemModel ---------------------------------------------------------------
    def _node(self, index):
        return index.internalPointer() if index.isValid() else self.tree.root

    def index(self, row, column, parent=QModelIndex()):
        if column < 0 or column >= len(HEADERS) or row < 0:
            return QModelIndex()
        children = self._children(self._node(parent))
        if row >= len(children):
            return QModelIndex()
        return self.createIndex(row, column, children[row])

    def parent(self, index):
        if not index.isValid():
            return QModelIndex()
        node = index.internalPointer()
        parent = node.parent
        if parent is None or parent is self.tree.root:
            return QModelIndex()
        return self.createIndex(self._row_of(parent), 0, parent)

    def rowCount(self, parent=QModelIndex()):
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._children(self._node(parent)))

    def columnCount(self, parent=QModelIndex()):
        return len(HEADERS)

    def hasChildren(self, parent=QModelIndex()):
        node = self._node(parent)
        if parent.isValid() and parent.column() != 0:
            return False
        if self._visible is None:
            return bool(node.children)
        return bool(self._children(node))

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return HEADERS[section]
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.NoItemFlags
        flags = Qt.ItemIsEnabled | Qt.ItemIsSelectable
        if index.column() == NAME and index.internalPointer().op_name is not None:
            flags |= Qt.ItemIsUserCheckable
        return flags

    def _shape(self, name):
        shape = self._shapes.get(name)
        if shape is None:
            shape = self._shapes[name] = api.node_shape(self.loaded, name)
        return shape

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        node = index.internalPointer()
        column = index.column()
        name = node.op_name
        if role == Qt.DisplayRole:
            if column == NAME:
                return node.name if name is not None or not node.children else "%s  (%d)" % (node.name, node.count)
            if name is None:
                return None
            if column == OP:
                return api.node_op(self.loaded, name)
            return self._shape(name)
        if role == Qt.CheckStateRole and column == NAME and name is not None:
            return Qt.Checked if name in self._checked_set else Qt.Unchecked
        if name is None:
            if role == Qt.DecorationRole and column == NAME:
                return icons.icon("scope", self.colours.dark)
            return None
        role_name = self._roles.get(name)
        candidate = self._candidates.get(name)
        if role == Qt.DecorationRole and column == NAME:
            if candidate is not None:
                return icons.icon("tail-" + (candidate[1].tail or "other"), self.colours.dark)
            if role_name in (INPUT, SWITCH):
                return icons.icon("input", self.colours.dark)
            if role_name == VARIABLE:
                return icons.icon("variable", self.colours.dark)
            return None
        if role == Qt.ToolTipRole:
            return self._tooltip(name, role_name, candidate)
        if role == Qt.BackgroundRole:
            if self._matches is not None and name in self._matches:
                return self._brushes["match"]
            if candidate is not None:
                return self._brushes["top_candidate" if name in self._suggested else "candidate"]
            return None
        if role == Qt.ForegroundRole:
            if role_name in (INPUT, SWITCH):
                return self._brushes["input"]
            if role_name in TRAINING_ONLY or role_name == TRAINING_INPUT:
                return self._brushes["dim"]
            return None
        if role == Qt.FontRole and (candidate is not None or role_name == INPUT):
            return self._bold
        if role == Qt.UserRole:
            return name
        return None

    def _tooltip(self, name, role_name, candidate):
        lines = ["<b>%s</b> (%s)" % (name, api.node_op(self.loaded, name)), "role: %s" % (role_name or "?")]
        if candidate is not None:
            rank, info = candidate
            lines.append("candidate output #%d%s" % (rank + 1, " — %s tail" % info.tail if info.tail else ""))
            lines.extend("• %s" % reason for reason in info.reasons)
        return "<br>".join(lines)

    def setData(self, index, value, role=Qt.EditRole):
        if role != Qt.CheckStateRole or not index.isValid() or index.column() != NAME:
            return False
        name = index.internalPointer().op_name
        if name is None:
            return False
        self.set_checked(name, value in (Qt.Checked, 2, True))
        return True

    # -- ticked outputs (the session's) -----------------------------------------------------
    @property
    def checked(self):
        """Ticked outputs in the order they were ticked."""
        return list(self.session.outputs)

    def set_checked(self, name, checked):
        self.session.set_output(name, checked)

    def set_all_checked(self, names):
        self.session.set_outputs(names)

    def detach(self):
        """Stops following the session (the window shows another model)."""
        self._signals.changed.disconnect(self._session_changed)

    def _session_changed(self, fields):
        if "outputs" not in fields:
            return
        now = set(self.session.outputs)
        changed, self._checked_set = now.symmetric_difference(self._checked_set), now
        for name in changed:
            index = self.index_of(name)
            if index.isValid():
                self.dataChanged.emit(index, index, [Qt.CheckStateRole])
        self.checked_changed.emit()

    def index_of(self, name, column=NAME):
        """The index of an op (or scope path), or an invalid index when filtered out."""
        chain = self.tree.path_of(name)
        if not chain:
            return QModelIndex()
        parent = QModelIndex()
        index = QModelIndex()
        for node in chain:
            if self._visible is not None and node.full_path not in self._visible:
                return QModelIndex()
            index = self.index(self._row_of(node), 0, parent)
            parent = index
        if column != 0 and index.isValid():
            index = index.sibling(index.row(), column)
        return index
