"""Input cuts: placeholders named by TF's strip_unused convention; a frozen .pb frozen again, cut anew."""

import numpy as np
import pytest

from core.analysis.input_pipeline import suggest_cuts, tensor_dtype, tensor_shape
from core.errors import ModelError
from core.formats import protos
from core.formats.model import open_model
from core.freeze.input_cuts import cond_switch, cut_inputs, placeholder_name, plan_cuts
from core.freeze.stage import plan_and_write
from tests.conftest import load_fixture
from tests.tf_runtime import assert_close, run_frozen, tf1


def _graph(build):
    """A GraphDef (as our protos) of what ``build(tf)`` makes, with _output_shapes."""
    tf = tf1()
    with tf.Graph().as_default() as graph:
        build(tf)
        data = graph.as_graph_def(add_shapes=True).SerializeToString()
    graph_def = protos.GraphDef()
    graph_def.ParseFromString(data)
    return graph_def


def _split_graph(tf):
    x = tf.placeholder(tf.float32, [None, 6], name="x")
    a, b = tf.split(x, 2, axis=1, name="halves")
    tf.identity(a * 2.0, name="left")
    tf.identity(b + 1.0, name="right")
    tf.identity(tf.concat([a, b], 1) * 3.0, name="both")


def test_names_follow_strip_unused():
    assert placeholder_name("IteratorGetNext", 0) == "IteratorGetNext"
    assert placeholder_name("IteratorGetNext", 2) == "IteratorGetNext_port2"
    assert placeholder_name("n", 1, taken={"n_port1"}) == "n_port1_cut"


def test_dtype_and_shape_from_output_shapes_and_attrs():
    graph = _graph(_split_graph)
    cuts = plan_cuts(graph, ["halves:1", "left"])
    assert [(c.tensor, c.placeholder, c.dtype, c.shape) for c in cuts] == [
        ("halves:1", "halves_port1", 1, [-1, 3]), ("left:0", "left", 1, [-1, 3])]
    node = protos.NodeDef(name="it", op="IteratorGetNext")
    node.attr["output_types"].list.type.extend([1, 9])
    node.attr["output_shapes"].list.shape.add().dim.add().size = -1
    node.attr["output_shapes"].list.shape.add()
    assert (tensor_dtype(node, 1), tensor_shape(node, 0), tensor_shape(node, 1)) == (9, [-1], [])
    dequeue = protos.NodeDef(name="q", op="QueueDequeueManyV2")
    dequeue.attr["component_types"].list.type.append(3)
    dequeue.attr["shapes"].list.shape.add().dim.add().size = 5
    assert (tensor_dtype(dequeue, 0), tensor_shape(dequeue, 0)) == (3, [-1, 5])
    assert tensor_dtype(protos.NodeDef(name="d", op="DecodeJpeg"), 0) == 4


def test_cut_at_another_port_rewires_and_prunes(tmp_path):
    graph = _graph(_split_graph)
    path = tmp_path / "graph.pb"
    path.write_bytes(graph.SerializeToString())
    destination = str(tmp_path / "cut.pb")
    with open_model(str(path)) as model:
        edits = cut_inputs(model.graph_def, ["halves:1"], outputs=["right"])
        plan_and_write(model, ["right"], destination, edits=edits)
    frozen = protos.GraphDef()
    with open(destination, "rb") as handle:
        data = handle.read()
    frozen.ParseFromString(data)
    names = [n.name for n in frozen.node]
    assert "x" not in names and "halves" not in names and "halves_port1" in names
    feed = np.arange(6, dtype=np.float32).reshape(2, 3)
    values = run_frozen(data, {"halves_port1": feed}, ["right"])
    assert_close(values["right"], feed + 1.0)


def test_a_cut_the_outputs_do_not_read_is_reported_as_absent(tmp_path):
    """Cutting halves:0 and halves:1 for 'right' (which reads halves:1 only): the frozen graph has one
    Placeholder, and the report says so of the other instead of naming a Placeholder it does not hold."""
    graph = _graph(_split_graph)
    path = tmp_path / "graph.pb"
    path.write_bytes(graph.SerializeToString())
    destination = str(tmp_path / "cut.pb")
    with open_model(str(path)) as model:
        edits = cut_inputs(model.graph_def, ["halves:1", "left"], outputs=["right"])
        report = plan_and_write(model, ["right"], destination, edits=edits)
    with open(destination, "rb") as handle:
        data = handle.read()
    frozen = protos.GraphDef.FromString(data)
    assert sorted(n.name for n in frozen.node if n.op == "Placeholder") == ["halves_port1"]
    assert "input halves:1 cut: Placeholder 'halves_port1' (float32 [?,3])" in report.notes
    assert ("input left:0 cut: the outputs do not read it, so the frozen graph has no Placeholder 'left' for it"
            in report.notes)
    feed = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert_close(run_frozen(data, {"halves_port1": feed}, ["right"])["right"], feed + 1.0)


