"""The verification results: a table per output (green/red) run from the window in a worker."""

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QBrush, QColor
from PyQt5.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout

from core import api
from gui.worker import Worker

PASS = QColor("#e6f4ea")
FAIL = QColor("#fce8e6")


def _verify(model, frozen, outputs, switch_values, progress=None, cancel=None):
    return api.verify(model, frozen, outputs, switch_values=switch_values, progress=progress, cancel=cancel)


def run_verification(window):
    """Verifies the window's last frozen graph against its checkpoint in a worker thread."""
    if not api.tensorflow_available():
        window.show_error("Verification needs TensorFlow, which is not installed here. Install it with "
                          "'%s'; everything else works without it." % api.install_hint())
        return
    report = window.last_freeze
    worker = Worker(_verify, window.loaded.model, report.destination, report.outputs, report.fixed)
    window.status_model.setText("Verifying %s …" % report.destination)

    def finished(result):
        window.status_model.setText("Verification %s" % ("passed" if result.passed else "FAILED"))
        dialog = VerifyDialog(result, window)
        dialog.show()
        window.verify_dialog = dialog
        window.verify_finished.emit(result)

    window._start(worker, "verify", finished, lambda message: window.show_error("Verification failed: %s" % message))


class VerifyDialog(QDialog):
    """Per output: dtype, shape, max abs/rel difference and pass/fail, coloured."""

    def __init__(self, report, parent=None):
        super(VerifyDialog, self).__init__(parent)
        self.setWindowTitle("Verification")
        self.resize(760, 300)
        layout = QVBoxLayout(self)
        verdict = "All outputs match the checkpoint" if report.passed else "The frozen graph DIFFERS from the checkpoint"
        label = QLabel("<b>%s</b> (TensorFlow %s; inputs: %s)" % (
            verdict, report.tensorflow_version,
            ", ".join("%s %s%s" % (k, v[0], v[1]) for k, v in sorted(report.inputs_used.items()))))
        label.setWordWrap(True)
        layout.addWidget(label)
        self.table = QTableWidget(len(report.outputs), 6)
        self.table.setHorizontalHeaderLabels(["Output", "dtype", "shape", "max abs diff", "max rel diff", "result"])
        for row, check in enumerate(report.outputs):
            cells = [check.name, check.dtype, str(check.shape), "%.3g" % check.max_abs_diff,
                     "%.3g" % check.max_rel_diff, "ok" if check.passed else "differs: " + check.message]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable)
                item.setBackground(QBrush(PASS if check.passed else FAIL))
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
