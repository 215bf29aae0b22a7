"""Graphics items of the graph view: node boxes, "+k more" placeholders, edges, colours from the palette."""

import math

from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QBrush, QColor, QFont, QFontMetrics, QPalette, QPen, QPolygonF
from PyQt5.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsSimpleTextItem

from core.api import CENTER, CUT, FIXED, OUTPUT, colour_family

# Hues of the op tree's marks (gui/op_tree_model.py, gui/icons.py), mixed into the palette's base.
CANDIDATE_HUE = QColor("#1e8e3e")
INPUT_HUE = QColor("#1a56b0")
VARIABLE_HUE = QColor("#8d6e63")
CUT_HUE = QColor("#e37400")
FIXED_HUE = QColor("#7b1fa2")
NODE_KIND, PLACEHOLDER_KIND, GROUP_KIND = "node", "placeholder", "group"


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
        self.group = mix(self.base, self.text, 0.12)
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
        return colour_family(role, is_candidate)


class Style(object):
    """Colours and fonts (with their metrics) shared by every item of a scene."""

    def __init__(self, colours, font):
        self.colours = colours
        self.plain = QFont(font)
        self.bold = QFont(font)
        self.bold.setBold(True)
        self.small = QFont(font)
        self.small.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        self.bold_metrics = QFontMetrics(self.bold)
        self.plain_metrics = QFontMetrics(self.plain)


class NodeItem(QGraphicsItem):
    """A rounded box with the op type (bold) above the node name (elided in the middle when painted)."""

    kind = NODE_KIND

    def __init__(self, node_id, rect, op, name, family, mark, style, tooltip):
        super(NodeItem, self).__init__()
        self.node_id = node_id
        self._family = family
        self._mark = mark
        self._style = style
        self._texts = (op, name)
        self._elided = None
        self.setToolTip(tooltip)
        self.setFlag(QGraphicsItem.ItemIsSelectable)
        self.setPos(rect.topLeft())
        self._rect = QRectF(0, 0, rect.width(), rect.height())

    @property
    def op(self):
        return self._texts[0]

    def boundingRect(self):
        return self._rect.adjusted(-3, -16, 3, 3)

    def _lines(self):
        if self._elided is None:
            width = int(self._rect.width()) - 10
            style = self._style
            self._elided = (style.bold_metrics.elidedText(self._texts[0], Qt.ElideRight, width),
                            style.plain_metrics.elidedText(self._texts[1], Qt.ElideMiddle, width))
        return self._elided

    def _draw_texts(self, painter, colour):
        op, name = self._lines()
        painter.setPen(colour)
        half = self._rect.height() / 2
        painter.setFont(self._style.bold)
        painter.drawText(QRectF(5, 2, self._rect.width() - 10, half), Qt.AlignCenter, op)
        painter.setFont(self._style.plain)
        painter.drawText(QRectF(5, half - 2, self._rect.width() - 10, half), Qt.AlignCenter, name)

    def paint(self, painter, option, widget=None):
        colours = self._style.colours
        fill = colours.fills.get(self._family, colours.fill)
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
        self._draw_texts(painter, colours.dim if self._family == "training" else colours.text)
        if self._mark in (CUT, FIXED):
            painter.setPen(colours.accents[self._mark])
            painter.setFont(self._style.small)
            painter.drawText(QRectF(0, -15, self._rect.width(), 14), Qt.AlignRight | Qt.AlignBottom,
                             "cut: becomes an input" if self._mark == CUT else "fixed to its value")


class PlaceholderItem(NodeItem):
    """A dotted "+k more" box: clicking it shows the hidden neighbours."""

    kind = PLACEHOLDER_KIND

    def __init__(self, node_id, rect, label, style, tooltip):
        super(PlaceholderItem, self).__init__(node_id, rect, label, "click to expand", "", None, style, tooltip)
        self.setCursor(Qt.PointingHandCursor)

    def paint(self, painter, option, widget=None):
        colours = self._style.colours
        painter.setPen(QPen(colours.border, 1.2, Qt.DotLine))
        painter.setBrush(QBrush(colours.base))
        painter.drawRoundedRect(self._rect, 6, 6)
        self._draw_texts(painter, colours.dim)


