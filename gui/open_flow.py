"""Opening models: File › Open (files and folders), drops on any part of the window, recent files, the load."""

import gc
import logging
import os

from PyQt5.QtCore import QEvent, QObject, Qt, pyqtSignal
from PyQt5.QtWidgets import QDialog, QFileDialog, QInputDialog, QWidget

from core import api
from core.api import ModelError
from gui.worker import Worker

log = logging.getLogger(__name__)
MAX_RECENT = 8
FILE_FILTER = "TensorFlow models (*.meta *.index *.data-* checkpoint *.pb *.pbtxt);;All files (*)"
DROP_EVENTS = (QEvent.DragEnter, QEvent.DragMove, QEvent.Drop)


def accept_as_copy(event):
    """Accepts a drag or drop as a Copy (else a Link), never a Move: a file manager would delete the source
    of a move. False when the source offers neither."""
    for action in (Qt.CopyAction, Qt.LinkAction):
        if event.possibleActions() & action:
            event.setDropAction(action)
            event.accept()
            return True
    event.ignore()
    return False


def dropped_path(mime):
    """(path, None) for a drop of one local file or folder, else (None, why not)."""
    if not mime.hasUrls():
        return None, "only files and folders can be dropped"
    urls = [u for u in mime.urls() if u.isLocalFile()]
    if len(urls) != 1:
        return None, "drop one file or folder at a time"
    return urls[0].toLocalFile(), None


class TagChoice(object):
    """A load's answer when a SavedModel holds several meta graphs: the window asks which tag set."""

    def __init__(self, tag_sets):
        self.tag_sets = tag_sets

    def close(self):
        pass


def tag_text(tags):
    return ",".join(tags) if tags else "(no tags)"


class Opened(object):
    """A load's answer: the LoadedModel and its api.ModelFacts, both made in the worker thread."""

    def __init__(self, loaded, facts):
        self.loaded = loaded
        self.facts = facts

    def close(self):
        self.loaded.close()


class _collector_out_of_the_way(object):
    """A load's million objects kept out of the cyclic collector: collections pause while it runs, and after
    it they are frozen (gc.freeze, Python >= 3.7), so no collection ever walks them while holding the
    interpreter (a collection of a 100k-node model stalls the event loop 100-200 ms, again and again). What
    earlier loads left is unfrozen and collected first, in the worker, so a replaced model is freed."""

    def __enter__(self):
        self._was = gc.isenabled()
        unfreeze = getattr(gc, "unfreeze", None)  # Python >= 3.7
        if unfreeze is not None:
            unfreeze()
            gc.collect()
        gc.disable()

    def __exit__(self, *exc):
        freeze = getattr(gc, "freeze", None)
        if freeze is not None:
            freeze()
        if self._was:
            gc.enable()


