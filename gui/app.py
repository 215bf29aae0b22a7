"""Starting the application: QApplication, settings, style, Qt messages into logging, the window."""

import logging
import os
import sys

RESOURCES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "resources")


def create_application(argv=None):
    """The QApplication (created once) with the app's name, organisation and style sheet."""
    from PyQt5.QtWidgets import QApplication
    from gui.log_panel import route_qt_messages
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv or sys.argv[:1]))
    app.setApplicationName("tf1freeze")
    app.setOrganizationName("tf1freeze")
    route_qt_messages()
    style = os.path.join(RESOURCES, "style.qss")
    if os.path.isfile(style):
        with open(style) as handle:
            sheet = handle.read()
        if app.styleSheet() != sheet:  # set again, Qt would polish every widget anew
            app.setStyleSheet(sheet)
    return app


def keep_signals_working(app):
    """SIGTERM during a freeze removes its unfinished temporary file, as SIGINT does.

    The freeze runs in a worker thread, so the handler lives in the main thread; a short timer lets
    Python run it while Qt's event loop waits in C++.
    """
    from PyQt5.QtCore import QTimer
    from core import api
    api.install_signal_cleanup()
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(250)
    return timer


def report_unexpected_errors(window):
    """A bug in a slot is logged with its traceback and said in one line in the window's notice bar
    (PyQt5 would otherwise abort the whole program on an exception no one catches)."""
    import traceback

    def hook(kind, value, trace):
        logging.getLogger("gui").error("unexpected error:\n%s", "".join(traceback.format_exception(kind, value, trace)))
        try:
            window.notice.show_message("Internal error (%s: %s); details are in the log panel (View › Log panel)"
                                       % (kind.__name__, value), "error")
        except RuntimeError:  # the window is gone
            pass
    sys.excepthook = hook


def run_window(path=None):
    """Shows the window (opening ``path`` if given) and runs the event loop; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_application()
    keep_signals_working(app)
    from gui.main_window import MainWindow
    window = MainWindow()
    report_unexpected_errors(window)
    window.show()
    if path:
        window.open_path(path)
    return app.exec_()
