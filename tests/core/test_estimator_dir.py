"""Estimator-style model_dirs written at test time: graph.pbtxt + model.ckpt-N + checkpoint, the guard."""

import glob
import os
import shutil

import pytest

from core.analysis.input_pipeline import suggest_cuts
from core.formats import protos
from core.formats.locate import CHECKPOINT, locate
from core.formats.model import open_model
from core.freeze.input_cuts import cut_inputs
from core.freeze.stage import plan_and_write
from tests import format_models
from tests.tf_runtime import assert_close, run_frozen


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return format_models.build_estimator_dir(str(tmp_path_factory.mktemp("estimator")))


def _feeds(spec):
    return dict((k.split(":")[0], v) for k, v in spec.feeds.items())


def _freeze_and_run(folder, spec, tmp_path, **kwargs):
    destination = str(tmp_path / "frozen.pb")
    with open_model(folder, **kwargs) as model:
        edits = cut_inputs(model.graph_def, list(spec.feeds), model.meta_graph, spec.outputs)
        report = plan_and_write(model, spec.outputs, destination, edits=edits)
    with open(destination, "rb") as handle:
        data = handle.read()
    return report, data, run_frozen(data, _feeds(spec), spec.outputs)


def test_newest_checkpoint_with_graph_pbtxt(model_dir):
    assert not glob.glob(os.path.join(model_dir.folder, "*.meta"))
    for path in (model_dir.folder, os.path.join(model_dir.folder, "graph.pbtxt"),
                 os.path.join(model_dir.folder, "checkpoint")):
        location = locate(path)
        assert location.kind == CHECKPOINT
        assert location.prefix == os.path.join(model_dir.folder, "model.ckpt-9")
        assert location.graph_path == os.path.join(model_dir.folder, "graph.pbtxt")
        assert location.meta_path is None


def test_suggested_cuts_are_the_iterator_outputs(model_dir):
    with open_model(model_dir.folder) as model:
        cuts = suggest_cuts(model.graph_def, model.meta_graph)
    assert [(c.name, c.dtype, c.shape) for c in cuts] == [
        ("IteratorGetNext:0", "float32", [-1, 3]), ("IteratorGetNext:1", "int64", [-1])]


def test_freeze_with_cut_and_guard_runs_and_matches(model_dir, tmp_path):
    report, data, values = _freeze_and_run(model_dir.folder, model_dir, tmp_path)
    for output in model_dir.outputs:
        assert_close(values[output], model_dir.expected[output])
    graph = protos.GraphDef()
    graph.ParseFromString(data)
    ops = dict((n.name, n.op) for n in graph.node)
    assert ops["IteratorGetNext"] == "Placeholder"
    assert "IsVariableInitialized" not in ops.values() and "Switch" not in ops.values()
    assert not any(op.startswith(("Iterator", "OneShot", "Batch", "Repeat")) for op in ops.values()
                   if op != "IteratorGetNext")
    assert ops["global_step"] == "Const"
    # the restore ops of graph.pbtxt mapped the variables (no name fallback)
    assert all(v.via_saver for v in _variables(model_dir.folder, model_dir.outputs, model_dir.feeds))


def _variables(folder, outputs, feeds):
    from core.freeze.plan import plan_freeze
    with open_model(folder) as model:
        return plan_freeze(model, outputs, edits=cut_inputs(model.graph_def, list(feeds))).variables


def test_missing_newest_checkpoint_falls_back_to_the_next(model_dir, tmp_path):
    folder = str(tmp_path / "dir")
    shutil.copytree(model_dir.folder, folder)
    for path in glob.glob(os.path.join(folder, "model.ckpt-9.*")):
        os.remove(path)
    location = locate(folder)
    assert location.prefix == os.path.join(folder, "model.ckpt-5")
    assert any("model.ckpt-9" in note for note in location.notes)
    _freeze_and_run(folder, model_dir, tmp_path)  # runs; values differ from step 9


def test_meta_files_are_preferred_when_present(tmp_path):
    spec = format_models.build_estimator_dir(str(tmp_path / "with_meta"), steps=(2, 3), write_meta=True)
    location = locate(spec.folder)
    assert location.meta_path == os.path.join(spec.folder, "model.ckpt-3.meta")
    _, _, values = _freeze_and_run(spec.folder, spec, tmp_path)
    for output in spec.outputs:
        assert_close(values[output], spec.expected[output])


def test_pairing_a_bare_graph_with_a_checkpoint_by_hand(model_dir, tmp_path):
    folder = str(tmp_path / "pair")
    os.makedirs(folder)
    shutil.copy(os.path.join(model_dir.folder, "graph.pbtxt"), os.path.join(folder, "net.pbtxt"))
    for path in glob.glob(os.path.join(model_dir.folder, "model.ckpt-9.*")):
        shutil.copy(path, folder)
    graph = os.path.join(folder, "net.pbtxt")
    with open_model(graph) as model:
        assert model.checkpoint is None
    _, _, values = _freeze_and_run(graph, model_dir, tmp_path,
                                   checkpoint=os.path.join(folder, "model.ckpt-9.index"))
    for output in model_dir.outputs:
        assert_close(values[output], model_dir.expected[output])


def test_verify_restores_a_graph_pbtxt_through_its_saver_ops(model_dir, tmp_path):
    from core.verify.runner import verify
    destination = str(tmp_path / "frozen.pb")
    with open_model(model_dir.folder) as model:
        edits = cut_inputs(model.graph_def, list(model_dir.feeds), model.meta_graph, model_dir.outputs)
        plan_and_write(model, model_dir.outputs, destination, edits=edits)
        report = verify(model, destination, model_dir.outputs, feeds=_feeds(model_dir))
    assert report.passed and len(report.outputs) == 2
