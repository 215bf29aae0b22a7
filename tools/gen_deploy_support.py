"""Regenerates resources/deploy_support/support.json.gz: which TensorFlow ops (and dtypes) each deploy
target's converter takes, asked of the converters themselves.

Usage (in the deploy Python, requirements-deploy.txt installed):
    python tools/gen_deploy_support.py [--only tflite,onnx,openvino,opencv] [--limit N]

- onnx: tf2onnx's own handler table at the default opset (the ops it has a converter for).
- tflite, openvino, opencv: each op of the TF 1.x releases (resources/op_registry) that TensorFlow here
  still registers is built as a one-node graph per dtype its type attr allows (float32, float64, float16,
  int32, int64, uint8, bool, string) and given to the converter: an op is unsupported for a dtype when the
  converter says it has no conversion for it ("neither a custom op nor a flex op", "No translator found",
  "Unknown layer type") or rejects the dtype; any other failure (a probe's made-up shapes) counts as
  supported, the conversion itself then decides.
"""

import argparse
import gzip
import json
import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
OUT = os.path.join(ROOT, "resources", "deploy_support", "support.json.gz")
PROBE_TYPES = ["float32", "float64", "float16", "int32", "int64", "uint8", "bool", "string"]
_SKIP_ATTR_TYPES = ("func", "list(func)", "tensor", "list(tensor)")


def tf1_ops():
    """Ops some TF 1.x release registers (our registry), sorted."""
    from core.formats.op_registry import load_registry
    registry = load_registry()
    ones = [r.index for r in registry.releases if r.label.startswith("1.")]
    return [op for op in registry.op_names() if any(registry.history(op).present[i] for i in ones)]


def _attr_value(tf, attr, dtype):
    """A value for a required attr of a probe node (None: the op cannot be probed)."""
    kind = attr.type
    value = tf.compat.v1.AttrValue()
    if attr.HasField("default_value"):
        value.CopyFrom(attr.default_value)
    if kind == "type":
        allowed = list(attr.allowed_values.list.type) if attr.HasField("allowed_values") else []
        if not allowed or dtype.as_datatype_enum in allowed:
            value.type = dtype.as_datatype_enum
        elif not attr.HasField("default_value"):
            value.type = allowed[0]
    elif attr.HasField("default_value"):
        return value
    elif kind == "int":
        value.i = max(1, attr.minimum) if attr.has_minimum else 1
    elif kind == "list(int)":
        value.list.i.extend([1, 1, 1, 1])
    elif kind == "float":
        value.f = 1.0
    elif kind == "bool":
        value.b = False
    elif kind == "string":
        allowed = list(attr.allowed_values.list.s) if attr.HasField("allowed_values") else []
        value.s = allowed[0] if allowed else b"x"
    elif kind == "shape":
        value.shape.dim.add().size = 1
    elif kind == "list(type)":
        value.list.type.append(dtype.as_datatype_enum)
    elif kind == "list(shape)":
        value.list.shape.add().dim.add().size = 1
    else:
        return None
    return value


SHAPES = ([1, 4, 4, 4], [4, 4], [4])


def _probe_input(tf, graph, name, enum, dtype, constant, rank_shape):
    """A Placeholder (or, for ``constant``, a zero Const) of ``enum`` named ``name``; returns the name."""
    feed = graph.node.add()
    feed.name = name
    shape = list(rank_shape) if enum == dtype.as_datatype_enum else []
    if constant:
        import numpy as np
        feed.op = "Const"
        feed.attr["dtype"].type = enum
        value = np.full(shape, b"a", dtype=object) if enum == 7 else np.zeros(
            shape, dtype=tf.as_dtype(enum).as_numpy_dtype)
        feed.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value))
        return name
    feed.op = "Placeholder"
    feed.attr["dtype"].type = enum
    for size in shape:
        feed.attr["shape"].shape.dim.add().size = size
    return name


