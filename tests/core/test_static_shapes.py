"""The import check's shape functions (core/freeze/static_shapes.py) refuse exactly what the installed
TensorFlow's importer refuses: each graph below is frozen for the installed release and imported by that
TensorFlow (TF 1.4.0 on the legacy stack, 2.x on the current one) in a child process, and the two verdicts
must agree, refusals and imports alike (a grouped Conv2D is refused by 1.4 and imported by 2.x)."""

import os
import subprocess
import sys

import pytest

from core import api
from tests.tf_runtime import installed_version, tensorflow, tf1

tensorflow()

_ORACLE = r"""
import io, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf
tf1 = tf.compat.v1 if hasattr(tf, "compat") and hasattr(tf.compat, "v1") else tf
for line in io.open(sys.argv[1], encoding="utf-8").read().splitlines():
    name, path = line.split("\t")
    graph_def = tf1.GraphDef()
    with open(path, "rb") as handle:
        graph_def.ParseFromString(handle.read())
    try:
        with tf1.Graph().as_default():
            tf1.import_graph_def(graph_def, name="")
        print("IMPORTED " + name)
    except Exception as exc:
        print("REFUSED " + name)
    sys.stdout.flush()
"""


def const(graph, name, dims, dtype=1):
    node = graph.node.add(name=name, op="Const")
    node.attr["dtype"].type = dtype
    tensor = node.attr["value"].tensor
    tensor.dtype = dtype
    for size in dims:
        tensor.tensor_shape.dim.add().size = size
    if dtype == 1:
        tensor.float_val.append(0.5)
    elif dtype == 10:
        tensor.bool_val.append(True)
    else:
        tensor.int_val.append(1)
    return node


def int_const(graph, name, values, scalar=False):
    node = graph.node.add(name=name, op="Const")
    node.attr["dtype"].type = 3
    tensor = node.attr["value"].tensor
    tensor.dtype = 3
    if not scalar:
        tensor.tensor_shape.dim.add().size = len(values)
    tensor.int_val.extend(values)
    return node


def placeholder(graph, name, dims):
    node = graph.node.add(name=name, op="Placeholder")
    node.attr["dtype"].type = 1
    for size in dims:
        node.attr["shape"].shape.dim.add().size = size
    return node


def op(graph, name, kind, inputs, **attrs):
    node = graph.node.add(name=name, op=kind, input=inputs)
    node.attr["T"].type = 1
    for key, value in attrs.items():
        if isinstance(value, bool):
            node.attr[key].b = value
        elif isinstance(value, str):
            node.attr[key].s = value.encode("ascii")
        elif isinstance(value, list):
            node.attr[key].list.i.extend(value)
    return node


def _matmul(a, b, **attrs):
    def build(graph):
        placeholder(graph, "a", a)
        const(graph, "b", b)
        op(graph, "y", "MatMul", ["a", "b"], **attrs)
    return build


def _batch_matmul(a, b, **attrs):
    def build(graph):
        const(graph, "a", a)
        const(graph, "b", b)
        op(graph, "y", "BatchMatMul", ["a", "b"], **attrs)
    return build


def _through_activations(b):
    """The shapes pass through Relu and Identity (and a frozen-variable-like Const) to the MatMul."""
    def build(graph):
        placeholder(graph, "x", [-1, 3])
        op(graph, "r", "Relu", ["x"])
        op(graph, "i", "Identity", ["r"])
        const(graph, "w", b)
        op(graph, "y", "MatMul", ["i", "w"])
    return build


def _bias_add(value, bias, data_format=None):
    def build(graph):
        placeholder(graph, "x", value)
        const(graph, "b", bias)
        attrs = {"data_format": data_format} if data_format else {}
        op(graph, "y", "BiasAdd", ["x", "b"], **attrs)
    return build


def _conv(kind, value, filters, data_format="NHWC", padding="SAME"):
    def build(graph):
        placeholder(graph, "x", value)
        const(graph, "f", filters)
        op(graph, "y", kind, ["x", "f"], strides=[1, 1, 1, 1], padding=padding, data_format=data_format)
    return build


