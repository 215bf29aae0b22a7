"""A graph picture in one call: the subgraph of a request, its layered layout and its edge labels."""

import time

from core.analysis.graph_dot import to_dot
from core.analysis.graph_layout import layout_subgraph
from core.analysis.subgraph import edge_labels, freeze_subgraph, neighbourhood

NEIGHBOURHOOD, FREEZE = "neighbourhood", "freeze"


class Picture(object):
    """What the graph view draws.

    Attributes:
        request: (NEIGHBOURHOOD, center, hops, expanded pairs) or (FREEZE, outputs, cuts, fixed).
        subgraph: core.analysis.subgraph.Subgraph.
        layout: core.analysis.graph_layout.Layout.
        labels: dict (source, port) -> shape text.
        candidates: frozenset of candidate output names.
        seconds: the time taken.
    """

    def __init__(self, request, subgraph, layout, labels, candidates, seconds):
        self.request = request
        self.subgraph = subgraph
        self.layout = layout
        self.labels = labels
        self.candidates = candidates
        self.seconds = seconds

    @property
    def title(self):
        if self.request[0] == NEIGHBOURHOOD:
            return self.request[1]
        return "frozen " + ", ".join(self.request[1])


def graph_picture(analysis, request, char_width=7.0, max_nodes=None, progress=None, cancel=None):
    """Takes the subgraph of ``request`` from a GraphAnalysis and lays it out.

    Args:
        analysis: core.analysis.insight.GraphAnalysis.
        request: (NEIGHBOURHOOD, center, hops, expanded (name, "up"/"down") pairs)
            or (FREEZE, outputs, cuts, fixed placeholder names).
        char_width: the width of an average character of the box font, in layout units.
        max_nodes: cap on the nodes drawn (None: the subgraph's own default; all for FREEZE).
        progress, cancel: the usual core callbacks (progress gets a message).
    Returns:
        Picture.
    Raises:
        KeyError: an unknown center; core.errors.ModelError: an unknown output, cut or switch.
    """
    started = time.time()
    model = analysis.graph
    if request[0] == NEIGHBOURHOOD:
        _, center, hops, expanded = request
        options = {} if max_nodes is None else {"max_nodes": max_nodes}
        sub = neighbourhood(model, center, hops=hops, expanded=expanded, **options)
    else:
        _, outputs, cuts, fixed = request
        sub = freeze_subgraph(model, outputs, cuts, fixed, max_nodes=max_nodes)
    if progress is not None:
        progress("laying out %d nodes" % len(sub))
    layout = layout_subgraph(sub, model, char_width=char_width)
    candidates = frozenset(c.name for c in analysis.candidates)
    return Picture(request, sub, layout, edge_labels(model, sub), candidates, time.time() - started)


def picture_dot(picture, analysis):
    """The DOT text of a Picture's subgraph."""
    return to_dot(picture.subgraph, analysis.graph, picture.title)
