"""The search row: query box (debounced), match count, and the query's error in words."""

from PyQt5.QtCore import QEvent, QTimer, Qt, pyqtSignal
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

DEBOUNCE_MS = 200


class SearchBar(QWidget):
    """Emits ``query(str)`` 200 ms after typing stops (the tree filters; the selection stays),
    ``activated(str)`` on Return (go to the first match) and ``escaped()`` on Escape."""

    query = pyqtSignal(str)
    activated = pyqtSignal(str)
    escaped = pyqtSignal()

    def __init__(self, parent=None):
        super(SearchBar, self).__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("Search: terms glob* /regex/ op:Relu (Ctrl+F)")
        self.edit.setClearButtonEnabled(True)
        self.edit.setToolTip("All terms match (case-insensitive); glob*, /regular expression/, op:Type. "
                             "Typing filters the tree; Return goes to the first match; Escape clears")
        self.edit.installEventFilter(self)
        self.match_label = QLabel("")
        self.match_label.setMinimumWidth(90)
        self.match_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setObjectName("query_error")
        self.error_label.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.match_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.error_label)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.fire)
        self.edit.textChanged.connect(lambda _: self.timer.start())
        self.edit.returnPressed.connect(self._activate)

    def text(self):
        return self.edit.text().strip()

    def fire(self):
        self.timer.stop()
        self.query.emit(self.text())

    def _activate(self):
        self.timer.stop()
        self.activated.emit(self.text())

    def clear_silently(self):
        """Empties the box without running a search."""
        self.edit.blockSignals(True)
        self.edit.clear()
        self.edit.blockSignals(False)
        self.timer.stop()
        self.show_count(None)

    def show_count(self, count):
        self.error_label.hide()
        self.match_label.setText("" if count is None else "%d match%s" % (count, "" if count == 1 else "es"))

    def show_error(self, message):
        self.match_label.setText("bad query")
        self.error_label.setText(message)
        self.error_label.show()

    def eventFilter(self, watched, event):
        if watched is self.edit and event.type() == QEvent.KeyPress and event.key() == Qt.Key_Escape:
            self.edit.clear()
            self.fire()
            self.escaped.emit()
            return True
        return super(SearchBar, self).eventFilter(watched, event)
