"""Which TensorFlow loads it: the target release combo, the loaded graph's floor, and the frozen result's, live."""

import logging

from PyQt5.QtCore import QObject, pyqtSignal
from PyQt5.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

from core import api
from gui.colours import Colours
from gui.freeze_session import bind_combo
from gui.worker import Worker

log = logging.getLogger(__name__)


def release_text(label):
    """'2.x' for the registry's current 2.x release, the label otherwise."""
    return "2.x" if label == "2" else label


def floor_text(floor):
    """'TensorFlow ≥ 1.5 (Conv2D dilations)' from a core Floor: the release and what sets it, one short line."""
    data = floor.to_json()
    if data["floor"] is None:
        head = "no TensorFlow release %s–%s" % (floor.releases[0].label, release_text(floor.releases[-1].label))
    else:
        head = "TensorFlow ≥ %s" % release_text(data["floor"])
    setting = [r for r in data["reasons"] if r["loads_from"] in (data["floor"], None)]
    if data["floor"] == floor.releases[0].label:
        setting = []
    names = []
    for reason in setting:
        name = ("%s %s" % (reason["op"], reason["attr"])).strip()
        if name not in names:
            names.append(name)
    if names:
        head += " (%s%s)" % (", ".join(names[:2]), ", …" if len(names) > 2 else "")
    return head


def floor_tooltip(floor):
    return "%s\n%s" % (floor.summary().replace(">=", "≥"), "\n".join(floor.reasons()))


def measure_graph(loaded, progress=None, cancel=None):
    """The loaded graph's Floor; runs in a worker thread."""
    return api.runtime_floor(loaded)


class RuntimeWatch(QObject):
    """The "Target TensorFlow" choice (bound to the session's target) and the floors, measured off the GUI
    thread: the loaded graph's when it opens, the frozen result's from the window's plan (gui.plan_watch).

    Attributes:
        widget: the box shown under the outputs (combo, graph line, frozen line).
        graph_floor, frozen_floor: the last measured core Floors (None until measured).
    Signals:
        measured(): new floors are shown.
    """

    measured = pyqtSignal()

    def __init__(self, window, settings, signals, plans):
        super(RuntimeWatch, self).__init__(window)
        self.window = window
        self.settings = settings
        self.session = signals.session
        self.releases = api.target_releases()
        self.graph_floor = None
        self.frozen_floor = None
        self._plan_error = None
        self._generation = 0
        self._running = set()
        chosen = self.settings.value("target_tf", api.DEFAULT_TARGET_TF)
        self.session.set_option("target_tf", chosen if chosen in self.releases else api.DEFAULT_TARGET_TF)
        self._build(signals)
        signals.changed.connect(self._session_changed)
        plans.planned.connect(self._planned)
        plans.started.connect(self._measuring)

    def _build(self, signals):
        self.widget = QWidget()
        form = QFormLayout(self.widget)
        form.setContentsMargins(0, 0, 0, 0)
        self.combo = QComboBox()
        for label in self.releases:
            self.combo.addItem(release_text(label), label)
        self.combo.setToolTip("The oldest TensorFlow the frozen graph must load on: default-valued attrs it "
                              "lacks are dropped, anything else it cannot load is refused")
        bind_combo(self.combo, signals, "target_tf")
        self.graph_label = QLabel("")
        self.frozen_label = QLabel("")
        for label in (self.graph_label, self.frozen_label):
            label.setWordWrap(True)
            label.setMinimumWidth(1)
        form.addRow("Target TensorFlow:", self.combo)
        form.addRow(self.graph_label)
        form.addRow(self.frozen_label)

    def target(self):
        """The chosen release's label ("1.4")."""
        return self.session.target_tf

    def set_target(self, label):
        self.session.set_option("target_tf", label)

    def _session_changed(self, fields):
        if "target_tf" in fields:
            self.settings.setValue("target_tf", self.target())
            self._show()

    # -- measuring ------------------------------------------------------------------------
    def model_changed(self):
        """A new model: forget the floors and measure the graph's at once."""
        self.stop()
        self.graph_floor = self.frozen_floor = None
        self._plan_error = None
        self.graph_label.setText("Loaded graph: measuring …")
        self.frozen_label.setText("")
        window = self.window
        if window.loaded is None:
            return
        self._generation += 1
        worker = Worker(measure_graph, window.loaded)
        generation = self._generation
        worker.finished.connect(lambda floor, g=generation: self._graph_measured(g, floor))
        worker.failed.connect(lambda message: log.info("runtime floor: %s", message))
        self._running.add(worker)
        worker.thread_finished.connect(lambda w=worker: self._running.discard(w))
        worker.start()

    def _graph_measured(self, generation, floor):
        if generation == self._generation:
            self.graph_floor = floor
            self._show()
            self.measured.emit()

    def _measuring(self):
        if self.frozen_floor is None and not self._plan_error:
            self.frozen_label.setText("Frozen result: measuring …")

    def _planned(self, result):
        self.frozen_floor = result.floor if result is not None else None
        self._plan_error = result.error if result is not None else None
        self._show()
        self.measured.emit()

    def stop(self, msecs=30000):
        """Cancels and joins the running measurement (a new model, the window closing)."""
        self._generation += 1
        for worker in list(self._running):
            worker.cancel()
            worker.wait(msecs)
        self._running.clear()

    # -- showing --------------------------------------------------------------------------
    def too_old(self, floor):
        """Is the chosen target older than ``floor`` (a Floor) allows?"""
        if floor.floor is None:
            return True
        return self.releases.index(self.target()) < self.releases.index(floor.floor)

    def refusal(self):
        """Why the freeze would be refused for the chosen target (one line), or None."""
        frozen = self.frozen_floor
        if frozen is None or not self.too_old(frozen):
            return None
        return ("the frozen result needs %s, but Target TensorFlow is %s: choose a newer target, or outputs "
                "and cuts without these ops" % (floor_text(frozen), release_text(self.target())))

    def recolour(self):
        """The refusal colour from the current palette (after a theme change)."""
        self._show()

    def _show(self):
        graph = self.graph_floor
        if graph is not None:
            self.graph_label.setText("Loaded graph runs on %s" % floor_text(graph))
            self.graph_label.setToolTip(floor_tooltip(graph))
        frozen = self.frozen_floor
        if frozen is None:
            error = self._plan_error
            self.frozen_label.setText("Frozen result: %s" % error if error else "")
            self.frozen_label.setToolTip(error or "")
            self.frozen_label.setStyleSheet(Colours(self.widget.palette()).css("error") if error else "")
            return
        text = "Frozen result runs on %s" % floor_text(frozen)
        if self.too_old(frozen):
            text += ": refused for target %s" % release_text(self.target())
        self.frozen_label.setStyleSheet(Colours(self.widget.palette()).css("error") if self.too_old(frozen) else "")
        self.frozen_label.setText(text)
        self.frozen_label.setToolTip(floor_tooltip(frozen))
