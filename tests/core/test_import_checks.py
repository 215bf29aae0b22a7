"""A frozen graph the target TensorFlow would refuse is never written: each broken graph below is refused
by the freeze with the node and the rule, and refused by the installed TensorFlow itself (the oracle:
TF 1.4.0 on the legacy stack), which imports and runs it in a child process."""

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
import numpy as np
import tensorflow as tf
tf1 = tf.compat.v1 if hasattr(tf, "compat") and hasattr(tf.compat, "v1") else tf
for line in io.open(sys.argv[1], encoding="utf-8").read().splitlines():
    path, output = line.split("\t")
    graph_def = tf1.GraphDef()
    with open(path, "rb") as handle:
        graph_def.ParseFromString(handle.read())
    try:
        with tf1.Graph().as_default() as graph:
            tf1.import_graph_def(graph_def, name="")
            feeds = dict((op.outputs[0], np.zeros([2, 2], op.outputs[0].dtype.as_numpy_dtype))
                         for op in graph.get_operations() if op.type == "Placeholder")
            tensor = graph.get_tensor_by_name(output + ":0")
            with tf1.Session(graph=graph) as session:
                value = np.asarray(session.run(tensor, feeds))
        ok = value.dtype == tensor.dtype.as_numpy_dtype
        print(("RAN " if ok else "MISTYPED ") + os.path.basename(os.path.dirname(path)))
    except Exception as exc:
        print("REFUSED " + os.path.basename(os.path.dirname(path)))
    sys.stdout.flush()
"""


def _write_case(folder, case):
    graph = tf1().GraphDef()
    output, words = case(graph)
    os.makedirs(folder)
    path = os.path.join(folder, "broken.pb")
    with open(path, "wb") as handle:
        handle.write(graph.SerializeToString())
    return path, output, words


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    """case name -> "RAN", "MISTYPED" (ran, but gave another dtype than the graph declares) or "REFUSED":
    the installed TensorFlow importing and running each broken graph, all in one child process (a graph
    that crashes it is refused)."""
    root = str(tmp_path_factory.mktemp("broken"))
    pending = []
    for case in CASES:
        path, output, _ = _write_case(os.path.join(root, case.__name__), case)
        pending.append((case.__name__, "%s\t%s" % (path, output)))
    verdicts = {}
    listing = os.path.join(root, "cases.txt")
    while pending:
        with open(listing, "wb") as handle:
            handle.write("\n".join(line for _, line in pending).encode("utf-8"))
        result = subprocess.run([sys.executable, "-c", _ORACLE, listing], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=600)
        verdicts.update(reversed(line.split(" ", 1)) for line in result.stdout.decode().splitlines())
        pending = [item for item in pending if item[0] not in verdicts]
        if pending:  # the child died on this graph: TensorFlow did not run it
            verdicts[pending.pop(0)[0]] = "REFUSED"
    return verdicts


def _placeholder(graph, name, dtype):
    node = graph.node.add(name=name, op="Placeholder")
    node.attr["dtype"].type = dtype
    return node


def _identity(graph, name, source, dtype):
    node = graph.node.add(name=name, op="Identity", input=[source])
    node.attr["T"].type = dtype
    return node


def port_out_of_range(graph):
    _placeholder(graph, "x", 1)
    _identity(graph, "y", "x:3", 1)
    return "y", ["'y'", "'x:3'", "1 output"]


def type_outside_the_constraint(graph):
    _placeholder(graph, "x", 7)
    graph.node.add(name="y", op="Relu", input=["x"]).attr["T"].type = 7
    return "y", ["Relu", "`T`=string", "(y)"]


def missing_required_attr(graph):
    _placeholder(graph, "x", 1)
    graph.node.add(name="y", op="Identity", input=["x"])
    return "y", ["'y'", "required attr 'T' is missing"]


def attr_of_the_wrong_kind(graph):
    _placeholder(graph, "x", 1)
    graph.node.add(name="y", op="Identity", input=["x"]).attr["T"].s = b"float"
    return "y", ["'y'", "attr 'T' holds a s, its OpDef declares type"]


def input_of_the_wrong_type(graph):
    _placeholder(graph, "a", 1)
    _placeholder(graph, "b", 3)
    graph.node.add(name="y", op="MatMul", input=["a", "b"]).attr["T"].type = 1
    return "y", ["'y'", "input 1 is int32 from 'b', but the op needs float32"]


def too_many_inputs(graph):
    _placeholder(graph, "x", 1)
    _identity(graph, "y", "x", 1).input.append("x")
    return "y", ["'y'", "2 data input(s), its OpDef expects 1"]


def min_consumer_too_high(graph):
    _placeholder(graph, "x", 1)
    _identity(graph, "y", "x", 1)
    graph.versions.producer = 24
    graph.versions.min_consumer = 9999
    return "y", ["min_consumer 9999"]


def function_named_like_an_op(graph):
    _placeholder(graph, "x", 1)
    _identity(graph, "y", "x", 1)
    function = graph.library.function.add()
    function.signature.name = "Relu"
    function.signature.input_arg.add(name="a", type=1)
    function.signature.output_arg.add(name="b", type=1)
    function.ret["b"] = "a"
    return "y", ["function library defines 'Relu'"]


def name_with_a_control_character(graph):
    _placeholder(graph, "x", 1)
    _identity(graph, "y\u202e", "x", 1)
    return "y\u202e", ["not a valid TensorFlow node name"]


def const_too_large(graph):
    const = graph.node.add(name="c", op="Const")
    const.attr["dtype"].type = 1
    tensor = const.attr["value"].tensor
    tensor.dtype = 1
    tensor.tensor_shape.dim.add().size = 1 << 40
    tensor.float_val.append(1.0)
    _identity(graph, "y", "c", 1)
    return "y", ["'c'", "4398046511104 bytes"]


def const_value_of_another_type(graph):
    const = graph.node.add(name="c", op="Const")
    const.attr["dtype"].type = 1
    const.attr["value"].tensor.dtype = 3
    const.attr["value"].tensor.int_val.append(1)
    _identity(graph, "y", "c", 1)
    return "y", ["'c'", "float32", "int32"]


CASES = [port_out_of_range, type_outside_the_constraint, missing_required_attr, attr_of_the_wrong_kind,
         input_of_the_wrong_type, too_many_inputs, min_consumer_too_high, function_named_like_an_op,
         name_with_a_control_character, const_too_large, const_value_of_another_type]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_unloadable_graph_is_refused_as_tensorflow_refuses_it(tmp_path, case, oracle):
    path, output, words = _write_case(str(tmp_path / case.__name__), case)
    destination = str(tmp_path / "frozen.pb")
    with pytest.raises(api.ModelError) as caught:
        with api.open_model(path) as loaded:
            api.freeze(loaded, api.FreezeRequest([output], destination=destination, target_tf=installed_version()))
    message = str(caught.value)
    assert "\n" not in message and all(w in message for w in words), message
    assert not os.path.exists(destination)
    # TF 1.4 runs a Const whose value is of another type than it declares, and returns that type
    assert oracle[case.__name__] in ("REFUSED", "MISTYPED"), "TensorFlow runs this graph: the rule is not TF's"
