"""Benchmark: the graph view on a ~5,000-node Inception-like graph — neighbourhood, layout, scene build.

Usage: QT_QPA_PLATFORM=offscreen python bench/bench_graph_view.py [--nodes 5000] [--repeat 5]
Target (issue 13): a node's view in an Inception-v3-sized graph draws in under 300 ms.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from PyQt5.QtCore import QRectF
    from PyQt5.QtGui import QImage, QPainter, QPalette
    from core.analysis.graph_layout import layout_subgraph
    from core.analysis.insight import analyze
    from core.analysis.graph_model import GraphModel
    from core.analysis.subgraph import edge_labels, neighbourhood, whole_subgraph
    from core.freeze.plan_graph import kept_graph
    from core import api
    from gui.app import create_application
    from gui.graph_items import Colours, build_scene
    from core.analysis.graph_picture import Picture
    from gui.graph_view import FREEZE_DRAW_CAP, FROZEN, NEIGHBOURHOOD, READABLE_SCALE
    from tests.inception_graph import inception_frozen_like, inception_like
    app = create_application()
    graph_def = inception_like(args.nodes)
    analysis = analyze(graph_def)
    model = analysis.graph
    colours = Colours(QPalette(app.palette()))
    candidates = frozenset(c.name for c in analysis.candidates)
    centers = [n for n in model.names if n.endswith("/concat")]
    centers = [centers[len(centers) // 2], centers[len(centers) // 2].replace("concat", "Branch_2/Conv2d_0b_3x3/Relu")]
    print("graph: %d nodes" % len(model))
    print("%-34s %6s %8s %8s %8s %8s %8s" % ("view", "nodes", "subgr", "layout", "scene", "paint", "total"))
    image = QImage(1200, 800, QImage.Format_ARGB32)

    def paint(scene):
        """Paints a 1200x800 window of the scene at the view's smallest automatic zoom."""
        painter = QPainter(image)
        painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        rect = scene.sceneRect()
        source = QRectF(rect.x(), rect.y(), min(rect.width(), 1200 / READABLE_SCALE),
                        min(rect.height(), 800 / READABLE_SCALE))
        scene.render(painter, QRectF(0, 0, 1200, 800), source)
        painter.end()

    worst = 0.0
    cases = [(NEIGHBOURHOOD, c, hops) for c in centers for hops in (1, 2, 3, 5)]
    cases.append((FROZEN, ["InceptionV3/Predictions/Softmax"], FREEZE_DRAW_CAP))
    cases.append((FROZEN, ["InceptionV3/Predictions/Softmax"], None))
    import tempfile
    path = os.path.join(tempfile.mkdtemp(), "inception.pb")
    with open(path, "wb") as handle:  # variables as (empty) Consts: a graph the plan needs no checkpoint for
        handle.write(inception_frozen_like(args.nodes).SerializeToString())
    loaded = api.load(path)
    freeze_plan = api.plan(loaded, api.FreezeSession(["InceptionV3/Predictions/Softmax"]).request())

    def frozen_subgraph(cap):
        kept = kept_graph(freeze_plan, cap)
        kept_model = GraphModel(kept.graph_def)
        return whole_subgraph(kept_model, kept.hidden, {}), kept_model
    for case in cases:
        best = None
        for _ in range(args.repeat if case[0] == NEIGHBOURHOOD else 1):
            drawn = model
            if case[0] == NEIGHBOURHOOD:
                sub, t_sub = _timed(neighbourhood, model, case[1], hops=case[2])
            else:  # exactly what the freeze writes: the plan's nodes, nearest the outputs first
                (sub, drawn), t_sub = _timed(frozen_subgraph, case[2])
            layout, t_layout = _timed(layout_subgraph, sub, drawn)
            picture = Picture(case, sub, layout, edge_labels(drawn, sub), candidates, 0.0, drawn)
            (scene, _), t_scene = _timed(build_scene, picture, analysis, colours, app.font())
            _, t_paint = _timed(paint, scene)
            scene.deleteLater()
            times = (t_sub, t_layout, t_scene, t_paint, t_sub + t_layout + t_scene + t_paint)
            if best is None or times[4] < best[4]:
                best = times
        label = ("%s, %d hops" % (case[1].split("/", 2)[-1][:22], case[2]) if case[0] == NEIGHBOURHOOD
                 else "freeze keeps (%s)" % ("cap %d" % case[2] if case[2] else "whole graph"))
        print("%-34s %6d %7.1fms %7.1fms %7.1fms %7.1fms %7.1fms" % ((label, len(sub)) + tuple(1000 * t for t in best)))
        if case[0] == NEIGHBOURHOOD:
            worst = max(worst, best[4])
    print("worst neighbourhood view: %.1f ms (target < 300 ms): %s" % (1000 * worst, "OK" if worst < 0.3 else "SLOW"))


if __name__ == "__main__":
    main()
