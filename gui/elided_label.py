"""A one-line label that elides its text at the right instead of clipping it (the status line)."""

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QPainter
from PyQt5.QtWidgets import QLabel


class ElidedLabel(QLabel):
    """``text()`` stays the whole text (and is the tooltip when it does not fit); the label paints it
    cut with "…" to its width, so a long status never runs into the widgets beside it."""

    def displayed_text(self):
        """The text as painted at the label's current width."""
        width = self.contentsRect().width()
        return self.fontMetrics().elidedText(self.text(), Qt.ElideRight, max(width, 0))

    def setText(self, text):
        super(ElidedLabel, self).setText(text)
        self._update_tooltip()

    def resizeEvent(self, event):
        super(ElidedLabel, self).resizeEvent(event)
        self._update_tooltip()

    def _update_tooltip(self):
        self.setToolTip(self.text() if self.displayed_text() != self.text() else "")

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(self.alignment()) | Qt.TextSingleLine, self.displayed_text())