def probe_graph(tf, op_def, dtype, const_inputs=False, rank_shape=SHAPES[0]):
    """A GraphDef of placeholders feeding one ``op_def`` node with its type attrs at ``dtype`` (or None).

    With ``const_inputs``, inputs of that dtype after the first are Consts (OpenCV checks dtypes on its
    constant blobs only)."""
    graph = tf.compat.v1.GraphDef()
    node = graph.node.add()
    node.name, node.op = "probe", op_def.name
    for attr in op_def.attr:
        if attr.type in _SKIP_ATTR_TYPES and not attr.HasField("default_value"):
            return None
        value = _attr_value(tf, attr, dtype)
        if value is None:
            return None
        node.attr[attr.name].CopyFrom(value)
    first_type = next((a.name for a in op_def.attr if a.type == "type"), None)
    if first_type is None or node.attr[first_type].type != dtype.as_datatype_enum:
        if dtype != tf.float32:
            return None  # the op has no dtype to vary
    inputs = []
    for arg in op_def.input_arg:
        if arg.is_ref:
            return None
        count = node.attr[arg.number_attr].i if arg.number_attr else 1
        types = list(node.attr[arg.type_list_attr].list.type) if arg.type_list_attr else None
        for k in range(len(types) if types is not None else count):
            enum = types[k] if types is not None else (arg.type or node.attr[arg.type_attr].type)
            if enum in (20, 21):  # resource, variant
                return None
            constant = const_inputs and enum == dtype.as_datatype_enum and any(
                n.op == "Placeholder" for n in graph.node)
            inputs.append(_probe_input(tf, graph, "in_%s_%d" % (arg.name, k), enum, dtype, constant, rank_shape))
    node.input.extend(inputs)
    return graph, inputs, len(op_def.output_arg)


_NO_OP = {
    "tflite": re.compile(r"neither a custom op nor a flex op|op is not supported|failed to legalize operation 'tf\.|"
                         r"Some ops are not supported|is not supported by the native"),
    "openvino": re.compile(r"[Nn]o translator found|not supported|Cannot create|OpConversionFailure|"
                           r"is not converted"),
    "opencv": re.compile(r"Can't create layer|Unknown layer type|not supported|Unsupported|unsupported data type"),
}


def _convert_tflite(tf, path, inputs, outputs):
    converter = tf.compat.v1.lite.TFLiteConverter.from_frozen_graph(path, inputs, outputs)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    converter.convert()


def _convert_openvino(tf, path, inputs, outputs):
    import openvino
    openvino.convert_model(path, input=[i + ":0" for i in inputs], output=[o + ":0" for o in outputs])


def _convert_opencv(tf, path, inputs, outputs):
    """OpenCV's importer logs and skips what it cannot parse: only building the layers and a forward
    pass tell (inputs fed as float32 blobs, as OpenCV takes them)."""
    import cv2
    import numpy as np
    net = cv2.dnn.readNetFromTensorflow(path)
    for name in inputs:
        net.setInput(np.random.rand(1, 4, 4, 4).astype(np.float32), name)
    net.forward(outputs[0].split(":")[0])


CONVERT = {"tflite": _convert_tflite, "openvino": _convert_openvino, "opencv": _convert_opencv}


def probe(target, tf, op_def, dtype, folder):
    """True (converted, or failed on every probe shape for another reason), False (the converter has no such
    op or dtype), None (no probe graph for it). Inputs of rank 4, then 2, then 1 are tried."""
    for shape in SHAPES:
        verdict = _probe_once(target, tf, op_def, dtype, folder, shape)
        if verdict is not True:
            return verdict
        if verdict is True and _LAST["converted"]:
            return True
    return True


_LAST = {"converted": False}


def _probe_once(target, tf, op_def, dtype, folder, shape):
    _LAST["converted"] = False
    built = probe_graph(tf, op_def, dtype, const_inputs=target == "opencv", rank_shape=shape)
    if built is None:
        return None
    graph, _, count = built
    inputs = [n.name for n in graph.node if n.op == "Placeholder"]
    path = os.path.join(folder, "probe.pb")
    with open(path, "wb") as handle:
        handle.write(graph.SerializeToString())
    outputs = ["probe:%d" % k if k else "probe" for k in range(max(1, count))][:1]
    try:
        CONVERT[target](tf, path, inputs, outputs)
        _LAST["converted"] = True
        return True
    except Exception as exc:  # noqa: BLE001 - every converter raises its own kinds
        text = " ".join(str(exc).split())
        if target == "opencv" and "Unknown layer type" in text and op_def.name not in text:
            return True  # an input's problem, not the op's
        return not _NO_OP[target].search(text)


def onnx_ops():
    """tf2onnx's handler table at its default opset: op -> [] (any dtype)."""
    import tf2onnx
    from tf2onnx import constants, tfonnx  # noqa: F401  (registers the handlers)
    from tf2onnx.handler import tf_op
    opset = 17
    names = set()
    for domain, per_opset in tf_op.get_opsets().items():
        if domain not in ("", constants.ONNX_DOMAIN):
            continue
        for version, table in enumerate(per_opset):
            if version <= opset:
                names.update(table)
    return {"converter": "tf2onnx %s, opset %d" % (tf2onnx.__version__, opset),
            "ops": dict((name, [None, ["*"]]) for name in sorted(names))}


