"""Graphics items of the graph view: node boxes, "+k more" placeholders, edges, colours from the palette."""

import math

from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainterPath, QPalette, QPen, QPolygonF
from PyQt5.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsScene, QGraphicsSimpleTextItem

from core.analysis.roles import INPUT, SWITCH, TRAINING_INPUT, TRAINING_ONLY, VARIABLE
from core.analysis.subgraph import CENTER, CUT, FIXED, OUTPUT

# Hues of the op tree's marks (gui/op_tree_model.py, gui/icons.py), mixed into the palette's base.
CANDIDATE_HUE = QColor("#1e8e3e")
INPUT_HUE = QColor("#1a56b0")
VARIABLE_HUE = QColor("#8d6e63")
CUT_HUE = QColor("#e37400")
FIXED_HUE = QColor("#7b1fa2")
NODE_KIND, PLACEHOLDER_KIND = "node", "placeholder"


def mix(a, b, t):
    """The colour ``t`` of the way from ``a`` to ``b``."""
    return QColor(int(a.red() + (b.red() - a.red()) * t), int(a.green() + (b.green() - a.green()) * t),
                  int(a.blue() + (b.blue() - a.blue()) * t))


def _is_dark(colour):
    return colour.lightness() < 128


class Colours(object):
    """Fills, borders and text derived from a QPalette, readable on light and dark palettes."""

    def __init__(self, palette):
        self.base = palette.color(QPalette.Base)
        self.text = palette.color(QPalette.Text)
        self.highlight = palette.color(QPalette.Highlight)
        self.border = mix(self.base, self.text, 0.45)
        self.edge = mix(self.base, self.text, 0.55)
        self.control = mix(self.base, self.text, 0.35)
        self.dim = mix(self.base, self.text, 0.5)
        strength = 0.32 if _is_dark(self.base) else 0.18
        self.fill = mix(self.base, self.text, 0.04)
        self.fills = {"candidate": mix(self.base, CANDIDATE_HUE, strength),
                      "input": mix(self.base, INPUT_HUE, strength),
                      "variable": mix(self.base, VARIABLE_HUE, strength)}
        lift = 1.6 if _is_dark(self.base) else 1.0
        self.accents = dict((k, v.lighter(int(100 * lift))) for k, v in
                            (("candidate", CANDIDATE_HUE), ("input", INPUT_HUE), ("variable", VARIABLE_HUE),
                             (CUT, CUT_HUE), (FIXED, FIXED_HUE), (OUTPUT, CANDIDATE_HUE)))
        self.accents[CENTER] = self.highlight

    def kind_of(self, role, is_candidate):
        """The colour family of a node: "candidate", "input", "variable", "training" or ""."""
        if is_candidate:
            return "candidate"
        if role in (INPUT, SWITCH):
            return "input"
        if role == VARIABLE:
            return "variable"
        if role in TRAINING_ONLY or role == TRAINING_INPUT:
            return "training"
        return ""


class NodeItem(QGraphicsItem):
    """A rounded box with the op type (bold) above the node name (elided in the middle)."""

    def __init__(self, node_id, rect, op, name, family, mark, colours, fonts, tooltip):
        super(NodeItem, self).__init__()
        self.node_id = node_id
        self.kind = NODE_KIND
        self._rect = rect
        self._family = family
        self._mark = mark
        self._colours = colours
        bold, plain = fonts
        self._fonts = fonts
        width = int(rect.width()) - 10
        self._op = QFontMetrics(bold).elidedText(op, Qt.ElideRight, width)
        self._name = QFontMetrics(plain).elidedText(name, Qt.ElideMiddle, width)
        self.setToolTip(tooltip)
        self.setFlag(QGraphicsItem.ItemIsSelectable)
        self.setPos(rect.topLeft())
        self._rect = QRectF(0, 0, rect.width(), rect.height())
        self.setCursor(Qt.PointingHandCursor)

    def boundingRect(self):
        return self._rect.adjusted(-3, -3, 3, 3)

    def paint(self, painter, option, widget=None):
        colours = self._colours
        fill = colours.fills.get(self._family, colours.fill)
        text = colours.dim if self._family == "training" else colours.text
        pen = QPen(colours.accents.get(self._family, colours.border), 1.2)
        if self._mark in (CUT, FIXED):
            pen = QPen(colours.accents[self._mark], 2.2, Qt.DashLine)
        elif self._mark in (OUTPUT, CENTER):
            pen = QPen(colours.accents[self._mark], 2.4)
        if self.isSelected():
            pen = QPen(colours.highlight, 3.0)
        painter.setPen(pen)
        painter.setBrush(QBrush(fill))
        painter.drawRoundedRect(self._rect, 6, 6)
        painter.setPen(text)
        half = self._rect.height() / 2
        painter.setFont(self._fonts[0])
        painter.drawText(QRectF(5, 2, self._rect.width() - 10, half), Qt.AlignCenter, self._op)
        painter.setFont(self._fonts[1])
        painter.drawText(QRectF(5, half - 2, self._rect.width() - 10, half), Qt.AlignCenter, self._name)
        if self._mark in (CUT, FIXED):
            painter.setPen(colours.accents[self._mark])
            painter.drawText(QRectF(0, -14, self._rect.width(), 13), Qt.AlignRight | Qt.AlignBottom,
                             "cut: input" if self._mark == CUT else "fixed")


