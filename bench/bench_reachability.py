"""Benchmark: the graph view's reachability queries on the 100k-node bench graph, our arrays vs networkx.

Why the core keeps its own adjacency arrays (core.analysis.graph_model) instead of networkx: this
times, on bench_analysis.py's 100k-node training graph, the queries the graph view and the freezer
run (what a freeze keeps = ancestors of the outputs; a node's 3-hop neighbourhood; "is the kept part
acyclic") with GraphModel's arrays and with networkx (building the DiGraph first, as any use would),
and the memory each representation takes. networkx is imported only here and in the tests.

Usage: python bench/bench_reachability.py [--repeat N] [--tf-python PYTHON]
"""

import argparse
import os
import sys
import time
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for path in (ROOT, HERE):
    if path not in sys.path:
        sys.path.insert(0, path)

import bench_analysis  # noqa: E402  (the cached 100k-node graph and its builder)


def _best(repeat, call):
    best, result = None, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        spent = time.perf_counter() - started
        best = spent if best is None else min(best, spent)
    return best, result


def _traced(call):
    tracemalloc.start()
    result = call()
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return size, result


def _to_networkx(model):
    import networkx
    graph = networkx.DiGraph()
    graph.add_nodes_from(range(len(model.names)))
    graph.add_edges_from((s, i) for i, inputs in enumerate(model.data_in) for s, _ in inputs)
    graph.add_edges_from((s, i) for i, inputs in enumerate(model.control_in) for s in inputs)
    return graph


def _ours_acyclic(model, keep):
    """Kahn's algorithm over the kept nodes, as core.freeze.graph_checks does it."""
    pending = dict((i, 0) for i in keep)
    readers = {}
    for i in keep:
        for s in [s for s, _ in model.data_in[i]] + model.control_in[i]:
            if s in pending:
                pending[i] += 1
                readers.setdefault(s, []).append(i)
    ready = [i for i, count in pending.items() if count == 0]
    done = 0
    while ready:
        i = ready.pop()
        done += 1
        for reader in readers.get(i, ()):
            pending[reader] -= 1
            if pending[reader] == 0:
                ready.append(reader)
    return done == len(keep)


def run(repeat):
    import networkx
    from core.analysis.graph_model import GraphModel
    from core.analysis.subgraph import neighbourhood
    from core.formats.graph_io import load_meta_graph
    graph_def = load_meta_graph(bench_analysis.META).graph_def
    ours_memory, model = _traced(lambda: GraphModel(graph_def))
    ours_build, _ = _best(repeat, lambda: GraphModel(graph_def))
    nx_memory, graph = _traced(lambda: _to_networkx(model))
    nx_build, _ = _best(repeat, lambda: _to_networkx(model))
    output = model.index("probs")
    center = model.index("block_50/dense_10/MatMul")
    rows = [("nodes, edges", "%d, %d" % (len(model), graph.number_of_edges())),
            ("build: GraphModel arrays / networkx DiGraph", "%.3f s / %.3f s (on top of the arrays)" % (
                ours_build, nx_build)),
            ("memory: arrays / DiGraph", "%.1f MB / %.1f MB" % (ours_memory / 1e6, nx_memory / 1e6))]
    ours_time, keep = _best(repeat, lambda: model.ancestor_indexes([output]))
    nx_time, theirs = _best(repeat, lambda: networkx.ancestors(graph, output) | {output})
    assert keep == theirs
    rows.append(("ancestors of 'probs' (%d nodes): ours / networkx" % len(keep),
                 "%.1f ms / %.1f ms" % (1000 * ours_time, 1000 * nx_time)))
    ours_time, picked = _best(repeat, lambda: neighbourhood(model, "block_50/dense_10/MatMul", hops=3,
                                                            max_nodes=10 ** 6, fanout=10 ** 6))
    nx_time, near = _best(repeat, lambda: set(networkx.single_source_shortest_path_length(graph, center, 3)) | set(
        networkx.single_source_shortest_path_length(graph.reverse(copy=False), center, 3)))
    assert set(model.index(n) for n in picked.nodes) == near
    rows.append(("3 hops up and down (%d nodes): ours (subgraph.neighbourhood) / networkx BFS" % len(near),
                 "%.2f ms / %.2f ms" % (1000 * ours_time, 1000 * nx_time)))
    ours_time, acyclic = _best(repeat, lambda: _ours_acyclic(model, keep))
    nx_time, nx_acyclic = _best(repeat, lambda: networkx.is_directed_acyclic_graph(graph.subgraph(keep)))
    assert acyclic == nx_acyclic
    rows.append(("kept part acyclic: ours / networkx", "%.1f ms / %.1f ms" % (1000 * ours_time, 1000 * nx_time)))
    rows.append(("networkx version", networkx.__version__))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tf-python", default=sys.executable, help="interpreter with TensorFlow (to build the graph)")
    args = parser.parse_args(argv)
    if not os.path.isfile(bench_analysis.META):
        bench_analysis.build(args.tf_python)
    rows = run(args.repeat)
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print("%s  %s" % (name.ljust(width), value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
