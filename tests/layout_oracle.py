"""Edge crossings of a drawn layered layout, and grandalf's Sugiyama layout of the same graph (the oracle
that core.analysis.graph_layout is compared with: tests/core/test_graph_layout.py, bench/bench_layout.py).

Crossings are counted from the drawn coordinates, the same way for both layouts: between two adjacent
layers, two edge segments cross when their ends swap left-right order (segments sharing an end do not).
"""

import time


def _band_crossings(segments):
    """Crossings among segments (x at the upper layer, x at the lower layer) between two layers."""
    count = 0
    for i in range(len(segments)):
        a_top, a_bottom = segments[i]
        for j in range(i + 1, len(segments)):
            b_top, b_bottom = segments[j]
            if (a_top - b_top) * (a_bottom - b_bottom) < -1e-9:
                count += 1
    return count


def crossings(polylines):
    """Crossings of edges drawn as polylines of (x, y) points through consecutive layers."""
    levels = sorted(set(round(y, 3) for line in polylines for _, y in line))
    rank = dict((y, k) for k, y in enumerate(levels))
    bands = {}
    for line in polylines:
        points = sorted(((rank[round(y, 3)], x) for x, y in line))
        for (k0, x0), (k1, x1) in zip(points, points[1:]):
            bands.setdefault(k0, []).append((x0, x1))
    return sum(_band_crossings(s) for s in bands.values())


def ours(ids, edges, widths, back):
    from core.analysis.graph_layout import NODE_HEIGHT, layered_layout
    started = time.perf_counter()
    layout = layered_layout(ids, edges, widths, back)
    spent = time.perf_counter() - started
    lines = []
    for (source, target), path in zip(edges, layout.paths):
        if not path:
            continue
        sx, sy, sw, _ = layout.boxes[source]
        tx, ty, tw, _ = layout.boxes[target]
        middle = [p for p in path[1:-1]]
        start = (sx + sw / 2.0, sy + NODE_HEIGHT / 2.0)
        end = (tx + tw / 2.0, ty + NODE_HEIGHT / 2.0)
        lines.append([start] + middle + [end])
    return crossings(lines), spent, layout.width, layout.height


def grandalf(ids, edges, widths, back):
    from grandalf.graphs import Edge, Graph, Vertex
    from grandalf.layouts import SugiyamaLayout
    from core.analysis.graph_layout import LAYER_GAP, NODE_GAP, NODE_HEIGHT

    class View(object):
        def __init__(self, w, h):
            self.w, self.h, self.xy = w, h, (0.0, 0.0)

    class EdgeView(object):
        def setpath(self, points):
            self.points = points

    started = time.perf_counter()
    vertices = dict((i, Vertex(i)) for i in ids)
    for i, v in vertices.items():
        v.view = View(widths[i], NODE_HEIGHT)
    graph_edges = []
    for k, (s, t) in enumerate(edges):
        if s == t:
            continue
        edge = Edge(vertices[s], vertices[t])
        edge.view = EdgeView()
        graph_edges.append(edge)
    graph = Graph(list(vertices.values()), graph_edges)
    left, width, height = 0.0, 0.0, 0.0
    lines = []
    for component in graph.C:
        layout = SugiyamaLayout(component)
        layout.xspace, layout.yspace = NODE_GAP, LAYER_GAP
        layout.init_all()  # grandalf finds the edges that close cycles (a while loop's back edges) itself
        layout.draw()
        xs = [v.view.xy[0] for v in component.sV]
        shift = left - min(x - v.view.w / 2.0 for x, v in zip(xs, component.sV))
        for e in component.sE:
            if hasattr(e.view, "points"):
                lines.append([(x + shift, y) for x, y in e.view.points])
        right = max(v.view.xy[0] + v.view.w / 2.0 for v in component.sV) + shift
        left = right + NODE_GAP
        width = right
        height = max(height, max(v.view.xy[1] + v.view.h / 2.0 for v in component.sV))
    spent = time.perf_counter() - started
    return crossings(lines), spent, width, height


def layout_inputs(subgraph, model):
    from core.analysis.graph_layout import BACK_EDGE_OPS, label_width
    ids = subgraph.ids()
    widths = dict((n, label_width(model.op(n), n)) for n in subgraph.nodes)
    for pid, group in subgraph.collapsed.items():
        widths[pid] = label_width("", group.label)
    edges = [(e.source, e.target) for e in subgraph.edges]
    back = set(k for k, e in enumerate(subgraph.edges)
               if e.source in model.position and model.op(e.source) in BACK_EDGE_OPS)
    return ids, edges, widths, back
