"""Benchmark: our layered layout (core.analysis.graph_layout) against grandalf's Sugiyama layout, by edge
crossings, on the subgraphs the graph view really draws.

The graphs: for every TF 1.4 fixture, the neighbourhood of each of its outputs and its best candidates at
1, 2, 3 and 5 hops, and what the freeze of its outputs keeps; for tests/inception_graph.py's 5,000-node
graph, neighbourhoods of its mixed blocks and the freeze of its Softmax (capped as the view caps it).
Both layouts get the same ids, edges and box widths (grandalf finds the cycles of while loops itself);
tests/layout_oracle.py counts the crossings of both from the drawn coordinates.

Usage: python bench/bench_layout.py [--json] [--freeze-cap 300]
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests import layout_oracle  # noqa: E402
from tests.layout_oracle import layout_inputs  # noqa: E402


def graphs(freeze_cap):
    """(name, subgraph, GraphModel) for every graph of the comparison."""
    from core import api
    from core.analysis.insight import analyze
    from core.analysis.subgraph import neighbourhood
    from tests.conftest import FIXTURE_NAMES, load_fixture
    from tests.inception_graph import frozen_subgraph, inception_frozen_like, inception_like
    for name in FIXTURE_NAMES:
        fixture = load_fixture(name)
        with api.load(fixture.folder) as loaded:
            model = loaded.analysis.graph
            centers = list(fixture.outputs) + [c.name for c in loaded.analysis.candidates[:3]]
            for center in sorted(set(centers), key=centers.index):
                for hops in (1, 2, 3, 5):
                    yield "%s: %s, %d hops" % (name, center, hops), neighbourhood(model, center, hops=hops), model
            request = api.FreezeSession(fixture.outputs).request()
            frozen = api.freeze_picture(loaded, api.plan(loaded, request), request)
            yield "%s: freeze %s" % (name, ",".join(fixture.outputs)), frozen.subgraph, frozen.graph
    model = analyze(inception_like(5000)).graph
    for center in ("InceptionV3/Mixed_3/concat", "InceptionV3/Mixed_10/Branch_2/Conv2d_0b_3x3/Relu"):
        for hops in (2, 3, 5):
            yield "inception: %s, %d hops" % (center, hops), neighbourhood(model, center, hops=hops), model
    sub, frozen_model = frozen_subgraph(inception_frozen_like(5000), ["InceptionV3/Predictions/Softmax"], freeze_cap)
    yield "inception: freeze Softmax (%d nodes)" % freeze_cap, sub, frozen_model


def run(freeze_cap):
    rows = []
    for name, subgraph, model in graphs(freeze_cap):
        args = layout_inputs(subgraph, model)
        ours = layout_oracle.ours(*args)
        theirs = layout_oracle.grandalf(*args)
        rows.append({"graph": name, "nodes": len(subgraph), "edges": len(args[1]),
                     "ours": {"crossings": ours[0], "seconds": ours[1], "width": ours[2], "height": ours[3]},
                     "grandalf": {"crossings": theirs[0], "seconds": theirs[1], "width": theirs[2],
                                  "height": theirs[3]}})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--freeze-cap", type=int, default=300, help="nodes of the Inception freeze subgraph")
    args = parser.parse_args(argv)
    rows = run(args.freeze_cap)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    width = max(len(r["graph"]) for r in rows)
    print("%s  %5s %5s  %9s %9s  %8s %8s" % ("graph".ljust(width), "nodes", "edges", "ours", "grandalf",
                                              "ours s", "gdf s"))
    for r in rows:
        print("%s  %5d %5d  %9d %9d  %8.3f %8.3f" % (r["graph"].ljust(width), r["nodes"], r["edges"],
                                                     r["ours"]["crossings"], r["grandalf"]["crossings"],
                                                     r["ours"]["seconds"], r["grandalf"]["seconds"]))
    wins = sum(r["ours"]["crossings"] < r["grandalf"]["crossings"] for r in rows)
    losses = sum(r["ours"]["crossings"] > r["grandalf"]["crossings"] for r in rows)
    print("graphs: %d; crossings in all: ours %d, grandalf %d; fewer: ours %d, grandalf %d, ties %d" % (
        len(rows), sum(r["ours"]["crossings"] for r in rows), sum(r["grandalf"]["crossings"] for r in rows),
        wins, losses, len(rows) - wins - losses))
    print("time in all: ours %.2f s, grandalf %.2f s" % (sum(r["ours"]["seconds"] for r in rows),
                                                       sum(r["grandalf"]["seconds"] for r in rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
