"""Op tree view helpers: column widths that fit the ops and shapes, and keeping the view through filters."""

import contextlib

from PyQt5.QtCore import QModelIndex
from PyQt5.QtWidgets import QHeaderView

from core.api import output_shapes, shape_text
from gui.op_tree_model import NAME, OP, SHAPE

ICON_AND_PADDING = 34
SHAPE_SAMPLE = 3000
MAX_EXPANDED_KEPT = 2000


def _sample_shapes(analysis):
    graph = analysis.graph
    names = [c.name for c in analysis.candidates] + list(graph.names[:SHAPE_SAMPLE])
    texts = set()
    for name in names:
        shapes = output_shapes(graph.node(name))
        if shapes:
            texts.add(shape_text(shapes[0]))
    return texts


def fit_columns(tree, analysis):
    """Op and Shape as wide as their longest text (Op up to `SparseSoftmaxCrossEntropyWithLogits`); Name takes the rest."""
    metrics = tree.fontMetrics()
    bold = tree.font()
    bold.setBold(True)
    from PyQt5.QtGui import QFontMetrics
    wide = QFontMetrics(bold)
    ops = set(analysis.graph.ops)
    op_width = max([wide.width(op) for op in ops] + [metrics.width("Op")]) + ICON_AND_PADDING
    shape_width = max([metrics.width(text) for text in _sample_shapes(analysis)] + [metrics.width("[?,299,299,3]")])
    header = tree.header()
    header.setStretchLastSection(False)
    header.setMinimumSectionSize(40)
    header.setSectionResizeMode(NAME, QHeaderView.Stretch)
    header.setSectionResizeMode(OP, QHeaderView.Interactive)
    header.setSectionResizeMode(SHAPE, QHeaderView.Interactive)
    header.resizeSection(OP, min(op_width, 340))
    header.resizeSection(SHAPE, min(shape_width + 16, 220))


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
