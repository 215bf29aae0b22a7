"""OpenCV DNN: cv2.dnn.readNetFromTensorflow on the cleaned .pb; 4-D NHWC tensors go in and out as NCHW."""

import os
import shutil

import numpy as np

from core.deploy.child.runtimes import describe

# Ops OpenCV's importer merges into the layer before them (so the layer carries their result).
_MERGED = frozenset(["BiasAdd", "Add", "AddV2", "Identity"])


def convert(job):
    import cv2
    path = os.path.join(job["directory"], job["base"] + ".opencv.pb")
    shutil.copyfile(job["graph"], path)
    cv2.dnn.readNetFromTensorflow(path)
    return [path]


def fetch_names(graph_def, outputs, layers):
    """The layer OpenCV names for each output: the output itself, or the layer a BiasAdd was merged into."""
    nodes = dict((n.name, n) for n in graph_def.node)
    names = []
    for output in outputs:
        name = output
        for _ in range(4):
            node = nodes.get(name)
            if name in layers or node is None or node.op not in _MERGED or not node.input:
                break
            name = node.input[0].split(":")[0]
        names.append(name if name in layers else output)
    return names


def _nchw(value, layout):
    return np.transpose(value, (0, 3, 1, 2)) if value.ndim == 4 and layout == "NHWC" else value


def _nhwc(value, layout):
    return np.transpose(value, (0, 2, 3, 1)) if value.ndim == 4 and layout == "NHWC" else value


_LAYER_LIMIT = 300


def short_error(exc):
    """OpenCV's message without its source path: "(-215:Assertion failed) ... in function 'getMemoryShapes'"."""
    text = " ".join(str(exc).split())
    return text.split(" error: ", 1)[-1]


def failing_layer(net, exc):
    """One line naming the first layer (in OpenCV's order) whose forward fails, its type and the TF node it
    came from (OpenCV names a layer after its node, adding "/nhwc" etc. for the layers it inserts)."""
    for name in list(net.getLayerNames())[:_LAYER_LIMIT]:
        try:
            net.forward(name)
        except Exception as failed:  # cv2.error: this layer is the first that cannot run
            layer = net.getLayer(name)
            node = name.rsplit("/", 1)[0] if name.endswith(("/nhwc", "/nchw", "/flatten", "/realReshape")) else name
            inserted = " (a layer OpenCV inserted for node %s)" % node if node != name else ""
            return "OpenCV's %s layer %s%s fails: %s" % (layer.type, name, inserted, short_error(failed))
    return short_error(exc)


def run(paths, feeds, job):
    import cv2
    from core.formats.graph_io import load_graph_def
    net = cv2.dnn.readNetFromTensorflow(paths[0])
    layout = job.get("layout") or "NHWC"
    inputs = []
    for name, value in feeds:
        blob = _nchw(np.asarray(value, dtype=np.float32), layout)
        net.setInput(blob, name)
        inputs.append(describe(name, "float32", [-1] + list(blob.shape[1:])))
    layers = set(net.getLayerNames())
    fetch = fetch_names(load_graph_def(paths[0]).graph_def, job["outputs"], layers)
    try:
        raw = [np.asarray(v) for v in net.forward(fetch)]
    except cv2.error as exc:
        raise RuntimeError(failing_layer(net, exc))
    outputs = [describe(name, "float32", [-1] + list(v.shape[1:])) for name, v in zip(fetch, raw)]
    return inputs, outputs, [_nhwc(v, layout) for v in raw]
