"""The node details panel: op, device, outputs, attrs; inputs and consumers as links."""

import html

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QTextBrowser

from core import api
from core.api import dtype_name, human_size, shape_text
from gui.colours import GREEN, RED, is_dark


def _link(name):
    return '<a href="node:%s">%s</a>' % (html.escape(name, quote=True), html.escape(name))


class DetailsPanel(QTextBrowser):
    """Shows one node; clicking an input or consumer emits ``navigate(name)``, "Show values…" ``show_values(name)``."""

    navigate = pyqtSignal(str)
    show_values = pyqtSignal(str)

    def __init__(self, parent=None):
        super(DetailsPanel, self).__init__(parent)
        self.setOpenLinks(False)
        self.anchorClicked.connect(self._clicked)
        self.current = None
        self.setPlaceholderText("Select a node to see its details")

    def _clicked(self, url):
        text = url.toString()
        if text.startswith("node:"):
            self.navigate.emit(text[len("node:"):])
        elif text.startswith("values:"):
            self.show_values.emit(text[len("values:"):])

    def show_node(self, loaded, name):
        """Renders ``name``'s details: op, role, candidate reasons, outputs (dtype and shape per port, from the
        op's OpDef), links to inputs and consumers, its checkpoint entry, attributes."""
        self.current = name
        model, variables = loaded.model, loaded.variables
        details = api.node_details(loaded, name)
        candidates = api.output_candidates(loaded)
        candidate = next((c for c in candidates if c.name == name), None)
        parts = ["<h3 style='margin-bottom:2px'>%s</h3>" % html.escape(name),
                 "<p><b>%s</b> &middot; role: %s%s</p>" % (
                     html.escape(details.op), html.escape(details.role or "?"),
                     " &middot; device %s" % html.escape(details.device) if details.device else "")]
        if candidate is not None:
            rank = candidates.index(candidate) + 1
            parts.append("<p style='color:%s'><b>Candidate output #%d</b>%s<br>%s</p>" % (
                self._hue(GREEN), rank, " (%s tail)" % candidate.tail if candidate.tail else "",
                "<br>".join("&bull; " + html.escape(r) for r in candidate.reasons)))
        parts.append(self._section("Outputs", ["%s &nbsp; %s %s" % (html.escape(t), dtype, html.escape(shape))
                                               for t, dtype, shape in details.outputs]))
        if api.has_values(loaded, name):
            parts.append("<p><a href='values:%s'>Show values…</a> (statistics, histogram, slices)</p>"
                         % html.escape(name, quote=True))
        parts.append(self._section("Inputs", [_link(i.split(":")[0]) + html.escape(i[len(i.split(":")[0]):])
                                              for i in details.data_inputs]))
        if details.control_inputs:
            parts.append(self._section("Control inputs", [_link(i) for i in details.control_inputs]))
        parts.append(self._section("Consumers", [_link(c) for c in details.consumers]))
        info = (variables or {}).get(name)
        if info is not None:
            parts.append(self._variable_section(model, info))
        parts.append(self._section("Attributes", ["<b>%s</b>: %s" % (html.escape(k), html.escape(v))
                                                  for k, v in details.attrs]))
        self.setHtml("".join(parts))

    def _variable_section(self, model, info):
        rows = ["checkpoint key: %s" % html.escape(info.key),
                "dtype %s, shape %s" % (info.dtype, shape_text(info.shape))]
        if info.partition:
            rows.append("partition: %s" % html.escape(info.partition))
        if info.in_checkpoint and model.checkpoint is not None:
            entry = model.checkpoint.entry(info.key)
            rows.append("stored: %s %s, %s" % (dtype_name(entry.dtype), shape_text(list(entry.shape)),
                                              human_size(entry.nbytes)))
            try:
                values = model.checkpoint.preview(info.key, 8)
                rows.append("first values: %s" % html.escape(", ".join("%.6g" % v if isinstance(v, float)
                                                                        else str(v) for v in values)))
            except Exception as exc:  # a damaged checkpoint must not break the panel
                rows.append("cannot read values: %s" % html.escape(str(exc)))
        else:
            rows.append("<span style='color:%s'>not in the checkpoint</span>" % self._hue(RED))
        return self._section("Checkpoint entry", rows)

    def _hue(self, colour):
        """A meaning colour readable on this palette's base (lighter on dark themes)."""
        return (colour.lighter(170) if is_dark(self.palette()) else colour).name()

    @staticmethod
    def _section(title, rows):
        if not rows:
            rows = ["<i>none</i>"]
        return "<p><b>%s</b><br>%s</p>" % (title, "<br>".join(rows))
