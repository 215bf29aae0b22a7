"""Opening models: File › Open (files and folders), drops on any part of the window, recent files, the load."""

import logging
import os

from PyQt5.QtCore import QEvent, QObject, pyqtSignal
from PyQt5.QtWidgets import QDialog, QFileDialog, QWidget

from core import api
from core.api import ModelError
from gui.worker import Worker

log = logging.getLogger(__name__)
MAX_RECENT = 8
FILE_FILTER = "TensorFlow models (*.meta *.index *.data-* checkpoint *.pb *.pbtxt);;All files (*)"
DROP_EVENTS = (QEvent.DragEnter, QEvent.DragMove, QEvent.Drop)


def dropped_path(mime):
    """(path, None) for a drop of one local file or folder, else (None, why not)."""
    if not mime.hasUrls():
        return None, "only files and folders can be dropped"
    urls = [u for u in mime.urls() if u.isLocalFile()]
    if len(urls) != 1:
        return None, "drop one file or folder at a time"
    return urls[0].toLocalFile(), None


def refusal(path, why):
    """Why a path cannot be opened, in full, with what can be."""
    name = os.path.basename(path.rstrip("/")) or path if path else "this drop"
    text = "Cannot open %s: %s" % (name, why)
    if "expected" not in why:
        text += ". Supported: %s" % api.supported_files()
    return text


class ModelFileDialog(QFileDialog):
    """The Open dialog: files as usual, and Open on a selected model folder opens the folder
    (Qt's dialog would only enter it)."""

    def __init__(self, parent, folder):
        super(ModelFileDialog, self).__init__(parent, "Open a TensorFlow model (a file or its folder)", folder,
                                              FILE_FILTER)
        self.setFileMode(QFileDialog.ExistingFile)
        self.setOption(QFileDialog.DontUseNativeDialog, True)
        self.chosen = None

    def accept(self):
        files = self.selectedFiles()
        path = files[0] if files else ""
        if os.path.isdir(path):
            try:
                api.locate(path)
            except ModelError:
                return super(ModelFileDialog, self).accept()  # not a model folder: go into it
            self.chosen = path
            return QDialog.accept(self)
        self.chosen = path or None
        return super(ModelFileDialog, self).accept()


class OpenFlow(QObject):
    """Turns a path (from the dialogs, a drop, Open Recent or the command line) into a loaded model.

    Drops are caught by an event filter on the window and on every child that accepts drops itself
    (the search box would otherwise paste the file:// text).

    Signals:
        loaded(object LoadedModel), failed(str), cancelled()
    """

    loaded = pyqtSignal(object)
    failed = pyqtSignal(str)
    cancelled = pyqtSignal()

    def __init__(self, window, tasks, settings):
        super(OpenFlow, self).__init__(window)
        self.window = window
        self.tasks = tasks
        self.settings = settings
        self.loading_path = None

    # -- dialogs --------------------------------------------------------------------------
    def _start_folder(self):
        return self.settings.value("last_folder", os.path.expanduser("~"))

    def open_dialog(self):
        """Picks a model file; a model folder can be chosen too (select it and press Open)."""
        dialog = ModelFileDialog(self.window, self._start_folder())
        if dialog.exec_() and dialog.chosen:
            self.open_path(dialog.chosen)

    def open_folder_dialog(self):
        dialog = QFileDialog(self.window, "Open a model folder", self._start_folder())
        dialog.setFileMode(QFileDialog.Directory)
        dialog.setOption(QFileDialog.ShowDirsOnly, True)
        dialog.setOption(QFileDialog.DontUseNativeDialog, True)
        if dialog.exec_() and dialog.selectedFiles():
            self.open_path(dialog.selectedFiles()[0])

    # -- loading --------------------------------------------------------------------------
    def open_path(self, path):
        """Loads ``path`` in a worker thread (a running load is cancelled); False when refused."""
        if self.tasks.busy:
            if self.tasks.kind != "load":
                self.window.notice.show_message("Wait for the running %s to finish (or cancel it) before opening "
                                                "another model." % self.tasks.kind, "error")
                return False
            self.tasks.supersede()
        self.window.notice.clear()
        self.loading_path = path
        self.window.show_status("Opening %s …" % (os.path.basename(path.rstrip("/")) or path), busy=True)
        self.tasks.start(Worker(api.load, path), "load", self._loaded, self.failed.emit, self.cancelled.emit,
                         on_superseded=lambda loaded: loaded.close())
        return True

    def _loaded(self, loaded):
        self.remember_recent(self.loading_path or loaded.model.location.path)
        self.loaded.emit(loaded)

    # -- drops ----------------------------------------------------------------------------
    def watch_drops(self, widgets):
        """Catches drags of files on ``widgets`` (the window and children that accept drops)."""
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched, event):
        if event.type() not in DROP_EVENTS or not isinstance(watched, QWidget):
            return False
        mime = event.mimeData()
        if not mime.hasUrls() and watched is not self.window:
            return False  # plain text dragged into the search box stays text
        if event.type() == QEvent.DragEnter:
            self.drag_enter(event)
        elif event.type() == QEvent.DragMove:
            if self._acceptable(mime):
                event.acceptProposedAction()
            else:
                event.ignore()
        else:
            self.drop(event)
        return True

    def _acceptable(self, mime):
        path, why = dropped_path(mime)
        if path is None:
            return False
        try:
            api.locate(path)
        except ModelError:
            return False
        return True

    def drag_enter(self, event):
        path, why = dropped_path(event.mimeData())
        if path is not None:
            try:
                api.locate(path)
            except ModelError as exc:
                why = exc.message
        if why is None:
            self.window.statusBar().showMessage("Drop to open %s" % os.path.basename(path.rstrip("/")), 3000)
            event.acceptProposedAction()
        else:
            self.window.notice.show_message(refusal(path, why), "error")
            event.ignore()

    def drop(self, event):
        path, why = dropped_path(event.mimeData())
        if path is not None:
            try:
                api.locate(path)
            except ModelError as exc:
                why = exc.message
        if why is not None:
            self.window.notice.show_message(refusal(path, why), "error")
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_path(path)

    # -- recent files ---------------------------------------------------------------------
    def recent_paths(self):
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            value = [value]
        return [p for p in (value or []) if p]

    def remember_recent(self, path):
        path = os.path.abspath(path)
        paths = [path] + [p for p in self.recent_paths() if p != path]
        self.settings.setValue("recent", paths[:MAX_RECENT])
        self.settings.setValue("last_folder", os.path.dirname(path))
        self.fill_recent_menu(self.window.recent_menu)

    def fill_recent_menu(self, menu):
        menu.clear()
        paths = self.recent_paths()
        for number, path in enumerate(paths, 1):
            action = menu.addAction("&%d %s" % (number, path))
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        menu.setEnabled(bool(paths))
