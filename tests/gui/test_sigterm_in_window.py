"""SIGTERM (SIGHUP, SIGQUIT) while the window freezes in a worker thread leaves no temporary file behind.

The child starts the window the way `python main.py PATH` does (main.main -> gui.app.run_window), so the
signal handling under test is the window's own; the test only ticks the outputs and starts the freeze once
the model is loaded, and holds the freeze once its temporary file exists.
"""

import signal

import pytest

from tests.sigterm import assert_sigterm_leaves_nothing

_WINDOW_FREEZE = r'''
import os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
destination = %(destination)r
os.environ["XDG_CONFIG_HOME"] = os.path.join(os.path.dirname(os.path.dirname(destination)), "config")
sys.path.insert(0, %(root)r)
import main
from core import api
from gui import app as app_module
from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QApplication

real_freeze = api.freeze

def held_freeze(model, request, progress=None, cancel=None):
    def report(*values):
        if [n for n in os.listdir(os.path.dirname(destination)) if n.endswith(".tmp")]:
            sys.stdout.write("writing\n"); sys.stdout.flush(); time.sleep(60)
        if progress is not None:
            progress(*values)
    return real_freeze(model, request, progress=report, cancel=cancel)

api.freeze = held_freeze

def drive():
    window = [w for w in QApplication.topLevelWidgets() if hasattr(w, "model_loaded")][0]
    def loaded(*_):
        for name in %(outputs)r:
            window.tree_model.set_checked(name, True)
        window.start_freeze(destination)
    if window.loaded is not None:
        loaded()
    else:
        window.model_loaded.connect(loaded)

real_create = app_module.create_application

def create_application(argv=None):
    app = real_create(argv)
    QTimer.singleShot(0, drive)  # runs once run_window's event loop has started
    return app

app_module.create_application = create_application
sys.exit(main.main([%(folder)r]))
'''


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT])
def test_sigterm_during_a_window_freeze_removes_the_temporary_file(tmp_path, signum):
    assert_sigterm_leaves_nothing(tmp_path, _WINDOW_FREEZE, signum)
