"""The window's core FreezeSession as a Qt signal, and widgets bound to its fields both ways."""

from PyQt5.QtCore import QObject, pyqtSignal


class SessionSignals(QObject):
    """Re-emits a core api.FreezeSession's changes as ``changed(frozenset of field names)``.

    Attributes:
        session: the api.FreezeSession every panel of the window writes into and redraws from.
    """

    changed = pyqtSignal(object)

    def __init__(self, session, parent=None):
        super(SessionSignals, self).__init__(parent)
        self.session = session
        self._unsubscribe = session.subscribe(self.changed.emit)

    def detach(self):
        self._unsubscribe()


def bind_checkbox(checkbox, signals, field):
    """Keeps ``checkbox`` and the session's boolean option ``field`` equal, whichever changes."""
    session = signals.session
    checkbox.setChecked(bool(getattr(session, field)))
    checkbox.toggled.connect(lambda checked: session.set_option(field, checked))

    def redraw(changed):
        if field in changed and checkbox.isChecked() != bool(getattr(session, field)):
            checkbox.blockSignals(True)
            checkbox.setChecked(bool(getattr(session, field)))
            checkbox.blockSignals(False)
    signals.changed.connect(redraw)


def bind_combo(combo, signals, field):
    """Keeps ``combo``'s current item data and the session's option ``field`` equal."""
    session = signals.session

    def redraw(changed=frozenset([field])):
        if field not in changed:
            return
        index = combo.findData(getattr(session, field))
        if index >= 0 and index != combo.currentIndex():
            combo.blockSignals(True)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)
    redraw()
    combo.currentIndexChanged.connect(lambda _: session.set_option(field, combo.currentData()))
    signals.changed.connect(redraw)