def _type_attr(op_def):
    return next((a.name for a in op_def.attr if a.type == "type"), None)


def probe_target(target, tf, ops, limit=None):
    """op -> [the type attr the dtypes refer to, dtypes the converter takes] for the ops it takes at all
    (OpenVINO, slow to ask, is asked at float32 only: its dtypes are "*").

    The probes run in a worker process that appends one line per op to a file; a converter that crashes
    on an op (the TFLite converter segfaults on a few) takes the worker down, and that op counts as
    unsupported: a new worker goes on after it."""
    import subprocess
    ops = ops[:limit]
    lines_path = os.path.join(tempfile.mkdtemp(prefix="gen-deploy-support-"), "probes.jsonl")
    done = {}
    while len(done) < len(ops):
        start = len(done)
        subprocess.call([sys.executable, os.path.abspath(__file__), "--worker", target, "--start", str(start),
                         "--lines", lines_path] + (["--limit", str(limit)] if limit else []))
        with open(lines_path) as handle:
            done = dict((json.loads(line)["op"], json.loads(line)["entry"]) for line in handle if line.strip())
        if len(done) == start:  # the worker died on ops[start]
            with open(lines_path, "a") as handle:
                handle.write(json.dumps({"op": ops[start], "entry": None}) + "\n")
            done[ops[start]] = None
            sys.stderr.write("%s: the converter crashed on %s\n" % (target, ops[start]))
    return dict((op, entry) for op, entry in done.items() if entry is not None)


def probe_worker(target, tf, ops, start, lines_path):
    """Probes ops[start:], appending {"op", "entry"} per op to ``lines_path`` (entry None: not taken)."""
    from tensorflow.python.framework import op_def_registry
    folder = tempfile.mkdtemp(prefix="gen-deploy-probe-")
    for position in range(start, len(ops)):
        name = ops[position]
        op_def = op_def_registry.get(name)
        if op_def is None or op_def.is_stateful:  # queues, variables, summaries: never in a deployed graph
            with open(lines_path, "a") as handle:
                handle.write(json.dumps({"op": name, "entry": None}) + "\n")
            continue
        taken = []
        any_probe = False
        for type_name in (PROBE_TYPES if target != "openvino" else ["float32"]):
            verdict = probe(target, tf, op_def, tf.as_dtype(type_name), folder)
            if verdict is None:
                continue
            any_probe = True
            if verdict:
                taken.append(type_name)
        if target == "openvino" and taken:
            taken = ["*"]
        entry = [_type_attr(op_def), taken if any_probe else ["*"]] if taken or not any_probe else None
        with open(lines_path, "a") as handle:
            handle.write(json.dumps({"op": name, "entry": entry}) + "\n")
        if position % 50 == 0:
            sys.stderr.write("%s: %d/%d ops\n" % (target, position, len(ops)))


def _versions(tf):
    import cv2
    import openvino
    return {"tflite": "TensorFlow %s" % tf.__version__, "openvino": "OpenVINO %s" % openvino.__version__.split("-")[0],
            "opencv": "OpenCV %s" % cv2.__version__}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="tflite,onnx,openvino,opencv")
    parser.add_argument("--limit", type=int, default=None, help="probe only the first N ops (a quick look)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--lines", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    import tensorflow as tf
    tf.get_logger().setLevel("ERROR")
    ops = tf1_ops()[:args.limit]
    if args.worker:
        probe_worker(args.worker, tf, ops, args.start, args.lines)
        return 0
    versions = _versions(tf)
    found = {}
    for target in args.only.split(","):
        if target == "onnx":
            found["onnx"] = onnx_ops()
        else:
            found[target] = {"converter": versions[target], "ops": probe_target(target, tf, ops, args.limit)}
    data = {"targets": {}}
    if os.path.isfile(OUT):  # read only now: another target's run may have written it meanwhile
        with gzip.open(OUT, "rt") as handle:
            data = json.load(handle)
    data["targets"].update(found)
    data["probed_ops"] = len(ops)
    with gzip.open(OUT + ".tmp", "wt") as handle:
        json.dump(data, handle, sort_keys=True, separators=(",", ":"))
    os.replace(OUT + ".tmp", OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
