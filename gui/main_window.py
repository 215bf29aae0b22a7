"""The window shell: widgets, menus and the glue between the tree, the details, the session and the flows."""

import logging
import os
import sys

from PyQt5.QtCore import PYQT_VERSION_STR, QT_VERSION_STR, QEvent, QSettings, Qt, pyqtSignal
from PyQt5.QtWidgets import (QAbstractItemView, QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox,
                             QSplitter, QTreeView, QVBoxLayout, QWidget)

from core import api
from gui.colours import Colours
from gui.details_panel import DetailsPanel
from gui.elided_label import ElidedLabel
from gui.status_bar import ElidingStatusBar
from gui.freeze_flow import FreezeFlow, plural
from gui.freeze_session import SessionSignals, bind_checkbox
from gui.graph_dock import attach_graph_dock
from gui.legend import Legend
from gui.log_panel import LogPanel
from gui.navigation import Navigator
from gui.notice_bar import NoticeBar
from gui.op_tree_model import OpTreeModel
from gui.open_flow import OpenFlow
from gui.outputs_panel import OutputsPanel
from gui.output_choice import (bind_saver, model_options, show_missing, type_outputs, use_pipeline_cuts,
                               use_suggested)
from gui.plan_watch import PlanWatch
from gui.runtime_watch import RuntimeWatch
from gui.screen_fit import fit_to_screen
from gui.search_bar import SearchBar
from gui.signatures_box import SignaturesBox, use_signature
from gui.tasks import TaskRunner
from gui.theme import SYSTEM, apply_theme
from gui import menus, tree_menu
from gui.tree_view import fit_columns

