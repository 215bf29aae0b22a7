"""Ranking of candidate outputs: the true outputs are the top-k on training, inference and frozen graphs."""

import os

import pytest

from core.formats import protos
from core.analysis.insight import analyze
from core.freeze.stage import plan_and_write
from core.analysis.graph_model import GraphModel
from core.formats.model import open_model
from tests.conftest import FIXTURE_NAMES, load_fixture


def _meta(fixture):
    meta = protos.MetaGraphDef()
    with open(fixture.meta, "rb") as handle:
        meta.ParseFromString(handle.read())
    return meta


def _graph(path):
    graph_def = protos.GraphDef()
    with open(path, "rb") as handle:
        graph_def.ParseFromString(handle.read())
    return graph_def


def pruned(graph_def, outputs):
    """The graph cut down to what the outputs need (an inference-only graph), in graph order."""
    keep = GraphModel(graph_def).ancestors(outputs)
    result = protos.GraphDef()
    result.node.extend(n for n in graph_def.node if n.name in keep)
    if graph_def.HasField("versions"):
        result.versions.CopyFrom(graph_def.versions)
    return result


def assert_top_k(analysis, outputs, what):
    """The true outputs (less those another true output consumes) are exactly the top-k candidates."""
    model = analysis.graph
    exempt = set()
    for output in outputs:
        exempt |= (model.ancestors([output]) - set([output])) & set(outputs)
    needed = [o for o in outputs if o not in exempt]
    names = [c.name for c in analysis.candidates]
    top = names[:len(needed)]
    shown = ["%s %.2f %s" % (c.name, c.score, "; ".join(c.reasons)) for c in analysis.candidates[:len(needed) + 3]]
    assert set(top) == set(needed), "%s: wanted %s on top, got:\n  %s" % (what, needed, "\n  ".join(shown))


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_true_outputs_rank_first_on_training_meta_graph(name):
    fixture = load_fixture(name)
    meta = _meta(fixture)
    assert_top_k(analyze(meta.graph_def, meta), fixture.outputs, name + " meta graph")


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_true_outputs_rank_first_on_inference_only_graph(name):
    fixture = load_fixture(name)
    graph_def = pruned(_meta(fixture).graph_def, fixture.outputs)
    assert_top_k(analyze(graph_def), fixture.outputs, name + " inference graph")


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_true_outputs_rank_first_on_frozen_graph(name, tmp_path):
    fixture = load_fixture(name)
    if fixture.has_reference:
        graph_def = _graph(fixture.reference)
    else:  # TF 1.4 could not freeze it: use our own frozen graph
        destination = os.path.join(str(tmp_path), "frozen.pb")
        with open_model(fixture.folder) as model:
            plan_and_write(model, fixture.outputs, destination)
        graph_def = _graph(destination)
    assert_top_k(analyze(graph_def), fixture.outputs, name + " frozen graph")


def summarize_graph_outputs(graph_def):
    """What TensorFlow's summarize_graph proposes as outputs: every node no other node takes as an input (data
    or control), except Const, Assign, NoOp and Placeholder (tools/graph_transforms/summarize_graph_main.cc)."""
    consumed = set()
    for node in graph_def.node:
        for text in node.input:
            consumed.add(text.lstrip("^").split(":")[0])
    return [n.name for n in graph_def.node
            if n.name not in consumed and n.op not in ("Const", "Assign", "NoOp", "Placeholder")]


def test_summarize_graph_rule_is_beaten_by_far():
    """On the training meta graphs summarize_graph's proposal is the true outputs on none or almost none, and it
    offers several nodes per model; our top k are the true outputs on every one, our suggested set on all but
    one, and no label, loss or optimizer node is ever a candidate."""
    rule_exact, ours_exact, proposed = 0, 0, []
    for name in FIXTURE_NAMES:
        fixture = load_fixture(name)
        meta = _meta(fixture)
        rule = summarize_graph_outputs(meta.graph_def)
        proposed.append(len(rule))
        rule_exact += set(rule) == set(fixture.outputs)
        analysis = analyze(meta.graph_def, meta)
        top = [c.name for c in analysis.candidates[:len(fixture.outputs)]]
        assert set(top) == set(fixture.outputs), name
        ours_exact += set(analysis.suggested) == set(fixture.outputs)
        for candidate in analysis.candidates:
            assert analysis.roles[candidate.name] == "inference", (name, candidate.name)
    assert rule_exact <= 1 and min(proposed) >= 3, (rule_exact, proposed)
    # dtypes' y64 also feeds another output: nothing in the graph says a user fetches it, so it ranks 4th of 4
    # but is not suggested.
    assert ours_exact >= len(FIXTURE_NAMES) - 1, ours_exact


def test_candidates_carry_tail_and_reasons():
    fixture = load_fixture("multi_head")
    meta = _meta(fixture)
    by_name = dict((c.name, c) for c in analyze(meta.graph_def, meta).candidates)
    assert by_name["model/heads/regression/Sigmoid"].tail == "Sigmoid"
    assert by_name["model/heads/embedding/Relu"].tail == "Relu"
    probs = by_name["model/heads/class_probs"]
    assert probs.tail == "Softmax"
    assert probs.op == "Softmax"
    assert any("Softmax" in r for r in probs.reasons)
    assert probs.dtype == "float32"
    assert probs.shape is not None and probs.shape[0] == -1
    mlp = load_fixture("mlp")
    meta = _meta(mlp)
    top = analyze(meta.graph_def, meta).candidates[0]
    assert (top.name, top.tail) == ("output/BiasAdd", "BiasAdd")
    assert "feeds the loss" in top.reasons
    assert "the loss 'sparse_softmax_cross_entropy_loss' compares it with the labels 'labels'" in top.reasons