def test_a_needed_uncut_port_of_a_replaced_node_is_refused():
    graph = _graph(_split_graph)
    with pytest.raises(ModelError) as info:
        cut_inputs(graph, ["halves:0"], outputs=["both"])
    assert "halves:1" in str(info.value) and "cut" in str(info.value)
    cut_inputs(graph, ["halves:0"], outputs=["left"])  # halves:1 is not needed there
    cut_inputs(graph, ["halves:0", "halves:1"], outputs=["both"])


def test_unknown_names_and_ports_are_errors():
    graph = _graph(_split_graph)
    with pytest.raises(ModelError) as info:
        cut_inputs(graph, ["halvs:0"])
    assert "not in the graph" in str(info.value) and "halves" in str(info.value)
    with pytest.raises(ModelError) as info:
        cut_inputs(graph, ["halves:5"])
    assert "2 output(s)" in str(info.value)


def test_a_frozen_pb_is_inspectable_and_freezes_again_to_fewer_outputs_and_new_cuts(tmp_path):
    fixture = load_fixture("multi_head")
    first = str(tmp_path / "first.pb")
    with open_model(fixture.folder) as model:
        plan_and_write(model, fixture.outputs, first)
    again = str(tmp_path / "again.pb")
    with open_model(first) as model:
        assert model.checkpoint is None and model.can_freeze
        assert suggest_cuts(model.graph_def) == []
        report = plan_and_write(model, fixture.outputs[:1], again)
    assert report.variables_converted == 0
    with open(again, "rb") as handle:
        values = run_frozen(handle.read(), fixture.feeds, fixture.outputs[:1])
    assert_close(values[fixture.outputs[0]], fixture.expected[fixture.outputs[0]])
    # cut at the producer of the first output's input: the placeholder feeds it directly
    with open_model(first) as model:
        nodes = dict((n.name, n) for n in model.graph_def.node)
        inner = nodes[fixture.outputs[0]].input[0]
        edits = cut_inputs(model.graph_def, [inner], outputs=fixture.outputs[:1])
        cut = str(tmp_path / "cut.pb")
        plan_and_write(model, fixture.outputs[:1], cut, edits=edits)
    frozen = protos.GraphDef()
    with open(cut, "rb") as handle:
        frozen.ParseFromString(handle.read())
    kept = dict((n.name, n.op) for n in frozen.node)
    assert kept[inner.split(":")[0]] == "Placeholder"
    assert not any(name in kept for name in fixture.feeds)


def _node(name, op, *inputs):
    node = protos.NodeDef()
    node.name, node.op = name, op
    node.input.extend(inputs)
    return node


def test_cond_switch_finds_the_branch_a_tensor_lives_in():
    """A tensor is in a branch when its inputs reach a Switch before as many Merges as Switches crossed."""
    nodes = dict((n.name, n) for n in [
        _node("x", "Placeholder"), _node("p", "Placeholder"), _node("q", "Placeholder"),
        _node("outer", "Switch", "x", "p"), _node("inner", "Switch", "outer:1", "q"),
        _node("a", "Identity", "inner:1"), _node("b", "Identity", "inner"),
        _node("inner_merge", "Merge", "a", "b"), _node("c", "Identity", "inner_merge"),
        _node("d", "Identity", "outer"), _node("outer_merge", "Merge", "c", "d"), _node("y", "Identity", "outer_merge"),
        _node("k", "Const", "^a")])
    assert cond_switch(nodes, "a") == "inner" and cond_switch(nodes, "k") == "inner"
    assert cond_switch(nodes, "c") == "outer" and cond_switch(nodes, "inner_merge") == "outer"
    assert cond_switch(nodes, "inner") == "inner"
    assert cond_switch(nodes, "y") is None and cond_switch(nodes, "outer_merge") is None
    assert cond_switch(nodes, "x") is None


def test_a_cut_inside_a_batch_norm_cond_is_refused_and_after_its_merge_is_not():
    model = open_model(load_fixture("cnn_bn").folder)
    nodes = dict((n.name, n) for n in model.graph_def.node)
    assert cond_switch(nodes, "features/bn1/cond/Const") == "features/bn1/cond/Switch"
    with pytest.raises(ModelError) as info:
        plan_cuts(model.graph_def, ["features/bn1/cond/FusedBatchNorm:1"], model.meta_graph)
    assert "inside a branch of a tf.cond" in str(info.value)
    assert [c.tensor for c in plan_cuts(model.graph_def, ["features/bn1/cond/Merge"], model.meta_graph)] == \
        ["features/bn1/cond/Merge:0"]
