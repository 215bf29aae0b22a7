"""Benchmark: our freeze against TensorFlow's convert_variables_to_constants, in the same run.

Builds (once, cached in bench/.cache/) a wide model — 4 dense layers of 4096 with Adam slots,
about an 800 MB checkpoint — and a deep one of more than 20k nodes, then freezes each with
both tools in fresh subprocesses and prints wall time and peak RSS with their ratios.

Usage: python bench/bench_freeze.py [--models wide,deep] [--tf-python PYTHON] [--repeat N]
The models are built and frozen by TensorFlow under --tf-python (default: this interpreter),
e.g. the TF 1.4.0 stack's Python 3.6; our freezer runs under --python (default: this one).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.path.join(HERE, ".cache")

BUILD = r'''
import os, sys, json
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np
import tensorflow as tf
tf1 = tf.compat.v1 if hasattr(tf, "compat") and hasattr(tf.compat, "v1") else tf
if hasattr(tf1, "disable_eager_execution"):
    tf1.disable_eager_execution()
    tf1.disable_resource_variables()
kind, folder = sys.argv[1], sys.argv[2]
width, depth = (4096, 4) if kind == "wide" else (8, 450)
with tf1.Graph().as_default():
    x = tf1.placeholder(tf1.float32, [None, width], name="input")
    labels = tf1.placeholder(tf1.int64, [None], name="labels")
    h = x
    for i in range(depth):
        with tf1.variable_scope("dense_%d" % i):
            w = tf1.get_variable("kernel", [width, width], initializer=tf1.random_normal_initializer(stddev=0.01))
            b = tf1.get_variable("bias", [width], initializer=tf1.zeros_initializer())
            h = tf1.nn.bias_add(tf1.matmul(h, w), b)
            if i < depth - 1:
                h = tf1.nn.relu(h)
    out = tf1.identity(h, name="output")
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=out))
    train = tf1.train.AdamOptimizer(1e-3).minimize(loss)
    saver = tf1.train.Saver()
    with tf1.Session() as s:
        s.run(tf1.global_variables_initializer())
        s.run(train, {x: np.random.rand(4, width).astype("float32"), labels: np.arange(4) % min(width, 8)})
        saver.save(s, os.path.join(folder, "model.ckpt"))
    nodes = len(tf1.get_default_graph().as_graph_def().node)
json.dump({"nodes": nodes, "outputs": ["output"], "width": width}, open(os.path.join(folder, "info.json"), "w"))
'''

OURS = r'''
import os, sys, time, json, resource
sys.path.insert(0, sys.argv[1])
from core.formats.model import open_model
from core.freeze.stage import plan_and_write
started = time.time()
with open_model(sys.argv[2]) as model:
    report = plan_and_write(model, sys.argv[3].split(","), sys.argv[4])
seconds = time.time() - started
print(json.dumps({"seconds": seconds, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "nodes": report.nodes_after, "bytes": report.bytes_written}))
'''

THEIRS = r'''
import os, sys, time, json, resource
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import tensorflow as tf
tf1 = tf.compat.v1 if hasattr(tf, "compat") and hasattr(tf.compat, "v1") else tf
if hasattr(tf1, "disable_eager_execution"):
    tf1.disable_eager_execution()
graph_util = tf1.graph_util
rss_after_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
folder, outputs, destination = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
started = time.time()
with tf1.Graph().as_default() as graph:
    saver = tf1.train.import_meta_graph(os.path.join(folder, "model.ckpt.meta"), clear_devices=True)
    with tf1.Session(graph=graph) as session:
        saver.restore(session, os.path.join(folder, "model.ckpt"))
        frozen = graph_util.convert_variables_to_constants(session, graph.as_graph_def(), outputs)
        with open(destination, "wb") as handle:
            handle.write(frozen.SerializeToString())
seconds = time.time() - started
print(json.dumps({"seconds": seconds, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "rss_import_kb": rss_after_import, "nodes": len(frozen.node),
                  "bytes": os.path.getsize(destination), "tf": tf.__version__}))
'''


def _run_json(argv):
    started = time.time()
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    if result.returncode != 0:
        sys.stderr.write(result.stderr.decode("utf-8", "replace")[-3000:])
        raise SystemExit("failed: %s" % " ".join(argv[:3]))
    info = json.loads(result.stdout.decode().strip().splitlines()[-1])
    info["process_seconds"] = time.time() - started
    return info


def build(kind, tf_python):
    tag = subprocess.check_output([tf_python, "-c", "import tensorflow as tf; print(tf.__version__)"],
                                  stderr=subprocess.DEVNULL).decode().strip()
    folder = os.path.join(CACHE, "%s-tf%s" % (kind, tag))
    if os.path.isfile(os.path.join(folder, "info.json")):
        return folder
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    print("building the %s model with %s ..." % (kind, tf_python))
    subprocess.check_call([tf_python, "-c", BUILD, kind, folder])
    return folder


def _size(folder):
    return sum(os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder) if ".data-" in n)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="wide,deep")
    parser.add_argument("--tf-python", default=sys.executable)
    parser.add_argument("--python", default=sys.executable, help="interpreter for our freezer")
    parser.add_argument("--repeat", type=int, default=2, help="runs per tool; the best is reported")
    args = parser.parse_args()
    out = os.path.join(CACHE, "out")
    if not os.path.isdir(out):
        os.makedirs(out)
    rows = []
    for kind in args.models.split(","):
        folder = build(kind, args.tf_python)
        with open(os.path.join(folder, "info.json")) as handle:
            info = json.load(handle)
        outputs = ",".join(info["outputs"])
        data = [os.path.join(folder, n) for n in os.listdir(folder) if ".data-" in n][0]
        started = time.time()
        shutil.copyfile(data, os.path.join(out, "copy.tmp"))
        copy_seconds = time.time() - started
        os.remove(os.path.join(out, "copy.tmp"))
        ours = min((_run_json([args.python, "-c", OURS, ROOT, folder, outputs, os.path.join(out, kind + "-ours.pb")])
                    for _ in range(args.repeat)), key=lambda r: r["seconds"])
        theirs = min((_run_json([args.tf_python, "-c", THEIRS, folder, outputs, os.path.join(out, kind + "-tf.pb")])
                      for _ in range(args.repeat)), key=lambda r: r["seconds"])
        rows.append((kind, info, _size(folder), copy_seconds, ours, theirs))
    print()
    print("%-5s %7s %9s %8s | %-24s | %-30s | %s" % ("model", "nodes", "ckpt MB", "copy s", "ours: s / peak MB / out MB",
                                                 "TensorFlow: s / peak MB (import)", "speed-up, memory ratio"))
    for kind, info, size, copy_seconds, ours, theirs in rows:
        print("%-5s %7d %9.0f %8.2f | %5.2f / %6.0f / %6.1f    | %5.2f / %6.0f (%4.0f) TF %-6s | %5.1fx faster, %.2fx memory"
              % (kind, info["nodes"], size / 1e6, copy_seconds, ours["seconds"], ours["rss_kb"] / 1024.0,
                 ours["bytes"] / 1e6, theirs["seconds"], theirs["rss_kb"] / 1024.0,
                 theirs["rss_import_kb"] / 1024.0, theirs["tf"], theirs["seconds"] / ours["seconds"],
                 float(ours["rss_kb"]) / theirs["rss_kb"]))
        print("      whole process incl. imports: ours %.2f s, TensorFlow %.2f s; frozen nodes ours %d, TF %d"
              % (ours["process_seconds"], theirs["process_seconds"], ours["nodes"], theirs["nodes"]))


if __name__ == "__main__":
    main()