class PlaceholderItem(NodeItem):
    """A dotted "+k more" box: clicking it shows the hidden neighbours."""

    def __init__(self, node_id, rect, label, colours, fonts, tooltip):
        super(PlaceholderItem, self).__init__(node_id, rect, label, "click to expand", "", None, colours,
                                              fonts, tooltip)
        self.kind = PLACEHOLDER_KIND

    def paint(self, painter, option, widget=None):
        colours = self._colours
        painter.setPen(QPen(colours.border, 1.2, Qt.DotLine))
        painter.setBrush(QBrush(colours.base))
        painter.drawRoundedRect(self._rect, 6, 6)
        painter.setPen(colours.dim)
        half = self._rect.height() / 2
        painter.setFont(self._fonts[0])
        painter.drawText(QRectF(0, 2, self._rect.width(), half), Qt.AlignCenter, self._op)
        painter.setFont(self._fonts[1])
        painter.drawText(QRectF(0, half - 2, self._rect.width(), half), Qt.AlignCenter, self._name)


class EdgeItem(QGraphicsPathItem):
    """A polyline with a filled arrowhead at its target end (the line itself is never filled)."""

    def __init__(self, points, pen):
        line = QPainterPath(QPointF(*points[0]))
        for point in points[1:]:
            line.lineTo(QPointF(*point))
        tip, before = QPointF(*points[-1]), QPointF(*points[-2])
        angle = math.atan2(tip.y() - before.y(), tip.x() - before.x())
        size = 7.0
        self._head = QPolygonF([tip, tip - QPointF(size * math.cos(angle - 0.4), size * math.sin(angle - 0.4)),
                                tip - QPointF(size * math.cos(angle + 0.4), size * math.sin(angle + 0.4))])
        self._line = line
        bounds = QPainterPath(line)
        bounds.addPolygon(self._head)
        super(EdgeItem, self).__init__(bounds)
        self.setPen(pen)
        self.setZValue(-1)

    def paint(self, painter, option, widget=None):
        pen = self.pen()
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self._line)
        painter.setPen(QPen(pen.color(), pen.widthF()))
        painter.setBrush(QBrush(pen.color()))
        painter.drawPolygon(self._head)


def build_scene(picture, analysis, colours, font):
    """A QGraphicsScene drawing ``picture`` (gui.graph_view.Picture); returns (scene, items by id)."""
    scene = QGraphicsScene()
    scene.setItemIndexMethod(QGraphicsScene.BspTreeIndex)
    bold = QFont(font)
    bold.setBold(True)
    small = QFont(font)
    small.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
    fonts = (bold, font)
    sub, layout, model = picture.subgraph, picture.layout, analysis.graph
    candidates = picture.candidates
    items = {}
    for name in sub.nodes:
        x, y, w, h = layout.boxes[name]
        op = model.op(name)
        role = analysis.roles.get(name)
        family = colours.kind_of(role, name in candidates)
        tip = "%s\n%s · %s%s" % (name, op, role or "?", " · candidate output" if name in candidates else "")
        item = NodeItem(name, QRectF(x, y, w, h), op, name, family, sub.marks.get(name), colours, fonts, tip)
        scene.addItem(item)
        items[name] = item
    for pid, group in sub.collapsed.items():
        x, y, w, h = layout.boxes[pid]
        tip = "%d hidden %s of %s:\n%s" % (len(group.names), "inputs" if group.direction == "up" else "consumers",
                                           group.anchor, "\n".join(group.names[:20]))
        item = PlaceholderItem(pid, QRectF(x, y, w, h), group.label, colours, fonts, tip)
        scene.addItem(item)
        items[pid] = item
    data_pen = QPen(colours.edge, 1.2)
    control_pen = QPen(colours.control, 1.0, Qt.DashLine)
    more_pen = QPen(colours.control, 1.0, Qt.DotLine)
    labelled = set()
    for edge, points in zip(sub.edges, layout.paths):
        if len(points) < 2:
            continue
        scene.addItem(EdgeItem(points, {"data": data_pen, "control": control_pen}.get(edge.kind, more_pen)))
        key = (edge.source, edge.port)
        text = picture.labels.get(key)
        if edge.kind == "data" and text and key not in labelled:
            labelled.add(key)
            label = QGraphicsSimpleTextItem(text if not edge.port else ":%d %s" % (edge.port, text))
            label.setFont(small)
            label.setBrush(QBrush(colours.dim))
            label.setPos(points[0][0] + 4, points[0][1] + 1)
            scene.addItem(label)
    scene.setSceneRect(QRectF(-20, -24, layout.width + 40, layout.height + 44))
    return scene, items
