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


SHAPES = ([1, 4, 4, 4], [4, 4], [4], [])  # scalars last: Range, Fill-like ops take only those


def _probe_input(tf, graph, name, enum, shape, constant, value=None):
    """A Placeholder of ``enum`` and ``shape`` named ``name`` (a Const: zeros, or ``value``, with
    ``constant``); returns the name."""
    import numpy as np
    feed = graph.node.add()
    feed.name = name
    feed.attr["dtype"].type = enum
    if constant:
        feed.op = "Const"
        if value is None:
            value = np.full(shape, b"a", dtype=object) if enum == 7 else np.zeros(
                shape, dtype=tf.as_dtype(enum).as_numpy_dtype)
        feed.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value, dtype=tf.as_dtype(enum)))
        return name
    feed.op = "Placeholder"
    for size in shape:
        feed.attr["shape"].shape.dim.add().size = size
    return name


# How a probe fills an input that the varied type attr does not type (an axis, begin, perm, shape): a
# Const, as deployed graphs hold them, a scalar 0, then one entry per dimension (0, 1, 2, ...; then 1s).
INDEX_FORMS = ("scalar", "range", "ones")


def _index_value(form, rank):
    import numpy as np
    if form == "scalar":
        return np.array(0)
    return np.arange(rank) if form == "range" else np.ones(rank, dtype=np.int64)


def probe_graph(tf, op_def, dtype, const_inputs=False, rank_shape=SHAPES[0], index_form="scalar"):
    """A GraphDef feeding one ``op_def`` node with its first type attr at ``dtype`` (or None).

    The inputs that attr types are Placeholders of ``rank_shape`` (with ``const_inputs``, those after
    the first are Consts: OpenCV checks dtypes on its constant blobs only); every other input (an axis,
    begin, perm, a shape) is a Const of ``index_form``, whatever its dtype."""
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
            varied = types is not None or arg is op_def.input_arg[0] or (
                first_type is not None and arg.type_attr == first_type)
            name = "in_%s_%d" % (arg.name, k)
            if varied:
                constant = const_inputs and any(n.op == "Placeholder" for n in graph.node)
                inputs.append(_probe_input(tf, graph, name, enum, list(rank_shape), constant))
            else:
                inputs.append(_probe_input(tf, graph, name, enum, [], True,
                                           _index_value(index_form, len(rank_shape))))
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


def plausible_form(target, tf, op_def, folder):
    """The first (shape, index form) at which the converter takes the op at float32 (None: none does).

    A probe's made-up inputs can be wrong for the op (a non-constant axis, an impossible perm): only a
    probe that converts at float32 says that another dtype's failure is the dtype's."""
    for shape in SHAPES:
        for form in INDEX_FORMS:
            if probe_once(target, tf, op_def, tf.float32, folder, shape, form) == "converted":
                return shape, form
    return None


def probe(target, tf, op_def, dtype, folder, form=None):
    """True (taken), False (the converter has no such op or dtype), None (no probe graph for it).

    With ``form`` (from plausible_form), the dtype is probed there: refused only when the converter's
    error says it has no conversion for it. Without one (float32 never converts), every form is tried:
    taken when one converts or none fails for want of a conversion."""
    if form is not None:
        verdict = probe_once(target, tf, op_def, dtype, folder, *form)
        return None if verdict is None else verdict != "no-op"
    seen = []
    for shape in SHAPES:
        for index_form in INDEX_FORMS:
            verdict = probe_once(target, tf, op_def, dtype, folder, shape, index_form)
            if verdict == "converted":
                return True
            seen.append(verdict)
    if all(v is None for v in seen):
        return None
    return "no-op" not in seen


def probe_once(target, tf, op_def, dtype, folder, shape, form):
    """"converted", "no-op" (the converter names no conversion for it), "other" (another failure) or None."""
    built = probe_graph(tf, op_def, dtype, const_inputs=target == "opencv", rank_shape=shape, index_form=form)
    if built is None:
        return None
    graph, _, count = built
    inputs = [n.name for n in graph.node if n.op == "Placeholder"]
    if not inputs:
        return None  # all constants: a converter would fold it, proving nothing
    path = os.path.join(folder, "probe.pb")
    with open(path, "wb") as handle:
        handle.write(graph.SerializeToString())
    outputs = ["probe:%d" % k if k else "probe" for k in range(max(1, count))][:1]
    try:
        CONVERT[target](tf, path, inputs, outputs)
        return "converted"
    except Exception as exc:  # noqa: BLE001 - every converter raises its own kinds
        text = " ".join(str(exc).split())
        if target == "opencv" and "Unknown layer type" in text and op_def.name not in text:
            return "other"  # an input's problem, not the op's
        return "no-op" if _NO_OP[target].search(text) else "other"


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
    names.update(rewritten_ops(tf2onnx))
    return {"converter": "tf2onnx %s, opset %d" % (tf2onnx.__version__, opset),
            "ops": dict((name, [None, ["*"]]) for name in sorted(names))}