def _binary(kind, a, b):
    def build(graph):
        placeholder(graph, "a", a)
        const(graph, "b", b)
        op(graph, "y", kind, ["a", "b"])
    return build


def _reshape(value, target):
    def build(graph):
        const(graph, "x", value)
        int_const(graph, "s", target)
        op(graph, "y", "Reshape", ["x", "s"]).attr["Tshape"].type = 3
    return build


def _concat(shapes, axis):
    def build(graph):
        names = []
        for number, dims in enumerate(shapes):
            names.append("v%d" % number)
            placeholder(graph, names[-1], dims)
        int_const(graph, "axis", [axis], scalar=True)
        node = op(graph, "y", "ConcatV2", names + ["axis"])
        node.attr["N"].i = len(names)
        node.attr["Tidx"].type = 3
    return build


def _conv_after_matmul():
    """A chain of checked ops: Reshape of a MatMul's output into a Conv2D that needs 4 channels."""
    def build(graph):
        placeholder(graph, "x", [2, 6])
        const(graph, "w", [6, 24])
        op(graph, "m", "MatMul", ["x", "w"])
        int_const(graph, "s", [2, 4, 2, 3])
        op(graph, "r", "Reshape", ["m", "s"]).attr["Tshape"].type = 3
        const(graph, "f", [1, 1, 4, 2])
        op(graph, "y", "Conv2D", ["r", "f"], strides=[1, 1, 1, 1], padding="VALID", data_format="NHWC")
    return build


def _recorded(build, dims, port=0, output="y"):
    """``build`` with `_output_shapes` recorded on ``output`` (dims for ``port``, unknown before it)."""
    def run(graph):
        build(graph)
        node = [n for n in graph.node if n.name == output][0]
        for number in range(port + 1):
            shape = node.attr["_output_shapes"].list.shape.add()
            if number < port:
                shape.unknown_rank = True
            else:
                for size in dims:
                    shape.dim.add().size = size
    return run


def _switch(graph):
    placeholder(graph, "x", [-1, 3])
    const(graph, "w", [3, 4])
    const(graph, "p", [], dtype=10)
    op(graph, "y", "Switch", ["w", "p"])
    op(graph, "m", "MatMul", ["x", "y:1"])


def _recorded_reshape_into_add(dims):
    """A Reshape to a fed shape (no shape function can know it) recording ``dims``, added to a [3] Const."""
    def build(graph):
        placeholder(graph, "x", [-1])
        target = graph.node.add(name="s", op="Placeholder")
        target.attr["dtype"].type = 3
        target.attr["shape"].shape.dim.add().size = 2
        reshape = op(graph, "r", "Reshape", ["x", "s"])
        reshape.attr["Tshape"].type = 3
        shape = reshape.attr["_output_shapes"].list.shape.add()
        for size in dims:
            shape.dim.add().size = size
        const(graph, "b", [3])
        op(graph, "y", "Add", ["r", "b"])
    return build


def _produced_by(version, build):
    """``build`` in a GraphDef whose `versions.producer` is ``version`` (Placeholder's function reads it)."""
    def run(graph):
        graph.versions.producer = version
        build(graph)
    return run


