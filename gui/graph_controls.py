"""The graph view's controls in two rows on a wide dock, five on a narrow one, so every control stays in sight."""

from PyQt5.QtCore import QSize
from PyQt5.QtWidgets import QGridLayout, QLayout, QWidget

SPACING = 6
MARGINS = (4, 2, 4, 0)
# (row, column, column span) of: the Neighbourhood and freeze buttons, hops; group, find, fit, export.
WIDE = ((0, 0, 1), (0, 1, 1), (0, 2, 1), (1, 0, 1), (1, 1, 1), (1, 2, 1), (1, 3, 1))
NARROW = ((0, 0, 3), (1, 0, 3), (2, 0, 1), (3, 0, 3), (4, 0, 3), (2, 1, 1), (2, 2, 1))


def _row_width(widgets):
    return sum(w.sizeHint().width() for w in widgets) + SPACING * (len(widgets) - 1) + MARGINS[0] + MARGINS[2]


def _grid_width(widgets, places):
    """The width a grid needs so no cell is narrower than its widget: the widest widget of each column."""
    columns = {}
    for widget, (_, column, span) in zip(widgets, places):
        if span == 1:
            columns[column] = max(columns.get(column, 0), widget.sizeHint().width())
    return sum(columns.values()) + SPACING * (len(columns) - 1) + MARGINS[0] + MARGINS[2]


class ControlRows(QWidget):
    """Lays out seven controls (Neighbourhood, What the freeze keeps, hops; Group scopes, Find, Fit, Export) on
    two rows while the width allows it, else one under the other with hops, Fit and Export side by side.

    ``rearranged`` (a callable or None) is called with the new height after a change."""

    def __init__(self, widgets, stretch, parent=None):
        super(ControlRows, self).__init__(parent)
        self.widgets = tuple(widgets)
        self.stretch = stretch
        self.rearranged = None
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(*MARGINS)
        self.grid.setHorizontalSpacing(SPACING)
        self.grid.setVerticalSpacing(2)
        self.grid.setSizeConstraint(QLayout.SetNoConstraint)
        self.narrow = None
        self.wide_width = _grid_width(self.widgets, WIDE)
        narrow_rows = ([self.widgets[0]], [self.widgets[1]], [self.widgets[2], self.widgets[5], self.widgets[6]],
                       [self.widgets[3]])
        self.setMinimumWidth(max(_row_width(row) for row in narrow_rows))
        self._arrange(False)

    def _arrange(self, narrow):
        if narrow == self.narrow:
            return
        self.narrow = narrow
        for widget in self.widgets:
            self.grid.removeWidget(widget)
        for widget, (row, column, span) in zip(self.widgets, NARROW if narrow else WIDE):
            self.grid.addWidget(widget, row, column, 1, span)
        for column in range(5):
            self.grid.setColumnStretch(column, 0)
        self.grid.setColumnStretch(3 if narrow else 1, 1)
        self.grid.invalidate()
        self.updateGeometry()
        if self.rearranged is not None:
            self.rearranged(self.grid.sizeHint().height())

    def sizeHint(self):
        return QSize(self.wide_width, self.grid.sizeHint().height())

    def resizeEvent(self, event):
        self._arrange(event.size().width() < self.wide_width)
        super(ControlRows, self).resizeEvent(event)
