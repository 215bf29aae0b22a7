"""The "Selected outputs" panel: ticked outputs, copy as a comma list, suggested outputs, freeze."""

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (QApplication, QCheckBox, QHBoxLayout, QLabel, QListWidget, QPushButton,
                             QVBoxLayout, QWidget)


class OutputsPanel(QWidget):
    """Lists the ticked outputs and offers the actions on them.

    Signals:
        remove(str), use_suggested(), freeze(), verify(), navigate(str)
    """

    remove = pyqtSignal(str)
    use_suggested = pyqtSignal()
    freeze = pyqtSignal()
    verify = pyqtSignal()
    navigate = pyqtSignal(str)

    def __init__(self, parent=None):
        super(OutputsPanel, self).__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.title = QLabel("<b>Selected outputs</b>")
        self.list = QListWidget()
        self.list.setSelectionMode(QListWidget.ExtendedSelection)
        self.list.itemDoubleClicked.connect(lambda item: self.navigate.emit(item.text()))
        buttons = QHBoxLayout()
        self.suggest_button = QPushButton("Use suggested outputs")
        self.suggest_button.setToolTip("Tick the suggested outputs: one form of each prediction the model makes")
        self.remove_button = QPushButton("Remove")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy as the comma-separated list freeze_graph takes")
        buttons.addWidget(self.suggest_button)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.copy_button)
        self.cuts_label = QLabel("")
        self.cuts_label.setWordWrap(True)
        self.cuts_label.setToolTip("Right-click an op in the tree: Cut here as an input")
        self.cuts_label.hide()
        self.inference_mode = QCheckBox("Inference mode (fix training switches to their defaults)")
        self.inference_mode.setChecked(True)
        self.keep_devices = QCheckBox("Keep device placements")
        actions = QHBoxLayout()
        self.freeze_button = QPushButton("Freeze…")
        self.freeze_button.setDefault(True)
        self.verify_button = QPushButton("Verify")
        self.verify_button.setToolTip("Run checkpoint and frozen graph in TensorFlow and compare")
        self.verify_button.setEnabled(False)
        actions.addWidget(self.freeze_button)
        actions.addWidget(self.verify_button)
        for widget in (self.title, self.list):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addWidget(self.cuts_label)
        layout.addWidget(self.inference_mode)
        layout.addWidget(self.keep_devices)
        self._options_at = layout.count()
        layout.addLayout(actions)
        self.suggest_button.clicked.connect(self.use_suggested)
        self.remove_button.clicked.connect(self._remove_selected)
        self.copy_button.clicked.connect(self.copy)
        self.freeze_button.clicked.connect(self.freeze)
        self.verify_button.clicked.connect(self.verify)
        self.set_outputs([])

    def add_options(self, widget):
        """Adds a freeze option widget (the target runtime) above the Freeze button."""
        self.layout().insertWidget(self._options_at, widget)
        self._options_at += 1

    def set_outputs(self, names):
        self.list.clear()
        self.list.addItems(names)
        self.title.setText("<b>Selected outputs</b> (%d)" % len(names))
        self.remove_button.setEnabled(bool(names))
        self.copy_button.setEnabled(bool(names))
        self.freeze_button.setEnabled(bool(names))

    def set_cuts(self, tensors):
        """Shows the input cuts (tensor names) the freeze will make."""
        self.cuts_label.setText("<b>Input cuts</b> (become placeholders): %s" % ", ".join(tensors))
        self.cuts_label.setVisible(bool(tensors))

    def outputs(self):
        return [self.list.item(i).text() for i in range(self.list.count())]

    def comma_list(self):
        return ",".join(self.outputs())

    def copy(self):
        QApplication.clipboard().setText(self.comma_list())

    def _remove_selected(self):
        items = self.list.selectedItems() or ([self.list.currentItem()] if self.list.currentItem() else [])
        for item in items:
            self.remove.emit(item.text())

    def keyPressEvent(self, event):
        if event.key() in (Qt.Key_Delete, Qt.Key_Backspace):
            self._remove_selected()
            return
        super(OutputsPanel, self).keyPressEvent(event)
