"""The notice bar above the tree: errors and notes, wrapped in full, until dismissed or the next action."""

import logging

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton

from gui.colours import Colours

log = logging.getLogger(__name__)


MAX_ERROR_CHARS = 400


def one_line(text):
    """An error as one line: line breaks and escaped quotes from the file's text made plain, and cut short."""
    text = " ".join(part.strip() for part in text.splitlines() if part.strip())
    text = text.replace("\\'", "'").replace('\\"', '"')
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS - 1] + "…"


class NoticeBar(QFrame):
    """A dismissable message: kind "error" or "info"; the text is selectable and never cut off."""

    def __init__(self, parent=None):
        super(NoticeBar, self).__init__(parent)
        self.setObjectName("notice")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.clear)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignTop)
        self.kind = None
        self.hide()

    def text(self):
        return self.label.text()

    def show_message(self, text, kind="info"):
        """Shows ``text`` (kind "error", "info" or "good"); an error is one line, the rest in the tooltip and log."""
        if kind == "error":
            log.error("%s", text)
        self.kind = kind
        self.label.setText(one_line(text) if kind == "error" else text)
        self.label.setToolTip(text if kind == "error" else "")
        self.recolour()
        self.show()

    def recolour(self):
        """The notice's colours from the current palette (after a theme change too)."""
        if self.kind is not None:
            self.setStyleSheet("QFrame#notice{%s}" % Colours(self.palette()).css(self.kind))

    def clear(self):
        self.kind = None
        self.label.setText("")
        self.hide()
