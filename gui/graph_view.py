"""The graph view: a node's neighbourhood or what the freeze keeps, laid out off the GUI thread."""

import logging
import os
import time

from PyQt5.QtCore import QRectF, QSize, Qt, pyqtSignal
from PyQt5.QtGui import QFont, QFontMetrics, QImage, QPainter
from PyQt5.QtWidgets import (QButtonGroup, QFileDialog, QGraphicsView, QHBoxLayout, QLabel,
                             QRadioButton, QSpinBox, QToolButton, QVBoxLayout, QWidget, QMenu)

from core import api
from gui.graph_items import NODE_KIND, PLACEHOLDER_KIND, Colours, build_scene
from gui.worker import Worker

log = logging.getLogger(__name__)
NEIGHBOURHOOD, FREEZE = "neighbourhood", "freeze"  # the request kinds of api.graph_picture
MAX_PNG_SIDE = 12000
FREEZE_DRAW_CAP = 3000  # nodes nearest the outputs drawn in freeze mode; the rest collapse
READABLE_SCALE = 0.45  # a new picture is never shown smaller than this (Fit shows it all)


class GraphCanvas(QGraphicsView):
    """Zoom with Ctrl+wheel, +/- and 0 (fit); drag to pan; a click reports the item under it."""

    item_clicked = pyqtSignal(object)

    def __init__(self, parent=None):
        super(GraphCanvas, self).__init__(parent)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setFocusPolicy(Qt.StrongFocus)

    def zoom(self, factor):
        scale = self.transform().m11() * factor
        if 0.02 <= scale <= 8.0:
            self.scale(factor, factor)

    def fit(self, minimum=0.0, focus=None):
        """Fits the drawing in the view, never above 100 %; below ``minimum`` it zooms to
        ``minimum`` and centres on ``focus`` (an item) instead."""
        if self.scene() is None:
            return
        self.fitInView(self.scene().sceneRect(), Qt.KeepAspectRatio)
        scale = self.transform().m11()
        if scale > 1.0 or scale < minimum:
            self.resetTransform()
            if scale < minimum:
                self.scale(minimum, minimum)
                if focus is not None:
                    self.centerOn(focus)

    def wheelEvent(self, event):
        if event.modifiers() & Qt.ControlModifier:
            self.zoom(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)
            event.accept()
        else:
            super(GraphCanvas, self).wheelEvent(event)

    def keyPressEvent(self, event):
        key = event.key()
        if key in (Qt.Key_Plus, Qt.Key_Equal):
            self.zoom(1.25)
        elif key == Qt.Key_Minus:
            self.zoom(0.8)
        elif key == Qt.Key_0:
            self.fit()
        else:
            super(GraphCanvas, self).keyPressEvent(event)

    def mousePressEvent(self, event):
        item = self.itemAt(event.pos())
        if event.button() == Qt.LeftButton and getattr(item, "kind", None) in (NODE_KIND, PLACEHOLDER_KIND):
            self.item_clicked.emit(item)
            event.accept()
            return
        super(GraphCanvas, self).mousePressEvent(event)