log = logging.getLogger(__name__)


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
        self._idle_status = "No model"
        self._close_when_idle = False
        self.pipeline_cuts = []
        self.value_viewer = None
        self.tasks = TaskRunner(self)
        # The freeze being prepared: ticks, options, target and cuts write here; the views redraw from it.
        self.session = api.FreezeSession(inference=True)
        self.session_signals = SessionSignals(self.session, self)
        self.plans = PlanWatch(self, self.session_signals)
        self.navigator = Navigator(self)
        self.history = self.navigator.history
        self.opener = OpenFlow(self, self.tasks, self.settings)
        self.freezer = FreezeFlow(self, self.tasks, self.session)
        self.setWindowTitle("tf1freeze")
        self.setAcceptDrops(True)
        self._build_widgets()
        self._build_actions()
        self._connect()
        self.graph_dock = attach_graph_dock(self)  # View › Graph (Ctrl+G)
        self.set_theme(self.settings.value("theme", SYSTEM))
        self.update_actions()
        fit_to_screen(self)

    # -- construction ---------------------------------------------------------------------
    def _build_widgets(self):
        self.search_bar = SearchBar()
        self.search, self.match_label = self.search_bar.edit, self.search_bar.match_label
        self.notice = NoticeBar()
        self.tree = QTreeView()
        self.tree.setUniformRowHeights(True)
        self.tree.setIndentation(14)  # deep scopes keep room for the names
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
        self.placeholder.setEnabled(False)  # drawn in the palette's quiet (disabled) text colour
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
        self.runtime = RuntimeWatch(self, self.settings, self.session_signals, self.plans)
        self.outputs.add_options(self.runtime.widget)
        self.right = QSplitter(Qt.Vertical)
        self.right.addWidget(self.details)
        self.right.addWidget(self.outputs)
        self.right.setStretchFactor(0, 1)
        self.right.setStretchFactor(1, 1)
        self.right.setMinimumWidth(self.outputs.content_width())
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)
        self.log_panel = LogPanel()
        self.log_dock = QDockWidget("Log", self)
        self.log_dock.setObjectName("log")
        self.log_dock.setWidget(self.log_panel)
        self.addDockWidget(Qt.BottomDockWidgetArea, self.log_dock)
        self.log_dock.hide()
        self.status_model = ElidedLabel("No model")
        self.status_model.setMinimumWidth(1)
        self.status_counts = QLabel("")
        self.status_counts.setContentsMargins(12, 0, 0, 0)  # a gap after the (elided) status text
        status = ElidingStatusBar(self)
        self.setStatusBar(status)
        status.addWidget(self.status_model, 1)
        status.addPermanentWidget(self.status_counts)
        for widget in self.tasks.widgets():
            status.addPermanentWidget(widget)

    def _build_actions(self):
        menus.build(self)
        self.opener.fill_recent_menu(self.recent_menu)

    def _connect(self):
        navigator = self.navigator
        self.tree.doubleClicked.connect(navigator.double_clicked)
        self.search_bar.query.connect(self.apply_search)
        self.search_bar.activated.connect(lambda text: navigator.apply_search(text, go=True))
        self.search_bar.escaped.connect(self.tree.setFocus)
        self.details.navigate.connect(self.navigate)
        self.details.show_values.connect(self.show_values)
        self.outputs.remove.connect(lambda name: self.session.set_output(name, False))
        self.outputs.use_suggested.connect(self.use_suggested_outputs)
        self.outputs.typed.connect(self.type_outputs)
        self.outputs.use_cuts.connect(lambda: use_pipeline_cuts(self))
        self.signatures.use.connect(self.use_signature_outputs)
        self.outputs.freeze.connect(self.freeze)
        self.outputs.verify.connect(self.verify)
        self.outputs.navigate.connect(self.navigate)
        self.outputs.copy_button.clicked.disconnect()
        self.outputs.copy_button.clicked.connect(self.copy_outputs)
        self.tasks.changed.connect(self.update_actions)
        self.tasks.changed.connect(self._close_if_idle)
        self.opener.loaded.connect(self.show_model)
        self.opener.failed.connect(self._load_failed)
        self.opener.cancelled.connect(self._load_cancelled)
        self.freezer.finished.connect(self.freeze_finished)
        self.freezer.failed.connect(self.freeze_failed)
        self.freezer.cancelled.connect(self.freeze_cancelled)
        self.freezer.verified.connect(self.verify_finished)
        self.freezer.finished.connect(self.update_actions)  # Verify is enabled as soon as the result is in
        bind_checkbox(self.outputs.inference_mode, self.session_signals, "inference")
        bind_checkbox(self.outputs.keep_devices, self.session_signals, "keep_devices")
        bind_checkbox(self.outputs.init_missing, self.session_signals, "init_missing")
        bind_saver(self.outputs.saver_combo, self.session_signals)
        self.session_signals.changed.connect(self._session_changed)
        self.plans.planned.connect(lambda result: show_missing(self, result))
        tree_menu.install(self)
        self.opener.watch_drops([self, self.search, self.details.viewport(), self.tree.viewport(),
                                 self.outputs.list.viewport(), self.outputs.entry])

    def update_actions(self):
        has_model = self.loaded is not None
        busy = self.tasks.busy
        can_freeze = has_model and self.loaded.model.can_freeze and bool(self.session.outputs) and not busy
        self.freeze_action.setEnabled(can_freeze)
        self.outputs.freeze_button.setEnabled(can_freeze)
        self.suggest_action.setEnabled(has_model)
        self.paste_outputs_action.setEnabled(has_model)
        self.signature_action.setEnabled(has_model and bool(self.signatures.current()))
        self.outputs.suggest_button.setEnabled(has_model and bool(api.output_candidates(self.loaded)))
        self.back_action.setEnabled(self.history.can_back)
        self.forward_action.setEnabled(self.history.can_forward)
        self.outputs.verify_button.setEnabled(self.freezer.last is not None and not busy)
        for action in (self.open_action, self.open_folder_action):
            action.setEnabled(not busy or self.tasks.kind == "load")

    _update_actions = update_actions

    def balance_panels(self):
        """Gives the tree the larger share of the central area (the details and freeze panel keep their
        minimum): called when a dock opens or closes and the central area changes width."""
        total = sum(self.splitter.sizes())
        right = max(self.right.minimumWidth(), int(total * 0.42))
        if total > right:
            self.splitter.setSizes([total - right, right])

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

    def show_model(self, opened):
        """Shows a freshly loaded model (gui.open_flow.Opened): tree, title, counts, notices; selects the best
        candidate. Whole-graph walks were done by the load's worker: nothing here blocks on a big graph."""
        loaded, facts = opened.loaded, opened.facts
        self.runtime.stop()
        self.plans.stop()
        if self.loaded is not None:
            self.loaded.close()
        self.loaded = loaded
        self.freezer.reset()
        if self.tree_model is not None:
            self.tree_model.detach()
        self.session.clear()
        self.tree_model = OpTreeModel(loaded, self.session_signals, self)
        self.tree_model.set_colours(Colours(self.palette()))
        self.tree_model.set_training_only(facts.training_only)
        if not self.training_action.isChecked():
            self.tree_model.set_filter(None, hide_training=True)
        self.tree.setModel(self.tree_model)
        fit_columns(self.tree, loaded)
        self.tree.selectionModel().currentChanged.connect(self.navigator.current_changed)
        self.placeholder.hide()
        self.tree.show()
        self.legend.show()
        self.search_bar.clear_silently()
        self.history.clear()
        self.outputs.set_outputs([])
        self.signatures.set_signatures(loaded.model.signatures)
        model_options(self, facts)
        self._show_names(loaded, facts)
        self._show_notes(loaded)
        candidates = api.output_candidates(loaded)
        for candidate in candidates[:3]:
            self.navigator.expand_to(candidate.name)
        if candidates:
            self.navigate(candidates[0].name)
        self.runtime.model_changed()
        self.update_actions()
        self.model_loaded.emit()

    def _show_names(self, loaded, facts):
        location = loaded.model.location
        name = display_name(location)
        self.setWindowTitle("%s — tf1freeze" % name)
        tags = " · tags %s" % (",".join(loaded.model.tags) or "(none)") if loaded.model.tags is not None else ""
        self.show_status("%s  (%s%s)" % (name, location.kind, tags))
        self.status_model.setToolTip(location.model_file or location.path)
        self.status_counts.setText(facts.counts)

    def _show_notes(self, loaded):
        location = loaded.model.location
        for note in location.notes:
            log.info("%s", note)
        # A state file's path from the training machine, resolved beside it, is routine: log only.
        notes = [n for n in location.notes if not n.startswith("the checkpoint state file names")]
        if not loaded.model.can_freeze:
            notes = [n for n in notes if not n.startswith("no checkpoint beside")]
            notes.append("No checkpoint beside this graph: it can be inspected but not frozen. Drop its "
                         "checkpoint (the .index or a .data file) on the window to pair them.")
        if notes:
            self.notice.show_message("\n".join(notes[:1] + [n[:1].upper() + n[1:] for n in notes[1:]]))

    def recent_paths(self):
        return self.opener.recent_paths()

    # -- search, filters and navigation (gui.navigation) ----------------------------------
    def focus_search(self):
        self.search.setFocus()
        self.search.selectAll()

    def apply_search(self, text=None):
        """Filters the tree to the query's matches, keeping the selected node and open scopes."""
        self.navigator.apply_search(text)

    def refilter(self, _checked=None):
        if self.tree_model is not None:
            self.apply_search()

    def _expand_to(self, name, include_self=False):
        self.navigator.expand_to(name, include_self)

    def navigate(self, name, record=True):
        """Selects, expands to and scrolls to ``name``; shows its details; records history."""
        return self.navigator.navigate(name, record)

    def back(self):
        self.navigator.back()

    def forward(self):
        self.navigator.forward()

    def show_details(self, name):
        self.details.show_node(self.loaded, name)

    def show_values(self, name):
        """Opens the value viewer of a Const or a checkpoint variable (read in the background)."""
        from gui.value_viewer import ValueViewer
        self.value_viewer = ValueViewer(self.loaded, name, self)
        self.value_viewer.show()
        return self.value_viewer

    # -- the freeze being prepared ---------------------------------------------------------
    def _session_changed(self, fields):
        if "outputs" in fields:
            self.outputs.set_outputs(self.session.outputs)
        if "input_cuts" in fields:
            self.outputs.set_cuts(self.session.input_cuts)
        self.update_actions()

    def use_suggested_outputs(self):
        """Ticks the suggested outputs (gui.output_choice)."""
        return use_suggested(self)

    def type_outputs(self, text=None):
        """Ticks exactly the outputs of a comma-separated list (typed or pasted); without ``text`` focuses the
        list's entry."""
        if text is None:
            self.outputs.entry.setFocus()
            self.outputs.entry.selectAll()
            return None
        return type_outputs(self, text)

    def use_signature_outputs(self, name=None):
        """Ticks a SavedModel signature's outputs and cuts at its non-placeholder inputs (gui.signatures_box)."""
        return use_signature(self, name or None)

    def copy_outputs(self):
        names = self.session.outputs
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
        return api.fixed_values(self.loaded, self.session.request(None))

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

    # -- theme, about, quitting -----------------------------------------------------------
    def set_theme(self, name):
        """View › Theme: follow the system, light or dark (remembered)."""
        name = apply_theme(name)
        self.settings.setValue("theme", name)
        self.theme_actions[name].setChecked(True)

    def changeEvent(self, event):
        if event.type() in (QEvent.PaletteChange, QEvent.ApplicationPaletteChange):
            self._recolour()
        super(MainWindow, self).changeEvent(event)

    def _recolour(self):
        """Colours derived from the palette follow a theme change: tree, notice, details, floors."""
        if self.tree_model is not None:
            self.tree_model.set_colours(Colours(self.palette()))
            self.tree.viewport().update()
        self.notice.recolour()
        self.runtime.recolour()
        if self.loaded is not None and self.details.current is not None:
            self.show_details(self.details.current)

    def _about(self):
        QMessageBox.about(self, "About tf1freeze",
                          "<b>tf1freeze %s</b><p>Turn TensorFlow 1.x checkpoints into frozen graphs that "
                          "TensorFlow 1.4 runs, without TensorFlow.</p><p>Python %s · Qt %s · PyQt %s</p>"
                          % (api.VERSION, sys.version.split()[0], QT_VERSION_STR, PYQT_VERSION_STR))

    def quit(self):
        """File › Quit: a running freeze or verification is cancelled first, and the status says so."""
        if self.tasks.busy and self.tasks.kind in ("freeze", "verify"):
            self._close_when_idle = True
            self.show_status("Cancelling the %s before quitting …" % self.tasks.kind, busy=True)
            self.notice.show_message("Quitting: the %s is being cancelled; nothing half-written is left."
                                     % self.tasks.kind)
            self.tasks.cancel()
            return False
        return self.close()

    def _close_if_idle(self):
        if self._close_when_idle and not self.tasks.busy:
            self.close()

    def closeEvent(self, event):
        if event.spontaneous() and self.tasks.busy and self.tasks.kind in ("freeze", "verify"):
            event.ignore()  # the window manager's close button: cancel first, say so, then close
            self.quit()
            return
        self.wait_for_workers()
        self.runtime.stop()
        self.plans.stop()
        if self.loaded is not None:
            self.loaded.close()
        self.log_panel.detach()
        super(MainWindow, self).closeEvent(event)
