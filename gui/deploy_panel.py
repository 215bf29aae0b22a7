"""The Deploy panel: targets with their live readiness, input shapes, Run, a line per target, the results."""

import logging
import os

from PyQt5.QtCore import QUrl, Qt
from PyQt5.QtGui import QDesktopServices
from PyQt5.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QGridLayout, QHBoxLayout, QLabel,
                             QLineEdit, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout)

from core import api
from gui.worker import Worker

log = logging.getLogger(__name__)
LABELS = {"tflite": "TFLite", "onnx": "ONNX (onnxruntime)", "openvino": "OpenVINO", "opencv": "OpenCV DNN"}
COLUMNS = ("Target", "Status", "Max abs diff", "Files / reason")


class DeployPanel(QDialog):
    """Deploys the window's ticked outputs (and its input cuts) with core.api.deploy in a worker thread;
    TensorFlow and the converters run in the core's child processes, never here."""

    def __init__(self, window):
        super(DeployPanel, self).__init__(window)
        self.window = window
        self.setWindowTitle("Deploy — tf1freeze")
        self.worker = None
        self.readiness_worker = None
        self.running = False
        self._retired = []  # readiness checks the outputs outdated, kept until their threads end
        self.report = None
        self.outputs = list(window.tree_model.checked) if window.tree_model is not None else []
        layout = QVBoxLayout(self)
        self.outputs_label = QLabel(self._outputs_text())
        self.outputs_label.setWordWrap(True)
        layout.addWidget(self.outputs_label)
        layout.addLayout(self._targets_grid())
        self.shapes = QLineEdit()
        self.shapes.setPlaceholderText("input shapes, e.g. images=1,224,224,3; mask=1,10 (optional)")
        layout.addWidget(self.shapes)
        layout.addLayout(self._folder_row())
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        buttons = QDialogButtonBox()
        self.run_button = buttons.addButton("Run", QDialogButtonBox.AcceptRole)
        self.open_button = buttons.addButton("Open folder", QDialogButtonBox.ActionRole)
        self.close_button = buttons.addButton(QDialogButtonBox.Close)
        self.run_button.clicked.connect(self.run)
        self.open_button.clicked.connect(self.open_folder)
        self.close_button.clicked.connect(self.close)
        self.open_button.setEnabled(False)
        self.run_button.setEnabled(bool(self.outputs))
        layout.addWidget(buttons)
        self.resize(900, 520)
        if window.tree_model is not None:  # the panel follows the outputs ticked in the window meanwhile
            window.tree_model.checked_changed.connect(self._outputs_changed)
        self.check_readiness()

    def _outputs_text(self):
        return "Outputs: %s" % (", ".join(self.outputs) or "none ticked (tick them in the tree)")

    def _outputs_changed(self):
        outputs = list(self.window.tree_model.checked) if self.window.tree_model is not None else []
        if outputs == self.outputs:
            return
        self.outputs = outputs
        self.outputs_label.setText(self._outputs_text())
        self.run_button.setEnabled(bool(outputs) and not self.running)
        self.check_readiness()

    def _targets_grid(self):
        grid = QGridLayout()
        self.boxes, self.ready, self.lines = {}, {}, {}
        for row, target in enumerate(api.DEPLOY_TARGETS):
            self.boxes[target] = QCheckBox(LABELS[target])
            self.boxes[target].setChecked(True)
            self.ready[target] = QLabel("checking…")
            self.ready[target].setWordWrap(True)  # a refusal or an install line is one long line
            self.lines[target] = QLabel("")
            # the step (waiting, converting, ok) next to the target; readiness takes the rest of the width
            for column, widget in enumerate((self.boxes[target], self.lines[target], self.ready[target])):
                grid.addWidget(widget, row, column)
        grid.setColumnMinimumWidth(1, 90)
        grid.setColumnStretch(2, 1)
        return grid

    def _folder_row(self):
        row = QHBoxLayout()
        model = self.window.loaded.model if self.window.loaded is not None else None
        self.folder = QLineEdit(os.path.join(model.location.folder, "deploy") if model is not None else "")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(QLabel("Folder:"))
        row.addWidget(self.folder)
        row.addWidget(browse)
        return row

    def _browse(self):
        folder = QFileDialog.getExistingDirectory(self, "Deploy into", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def request(self):
        """The DeployRequest the panel describes (ModelError on a malformed shape)."""
        shapes = dict(api.parse_shape(t) for t in self.shapes.text().replace(";", " ").split() if t.strip())
        return api.DeployRequest(self.outputs, [t for t in api.DEPLOY_TARGETS if self.boxes[t].isChecked()],
                                 directory=self.folder.text() or None, input_cuts=list(self.window.freezer.cuts),
                                 shapes=shapes)

    def check_readiness(self):
        """Which targets will work and why not, as deploy decides it: the deploy Python's packages (asked
        once per Python, in a child) and the shipped op lists (in a worker: it freezes in memory)."""
        if not self.outputs or self.window.loaded is None:
            for label in self.ready.values():
                label.setText("tick the outputs to deploy first")
            return
        try:
            request = self.request()
        except api.ModelError as exc:
            for label in self.ready.values():
                label.setText(str(exc))
            return
        for label in self.ready.values():
            label.setText("checking…")
        worker = Worker(lambda progress=None, cancel=None: api.deploy_readiness(self.window.loaded, request))
        worker.finished.connect(lambda found, worker=worker: self._show_readiness(found, worker))
        worker.failed.connect(lambda message: [l.setText(message) for l in self.ready.values()])
        if self.readiness_worker is not None:
            self._retired.append(self.readiness_worker)
            self.readiness_worker.thread_finished.connect(
                lambda old=self.readiness_worker: self._retired.remove(old) if old in self._retired else None)
        self.readiness_worker = worker
        worker.start()

    def _show_readiness(self, found, worker=None):
        if worker is not None and worker is not self.readiness_worker:
            return  # the outputs changed since: a newer check is coming
        for target, reason in found.items():
            self.ready[target].setText("ready" if not reason else reason)
            self.ready[target].setToolTip(reason or "every op and dtype is one its converter takes")

    def run(self):
        try:
            request = self.request()
        except api.ModelError as exc:
            self.summary.setText(str(exc))
            return
        if not request.targets:
            self.summary.setText("Tick at least one target.")
            return
        self.table.setRowCount(0)
        self.run_button.setEnabled(False)
        self.running = True
        for target in request.targets:
            self.lines[target].setText("waiting")
        self.summary.setText("freezing for inference…")
        self.worker = Worker(api.deploy, self.window.loaded, request)
        self.worker.progress.connect(self._progress)
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(self._failed)
        self.worker.done.connect(self._run_done)
        self.worker.start()

    def _run_done(self):
        self.running = False
        self.run_button.setEnabled(bool(self.outputs))

    def _progress(self, done, total, message):
        target, _, text = message.partition(": ")
        if target in self.lines and text:
            self.lines[target].setText(text)
            self.summary.setText("%s: %s" % (LABELS[target], text))
        else:
            self.summary.setText(message)

    def _failed(self, message):
        self.summary.setText("Deploy failed: %s" % message)

    def _finished(self, report):
        self.report = report
        self.table.setRowCount(len(report.targets))
        for row, (target, result) in enumerate(report.targets.items()):
            diff = "" if result.max_abs_diff is None else "%.3g" % result.max_abs_diff
            detail = ", ".join(os.path.basename(p) for p in result.paths) if result.ok else result.reason
            for column, text in enumerate((LABELS[target], result.status, diff, detail)):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemIsEditable)
                item.setToolTip("\n".join(result.paths + result.dtype_changes) or result.reason)
                self.table.setItem(row, column, item)
            self.lines[target].setText(result.status)
        for column in range(len(COLUMNS) - 1):  # the last one (files / reason) keeps the rest of the width
            self.table.resizeColumnToContents(column)
        kept = ", ".join("%s (%s)" % (name, note) for name, note, ok, _ in report.cleanups if ok)
        self.summary.setText("Layout %s; clean-ups: %s; checked against TensorFlow %s in %s" % (
            report.layout or "none", kept or "none", report.tensorflow, report.directory))
        self.open_button.setEnabled(True)

    def open_folder(self):
        folder = self.report.directory if self.report is not None else self.folder.text()
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(folder)):
            self.summary.setText("No file manager could be opened here; the artifacts are in %s" % folder)

    def closeEvent(self, event):
        for worker in [self.worker, self.readiness_worker] + self._retired:
            if worker is not None:
                worker.cancel()
                worker.wait()
        super(DeployPanel, self).closeEvent(event)


def open_for(window):
    """Opens the Deploy panel on the window's model and ticked outputs (the menu's hook)."""
    panel = DeployPanel(window)
    panel.setModal(False)
    panel.show()
    window.deploy_panel = panel
    return panel
