"""Node details (inputs split, consumers, readable attrs, outputs) and the summary."""

import os

import pytest

from core.formats import protos
from core.analysis.insight import analyze
from core.analysis.graph_model import GraphModel
from core.analysis.node_details import attr_text
from tests.conftest import FIXTURE_NAMES, load_fixture


def _meta(name):
    meta = protos.MetaGraphDef()
    with open(load_fixture(name).meta, "rb") as handle:
        meta.ParseFromString(handle.read())
    return meta


def _reference(name):
    graph_def = protos.GraphDef()
    with open(load_fixture(name).reference, "rb") as handle:
        graph_def.ParseFromString(handle.read())
    return graph_def


def _consumers_in_the_nodedefs(graph_def, name):
    """Every node naming ``name`` among its inputs (`name`, `name:k` or `^name`), in graph order."""
    return [n.name for n in graph_def.node
            if any(i.lstrip("^").split(":")[0] == name for i in n.input)]


def test_details_of_a_layer_op():
    meta = _meta("mlp")
    details = analyze(meta.graph_def, meta).details("output/BiasAdd")
    assert details.name == "output/BiasAdd" and details.op == "BiasAdd"
    assert details.data_inputs == ["output/MatMul", "output/bias/read"]
    assert details.control_inputs == []
    assert details.consumers == _consumers_in_the_nodedefs(meta.graph_def, "output/BiasAdd")
    assert "sparse_softmax_cross_entropy_loss/xentropy/xentropy" in details.consumers
    assert ("T", "float32") in details.attrs
    assert "_output_shapes" not in dict(details.attrs)
    assert details.outputs == [("output/BiasAdd:0", "float32", "[?,10]")]
    assert details.role == "inference"


def test_details_split_control_inputs_and_multiple_outputs():
    meta = _meta("mlp")
    analysis = analyze(meta.graph_def, meta)
    train = analysis.details("Adam")
    assert train.op == "NoOp" and train.data_inputs == []
    assert "Adam/update_dense/kernel/ApplyAdam" in train.control_inputs
    assert train.outputs == []
    assert train.role == "training"
    loss = analysis.details("sparse_softmax_cross_entropy_loss/xentropy/xentropy")
    assert [o[0] for o in loss.outputs] == ["sparse_softmax_cross_entropy_loss/xentropy/xentropy:0",
                                            "sparse_softmax_cross_entropy_loss/xentropy/xentropy:1"]
    assert loss.outputs[1][2] == "[?,10]"


def test_long_tensors_are_summarised_short_ones_shown():
    graph_def = _reference("mlp")
    analysis = analyze(graph_def)
    kernel = dict(analysis.details("dense/kernel").attrs)
    assert kernel["value"] == "float32[784,128] (100352 values)"
    assert analysis.details("dense/kernel").outputs == [("dense/kernel:0", "float32", "[784,128]")]
    scalar = protos.AttrValue()
    scalar.tensor.dtype = 1
    scalar.tensor.float_val.append(0.5)
    assert attr_text(scalar) == "float32 = 0.5"
    listed = protos.AttrValue()
    listed.list.i.extend([1, 2, 2, 1])
    assert attr_text(listed) == "[1, 2, 2, 1]"


def test_summary_counts_histogram_parameters_and_frozen_estimate(tmp_path):
    meta = _meta("mlp")
    analysis = analyze(meta.graph_def, meta)
    sizes = {"dense/kernel": 784 * 128 * 4, "dense/bias": 128 * 4, "output/kernel": 128 * 10 * 4,
             "output/bias": 40}
    summary = analysis.summary(variable_bytes=sizes, outputs=["output/BiasAdd"])
    assert summary.nodes == len(meta.graph_def.node)
    counts = [c for _, c in summary.ops]
    assert counts == sorted(counts, reverse=True)
    assert sum(counts) == summary.nodes
    assert summary.parameters == 784 * 128 + 128 + 128 * 10 + 10
    assert summary.parameter_bytes == sum(sizes.values())
    # The frozen estimate is close to TF 1.4's own frozen graph size.
    reference = os.path.getsize(load_fixture("mlp").reference)
    assert abs(summary.frozen_estimate - reference) < 0.02 * reference, (summary.frozen_estimate, reference)
    assert analysis.summary().frozen_estimate is None


def test_graph_model_edges_and_ports():
    meta = _meta("lstm")
    model = GraphModel(meta.graph_def)
    assert model.nodes()[0] == meta.graph_def.node[0].name
    for node in meta.graph_def.node[:200]:
        data = [t for t in node.input if not t.startswith("^")]
        assert len(model.data_inputs(node.name)) == len(data)
        for (source, port), text in zip(model.data_inputs(node.name), data):
            assert text.split(":")[0] == source
            assert port == (int(text.split(":")[1]) if ":" in text else 0)
        assert model.control_inputs(node.name) == [t[1:] for t in node.input if t.startswith("^")]
        assert model.op(node.name) == node.op
        assert model.node(node.name) is not None
    consumers = model.consumers("sequence")
    assert consumers and all(kind in ("data", "control") for _, kind in consumers)
    assert model.index("sequence") == [n.name for n in meta.graph_def.node].index("sequence")
    ancestors = model.ancestors(["logits/BiasAdd"])
    assert "sequence" in ancestors and "logits/BiasAdd" in ancestors
    assert not any(n.startswith("save/") for n in ancestors)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_graph_model_reachability_agrees_with_networkx(name):
    """networkx, on a DiGraph built here from the NodeDefs' input strings, is the oracle of GraphModel's
    ancestor walks (data and control edges, and data edges only) and of its consumers."""
    import networkx
    fixture = load_fixture(name)
    meta = _meta(name)
    graph, data_only = networkx.DiGraph(), networkx.DiGraph()
    for node in meta.graph_def.node:
        graph.add_node(node.name)
        data_only.add_node(node.name)
        for text in node.input:
            source = text.lstrip("^").split(":")[0]
            graph.add_edge(source, node.name)
            if not text.startswith("^"):
                data_only.add_edge(source, node.name)
    model = GraphModel(meta.graph_def)
    for output in fixture.outputs + ["save/restore_all"]:
        assert model.ancestors([output]) == networkx.ancestors(graph, output) | {output}, output
        assert model.ancestors([output], include_control=False) == networkx.ancestors(data_only, output) | {output}
    for node in meta.graph_def.node[::7]:
        assert set(c for c, _ in model.consumers(node.name)) == set(graph.successors(node.name)), node.name


def test_float_attrs_print_as_the_shortest_float32_text():
    from core.analysis.node_details import attr_text
    value = protos.AttrValue()
    value.f = 0.001  # stored as float32: 0.0010000000474974513 as a double
    assert attr_text(value) == "0.001"
    value = protos.AttrValue()
    value.list.f.extend([0.1, 1e-5, 3.0])
    assert attr_text(value) == "[0.1, 1e-05, 3]"
