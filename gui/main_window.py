"""The window shell: widgets, menus and the glue between the tree, the details and the flows."""

import logging
import os

from PyQt5.QtCore import QSettings, Qt, pyqtSignal
from PyQt5.QtWidgets import (QAbstractItemView, QApplication, QDockWidget, QLabel, QMainWindow,
                             QMessageBox, QSplitter, QTreeView, QVBoxLayout, QWidget)

from core import api
from core.api import QueryError
from gui.details_panel import DetailsPanel
from gui.freeze_flow import FreezeFlow, plural
from gui.graph_dock import attach_graph_dock
from gui.history import History
from gui.legend import Legend
from gui.log_panel import LogPanel
from gui.notice_bar import NoticeBar
from gui.op_tree_model import OpTreeModel
from gui.open_flow import OpenFlow
from gui.outputs_panel import OutputsPanel
from gui.runtime_watch import RuntimeWatch
from gui.search_bar import SearchBar
from gui.signatures_box import SignaturesBox, use_signature
from gui.tasks import TaskRunner
from gui import menus, tree_menu
from gui.tree_view import fit_columns, keep_view

log = logging.getLogger(__name__)
MAX_EXPANDED_MATCHES = 50


def display_name(location):
    """'mlp/model.ckpt.meta': the model's folder and file, no machine path."""
    path = os.path.abspath(location.model_file or location.path)
    return "%s/%s" % (os.path.basename(os.path.dirname(path)), os.path.basename(path))


