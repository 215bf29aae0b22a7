"""The log panel: everything logged (core, gui, Qt's own messages), with details users never see in dialogs."""

import logging

from PyQt5.QtCore import QObject, QtMsgType, pyqtSignal, qInstallMessageHandler
from PyQt5.QtWidgets import QPlainTextEdit

_QT_LEVELS = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtWarningMsg: logging.WARNING,
              QtMsgType.QtCriticalMsg: logging.ERROR, QtMsgType.QtFatalMsg: logging.CRITICAL}
if hasattr(QtMsgType, "QtInfoMsg"):
    _QT_LEVELS[QtMsgType.QtInfoMsg] = logging.INFO


def route_qt_messages():
    """Sends Qt's own warnings into logging (logger "qt"), and on to a handler installed before (a test
    runner's, which fails a test on a Qt warning)."""
    qt_log = logging.getLogger("qt")
    previous = []

    def handler(kind, context, message):
        qt_log.log(_QT_LEVELS.get(kind, logging.WARNING), "%s", message)
        if previous[0] is not None:
            previous[0](kind, context, message)

    before = qInstallMessageHandler(handler)
    previous.append(getattr(before, "chained", before))  # installed twice: ours is not chained to itself
    handler.chained = previous[0]


class _Emitter(QObject):
    record = pyqtSignal(str)


class QtLogHandler(logging.Handler):
    """A logging handler that forwards formatted records to the GUI thread through a signal."""

    def __init__(self):
        super(QtLogHandler, self).__init__(logging.INFO)
        self.emitter = _Emitter()
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))

    def emit(self, record):
        try:
            self.emitter.record.emit(self.format(record))
        except RuntimeError:  # the panel is gone (window closed)
            pass


class LogPanel(QPlainTextEdit):
    """Read-only log view fed by a QtLogHandler attached to the root logger."""

    def __init__(self, parent=None):
        super(LogPanel, self).__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(5000)
        self.handler = QtLogHandler()
        self.handler.emitter.record.connect(self.appendPlainText)
        logging.getLogger().addHandler(self.handler)
        if logging.getLogger().level > logging.INFO or logging.getLogger().level == logging.NOTSET:
            logging.getLogger().setLevel(logging.INFO)

    def detach(self):
        logging.getLogger().removeHandler(self.handler)
