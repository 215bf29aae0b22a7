"""Running a core call in a QThread: progress, cancel, result or error, never a lost exception."""

import logging
import threading
import traceback

from PyQt5.QtCore import QObject, QThread, pyqtSignal

from core.api import Cancelled, ModelError

log = logging.getLogger(__name__)


class Worker(QObject):
    """Runs ``function(*args, progress=..., cancel=..., **kwargs)`` in its own thread.

    Signals:
        progress(int done, int total, str message): per-mille of total; total 0 means "busy".
        finished(object result)
        failed(str message): a ModelError's text, or a one-line summary of a bug (details logged).
        cancelled()
        done(): after any of the three above.
    """

    progress = pyqtSignal(int, int, str)
    finished = pyqtSignal(object)
    failed = pyqtSignal(str)
    cancelled = pyqtSignal()
    done = pyqtSignal()

    def __init__(self, function, *args, **kwargs):
        super(Worker, self).__init__()
        self._function = function
        self._args = args
        self._kwargs = kwargs
        self._cancel = threading.Event()
        self._thread = QThread()
        self._thread.setObjectName(getattr(function, "__name__", "worker"))
        self.moveToThread(self._thread)
        self._thread.started.connect(self._run)

    def start(self):
        self._thread.start()

    def cancel(self):
        """Asks the core call to stop at its next check."""
        self._cancel.set()

    @property
    def thread_finished(self):
        """The QThread's finished signal: after it, the worker may be dropped."""
        return self._thread.finished

    def wait(self, msecs=30000):
        return self._thread.wait(msecs)

    def _report(self, done=0, total=0, message=""):
        """Core progress callbacks: (done, total, message) or (message); sent as per-mille."""
        if isinstance(done, str):
            done, total, message = 0, 0, done
        if total > 0:
            self.progress.emit(int(1000 * min(done, total) / total), 1000, message)
        else:
            self.progress.emit(0, 0, message)

    def _run(self):
        try:
            result = self._function(*self._args, progress=self._report, cancel=self._cancel.is_set, **self._kwargs)
        except Cancelled:
            self.cancelled.emit()
        except ModelError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a bug: the user gets one line, the log gets the traceback
            log.error("unexpected failure in %s:\n%s", self._thread.objectName(), traceback.format_exc())
            self.failed.emit("internal error (%s: %s); details are in the log panel" % (type(exc).__name__, exc))
        else:
            self.finished.emit(result)
        self.done.emit()
        self._thread.quit()  # thread-safe; the owner keeps this object until thread.finished