class MainWindow(QMainWindow):
    """The application window.

    Signals (for tests and scripting): model_loaded(), load_failed(str), load_cancelled(),
    freeze_finished(object report), freeze_failed(str), freeze_cancelled(), verify_finished(object).
    """

    model_loaded = pyqtSignal()
    load_failed = pyqtSignal(str)
    load_cancelled = pyqtSignal()
    freeze_finished = pyqtSignal(object)
    freeze_failed = pyqtSignal(str)
    freeze_cancelled = pyqtSignal()
    verify_finished = pyqtSignal(object)

    def __init__(self, settings=None):
        super(MainWindow, self).__init__()
        self.settings = settings or QSettings()
        self.loaded = None
        self.tree_model = None
        self.history = History()
        self._navigating = False
        self._idle_status = "No model"
        self.tasks = TaskRunner(self)
        self.opener = OpenFlow(self, self.tasks, self.settings)
        self.freezer = FreezeFlow(self, self.tasks)
        self.setWindowTitle("tf1freeze")
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        self._build_widgets()
        self._build_actions()
        self._connect()
        self.graph_dock = attach_graph_dock(self)  # View › Graph (Ctrl+G)
        self._update_actions()

    # -- construction ---------------------------------------------------------------------
    def _build_widgets(self):
        self.search_bar = SearchBar()
        self.search, self.match_label = self.search_bar.edit, self.search_bar.match_label
        self.notice = NoticeBar()
        self.tree = QTreeView()
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SingleSelection)
        self.tree.setAlternatingRowColors(True)
        self.tree.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.tree.hide()
        self.placeholder = QLabel("<h2>Drop a TensorFlow 1.x checkpoint here</h2>"
                                  "<p>the .meta, .index, a .data shard, the 'checkpoint' file, a folder, "
                                  "or a frozen .pb — or use File › Open (Ctrl+O)</p>")
        self.placeholder.setAlignment(Qt.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setObjectName("placeholder")
        self.legend = Legend()
        self.legend.hide()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(4, 4, 4, 4)
        for widget, stretch in ((self.notice, 0), (self.search_bar, 0), (self.placeholder, 1), (self.tree, 1),
                                (self.legend, 0)):
            left_layout.addWidget(widget, stretch)
        self.details = DetailsPanel()
        self.outputs = OutputsPanel()
        self.signatures = SignaturesBox()
        self.outputs.add_options(self.signatures)
        self.runtime = RuntimeWatch(self, self.settings)
        self.outputs.add_options(self.runtime.widget)
        right = QSplitter(Qt.Vertical)
        right.addWidget(self.details)
        right.addWidget(self.outputs)
        right.setSizes([480, 300])
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.setCentralWidget(self.splitter)
        self.log_panel = LogPanel()
        self.log_dock = QDockWidget("Log", self)
        self.log_dock.setObjectName("log")
        self.log_dock.setWidget(self.log_panel)
        self.addDockWidget(Qt.BottomDockWidgetArea, self.log_dock)
        self.log_dock.hide()
        self.status_model = QLabel("No model")
        self.status_counts = QLabel("")
        status = self.statusBar()
        status.addWidget(self.status_model, 1)
        status.addPermanentWidget(self.status_counts)
        for widget in self.tasks.widgets():
            status.addPermanentWidget(widget)

    def _build_actions(self):
        menus.build(self)
        self.opener.fill_recent_menu(self.recent_menu)

    def _connect(self):
        self.tree.doubleClicked.connect(self._tree_double_clicked)
        self.search_bar.query.connect(self.apply_search)
        self.details.navigate.connect(self.navigate)
        self.outputs.remove.connect(lambda name: self.tree_model and self.tree_model.set_checked(name, False))
        self.outputs.use_suggested.connect(self.use_suggested_outputs)
        self.signatures.use.connect(self.use_signature_outputs)
        self.outputs.freeze.connect(self.freeze)
        self.outputs.verify.connect(self.verify)
        self.outputs.navigate.connect(self.navigate)
        self.outputs.copy_button.clicked.disconnect()
        self.outputs.copy_button.clicked.connect(self.copy_outputs)
        self.tasks.changed.connect(self._update_actions)
        self.opener.loaded.connect(self.show_model)
        self.opener.failed.connect(self._load_failed)
        self.opener.cancelled.connect(self._load_cancelled)
        self.freezer.finished.connect(self.freeze_finished)
        self.freezer.failed.connect(self.freeze_failed)
        self.freezer.cancelled.connect(self.freeze_cancelled)
        self.freezer.verified.connect(self.verify_finished)
        self.freezer.cuts_changed.connect(lambda: self.outputs.set_cuts(self.freezer.cuts))
        self.freezer.cuts_changed.connect(self.runtime.schedule)
        self.outputs.inference_mode.toggled.connect(self.runtime.schedule)
        tree_menu.install(self)
        self.opener.watch_drops([self, self.search, self.details.viewport(), self.tree.viewport(),
                                 self.outputs.list.viewport()])

    def _update_actions(self):
        has_model = self.loaded is not None
        outputs = self.tree_model.checked if self.tree_model is not None else []
        busy = self.tasks.busy
        can_freeze = has_model and self.loaded.model.can_freeze and bool(outputs) and not busy
        self.freeze_action.setEnabled(can_freeze)
        self.outputs.freeze_button.setEnabled(can_freeze)
        self.suggest_action.setEnabled(has_model)
        self.signature_action.setEnabled(has_model and bool(self.signatures.current()))
        self.outputs.suggest_button.setEnabled(has_model and bool(self.loaded.analysis.candidates))
        self.back_action.setEnabled(self.history.can_back)
        self.forward_action.setEnabled(self.history.can_forward)
        self.outputs.verify_button.setEnabled(self.freezer.last is not None and not busy)
        for action in (self.open_action, self.open_folder_action):
            action.setEnabled(not busy or self.tasks.kind == "load")

    # -- status ---------------------------------------------------------------------------
    def show_status(self, text, busy=False):
        """The status line; a busy text ("Opening …") is replaced by the last idle one when the task ends."""
        if not busy:
            self._idle_status = text
        self.status_model.setText(text)

    def _load_failed(self, message):
        self.status_model.setText(self._idle_status)
        self.notice.show_message(message, "error")
        self.load_failed.emit(message)

    def _load_cancelled(self):
        self.status_model.setText(self._idle_status)
        self.statusBar().showMessage("Opening cancelled", 4000)
        self.load_cancelled.emit()

    # -- a loaded model -------------------------------------------------------------------
    def open_path(self, path):
        return self.opener.open_path(path)

    def show_model(self, loaded):
        """Shows a freshly loaded model: tree, title, counts, notices; selects the best candidate."""
        self.runtime.stop()
        if self.loaded is not None:
            self.loaded.close()
        self.loaded = loaded
        self.freezer.reset()
        self.tree_model = OpTreeModel(loaded.analysis, self)
        self.tree_model.checked_changed.connect(self._outputs_changed)
        if not self.training_action.isChecked():
            self.tree_model.set_filter(None, hide_training=True)
        self.tree.setModel(self.tree_model)
        fit_columns(self.tree, loaded.analysis)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.placeholder.hide()
        self.tree.show()
        self.legend.show()
        self.search_bar.clear_silently()
        self.history.clear()
        self.outputs.set_outputs([])
        self.signatures.set_signatures(loaded.model.signatures)
        location = loaded.model.location
        name = display_name(location)
        self.setWindowTitle("%s — tf1freeze" % name)
        tags = " · tags %s" % (",".join(loaded.model.tags) or "(none)") if loaded.model.tags is not None else ""
        self.show_status("%s  (%s%s)" % (name, location.kind, tags))
        self.status_model.setToolTip(location.model_file or location.path)
        summary = loaded.analysis.summary()
        self.status_counts.setText("%d nodes · %d variables · %s parameters" % (
            summary.nodes, summary.variables, "{:,}".format(summary.parameters)))
        for note in location.notes:
            log.info("%s", note)
        # A state file's path from the training machine, resolved beside it, is routine: log only.
        notes = [n for n in location.notes if not n.startswith("the checkpoint state file names")]
        if not loaded.model.can_freeze and not any("checkpoint" in note for note in notes):
            notes.append("No checkpoint: this graph can be inspected but not frozen.")
        if notes:
            self.notice.show_message("\n".join(notes[:1] + [n[:1].upper() + n[1:] for n in notes[1:]]))
        for candidate in loaded.analysis.candidates[:3]:
            self._expand_to(candidate.name)
        if loaded.analysis.candidates:
            self.navigate(loaded.analysis.candidates[0].name)
        self.runtime.model_changed()
        self._update_actions()
        self.model_loaded.emit()

    def recent_paths(self):
        return self.opener.recent_paths()

    # -- search and filters ---------------------------------------------------------------
    def focus_search(self):
        self.search.setFocus()
        self.search.selectAll()

    def apply_search(self, text=None):
        """Filters the tree to the query's matches, keeping the selected node and open scopes."""
        self.search_bar.timer.stop()
        if self.tree_model is None:
            return
        text = self.search_bar.text() if text is None else text
        hide_training = not self.training_action.isChecked()
        if not text:
            with keep_view(self.tree, self.tree_model):
                self.tree_model.set_filter(None, hide_training)
            self.search_bar.show_count(None)
            return
        try:
            matches = self.loaded.analysis.search(text)
        except QueryError as exc:
            self.search_bar.show_error(str(exc))
            return
        with keep_view(self.tree, self.tree_model):
            self.tree_model.set_filter(matches, hide_training)
        self.search_bar.show_count(len(matches))
        for name in matches[:MAX_EXPANDED_MATCHES]:
            self._expand_to(name)
        if matches:
            index = self.tree_model.index_of(matches[0])
            if index.isValid():
                self.tree.setCurrentIndex(index)
                self.tree.scrollTo(index)

    def refilter(self, _checked=None):
        if self.tree_model is not None:
            self.apply_search()

    # -- navigation -----------------------------------------------------------------------
    def _expand_to(self, name, include_self=False):
        if self.tree_model is None:
            return
        chain = self.loaded.analysis.scope_tree.path_of(name)
        for node in (chain if include_self else chain[:-1]):
            index = self.tree_model.index_of(node.full_path)
            if index.isValid():
                self.tree.expand(index)

    def navigate(self, name, record=True):
        """Selects, expands to and scrolls to ``name``; shows its details; records history."""
        if self.tree_model is None or name not in self.loaded.analysis.graph:
            return False
        index = self.tree_model.index_of(name)
        if not index.isValid():  # hidden by the search or the training filter
            self.search_bar.clear_silently()
            self.training_action.setChecked(True)
            self.tree_model.set_filter(None, hide_training=False)
            index = self.tree_model.index_of(name)
        self._expand_to(name)
        self._navigating = True
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index, QAbstractItemView.PositionAtCenter)
        self._navigating = False
        self._show_details(name)
        if record:
            self.history.visit(name)
        self._update_actions()
        return True

    def back(self):
        name = self.history.back()
        if name is not None:
            self.navigate(name, record=False)

    def forward(self):
        name = self.history.forward()
        if name is not None:
            self.navigate(name, record=False)

    def _current_changed(self, current, previous):
        if self._navigating or not current.isValid():
            return
        name = current.internalPointer().op_name
        if name is not None:
            self._show_details(name)
            self.history.visit(name)  # a node picked in the tree is a place Back returns to
            self._update_actions()

    def _tree_double_clicked(self, index):
        name = index.internalPointer().op_name if index.isValid() else None
        if name is not None:
            self.navigate(name)

    def _show_details(self, name):
        self.details.show_node(self.loaded.model, self.loaded.analysis, name, self.loaded.variables)

    # -- outputs --------------------------------------------------------------------------
    def _outputs_changed(self):
        self.outputs.set_outputs(self.tree_model.checked)
        self.runtime.schedule()
        self._update_actions()

    def use_suggested_outputs(self):
        """Ticks exactly the outputs core suggests (api.suggested_outputs: one form per head of each prediction)."""
        if self.tree_model is None:
            return
        chosen = api.suggested_outputs(self.loaded)
        if not chosen:
            return
        self.tree_model.set_all_checked(chosen)
        for name in chosen:
            self._expand_to(name)

    def use_signature_outputs(self, name=None):
        """Ticks a SavedModel signature's outputs and cuts at its non-placeholder inputs (gui.signatures_box)."""
        return use_signature(self, name or None)

    def copy_outputs(self):
        names = self.outputs.outputs()
        if not names:
            self.statusBar().showMessage("Nothing to copy: tick outputs first", 4000)
            return
        QApplication.clipboard().setText(",".join(names))
        self.statusBar().showMessage("Copied %s: %s" % (plural(len(names), "output name"), ",".join(names)), 5000)

    # -- freezing and verifying (gui.freeze_flow) -----------------------------------------
    def switch_values(self):
        """The placeholder values the freeze options fix (inference mode): {name: value}, from the core."""
        if self.loaded is None:
            return {}
        return api.fixed_values(self.loaded, self.freezer.request(None))

    def freeze(self):
        self.freezer.freeze()

    def start_freeze(self, destination):
        self.freezer.start(destination)

    def verify(self):
        self.freezer.verify()

    @property
    def last_freeze(self):
        return self.freezer.last

    @property
    def worker(self):
        """The running task (load, freeze or verify), or None."""
        return self.tasks.current

    def cancel_work(self):
        self.tasks.cancel()

    def wait_for_workers(self, msecs=30000):
        self.tasks.wait_all(msecs)

    # -- misc -----------------------------------------------------------------------------
    def _about(self):
        QMessageBox.about(self, "About tf1freeze",
                          "<b>tf1freeze</b><p>Turn TensorFlow 1.x checkpoints into frozen graphs that "
                          "TensorFlow 1.4 runs, without TensorFlow.</p>")

    def closeEvent(self, event):
        self.wait_for_workers()
        self.runtime.stop()
        if self.loaded is not None:
            self.loaded.close()
        self.log_panel.detach()
        super(MainWindow, self).closeEvent(event)
