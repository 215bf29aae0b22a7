"""Finding the model behind any path: checkpoint files, state files, folders, graphs."""

import os
import shutil
import time

import pytest

from core.errors import ModelError
from core.formats.locate import CHECKPOINT, GRAPH, META_ONLY, locate
from tests.conftest import copy_fixture, load_fixture


@pytest.fixture
def mlp(tmp_path):
    return copy_fixture("mlp", tmp_path)


@pytest.mark.parametrize("entry", ["folder", "meta", "index", "data", "state", "prefix"])
def test_every_file_of_a_checkpoint_leads_to_it(mlp, entry):
    path = {"folder": mlp.folder, "meta": mlp.meta, "index": mlp.prefix + ".index",
            "data": mlp.prefix + ".data-00000-of-00001",
            "state": os.path.join(mlp.folder, "checkpoint"), "prefix": mlp.prefix}[entry]
    location = locate(path)
    assert location.kind == CHECKPOINT
    assert location.prefix == mlp.prefix
    assert location.meta_path == mlp.meta


def test_state_file_paths_from_another_machine_resolve_beside_it(mlp):
    with open(os.path.join(mlp.folder, "checkpoint")) as handle:
        assert "/data/training-run/" in handle.read()
    location = locate(mlp.folder)
    assert location.prefix == mlp.prefix
    assert any("/data/training-run/mlp/model.ckpt" in note for note in location.notes)


def _add_checkpoint(folder, source_prefix, name):
    for suffix in (".index", ".data-00000-of-00001", ".meta"):
        shutil.copy(source_prefix + suffix, os.path.join(folder, name + suffix))


def test_folder_takes_the_newest_checkpoint_the_state_file_names(mlp):
    _add_checkpoint(mlp.folder, mlp.prefix, "model.ckpt-100")
    _add_checkpoint(mlp.folder, mlp.prefix, "model.ckpt-200")
    with open(os.path.join(mlp.folder, "checkpoint"), "w") as handle:
        handle.write('model_checkpoint_path: "/elsewhere/model.ckpt-200"\n'
                     'all_model_checkpoint_paths: "/elsewhere/model.ckpt-100"\n'
                     'all_model_checkpoint_paths: "/elsewhere/model.ckpt-200"\n')
    assert locate(mlp.folder).prefix == os.path.join(mlp.folder, "model.ckpt-200")


def test_missing_newest_falls_back_to_an_older_one_and_says_so(mlp):
    _add_checkpoint(mlp.folder, mlp.prefix, "model.ckpt-100")
    with open(os.path.join(mlp.folder, "checkpoint"), "w") as handle:
        handle.write('model_checkpoint_path: "C:\\\\runs\\\\model.ckpt-300"\n'
                     'all_model_checkpoint_paths: "C:\\\\runs\\\\model.ckpt-100"\n'
                     'all_model_checkpoint_paths: "C:\\\\runs\\\\model.ckpt-300"\n')
    location = locate(mlp.folder)
    assert location.prefix == os.path.join(mlp.folder, "model.ckpt-100")
    assert any("missing" in note for note in location.notes)


def test_folder_without_state_file_takes_newest_by_time(mlp):
    os.remove(os.path.join(mlp.folder, "checkpoint"))
    _add_checkpoint(mlp.folder, mlp.prefix, "model.ckpt-9")
    future = time.time() + 100
    os.utime(os.path.join(mlp.folder, "model.ckpt-9.index"), (future, future))
    location = locate(mlp.folder)
    assert location.prefix == os.path.join(mlp.folder, "model.ckpt-9")
    assert any("newest" in note for note in location.notes)


def test_meta_alone_can_be_inspected(tmp_path):
    shutil.copy(load_fixture("mlp").meta, str(tmp_path / "graph.meta"))
    location = locate(str(tmp_path / "graph.meta"))
    assert location.kind == META_ONLY
    assert any("not be frozen" in note or "not frozen" in note for note in location.notes)


def test_index_without_its_meta_uses_the_folders_meta(mlp):
    os.rename(mlp.meta, os.path.join(mlp.folder, "model.ckpt-0.meta"))
    location = locate(mlp.prefix + ".index")
    assert location.kind == CHECKPOINT
    assert location.meta_path.endswith("model.ckpt-0.meta")


def test_graph_files(tmp_path):
    reference = load_fixture("mlp").reference
    assert locate(reference).kind == GRAPH
    shutil.copy(reference, str(tmp_path / "frozen.pb"))
    assert locate(str(tmp_path)).graph_path == str(tmp_path / "frozen.pb")


@pytest.mark.parametrize("make, words", [
    (lambda p: p, "no TensorFlow model in this folder"),
    (lambda p: os.path.join(p, "nothing.here"), "no such file"),
    (lambda p: open(os.path.join(p, "notes.txt"), "w").close() or os.path.join(p, "notes.txt"),
     "not a TensorFlow model file"),
])
def test_nothing_usable_names_the_path(tmp_path, make, words):
    path = make(str(tmp_path))
    with pytest.raises(ModelError) as info:
        locate(path)
    assert words in str(info.value)
    assert path in str(info.value)


def test_saved_model_without_variables_is_located_and_a_broken_one_named(tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(b"x")
    location = locate(str(tmp_path))
    assert location.saved_model_path == str(tmp_path / "saved_model.pb") and location.prefix is None
    assert any("no variables" in note for note in location.notes)
    from core.formats.model import open_model
    with pytest.raises(ModelError) as info:
        open_model(str(tmp_path))
    assert "SavedModel" in str(info.value) and "saved_model.pb" in str(info.value)
