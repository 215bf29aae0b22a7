"""Ranking and required inputs on the shapes real checkpoints take (tests/wild_patterns.py, built at test time)."""

import os

import numpy as np
import pytest

from core import api
from core.analysis.graph_model import GraphModel
from core.analysis.inputs import required_inputs
from tests import wild_patterns


@pytest.fixture(scope="module")
def patterns(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wild_patterns")
    index = wild_patterns.build_all(str(folder))
    return dict((name, (os.path.join(str(folder), name), spec)) for name, spec in index.items())


def _load(patterns, name):
    folder, spec = patterns[name]
    return api.load(folder), spec


def _top(loaded, k):
    return [c.name for c in loaded.analysis.candidates[:k]]


@pytest.mark.parametrize("name", wild_patterns.PATTERN_NAMES)
def test_authors_outputs_rank_first(patterns, name):
    loaded, spec = _load(patterns, name)
    with loaded:
        outputs = spec["outputs"]
        shown = ["%s %.2f %s" % (c.name, c.score, "; ".join(c.reasons)) for c in loaded.analysis.candidates[:5]]
        assert set(_top(loaded, len(outputs))) == set(outputs), "\n".join(shown)


@pytest.mark.parametrize("name", wild_patterns.PATTERN_NAMES)
def test_required_inputs_are_exact(patterns, name):
    loaded, spec = _load(patterns, name)
    with loaded:
        found = loaded.analysis.required_inputs(spec["outputs"])
    assert sorted(i.name for i in found) == sorted(spec["inputs"])
    for item in found:
        kind, value = spec["inputs"][item.name]
        assert (item.kind, item.value) == (kind, value), item


def test_no_candidate_depends_on_no_input(patterns):
    loaded, _ = _load(patterns, "regularized_inference")
    with loaded:
        names = [c.name for c in loaded.analysis.candidates]
    assert names and not [n for n in names if "Regularizer" in n or "l2" in n.lower()], names


def test_copies_are_named_in_the_reasons(patterns):
    loaded, spec = _load(patterns, "notebook_copies")
    with loaded:
        top = loaded.analysis.candidates[0]
        others = [c.name for c in loaded.analysis.candidates[1:]]
    assert top.name == spec["outputs"][0]
    assert any("copies" in r for r in top.reasons), top.reasons
    assert len(others) >= 2


def test_metric_and_loss_evidence_in_reasons(patterns):
    loaded, _ = _load(patterns, "accuracy_argmax")
    with loaded:
        by_name = dict((c.name, c) for c in loaded.analysis.candidates)
    assert any("metric" in r for r in by_name["prediction"].reasons)
    assert "feeds the loss" in by_name["logits"].reasons


def test_after_a_while_loop_is_still_inference(patterns):
    loaded, _ = _load(patterns, "rnn_dense")
    with loaded:
        candidates = loaded.analysis.candidates
    assert candidates[0].name == "probs"
    assert not [c.name for c in candidates if "/while/" in c.name]
    depth = [r for r in candidates[0].reasons if r.startswith("depth")][0]
    assert int(depth.split()[1]) > 10, depth  # the loop body counts


def test_keep_prob_shape_and_value(patterns):
    loaded, _ = _load(patterns, "keep_prob")
    with loaded:
        found = dict((i.name, i) for i in required_inputs(loaded.analysis.graph, ["fc2/BiasAdd"]))
    assert found["keep_prob"].shape == [] and found["keep_prob"].must_feed
    assert found["x"].shape == [-1, 6]


def test_verify_feeds_keep_prob_as_a_scalar_one(patterns, tmp_path):
    pytest.importorskip("tensorflow")
    folder, spec = patterns["keep_prob"]
    with api.load(folder) as loaded:
        destination = str(tmp_path / "frozen.pb")
        api.freeze(loaded, api.FreezeRequest(spec["outputs"], destination=destination))
        report = api.verify(loaded, destination, spec["outputs"])
    assert report.passed, report
    assert report.inputs_used["keep_prob"] == ("float32", [])


def test_verify_failure_is_one_line(patterns, tmp_path):
    pytest.importorskip("tensorflow")
    folder, spec = patterns["keep_prob"]
    with api.load(folder) as loaded:
        destination = str(tmp_path / "frozen.pb")
        api.freeze(loaded, api.FreezeRequest(spec["outputs"], destination=destination))
        with pytest.raises(api.ModelError) as caught:
            api.verify(loaded, destination, spec["outputs"], feeds={"x": np.zeros([2, 5], np.float32)})
    message = str(caught.value)
    assert "\n" not in message and "failed" in message, message


def test_missing_variables_are_listed_sorted(patterns, tmp_path):
    import shutil
    folder, spec = patterns["gan"]
    other, _ = patterns["dqn_mean"]
    copy = str(tmp_path / "gan")
    shutil.copytree(folder, copy)
    for suffix in (".index", ".data-00000-of-00001"):
        shutil.copy(os.path.join(other, "model.ckpt" + suffix), os.path.join(copy, "model.ckpt" + suffix))
    messages = set()
    for _ in range(2):
        with pytest.raises(api.ModelError) as caught:
            with api.load(copy) as loaded:
                api.plan(loaded, api.FreezeRequest(spec["outputs"]))
        messages.add(str(caught.value))
    assert len(messages) == 1
    message = messages.pop()
    assert "has none of the 4 variables" in message and "generator/g1/bias" in message, message


def test_partly_matching_checkpoint_says_how_many(tmp_path):
    tf = pytest.importorskip("tensorflow")
    tf1 = tf.compat.v1 if hasattr(tf, "compat") and hasattr(tf.compat, "v1") else tf
    graph = tf1.Graph()
    with graph.as_default():
        x = tf1.placeholder(tf1.float32, [None, 2], name="x")
        a = tf1.Variable(tf1.ones([2, 2]), name="a")
        saver = tf1.train.Saver()  # made before b: b is never saved
        b = tf1.Variable(tf1.ones([2]), name="b")
        tf1.add(tf1.matmul(x, a), b, name="y")
        with tf1.Session(graph=graph) as session:
            session.run(tf1.global_variables_initializer())
            saver.save(session, str(tmp_path / "model.ckpt"))
    with pytest.raises(api.ModelError) as caught:
        with api.load(str(tmp_path)) as loaded:
            api.plan(loaded, api.FreezeRequest(["y"]))
    message = str(caught.value)
    assert "has 1 of the 2 variables these outputs need; missing: b" in message, message
    assert "another model" not in message
    assert GraphModel  # the graph module stays importable without TensorFlow


def test_signature_def_decides_outputs_and_inputs(patterns):
    """A MetaGraphDef with signature_def entries (a SavedModel's): its outputs rank first, its inputs are the inputs."""
    from core.analysis.insight import analyze
    from core.formats import protos
    folder, _ = patterns["accuracy_argmax"]
    meta = protos.MetaGraphDef()
    with open(os.path.join(folder, "model.ckpt.meta"), "rb") as handle:
        meta.ParseFromString(handle.read())
    signature = meta.signature_def["serving_default"]
    signature.inputs["features"].name = "x:0"
    signature.outputs["hidden"].name = "hidden/Relu:0"
    analysis = analyze(meta.graph_def, meta)
    top = analysis.candidates[0]
    assert top.name == "hidden/Relu" and "SavedModel signature 'serving_default'" in top.reasons
    found = analysis.required_inputs(["hidden/Relu"])
    assert [(i.name, i.dtype, i.shape, i.reason) for i in found] == [
        ("x", "float32", [-1, 6], "SavedModel signature 'serving_default'")]