# (name, builder, words of our refusal when we refuse)
CASES = [
    ("matmul", _matmul([-1, 3], [3, 4]), ()),
    ("matmul transpose_b flipped", _matmul([-1, 3], [3, 4], transpose_b=True), ("'y' (MatMul)", "3 and 4")),
    ("matmul transpose_a", _matmul([3, -1], [3, 4], transpose_a=True), ()),
    ("matmul transpose_a flipped", _matmul([2, 3], [3, 4], transpose_a=True), ("inner dimensions 2 and 3",)),
    ("matmul of rank 3", _matmul([2, 2, 3], [3, 4]), ("rank 2",)),
    ("matmul unknown inner dim", _matmul([2, -1], [3, 4], transpose_b=True), ()),
    ("batch matmul", _batch_matmul([2, 3, 4], [2, 4, 5]), ()),
    ("batch matmul adj_y flipped", _batch_matmul([2, 3, 4], [2, 4, 5], adj_y=True), ("adj_y=true", "4 and 5")),
    ("batch matmul adj_x", _batch_matmul([2, 4, 3], [2, 4, 5], adj_x=True), ()),
    ("through activations", _through_activations([3, 2]), ()),
    ("through activations, wrong", _through_activations([2, 3]), ("'y' (MatMul)", "3 and 2")),
    ("bias add", _bias_add([-1, 4], [4]), ()),
    ("bias add, bias too long", _bias_add([-1, 4], [5]), ("'y' (BiasAdd)", "4 channels", "5 values")),
    ("bias add NCHW", _bias_add([1, 5, 2, 3], [5], "NCHW"), ()),
    ("bias add NCHW, last dim", _bias_add([1, 5, 2, 3], [3], "NCHW"), ("NCHW",)),
    ("bias add NHWC, last dim", _bias_add([1, 5, 2, 3], [3], "NHWC"), ()),
    ("conv2d", _conv("Conv2D", [1, 8, 8, 3], [3, 3, 3, 2]), ()),
    ("conv2d, filter depth differs", _conv("Conv2D", [1, 8, 8, 3], [3, 3, 4, 2]), ("'y' (Conv2D)", "3 channels")),
    ("conv2d, grouped", _conv("Conv2D", [1, 8, 8, 6], [3, 3, 3, 2]), ("6 channels",)),
    ("conv2d NCHW", _conv("Conv2D", [1, 3, 8, 8], [3, 3, 3, 2], "NCHW"), ()),
    ("conv2d NCHW, channels last", _conv("Conv2D", [1, 8, 8, 3], [3, 3, 3, 2], "NCHW"), ("8 channels",)),
    ("depthwise", _conv("DepthwiseConv2dNative", [1, 8, 8, 3], [3, 3, 3, 2]), ()),
    ("depthwise, filter depth differs", _conv("DepthwiseConv2dNative", [1, 8, 8, 3], [3, 3, 4, 1]),
     ("DepthwiseConv2dNative", "3 channels")),
    ("add broadcast", _binary("Add", [-1, 3], [3]), ()),
    ("add broadcast of 1", _binary("Add", [2, 1], [5]), ()),
    ("add, dims differ", _binary("Add", [-1, 3], [4]), ("'y' (Add)", "3 against 4")),
    ("mul, dims differ", _binary("Mul", [2, 3], [2, 1, 4]), ("(Mul)",)),
    ("maximum, unknown dim", _binary("Maximum", [-1, -1], [4]), ()),
    ("reshape", _reshape([2, 3], [3, 2]), ()),
    ("reshape, count differs", _reshape([2, 3], [4]), ("'y' (Reshape)", "6 elements", "4 elements")),
    ("reshape -1", _reshape([2, 3], [3, -1]), ()),
    ("reshape -1, not a multiple", _reshape([2, 3], [4, -1]), ("not a multiple of 4",)),
    ("concat", _concat([[2, 3], [2, 4]], 1), ()),
    ("concat, other dim differs", _concat([[2, 3], [2, 4]], 0), ("'y' (ConcatV2)", "dimension 1")),
    ("concat, ranks differ", _concat([[2, 3], [2, 3, 1]], 1), ("different ranks",)),
    ("concat, negative axis", _concat([[2, 3], [5, 3]], -2), ()),
    ("a chain of checked ops", _conv_after_matmul(), ("'y' (Conv2D)", "3 channels")),
    # TensorFlow's importer merges a node's recorded `_output_shapes` with the shape it infers
    ("matmul recording its shape", _recorded(_matmul([-1, 3], [3, 4]), [-1, 4]), ()),
    ("matmul recording another shape", _recorded(_matmul([-1, 3], [3, 4]), [-1, 5]),
     ("'y' (MatMul)", "records [?,5] for output 0, its shape function gives it [?,4]")),
    ("reshape recording another rank", _recorded(_reshape([2, 3], [3, 2]), [6]), ("records [6]",)),
    # the importer takes a recorded shape as the tensor's (TF 1.4's Tensor.set_shape) before its consumers' functions
    ("recorded shape fits its consumer", _recorded_reshape_into_add([-1, 3]), ()),
    ("recorded shape its consumer refuses", _recorded_reshape_into_add([-1, 2]), ("'y' (Add)", "[?,2] and [3]")),
    ("switch recording its shapes", _recorded(_switch, [3, 4], port=1), ()),
    ("switch recording another shape on port 1", _recorded(_switch, [3, 7], port=1),
     ("'y' (Switch)", "for output 1")),
    # a scalar Placeholder shape is unknown in a GraphDef of version <= 21, a scalar after it
    ("scalar placeholder, version 21", _produced_by(21, _matmul([], [3, 4])), ()),
    ("scalar placeholder, version 24", _produced_by(24, _matmul([], [3, 4])), ("'y' (MatMul)", "rank 2")),
    ("scalar placeholder recording [?,3], version 24", _produced_by(24, _recorded(_matmul([], [3, 4]), [-1, 3],
                                                                                  output="a")),
     ("'a' (Placeholder)", "records [?,3]", "gives it []")),
    ("scalar placeholder recording [?,3], version 21", _produced_by(21, _recorded(_matmul([], [3, 4]), [-1, 3],
                                                                                  output="a")), ()),
]


