"""The outputs a graph's training structure names, on graphs built at test time that each state one principle
(tests/principle_graphs.py): losses and their labels, optimizers and what they train, copies, generators,
bookkeeping and side effects, heads and their preferred forms, and the inputs of the outputs."""

import os
import shutil

import numpy as np
import pytest

from cli.inspect_cmd import collect
from core import api
from core.analysis.training import read_training
from tests import principle_graphs


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every graph of tests/principle_graphs.py, written once: name -> (folder, expectations)."""
    folder = tmp_path_factory.mktemp("principles")
    index = principle_graphs.build_all(str(folder))
    return dict((name, (os.path.join(str(folder), name), expect)) for name, expect in index.items())


def _shown(loaded, count):
    return "\n".join("%s %.2f %s" % (c.name, c.score, "; ".join(c.reasons)) for c in loaded.analysis.candidates[:count])


@pytest.mark.parametrize("name", principle_graphs.NAMES)
def test_the_principles_outputs_rank_first(built, name):
    folder, expect = built[name]
    with api.load(folder) as loaded:
        top = [c.name for c in loaded.analysis.candidates[:len(expect["outputs"])]]
        assert set(top) == set(expect["outputs"]), _shown(loaded, 6)


@pytest.mark.parametrize("name", principle_graphs.NAMES)
def test_suggested_outputs_are_the_principles_set(built, name):
    folder, expect = built[name]
    with api.load(folder) as loaded:
        assert sorted(api.suggested_outputs(loaded)) == sorted(expect["suggested"]), _shown(loaded, 6)


@pytest.mark.parametrize("name", principle_graphs.NAMES)
def test_required_inputs_are_exactly_what_the_outputs_read(built, name):
    folder, expect = built[name]
    with api.load(folder) as loaded:
        found = loaded.analysis.required_inputs(expect["outputs"])
    assert dict((i.name, [i.kind, i.value]) for i in found) == expect["inputs"]


@pytest.mark.parametrize("name", [n for n in principle_graphs.NAMES if n in (
    "reshape_before_loss", "metrics_and_bookkeeping", "training_branch", "sampled_loss")])
def test_what_an_op_does_keeps_it_from_being_offered(built, name):
    folder, expect = built[name]
    with api.load(folder) as loaded:
        graph = loaded.analysis.graph
        offered = [c.name for c in loaded.analysis.candidates]
        heads = [f for h in api.output_heads(loaded) for f in h.forms]
    assert offered
    for never in expect["never"]:
        bad = [n for n in offered + heads if n.startswith(never) or "/" + never in n or graph.op(n) == never]
        assert not bad, (never, bad)


@pytest.mark.parametrize("name", [n for n in principle_graphs.NAMES if n in (
    "reshape_before_loss", "gan", "dqn_target", "autoencoder", "auxiliary_head", "authors_collection",
    "adversarial_autoencoder")])
def test_reasons_say_what_the_training_structure_shows(built, name):
    folder, expect = built[name]
    with api.load(folder) as loaded:
        reasons = dict((c.name, c.reasons) for c in loaded.analysis.candidates)
    assert expect["reasons"]
    for node, words in expect["reasons"].items():
        assert any(words in r for r in reasons[node]), (node, words, reasons[node])


def test_each_optimizer_names_what_it_trains_and_each_gradients_call_its_loss(built):
    folder, _ = built["gan"]
    with api.load(folder) as loaded:
        graph = loaded.analysis.graph
        structure = read_training(graph)
    assert len(structure.objectives) == 2
    scopes = sorted(sorted(set(graph.names[v].split("/")[0] for v in o.trained)) for o in structure.objectives)
    assert scopes == [["disc"], ["gen"]]
    assert all(len(o.losses) == 1 and len(o.optimizers) == 1 for o in structure.objectives)
    assert sorted(o.optimizers[0] for o in structure.objectives) == ["Adam", "Adam_1"]


def test_assignments_from_trained_variables_make_copies(built):
    folder, _ = built["dqn_target"]
    with api.load(folder) as loaded:
        graph = loaded.analysis.graph
        structure = read_training(graph)
    copies = dict((graph.names[c], graph.names[t]) for c, t in structure.copies.items())
    assert copies == dict(("target/" + n, "online/" + n) for n in ("l1/kernel", "l1/bias", "l2/kernel", "l2/bias"))


def test_a_prediction_is_one_head_with_one_preferred_form(built):
    folder, expect = built["reshape_before_loss"]
    with api.load(folder) as loaded:
        heads = api.output_heads(loaded)
        info = collect(loaded)
    logits = expect["outputs"][0]
    scores = [h for h in heads if h.preferred == logits][0]
    picks = [h for h in heads if h.family == scores.family and h.kind == "picks"][0]
    assert scores.suggested and scores.kind == "scores" and scores.forms[0] == logits
    assert not picks.suggested and picks.forms == ["ArgMax"]
    assert "compares it with the labels" in scores.reason
    assert info["suggested"] == [logits]
    assert [h["preferred"] for h in info["heads"]][:1] == [logits] and info["heads"][0]["suggested"]
    assert set(info["heads"][0]) == set(["name", "preferred", "forms", "kind", "suggested", "reason"])


def test_keep_prob_is_a_scalar_fed_one(built):
    folder, expect = built["keep_prob"]
    with api.load(folder) as loaded:
        found = dict((i.name, i) for i in loaded.analysis.required_inputs(expect["outputs"]))
    assert found["keep_prob"].shape == [] and found["keep_prob"].must_feed and found["keep_prob"].value == 1.0
    assert found["x"].shape == [-1, 6]


def test_verify_feeds_keep_prob_as_a_scalar_one(built, tmp_path):
    folder, expect = built["keep_prob"]
    with api.load(folder) as loaded:
        destination = str(tmp_path / "frozen.pb")
        api.freeze(loaded, api.FreezeRequest(expect["outputs"], destination=destination))
        report = api.verify(loaded, destination, expect["outputs"])
    assert report.passed, report
    assert report.inputs_used["keep_prob"] == ("float32", [])


def test_verify_failure_is_one_line(built, tmp_path):
    folder, expect = built["keep_prob"]
    with api.load(folder) as loaded:
        destination = str(tmp_path / "frozen.pb")
        api.freeze(loaded, api.FreezeRequest(expect["outputs"], destination=destination))
        with pytest.raises(api.ModelError) as caught:
            api.verify(loaded, destination, expect["outputs"], feeds={"x": np.zeros([2, 5], np.float32)})
    message = str(caught.value)
    assert "\n" not in message and "failed" in message, message


def test_the_noisy_tensor_freezes_as_the_input(built, tmp_path):
    """The required input of a denoiser is the noisy tensor: cut there, the frozen graph runs without noise."""
    from tests.tf_runtime import run_frozen
    folder, expect = built["denoiser"]
    destination = str(tmp_path / "frozen.pb")
    with api.load(folder) as loaded:
        cut = [i.name for i in loaded.analysis.required_inputs(expect["outputs"])]
        api.freeze(loaded, api.FreezeRequest(expect["outputs"], destination=destination, input_cuts=cut))
    with open(destination, "rb") as handle:
        data = handle.read()
    noisy = np.random.RandomState(3).rand(2, 8).astype(np.float32)
    first = run_frozen(data, {"noisy": noisy}, expect["outputs"])
    again = run_frozen(data, {"noisy": noisy}, expect["outputs"])
    np.testing.assert_array_equal(first[expect["outputs"][0]], again[expect["outputs"][0]])


def test_missing_variables_are_listed_sorted(built, tmp_path):
    folder, expect = built["gan"]
    other, _ = built["dqn_target"]
    copy = str(tmp_path / "gan")
    shutil.copytree(folder, copy)
    for suffix in (".index", ".data-00000-of-00001"):
        shutil.copy(os.path.join(other, "model.ckpt" + suffix), os.path.join(copy, "model.ckpt" + suffix))
    messages = set()
    for _ in range(2):
        with pytest.raises(api.ModelError) as caught:
            with api.load(copy) as loaded:
                api.plan(loaded, api.FreezeRequest(expect["outputs"]))
        messages.add(str(caught.value))
    assert len(messages) == 1
    message = messages.pop()
    assert "has none of the 4 variables" in message and "gen/g1/bias" in message, message


def test_partly_matching_checkpoint_says_how_many(tmp_path, tf):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        a = tf.Variable(tf.ones([2, 2]), name="a")
        saver = tf.train.Saver()  # made before b: b is never saved
        b = tf.Variable(tf.ones([2]), name="b")
        tf.add(tf.matmul(x, a), b, name="y")
        with tf.Session(graph=graph) as session:
            session.run(tf.global_variables_initializer())
            saver.save(session, str(tmp_path / "model.ckpt"))
    with pytest.raises(api.ModelError) as caught:
        with api.load(str(tmp_path)) as loaded:
            api.plan(loaded, api.FreezeRequest(["y"]))
    message = str(caught.value)
    assert "has 1 of the 2 variables these outputs need; missing: b" in message, message
    assert "another model" not in message


def test_signature_def_decides_outputs_and_inputs(built):
    """A MetaGraphDef with signature_def entries (a SavedModel's): its outputs rank first, its inputs are the
    inputs, over everything the training structure says."""
    from core.analysis.insight import analyze
    from core.formats import protos
    folder, _ = built["metrics_and_bookkeeping"]
    meta = protos.MetaGraphDef()
    with open(os.path.join(folder, "model.ckpt.meta"), "rb") as handle:
        meta.ParseFromString(handle.read())
    signature = meta.signature_def["serving_default"]
    signature.inputs["features"].name = "x:0"
    signature.outputs["hidden"].name = "h/Relu:0"
    analysis = analyze(meta.graph_def, meta)
    top = analysis.candidates[0]
    assert top.name == "h/Relu" and "SavedModel signature 'serving_default'" in top.reasons
    assert analysis.suggested == ["h/Relu"]
    found = analysis.required_inputs(["h/Relu"])
    assert [(i.name, i.dtype, i.shape, i.reason) for i in found] == [
        ("x", "float32", [-1, 6], "SavedModel signature 'serving_default'")]