class GraphView(QWidget):
    """Draws the neighbourhood of a node, or what a freeze keeps, as a layered graph.

    Signals:
        node_activated(str): a node box was clicked (the window navigates to it).
        layout_ready(): a new picture is on screen (tests, benchmarks).
    """

    node_activated = pyqtSignal(str)
    layout_ready = pyqtSignal()

    def __init__(self, parent=None):
        super(GraphView, self).__init__(parent)
        self.analysis = None
        self.picture = None
        self.items = {}
        self._center = None
        self._expanded = set()
        self._freeze = ((), (), ())
        self._workers = set()
        self._latest = None
        self.scene_seconds = 0.0
        self._build()

    def _build(self):
        self.neighbourhood_button = QRadioButton("Neighbourhood")
        self.freeze_button = QRadioButton("What the freeze keeps")
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
        row = QHBoxLayout()
        row.setContentsMargins(4, 2, 4, 2)
        for widget in (self.neighbourhood_button, self.freeze_button, self.hops, fit, self.export_button):
            row.addWidget(widget)
        row.addStretch(1)
        self.status.setContentsMargins(6, 0, 6, 2)
        self.canvas = GraphCanvas()
        self.canvas.item_clicked.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.status)
        self._update_controls()

    # -- API for the window ---------------------------------------------------------------
    def set_analysis(self, analysis):
        """Shows nothing until a node or a freeze is asked for (analysis: core GraphAnalysis or None)."""
        self.analysis = analysis
        self.picture = None
        self.items = {}
        self._center = None
        self._expanded = set()
        self._freeze = ((), (), ())
        self._latest = None
        self.canvas.setScene(None)
        self.status.setText("" if analysis is None else "Select a node to draw its neighbourhood")
        self._update_controls()

    def show_node(self, name):
        """Draws ``name``'s neighbourhood (in neighbourhood mode); selects it in freeze mode."""
        if self.analysis is None or name not in self.analysis.graph:
            return
        if name != self._center:
            self._expanded = set()
        self._center = name
        if self.freeze_button.isChecked():
            self._select(name)
        else:
            self.refresh()

    def show_freeze(self, outputs, cuts=(), fixed=(), activate=True):
        """Remembers what the freeze keeps; draws it when ``activate`` or already in freeze mode."""
        self._freeze = (tuple(outputs), tuple(cuts), tuple(fixed))
        if activate and not self.freeze_button.isChecked():
            self.freeze_button.setChecked(True)  # refreshes through the toggle
        elif self.freeze_button.isChecked():
            self.refresh()

    def request(self):
        """The layout request of the current mode, or None when there is nothing to draw."""
        if self.analysis is None:
            return None
        if self.freeze_button.isChecked():
            outputs, cuts, fixed = self._freeze
            return (FREEZE, outputs, cuts, fixed) if outputs else None
        if self._center is None:
            return None
        return (NEIGHBOURHOOD, self._center, self.hops.value(), frozenset(self._expanded))

    # -- layout in a worker ---------------------------------------------------------------
    def refresh(self):
        """Starts a layout of the current request in a worker thread (a newer request wins)."""
        self._update_controls()
        request = self.request()
        if request is None:
            if self.freeze_button.isChecked() and self.analysis is not None:
                self.canvas.setScene(None)
                self.picture = None
                self.status.setText("Tick outputs to see what the freeze keeps")
            return
        if self.picture is not None and self.picture.request == request:
            return
        if self.parentWidget() is not None and not self.isVisible():
            return  # a hidden dock: laid out when shown
        cap = FREEZE_DRAW_CAP if request[0] == FREEZE else None
        worker = Worker(api.graph_picture, self.analysis, request, char_width=self._char_width(), max_nodes=cap)
        self._latest = worker
        self._workers.add(worker)
        worker.finished.connect(lambda picture, w=worker: self._laid_out(w, picture))
        worker.failed.connect(lambda message, w=worker: w is self._latest and self.status.setText(message))
        worker.thread_finished.connect(lambda w=worker: self._workers.discard(w))
        self.status.setText("laying out …")
        worker.start()

    def _laid_out(self, worker, picture):
        if worker is not self._latest or picture.request != self.request():
            return
        started = time.time()
        scene, self.items = build_scene(picture, self.analysis, Colours(self.palette()), self.font())
        scene.setParent(self)
        old = self.canvas.scene()
        self.canvas.setScene(scene)
        if old is not None:
            old.deleteLater()
        self.picture = picture
        self.scene_seconds = time.time() - started
        sub = picture.subgraph
        hidden = sum(len(g.names) for g in sub.collapsed.values())
        self.status.setText("%d nodes%s · %.0f ms" % (
            len(sub.nodes), " · %d collapsed (click +k to expand)" % hidden if hidden else "",
            1000 * (picture.seconds + self.scene_seconds)))
        focus = self._center if self._center in self.items else None
        if focus is None and picture.request[0] == FREEZE:
            focus = next((n for n in picture.request[1] if n in self.items), None)
        self.canvas.fit(READABLE_SCALE, self.items.get(focus))
        if self._center in self.items:
            self._select(self._center)
        self._update_controls()
        self.layout_ready.emit()

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
        self.node_activated.emit(item.node_id)

    def _hops_changed(self):
        self._expanded = set()
        self.refresh()

    def _update_controls(self):
        self.hops.setEnabled(self.neighbourhood_button.isChecked())
        self.export_button.setEnabled(self.picture is not None)

    # -- export ---------------------------------------------------------------------------
    def export_dialog(self, kind="svg"):
        if self.picture is None:
            return
        filters = {"svg": "SVG picture (*.svg)", "png": "PNG image (*.png)", "dot": "Graphviz DOT (*.dot *.gv)"}
        base = (self._center or "graph").replace("/", "_") + "." + kind
        path, _ = QFileDialog.getSaveFileName(self, "Export the graph", base, filters[kind])
        if path:
            try:
                self.export(path)
            except (IOError, OSError) as exc:
                self.status.setText("Export failed: %s" % exc)

    def export(self, path):
        """Writes the picture as SVG, PNG or DOT, by the extension of ``path`` (via a temporary name)."""
        if self.picture is None:
            raise ValueError("nothing drawn to export")
        kind = os.path.splitext(path)[1].lower().lstrip(".")
        temporary = "%s.part%s" % (path, os.path.splitext(path)[1])
        if kind in ("dot", "gv"):
            with open(temporary, "w") as handle:
                handle.write(api.picture_dot(self.picture, self.analysis))
        elif kind == "svg":
            self._render_svg(temporary)
        elif kind == "png":
            self._render_png(temporary)
        else:
            raise ValueError("unknown export format: %s" % path)
        os.replace(temporary, path)
        self.status.setText("Exported %s" % path)

    def _render_svg(self, path):
        from PyQt5.QtSvg import QSvgGenerator
        scene = self.canvas.scene()
        rect = scene.sceneRect()
        generator = QSvgGenerator()
        generator.setFileName(path)
        generator.setSize(QSize(int(rect.width()), int(rect.height())))
        generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
        generator.setTitle(self.picture.title)
        painter = QPainter(generator)
        painter.fillRect(QRectF(0, 0, rect.width(), rect.height()), self.palette().base())
        scene.clearSelection()
        scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
        painter.end()

    def _render_png(self, path):
        scene = self.canvas.scene()
        rect = scene.sceneRect()
        scale = min(2.0, MAX_PNG_SIDE / max(rect.width(), rect.height(), 1.0))
        image = QImage(max(1, int(rect.width() * scale)), max(1, int(rect.height() * scale)), QImage.Format_ARGB32)
        image.fill(self.palette().base().color())
        painter = QPainter(image)
        painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        scene.render(painter, QRectF(0, 0, image.width(), image.height()), rect)
        painter.end()
        if not image.save(path, "PNG"):
            raise IOError("cannot write %s" % path)
