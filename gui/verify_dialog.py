"""The verification results: a table per output, coloured pass/fail from the palette."""

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QBrush
from PyQt5.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout

from gui.colours import Colours


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
        colours = Colours(self.palette())
        self.table = QTableWidget(len(report.outputs), 6)
        self.table.setHorizontalHeaderLabels(["Output", "dtype", "shape", "max abs diff", "max rel diff", "result"])
        for row, check in enumerate(report.outputs):
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
