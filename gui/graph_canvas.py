"""The graph view's canvas: zoom (Ctrl+wheel, +/-, 0 fits), pan by dragging, clicks on boxes."""

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtGui import QPainter
from PyQt5.QtWidgets import QGraphicsView

from gui.graph_items import GROUP_KIND, NODE_KIND, PLACEHOLDER_KIND


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
        if event.button() == Qt.LeftButton and getattr(item, "kind", None) in (NODE_KIND, PLACEHOLDER_KIND, GROUP_KIND):
            self.item_clicked.emit(item)
            event.accept()
            return
        super(GraphCanvas, self).mousePressEvent(event)
