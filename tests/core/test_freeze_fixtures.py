"""Freezing every TF 1.4-written fixture: runs in TensorFlow, matches TF 1.4's outputs and reference graph."""

import os

import numpy as np
import pytest

from core.formats import protos
from core.freeze.plan import plan_freeze
from core.freeze.stage import plan_and_write
from core.formats.graph_io import load_graph_def
from core.formats.model import open_model
from tests.conftest import FIXTURE_NAMES, load_fixture
from tests.graph_fidelity import check_faithful
from tests.tf_runtime import assert_close, run_frozen


def _const_value(node):
    """A Const node's value as numpy, decoded from our protos without TensorFlow."""
    tensor = node.attr["value"].tensor
    from core.formats.dtypes import numpy_dtype
    shape = [d.size for d in tensor.tensor_shape.dim]
    if tensor.dtype == 7:
        return np.array(list(tensor.string_val), dtype=object).reshape(shape)
    dtype = numpy_dtype(tensor.dtype)
    if tensor.tensor_content:
        return np.frombuffer(tensor.tensor_content, dtype=dtype).reshape(shape)
    for field in ("float_val", "double_val", "int_val", "int64_val", "bool_val", "half_val"):
        values = list(getattr(tensor, field))
        if values:
            if field == "half_val":
                array = np.array(values, dtype=np.uint16).view(np.float16)
            else:
                array = np.array(values, dtype=dtype)
            count = int(np.prod(shape)) if shape else 1
            return np.broadcast_to(array if len(array) == count else array[-1:], shape).astype(dtype) \
                if shape else array.reshape(()).astype(dtype)
    return np.zeros(shape, dtype=dtype)


@pytest.fixture(scope="module")
def frozen(tmp_path_factory):
    """Each fixture frozen once on its true outputs: name -> (fixture, model, pb bytes, report)."""
    results = {}
    folder = tmp_path_factory.mktemp("frozen")
    for name in FIXTURE_NAMES:
        fixture = load_fixture(name)
        model = open_model(fixture.folder)
        destination = os.path.join(str(folder), name + ".pb")
        report = plan_and_write(model, fixture.outputs, destination)
        with open(destination, "rb") as handle:
            results[name] = (fixture, model, handle.read(), report)
    yield results
    for _, model, _, _ in results.values():
        model.close()


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_frozen_graph_matches_tf14_outputs(frozen, name):
    fixture, _, data, _ = frozen[name]
    values = run_frozen(data, fixture.feeds, fixture.outputs)
    for output in fixture.outputs:
        assert_close(values[output], fixture.expected[output])


@pytest.mark.parametrize("name", [n for n in FIXTURE_NAMES if load_fixture(n).has_reference])
def test_same_nodes_and_values_as_tf14_reference(frozen, name):
    fixture, _, data, _ = frozen[name]
    ours = protos.GraphDef.FromString(data)
    reference = load_graph_def(fixture.reference).graph_def
    assert [n.name for n in ours.node] == [n.name for n in reference.node]
    for mine, theirs in zip(ours.node, reference.node):
        assert mine.op == theirs.op, mine.name
        if theirs.op == "Const":
            a, b = _const_value(mine), _const_value(theirs)
            assert a.dtype == b.dtype and a.shape == b.shape, mine.name
            np.testing.assert_array_equal(a, b, err_msg=mine.name)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_kept_nodes_are_byte_identical_to_source(frozen, name):
    _, model, data, _ = frozen[name]
    assert check_faithful(data, model.graph) == []


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_report_counts(frozen, name):
    fixture, model, data, report = frozen[name]
    graph = protos.GraphDef.FromString(data)
    assert report.nodes_before == len(model.graph_def.node)
    assert report.nodes_after == len(graph.node)
    assert report.bytes_written == len(data)
    assert report.variables_converted == sum(
        1 for n in model.graph_def.node if n.op in ("VariableV2", "VarHandleOp")
        and n.name in set(x.name for x in graph.node))
    assert graph.versions.producer == model.graph_def.versions.producer


def test_resource_variables_are_converted(frozen):
    _, _, data, report = frozen["resource_vars"]
    ops = set(n.op for n in protos.GraphDef.FromString(data).node)
    assert not ops & set(["VarHandleOp", "ReadVariableOp", "ResourceGather", "AssignVariableOp"])
    assert report.variables_converted == 2


def test_custom_saver_keys_read_through_the_saver():
    fixture = load_fixture("custom_saver_keys")
    with open_model(fixture.folder) as model:
        plan = plan_freeze(model, fixture.outputs)
        keys = dict((v.name, v.key) for v in plan.variables)
    assert keys and all(v.via_saver for v in plan.variables)
    assert any(name != key for name, key in keys.items())


def test_partitioned_parts_take_their_slices():
    fixture = load_fixture("partitioned")
    with open_model(fixture.folder) as model:
        plan = plan_freeze(model, fixture.outputs)
        parts = [v for v in plan.variables if v.region is not None]
    assert sorted(v.name for v in parts) == ["embedding/part_0", "embedding/part_1", "embedding/part_2"]
    assert sorted(v.region[1][0] for v in parts) == [0, 10, 20]


def test_devices_cleared_by_default_and_kept_on_request(tmp_path):
    fixture = load_fixture("mlp")
    with open_model(fixture.folder) as model:
        graph = model.graph_def
        source = dict((n.name, n) for n in graph.node)
        plan_and_write(model, fixture.outputs, str(tmp_path / "a.pb"))
        plan_and_write(model, fixture.outputs, str(tmp_path / "b.pb"), keep_devices=True)
    cleared = protos.GraphDef.FromString((tmp_path / "a.pb").read_bytes())
    kept = protos.GraphDef.FromString((tmp_path / "b.pb").read_bytes())
    assert all(not n.device for n in cleared.node)
    assert [n.device for n in kept.node] == [source[n.name].device for n in kept.node]


def test_outputs_accept_tensor_names(tmp_path):
    fixture = load_fixture("mlp")
    with open_model(fixture.folder) as model:
        report = plan_and_write(model, ["output/BiasAdd:0"], str(tmp_path / "x.pb"))
    assert report.outputs == ["output/BiasAdd"]


def test_refuses_a_graph_over_the_protobuf_limit_before_writing(tmp_path, monkeypatch):
    from core.freeze import writer as graph_writer
    from core.errors import ModelError
    monkeypatch.setattr(graph_writer, "MAX_GRAPH_BYTES", 100000)  # the real limit is 2 GiB - 1
    fixture = load_fixture("mlp")
    with open_model(fixture.folder) as model:
        with pytest.raises(ModelError) as info:
            plan_and_write(model, fixture.outputs, str(tmp_path / "big.pb"))
        expected = graph_writer.human_size(graph_writer.planned_size(plan_freeze(model, fixture.outputs)))
    assert "over protobuf's 2 GiB limit" in str(info.value) and "would be %s" % expected in str(info.value)
    assert os.listdir(str(tmp_path)) == []


def test_cancel_leaves_nothing(tmp_path):
    from core.errors import Cancelled
    fixture = load_fixture("mlp")
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 3  # let planning pass, stop while writing
    with open_model(fixture.folder) as model:
        with pytest.raises(Cancelled):
            plan_and_write(model, fixture.outputs, str(tmp_path / "x.pb"), cancel=cancel)
    assert os.listdir(str(tmp_path)) == []
