"""SIGTERM while the window freezes in a worker thread leaves no temporary file behind."""

import os
import signal
import subprocess
import sys

from tests.conftest import ROOT, load_fixture

_WINDOW_FREEZE = r'''
import os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path.insert(0, %(root)r)
from gui.app import create_application, keep_signals_working
from gui.worker import Worker
from core import api

def slow_freeze(model, request, progress=None, cancel=None):
    def report(done, total, message):
        sys.stdout.write("writing\n"); sys.stdout.flush(); time.sleep(60)
    return api.freeze(model, request, progress=report, cancel=cancel)

app = create_application()
keep_signals_working(app)
model = api.open_model(%(folder)r)
worker = Worker(slow_freeze, model, api.FreezeRequest(%(outputs)r, destination=%(destination)r))
worker.start()
app.exec_()
'''


def test_sigterm_during_a_window_freeze_removes_the_temporary_file(tmp_path):
    fixture = load_fixture("mlp")
    out = tmp_path / "out"
    out.mkdir()
    script = _WINDOW_FREEZE % dict(root=ROOT, folder=fixture.folder, outputs=fixture.outputs,
                                   destination=str(out / "frozen.pb"))
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert child.stdout.readline() == b"writing\n"
        assert [n for n in os.listdir(str(out)) if n.endswith(".tmp")]
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=30) == -signal.SIGTERM
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    assert os.listdir(str(out)) == []
