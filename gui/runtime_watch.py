"""Which TensorFlow loads it: the target release combo, the loaded graph's floor, and the frozen result's, live."""

import logging

from PyQt5.QtCore import QObject, QTimer, pyqtSignal
from PyQt5.QtWidgets import QComboBox, QFormLayout, QLabel, QSizePolicy, QWidget

from core import api
from gui.colours import Colours
from gui.worker import Worker

log = logging.getLogger(__name__)
DEBOUNCE_MS = 300


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


def measure(loaded, request, with_graph, progress=None, cancel=None):
    """(graph Floor or None, frozen Floor or None, why the plan failed or None); runs in a worker thread."""
    graph = api.runtime_floor(loaded) if with_graph else None
    frozen, error = None, None
    if request is not None and request.outputs:
        try:
            frozen = api.plan_floor(api.plan(loaded, request, cancel=cancel))
        except api.ModelError as exc:
            error = exc.message
    return graph, frozen, error


class RuntimeWatch(QObject):
    """The "Target TensorFlow" choice and the floors, measured off the GUI thread, debounced.

    Attributes:
        widget: the box shown under the outputs (combo, graph line, frozen line).
        graph_floor, frozen_floor: the last measured core Floors (None until measured).
    Signals:
        measured(): new floors are shown.
    """

    measured = pyqtSignal()

    def __init__(self, window, settings):
        super(RuntimeWatch, self).__init__(window)
        self.window = window
        self.settings = settings
        self.releases = api.target_releases()
        self.graph_floor = None
        self.frozen_floor = None
        self._plan_error = None
        self._generation = 0
        self._running = set()
        self._build()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(lambda: self._measure(False))

    def _build(self):
        self.widget = QWidget()
        form = QFormLayout(self.widget)
        form.setContentsMargins(0, 0, 0, 0)
        self.combo = QComboBox()
        for label in self.releases:
            self.combo.addItem(release_text(label), label)
        chosen = self.settings.value("target_tf", api.DEFAULT_TARGET_TF)
        index = self.combo.findData(chosen)
        self.combo.setCurrentIndex(index if index >= 0 else self.combo.findData(api.DEFAULT_TARGET_TF))
        self.combo.setToolTip("The oldest TensorFlow the frozen graph must load on: default-valued attrs it "
                              "lacks are dropped, anything else it cannot load is refused")
        self.combo.currentIndexChanged.connect(self._target_changed)
        self.graph_label = QLabel("")
        self.frozen_label = QLabel("")
        for label in (self.graph_label, self.frozen_label):
            label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # long lines never widen the panel
            label.setMinimumWidth(1)
        form.addRow("Target TensorFlow:", self.combo)
        form.addRow(self.graph_label)
        form.addRow(self.frozen_label)

    def target(self):
        """The chosen release's label ("1.4")."""
        return self.combo.currentData()

    def set_target(self, label):
        self.combo.setCurrentIndex(self.combo.findData(label))

    def _target_changed(self):
        self.settings.setValue("target_tf", self.target())
        self._show()
        self.schedule()

    # -- measuring ------------------------------------------------------------------------
    def model_changed(self):
        """A new model: forget the floors and measure the graph's at once."""
        self.stop()
        self.graph_floor = self.frozen_floor = None
        self._plan_error = None
        self.graph_label.setText("Loaded graph: measuring …")
        self.frozen_label.setText("")
        self._measure(True)

    def schedule(self):
        """Outputs, cuts or options changed: measure the frozen result once they settle."""
        if self.window.loaded is not None:
            self.timer.start()

    def _measure(self, with_graph):
        window = self.window
        if window.loaded is None:
            return
        self._generation += 1
        for worker in list(self._running):
            worker.cancel()
        request = window.freezer.request(None) if window.tree_model is not None else None
        if request is not None:
            request.target_tf = None  # measure the floor; the target is compared with it here
        worker = Worker(measure, window.loaded, request, with_graph)
        generation = self._generation
        worker.finished.connect(lambda result, g=generation: self._measured(g, result))
        worker.failed.connect(lambda message: log.info("runtime floor: %s", message))
        self._running.add(worker)
        worker.thread_finished.connect(lambda w=worker: self._running.discard(w))
        worker.start()

    def _measured(self, generation, result):
        if generation != self._generation:
            return
        graph, frozen, error = result
        if graph is not None:
            self.graph_floor = graph
        self.frozen_floor = frozen
        self._plan_error = error
        self._show()
        self.measured.emit()

    def stop(self, msecs=30000):
        """Cancels and joins the running measurements (a new model, the window closing)."""
        self.timer.stop()
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

    def _show(self):
        graph = self.graph_floor
        if graph is not None:
            self.graph_label.setText("Loaded graph runs on %s" % floor_text(graph))
            self.graph_label.setToolTip(floor_tooltip(graph))
        frozen = self.frozen_floor
        if frozen is None:
            error = self._plan_error
            self.frozen_label.setText("Frozen result: %s" % error if error else "")
            self.frozen_label.setStyleSheet("")
            return
        text = "Frozen result runs on %s" % floor_text(frozen)
        if self.too_old(frozen):
            text += ": refused for target %s" % release_text(self.target())
        self.frozen_label.setStyleSheet(Colours().css("error") if self.too_old(frozen) else "")
        self.frozen_label.setText(text)
        self.frozen_label.setToolTip(floor_tooltip(frozen))