def test_scores_are_sorted_best_first():
    for name in FIXTURE_NAMES:
        meta = _meta(load_fixture(name))
        scores = [c.score for c in analyze(meta.graph_def, meta).candidates]
        assert scores == sorted(scores, reverse=True), name


# Models built with TensorFlow at test time: the extra shapes of tests/ranking_models.py and the registry
# of tests/tf2_models.py (importing either needs no TensorFlow; building them does, in a child process).
from tests import ranking_models  # noqa: E402
from tests import tf2_models  # noqa: E402

TF2_MODEL_NAMES = list(tf2_models.MODEL_NAMES)


@pytest.fixture(scope="module")
def built_models(tmp_path_factory):
    """Every model of tests/ranking_models.py written once: name -> (meta path, frozen path, outputs)."""
    folder = tmp_path_factory.mktemp("ranking_models")
    index = ranking_models.build_all(str(folder))
    return dict((name, (os.path.join(str(folder), name + ".meta"), os.path.join(str(folder), name + ".frozen.pb"),
                        outputs)) for name, outputs in index.items())


@pytest.mark.parametrize("name", ranking_models.MODEL_NAMES)
def test_true_outputs_rank_first_on_built_models(built_models, name):
    meta_path, frozen_path, outputs = built_models[name]
    meta = protos.MetaGraphDef()
    with open(meta_path, "rb") as handle:
        meta.ParseFromString(handle.read())
    assert_top_k(analyze(meta.graph_def, meta), outputs, name + " meta graph")
    assert_top_k(analyze(pruned(meta.graph_def, outputs)), outputs, name + " inference graph")
    assert_top_k(analyze(_graph(frozen_path)), outputs, name + " frozen graph")


def test_aux_head_ranks_below_main_predictions(built_models):
    meta_path, _, outputs = built_models["slim_inception_aux"]
    meta = protos.MetaGraphDef()
    with open(meta_path, "rb") as handle:
        meta.ParseFromString(handle.read())
    names = [c.name for c in analyze(meta.graph_def, meta).candidates]
    assert names[0] == outputs[0]
    assert "InceptionV3/AuxLogits/SpatialSqueeze" in names
    assert names.index("InceptionV3/AuxLogits/SpatialSqueeze") > 0


def _analyze_meta(meta_path):
    meta = protos.MetaGraphDef()
    with open(meta_path, "rb") as handle:
        meta.ParseFromString(handle.read())
    return analyze(meta.graph_def, meta)


def test_autoencoder_output_is_the_decoder_not_the_bottleneck(built_models):
    meta_path, _, outputs = built_models["autoencoder"]
    analysis = _analyze_meta(meta_path)
    assert analysis.candidates[0].name == "decoder/reconstruction/Sigmoid"
    assert analysis.candidates[0].tail == "Sigmoid"
    assert analysis.suggested == ["decoder/reconstruction/Sigmoid"]  # not the bottleneck the penalty reads
    assert [i.name for i in analysis.inputs] == ["x"]


def test_labels_through_placeholder_with_default_are_training_inputs(built_models):
    meta_path, _, _ = built_models["labels_with_default"]
    analysis = _analyze_meta(meta_path)
    assert analysis.roles["labels"] == "training_input"
    assert [i.name for i in analysis.inputs] == ["x"]


_BUILD_TF2 = """
import json, sys, traceback
from tests import tf2_models as m
result = {}
for name in m.MODEL_NAMES:
    try:
        spec = m.build(name, sys.argv[1])
        result[name] = {"prefix": spec.prefix, "outputs": list(spec.outputs)}
    except Exception:
        result[name] = {"error": traceback.format_exc()}
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def tf2_built(tmp_path_factory):
    """Every model of tests/tf2_models.py built once, in one child process: name -> spec dict."""
    import json
    import subprocess
    import sys
    folder = tmp_path_factory.mktemp("tf2_models")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=root)
    out = subprocess.check_output([sys.executable, "-c", _BUILD_TF2, str(folder)], cwd=root, env=env)
    return json.loads(out.decode("utf-8").strip().splitlines()[-1])


@pytest.mark.parametrize("name", TF2_MODEL_NAMES)
def test_true_outputs_rank_first_on_tf2_models(tf2_built, name, tmp_path):
    spec = tf2_built[name]
    assert "error" not in spec, spec.get("error")
    meta = protos.MetaGraphDef()
    with open(spec["prefix"] + ".meta", "rb") as handle:
        meta.ParseFromString(handle.read())
    assert_top_k(analyze(meta.graph_def, meta), spec["outputs"], name + " meta graph")
    assert_top_k(analyze(pruned(meta.graph_def, spec["outputs"])), spec["outputs"], name + " inference graph")
    destination = os.path.join(str(tmp_path), "frozen.pb")
    with open_model(os.path.dirname(spec["prefix"])) as model:
        plan_and_write(model, spec["outputs"], destination)
    assert_top_k(analyze(_graph(destination)), spec["outputs"], name + " frozen graph")


def test_names_single_out_nothing_when_every_op_is_hand_named(tmp_path):
    """A generated graph names every op by hand (tower_k/block_j/op_i): a name is then no evidence, so the
    candidates are the graph's ends, not its thousands of named nodes, and the prediction ranks first."""
    from core import api
    from tests.synthetic_graphs import write_wide_graph
    path = str(tmp_path / "wide.pb")
    written = write_wide_graph(path, count=3000, const_bytes=1 << 16, fanout=10)
    with api.load(path) as loaded:
        names = [c.name for c in loaded.analysis.candidates]
        assert written > 2900 and names[0] == "probs"
        assert len(names) < 10, names
        assert api.suggested_outputs(loaded) == ["probs"]
