"""The freeze plan of the window's FreezeSession, measured off the GUI thread once changes settle.

The live floor and the graph view's "What the freeze keeps" both read this one plan, so they show
exactly the nodes and the release the freeze would write.
"""

import logging

from PyQt5.QtCore import QObject, QTimer, pyqtSignal

from core import api
from gui.worker import Worker

log = logging.getLogger(__name__)
DEBOUNCE_MS = 300


class PlanResult(object):
    """One measured plan: ``key`` (FreezeSession.key(with_target=False)), ``request``, ``plan`` (None when it
    failed), ``floor`` (the frozen result's version floor), ``error`` (why the freeze would fail) and
    ``missing`` (the variables the outputs need that nothing restores: api.missing_variables)."""

    def __init__(self, key, request, plan=None, floor=None, error=None, missing=()):
        self.key = key
        self.request = request
        self.plan = plan
        self.floor = floor
        self.error = error
        self.missing = list(missing)


def _missing(loaded, request):
    if loaded.model.checkpoint is None:
        return []
    try:
        return api.missing_variables(loaded, request)
    except api.ModelError:
        return []


def measure_plan(loaded, request, progress=None, cancel=None):
    """(plan, floor, error, missing variables) of ``request`` checked against no release (the floor says
    which it needs)."""
    request.target_tf = None
    missing = _missing(loaded, request)
    try:
        plan = api.plan(loaded, request, cancel=cancel)
        return plan, api.plan_floor(plan), None, missing
    except api.ModelError as exc:
        return None, None, exc.message, missing


class PlanWatch(QObject):
    """Plans the session's freeze in a worker 300 ms after its last change (the newest request wins).

    Attributes:
        result: the last PlanResult (None before the first, or when no output is chosen).
    Signals:
        planned(object PlanResult or None): a new result, or None when there is nothing to plan.
        started(): a measurement began (the views may say "measuring").
    """

    planned = pyqtSignal(object)
    started = pyqtSignal()

    def __init__(self, window, signals):
        super(PlanWatch, self).__init__(window)
        self.window = window
        self.session = signals.session
        self.result = None
        self._generation = 0
        self._running = set()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.measure)
        signals.changed.connect(self._changed)

    def _changed(self, fields):
        if fields != frozenset(["target_tf"]):  # the target changes no node: the floor is compared in the view
            self.schedule()

    def current(self):
        """The last result if it still describes the session, else None."""
        result = self.result
        if result is not None and result.key == self.session.key(with_target=False):
            return result
        return None

    def schedule(self):
        if self.window.loaded is not None:
            self.timer.start()

    def measure(self):
        """Starts planning the session's freeze now."""
        self.timer.stop()
        self._generation += 1
        for worker in list(self._running):
            worker.cancel()
        loaded = self.window.loaded
        if loaded is None or not self.session.outputs:
            self.result = None
            self.planned.emit(None)
            return
        key = self.session.key(with_target=False)
        request = self.session.request(None)
        worker = Worker(measure_plan, loaded, request)
        generation = self._generation
        worker.finished.connect(lambda found, g=generation: self._measured(g, key, request, found))
        worker.failed.connect(lambda message, g=generation: self._measured(g, key, request,
                                                                            (None, None, message, [])))
        self._running.add(worker)
        worker.thread_finished.connect(lambda w=worker: self._running.discard(w))
        self.started.emit()
        worker.start()

    def _measured(self, generation, key, request, found):
        if generation != self._generation:
            return
        plan, floor, error, missing = found
        self.result = PlanResult(key, request, plan, floor, error, missing)
        self.planned.emit(self.result)

    def stop(self, msecs=30000):
        """Cancels and joins the running measurement (a new model, the window closing)."""
        self.timer.stop()
        self._generation += 1
        self.result = None
        for worker in list(self._running):
            worker.cancel()
            worker.wait(msecs)
        self._running.clear()
