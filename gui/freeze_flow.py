"""Freezing and verifying: the request from the widgets, the freeze worker, the result dialog, the verify child."""

import logging
import os

from PyQt5.QtCore import QObject, QUrl, pyqtSignal
from PyQt5.QtGui import QDesktopServices
from PyQt5.QtWidgets import QFileDialog, QMessageBox

from core import api
from gui.verify_dialog import VerifyDialog
from gui.verify_process import VerifyProcess, verify_command
from gui.worker import Worker

log = logging.getLogger(__name__)


def plural(count, word):
    return "%d %s%s" % (count, word, "" if count == 1 else "s")


def summary_text(report):
    """The result dialog's text."""
    text = ("Froze %s into\n%s\n\nNodes: %d → %d\nVariables converted: %d\nSize: %s\nTime: %.2f s"
            % (plural(len(report.outputs), "output"), report.destination, report.nodes_before, report.nodes_after,
               report.variables_converted, api.human_size(report.bytes_written), report.seconds))
    if report.notes:
        text += "\n\n" + "\n".join(report.notes)
    return text


def freeze_in_phases(loaded, request, progress=None, cancel=None):
    """api.freeze with the phases a user can follow: planning, then writing (bytes of the total)."""
    if progress is not None:
        progress(0, 0, "planning the frozen graph")

    def writing(done, total, message):
        if progress is not None:
            progress(done, total, "writing %s of %s" % (api.human_size(done), api.human_size(total)))
    return api.freeze(loaded, request, progress=writing, cancel=cancel)


class FreezeFlow(QObject):
    """Freezes the window's FreezeSession and verifies the result in a child process.

    Attributes:
        last: the last FreezeReport (None before a freeze); last_request: the FreezeRequest it ran;
        box: the result dialog; verify_dialog.
        open_url: how a folder is shown (QDesktopServices.openUrl; returns False when nothing opened it).
    Signals:
        finished(object FreezeReport), failed(str), cancelled(), verified(object VerifyResult)
    """

    finished = pyqtSignal(object)
    failed = pyqtSignal(str)
    cancelled = pyqtSignal()
    verified = pyqtSignal(object)

    def __init__(self, window, tasks, session):
        super(FreezeFlow, self).__init__(window)
        self.window = window
        self.tasks = tasks
        self.session = session
        self.last = None
        self.last_request = None
        self.box = None
        self.verify_dialog = None
        self.open_url = QDesktopServices.openUrl

    @property
    def cuts(self):
        """The session's input cuts ("node:port")."""
        return list(self.session.input_cuts)

    def reset(self):
        self.last = None
        self.last_request = None

    def set_cut(self, tensor, cut):
        """Adds or removes an input cut ("node:port"): the freeze replaces the tensor by a Placeholder."""
        self.session.set_cut(tensor, cut)

    def request(self, destination):
        """The api.FreezeRequest of the window's session."""
        return self.session.request(destination)

    def refusal(self):
        """Why the freeze would fail, as the live plan already knows (one line), or None."""
        window = self.window
        result = window.plans.current()
        if result is not None and result.error:
            return result.error
        return window.runtime.refusal() if result is not None else None

    def freeze(self):
        """Asks where to save, then freezes (unless the plan already says the freeze would be refused)."""
        window = self.window
        if window.tree_model is None or not self.session.outputs or self.tasks.busy:
            return
        if not window.loaded.model.can_freeze:
            window.notice.show_message("This model has no checkpoint beside it: it can be inspected but not "
                                       "frozen. Drop its checkpoint (.index) on the window to pair them.", "error")
            return
        why = self.refusal()
        if why:
            window.notice.show_message("Cannot freeze: %s" % why, "error")
            return
        path, _ = QFileDialog.getSaveFileName(window, "Save the frozen graph", window.loaded.model.default_output_path(),
                                              "Frozen GraphDef (*.pb);;All files (*)")
        if path:
            self.start(path)

    def start(self, destination):
        """Freezes the session into ``destination`` in a worker thread."""
        window = self.window
        window.notice.clear()
        request = self.request(destination)
        window.show_status("Freezing %s into %s …" % (plural(len(request.outputs), "output"), destination))
        self.tasks.start(Worker(freeze_in_phases, window.loaded, request), "freeze",
                         lambda report: self._frozen(request, report), self._failed, self._cancelled)

    def _frozen(self, request, report):
        self.last = report
        self.last_request = request
        self.window.show_status("Froze into %s" % report.destination)
        box = QMessageBox(QMessageBox.Information, "Frozen", summary_text(report), QMessageBox.Ok, self.window)
        open_folder = box.addButton("Open folder", QMessageBox.ActionRole)
        verify = box.addButton("Verify", QMessageBox.ActionRole)
        verify.setEnabled(api.tensorflow_available())
        box.buttonClicked.connect(lambda button: self.show_folder(report.destination) if button is open_folder
                                  else self.verify() if button is verify else None)
        box.setModal(False)
        box.show()
        self.box = box
        self.finished.emit(report)

    def show_folder(self, path):
        """Opens the folder of ``path`` in the file manager, or says where it is when none opens."""
        folder = os.path.dirname(os.path.abspath(path))
        if not self.open_url(QUrl.fromLocalFile(folder)):
            self.window.notice.show_message("No file manager could be opened here; the frozen graph is %s" % path)
            return False
        return True

    def _failed(self, message):
        self.window.show_status("Freeze failed")
        message = message.replace("freeze with --target-tf", "choose Target TensorFlow")
        self.window.notice.show_message("Freeze failed: %s" % message, "error")
        self.failed.emit(message)

    def _cancelled(self):
        self.window.show_status("Freeze cancelled; nothing was written")
        self.cancelled.emit()

    # -- verification ---------------------------------------------------------------------
    def verify(self):
        """Runs `main.py verify … --json` in a child process: TensorFlow never enters this process.

        The child opens exactly what the window opened (the same checkpoint, tags) and runs exactly the
        freeze that was made (outputs, input cuts, fixed values, saver).
        """
        report = self.last
        if report is None or self.tasks.busy:
            return
        if not api.tensorflow_available():
            self.window.notice.show_message("Verification needs TensorFlow, which is not installed here. Install "
                                            "it with '%s'; everything else works without it." % api.install_hint(),
                                            "error")
            return
        command = verify_command(self.window.loaded.model, report, self.last_request)
        self.window.show_status("Verifying %s …" % os.path.basename(report.destination))
        self.tasks.start(VerifyProcess(command, self), "verify", self._verified, self._verify_failed,
                         lambda: self.window.show_status("Verification cancelled"))

    def _verified(self, result):
        self.window.show_status("Verification %s" % ("passed" if result.passed else "FAILED"))
        self.verify_dialog = VerifyDialog(result, self.window.loaded, self.last, self.window)
        self.verify_dialog.show()
        self.verified.emit(result)

    def _verify_failed(self, message):
        self.window.show_status("Verification failed")
        self.window.notice.show_message("Verification failed: %s" % message, "error")