def rewritten_ops(tf2onnx):
    """The TF 1.x ops tf2onnx's rewriters turn into ONNX before its handlers run (while loops' Enter/Exit/
    Merge/Switch/NextIteration/LoopCond, TensorArrays, conds): the op names quoted in tf2onnx/rewriter's
    sources and in the control-flow helpers it uses. They have no handler, yet tf2onnx converts them."""
    package = os.path.dirname(tf2onnx.__file__)
    folder = os.path.join(package, "rewriter")
    paths = [os.path.join(folder, n) for n in sorted(os.listdir(folder)) if n.endswith(".py")]
    known = set(tf1_ops())
    found = set()
    for path in paths + [os.path.join(package, "utils.py")]:  # utils: the TensorArray ops loops use
        if os.path.isfile(path):
            with open(path) as handle:
                found.update(re.findall(r"[\"']([A-Z][A-Za-z0-9]+)[\"']", handle.read()))
    return found & known


def _type_attr(op_def):
    return next((a.name for a in op_def.attr if a.type == "type"), None)


def probe_target(target, tf, ops, limit=None, known=None):
    """op -> [the type attr the dtypes refer to, dtypes the converter takes] for the ops it takes at all
    (OpenVINO, slow to ask, is asked at float32 only: its dtypes are "*").

    The probes run in a worker process that appends one line per op to a file; a converter that crashes
    on an op (the TFLite converter segfaults on a few) takes the worker down, and that op counts as
    unsupported: a new worker goes on after it."""
    import subprocess
    ops = ops[:limit]
    lines_path = os.path.join(tempfile.mkdtemp(prefix="gen-deploy-support-"), "probes.jsonl")
    with open(lines_path + ".ops", "w") as handle:  # the workers' list: the table may change meanwhile
        json.dump({"ops": ops, "known": known}, handle)
    done = {}
    while len(done) < len(ops):
        start = len(done)
        subprocess.call([sys.executable, os.path.abspath(__file__), "--worker", target, "--start", str(start),
                         "--lines", lines_path] + (["--limit", str(limit)] if limit else []))
        with open(lines_path) as handle:
            lines = [json.loads(line) for line in handle if line.strip()]
        done = dict((line["op"], line["entry"]) for line in lines if "entry" in line)
        partial = dict((line["op"], line["partial"]) for line in lines if "partial" in line)
        if len(done) == start:  # the worker died on ops[start]: the dtypes it took before the crash stay
            entry = partial.get(ops[start])
            with open(lines_path, "a") as handle:
                handle.write(json.dumps({"op": ops[start], "entry": entry}) + "\n")
            done[ops[start]] = entry
            sys.stderr.write("%s: the converter crashed on %s\n" % (target, ops[start]))
    return dict((op, entry) for op, entry in done.items() if entry is not None)


def probe_worker(target, tf, ops, start, lines_path, known=None):
    """Probes ops[start:], appending {"op", "entry"} per op to ``lines_path`` (entry None: not taken).

    ``known`` (op -> entry, a --recheck): only the dtypes an op's entry lacks are probed again."""
    from tensorflow.python.framework import op_def_registry
    folder = tempfile.mkdtemp(prefix="gen-deploy-probe-")
    for position in range(start, len(ops)):
        name = ops[position]
        op_def = op_def_registry.get(name)
        if op_def is None or op_def.is_stateful:  # queues, variables, summaries: never in a deployed graph
            with open(lines_path, "a") as handle:
                handle.write(json.dumps({"op": name, "entry": None}) + "\n")
            continue
        def partial(entry, name=name):
            with open(lines_path, "a") as handle:
                handle.write(json.dumps({"op": name, "partial": entry}) + "\n")
        entry = _probe_op(target, tf, op_def, folder, (known or {}).get(name), partial)
        with open(lines_path, "a") as handle:
            handle.write(json.dumps({"op": name, "entry": entry}) + "\n")
        if position % 50 == 0:
            sys.stderr.write("%s: %d/%d ops\n" % (target, position, len(ops)))


