"""The window's one running task (load, freeze or verify): its progress, phase text and Cancel button."""

from PyQt5.QtCore import QObject, pyqtSignal
from PyQt5.QtWidgets import QLabel, QProgressBar, QPushButton


class TaskRunner(QObject):
    """Runs one background task at a time (a gui.worker.Worker or a gui.verify_process.VerifyProcess).

    Results reach the callbacks only while their task is the current one: a superseded load is ignored.

    Signals:
        changed(): a task started or ended (the window updates its actions).
    """

    changed = pyqtSignal()

    def __init__(self, parent=None):
        super(TaskRunner, self).__init__(parent)
        self.current = None
        self.kind = None
        self._all = set()  # every started task, kept until its thread or process has finished
        self.phase = QLabel("")
        self.phase.setObjectName("phase")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setFormat("%p%")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running task")
        self.cancel_button.clicked.connect(self.cancel)
        for widget in (self.phase, self.progress, self.cancel_button):
            widget.hide()

    def widgets(self):
        return [self.phase, self.progress, self.cancel_button]

    @property
    def busy(self):
        return self.current is not None

    def start(self, task, kind, on_finished, on_failed, on_cancelled=None, on_superseded=None):
        """Starts ``task``; its result goes to ``on_finished``, its error text to ``on_failed``."""
        self.current = task
        self.kind = kind
        self._all.add(task)
        task.finished.connect(lambda result, t=task: self._deliver(t, on_finished, on_superseded, result))
        task.failed.connect(lambda message, t=task: self._deliver(t, on_failed, None, message))
        if on_cancelled is not None:
            task.cancelled.connect(lambda t=task: self._deliver(t, on_cancelled, None))
        task.progress.connect(lambda done, total, message, t=task: t is self.current and
                              self._progress(done, total, message))
        task.done.connect(lambda t=task: self._done(t))
        task.thread_finished.connect(lambda t=task: self._all.discard(t))
        self.progress.setRange(0, 0)
        self.phase.setText("")
        for widget in self.widgets():
            widget.show()
        self.cancel_button.setEnabled(True)
        self.changed.emit()
        task.start()

    def _deliver(self, task, slot, superseded, *args):
        if task is self.current:
            self._done(task)  # the task has ended: its result meets an idle window
            slot(*args)
        elif superseded is not None:
            superseded(*args)

    def _progress(self, done, total, message):
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        else:
            self.progress.setRange(0, 0)
        if message:
            percent = " — %d%%" % (100 * done // total) if total else ""
            self.phase.setText(message + percent)

    def _done(self, task):
        if task is not self.current:
            return
        self.current = None
        self.kind = None
        for widget in self.widgets():
            widget.hide()
        self.changed.emit()

    def cancel(self):
        """Asks the current task to stop; Cancel stays disabled until the task has ended."""
        if self.current is not None:
            self.current.cancel()
            self.cancel_button.setEnabled(False)
            self.phase.setText("cancelling …")

    def supersede(self):
        """Cancels the current task and forgets it (its late result is ignored)."""
        if self.current is not None:
            self.current.cancel()
            self.current = None
            self.kind = None
            self.changed.emit()

    def wait_all(self, msecs=30000):
        """Cancels and joins every task (closing the window, tests)."""
        for task in list(self._all):
            task.cancel()
            task.wait(msecs)
        self._all.clear()
