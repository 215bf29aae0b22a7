"""The legend under the tree: what each star colour and mark means."""

from PyQt5.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from gui import icons
from gui.colours import Colours

ENTRIES = [
    ("tail-Softmax", "Softmax"), ("tail-Sigmoid", "Sigmoid"), ("tail-BiasAdd", "BiasAdd"),
    ("tail-Relu", "Relu"), ("tail-other", "other"), ("input", "input"), ("variable", "variable"),
]


class Legend(QWidget):
    """A row of icons with words: the stars are candidate outputs, coloured by the op they end in."""

    def __init__(self, parent=None):
        super(Legend, self).__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)
        layout.setSpacing(4)
        title = QLabel("Outputs ending in")
        layout.addWidget(title)
        self.labels = {}
        for kind, text in ENTRIES:
            if kind == "input":
                layout.addSpacing(10)
            icon = QLabel()
            icon.setPixmap(icons.icon(kind).pixmap(14, 14))
            layout.addWidget(icon)
            label = QLabel(text)
            layout.addWidget(label)
            self.labels[kind] = label
        dim = QLabel("training (dim)")
        dim.setStyleSheet("color:%s" % Colours(self.palette()).dim.name())
        layout.addSpacing(10)
        layout.addWidget(dim)
        layout.addStretch(1)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.setToolTip("Stars mark the ranked candidate outputs; the top three have a stronger green row. "
                        "Hover a node for the reasons.")
