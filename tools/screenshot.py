"""Renders the window offscreen on the bundled example to resources/screenshot.png (for the README)."""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main(path=os.path.join(ROOT, "resources", "example"), out=os.path.join(ROOT, "resources", "screenshot.png")):
    from PyQt5.QtCore import QEventLoop, QSettings, QTimer
    from gui.app import create_application
    from gui.main_window import MainWindow
    app = create_application()
    settings = QSettings(os.path.join(ROOT, "bench", ".cache", "screenshot.ini"), QSettings.IniFormat)
    window = MainWindow(settings)
    window.resize(1400, 820)
    window.show()
    loop = QEventLoop()
    window.model_loaded.connect(loop.quit)
    window.load_failed.connect(loop.quit)
    window.open_path(path)
    QTimer.singleShot(30000, loop.quit)
    loop.exec_()
    window.use_suggested_outputs()
    window.training_action.trigger()  # hide training ops: the inference graph and its outputs
    for name in ("model/trunk/fc1/Relu", "model/heads/regression/Sigmoid", "model/heads/class_probs"):
        window.navigate(name)
    app.processEvents()
    window.grab().save(out)
    print(out)
    window.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
