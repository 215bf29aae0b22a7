"""A graph picture in one call: the subgraph of a request, its layered layout and its edge labels."""

import time

from core.analysis.graph_dot import to_dot
from core.analysis.graph_layout import layout_subgraph
from core.analysis.graph_model import GraphModel
from core.analysis.scope_groups import group_scopes
from core.analysis.subgraph import edge_labels, neighbourhood, whole_subgraph

NEIGHBOURHOOD, FROZEN = "neighbourhood", "frozen"


class Picture(object):
    """What the graph view draws.

    Attributes:
        request: (NEIGHBOURHOOD, center, hops, expanded pairs) or (FROZEN, outputs, key): a planned frozen
            graph (``key`` tells one freeze from another).
        subgraph: core.analysis.subgraph.Subgraph.
        graph: the core.analysis.graph_model.GraphModel the subgraph's names belong to (the source
            graph, or the planned frozen graph for FROZEN).
        total: the node count of the whole graph drawn from (the frozen graph's for FROZEN).
        scopes: None when name scopes are not grouped, else the frozenset of scopes shown open.
        layout: core.analysis.graph_layout.Layout.
        labels: dict (source, port) -> shape text.
        candidates: frozenset of candidate output names.
        seconds: the time taken.
    """

    def __init__(self, request, subgraph, layout, labels, candidates, seconds, graph=None, total=None, scopes=None):
        self.request = request
        self.scopes = scopes
        self.graph = graph
        self.total = len(subgraph.nodes) if total is None else total
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

    @property
    def drawn_all(self):
        """True when every node of the graph drawn from is on the picture."""
        return not self.subgraph.collapsed and len(self.subgraph.nodes) == self.total and not self.subgraph.groups


def _laid_out(request, sub, model, analysis, started, char_width, scopes, progress, total=None):
    if scopes is not None:
        sub = group_scopes(sub, scopes)
    if progress is not None:
        progress("laying out %d nodes" % len(sub))
    layout = layout_subgraph(sub, model, char_width=char_width)
    candidates = frozenset(c.name for c in analysis.candidates)
    return Picture(request, sub, layout, edge_labels(model, sub), candidates, time.time() - started, model, total,
                   scopes)


def graph_picture(analysis, request, char_width=7.0, max_nodes=None, scopes=None, progress=None, cancel=None):
    """Takes the subgraph of ``request`` from a GraphAnalysis and lays it out.

    Args:
        analysis: core.analysis.insight.GraphAnalysis.
        request: (NEIGHBOURHOOD, center, hops, expanded (name, "up"/"down") pairs)
            (what a freeze keeps is frozen_picture's, from the freeze plan itself).
        char_width: the width of an average character of the box font, in layout units.
        max_nodes: cap on the nodes drawn (None: the subgraph's own default).
        scopes: None draws every node; a set of scope paths groups every other name scope into one box.
        progress, cancel: the usual core callbacks (progress gets a message).
    Returns:
        Picture.
    Raises:
        KeyError: an unknown center.
    """
    started = time.time()
    model = analysis.graph
    _, center, hops, expanded = request
    options = {} if max_nodes is None else {"max_nodes": max_nodes}
    sub = neighbourhood(model, center, hops=hops, expanded=expanded, **options)
    return _laid_out(request, sub, model, analysis, started, char_width, scopes, progress)


def frozen_picture(analysis, kept, marks, key=None, char_width=7.0, scopes=None, progress=None, cancel=None):
    """Lays out a planned frozen graph (core.freeze.plan_graph.KeptGraph): exactly what the freeze writes.

    Args:
        analysis: the source graph's GraphAnalysis (roles and candidates colour the boxes).
        kept: KeptGraph (its ``hidden`` inputs become "+k more" boxes).
        marks: dict node name -> OUTPUT, CUT or FIXED.
        key: a hashable value naming the freeze (goes into the request).
        scopes: as for graph_picture.
    Returns:
        Picture of request (FROZEN, outputs, key), its graph the frozen graph's GraphModel.
    """
    started = time.time()
    model = GraphModel(kept.graph_def)
    sub = whole_subgraph(model, kept.hidden, marks)
    return _laid_out((FROZEN, tuple(kept.outputs), key), sub, model, analysis, started, char_width, scopes, progress,
                     kept.total)


def picture_dot(picture, analysis):
    """The DOT text of a Picture's subgraph, coloured as the window draws it."""
    return to_dot(picture.subgraph, picture.graph or analysis.graph, picture.title, analysis.roles,
                  picture.candidates)
