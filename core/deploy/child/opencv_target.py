"""OpenCV DNN: cv2.dnn.readNetFromTensorflow on the cleaned .pb; 4-D NHWC tensors go in and out as NCHW."""

import os
import re
import shutil
import tempfile

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


# OpenCV logs the layer whose shape inference throws: "OPENCV/DNN: [Permute]:(x/nhwc): getMemoryShapes() throws
# exception", then "input[0] = [ 2 16 ]" (modules/dnn/src/net_impl.cpp, getLayerShapesRecursively).
_LAYER_LOG = re.compile(r"OPENCV/DNN: \[(\w+)\]:\((.+?)\): (\w+)\(\) throws")
_INPUT_LOG = re.compile(r"input\[0\] = \[ ([0-9 ]+) \]")
_INSERTED = ("/nhwc", "/nchw", "/flatten", "/realReshape")


def short_error(exc):
    """OpenCV's message without its source path: "(-215:Assertion failed) ... in function 'getMemoryShapes'"."""
    text = " ".join(str(exc).split())
    return text.split(" error: ", 1)[-1]


def failing_layer(log_text, exc):
    """One line naming the layer OpenCV's log says failed, its type, the TF node it came from (OpenCV names
    the layers it inserts NODE/nhwc ...) and its input's shape; OpenCV's message alone when it logs none."""
    found = _LAYER_LOG.search(log_text)
    if found is None:
        return short_error(exc)
    kind, name, step = found.groups()
    node = name.rsplit("/", 1)[0] if name.endswith(_INSERTED) else name
    inserted = " (a layer OpenCV inserted for node %s)" % node if node != name else ""
    shape = _INPUT_LOG.search(log_text[found.end():])
    given = " on an input of shape [%s]" % ", ".join(shape.group(1).split()) if shape else ""
    return "OpenCV's %s layer %s%s fails in %s%s: %s" % (kind, name, inserted, step, given, short_error(exc))


def _forward(net, fetch):
    """net.forward(fetch), OpenCV's own log (its C++ stderr) read back when it fails."""
    import cv2
    with tempfile.TemporaryFile(mode="w+") as log:
        saved = os.dup(2)
        os.dup2(log.fileno(), 2)
        try:
            return [np.asarray(v) for v in net.forward(fetch)]
        except cv2.error as exc:
            os.dup2(saved, 2)
            log.seek(0)
            raise RuntimeError(failing_layer(log.read(), exc))
        finally:
            os.dup2(saved, 2)
            os.close(saved)


# Ops whose TensorFlow output drops the reduced axis, which OpenCV's layer keeps (as size 1).
_AXIS_DROPPED = frozenset(["ArgMax", "ArgMin"])


def reduced_axis(graph_def, output):
    """The axis an ArgMax/ArgMin output drops (its ``dimension`` input, a Const scalar), else None."""
    from core.deploy.tensor_values import const_value
    nodes = dict((n.name, n) for n in graph_def.node)
    node = nodes.get(output.split(":")[0])
    if node is None or node.op not in _AXIS_DROPPED or len(node.input) < 2:
        return None
    dimension = nodes.get(node.input[1].split(":")[0].lstrip("^"))
    value = const_value(dimension) if dimension is not None and dimension.op == "Const" else None
    if value is None or np.asarray(value).size != 1:
        return None
    return int(np.asarray(value).reshape(()))


def _tf_shaped(value, axis):
    """OpenCV's ArgMax/ArgMin result without the reduced axis it keeps ([2, 1] -> [2], as TensorFlow)."""
    if axis is None or value.ndim < 2:
        return value
    axis = axis + value.ndim if axis < 0 else axis
    return np.squeeze(value, axis) if axis < value.ndim and value.shape[axis] == 1 else value


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
    graph_def = load_graph_def(paths[0]).graph_def
    fetch = fetch_names(graph_def, job["outputs"], layers)
    raw = _forward(net, fetch)
    values = [_tf_shaped(_nhwc(v, layout), reduced_axis(graph_def, o)) for v, o in zip(raw, job["outputs"])]
    outputs = [describe(name, "float32", [-1] + list(v.shape[1:])) for name, v in zip(fetch, values)]
    return inputs, outputs, values
