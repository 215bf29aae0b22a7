"""Window fixtures: a MainWindow with throwaway settings, and a helper that waits for a load."""

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
