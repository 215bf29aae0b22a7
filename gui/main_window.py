"""The main window: open by menu or drop, browse and search the op tree, tick outputs, freeze, verify."""

import logging
import os

from PyQt5.QtCore import QSettings, Qt, QTimer, QUrl, pyqtSignal
from PyQt5.QtGui import QDesktopServices, QKeySequence
from PyQt5.QtWidgets import (QAbstractItemView, QAction, QDockWidget, QFileDialog, QHeaderView, QLabel,
                             QLineEdit, QMainWindow, QMessageBox, QProgressBar, QPushButton, QSplitter,
                             QTreeView, QVBoxLayout, QWidget)

from core import api
from core.api import ModelError, QueryError
from gui.details_panel import DetailsPanel
from gui.graph_dock import attach_graph_dock
from gui.log_panel import LogPanel
from gui.op_tree_model import NAME, OpTreeModel
from gui.outputs_panel import OutputsPanel
from gui.worker import Worker

log = logging.getLogger(__name__)
MAX_RECENT = 8
MAX_EXPANDED_MATCHES = 50


class MainWindow(QMainWindow):
    """The application window.

    Signals (for tests and scripting): model_loaded(), load_failed(str),
    freeze_finished(object report), freeze_failed(str), freeze_cancelled(), verify_finished(object).
    """

    model_loaded = pyqtSignal()
    load_failed = pyqtSignal(str)
    freeze_finished = pyqtSignal(object)
    freeze_failed = pyqtSignal(str)
    freeze_cancelled = pyqtSignal()
    verify_finished = pyqtSignal(object)

    def __init__(self, settings=None):
        super(MainWindow, self).__init__()
        self.settings = settings or QSettings()
        self.loaded = None
        self.tree_model = None
        self.worker = None
        self.worker_kind = None
        self._workers = set()  # every started worker, kept until its thread has finished
        self.last_freeze = None
        self._history = []
        self._history_at = -1
        self.setWindowTitle("tf1freeze")
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        self._build_widgets()
        self._build_actions()
        self.graph_dock = attach_graph_dock(self)  # View › Graph (Ctrl+G)
        self._update_actions()

    # -- construction ---------------------------------------------------------------------
    def _build_widgets(self):
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search nodes: terms, glob*, /regex/, op:Relu   (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.match_label = QLabel("")
        self.match_label.setMinimumWidth(110)
        self.notice = QLabel("")
        self.notice.setWordWrap(True)
        self.notice.setObjectName("notice")
        self.notice.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.notice.hide()
        self.tree = QTreeView()
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SingleSelection)
        self.tree.setAlternatingRowColors(True)
        self.tree.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.tree.doubleClicked.connect(self._tree_double_clicked)
        self.placeholder = QLabel("<h2>Drop a TensorFlow 1.x checkpoint here</h2>"
                                  "<p>the .meta, .index, a .data shard, the 'checkpoint' file, a folder, "
                                  "or a frozen .pb — or use File › Open (Ctrl+O)</p>")
        self.placeholder.setAlignment(Qt.AlignCenter)
        self.placeholder.setObjectName("placeholder")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(4, 4, 4, 4)
        search_row = QSplitter(Qt.Horizontal)
        search_row.addWidget(self.search)
        search_row.addWidget(self.match_label)
        search_row.setStretchFactor(0, 1)
        search_row.setChildrenCollapsible(False)
        left_layout.addWidget(self.notice)
        left_layout.addWidget(search_row)
        left_layout.addWidget(self.placeholder, 1)
        left_layout.addWidget(self.tree, 1)
        self.tree.hide()
        self.details = DetailsPanel()
        self.details.navigate.connect(self.navigate)
        self.outputs = OutputsPanel()
        self.outputs.remove.connect(lambda name: self.tree_model and self.tree_model.set_checked(name, False))
        self.outputs.use_suggested.connect(self.use_suggested_outputs)
        self.outputs.freeze.connect(self.freeze)
        self.outputs.verify.connect(self.verify)
        self.outputs.navigate.connect(self.navigate)
        right = QSplitter(Qt.Vertical)
        right.addWidget(self.details)
        right.addWidget(self.outputs)
        right.setSizes([480, 300])
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([760, 520])
        self.setCentralWidget(splitter)
        self.log_panel = LogPanel()
        self.log_dock = QDockWidget("Log", self)
        self.log_dock.setObjectName("log")
        self.log_dock.setWidget(self.log_panel)
        self.addDockWidget(Qt.BottomDockWidgetArea, self.log_dock)
        self.log_dock.hide()
        self.status_model = QLabel("No model")
        self.status_counts = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel_work)
        status = self.statusBar()
        status.addWidget(self.status_model, 1)
        status.addPermanentWidget(self.status_counts)
        status.addPermanentWidget(self.progress)
        status.addPermanentWidget(self.cancel_button)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(200)
        self.search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _: self.search_timer.start())
        self.search.returnPressed.connect(self.apply_search)

    def _action(self, text, slot, shortcut=None, checkable=False, tip=None):
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_actions(self):
        self.open_action = self._action("&Open…", self.open_dialog, QKeySequence.Open,
                                        tip="Open a checkpoint, folder or frozen graph")
        self.freeze_action = self._action("&Freeze…", self.freeze, QKeySequence.Save,
                                          tip="Freeze the ticked outputs into a .pb")
        self.quit_action = self._action("&Quit", self.close, QKeySequence.Quit)
        self.find_action = self._action("&Find", self.focus_search, QKeySequence.Find)
        self.copy_outputs_action = self._action("Copy &outputs", self.outputs.copy, "Ctrl+Shift+C",
                                                tip="Copy the ticked outputs as a comma-separated list")
        self.suggest_action = self._action("Use &suggested outputs", self.use_suggested_outputs, "Ctrl+Shift+S")
        self.training_action = self._action("Show &training ops", self._toggle_training, checkable=True)
        self.training_action.setChecked(True)
        self.log_action = self.log_dock.toggleViewAction()
        self.log_action.setText("&Log panel")
        self.log_action.setShortcut(QKeySequence("Ctrl+L"))
        self.back_action = self._action("&Back", self.back, "Alt+Left")
        self.forward_action = self._action("&Forward", self.forward, "Alt+Right")
        self.about_action = self._action("&About", self._about)
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addAction(self.freeze_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = menu.addMenu("&Edit")
        edit_menu.addAction(self.find_action)
        edit_menu.addAction(self.copy_outputs_action)
        edit_menu.addAction(self.suggest_action)
        view_menu = menu.addMenu("&View")
        view_menu.addAction(self.training_action)
        view_menu.addAction(self.log_action)
        go_menu = menu.addMenu("&Go")
        go_menu.addAction(self.back_action)
        go_menu.addAction(self.forward_action)
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self.about_action)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main")
        for action in (self.open_action, self.freeze_action, self.back_action, self.forward_action):
            toolbar.addAction(action)
        self._fill_recent_menu()

    def _update_actions(self):
        has_model = self.loaded is not None
        outputs = self.tree_model.checked if self.tree_model is not None else []
        busy = self.worker is not None
        can_freeze = has_model and self.loaded.model.can_freeze and bool(outputs) and not busy
        self.freeze_action.setEnabled(can_freeze)
        self.outputs.freeze_button.setEnabled(can_freeze)
        self.suggest_action.setEnabled(has_model)
        self.outputs.suggest_button.setEnabled(has_model and bool(self.loaded.analysis.candidates))
        self.back_action.setEnabled(self._history_at > 0)
        self.forward_action.setEnabled(0 <= self._history_at < len(self._history) - 1)
        self.outputs.verify_button.setEnabled(self.last_freeze is not None and not busy)
        self.open_action.setEnabled(not busy or self.worker_kind != "load")

    # -- notices --------------------------------------------------------------------------
    def show_error(self, message):
        """Shows an error in the notice bar (never a traceback) and logs it."""
        log.error("%s", message)
        self.notice.setProperty("kind", "error")
        self.notice.setText(message)
        self.notice.setStyleSheet("background:#fce8e6;color:#a50e0e;padding:6px;border-radius:4px")
        self.notice.show()

    def show_notice(self, message):
        self.notice.setStyleSheet("background:#e8f0fe;color:#174ea6;padding:6px;border-radius:4px")
        self.notice.setText(message)
        self.notice.show()

    def clear_notice(self):
        self.notice.hide()
        self.notice.setText("")

    # -- opening --------------------------------------------------------------------------
    def open_dialog(self):
        start = self.settings.value("last_folder", os.path.expanduser("~"))
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a TensorFlow model", start,
            "TensorFlow models (*.meta *.index *.data-* checkpoint *.pb *.pbtxt);;All files (*)")
        if path:
            self.open_path(path)

    def open_path(self, path):
        """Loads ``path`` in a worker thread; the window stays responsive."""
        if self.worker is not None:
            if self.worker_kind == "load":
                self.worker.cancel()
            else:
                self.show_error("Wait for the running freeze to finish (or cancel it) before opening another model.")
                return
        self.clear_notice()
        self.status_model.setText("Opening %s …" % path)
        self._start(Worker(api.load, path), "load", self._loaded, self._load_failed)
        self._loading_path = path

    def _loaded(self, loaded):
        if self.loaded is not None:
            self.loaded.model.close()
        self.loaded = loaded
        self.last_freeze = None
        self.tree_model = OpTreeModel(loaded.analysis, self)
        self.tree_model.checked_changed.connect(self._outputs_changed)
        if not self.training_action.isChecked():
            self.tree_model.set_filter(None, hide_training=True)
        self.tree.setModel(self.tree_model)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.Interactive)
        header.resizeSection(0, 420)
        header.resizeSection(1, 130)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.placeholder.hide()
        self.tree.show()
        self.search.clear()
        self.match_label.setText("")
        self._history = []
        self._history_at = -1
        self.outputs.set_outputs([])
        model = loaded.model
        location = model.location
        self.setWindowTitle("%s — tf1freeze" % os.path.basename(location.model_file or location.path))
        self.status_model.setText("%s  (%s)" % (location.model_file or location.path, location.kind))
        summary = loaded.analysis.summary()
        self.status_counts.setText("%d nodes · %d variables · %s parameters" % (
            summary.nodes, summary.variables, "{:,}".format(summary.parameters)))
        notes = list(location.notes)
        if not model.can_freeze:
            notes.append("No checkpoint: this graph can be inspected but not frozen.")
        if notes:
            self.show_notice("\n".join(notes))
        self._remember_recent(getattr(self, "_loading_path", location.path))
        for candidate in loaded.analysis.candidates[:3]:
            self._expand_to(candidate.name)
        if loaded.analysis.candidates:
            self.navigate(loaded.analysis.candidates[0].name)
        self._update_actions()
        self.model_loaded.emit()

    def _load_failed(self, message):
        self.status_model.setText("No model" if self.loaded is None else self.status_model.text())
        self.show_error(message)
        self.load_failed.emit(message)

    # -- drag and drop --------------------------------------------------------------------
    @staticmethod
    def _dropped_path(mime):
        if not mime.hasUrls():
            return None, "only files and folders can be dropped"
        urls = [u for u in mime.urls() if u.isLocalFile()]
        if len(urls) != 1:
            return None, "drop one file or folder at a time"
        return urls[0].toLocalFile(), None

    def dragEnterEvent(self, event):
        path, why = self._dropped_path(event.mimeData())
        if path is not None:
            try:
                api.locate(path)
            except ModelError as exc:
                why = str(exc)
        if why is None:
            self.statusBar().showMessage("Drop to open %s" % path, 3000)
            event.acceptProposedAction()
        else:
            self.statusBar().showMessage("Cannot open this: %s" % why, 5000)
            event.ignore()

    def dragMoveEvent(self, event):
        event.acceptProposedAction()

    def dropEvent(self, event):
        path, why = self._dropped_path(event.mimeData())
        if path is None:
            self.show_error("Cannot open this drop: %s" % why)
            return
        try:
            api.locate(path)
        except ModelError as exc:
            self.show_error("Cannot open %s: %s. Supported: %s." % (os.path.basename(path) or path, exc.message, api.supported_files()))
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

    def _remember_recent(self, path):
        path = os.path.abspath(path)
        paths = [path] + [p for p in self.recent_paths() if p != path]
        self.settings.setValue("recent", paths[:MAX_RECENT])
        self.settings.setValue("last_folder", os.path.dirname(path))
        self._fill_recent_menu()

    def _fill_recent_menu(self):
        self.recent_menu.clear()
        paths = self.recent_paths()
        for number, path in enumerate(paths, 1):
            action = self.recent_menu.addAction("&%d %s" % (number, path))
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(paths))

    # -- search and filters ---------------------------------------------------------------
    def focus_search(self):
        self.search.setFocus()
        self.search.selectAll()

    def apply_search(self):
        """Filters the tree to the query's matches (debounced while typing)."""
        self.search_timer.stop()
        if self.tree_model is None:
            return
        text = self.search.text().strip()
        hide_training = not self.training_action.isChecked()
        if not text:
            self.tree_model.set_filter(None, hide_training)
            self.match_label.setText("")
            return
        try:
            matches = self.loaded.analysis.search(text)
        except QueryError as exc:
            self.match_label.setText("bad query")
            self.statusBar().showMessage(str(exc), 5000)
            return
        self.tree_model.set_filter(matches, hide_training)
        self.match_label.setText("%d match%s" % (len(matches), "" if len(matches) == 1 else "es"))
        for name in matches[:MAX_EXPANDED_MATCHES]:
            self._expand_to(name, include_self=False)
        if matches:
            index = self.tree_model.index_of(matches[0])
            if index.isValid():
                self.tree.setCurrentIndex(index)
                self.tree.scrollTo(index)

    def _toggle_training(self, checked):
        if self.tree_model is None:
            return
        self.apply_search() if self.search.text().strip() else self.tree_model.set_filter(None, not checked)

    def keyPressEvent(self, event):
        if event.key() == Qt.Key_Escape and self.search.hasFocus():
            self.search.clear()
            self.apply_search()
            return
        super(MainWindow, self).keyPressEvent(event)

    # -- navigation -----------------------------------------------------------------------
    def _expand_to(self, name, include_self=False):
        if self.tree_model is None:
            return
        chain = self.loaded.analysis.scope_tree.path_of(name)
        targets = chain if include_self else chain[:-1]
        for node in targets:
            index = self.tree_model.index_of(node.full_path)
            if index.isValid():
                self.tree.expand(index)

    def navigate(self, name, record=True):
        """Selects, expands to and scrolls to ``name``; shows its details; records history."""
        if self.tree_model is None or name not in self.loaded.analysis.graph:
            return False
        index = self.tree_model.index_of(name)
        if not index.isValid():  # hidden by the search or the training filter
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)
            self.training_action.setChecked(True)
            self.tree_model.set_filter(None, hide_training=False)
            self.match_label.setText("")
            index = self.tree_model.index_of(name)
        self._expand_to(name)
        self._navigating = True
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index, QAbstractItemView.PositionAtCenter)
        self._navigating = False
        self._show_details(name)
        if record:
            del self._history[self._history_at + 1:]
            if not self._history or self._history[-1] != name:
                self._history.append(name)
            self._history_at = len(self._history) - 1
        self._update_actions()
        return True

    def back(self):
        if self._history_at > 0:
            self._history_at -= 1
            self.navigate(self._history[self._history_at], record=False)

    def forward(self):
        if self._history_at < len(self._history) - 1:
            self._history_at += 1
            self.navigate(self._history[self._history_at], record=False)

    def _current_changed(self, current, previous):
        if getattr(self, "_navigating", False) or not current.isValid():
            return
        name = current.internalPointer().op_name
        if name is not None:
            self._show_details(name)

    def _tree_double_clicked(self, index):
        name = index.internalPointer().op_name if index.isValid() else None
        if name is not None:
            self.navigate(name)

    def _show_details(self, name):
        self.details.show_node(self.loaded.model, self.loaded.analysis, name, self.loaded.variables)

    # -- outputs --------------------------------------------------------------------------
    def _outputs_changed(self):
        self.outputs.set_outputs(self.tree_model.checked)
        self._update_actions()

    def use_suggested_outputs(self):
        """Ticks the top candidates: the highlighted best group (all within a score margin of the best)."""
        if self.tree_model is None or not self.loaded.analysis.candidates:
            return
        candidates = self.loaded.analysis.candidates
        best = candidates[0].score
        chosen = [c.name for c in candidates[:5] if c.score >= best - 2.0 and c.score > 4.0] or [candidates[0].name]
        self.tree_model.set_all_checked(chosen)
        for name in chosen:
            self._expand_to(name)

    # -- freezing -------------------------------------------------------------------------
    def freeze(self):
        if self.tree_model is None or not self.tree_model.checked or self.worker is not None:
            return
        if not self.loaded.model.can_freeze:
            self.show_error("This model has no checkpoint beside it: it can be inspected but not frozen.")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the frozen graph", self.loaded.model.default_output_path(),
                                              "Frozen GraphDef (*.pb);;All files (*)")
        if path:
            self.start_freeze(path)

    def switch_values(self):
        """Training switches fixed by inference mode: {name: default}."""
        if not self.outputs.inference_mode.isChecked():
            return {}
        return dict((s.name, s.default) for s in self.loaded.analysis.training_switches if s.default is not None)

    def start_freeze(self, destination):
        """Freezes the ticked outputs into ``destination`` in a worker thread."""
        self.clear_notice()
        outputs = self.tree_model.checked
        request = api.FreezeRequest(outputs, destination=destination, values=self.switch_values(),
                                    keep_devices=self.outputs.keep_devices.isChecked())
        worker = Worker(api.freeze, self.loaded.model, request)
        self.status_model.setText("Freezing %d output(s) into %s …" % (len(outputs), destination))
        self._start(worker, "freeze", self._frozen, self._freeze_failed)

    def _frozen(self, report):
        self.last_freeze = report
        self.status_model.setText("Froze into %s" % report.destination)
        text = ("Froze %d output(s) into\n%s\n\nNodes: %d → %d\nVariables converted: %d\nSize: %s\nTime: %.2f s"
                % (len(report.outputs), report.destination, report.nodes_before, report.nodes_after,
                   report.variables_converted, api.human_size(report.bytes_written), report.seconds))
        if report.notes:
            text += "\n\n" + "\n".join(report.notes)
        box = QMessageBox(QMessageBox.Information, "Frozen", text, QMessageBox.Ok, self)
        open_folder = box.addButton("Open folder", QMessageBox.ActionRole)
        verify = box.addButton("Verify", QMessageBox.ActionRole)
        box.buttonClicked.connect(lambda button: self._frozen_button(button, open_folder, verify, report))
        box.setModal(False)
        box.show()
        self.freeze_box = box
        self.freeze_finished.emit(report)

    def _frozen_button(self, button, open_folder, verify, report):
        if button is open_folder:
            QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(report.destination)))
        elif button is verify:
            self.verify()

    def _freeze_failed(self, message):
        self.status_model.setText("Freeze failed")
        self.show_error("Freeze failed: %s" % message)
        self.freeze_failed.emit(message)

    # -- verification ---------------------------------------------------------------------
    def verify(self):
        if self.last_freeze is None or self.worker is not None:
            return
        from gui.verify_dialog import run_verification
        run_verification(self)

    # -- workers --------------------------------------------------------------------------
    def _start(self, worker, kind, on_finished, on_failed):
        self.worker = worker
        self.worker_kind = kind
        self._workers.add(worker)
        worker.finished.connect(lambda result, w=worker: self._if_current(w, on_finished, result))
        worker.failed.connect(lambda message, w=worker: self._if_current(w, on_failed, message))
        worker.cancelled.connect(lambda w=worker: self._if_current(w, self._cancelled, kind))
        worker.progress.connect(lambda done, total, message, w=worker:
                                self._if_current(w, self._progress, done, total, message))
        worker.done.connect(lambda w=worker: self._worker_done(w))
        worker.thread_finished.connect(lambda w=worker: self._workers.discard(w))
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        self._update_actions()
        worker.start()

    def _progress(self, done, total, message):
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        else:
            self.progress.setRange(0, 0)
        if message:
            self.progress.setToolTip(message)

    def _cancelled(self, kind):
        self.status_model.setText("Cancelled" if self.loaded is None else "Freeze cancelled; nothing was written"
                                  if kind == "freeze" else self.status_model.text())
        if kind == "freeze":
            self.freeze_cancelled.emit()

    def _if_current(self, worker, slot, *args):
        """Delivers a worker's result only while it is the current one (a superseded load is ignored)."""
        if worker is self.worker:
            slot(*args)
        elif args and isinstance(args[0], api.LoadedModel):
            args[0].model.close()  # a load the user replaced by another

    def _worker_done(self, worker):
        if worker is not self.worker:
            return
        self.worker = None
        self.worker_kind = None
        self.progress.hide()
        self.cancel_button.hide()
        self._update_actions()

    def cancel_work(self):
        if self.worker is not None:
            self.worker.cancel()

    def wait_for_workers(self, msecs=30000):
        """Cancels and joins every worker (closing the window, tests)."""
        for worker in list(self._workers):
            worker.cancel()
            worker.wait(msecs)
        self._workers.clear()

    # -- misc -----------------------------------------------------------------------------
    def _about(self):
        QMessageBox.about(self, "About tf1freeze",
                          "<b>tf1freeze</b><p>Turn TensorFlow 1.x checkpoints into frozen graphs that "
                          "TensorFlow 1.4 runs, without TensorFlow.</p>")

    def closeEvent(self, event):
        self.wait_for_workers()
        if self.loaded is not None:
            self.loaded.model.close()
        self.log_panel.detach()
        super(MainWindow, self).closeEvent(event)