def _write(root, name, build):
    folder = os.path.join(root, name.replace(" ", "_").replace(",", ""))
    os.makedirs(folder)
    graph = tf1().GraphDef()
    build(graph)
    path = os.path.join(folder, "g.pb")
    with open(path, "wb") as handle:
        handle.write(graph.SerializeToString())
    return path


@pytest.fixture(scope="module")
def tensorflow_imports(tmp_path_factory):
    """case name -> True when the installed TensorFlow imports the graph (one child process for all)."""
    root = str(tmp_path_factory.mktemp("shapes"))
    listing = os.path.join(root, "cases.txt")
    with open(listing, "wb") as handle:
        handle.write("\n".join("%s\t%s" % (name, _write(root, name, build)) for name, build, _ in CASES)
                     .encode("utf-8"))
    result = subprocess.run([sys.executable, "-c", _ORACLE, listing], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=600)
    verdicts = dict(reversed(line.split(" ", 1)) for line in result.stdout.decode().splitlines())
    assert len(verdicts) == len(CASES), result.stderr.decode()[-2000:]
    return dict((name, verdict == "IMPORTED") for name, verdict in verdicts.items())


@pytest.mark.parametrize("name,build,words", CASES, ids=[c[0] for c in CASES])
def test_shape_refusals_are_tensorflows(tmp_path, name, build, words, tensorflow_imports):
    path = _write(str(tmp_path), name, build)
    destination = str(tmp_path / "frozen.pb")
    refusal = None
    try:
        with api.open_model(path) as loaded:
            api.freeze(loaded, api.FreezeRequest(["y"], destination=destination, target_tf=installed_version()))
    except api.ModelError as exc:
        refusal = str(exc)
    imported = tensorflow_imports[name]
    if imported:
        assert refusal is None, "TensorFlow %s imports it, the freeze refused: %s" % (installed_version(), refusal)
        assert os.path.isfile(destination)
    else:
        assert refusal is not None, "TensorFlow %s refuses it, the freeze wrote it" % installed_version()
        assert "\n" not in refusal and all(w in refusal for w in words), refusal
        assert not os.path.exists(destination)


def test_cases_cover_refusals_and_imports(tensorflow_imports):
    """The table shows both sides on every stack (it is no use if TensorFlow imports, or refuses, all)."""
    assert 10 < sum(tensorflow_imports.values()) < len(CASES) - 10