def _probe_op(target, tf, op_def, folder, known=None, partial=None):
    """[type attr, dtypes taken] for one op (None: not taken at any dtype); ``partial`` is called with
    the entry so far after each dtype taken (a converter may crash on the next one)."""
    form = plausible_form(target, tf, op_def, folder)
    types = PROBE_TYPES if target != "openvino" else ["float32"]
    taken = list(known[1]) if known else []
    any_probe = bool(known)
    for type_name in types:
        if type_name in taken:
            continue
        verdict = True if (form is not None and type_name == "float32") else probe(
            target, tf, op_def, tf.as_dtype(type_name), folder, form)
        if verdict is None:
            continue
        any_probe = True
        if verdict:
            taken.append(type_name)
            if partial is not None:
                partial([_type_attr(op_def), [t for t in PROBE_TYPES if t in taken]])
    taken = [t for t in PROBE_TYPES if t in taken]
    if target == "openvino" and taken:
        taken = ["*"]
    return [_type_attr(op_def), taken if any_probe else ["*"]] if taken or not any_probe else None


def finished_lines(path, known):
    """op -> entry of the ops of ``known`` an interrupted run's probes file finished and took."""
    with open(path) as handle:
        lines = [json.loads(line) for line in handle if line.strip()]
    done = dict((line["op"], line["entry"]) for line in lines if "entry" in line and line["op"] in known)
    sys.stderr.write("merging %d finished ops (%d taken) of %d\n" % (
        len(done), sum(1 for e in done.values() if e is not None), len(known)))
    return dict((op, entry) for op, entry in done.items() if entry is not None)


def _load():
    with gzip.open(OUT, "rt") as handle:
        return json.load(handle)


def _partial_entries(target, missing_only=False):
    """op -> entry for a --recheck: the ops ``target``'s table takes at some dtypes but not all (not
    with ``missing_only``), and (entry None) the ops it lacks that another target's converter takes."""
    targets = _load()["targets"]
    ops = targets[target]["ops"]
    found = {} if missing_only else dict((op, entry) for op, entry in ops.items()
                                         if "*" not in entry[1] and len(entry[1]) < len(PROBE_TYPES))
    for other, table in targets.items():
        found.update((op, None) for op in table["ops"] if other != target and op not in ops)
    return found


def _versions(tf):
    import cv2
    import openvino
    return {"tflite": "TensorFlow %s" % tf.__version__, "openvino": "OpenVINO %s" % openvino.__version__.split("-")[0],
            "opencv": "OpenCV %s" % cv2.__version__}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="tflite,onnx,openvino,opencv", help="targets to probe in full ('' none)")
    parser.add_argument("--limit", type=int, default=None, help="probe only the first N ops (a quick look)")
    parser.add_argument("--recheck", default="", help="TARGETS: probe again only the dtypes their table refuses "
                        "for ops it takes at some dtype (after a change to the probes)")
    parser.add_argument("--missing-only", action="store_true", help="with --recheck: only the ops a target's "
                        "table lacks that another target takes")
    parser.add_argument("--from", dest="start_op", default="", metavar="OP",
                        help="with --recheck: only the ops from OP on (in name order: an interrupted recheck)")
    parser.add_argument("--ops", default="", metavar="A,B",
                        help="with --recheck: only these ops (those a graph needs first)")
    parser.add_argument("--merge-lines", metavar="FILE", help="with --recheck TARGET: keep the ops an interrupted "
                        "run finished (its probes.jsonl, named in its temporary folder) instead of probing")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--lines", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    import tensorflow as tf
    tf.get_logger().setLevel("ERROR")
    ops = tf1_ops()[:args.limit]
    if args.worker:
        listed = {"ops": ops, "known": None}
        if os.path.isfile(args.lines + ".ops"):
            with open(args.lines + ".ops") as handle:
                listed = json.load(handle)
        elif args.recheck:  # a parent from before the list file
            listed["known"] = _partial_entries(args.worker)
            listed["ops"] = sorted(listed["known"])
        probe_worker(args.worker, tf, listed["ops"], args.start, args.lines, listed["known"])
        return 0
    versions = _versions(tf)
    found = {}
    for target in [t for t in args.only.split(",") if t]:
        if target == "onnx":
            found["onnx"] = onnx_ops()
        else:
            found[target] = {"converter": versions[target], "ops": probe_target(target, tf, ops, args.limit)}
    for target in (args.recheck.split(",") if args.recheck else []):
        table = _load()["targets"][target]
        known = dict((op, e) for op, e in _partial_entries(target, args.missing_only).items() if op >= args.start_op
                     and (not args.ops or op in args.ops.split(",")))
        if args.merge_lines:
            table["ops"].update(finished_lines(args.merge_lines, known))
        else:
            table["ops"].update(probe_target(target, tf, sorted(known), None, known))
        table["converter"] = versions[target]
        found[target] = table
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
