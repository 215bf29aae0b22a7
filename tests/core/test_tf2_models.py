"""Checkpoints written at test time by another writer (TF 2.x compat.v1): freeze, rank, verify."""

import collections
import os

import numpy as np
import pytest

from core.formats import protos
from core.freeze.stage import plan_and_write
from core.formats.model import open_model
from core.analysis.insight import analyze
from core.analysis.training_switches import find_training_switches
from core.freeze.switch_folding import fold_training_switches
from tests import tf2_models
from tests.graph_fidelity import check_faithful
from tests.tf_runtime import assert_close, run_frozen


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Every model built once per session: name -> ModelSpec."""
    folder = tmp_path_factory.mktemp("tf2_models")
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = tf2_models.build(name, str(folder))
        return cache[name]
    return get


def _freeze(spec, tmp_path, edits=None, name="frozen.pb"):
    destination = str(tmp_path / name)
    with open_model(spec.folder) as model:
        report = plan_and_write(model, spec.outputs, destination, edits=edits)
        with open(destination, "rb") as handle:
            data = handle.read()
        problems = check_faithful(data, model.graph, allowed_changed=set(edits.replaced) | _rewired(edits)
                                  if edits else ())
    return report, data, problems


def _rewired(edits):
    graph_nodes = set()
    for node in edits.replaced.values():
        graph_nodes.add(node.name)
    return graph_nodes


@pytest.mark.parametrize("name", tf2_models.MODEL_NAMES)
def test_frozen_graph_runs_and_matches_the_session(built, tmp_path, name):
    spec = built(name)
    report, data, problems = _freeze(spec, tmp_path)
    assert problems == []
    values = run_frozen(data, spec.feeds, spec.outputs)
    for output in spec.outputs:
        assert_close(values[output], spec.expected[output])
    assert report.nodes_after < report.nodes_before


def test_sharded_checkpoint_has_two_data_shards(built):
    spec = built("sharded")
    shards = [n for n in os.listdir(spec.folder) if ".data-" in n]
    assert len(shards) == 2
    with open_model(spec.folder) as model:
        assert len(model.checkpoint.data_paths) == 2


def test_float_ref_case_rewrites_ref_ops(built, tmp_path):
    spec = built("float_ref")
    report, data, _ = _freeze(spec, tmp_path)
    reasons = " ".join(reason for _, reason in report.rewrites)
    assert "RefSwitch -> Switch" in reasons and "AssignSub -> Sub" in reasons
    ops = set(n.op for n in protos.GraphDef.FromString(data).node)
    assert not [op for op in ops if op.startswith("Ref") or op.startswith("Assign")]


def test_resource_gather_becomes_gather_v2(built, tmp_path):
    report, data, _ = _freeze(built("resource"), tmp_path)
    ops = collections.Counter(n.op for n in protos.GraphDef.FromString(data).node)
    assert ops["GatherV2"] == 1 and not ops["ResourceGather"] and not ops["VarHandleOp"]


@pytest.mark.parametrize("name", ["conv_bn", "dropout", "float_ref"])
def test_inference_mode_folds_the_switch_away(built, tmp_path, name):
    spec = built(name)
    with open_model(spec.folder) as model:
        switches = dict((s.name, s.default) for s in find_training_switches(model.graph_def))
        assert switches == spec.switches
        edits = fold_training_switches(model.graph_def, switches)
    _, data, _ = _freeze(spec, tmp_path, edits)
    ops = collections.Counter(n.op for n in protos.GraphDef.FromString(data).node)
    assert not ops["Switch"] and not ops["Merge"] and not ops["RefSwitch"]
    values = run_frozen(data, spec.feeds, spec.outputs)
    for output in spec.outputs:
        assert_close(values[output], spec.expected[output])


@pytest.mark.parametrize("name", tf2_models.MODEL_NAMES)
def test_true_outputs_rank_first(built, name):
    spec = built(name)
    with open_model(spec.folder) as model:
        names = [c.name for c in analyze(model.graph_def, model.meta_graph).candidates]
    assert set(names[:len(spec.outputs)]) == set(spec.outputs), names[:5]


@pytest.mark.parametrize("name", tf2_models.MODEL_NAMES)
def test_verification_passes(built, tmp_path, name):
    from core.verify.runner import verify
    spec = built(name)
    _, _, _ = _freeze(spec, tmp_path)
    with open_model(spec.folder) as model:
        report = verify(model, str(tmp_path / "frozen.pb"), spec.outputs, feeds=spec.feeds)
    assert report.passed, report.outputs


def test_verification_catches_a_perturbed_constant(built, tmp_path):
    from core.verify.runner import verify
    spec = built("mlp")
    _, data, _ = _freeze(spec, tmp_path)
    graph = protos.GraphDef.FromString(data)
    for node in graph.node:
        if node.name == "logits/bias":
            values = np.frombuffer(node.attr["value"].tensor.tensor_content, dtype=np.float32).copy()
            values[0] += 0.5
            node.attr["value"].tensor.tensor_content = values.tobytes()
    (tmp_path / "wrong.pb").write_bytes(graph.SerializeToString())
    with open_model(spec.folder) as model:
        report = verify(model, str(tmp_path / "wrong.pb"), spec.outputs)
    assert not report.passed
    assert report.outputs[0].max_abs_diff > 1e-3
