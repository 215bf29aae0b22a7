"""The notice bar above the tree: errors and notes, wrapped in full, until dismissed or the next action."""

import logging

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton

from gui.colours import Colours

log = logging.getLogger(__name__)


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
        if kind == "error":
            log.error("%s", text)
        self.kind = kind
        self.label.setText(text)
        self.setStyleSheet("QFrame#notice{%s}" % Colours(self.palette()).css(kind))
        self.show()

    def clear(self):
        self.kind = None
        self.label.setText("")
        self.hide()
