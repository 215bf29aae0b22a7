"""The verification results: what was compared with what, then a table per output, coloured from the palette."""

import os

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QBrush
from PyQt5.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout

from gui.colours import Colours


def verdict_text(result, has_checkpoint):
    """'All 2 outputs match the checkpoint' (or the source graph, for a source without one)."""
    source = "the checkpoint" if has_checkpoint else "the source graph"
    count = len(result.outputs)
    if result.passed:
        return ("The output matches %s" % source if count == 1
                else "All %d outputs match %s" % (count, source))
    failed = sum(1 for c in result.outputs if not c.passed)
    return "The frozen graph DIFFERS from %s on %d of %d output%s" % (source, failed, count, "" if count == 1 else "s")


def inputs_text(result):
    if not result.inputs_used:
        return "no inputs fed"
    return "inputs fed: " + ", ".join("%s %s%s" % (k, v[0], v[1]) for k, v in sorted(result.inputs_used.items()))


class VerifyDialog(QDialog):
    """Per output: dtype, shape, max abs/rel difference and pass/fail, coloured.

    Args:
        result: gui.verify_process.VerifyResult; loaded: the window's model; report: the FreezeReport verified.
    """

    def __init__(self, result, loaded, report, parent=None):
        super(VerifyDialog, self).__init__(parent)
        self.setWindowTitle("Verification")
        self.resize(760, 300)
        layout = QVBoxLayout(self)
        has_checkpoint = loaded is not None and loaded.model.checkpoint is not None
        self.verdict = QLabel("<b>%s</b>" % verdict_text(result, has_checkpoint))
        frozen = os.path.basename(report.destination) if report is not None else "the frozen graph"
        details = QLabel("TensorFlow %s ran %s and %s side by side; %s." % (
            result.tensorflow_version, frozen, "the checkpoint" if has_checkpoint else "the source graph",
            inputs_text(result)))
        for label in (self.verdict, details):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
            layout.addWidget(label)
        colours = Colours(self.palette())
        self.table = QTableWidget(len(result.outputs), 6)
        self.table.setHorizontalHeaderLabels(["Output", "dtype", "shape", "max abs diff", "max rel diff", "result"])
        for row, check in enumerate(result.outputs):
            cells = [check.name, check.dtype, str(check.shape), "%.3g" % check.max_abs_diff,
                     "%.3g" % check.max_rel_diff, "ok" if check.passed else "differs: " + check.message]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable)
                item.setBackground(QBrush(colours.good if check.passed else colours.bad))
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
