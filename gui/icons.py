"""Small icons drawn at run time (no image files to ship): scopes, inputs, variables, output tails."""

from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

TAIL_COLOURS = {
    "Softmax": "#7b1fa2", "Sigmoid": "#c2185b", "BiasAdd": "#1e8e3e", "Relu": "#e37400", "other": "#5f6368",
}
_CACHE = {}


def _pixmap(draw, size=16):
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    draw(painter, size)
    painter.end()
    return pixmap


def _star(colour):
    def draw(painter, size):
        import math
        points = []
        for k in range(10):
            radius = size * (0.48 if k % 2 == 0 else 0.2)
            angle = math.pi / 2 + k * math.pi / 5
            points.append(QPointF(size / 2 + radius * math.cos(angle), size / 2 - radius * math.sin(angle)))
        painter.setBrush(QColor(colour))
        painter.setPen(QPen(QColor(colour).darker(130), 1))
        painter.drawPolygon(QPolygonF(points))
    return draw


def _arrow(painter, size):
    painter.setBrush(QColor("#1a56b0"))
    painter.setPen(Qt.NoPen)
    painter.drawPolygon(QPolygonF([QPointF(3, 2), QPointF(size - 2, size / 2), QPointF(3, size - 2)]))


def _cylinder(painter, size):
    painter.setPen(QPen(QColor("#8d6e63"), 1))
    painter.setBrush(QColor("#d7ccc8"))
    painter.drawRoundedRect(QRectF(3, 2, size - 6, size - 4), 3, 3)
    painter.drawLine(QPointF(3, 5), QPointF(size - 3, 5))


def _folder(painter, size):
    path = QPainterPath()
    path.addRoundedRect(QRectF(1, 4, size - 2, size - 6), 2, 2)
    painter.setPen(QPen(QColor("#b08d2b"), 1))
    painter.setBrush(QColor("#f6d776"))
    painter.drawPath(path)
    painter.drawRect(QRectF(1, 2, 6, 3))


def icon(kind):
    """A cached QIcon: "scope", "input", "variable" or "tail-<Softmax|Sigmoid|BiasAdd|Relu|other>"."""
    cached = _CACHE.get(kind)
    if cached is None:
        if kind.startswith("tail-"):
            draw = _star(TAIL_COLOURS.get(kind[5:], TAIL_COLOURS["other"]))
        else:
            draw = {"scope": _folder, "input": _arrow, "variable": _cylinder}[kind]
        cached = QIcon(_pixmap(draw))
        _CACHE[kind] = cached
    return cached
