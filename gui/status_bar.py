"""The window's status bar: a temporary message (``showMessage``) is cut with "…" to the room left of the
permanent widgets, as the status line is (gui/elided_label.py); QStatusBar itself clips it mid-letter."""

import time

from PyQt5.QtCore import QEvent, Qt
from PyQt5.QtWidgets import QStatusBar

_LEFT, _RIGHT = 6, 12  # QStatusBarPrivate::messageRect's margins
_GAP = 2  # and the gap it leaves before the first visible permanent widget
_ROOM_CHANGES = (QEvent.Show, QEvent.Hide, QEvent.Move, QEvent.Resize)


class ElidingStatusBar(QStatusBar):
    """``full_message()`` is the whole text; ``currentMessage()`` the text as shown. A resize, or a permanent
    widget shown, hidden, moved or resized (a task's progress bar), re-cuts a message still showing, for the
    time it had left."""

    def __init__(self, parent=None):
        super(ElidingStatusBar, self).__init__(parent)
        self._full = ""
        self._shown = ""
        self._deadline = None
        self._permanent = []
        self.messageChanged.connect(self._forget)

    def addPermanentWidget(self, widget, stretch=0):
        self._watch(widget)
        super(ElidingStatusBar, self).addPermanentWidget(widget, stretch)

    def insertPermanentWidget(self, index, widget, stretch=0):
        self._watch(widget)
        return super(ElidingStatusBar, self).insertPermanentWidget(index, widget, stretch)

    def _watch(self, widget):
        self._permanent.append(widget)
        widget.installEventFilter(self)

    def eventFilter(self, watched, event):
        if event.type() in _ROOM_CHANGES:
            self._recut()
        return False

    def full_message(self):
        return self._full if self.currentMessage() else ""

    def message_width(self):
        """The width QStatusBar paints a temporary message in."""
        right = self.width() - _RIGHT
        grip = [w for w in self.children() if w.metaObject().className() == "QSizeGrip" and w.isVisible()]
        if grip:
            right = min(right, grip[0].x())
        visible = [w.x() - _GAP for w in self._permanent if w.isVisible()]
        if visible:
            right = min(right, min(visible))
        return max(0, right - _LEFT)

    def showMessage(self, text, timeout=0):
        self._full = text
        self._deadline = time.monotonic() + timeout / 1000.0 if timeout > 0 else None
        self._show(timeout)

    def _show(self, timeout):
        self._shown = self.fontMetrics().elidedText(self._full, Qt.ElideRight, self.message_width())
        super(ElidingStatusBar, self).showMessage(self._shown, timeout)
        self.setToolTip(self._full if self._shown != self._full else "")

    def _forget(self, message):
        if message != self._shown:  # cleared, or its time ran out
            self._full, self._shown, self._deadline = "", "", None
            self.setToolTip("")

    def resizeEvent(self, event):
        super(ElidingStatusBar, self).resizeEvent(event)
        self._recut()

    def _recut(self):
        if self._full and self.currentMessage() == self._shown:
            left = 0
            if self._deadline is not None:
                left = int((self._deadline - time.monotonic()) * 1000)
                if left <= 0:
                    return
            self._show(left)
