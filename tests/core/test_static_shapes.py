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


def _conv(kind, value, filters, data_format="NHWC", padding="SAME", strides=(1, 1, 1, 1)):
    def build(graph):
        placeholder(graph, "x", value)
        const(graph, "f", filters)
        op(graph, "y", kind, ["x", "f"], strides=list(strides), padding=padding, data_format=data_format)
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


class _T(int):
    """A type attr's value (DataType enum)."""


F, I, B = _T(1), _T(3), _T(10)


def _set_attrs(node, attrs):
    for key, value in attrs.items():
        if isinstance(value, _T):
            node.attr[key].type = int(value)
        elif isinstance(value, bool):
            node.attr[key].b = value
        elif isinstance(value, int):
            node.attr[key].i = value
        elif isinstance(value, float):
            node.attr[key].f = value
        elif isinstance(value, str):
            node.attr[key].s = value.encode("ascii")
        else:
            node.attr[key].list.i.extend(value)


def _record(node, recorded):
    for dims in recorded:
        shape = node.attr["_output_shapes"].list.shape.add()
        if dims is None:
            shape.unknown_rank = True
        for size in dims or ():
            shape.dim.add().size = size


def N(name, kind, inputs=(), recorded=None, **attrs):
    """A step: node ``name`` of op ``kind`` recording ``recorded`` (a shape per output; None: unknown rank)."""
    def step(graph):
        node = graph.node.add(name=name, op=kind, input=list(inputs))
        _set_attrs(node, attrs)
        if recorded is not None:
            _record(node, recorded)
    return step


def P(name, dims, dtype=F):
    """A step: a Placeholder of ``dims`` (None: unknown rank)."""
    def step(graph):
        node = graph.node.add(name=name, op="Placeholder")
        node.attr["dtype"].type = int(dtype)
        if dims is None:
            node.attr["shape"].shape.unknown_rank = True
        for size in dims or ():
            node.attr["shape"].shape.dim.add().size = size
    return step


def C(name, values, dims=None, dtype=I):
    """A step: a Const of ``values`` (a number: a scalar; dims default to a vector of them)."""
    def step(graph):
        node = graph.node.add(name=name, op="Const")
        node.attr["dtype"].type = int(dtype)
        tensor = node.attr["value"].tensor
        tensor.dtype = int(dtype)
        scalar = not isinstance(values, (list, tuple))
        flat = [values] if scalar else list(values)
        shape = [] if scalar else (dims if dims is not None else [len(flat)])
        for size in shape:
            tensor.tensor_shape.dim.add().size = size
        if dtype == F:
            tensor.float_val.extend(float(v) for v in flat)
        elif dtype == B:
            tensor.bool_val.extend(bool(v) for v in flat)
        else:
            tensor.int_val.extend(flat)
    return step


def G(*steps):
    def build(graph):
        for step in steps:
            step(graph)
    return build


def _op_case(name, steps, node, good, bad, port=0, outputs=1, port_type=None):
    """Two cases: ``node`` (after ``steps``), of ``outputs`` outputs, recording ``good`` for output ``port`` (the
    others unknown), then ``bad``; y is the node, or an Identity of that port (of dtype ``port_type``)."""
    def with_record(dims):
        kind, inputs, attrs = node
        recorded = [None] * max(outputs, port + 1)
        recorded[port] = dims
        last = N("n" if port else "y", kind, inputs, recorded, **attrs)
        tail = [N("y", "Identity", ["n:%d" % port], T=port_type or attrs.get("T", F))] if port else []
        return G(*(list(steps) + [last] + tail))
    return [(name, with_record(good), ()), (name + ", recorded otherwise", with_record(bad),
                                            ("(%s)" % node[0], "for output %d" % port))]


def _refused(name, steps, words=()):
    return (name, G(*steps), words)


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
    ("conv2d, 3 strides", _conv("Conv2D", [1, 8, 8, 3], [3, 3, 3, 2], strides=(1, 1, 1)),
     ("'y' (Conv2D)", "stride attr holds 3 value(s)")),
    ("conv2d, strides emptied, input unknown", _conv("Conv2D", [-1, -1, -1, 3], [3, 3, 3, 2], strides=()),
     ("stride attr holds 0 value(s)",)),
    ("depthwise, 2 strides", _conv("DepthwiseConv2dNative", [1, 8, 8, 3], [3, 3, 3, 1], strides=(1, 1)),
     ("(DepthwiseConv2dNative)", "stride attr")),
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

