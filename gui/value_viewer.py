"""A Const's or variable's values: statistics, a histogram and a 2-D slice table (read off the GUI thread)."""

from PyQt5.QtCore import QAbstractTableModel, QRectF, Qt
from PyQt5.QtGui import QPainter, QPalette
from PyQt5.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QSpinBox, QTableView, QVBoxLayout,
                             QWidget)

from core import api
from gui.worker import Worker

BINS = 40
MAX_CELLS = 1 << 20  # cells a slice table shows at most (rows beyond are cut)


def summarize(loaded, name, progress=None, cancel=None):
    """(array, statistics text, histogram (counts, low, high) or None); runs in a worker thread."""
    import numpy as np
    array = api.tensor_values(loaded, name)
    if array.dtype.kind not in "biuf" or array.size == 0:
        return array, "%d values" % array.size, None
    values = array.astype(np.float64, copy=False).ravel() if array.dtype.kind != "f" else array.ravel()
    finite = values[np.isfinite(values)]
    bad = values.size - finite.size
    parts = ["%s values" % "{:,}".format(values.size)]
    if finite.size:
        parts.append("min %.6g · max %.6g · mean %.6g · std %.6g" % (
            finite.min(), finite.max(), finite.mean(), finite.std()))
        parts.append("%.1f%% zeros" % (100.0 * np.count_nonzero(finite == 0) / values.size))
    if bad:
        parts.append("%d NaN or Inf" % bad)
    histogram = None
    if finite.size:
        low, high = float(finite.min()), float(finite.max())
        counts, _ = np.histogram(finite, bins=BINS, range=(low, high if high > low else low + 1.0))
        histogram = (counts.tolist(), low, high)
    return array, " · ".join(parts), histogram


class Histogram(QWidget):
    """Bars of value counts between the lowest and the highest value, colours from the palette."""

    def __init__(self, parent=None):
        super(Histogram, self).__init__(parent)
        self.counts, self.low, self.high = [], 0.0, 0.0
        self.setMinimumHeight(110)

    def set_histogram(self, histogram):
        self.counts, self.low, self.high = histogram or ([], 0.0, 0.0)
        self.setVisible(bool(self.counts))
        self.update()

    def paintEvent(self, event):
        if not self.counts:
            return
        painter = QPainter(self)
        palette = self.palette()
        area = QRectF(self.rect()).adjusted(4, 4, -4, -20)
        top = float(max(self.counts)) or 1.0
        width = area.width() / len(self.counts)
        painter.setPen(Qt.NoPen)
        painter.setBrush(palette.color(QPalette.Highlight))
        for k, count in enumerate(self.counts):
            height = area.height() * count / top
            painter.drawRect(QRectF(area.left() + k * width, area.bottom() - height, max(1.0, width - 1), height))
        painter.setPen(palette.color(QPalette.WindowText))
        text = QRectF(area.left(), area.bottom() + 2, area.width(), 16)
        painter.drawText(text, Qt.AlignLeft, "%.4g" % self.low)
        painter.drawText(text, Qt.AlignRight, "%.4g" % self.high)
        painter.end()


class SliceModel(QAbstractTableModel):
    """A 2-D slice of an array (the last two axes; the leading ones fixed by ``index``)."""

    def __init__(self, parent=None):
        super(SliceModel, self).__init__(parent)
        self.array = None
        self.plane = None

    def set_slice(self, array, index=()):
        self.beginResetModel()
        self.array = array
        plane = array[tuple(index)] if array is not None else None
        if plane is not None and plane.ndim < 2:
            plane = plane.reshape((-1, 1)) if plane.ndim == 1 else plane.reshape((1, 1))
        if plane is not None and plane.size > MAX_CELLS:
            plane = plane[:max(1, MAX_CELLS // max(1, plane.shape[1]))]
        self.plane = plane
        self.endResetModel()

    def rowCount(self, parent=None):
        return 0 if self.plane is None else self.plane.shape[0]

    def columnCount(self, parent=None):
        return 0 if self.plane is None else self.plane.shape[1]

    def data(self, index, role=Qt.DisplayRole):
        if role != Qt.DisplayRole or self.plane is None or not index.isValid():
            return None
        value = self.plane[index.row(), index.column()]
        if isinstance(value, bytes):
            return repr(value.decode("utf-8", "replace"))
        return "%.6g" % value if getattr(value, "dtype", None) is not None and value.dtype.kind == "f" else str(value)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        return str(section) if role == Qt.DisplayRole else None


class ValueViewer(QDialog):
    """The values of one Const or variable: a line of statistics, a histogram, a slice table with a spin box
    per leading axis. Signals nothing; ``ready`` is set when the values are shown (tests)."""

    def __init__(self, loaded, name, parent=None):
        super(ValueViewer, self).__init__(parent)
        self.setWindowTitle("Values of %s" % name)
        self.resize(640, 520)
        self.name = name
        self.array = None
        layout = QVBoxLayout(self)
        self.title = QLabel("<b>%s</b> — reading …" % name)
        self.title.setWordWrap(True)
        self.stats = QLabel("")
        self.stats.setWordWrap(True)
        self.stats.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.histogram = Histogram()
        self.axes = QHBoxLayout()
        self.spins = []
        self.table = QTableView()
        self.model = SliceModel(self)
        self.table.setModel(self.model)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        for widget in (self.title, self.stats, self.histogram):
            layout.addWidget(widget)
        layout.addLayout(self.axes)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.worker = Worker(summarize, loaded, name)
        self.worker.finished.connect(self._show)
        self.worker.failed.connect(lambda message: self.title.setText("<b>%s</b>: %s" % (name, message)))
        self.worker.start()

    def _show(self, result):
        array, stats, histogram = result
        self.array = array
        self.title.setText("<b>%s</b> — %s %s" % (self.name, array.dtype, list(array.shape)))
        self.stats.setText(stats)
        self.histogram.set_histogram(histogram)
        for axis in range(max(0, array.ndim - 2)):
            spin = QSpinBox()
            spin.setRange(0, max(0, array.shape[axis] - 1))
            spin.setPrefix("axis %d: " % axis)
            spin.valueChanged.connect(lambda _: self._slice())
            self.axes.addWidget(spin)
            self.spins.append(spin)
        self.axes.addStretch(1)
        self._slice()

    def _slice(self):
        self.model.set_slice(self.array, [spin.value() for spin in self.spins])

    def closeEvent(self, event):
        self.worker.wait()
        super(ValueViewer, self).closeEvent(event)
