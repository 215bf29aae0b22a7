"""Driven by test_real_display: the window on a real X server opens, ticks, freezes and verifies one model.

Usage: python real_display_script.py MODEL_DIR OUT.pb SETTINGS.ini   (exit 0 and one JSON line on success)
"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


def wait_for(app, signals, seconds):
    """Runs the event loop until one of ``signals`` fires; returns its arguments (None on timeout)."""
    from PyQt5.QtCore import QEventLoop, QTimer
    loop = QEventLoop()
    got = []
    for signal in signals:
        signal.connect(lambda *args: (got.append(args), loop.quit()))
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec_()
    return got[0] if got else None


def main(model, out, settings_path):
    from PyQt5.QtCore import QSettings
    from gui.app import create_application
    from gui.main_window import MainWindow
    app = create_application()
    assert app.platformName() == "xcb", app.platformName()
    window = MainWindow(QSettings(settings_path, QSettings.IniFormat))
    window.show()
    window.open_path(model)
    if wait_for(app, [window.model_loaded, window.load_failed], 60) is None or window.loaded is None:
        return "load failed: %s" % window.notice.text()
    window.use_suggested_outputs()
    outputs = window.outputs.outputs()
    window.start_freeze(out)
    if not wait_for(app, [window.freeze_finished, window.freeze_failed], 60) or window.last_freeze is None:
        return "freeze failed: %s" % window.notice.text()
    window.freezer.box.close()
    window.verify()
    result = wait_for(app, [window.verify_finished], 180)
    if result is None:
        return "verify failed: %s" % window.notice.text()
    report = result[0]
    if "tensorflow" in sys.modules:
        return "TensorFlow was imported into the window's process"
    table = window.freezer.verify_dialog.table
    cells = [table.item(row, 5).text() for row in range(table.rowCount())]
    print(json.dumps({"outputs": outputs, "passed": report.passed, "tensorflow": report.tensorflow_version,
                      "checked": [c.name for c in report.outputs], "table": cells}))
    window.freezer.verify_dialog.close()
    window.close()
    return None if report.passed else "verification did not pass"


if __name__ == "__main__":
    problem = main(*sys.argv[1:4])
    if problem:
        sys.stderr.write("error: %s\n" % problem)
    sys.exit(1 if problem else 0)
