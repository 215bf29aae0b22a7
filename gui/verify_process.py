"""Verification in a child process (`main.py verify … --json`): TensorFlow never enters the window's process."""

import collections
import json
import logging
import os
import sys

from PyQt5.QtCore import QObject, QProcess, pyqtSignal

log = logging.getLogger(__name__)
MAIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "main.py")


class Check(collections.namedtuple("Check", "name dtype shape max_abs_diff max_rel_diff passed message")):
    """One output compared, as the child reported it."""


class VerifyResult(collections.namedtuple("VerifyResult", "outputs inputs_used tensorflow_version passed")):
    """outputs: list of Check; inputs_used: dict name -> (dtype, shape)."""


def value_text(value):
    """A fixed placeholder value as `--set NAME=VALUE` text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def verify_command(model, report, request=None):
    """The argument list of the child [python, main.py, verify, ...]: it opens what the window opened (the
    paired checkpoint, the SavedModel tags) and checks the freeze that was made (outputs, input cuts,
    fixed values, saver choice) — the same options `main.py freeze` takes.

    Args:
        model: the window's opened model (loaded.model: location, checkpoint, tags).
        report: the FreezeReport (destination, outputs, fixed values).
        request: the FreezeRequest that made it (cuts, saver, init_missing); None: none of those.
    """
    location = model.location
    command = [sys.executable, MAIN, "verify", location.path, report.destination,
               "--outputs", ",".join(report.outputs), "--json"]
    if model.checkpoint is not None:
        command += ["--checkpoint", model.checkpoint.prefix]
    if model.tags is not None:
        command += ["--tag", ",".join(model.tags)]
    if request is not None and request.input_cuts:
        command += ["--input-cuts", ",".join(request.input_cuts)]
    if request is not None and request.saver:
        command += ["--saver", request.saver]
    if request is not None and request.init_missing:
        command += ["--init-missing"]
    for name, value in sorted((report.fixed or {}).items()):
        command += ["--set", "%s=%s" % (name, value_text(value))]
    return command


def parse_result(text):
    """The child's JSON report as a VerifyResult (ValueError when it is not one)."""
    data = json.loads(text)
    checks = [Check(c["name"], c["dtype"], c["shape"], float(c["max_abs_diff"]), float(c["max_rel_diff"]),
                    bool(c["passed"]), c.get("message", "")) for c in data["outputs"]]
    inputs = dict((i["name"], (i["dtype"], i["shape"])) for i in data.get("inputs", []))
    return VerifyResult(checks, inputs, data.get("tensorflow", "?"), bool(data["passed"]))


def failure_text(exit_code, crashed, stderr_lines):
    """One readable sentence for a child that ended without a report."""
    errors = [line[len("error: "):] for line in stderr_lines if line.startswith("error: ")]
    if errors:
        return errors[-1]
    if crashed or exit_code < 0:
        return ("the verification process crashed (TensorFlow died%s); the frozen graph is unaffected"
                % ("" if exit_code in (0, 255) else ", exit %d" % exit_code))
    tail = [line for line in stderr_lines if line.strip()][-1:]
    return "the verification process stopped with exit code %d%s" % (exit_code, ": " + tail[0] if tail else "")


class VerifyProcess(QObject):
    """Runs the verification child; the same signals as gui.worker.Worker.

    Signals:
        progress(int done, int total, str message); finished(VerifyResult); failed(str); cancelled(); done()
    """

    progress = pyqtSignal(int, int, str)
    finished = pyqtSignal(object)
    failed = pyqtSignal(str)
    cancelled = pyqtSignal()
    done = pyqtSignal()
    thread_finished = pyqtSignal()

    def __init__(self, command, parent=None):
        super(VerifyProcess, self).__init__(parent)
        self.command = command
        self.process = QProcess(self)
        self.process.setProgram(command[0])
        self.process.setArguments(command[1:])
        self.process.setWorkingDirectory(os.path.dirname(MAIN))
        self.process.readyReadStandardError.connect(self._read_stderr)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._error)
        self._stderr = b""
        self.stderr_lines = []
        self._cancelled = False
        self._ended = False

    def start(self):
        log.info("verifying: %s", " ".join(self.command))
        self.process.start()

    def cancel(self):
        if self.process.state() != QProcess.NotRunning:
            self._cancelled = True
            self.process.kill()

    def wait(self, msecs=30000):
        if self.process.state() != QProcess.NotRunning:
            self.process.waitForFinished(msecs)
        return True

    def _read_stderr(self):
        self._stderr += bytes(self.process.readAllStandardError())
        *lines, self._stderr = self._stderr.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace").rstrip()
            self.stderr_lines.append(line)
            if line.startswith("progress: "):
                percent, _, message = line[len("progress: "):].partition(" ")
                percent = int(percent) if percent.lstrip("-").isdigit() else -1
                self.progress.emit(max(percent, 0) * 10, 1000 if percent >= 0 else 0, "verifying: " + message)
            elif line:
                log.debug("verify child: %s", line)

    def _error(self, error):
        if error == QProcess.FailedToStart:
            self._end(lambda: self.failed.emit("cannot start %s: %s" % (self.command[0], self.process.errorString())))

    def _finished(self, exit_code, exit_status):
        self._read_stderr()
        if self._stderr:
            self.stderr_lines.append(self._stderr.decode("utf-8", "replace"))
        if self._cancelled:
            self._end(self.cancelled.emit)
            return
        output = bytes(self.process.readAllStandardOutput()).decode("utf-8", "replace")
        try:
            result = parse_result(output)
        except (ValueError, KeyError, TypeError):
            message = failure_text(exit_code, exit_status == QProcess.CrashExit, self.stderr_lines)
            self._end(lambda: self.failed.emit(message))
            return
        self._end(lambda: self.finished.emit(result))

    def _end(self, emit):
        if self._ended:
            return
        self._ended = True
        emit()
        self.done.emit()
        self.thread_finished.emit()