_FBN = dict(T=F, epsilon=0.001, data_format="NHWC", is_training=False)
_BN_INPUTS = [C("s", [1.0] * 8, dtype=F), C("o", [0.0] * 8, dtype=F), C("m", [0.0] * 8, dtype=F),
              C("v", [1.0] * 8, dtype=F)]
_POOL = dict(T=F, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID", data_format="NHWC")
_SLICE = dict(T=F, Index=I)
# each rule of core/freeze/shape_rules_*.py: its output recorded as TensorFlow's function gives it (imported),
# recorded otherwise (refused), and the inputs its function refuses
CASES += (
    _op_case("gather", [P("p", [5, 3]), P("i", [-1], I)], ("Gather", ["p", "i"], dict(Tparams=F, Tindices=I)),
             [-1, 3], [-1]) +
    _op_case("gather v2 on axis 1", [P("p", [5, 3, 4]), P("i", [2], I), C("a", 1)],
             ("GatherV2", ["p", "i", "a"], dict(Tparams=F, Tindices=I, Taxis=I)), [5, 2, 4], [5, 3, 4]) +
    _op_case("gather v2 on axis -1", [P("p", [5, 3, 4]), P("i", [2], I), C("a", -1)],
             ("GatherV2", ["p", "i", "a"], dict(Tparams=F, Tindices=I, Taxis=I)), [5, 3, 2], [5, 2, 4]) +
    _op_case("gather v2 on a fed axis", [P("p", [5, 3, 4]), P("i", [2], I), P("a", [], I)],
             ("GatherV2", ["p", "i", "a"], dict(Tparams=F, Tindices=I, Taxis=I)), [-1, -1, -1], [5, 2]) +
    _op_case("tensor array flow", [C("k", 3)], ("TensorArrayV3", ["k"], dict(dtype=F)), [], [1], port=1, outputs=2) +
    _op_case("tensor array size", [C("k", 3), N("t", "TensorArrayV3", ["k"], dtype=F)],
             ("TensorArraySizeV3", ["t", "t:1"], dict()), [], [3]) +
    [_refused("gather v2, axis outside the rank", [P("p", [5, 3]), P("i", [2], I), C("a", 2),
                                                  N("y", "GatherV2", ["p", "i", "a"], Tparams=F, Tindices=I, Taxis=I)],
              ("'y' (GatherV2)", "axis 2"))] +
    _op_case("dynamic stitch", [P("i0", [-1], I), P("i1", [-1], I), P("d0", [-1, 8]), P("d1", [-1, 8])],
             ("DynamicStitch", ["i0", "i1", "d0", "d1"], dict(N=2, T=F)), [-1, 8], []) +
    [_refused("dynamic stitch, data dims differ", [P("i0", [-1], I), P("i1", [-1], I), P("d0", [-1, 8]),
                                                   P("d1", [-1, 6]), N("y", "DynamicStitch", ["i0", "i1", "d0", "d1"],
                                                                       N=2, T=F)], ("'y' (DynamicStitch)",))] +
    _op_case("dynamic partition port 1", [P("d", [-1, 8]), P("q", [-1], I)],
             ("DynamicPartition", ["d", "q"], dict(num_partitions=2, T=F)), [-1, 8], [-1], port=1, outputs=2) +
    _op_case("range", [C("a", 0), C("b", 10), C("c", 3)], ("Range", ["a", "b", "c"], dict(Tidx=I)), [4], [5]) +
    _op_case("range to a fed limit", [C("a", 0), P("b", [], I), C("c", 3)], ("Range", ["a", "b", "c"], dict(Tidx=I)),
             [-1], []) +
    [_refused("range by 0", [C("a", 0), C("b", 10), C("c", 0), N("y", "Range", ["a", "b", "c"], Tidx=I)],
              ("'y' (Range)",))] +
    _op_case("shape", [P("x", [-1, 3])], ("Shape", ["x"], dict(T=F, out_type=I)), [2], []) +
    _op_case("size", [P("x", [-1, 3])], ("Size", ["x"], dict(T=F, out_type=I)), [], [1]) +
    _op_case("rank", [P("x", [-1, 3])], ("Rank", ["x"], dict(T=F)), [], [2]) +
    _op_case("fused batch norm port 2", [P("x", [-1, 4, 4, 8])] + _BN_INPUTS,
             ("FusedBatchNorm", ["x", "s", "o", "m", "v"], _FBN), [8], [], port=2, outputs=5) +
    _op_case("fused batch norm port 0", [P("x", [-1, 4, 4, -1])] + _BN_INPUTS,
             ("FusedBatchNorm", ["x", "s", "o", "m", "v"], _FBN), [-1, 4, 4, 8], [-1, 4, 4, 7], outputs=5) +
    [_refused("fused batch norm, scale of 7", [P("x", [-1, 4, 4, 8]), C("s", [1.0] * 7, dtype=F)] + _BN_INPUTS[1:] +
              [N("y", "FusedBatchNorm", ["x", "s", "o", "m", "v"], **_FBN)], ("'y' (FusedBatchNorm)", "8 channels"))] +
    _op_case("split port 2", [C("a", 1), P("x", [-1, 6])], ("Split", ["a", "x"], dict(T=F, num_split=3)),
             [-1, 2], [-1, 3], port=2, outputs=3) +
    _op_case("split on axis -1", [C("a", -1), P("x", [-1, 6])], ("Split", ["a", "x"], dict(T=F, num_split=3)),
             [-1, 2], [-1, 6], outputs=3) +
    [_refused("split, not evenly", [C("a", 1), P("x", [-1, 7]), N("y", "Split", ["a", "x"], T=F, num_split=3)],
              ("'y' (Split)", "into 3 parts"))] +
    _op_case("split v port 1", [P("x", [-1, 6]), C("s", [1, -1, 2]), C("a", 1)],
             ("SplitV", ["x", "s", "a"], dict(T=F, num_split=3, Tlen=I)), [-1, 3], [-1, 2], port=1, outputs=3) +
    [_refused("split v, sizes do not add up", [P("x", [-1, 6]), C("s", [1, 2, 2]), C("a", 1),
                                               N("y", "SplitV", ["x", "s", "a"], T=F, num_split=3, Tlen=I)],
              ("'y' (SplitV)",))] +
    _op_case("unpack", [P("x", [3, -1, 2])], ("Unpack", ["x"], dict(T=F, num=3, axis=0)), [-1, 2], [-1, 3], outputs=3) +
    [_refused("unpack into 4", [P("x", [3, -1, 2]), N("y", "Unpack", ["x"], T=F, num=4, axis=0)], ("'y' (Unpack)",))] +
    _op_case("pack", [P("a", [-1, 3]), P("b", [2, -1])], ("Pack", ["a", "b"], dict(T=F, N=2, axis=1)),
             [2, 2, 3], [-1, 3, 2]) +
    [_refused("pack, shapes differ", [P("a", [-1, 3]), P("b", [-1, 4]), N("y", "Pack", ["a", "b"], T=F, N=2)],
              ("'y' (Pack)",))] +
    _op_case("expand dims", [P("x", [-1, 3]), C("d", -1)], ("ExpandDims", ["x", "d"], dict(T=F, Tdim=I)),
             [-1, 3, 1], [-1, 1, 3]) +
    [_refused("expand dims at 3", [P("x", [-1, 3]), C("d", 3), N("y", "ExpandDims", ["x", "d"], T=F, Tdim=I)],
              ("'y' (ExpandDims)",))] +
    _op_case("squeeze", [P("x", [-1, 1, 3])], ("Squeeze", ["x"], dict(T=F, squeeze_dims=[1])), [-1, 3], [-1, 1, 3]) +
    _op_case("squeeze every 1", [P("x", [2, 1, 3])], ("Squeeze", ["x"], dict(T=F)), [2, 3], [2, 1, 3]) +
    [_refused("squeeze a 3", [P("x", [-1, 1, 3]), N("y", "Squeeze", ["x"], T=F, squeeze_dims=[2])],
              ("'y' (Squeeze)",))] +
    _op_case("transpose", [P("x", [2, -1, 5]), C("p", [2, 0, 1])], ("Transpose", ["x", "p"], dict(T=F, Tperm=I)),
             [5, 2, -1], [2, 5, -1]) +
    [_refused("transpose, perm too short", [P("x", [2, -1, 5]), C("p", [1, 0]),
                                            N("y", "Transpose", ["x", "p"], T=F, Tperm=I)], ("'y' (Transpose)",))] +
    _op_case("slice", [P("x", [4, 5]), C("b", [1, 0]), C("s", [2, -1])], ("Slice", ["x", "b", "s"], _SLICE),
             [2, -1], [3, -1]) +
    _op_case("slice to the end", [P("x", [4, 5]), C("b", [1, 2]), C("s", [2, -1])], ("Slice", ["x", "b", "s"], _SLICE),
             [2, 3], [2, 5]) +
    [_refused("slice, begin too long", [P("x", [4, 5]), C("b", [1, 0, 0]), C("s", [2, -1, 1]),
                                        N("y", "Slice", ["x", "b", "s"], **_SLICE)], ("'y' (Slice)",))] +
    _op_case("strided slice of a shape", [P("x", [-1, 3]), N("h", "Shape", ["x"], T=F, out_type=I), C("b", [0]),
                                          C("e", [1]), C("s", [1])],
             ("StridedSlice", ["h", "b", "e", "s"], dict(T=I, Index=I, shrink_axis_mask=1)), [], [1]) +
    _op_case("strided slice with steps", [P("x", [10, 6]), C("b", [2, 0]), C("e", [8, 0]), C("s", [3, -1])],
             ("StridedSlice", ["x", "b", "e", "s"], dict(T=F, Index=I, end_mask=2)), [2, 6], [3, 6]) +
    _op_case("tile", [P("x", [2, -1]), C("m", [3, 1])], ("Tile", ["x", "m"], dict(T=F, Tmultiples=I)),
             [6, -1], [2, -1]) +
    [_refused("tile, multiples too long", [P("x", [2, -1]), C("m", [3, 1, 1]),
                                           N("y", "Tile", ["x", "m"], T=F, Tmultiples=I)], ("'y' (Tile)",))] +
    _op_case("sum", [P("x", [2, 3, 4]), C("a", [1])], ("Sum", ["x", "a"], dict(T=F, Tidx=I)), [2, 4], [2, 3, 4]) +
    _op_case("mean keeping dims", [P("x", [2, 3, 4]), C("a", [-1, 0])],
             ("Mean", ["x", "a"], dict(T=F, Tidx=I, keep_dims=True)), [1, 3, 1], [2, 3, 1]) +
    _op_case("max of every dim", [P("x", [2, 3]), C("a", [0, 1])], ("Max", ["x", "a"], dict(T=F, Tidx=I)), [], [2]) +
    [_refused("sum on axis 3", [P("x", [2, 3, 4]), C("a", [3]), N("y", "Sum", ["x", "a"], T=F, Tidx=I)],
              ("'y' (Sum)", "reduction dimension 3"))] +
    _op_case("argmax", [P("x", [2, 5]), C("d", 1)], ("ArgMax", ["x", "d"], dict(T=F, Tidx=I)), [2], [5]) +
    [_refused("argmax on dim 2", [P("x", [2, 5]), C("d", 2), N("y", "ArgMax", ["x", "d"], T=F, Tidx=I)],
              ("'y' (ArgMax)",))] +
    _op_case("fill", [C("d", [2, 3]), C("v", 1, dtype=F)], ("Fill", ["d", "v"], dict(T=F)), [2, 3], [3, 2]) +
    [_refused("fill with a vector", [C("d", [2, 3]), C("v", [1.0], dtype=F), N("y", "Fill", ["d", "v"], T=F)],
              ("'y' (Fill)",))] +
    _op_case("pad", [P("x", [2, 3]), C("p", [1, 1, 0, 2], dims=[2, 2])], ("Pad", ["x", "p"], dict(T=F, Tpaddings=I)),
             [4, 5], [4, 3]) +
    [_refused("pad of rank 3", [P("x", [2, 3]), C("p", [1, 1, 0, 2, 0, 0], dims=[3, 2]),
                                N("y", "Pad", ["x", "p"], T=F, Tpaddings=I)], ("'y' (Pad)",))] +
    _op_case("max pool", [P("x", [1, 8, 8, 3])], ("MaxPool", ["x"], _POOL), [1, 4, 4, 3], [1, 8, 8, 3]) +
    [_refused("max pool, 3 ksize values",
              [P("x", [1, 8, 8, 3]), N("y", "MaxPool", ["x"], **dict(_POOL, ksize=[1, 2, 2]))],
              ("'y' (MaxPool)", "ksize attr holds 3")),
     _refused("avg pool, strides emptied",
              [P("x", [-1, -1, -1, 3]), N("y", "AvgPool", ["x"], **dict(_POOL, strides=[]))],
              ("'y' (AvgPool)", "stride attr holds 0"))] +
    _op_case("avg pool same", [P("x", [1, 7, 7, 3])], ("AvgPool", ["x"], dict(_POOL, padding="SAME")),
             [1, 4, 4, 3], [1, 3, 3, 3]) +
    _op_case("select", [P("c", [-1], B), P("t", [-1, 3]), P("e", [2, -1])], ("Select", ["c", "t", "e"], dict(T=F)),
             [2, 3], [-1, 4]) +
    [_refused("select, branches differ", [P("c", [-1], B), P("t", [2, 3]), P("e", [2, 4]),
                                          N("y", "Select", ["c", "t", "e"], T=F)], ("'y' (Select)",))] +
    _op_case("merge", [P("a", [-1, 3]), P("b", [2, 3])], ("Merge", ["a", "b"], dict(T=F, N=2)), [-1, 3], [-1, 4], outputs=2) +
    _op_case("merge port 1", [P("a", [-1, 3]), P("b", [2, 3])], ("Merge", ["a", "b"], dict(T=F, N=2)), [], [2],
             port=1, outputs=2, port_type=I) +
    _op_case("one hot", [P("i", [-1], I), C("d", 5), C("on", 1.0, dtype=F), C("off", 0.0, dtype=F)],
             ("OneHot", ["i", "d", "on", "off"], dict(T=F, TI=I, axis=-1)), [-1, 5], [-1, 4]) +
    _op_case("unique port 1", [P("x", [4], I)], ("Unique", ["x"], dict(T=I, out_idx=I)), [4], [5], port=1, outputs=2) +
    [_refused("unique of a matrix", [P("x", [2, 2], I), N("y", "Unique", ["x"], T=I, out_idx=I)], ("'y' (Unique)",))] +
    _op_case("where", [P("b", [-1, 3], B)], ("Where", ["b"], dict()), [-1, 2], [-1, 3]) +
    _op_case("random uniform", [C("s", [2, 3])], ("RandomUniform", ["s"], dict(T=I, dtype=F)), [2, 3], [3, 2]) +
    [_refused("equal, shapes do not broadcast", [P("a", [-1, 3]), C("b", [1.0] * 4, dtype=F),
                                                 N("y", "Equal", ["a", "b"], T=F)], ("'y' (Equal)",))] +
    [_refused("loop cond of a vector", [P("p", [2], B), N("y", "LoopCond", ["p"])], ("'y' (LoopCond)",))] +
    _op_case("reshape to a computed shape", [P("x", [-1, 3]), N("h", "Shape", ["x"], T=F, out_type=I)],
             ("Reshape", ["x", "h"], dict(T=F, Tshape=I)), [-1, 3], []) +
    # a node without a rule here takes its recorded shapes (port 0 and beyond): its consumers' functions read them
    _op_case("recorded shape of an op without a rule", [P("x", None), C("a", 0),
                                                        N("c", "Cumsum", ["x", "a"], [[-1, 3]], T=F, Tidx=I),
                                                        C("w", [0.5] * 12, dims=[3, 4], dtype=F)],
             ("MatMul", ["c", "w"], dict(T=F)), [-1, 4], [-1, 5]) +
    [_refused("recorded port 1 of an op without a rule into a matmul",
              [P("x", None), C("k", 2), N("t", "TopKV2", ["x", "k"], [None, [-1, 2]], T=F),
               N("f", "Cast", ["t:1"], SrcT=I, DstT=F), C("w", [0.5] * 12, dims=[3, 4], dtype=F),
               N("y", "MatMul", ["f", "w"], T=F)], ("'y' (MatMul)", "2 and 3"))] +
    # TF 1.x's importer shapes nodes in the GraphDef's order: an input defined later has no shape yet (TF 2.x's
    # goes in topological order)
    [_refused("matmul before its inputs, recorded otherwise",
              [N("y", "MatMul", ["x", "w"], [[-1, 5]], T=F), P("x", [-1, 3]),
               C("w", [0.5] * 12, dims=[3, 4], dtype=F)], ("'y' (MatMul)",))]
)



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
