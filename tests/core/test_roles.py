"""Node roles, real inputs and training switches on the TF 1.4 fixtures."""

import pytest

from core.formats import protos
from core.analysis.insight import analyze
from tests.conftest import FIXTURE_NAMES, load_fixture

ROLES = {"input", "training_input", "variable", "constant", "inference", "loss", "training", "saver",
         "summary", "initializer", "update", "switch", "other"}


def _analysis(name):
    meta = protos.MetaGraphDef()
    with open(load_fixture(name).meta, "rb") as handle:
        meta.ParseFromString(handle.read())
    return analyze(meta.graph_def, meta)


@pytest.fixture(scope="module")
def analyses():
    return dict((name, _analysis(name)) for name in FIXTURE_NAMES)


def test_every_node_has_a_known_role(analyses):
    for name, analysis in analyses.items():
        assert len(analysis.roles) == len(analysis.graph.nodes()), name
        assert set(analysis.roles.values()) <= ROLES, name


def test_real_inputs_are_the_spec_inputs(analyses):
    for name, analysis in analyses.items():
        assert [i.name for i in analysis.inputs] == load_fixture(name).spec["inputs"], name
        for info in analysis.inputs:
            assert info.role == "input"
            assert info.consumers_count >= 1


def test_input_dtype_and_shape():
    by_name = dict((i.name, i) for i in _analysis("mlp").inputs)
    assert by_name["input"].dtype == "float32"
    assert by_name["input"].shape == [-1, 784]
    lstm = _analysis("lstm").inputs[0]
    assert lstm.name == "sequence" and lstm.shape[0] == -1 and len(lstm.shape) == 3


def test_labels_are_training_inputs():
    analysis = _analysis("mlp")
    assert analysis.roles["labels"] == "training_input"
    assert analysis.roles["input"] == "input"
    assert "labels" not in [i.name for i in analysis.inputs]


def test_adam_slots_gradients_and_train_op_are_training():
    roles = _analysis("mlp").roles
    for name in ("dense/kernel/Adam", "dense/kernel/Adam_1", "output/bias/Adam_1", "beta1_power", "beta2_power",
                 "Adam/update_dense/kernel/ApplyAdam", "Adam", "Adam/learning_rate"):
        assert roles[name] == "training", name
    assert all(r == "training" for n, r in roles.items() if n.startswith("gradients/")), \
        sorted(n for n, r in roles.items() if n.startswith("gradients/") and r != "training")


def test_model_variables_and_their_reads():
    roles = _analysis("mlp").roles
    assert roles["dense/kernel"] == "variable"
    assert roles["output/bias"] == "variable"
    assert roles["dense/kernel/read"] == "inference"
    assert roles["output/BiasAdd"] == "inference"
    assert roles["dense/Relu"] == "inference"


def test_saver_and_initializer(analyses):
    for name, analysis in analyses.items():
        saver = [n for n in analysis.roles if n.startswith("save/")]
        assert saver, name
        assert all(analysis.roles[n] == "saver" for n in saver), name
        assert analysis.roles["init"] == "initializer", name


def test_loss_nodes():
    roles = _analysis("mlp").roles
    assert roles["sparse_softmax_cross_entropy_loss/value"] == "loss"
    assert roles["sparse_softmax_cross_entropy_loss/xentropy/xentropy"] == "loss"


def test_training_switch_in_cnn_bn():
    analysis = _analysis("cnn_bn")
    switches = dict((s.name, s) for s in analysis.training_switches)
    assert "is_training" in switches
    assert switches["is_training"].dtype == "bool"
    assert switches["is_training"].default is False
    assert "is_training" not in [i.name for i in analysis.inputs]
    assert analysis.roles["is_training"] == "switch"


def test_batch_norm_moving_averages_are_update_ops():
    roles = _analysis("cnn_bn").roles
    updates = [n for n, r in roles.items() if "AssignMovingAvg" in n]
    assert updates
    assert all(roles[n] == "update" for n in updates), [(n, roles[n]) for n in updates]
    assert roles["features/bn1/moving_mean"] == "variable"


def test_resource_and_partitioned_variables():
    roles = _analysis("resource_vars").roles
    assert roles["net/w"] == "variable"
    assert roles["net/w/Assign"] == "initializer"
    assert roles["y"] == "inference"
    roles = _analysis("partitioned").roles
    for part in ("embedding/part_0", "embedding/part_1", "embedding/part_2"):
        assert roles[part] == "variable"


def test_summaries():
    roles = _analysis("multi_head").roles
    summaries = [n for n, r in roles.items() if r == "summary"]
    assert "loss" in summaries
    assert roles["model/heads/class_probs"] == "inference"


def test_frozen_graph_roles():
    fixture = load_fixture("mlp")
    graph_def = protos.GraphDef()
    with open(fixture.reference, "rb") as handle:
        graph_def.ParseFromString(handle.read())
    analysis = analyze(graph_def)
    assert analysis.roles["input"] == "input"
    assert analysis.roles["dense/kernel"] == "constant"
    assert analysis.roles["output/BiasAdd"] == "inference"
    assert [i.name for i in analysis.inputs] == ["input"]


def test_progress_is_reported():
    fixture = load_fixture("mlp")
    meta = protos.MetaGraphDef()
    with open(fixture.meta, "rb") as handle:
        meta.ParseFromString(handle.read())
    steps = []
    analyze(meta.graph_def, meta, progress=steps.append)
    assert steps == ["finding roles", "ranking outputs"]
