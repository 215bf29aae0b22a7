"""The freeze panel: the ticked outputs (also typed or pasted as a list), input cuts, options, Freeze and Verify."""

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (QApplication, QCheckBox, QComboBox, QFrame, QHBoxLayout, QLabel, QLineEdit,
                             QListWidget, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget)


class OutputsPanel(QWidget):
    """Lists the session's outputs and offers the actions on them; the options scroll when space is short,
    the Freeze and Verify buttons (``actions``) stay outside the scrolling part.

    Signals:
        remove(str), use_suggested(), freeze(), verify(), navigate(str), typed(str): a list typed or pasted
    """

    remove = pyqtSignal(str)
    use_suggested = pyqtSignal()
    freeze = pyqtSignal()
    verify = pyqtSignal()
    navigate = pyqtSignal(str)
    typed = pyqtSignal(str)
    use_cuts = pyqtSignal()

    def __init__(self, parent=None):
        super(OutputsPanel, self).__init__(parent)
        self.title = QLabel("<b>Selected outputs</b>")
        self.list = QListWidget()
        self.list.setSelectionMode(QListWidget.ExtendedSelection)
        self.list.setMinimumHeight(48)
        self.list.setMaximumHeight(self.fontMetrics().height() * 7)  # the options below stay in view
        self.list.itemDoubleClicked.connect(lambda item: self.navigate.emit(item.text()))
        self.entry = QLineEdit()
        self.entry.setPlaceholderText("Type or paste outputs: name,name:0,…  (Return)")
        self.entry.setToolTip("The comma-separated list --outputs takes; Return ticks exactly these outputs")
        self.entry.returnPressed.connect(lambda: self.typed.emit(self.entry.text()))
        self.suggest_button = QPushButton("Use suggested outputs")
        self.suggest_button.setToolTip("Tick the suggested outputs: one form of each prediction the model makes")
        self.remove_button = QPushButton("Remove")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy as the comma-separated list freeze_graph takes (Ctrl+Shift+C)")
        self.cuts_label = QLabel("")
        self.cuts_label.setWordWrap(True)
        self.cuts_label.setToolTip("Right-click an op in the tree: Cut at NAME:K as an input")
        self.cuts_label.hide()
        self.pipeline_label = QLabel("")
        self.pipeline_label.setWordWrap(True)
        self.pipeline_button = QPushButton("Cut there")
        self.pipeline_button.setToolTip("Replace each input-pipeline tensor by a Placeholder, so the frozen graph "
                                        "is fed directly (as freeze --inputs)")
        self.pipeline_button.clicked.connect(self.use_cuts)
        self.inference_mode = QCheckBox("Inference mode")
        self.inference_mode.setToolTip("Fix training switches (is_training, …) to their defaults so the dead "
                                       "cond branches fall away")
        self.keep_devices = QCheckBox("Keep device placements")
        self.saver_label = QLabel("Saver:")
        self.saver_combo = QComboBox()
        self.saver_combo.setToolTip("The saver whose restore ops map checkpoint keys to variables (an "
                                    "ExponentialMovingAverage saver restores the averages)")
        self.init_missing = QCheckBox("Initialise missing variables")
        self.init_missing.setToolTip("Variables the checkpoint lacks get their initializer's value (zeros, ones, "
                                     "a constant); otherwise the freeze refuses them")
        self.freeze_button = QPushButton("Freeze…")
        self.freeze_button.setDefault(True)
        self.freeze_button.setToolTip("Write the frozen graph (Ctrl+S)")
        self.verify_button = QPushButton("Verify")
        self.verify_button.setToolTip("Run checkpoint and frozen graph in TensorFlow and compare")
        self.verify_button.setEnabled(False)
        self._layout()
        self.suggest_button.clicked.connect(self.use_suggested)
        self.remove_button.clicked.connect(self._remove_selected)
        self.copy_button.clicked.connect(self.copy)
        self.freeze_button.clicked.connect(self.freeze)
        self.verify_button.clicked.connect(self.verify)
        self.set_outputs([])
        self.set_savers([], None)
        self.set_missing([])
        self.set_pipeline([])

    def _layout(self):
        content = QWidget()
        self.options = QVBoxLayout(content)
        self.options.setContentsMargins(4, 4, 4, 4)
        buttons = QHBoxLayout()
        for button in (self.suggest_button, self.remove_button, self.copy_button):
            buttons.addWidget(button)
        checks = QHBoxLayout()
        checks.addWidget(self.inference_mode)
        checks.addWidget(self.keep_devices)
        checks.addStretch(1)
        saver = QHBoxLayout()
        saver.addWidget(self.saver_label)
        saver.addWidget(self.saver_combo, 1)
        for widget in (self.title, self.list, self.entry):
            self.options.addWidget(widget)
        for row in (buttons, ):
            self.options.addLayout(row)
        self.pipeline = QWidget()
        pipeline = QHBoxLayout(self.pipeline)
        pipeline.setContentsMargins(0, 0, 0, 0)
        pipeline.addWidget(self.pipeline_label, 1)
        pipeline.addWidget(self.pipeline_button, 0, Qt.AlignTop)
        self.options.addWidget(self.pipeline)
        self.options.addWidget(self.cuts_label)
        self.options.addLayout(checks)
        self.options.addLayout(saver)
        self.options.addWidget(self.init_missing)
        self._options_at = self.options.count()
        self.options.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidget(content)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.actions = QWidget()
        row = QHBoxLayout(self.actions)
        row.setContentsMargins(4, 2, 4, 2)
        row.addWidget(self.freeze_button)
        row.addWidget(self.verify_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.actions)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Expanding)

    def add_options(self, widget):
        """Adds a freeze option widget (signatures, the target runtime) below the options."""
        self.options.insertWidget(self._options_at, widget)
        self._options_at += 1

    def content_width(self):
        """The width the panel needs so no row is cut (its widest row, the scroll bar and margins)."""
        widest = max(self.scroll.widget().minimumSizeHint().width(), self.actions.minimumSizeHint().width())
        return widest + self.scroll.verticalScrollBar().sizeHint().width() + 4

    def set_outputs(self, names):
        self.list.clear()
        self.list.addItems(names)
        self.title.setText("<b>Selected outputs</b> (%d)" % len(names))
        self.remove_button.setEnabled(bool(names))
        self.copy_button.setEnabled(bool(names))
        if not self.entry.hasFocus():
            self.entry.setText(",".join(names))

    def set_cuts(self, tensors):
        """Shows the input cuts (tensor names) the freeze will make."""
        self.cuts_label.setText("<b>Input cuts</b> (%d, become placeholders): %s" % (len(tensors), ", ".join(tensors)))
        self.cuts_label.setVisible(bool(tensors))
        suggested = getattr(self, "_pipeline_names", [])
        done = bool(suggested) and set(suggested) <= set(tensors)
        self.pipeline_button.setEnabled(not done)  # every suggested tensor is cut already

    def set_pipeline(self, suggestions):
        """Shows the input-pipeline tensors worth cutting at (api.suggest_cuts items), or hides the row."""
        names = self._pipeline_names = [s.name for s in suggestions]
        self.pipeline_button.setEnabled(True)
        self.pipeline_label.setText("<b>Input pipeline</b>: the model reads %s; cut there to feed it"
                                    % ", ".join(names[:6] + (["…"] if len(names) > 6 else [])))
        self.pipeline_label.setToolTip("\n".join("%s  %s %s: %s" % (s.name, s.dtype, s.shape, s.reason)
                                                 for s in suggestions))
        self.pipeline.setVisible(bool(suggestions))

    def set_savers(self, savers, chosen):
        """Offers the graph's savers (api.savers items); hidden when there is at most one."""
        self.saver_combo.blockSignals(True)
        self.saver_combo.clear()
        for saver in savers:
            text = "%s (%d variables%s)" % (saver.name, saver.variable_count,
                                             ", moving averages" if saver.restores_moving_averages else "")
            self.saver_combo.addItem(text + (" — default" if saver.is_default else ""),
                                     "" if saver.is_default else saver.name)
        index = self.saver_combo.findData(chosen or "")
        self.saver_combo.setCurrentIndex(max(0, index))
        self.saver_combo.blockSignals(False)
        for widget in (self.saver_label, self.saver_combo):
            widget.setVisible(len(savers) > 1)

    def set_missing(self, missing):
        """Shows "Initialise N missing variables" when the outputs need variables nothing restores
        (api.missing_variables items: name, initializer, reason), with each in the tooltip."""
        count = len(missing)
        self.init_missing.setText("Initialise %d missing variable%s" % (count, "" if count == 1 else "s"))
        self.init_missing.setToolTip("Nothing restores %s. Ticked, each gets its initializer's value when that "
                                     "is computable without TensorFlow (zeros, ones, a constant, fill); otherwise "
                                     "the freeze refuses them.\n%s" % (
                                         "these variables" if count != 1 else "this variable",
                                         "\n".join("%s: %s" % (m.name, m.initializer or "not computable")
                                                    for m in missing[:12])))
        self.init_missing.setVisible(count > 0)

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
        if event.key() in (Qt.Key_Delete, Qt.Key_Backspace) and self.list.hasFocus():
            self._remove_selected()
            return
        super(OutputsPanel, self).keyPressEvent(event)
