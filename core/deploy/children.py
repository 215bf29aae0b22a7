"""Running deploy's child processes in the Python that has the converters, and finding that Python."""

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time

from core.errors import Cancelled, ModelError

log = logging.getLogger(__name__)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV_PYTHON = "TF1FREEZE_DEPLOY_PYTHON"
INSTALL = {"tensorflow": "tensorflow-cpu", "tf2onnx": "tf2onnx", "onnxruntime": "onnxruntime",
           "openvino": "openvino", "cv2": "'opencv-python-headless<5'"}
_AVAILABLE = {}


def deploy_python(explicit=None):
    """The Python deploy's children run in: ``explicit``, else $TF1FREEZE_DEPLOY_PYTHON, else the project's
    .venv-deploy, else this Python."""
    if explicit:
        return explicit
    if os.environ.get(ENV_PYTHON):
        return os.environ[ENV_PYTHON]
    for folder in ("bin", "Scripts"):
        candidate = os.path.join(ROOT, ".venv-deploy", folder, "python")
        if os.path.isfile(candidate):
            return candidate
    return sys.executable


def install_line(modules, python):
    """The one line telling how to get missing modules into the deploy Python."""
    packages = " ".join(INSTALL.get(m, m) for m in modules)
    return "install %s into %s (%s -m pip install %s; or pip install -r requirements-deploy.txt and point " \
           "--deploy-python / $%s at that Python)" % (", ".join(INSTALL.get(m, m).strip("'") for m in modules),
                                                      python, python, packages, ENV_PYTHON)


def missing_modules(python):
    """dict target -> the modules its child needs that ``python`` lacks (cached per Python)."""
    if python not in _AVAILABLE:
        if not os.path.exists(python):
            raise ModelError("the deploy Python %s does not exist (--deploy-python or $%s)" % (python, ENV_PYTHON))
        result = run_child(python, {"task": "available"}, timeout=120)
        _AVAILABLE[python] = result["missing"]
    return _AVAILABLE[python]


def _environment():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore", TF_ENABLE_ONEDNN_OPTS="0",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("PYTHONHOME", None)
    return env


def _signal_name(code):
    try:
        return signal.Signals(-code).name
    except ValueError:
        return "signal %d" % -code


def died_line(job, code, stderr):
    """The one line for a child that wrote no result: what killed it (a signal by name), the step it was in
    (the child writes it to RESULT.step: "converting", "running the artifact in onnxruntime") and its last
    words on stderr."""
    what = "the %s child" % job.get("target", job["task"])
    how = "crashed (%s)" % _signal_name(code) if code is not None and code < 0 else "exited with %s" % code
    step = ""
    if os.path.isfile(job["result"] + ".step"):
        with open(job["result"] + ".step") as handle:
            step = " while %s" % handle.read().strip()
    lines = [l for l in stderr.strip().splitlines() if l.strip() and not l.startswith(("INFO:", "WARNING:", "I0000"))]
    return "%s %s%s: %s" % (what, how, step, lines[-1][:300] if lines else "no message")


def run_child(python, job, timeout=900, cancel=None, workdir=None):
    """Runs one job in a child (``python -m core.deploy.child``) and returns its result dict.

    Raises:
        ModelError: the child died, timed out or said why it failed ("error" in its result).
        Cancelled: ``cancel`` said so (the child is killed).
    """
    folder = tempfile.mkdtemp(prefix="deploy-job-", dir=workdir)
    job = dict(job, result=os.path.join(folder, "result.json"))
    path = os.path.join(folder, "job.json")
    with open(path, "w") as handle:
        json.dump(job, handle)
    try:
        with open(os.path.join(folder, "stderr.txt"), "w+") as stderr:
            return _wait(python, job, path, timeout, cancel, stderr)
    finally:
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)


def _wait(python, job, path, timeout, cancel, stderr_file):
    """Waits for the child (polling ``cancel``); its stderr goes to a file, so it never blocks on a pipe."""
    process = subprocess.Popen([python, "-m", "core.deploy.child", path], cwd=ROOT, env=_environment(),
                               stdout=subprocess.DEVNULL, stderr=stderr_file)
    started = time.time()
    try:
        while process.poll() is None:
            if cancel is not None and cancel():
                raise Cancelled()
            if time.time() - started > timeout:
                raise ModelError("the %s child took longer than %d s" % (job["task"], timeout))
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr_file.seek(0)
    stderr = stderr_file.read()[-20000:]
    if not os.path.isfile(job["result"]):
        raise ModelError(died_line(job, process.returncode, stderr))
    with open(job["result"]) as handle:
        result = json.load(handle)
    if result.get("traceback"):
        log.debug("%s child: %s", job["task"], result["traceback"])
    return result