class GroupItem(NodeItem):
    """A name scope drawn as one box (double border): clicking it opens the scope."""

    kind = GROUP_KIND

    def __init__(self, node_id, rect, label, style, tooltip):
        super(GroupItem, self).__init__(node_id, rect, label, "click to open", "", None, style, tooltip)
        self.setCursor(Qt.PointingHandCursor)

    def paint(self, painter, option, widget=None):
        colours = self._style.colours
        painter.setPen(QPen(colours.highlight if self.isSelected() else colours.border, 1.2))
        painter.setBrush(QBrush(colours.group))
        painter.drawRoundedRect(self._rect.adjusted(3, 3, 3, 3), 6, 6)
        painter.drawRoundedRect(self._rect, 6, 6)
        self._draw_texts(painter, colours.text)


class EdgeItem(QGraphicsItem):
    """A polyline with a filled arrowhead at its target end (shapes built when first painted)."""

    def __init__(self, points, pen):
        super(EdgeItem, self).__init__()
        self._points = points
        self._pen = pen
        self._shapes = None
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        self._bounds = QRectF(min(xs) - 8, min(ys) - 8, max(xs) - min(xs) + 16, max(ys) - min(ys) + 16)
        self.setZValue(-1)

    def boundingRect(self):
        return self._bounds

    def pen(self):
        return self._pen

    def paint(self, painter, option, widget=None):
        if self._shapes is None:
            line = QPolygonF([QPointF(x, y) for x, y in self._points])
            tip, before = line[line.size() - 1], line[line.size() - 2]
            angle = math.atan2(tip.y() - before.y(), tip.x() - before.x())
            size = 7.0
            head = QPolygonF([tip, tip - QPointF(size * math.cos(angle - 0.4), size * math.sin(angle - 0.4)),
                              tip - QPointF(size * math.cos(angle + 0.4), size * math.sin(angle + 0.4))])
            self._shapes = (line, head)
        line, head = self._shapes
        painter.setPen(self._pen)
        painter.drawPolyline(line)
        painter.setPen(QPen(self._pen.color(), self._pen.widthF()))
        painter.setBrush(QBrush(self._pen.color()))
        painter.drawPolygon(head)


def build_scene(picture, analysis, colours, font):
    """A QGraphicsScene drawing ``picture`` (api.graph_picture's result); returns (scene, items by id)."""
    scene = QGraphicsScene()
    style = Style(colours, font)
    sub, layout, roles = picture.subgraph, picture.layout, analysis.roles
    model = picture.graph or analysis.graph
    candidates = picture.candidates
    boxes = layout.boxes
    items = {}
    add = scene.addItem
    for name in sub.nodes:
        x, y, w, h = boxes[name]
        op = model.op(name)
        role = roles.get(name)
        family = colours.kind_of(role, name in candidates)
        tip = "%s\n%s · %s%s" % (name, op, role or "?", " · candidate output" if name in candidates else "")
        item = NodeItem(name, QRectF(x, y, w, h), op, name, family, sub.marks.get(name), style, tip)
        add(item)
        items[name] = item
    for pid, group in sub.collapsed.items():
        x, y, w, h = boxes[pid]
        tip = "%d hidden %s of %s:\n%s" % (len(group.names), "inputs" if group.direction == "up" else "consumers",
                                           group.anchor, "\n".join(group.names[:20]))
        item = PlaceholderItem(pid, QRectF(x, y, w, h), group.label, style, tip)
        add(item)
        items[pid] = item
    for gid, group in sub.groups.items():
        x, y, w, h = boxes[gid]
        tip = "name scope %s: %d nodes (click to open)\n%s" % (group.scope, len(group.names),
                                                               "\n".join(group.names[:20]))
        item = GroupItem(gid, QRectF(x, y, w, h), group.label, style, tip)
        add(item)
        items[gid] = item
    pens = {"data": QPen(colours.edge, 1.2), "control": QPen(colours.control, 1.0, Qt.DashLine),
            "more": QPen(colours.control, 1.0, Qt.DotLine)}
    labelled = set()
    labels = picture.labels
    dim = QBrush(colours.dim)
    for edge, points in zip(sub.edges, layout.paths):
        if len(points) < 2:
            continue
        add(EdgeItem(points, pens[edge.kind]))
        key = (edge.source, edge.port)
        text = labels.get(key)
        if text and edge.kind == "data" and key not in labelled:
            labelled.add(key)
            label = QGraphicsSimpleTextItem(text if not edge.port else ":%d %s" % (edge.port, text))
            label.setFont(style.small)
            label.setBrush(dim)
            label.setPos(points[0][0] + 4, points[0][1] + 1)
            add(label)
    scene.setSceneRect(QRectF(-20, -24, layout.width + 40, layout.height + 44))
    return scene, items
