"""The graph view: a node's neighbourhood or exactly what the freeze writes, laid out off the GUI thread."""

import logging
import os
import time

from PyQt5.QtCore import QEvent, Qt, pyqtSignal
from PyQt5.QtGui import QFont, QFontMetrics
from PyQt5.QtWidgets import (QButtonGroup, QCheckBox, QFileDialog, QFrame, QHBoxLayout, QLabel, QLineEdit, QMenu,
                             QRadioButton, QScrollArea, QSpinBox, QToolButton, QVBoxLayout, QWidget)

from core import api
from gui.graph_canvas import GraphCanvas
from gui.graph_controls import ControlRows
from gui.graph_export import KINDS, export_picture
from gui.graph_items import GROUP_KIND, PLACEHOLDER_KIND, Colours, build_scene
from gui.worker import Worker

log = logging.getLogger(__name__)
NEIGHBOURHOOD, FROZEN = "neighbourhood", "frozen"  # the request kinds of api.graph_picture / api.freeze_picture
FREEZE_DRAW_CAP = 3000  # frozen nodes nearest the outputs drawn; the rest collapse into "+k more"
READABLE_SCALE = 0.8  # a new picture is never shown smaller than this (Fit shows it all)


class GraphView(QWidget):
    """Draws the neighbourhood of a node, or the planned frozen graph, as a layered graph.

    Signals:
        node_activated(str): a node box was clicked (the window navigates to it).
        layout_ready(): a new picture is on screen (tests, benchmarks).
    """

    node_activated = pyqtSignal(str)
    layout_ready = pyqtSignal()

    def __init__(self, parent=None):
        super(GraphView, self).__init__(parent)
        self.loaded = None
        self.analysis = None
        self.picture = None
        self.items = {}
        self.plan_result = None
        self._center = None
        self._expanded = set()
        self._opened = set()
        self._workers = set()
        self._latest = None
        self._found = []
        self.scene_seconds = 0.0
        self._build()

    def _build(self):
        self.neighbourhood_button = QRadioButton("Neighbourhood")
        self.freeze_button = QRadioButton("What the freeze keeps")
        self.freeze_button.setToolTip("Exactly the nodes the freeze writes, with Inference mode, cuts and fixed "
                                      "values applied")
        self.neighbourhood_button.setChecked(True)
        modes = QButtonGroup(self)
        modes.addButton(self.neighbourhood_button)
        modes.addButton(self.freeze_button)
        self.neighbourhood_button.toggled.connect(lambda _: self.refresh())
        self.hops = QSpinBox()
        self.hops.setRange(1, 5)
        self.hops.setValue(2)
        self.hops.setPrefix("hops: ")
        self.hops.valueChanged.connect(lambda _: self._hops_changed())
        self.group_box = QCheckBox("Group scopes")
        self.group_box.setToolTip("Draw each name scope as one box; click a box to open it")
        self.group_box.toggled.connect(self._grouping_changed)
        self.find = QLineEdit()
        self.find.setPlaceholderText("Find in graph")
        self.find.setClearButtonEnabled(True)
        self.find.setToolTip("Highlights the drawn nodes whose name or op contains the text; Return goes to the next")
        self.find.textChanged.connect(lambda _: self._find(step=0))
        self.find.returnPressed.connect(lambda: self._find(step=1))
        fit = QToolButton()
        fit.setText("Fit")
        fit.setToolTip("Fit the graph in the view (0); zoom with Ctrl+wheel or +/-")
        fit.clicked.connect(lambda: self.canvas.fit())
        self.export_button = QToolButton()
        self.export_button.setText("Export…")
        self.export_button.setPopupMode(QToolButton.InstantPopup)
        menu = QMenu(self.export_button)
        for label in ("SVG picture…", "PNG picture…", "DOT graph…"):
            menu.addAction(label, lambda kind=label[:3].lower(): self.export_dialog(kind))
        self.export_button.setMenu(menu)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setMinimumWidth(1)
        self.status.setContentsMargins(6, 0, 6, 2)
        self.canvas = GraphCanvas()
        self.canvas.item_clicked.connect(self._clicked)
        self.find.setMinimumWidth(80)
        controls = ControlRows((self.neighbourhood_button, self.freeze_button, self.hops,
                                self.group_box, self.find, fit, self.export_button), self.find)
        # On a very narrow dock (a scale factor of 2) the controls scroll sideways instead of widening it.
        strip = QScrollArea()
        strip.setWidget(controls)
        strip.setWidgetResizable(True)
        strip.setFrameShape(QFrame.NoFrame)
        strip.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        strip.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        bar = strip.horizontalScrollBar().sizeHint().height()
        controls.rearranged = lambda height: strip.setFixedHeight(height + bar)
        strip.setFixedHeight(controls.sizeHint().height() + bar)
        self.controls = controls
        strip.setMinimumWidth(120)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(strip)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.status)
        self._update_controls()

    # -- API for the window ---------------------------------------------------------------
    def set_model(self, loaded):
        """Shows nothing until a node or a plan is given (loaded: api.LoadedModel or None)."""
        self.loaded = loaded
        self.analysis = loaded.analysis if loaded is not None else None
        self.picture = None
        self.items = {}
        self.plan_result = None
        self._center = None
        self._expanded = set()
        self._opened = set()
        self._latest = None
        self.canvas.setScene(None)
        self.status.setText("" if loaded is None else "Select a node to draw its neighbourhood")
        self._update_controls()

    def show_node(self, name):
        """Draws ``name``'s neighbourhood (in neighbourhood mode); selects it in freeze mode."""
        if self.analysis is None or not api.has_node(self.loaded, name):
            return
        if name != self._center:
            self._expanded = set()
        self._center = name
        if self.freeze_button.isChecked():
            self._select(name)
        else:
            self.refresh()

    def show_plan(self, result, activate=False):
        """Remembers the window's freeze plan (gui.plan_watch.PlanResult, or None when nothing is ticked) and
        draws it in freeze mode (switching to it when ``activate``)."""
        self.plan_result = result
        if activate and not self.freeze_button.isChecked():
            self.freeze_button.setChecked(True)  # refreshes through the toggle
        elif self.freeze_button.isChecked():
            self.refresh()

    def show_measuring(self):
        if self.freeze_button.isChecked():
            self.status.setText("Measuring what the freeze keeps …")

    def request(self):
        """The layout request of the current mode, or None when there is nothing to draw."""
        if self.analysis is None:
            return None
        if self.freeze_button.isChecked():
            result = self.plan_result
            if result is None or result.plan is None:
                return None
            return (FROZEN, tuple(result.plan.outputs), result.key)
        if self._center is None:
            return None
        return (NEIGHBOURHOOD, self._center, self.hops.value(), frozenset(self._expanded))

    def scopes(self):
        """None when scopes are not grouped, else the scopes shown open."""
        return frozenset(self._opened) if self.group_box.isChecked() else None

    # -- layout in a worker ---------------------------------------------------------------
    def _nothing_to_draw(self):
        self.canvas.setScene(None)
        self.picture = None
        self.items = {}
        result = self.plan_result
        if result is not None and result.error:
            self.status.setText("The freeze would fail: %s" % result.error)
        else:
            self.status.setText("Tick outputs to see what the freeze keeps")
        self._update_controls()

    def refresh(self):
        """Starts a layout of the current request in a worker thread (a newer request wins)."""
        self._update_controls()
        request = self.request()
        if request is None:
            if self.freeze_button.isChecked() and self.analysis is not None:
                self._nothing_to_draw()
            return
        if self.picture is not None and (self.picture.request, self.picture.scopes) == (request, self.scopes()):
            return
        if self.parentWidget() is not None and not self.isVisible():
            return  # a hidden dock: laid out when shown
        if request[0] == FROZEN:
            result = self.plan_result
            worker = Worker(api.freeze_picture, self.loaded, result.plan, result.request, result.key,
                            char_width=self._char_width(), max_nodes=FREEZE_DRAW_CAP, scopes=self.scopes())
        else:
            worker = Worker(api.graph_picture, self.analysis, request, char_width=self._char_width(),
                            scopes=self.scopes())
        self._latest = worker
        self._workers.add(worker)
        worker.finished.connect(lambda picture, w=worker: self._laid_out(w, picture))
        worker.failed.connect(lambda message, w=worker: w is self._latest and self.status.setText(message))
        worker.thread_finished.connect(lambda w=worker: self._workers.discard(w))
        self.status.setText("laying out …")
        worker.start()

    def _laid_out(self, worker, picture):
        if worker is not self._latest or (picture.request, picture.scopes) != (self.request(), self.scopes()):
            return
        self.picture = picture
        self._draw()
        focus = self._center if self._center in self.items else None
        if focus is None and picture.request[0] == FROZEN:
            focus = next((n for n in picture.request[1] if n in self.items), None)
        self.canvas.fit(READABLE_SCALE, self.items.get(focus))
        if self._center in self.items:
            self._select(self._center)
        self._find(step=0, centre=False)
        self._update_controls()
        self.layout_ready.emit()

    def _draw(self):
        """Builds the scene of the current picture (again after a palette change)."""
        started = time.time()
        picture = self.picture
        scene, self.items = build_scene(picture, self.analysis, Colours(self.palette()), self.font())
        scene.setParent(self)
        old = self.canvas.scene()
        self.canvas.setScene(scene)
        if old is not None:
            old.deleteLater()
        self.scene_seconds = time.time() - started
        self.status.setText(self._status_text(picture))

    def _status_text(self, picture):
        sub = picture.subgraph
        hidden = sum(len(g.names) for g in sub.collapsed.values())
        grouped = sum(len(g.names) for g in sub.groups.values())
        shown = len(sub.nodes) + grouped
        if picture.request[0] == FROZEN:
            text = ("%s: exactly what the freeze writes" % _count(picture.total, "node") if shown == picture.total
                    else "%s of the frozen graph's %s drawn, those nearest the outputs (click +k to continue)"
                    % ("{:,}".format(shown), _count(picture.total, "node")))
        else:
            text = _count(shown, "node") + (" · %d collapsed (click +k to expand)" % hidden if hidden else "")
        if sub.groups:
            text += " · %s grouped in %s (click one to open)" % (_count(grouped, "node"), _count(len(sub.groups), "scope box"))
        return "%s · %.0f ms" % (text, 1000 * (picture.seconds + self.scene_seconds))

    def changeEvent(self, event):
        if event.type() == QEvent.PaletteChange and self.picture is not None:
            self._draw()  # the theme changed: colours come from the palette
        super(GraphView, self).changeEvent(event)

    def _char_width(self):
        bold = QFont(self.font())
        bold.setBold(True)
        metrics = QFontMetrics(bold)
        return max(metrics.averageCharWidth(), metrics.width("abcdefghijklmnopqrstuvwxyz_/0123456789") / 38.0) * 1.05

    def wait_for_workers(self, msecs=10000):
        """Joins every layout thread (closing the window, tests)."""
        for worker in list(self._workers):
            worker.cancel()
            worker.wait(msecs)
        self._workers.clear()

    # -- interaction ----------------------------------------------------------------------
    def _select(self, name):
        item = self.items.get(name)
        scene = self.canvas.scene()
        if scene is None or item is None:
            return
        scene.clearSelection()
        item.setSelected(True)
        self.canvas.ensureVisible(item)

    def _clicked(self, item):
        if item.kind == GROUP_KIND:
            self._opened.add(self.picture.subgraph.groups[item.node_id].scope)
            self.refresh()
            return
        if item.kind == PLACEHOLDER_KIND:
            group = self.picture.subgraph.collapsed[item.node_id]
            if self.freeze_button.isChecked():  # continue from there in a neighbourhood
                self._center = group.anchor
                self._expanded = set()
                self.neighbourhood_button.setChecked(True)
            self._expanded.add((group.anchor, group.direction))
            self.refresh()
            return
        self._select(item.node_id)
        if api.has_node(self.loaded, item.node_id):
            self.node_activated.emit(item.node_id)

    def _hops_changed(self):
        self._expanded = set()
        self.refresh()

    def _grouping_changed(self, _checked):
        self._opened = set()
        self.refresh()

    def _find(self, step=0, centre=True):
        """Selects the drawn nodes matching the find box; ``step`` 1 moves to the next match."""
        text = self.find.text().strip().lower()
        scene = self.canvas.scene()
        if scene is None:
            return
        matches = []
        if text:
            for node_id, item in sorted(self.items.items()):
                if text in node_id.lower() or text in getattr(item, "op", "").lower():
                    matches.append(node_id)
        if matches != self._found:
            had, self._found, self._at = self._found, matches, 0
        else:
            had = matches
            if matches and step:
                self._at = (self._at + step) % len(matches)
        if text or had:
            scene.clearSelection()
        for node_id in matches:
            self.items[node_id].setSelected(True)
        if matches and centre:
            self.canvas.centerOn(self.items[matches[self._at]])
        if text:
            self.status.setText("%s of %d drawn match '%s'%s" % (
                "%d" % (self._at + 1) if matches else "none", len(matches), self.find.text().strip(),
                " (Return: next)" if len(matches) > 1 else ""))
        elif self.picture is not None:
            self.status.setText(self._status_text(self.picture))

    def _update_controls(self):
        self.hops.setEnabled(self.neighbourhood_button.isChecked())
        self.export_button.setEnabled(self.picture is not None)

    # -- export ---------------------------------------------------------------------------
    def export_dialog(self, kind="svg"):
        """Asks where to export (beside the model, named after the drawing), then writes it."""
        if self.picture is None:
            return
        base = (self._center if self.picture.request[0] == NEIGHBOURHOOD else "frozen_graph") or "graph"
        folder = os.path.dirname(os.path.abspath(self.loaded.model.location.model_file or self.loaded.model.location.path))
        start = os.path.join(folder, base.replace("/", "_") + "." + kind)
        path, _ = QFileDialog.getSaveFileName(self, "Export the graph", start, KINDS[kind])
        if path:
            try:
                self.export(path)
            except (IOError, OSError) as exc:
                self.status.setText("Export failed: %s" % exc)

    def export(self, path):
        """Writes the picture as SVG, PNG or DOT, by the extension of ``path`` (via a temporary name)."""
        if self.picture is None:
            raise ValueError("nothing drawn to export")
        export_picture(path, self.picture, self.analysis, self.canvas.scene(), self.palette().base().color())
        self.status.setText("Exported %s" % path)


def _count(number, word):
    return "%s %s%s" % ("{:,}".format(number), word, "" if number == 1 else "s")
