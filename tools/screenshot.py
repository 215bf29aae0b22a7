"""Renders the window's real first state on the bundled example to resources/screenshot.png (for the README).

Run it under an X server (e.g. `xvfb-run -s "-screen 0 1400x860x24" python tools/screenshot.py`) to get the
platform's real fonts and style; without DISPLAY it falls back to Qt's offscreen platform.
No ticks, default options: exactly what `python main.py resources/example` shows once loaded.
"""

import os
import sys

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main(path=os.path.join("resources", "example"), out=os.path.join(ROOT, "resources", "screenshot.png")):
    import tempfile
    from PyQt5.QtCore import QEventLoop, QSettings, QTimer
    from gui.app import create_application
    from gui.main_window import MainWindow
    os.chdir(ROOT)
    app = create_application()
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "screenshot.ini"), QSettings.IniFormat)
    window = MainWindow(settings)
    window.resize(1280, 800)
    window.show()
    loop = QEventLoop()
    window.model_loaded.connect(loop.quit)
    window.load_failed.connect(loop.quit)
    window.open_path(path)
    QTimer.singleShot(30000, loop.quit)
    loop.exec_()
    for _ in range(20):  # let the layout settle (column widths, scrolling to the selected node)
        app.processEvents()
    window.grab().save(out)
    print(out)
    window.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
