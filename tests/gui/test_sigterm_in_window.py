"""SIGTERM, SIGHUP or SIGQUIT while the window freezes in a worker thread leaves no temporary file behind."""

import signal

import pytest

from tests.sigterm import assert_sigterm_leaves_nothing

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


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT])
def test_sigterm_during_a_window_freeze_removes_the_temporary_file(tmp_path, signum):
    assert_sigterm_leaves_nothing(tmp_path, _WINDOW_FREEZE, signum)
