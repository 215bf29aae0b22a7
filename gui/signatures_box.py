"""A SavedModel's signature_defs under the outputs: name, inputs → outputs, and "Use signature outputs"."""

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from core import api


def _specs(specs):
    return ", ".join("%s=%s" % (s.key, s.tensor) for s in specs)


def signature_text(signature):
    """'predict: x=features:0 → classes=classes:0, probs=probs:0'."""
    return "%s: %s → %s" % (signature.name, _specs(signature.inputs), _specs(signature.outputs))


def signature_tooltip(signature):
    lines = [signature.name, signature.method or ""]
    for title, specs in (("inputs", signature.inputs), ("outputs", signature.outputs)):
        lines.append(title + ":")
        lines.extend("  %s  %s  %s %s" % (s.key, s.tensor, s.dtype, api.shape_text(s.shape)) for s in specs)
    return "\n".join(line for line in lines if line)


class SignaturesBox(QWidget):
    """Lists the loaded model's signatures; hidden when it has none.

    Signals:
        use(str): "Use signature outputs" for the signature of that name.
    """

    use = pyqtSignal(str)

    def __init__(self, parent=None):
        super(SignaturesBox, self).__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.title = QLabel("<b>Signatures</b>")
        self.use_button = QPushButton("Use signature outputs")
        self.use_button.setToolTip("Tick the selected signature's outputs and cut at its inputs that are not "
                                   "placeholders (as freeze --signature does)")
        row.addWidget(self.title, 1)
        row.addWidget(self.use_button)
        self.list = QListWidget()
        self.list.setMaximumHeight(80)
        layout.addLayout(row)
        layout.addWidget(self.list)
        self.use_button.clicked.connect(lambda: self.current() and self.use.emit(self.current()))
        self.list.itemDoubleClicked.connect(lambda item: self.use.emit(item.data(Qt.UserRole)))
        self.set_signatures({})

    def set_signatures(self, signatures):
        """Shows ``signatures`` (name -> Signature, the first selected)."""
        self.list.clear()
        for name, signature in signatures.items():
            item = QListWidgetItem(signature_text(signature))
            item.setData(Qt.UserRole, name)
            item.setToolTip(signature_tooltip(signature))
            self.list.addItem(item)
        if signatures:
            self.list.setCurrentRow(0)
        self.title.setText("<b>Signatures</b> (%d)" % len(signatures))
        self.setVisible(bool(signatures))

    def current(self):
        item = self.list.currentItem()
        return item.data(Qt.UserRole) if item is not None else None


def use_signature(window, name=None):
    """Ticks the outputs of signature ``name`` (the selected one by default) and adds its non-placeholder
    inputs as input cuts; says so in the status bar."""
    if window.loaded is None:
        return False
    signatures = window.loaded.model.signatures
    name = name or window.signatures.current()
    if name not in signatures:
        return False
    signature = signatures[name]
    cuts = api.signature_cuts(window.loaded, signature)
    with window.session.batch():
        window.session.set_outputs(signature.output_nodes)
        window.session.set_cuts(cuts)
    for node in signature.output_nodes:
        window._expand_to(node)
    window.statusBar().showMessage("Signature %s: %d output%s ticked%s" % (
        name, len(signature.output_nodes), "" if len(signature.output_nodes) == 1 else "s",
        ", cut at %s" % ", ".join(cuts) if cuts else ""), 6000)
    return True
