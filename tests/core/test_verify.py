"""Verification against the TF 1.4 checkpoints: passes when equal, catches a wrong graph, explains a missing TF."""

import os
import subprocess
import sys

import numpy as np
import pytest

from core.formats import protos
from core.freeze.stage import plan_and_write
from core.formats.model import open_model
from core.verify.feeds import build_feeds
from core.verify.runner import compare
from tests.conftest import FIXTURE_NAMES, ROOT, load_fixture
from tests.tf_runtime import run_frozen


@pytest.mark.parametrize("name", FIXTURE_NAMES)
@pytest.mark.parametrize("inputs", ["recorded", "generated"])
def test_verification_passes_on_every_fixture(tmp_path, name, inputs):
    from core.verify.runner import verify
    fixture = load_fixture(name)
    destination = str(tmp_path / "frozen.pb")
    with open_model(fixture.folder) as model:
        plan_and_write(model, fixture.outputs, destination)
        feeds = fixture.feeds if inputs == "recorded" else None
        report = verify(model, destination, fixture.outputs, feeds=feeds)
    assert report.passed, report.outputs
    assert [c.name for c in report.outputs] == fixture.outputs
    if inputs == "recorded":
        assert set(report.inputs_used) == set(fixture.feeds)


def test_verification_catches_another_checkpoint(tmp_path):
    """A frozen graph from a checkpoint trained differently does not pass as this one."""
    from core.verify.runner import verify
    fixture = load_fixture("multi_head")
    destination = str(tmp_path / "frozen.pb")
    with open_model(fixture.folder) as model:
        plan_and_write(model, fixture.outputs, destination)
    with open(destination, "rb") as handle:
        graph = protos.GraphDef.FromString(handle.read())
    for node in graph.node:
        if node.op == "Const" and node.attr["value"].tensor.tensor_content and "kernel" in node.name:
            values = np.frombuffer(node.attr["value"].tensor.tensor_content, dtype=np.float32)
            node.attr["value"].tensor.tensor_content = (values * 1.01).astype(np.float32).tobytes()
    with open(destination, "wb") as handle:
        handle.write(graph.SerializeToString())
    with open_model(fixture.folder) as model:
        report = verify(model, destination, fixture.outputs)
    assert not report.passed
    assert all(not c.passed for c in report.outputs)


def test_generated_ids_stay_inside_the_embedding_table(tf):
    """The feeds verify generates (build_feeds) for ids that index a partitioned embedding fit the table
    TensorFlow's checkpoint reader gives, and TensorFlow's own frozen graph runs on them."""
    fixture = load_fixture("partitioned")
    with open_model(fixture.folder) as model:
        feeds, needed = build_feeds(model.graph_def, fixture.outputs, batch_size=64)
    assert [item.name for item in needed] == ["ids"] and list(feeds) == ["ids"]
    rows = tf.train.NewCheckpointReader(fixture.prefix).get_variable_to_shape_map()["embedding"][0]
    assert feeds["ids"].dtype == np.int64 and feeds["ids"].shape == (64,)
    assert feeds["ids"].min() >= 0 and feeds["ids"].max() < rows
    with open(fixture.reference, "rb") as handle:
        values = run_frozen(handle.read(), feeds, fixture.outputs)  # TF refuses an id outside a partition
    assert np.isfinite(values[fixture.outputs[0]]).all()


def test_compare_is_exact_for_integers_and_tolerant_for_floats():
    assert compare("a", np.array([1, 2]), np.array([1, 2]), 1e-5, 1e-6).passed
    assert not compare("a", np.array([1, 2]), np.array([1, 3]), 1e-5, 1e-6).passed
    assert compare("f", np.array([1.0, np.nan]), np.array([1.0 + 1e-9, np.nan]), 1e-5, 1e-6).passed
    check = compare("f", np.array([1.0, 2.0]), np.array([1.0, 2.5]), 1e-5, 1e-6)
    assert not check.passed and abs(check.max_abs_diff - 0.5) < 1e-12
    assert not compare("s", np.array([3.0]), np.array([3.0, 3.0]), 1e-5, 1e-6).passed


def test_without_tensorflow_the_message_says_how_to_install(tmp_path):
    fixture = load_fixture("mlp")
    code = (
        "import sys; sys.modules['tensorflow'] = None; sys.path.insert(0, %r)\n"
        "from core.verify.runner import verify, tensorflow_available\n"
        "from core.formats.model import open_model\n"
        "from core.errors import ModelError\n"
        "assert not tensorflow_available()\n"
        "try:\n"
        "    verify(open_model(%r), %r, ['output/BiasAdd'])\n"
        "except ModelError as exc:\n"
        "    print(exc)\n" % (ROOT, fixture.folder, fixture.reference))
    result = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    message = result.stdout.decode()
    assert "needs TensorFlow" in message and "pip install tensorflow" in message, result.stderr.decode()


def test_deploys_reference_runs_give_what_tensorflow_1_4_recorded():
    """run_checkpoint and run_graph (what deploy's children call) against the fixture's recorded outputs."""
    from core.verify.runner import run_checkpoint, run_graph
    fixture = load_fixture("mlp")
    graph = protos.GraphDef()
    with open(fixture.reference, "rb") as handle:
        graph.ParseFromString(handle.read())
    with open_model(fixture.folder) as model:
        restored, version = run_checkpoint(model, fixture.outputs, fixture.feeds)
    frozen, _ = run_graph(graph, fixture.outputs, fixture.feeds)
    expected = fixture.expected[fixture.outputs[0]]
    assert version and np.allclose(restored[0], expected, rtol=1e-5, atol=1e-6)
    assert np.allclose(frozen[0], expected, rtol=1e-5, atol=1e-6)
