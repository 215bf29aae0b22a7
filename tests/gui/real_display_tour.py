"""Driven by test_real_display: the window on a real X server at a scale factor, through the paths where a
bug in a slot would abort the whole program (PyQt5 calls qFatal on an exception nobody catches).

Usage: python real_display_tour.py MODEL_DIR SETTINGS.ini EXPORT.dot   (one JSON line; exit 0 unless a slot
raised, the window did not fit its screen, or a step did not happen)
"""

import json
import os
import sys
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.gui.real_display_script import wait_for  # noqa: E402


def _inside(rect, area):
    return area.contains(rect.topLeft()) and area.contains(rect.bottomRight())


def _fits(window):
    """Whether the window's frame and its Freeze and Verify buttons lie inside the screen's available area."""
    from PyQt5.QtCore import QRect
    area = window.windowHandle().screen().availableGeometry()
    checks = {"window": _inside(window.frameGeometry(), area)}
    for name in ("freeze_button", "verify_button"):
        button = getattr(window.outputs, name)
        corner = button.mapToGlobal(button.rect().topLeft())
        checks[name] = button.isVisible() and _inside(QRect(corner, button.size()), area)
    return checks


def _long_status(app, window):
    """A temporary message too long for the status bar, as the real font measures it: cut with "…" before
    the node counts (QStatusBar alone clips it mid-letter under them)."""
    bar = window.statusBar()
    text = "Suggested outputs ticked: " + ", ".join("model/heads/head_%d/output" % i for i in range(30))
    bar.showMessage(text, 60000)
    app.processEvents()
    shown = bar.currentMessage()
    counts = window.status_counts
    result = {"elided": shown.endswith("\u2026") and text.startswith(shown[:-1]), "whole": bar.full_message() == text,
              "fits": counts.isVisible() and bar.fontMetrics().width(shown) <= counts.x() - 2}
    bar.clearMessage()
    return result


def tour(app, window, model, export):
    """Opens, themes, draws what the freeze keeps, groups scopes, shows values, exports; returns the facts."""
    facts = {}
    window.open_path(model)
    if wait_for(app, [window.model_loaded, window.load_failed], 60) is None or window.loaded is None:
        raise AssertionError("load failed: %s" % window.notice.text())
    facts["fits"] = _fits(window)
    window.theme_actions["dark"].trigger()
    view = window.graph_dock.view
    window.graph_dock.show()
    view.freeze_button.setChecked(True)
    window.use_suggested_outputs()
    facts["status"] = _long_status(app, window)
    facts["drawn"] = wait_for(app, [view.layout_ready], 60) is not None and len(view.items)
    view.group_box.setChecked(True)
    facts["grouped"] = wait_for(app, [view.layout_ready], 60) is not None and bool(view.picture.subgraph.groups)
    view.export(export)
    variable = next(name for name in sorted(window.loaded.variables) if window.loaded.variables[name].in_checkpoint)
    viewer = window.show_values(variable)
    wait_for(app, [viewer.worker.finished], 30)
    app.processEvents()
    facts["values"] = viewer.array is not None and int(viewer.array.size)
    viewer.close()
    window.theme_actions["system"].trigger()
    facts["fits_after"] = _fits(window)
    return facts


def main(model, settings_path, export):
    from PyQt5.QtCore import QSettings
    from gui.app import create_application
    from gui.main_window import MainWindow
    app = create_application()
    assert app.platformName() == "xcb", app.platformName()
    errors = []
    sys.excepthook = lambda kind, value, trace: errors.append("".join(traceback.format_exception(kind, value, trace)))
    window = MainWindow(QSettings(settings_path, QSettings.IniFormat))
    window.show()
    facts = tour(app, window, model, export)
    facts["scale"] = window.devicePixelRatioF()
    facts["errors"] = errors
    print(json.dumps(facts))
    window.close()
    ok = not errors and all(facts["fits"].values()) and all(facts["fits_after"].values()) and all(
        facts["status"].values())
    return None if ok and facts["drawn"] and facts["grouped"] and facts["values"] else "the tour failed: %s" % facts


if __name__ == "__main__":
    problem = main(*sys.argv[1:4])
    if problem:
        sys.stderr.write("error: %s\n" % problem)
    sys.exit(1 if problem else 0)
