"""SavedModels written at test time (v1 builder): tags, signatures, variables, freeze and run."""

import os

import pytest

from core.errors import ModelError
from core.formats.locate import CHECKPOINT, locate
from core.formats.model import open_model
from core.formats.saved_model import asset_notes, assets, init_ops, signatures
from core.formats import protos
from core.freeze.input_cuts import cut_inputs, signature_cuts
from core.freeze.stage import plan_and_write
from core.verify.runner import verify
from tests import format_models
from tests.tf_runtime import assert_close, run_frozen, tf1


@pytest.fixture(scope="module")
def serve_model(tmp_path_factory):
    return format_models.build_saved_model(str(tmp_path_factory.mktemp("serve")))


@pytest.fixture(scope="module")
def tagged_model(tmp_path_factory):
    """Custom tags on the graph with variables, plus a second meta graph tagged 'serve,gpu'."""
    return format_models.build_saved_model(str(tmp_path_factory.mktemp("tagged")), tags=("custom", "train"),
                                           extra_tags=("serve", "gpu"))


def _run(destination, spec, outputs):
    with open(destination, "rb") as handle:
        return run_frozen(handle.read(), spec.feeds, outputs)


def test_folder_and_any_file_locate_the_saved_model(serve_model):
    for path in (serve_model.folder, os.path.join(serve_model.folder, "saved_model.pb"),
                 os.path.join(serve_model.folder, "variables", "variables.index")):
        location = locate(path)
        assert location.kind == CHECKPOINT
        assert location.saved_model_path == os.path.join(serve_model.folder, "saved_model.pb")
        assert location.prefix == os.path.join(serve_model.folder, "variables", "variables")


def test_signature_is_exposed_and_kept_on_the_meta_graph(serve_model):
    with open_model(serve_model.folder) as model:
        assert model.tags == ("serve",)
        found = model.signatures
        assert list(found) == ["predict"]
        predict = found["predict"]
        assert predict.method == "tensorflow/serving/predict"
        assert [(s.key, s.tensor, s.dtype, s.shape) for s in predict.inputs] == [
            ("x", "features:0", "float32", [-1, 4])]
        assert [s.key for s in predict.outputs] == ["classes", "probs"]
        assert predict.output_nodes == ["classes", "probs"]
        assert "predict" in model.meta_graph.signature_def
        assert signature_cuts(model.graph_def, predict) == []
        with pytest.raises(ModelError) as info:
            model.signature("nope")
        assert "predict" in str(info.value)


def test_freezing_the_signature_runs_and_matches(serve_model, tmp_path):
    destination = str(tmp_path / "frozen.pb")
    with open_model(serve_model.folder) as model:
        outputs = model.signature("predict").output_nodes
        report = plan_and_write(model, outputs, destination)
    assert report.variables_converted == 4
    values = _run(destination, serve_model, outputs)
    for output in outputs:
        assert_close(values[output], serve_model.expected[output])


def test_tags_choose_the_meta_graph(tagged_model, tmp_path):
    # 'serve,gpu' is not the single tag 'serve': with two meta graphs the user must choose.
    with pytest.raises(ModelError) as info:
        open_model(tagged_model.folder)
    assert "--tag" in str(info.value) and "custom,train" in str(info.value) and "gpu,serve" in str(info.value)
    with pytest.raises(ModelError) as info:
        open_model(tagged_model.folder, tags="serve")
    assert "no meta graph with tags 'serve'" in str(info.value)
    destination = str(tmp_path / "frozen.pb")
    with open_model(tagged_model.folder, tags="train,custom") as model:
        assert model.tags == ("custom", "train")
        plan_and_write(model, ["probs"], destination)
    assert_close(_run(destination, tagged_model, ["probs"])["probs"], tagged_model.expected["probs"])
    with open_model(tagged_model.folder, tags=["gpu", "serve"]) as model:
        assert model.tags == ("gpu", "serve")


def test_a_cut_at_a_signature_input_that_is_not_a_placeholder(serve_model, tmp_path):
    with open_model(serve_model.folder) as model:
        hidden = [n.name for n in model.graph_def.node if n.name == "hidden/Relu"]
        assert hidden
        edits = cut_inputs(model.graph_def, ["hidden/Relu"], model.meta_graph, ["probs"])
        destination = str(tmp_path / "cut.pb")
        plan_and_write(model, ["probs"], destination, edits=edits)
    graph = protos.GraphDef()
    with open(destination, "rb") as handle:
        graph.ParseFromString(handle.read())
    ops = dict((n.name, n.op) for n in graph.node)
    assert ops["hidden/Relu"] == "Placeholder" and "features" not in ops and "hidden/kernel" not in ops


def test_assets_and_init_ops_are_reported():
    meta = protos.MetaGraphDef()
    const = meta.graph_def.node.add(name="asset_path", op="Const")
    const.attr["value"].tensor.string_val.append(b"/export/assets/vocab.txt")
    meta.collection_def["asset_filepaths"].node_list.value.append("asset_path:0")
    meta.collection_def["legacy_init_op"].node_list.value.append("init_tables")
    found = assets(meta, "/nowhere")
    assert [(a.tensor, a.filename, a.path) for a in found] == [("asset_path:0", "vocab.txt", None)]
    assert init_ops(meta) == ["init_tables"]
    notes = asset_notes(meta, "/nowhere")
    assert "vocab.txt" in notes[0] and "missing" in notes[0] and "init_tables" in notes[1]
    assert signatures(None) == {}


def test_a_damaged_saved_model_is_named(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(b"\x12\xff\xff\xff\x0fnot a proto")
    with pytest.raises(ModelError) as info:
        open_model(str(folder))
    assert "saved_model.pb" in str(info.value) and "SavedModel" in str(info.value)


def test_vocabulary_assets_are_embedded_and_the_init_op_kept(tmp_path):
    spec = format_models.build_saved_model_with_vocab(str(tmp_path))
    with open_model(spec.folder) as model:
        assert [a.filename for a in model.assets] == ["vocab.txt"]
        assert any("init_all_tables" in note for note in model.location.notes)
        # The outputs alone: the freeze keeps the op that fills their table, and says so.
        report = plan_and_write(model, ["ids"], str(tmp_path / "frozen.pb"))
        assert report.outputs == ["ids"]
        assert any("keeps init_all_tables" in note for note in report.notes)
        verified = verify(model, str(tmp_path / "frozen.pb"), ["ids"], feeds=spec.feeds)
    assert verified.passed
    assert any("vocab.txt (3 entries) embedded" in note for note in report.notes)
    tf = tf1()
    graph_def = tf.GraphDef()
    with open(str(tmp_path / "frozen.pb"), "rb") as handle:
        graph_def.ParseFromString(handle.read())
    assert not [n for n in graph_def.node if "TextFile" in n.op]
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(graph_def, name="")
        with tf.Session(graph=graph) as session:
            session.run(graph.get_operation_by_name("init_all_tables"))
            ids = session.run("ids:0", {"words:0": spec.feeds["words"]})
    assert_close(ids, spec.expected["ids"])