def load_or_ask(path, checkpoint=None, tags=None, progress=None, cancel=None):
    """Opened (api.load and api.model_facts), or a TagChoice when ``path`` is a SavedModel with several tag
    sets and none was given."""
    if tags is None:
        tag_sets = api.saved_model_tag_sets(path)
        if len(tag_sets) > 1:
            return TagChoice(tag_sets)
    with _collector_out_of_the_way():
        loaded = api.load(path, progress=progress, cancel=cancel, checkpoint=checkpoint, tags=tags)
        try:
            if progress is not None:
                progress(100, 100, "looking for input pipelines")
            return Opened(loaded, api.model_facts(loaded))
        except BaseException:
            loaded.close()
            raise


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
        loaded(object Opened: LoadedModel and facts), failed(str), cancelled()
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
        self.loading_checkpoint = None
        self.tag_dialog = None

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
    def open_path(self, path, checkpoint=None, tags=None):
        """Loads ``path`` in a worker thread (a running load is cancelled); False when refused.

        checkpoint: a prefix to pair with the graph; tags: a SavedModel's tag set (asked when it has several).
        """
        if self.tasks.busy:
            if self.tasks.kind != "load":
                self.window.notice.show_message("Wait for the running %s to finish (or cancel it) before opening "
                                                "another model." % self.tasks.kind, "error")
                return False
            self.tasks.supersede()
        self.window.notice.clear()
        self.loading_path = path
        self.loading_checkpoint = checkpoint
        self.window.show_status("Opening %s …" % (os.path.basename(path.rstrip("/")) or path), busy=True)
        self.tasks.start(Worker(load_or_ask, path, checkpoint=checkpoint, tags=tags), "load", self._loaded,
                         self.failed.emit, self.cancelled.emit, on_superseded=lambda loaded: loaded.close())
        return True

    def _loaded(self, loaded):
        if isinstance(loaded, TagChoice):
            self.ask_tags(self.loading_path, self.loading_checkpoint, loaded.tag_sets)
            return
        self.remember_recent(self.loading_path or loaded.loaded.model.location.path)
        self.loaded.emit(loaded)
        if self.loading_checkpoint is not None:
            location = loaded.loaded.model.location
            self.window.show_status("%s paired with checkpoint %s" % (
                os.path.basename(location.model_file), os.path.basename(location.prefix)))

    def ask_tags(self, path, checkpoint, tag_sets):
        """Asks which meta graph of a SavedModel to open (default 'serve'), then opens it."""
        dialog = QInputDialog(self.window)
        dialog.setWindowTitle("Choose a meta graph")
        dialog.setLabelText("%s holds %d meta graphs. Open the one tagged:"
                            % (os.path.basename(path.rstrip("/")) or path, len(tag_sets)))
        dialog.setComboBoxItems([tag_text(t) for t in tag_sets])
        dialog.setComboBoxEditable(False)
        dialog.setTextValue(tag_text(("serve",) if ("serve",) in tag_sets else tag_sets[0]))
        texts = dict((tag_text(t), t) for t in tag_sets)
        dialog.textValueSelected.connect(lambda text: self.open_path(path, checkpoint, tags=texts[text]))
        dialog.rejected.connect(self.cancelled.emit)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        self.tag_dialog = dialog
        dialog.open()

    # -- pairing a graph with a dropped checkpoint ----------------------------------------
    def pairing(self, path):
        """The checkpoint prefix a drop of ``path`` pairs with the shown graph, or None (then it opens)."""
        loaded = self.window.loaded
        if path is None or loaded is None or loaded.model.checkpoint is not None or self.tasks.busy:
            return None
        return api.dropped_checkpoint(path)

    def pair(self, prefix):
        """Reloads the shown graph with the checkpoint ``prefix``."""
        model = self.window.loaded.model
        return self.open_path(model.location.model_file, checkpoint=prefix, tags=model.tags)

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
            if not self._acceptable(mime) or not accept_as_copy(event):
                event.ignore()
        else:
            self.drop(event)
        return True

    def _acceptable(self, mime):
        path, why = dropped_path(mime)
        if path is None:
            return False
        if self.pairing(path):
            return True
        try:
            api.locate(path)
        except ModelError:
            return False
        return True

    def drag_enter(self, event):
        path, why = dropped_path(event.mimeData())
        prefix = self.pairing(path)
        if prefix is not None:
            self.window.statusBar().showMessage("Drop to pair the graph with checkpoint %s"
                                                % os.path.basename(prefix), 3000)
            accept_as_copy(event)
            return
        if path is not None:
            try:
                api.locate(path)
            except ModelError as exc:
                why = exc.message
        if why is None:
            self.window.statusBar().showMessage("Drop to open %s" % os.path.basename(path.rstrip("/")), 3000)
            accept_as_copy(event)
        else:
            self.window.notice.show_message(refusal(path, why), "error")
            event.ignore()

    def drop(self, event):
        path, why = dropped_path(event.mimeData())
        prefix = self.pairing(path)
        if prefix is not None:
            if accept_as_copy(event):
                self.pair(prefix)
            return
        if path is not None:
            try:
                api.locate(path)
            except ModelError as exc:
                why = exc.message
        if why is not None:
            self.window.notice.show_message(refusal(path, why), "error")
            event.ignore()
            return
        if accept_as_copy(event):
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
        if paths:
            menu.addSeparator()
            clear = menu.addAction("&Clear the list")
            clear.setObjectName("clear_recent")
            clear.triggered.connect(self.clear_recent)
        menu.setEnabled(bool(paths))

    def clear_recent(self):
        self.settings.setValue("recent", [])
        self.fill_recent_menu(self.window.recent_menu)
