"""Benchmark: loading + analysing a 100k-node training meta graph, search latency, and TensorFlow's import of it.

Builds (once, cached in bench/.cache/analysis/) a deep training graph with TensorFlow: 2,000
dense layers in 100 scoped blocks, Adam (two slots per variable), histogram summaries and a
Saver, just over 100k nodes. Then, in this process and before TensorFlow is imported, times our
load (core.formats.graph_io.load_meta_graph) + core.analysis.insight.analyze, the search queries, details and
summary; and last, in a fresh subprocess, TensorFlow's tf.compat.v1.train.import_meta_graph of
the same file. Prints a short table.

Usage: python bench/bench_analysis.py [--repeat N] [--tf-python PYTHON] [--rebuild]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.path.join(HERE, ".cache", "analysis")
META = os.path.join(CACHE, "model.ckpt.meta")
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

BUILD = r'''
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import tensorflow as tf
tf1 = tf.compat.v1 if hasattr(tf, "compat") and hasattr(tf.compat, "v1") else tf
if hasattr(tf1, "disable_eager_execution"):
    tf1.disable_eager_execution()
    tf1.disable_resource_variables()
blocks, per_block, width = 100, 20, 8
path = sys.argv[1]
with tf1.Graph().as_default() as graph:
    x = tf1.placeholder(tf1.float32, [None, width], name="input")
    labels = tf1.placeholder(tf1.int64, [None], name="labels")
    h = x
    for b in range(blocks):
        with tf1.variable_scope("block_%d" % b):
            for i in range(per_block):
                with tf1.variable_scope("dense_%d" % i):
                    w = tf1.get_variable("kernel", [width, width],
                                         initializer=tf1.random_normal_initializer(stddev=0.3))
                    bias = tf1.get_variable("bias", [width], initializer=tf1.zeros_initializer())
                    h = tf1.nn.relu(tf1.nn.bias_add(tf1.matmul(h, w), bias))
            tf1.summary.histogram("activations", h)
    logits = tf1.nn.bias_add(tf1.matmul(h, tf1.get_variable("out_w", [width, 10])),
                             tf1.get_variable("out_b", [10]), name="logits")
    probs = tf1.nn.softmax(logits, name="probs")
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    tf1.summary.scalar("loss", loss)
    tf1.train.AdamOptimizer(1e-3).minimize(loss, global_step=tf1.train.get_or_create_global_step())
    saver = tf1.train.Saver()
    saver.export_meta_graph(path)
    print(len(graph.as_graph_def().node))
'''

IMPORT = r'''
import os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
started = time.time()
import tensorflow as tf
imported = time.time()
tf1 = tf.compat.v1 if hasattr(tf, "compat") and hasattr(tf.compat, "v1") else tf
if hasattr(tf1, "disable_eager_execution"):
    tf1.disable_eager_execution()
best = None
for _ in range(int(sys.argv[2])):
    with tf1.Graph().as_default():
        t = time.time()
        tf1.train.import_meta_graph(sys.argv[1])
        spent = time.time() - t
    best = spent if best is None else min(best, spent)
print("%.4f %.4f" % (imported - started, best))
'''

QUERIES = ["dense_7", "block_42 kernel", "op:Relu", "op:Apply*", "*/bias/Adam_1", "/block_1[0-9]/dense_3/MatMul$/",
           "gradients op:MatMul", "probs", "zzz-nothing"]


def build(tf_python):
    if not os.path.isdir(CACHE):
        os.makedirs(CACHE)
    started = time.time()
    out = subprocess.check_output([tf_python, "-c", BUILD, META], env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    sys.stderr.write("built %s nodes in %.0fs\n" % (out.decode().strip().splitlines()[-1], time.time() - started))


def ours(repeat):
    """Times load + analyze (best of ``repeat``) and the rest; returns a dict of numbers."""
    from core.analysis.insight import analyze
    from core.formats.graph_io import load_meta_graph
    best = None
    for _ in range(repeat):
        started = time.time()
        loaded = load_meta_graph(META)
        load_time = time.time() - started
        analysis = analyze(loaded.graph_def, loaded.meta_graph)
        total = time.time() - started
        if best is None or total < best[0]:
            best = (total, load_time)
    search = {}
    for query in QUERIES:
        times = []
        for _ in range(5):
            started = time.time()
            hits = analysis.search(query)
            times.append(time.time() - started)
        search[query] = (statistics.median(times), max(times), len(hits))
    started = time.time()
    tree = analysis.scope_tree
    tree_time = time.time() - started
    started = time.time()
    details = [analysis.details(c.name) for c in analysis.candidates[:10]]
    details_time = time.time() - started
    started = time.time()
    summary = analysis.summary(outputs=[analysis.candidates[0].name])
    summary_time = time.time() - started
    return {"nodes": len(loaded.graph_def.node), "total": best[0], "load": best[1], "search": search,
            "tree": tree_time, "top": analysis.candidates[0].name, "details": details_time / max(len(details), 1),
            "summary": summary_time, "frozen_estimate": summary.frozen_estimate, "roots": len(tree.children(""))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tf-python", default=sys.executable, help="interpreter with TensorFlow")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    if args.rebuild or not os.path.isfile(META):
        build(args.tf_python)
    result = ours(args.repeat)
    out = subprocess.check_output([args.tf_python, "-c", IMPORT, META, str(args.repeat)],
                                  env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    tf_import, tf_meta = [float(v) for v in out.decode().strip().splitlines()[-1].split()]
    rows = [
        ("nodes", "%d" % result["nodes"]),
        ("load + analyze (ours, best of %d)" % args.repeat, "%.3f s  (load %.3f s)" % (result["total"], result["load"])),
        ("  top candidate", result["top"]),
        ("scope tree (lazy, first use)", "%.3f s (%d top-level scopes)" % (result["tree"], result["roots"])),
        ("node details, per node", "%.2f ms" % (1000 * result["details"])),
        ("summary with frozen estimate", "%.3f s (%d bytes)" % (result["summary"], result["frozen_estimate"] or 0)),
        ("TF import_meta_graph (best of %d)" % args.repeat, "%.3f s" % tf_meta),
        ("  + `import tensorflow` itself", "%.3f s" % tf_import),
        ("ratio TF import / ours", "%.1fx (%.1fx with import tensorflow)" % (
            tf_meta / result["total"], (tf_meta + tf_import) / result["total"])),
    ]
    medians = []
    for query, (median, worst, hits) in result["search"].items():
        rows.append(("search %r" % query, "median %.1f ms, max %.1f ms, %d hits" % (1000 * median, 1000 * worst, hits)))
        medians.append(worst)
    rows.append(("search, worst of all queries", "%.1f ms" % (1000 * max(medians))))
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print("%s  %s" % (name.ljust(width), value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
