"""Op tree view helpers: columns that keep Name readable at any width, and keeping the view through filters."""

import contextlib

from PyQt5.QtCore import QEvent, QModelIndex, QObject, Qt
from PyQt5.QtGui import QFontMetrics
from PyQt5.QtWidgets import QHeaderView

from core import api
from gui.op_tree_model import NAME, OP, SHAPE

ICON_AND_PADDING = 34
SHAPE_SAMPLE = 1000
MAX_EXPANDED_KEPT = 2000


def _sample_shapes(loaded):
    candidates = api.output_candidates(loaded)[:SHAPE_SAMPLE // 5]  # a graph can have 10^5 of them
    names = [c.name for c in candidates] + api.node_names(loaded)[:SHAPE_SAMPLE]
    return set(api.node_shape(loaded, name) for name in names)


NAME_SHARE = 0.5  # the Name column keeps at least this share of the tree's width
OP_SHARE = 0.3  # Op and Shape are as wide as their texts, up to these shares (elided beyond)


class ColumnFitter(QObject):
    """Keeps Name at least half the tree's width whatever the tree's width (a dock opening, a small screen):
    Op and Shape get their content's width while it fits, else their share, their texts elided; when the
    tree grows back (the dock closes) they return to their content's width."""

    def __init__(self, tree):
        super(ColumnFitter, self).__init__(tree)
        self.tree = tree
        self.wanted = (0, 0)
        tree.setTextElideMode(Qt.ElideRight)
        header = tree.header()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(24)
        header.setSectionResizeMode(NAME, QHeaderView.Stretch)
        header.setSectionResizeMode(OP, QHeaderView.Fixed)
        header.setSectionResizeMode(SHAPE, QHeaderView.Fixed)
        tree.viewport().installEventFilter(self)

    def set_content(self, op_width, shape_width):
        """The widths Op and Shape need for their longest texts."""
        self.wanted = (op_width, shape_width)
        self.fit()

    def fit(self):
        width = self.tree.viewport().width()
        op_wanted, shape_wanted = self.wanted
        spare = width * (1.0 - NAME_SHARE)
        if op_wanted + shape_wanted <= spare:
            op, shape = op_wanted, shape_wanted
        else:
            shape = min(shape_wanted, int(spare * (1.0 - OP_SHARE / (1.0 - NAME_SHARE))))
            op = min(op_wanted, int(spare - shape))
        header = self.tree.header()
        header.resizeSection(OP, max(24, int(op)))
        header.resizeSection(SHAPE, max(24, int(shape)))

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Resize:
            self.fit()
        return False


def content_widths(tree, loaded):
    """(Op width, Shape width): the widest op type (bold, with its star) and the widest sampled shape."""
    metrics = tree.fontMetrics()
    bold = tree.font()
    bold.setBold(True)
    wide = QFontMetrics(bold)
    op_width = max([wide.width(op) for op in api.op_types(loaded)] + [metrics.width("Op")]) + ICON_AND_PADDING
    shape_width = max([metrics.width(text) for text in _sample_shapes(loaded)] + [metrics.width("[?,299,299,3]")])
    return min(op_width, 340), min(shape_width + 16, 220)


def fit_columns(tree, loaded):
    """Op and Shape as wide as their longest text (Op up to `SparseSoftmaxCrossEntropyWithLogits`) while Name
    keeps half the width; kept so as the tree's width changes."""
    fitter = tree.findChild(ColumnFitter)
    if fitter is None:
        fitter = ColumnFitter(tree)
    fitter.set_content(*content_widths(tree, loaded))
    return fitter


def _expanded_paths(tree, model, parent=QModelIndex(), found=None):
    found = [] if found is None else found
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        if tree.isExpanded(index) and len(found) < MAX_EXPANDED_KEPT:
            found.append(index.internalPointer().full_path)
            _expanded_paths(tree, model, index, found)
    return found


@contextlib.contextmanager
def keep_view(tree, model):
    """Restores the open scopes and the selected node after a filter change (a model reset collapses all)."""
    current = tree.currentIndex()
    path = current.internalPointer().full_path if current.isValid() else None
    expanded = _expanded_paths(tree, model)
    yield
    for scope in expanded:
        index = model.index_of(scope)
        if index.isValid():
            tree.expand(index)
    if path is not None:
        index = model.index_of(path)
        if index.isValid():
            tree.setCurrentIndex(index)
            tree.scrollTo(index)
