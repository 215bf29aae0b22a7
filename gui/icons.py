"""Small icons drawn at run time (no image files to ship): scopes, inputs, variables, output tails."""

from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

TAIL_COLOURS = {
    "Softmax": "#7b1fa2", "Sigmoid": "#c2185b", "BiasAdd": "#1e8e3e", "Relu": "#e37400", "other": "#5f6368",
}
_CACHE = {}
SIZES = (16, 32)  # a sharp icon at scale factor 1 and 2


def tail_colour(key, dark=False):
    """The star colour of an output tail ("Softmax", ..., "other"), lighter on a dark palette."""
    colour = QColor(TAIL_COLOURS.get(key, TAIL_COLOURS["other"]))
    return colour.lighter(160) if dark else colour


def _pixmap(draw, size=16):
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    draw(painter, size)
    painter.end()
    return pixmap


def _star(colour):
    colour = colour.name()

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


def _arrow(painter, size, dark=False):
    painter.setBrush(QColor("#1a56b0").lighter(170) if dark else QColor("#1a56b0"))
    painter.setPen(Qt.NoPen)
    painter.drawPolygon(QPolygonF([QPointF(3, 2), QPointF(size - 2, size / 2), QPointF(3, size - 2)]))


def _cylinder(painter, size, dark=False):
    painter.setPen(QPen(QColor("#8d6e63"), 1))
    painter.setBrush(QColor("#d7ccc8"))
    painter.drawRoundedRect(QRectF(3, 2, size - 6, size - 4), 3, 3)
    painter.drawLine(QPointF(3, 5), QPointF(size - 3, 5))


def _folder(painter, size, dark=False):
    path = QPainterPath()
    path.addRoundedRect(QRectF(1, 4, size - 2, size - 6), 2, 2)
    painter.setPen(QPen(QColor("#b08d2b"), 1))
    painter.setBrush(QColor("#f6d776"))
    painter.drawPath(path)
    painter.drawRect(QRectF(1, 2, 6, 3))


def icon(kind, dark=False):
    """A cached QIcon: "scope", "input", "variable" or "tail-<Softmax|Sigmoid|BiasAdd|Relu|other>", its colours
    lighter on a dark palette."""
    key = (kind, bool(dark))
    cached = _CACHE.get(key)
    if cached is None:
        if kind.startswith("tail-"):
            draw = _star(tail_colour(kind[5:], dark))
        else:
            shape = {"scope": _folder, "input": _arrow, "variable": _cylinder}[kind]
            draw = lambda painter, size: shape(painter, size, dark)  # noqa: E731
        cached = QIcon()
        for size in SIZES:
            cached.addPixmap(_pixmap(draw, size))
        _CACHE[key] = cached
    return cached
