"""Window fixtures: a MainWindow with throwaway settings, and a helper that waits for a load."""

import threading
import time

import pytest

pytest.importorskip("PyQt5")


@pytest.fixture
def window(qtbot, tmp_path):
    from PyQt5.QtCore import QSettings
    from gui.app import create_application
    from gui.main_window import MainWindow
    create_application()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()  # cancels and joins every worker


def open_and_wait(qtbot, window, path, timeout=60000):
    with qtbot.waitSignal(window.model_loaded, timeout=timeout):
        window.open_path(str(path))


class PhaseGate(object):
    """Holds a core call the window's worker runs (``api.load``, ``api.freeze``) at a known phase until the
    test has pressed Cancel, so the cancel is seen at the core's next check whatever the machine's speed.

    ``reached_when(message)`` picks the phase from the core's progress messages; ``reached`` is set there,
    and ``cancelled`` says whether the cancel came (False: the gate gave up after a minute).
    """

    def __init__(self, monkeypatch, function_name, reached_when):
        from core import api
        self.reached = threading.Event()
        self.cancelled = None
        real = getattr(api, function_name)

        def gated(*args, **kwargs):
            progress, cancel = kwargs["progress"], kwargs["cancel"]

            def report(*values):
                message = values[-1] if values else ""
                if not self.reached.is_set() and reached_when(message):
                    self.reached.set()
                    for _ in range(6000):  # at most a minute, so a broken window cannot hang the suite
                        if cancel():
                            break
                        time.sleep(0.01)
                    self.cancelled = cancel()
                return progress(*values)

            kwargs["progress"] = report
            return real(*args, **kwargs)

        monkeypatch.setattr(api, function_name, gated)
