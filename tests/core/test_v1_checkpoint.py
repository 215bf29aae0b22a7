"""V1 checkpoints (TensorSliceWriter tables) written at test time: read, locate, freeze, run."""

import os
import shutil

import numpy as np
import pytest

from core.errors import ModelError
from core.formats.bundle import open_checkpoint
from core.formats.locate import locate
from core.formats.model import open_model
from core.formats.v1_checkpoint import V1CheckpointReader, strip_shard_suffix, v1_files
from core.freeze.stage import plan_and_write
from tests import format_models
from tests.conftest import load_fixture
from tests.tf_runtime import assert_close, run_frozen


@pytest.fixture(scope="module")
def v1_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("v1")
    single = os.path.join(str(folder), "single")
    sharded = os.path.join(str(folder), "sharded")
    os.makedirs(single)
    os.makedirs(sharded)
    return {"single": format_models.build_v1(single), "sharded": format_models.build_v1(sharded, sharded=True)}


def test_single_file_is_one_table_without_index(v1_models):
    spec = v1_models["single"]
    assert v1_files(spec.prefix) == [spec.prefix]
    assert not os.path.exists(spec.prefix + ".index")
    reader = open_checkpoint(spec.prefix)
    assert isinstance(reader, V1CheckpointReader) and reader.version == 1
    assert "embedding" in reader.names()
    entry = reader.entry("embedding")
    assert entry.shape == (10, 3) and entry.partitioned
    assert reader.read("embedding").shape == (10, 3)
    np.testing.assert_array_equal(reader.read("big"), [1, 2 ** 40, -7])
    np.testing.assert_array_equal(reader.read("flags"), [True, False])
    assert list(reader.read("words")) == [b"hello", b"", b"gr\xc3\xbc\xc3\x9f"]
    assert reader.read("w16").dtype == np.float16
    np.testing.assert_array_equal(reader.read("small"), np.array([3, -4, 5], dtype=np.int8))
    assert reader.preview("words", 2) == [u"hello", u""]
    full = reader.read("embedding")
    np.testing.assert_array_equal(reader.read_region("embedding", [4, 0], [3, 3]), full[4:7])
    assert b"".join(reader.iter_bytes("big")) == np.array([1, 2 ** 40, -7], dtype="<i8").tobytes()


def test_sharded_files_are_found_from_prefix_and_state_file(v1_models):
    spec = v1_models["sharded"]
    files = v1_files(spec.prefix)
    assert len(files) == 2 and all("-of-00002" in f for f in files)
    assert strip_shard_suffix(spec.prefix) == os.path.join(spec.folder, "model.ckpt")
    location = locate(spec.folder)
    assert location.prefix == os.path.join(spec.folder, "model.ckpt")
    assert locate(files[1]).prefix == location.prefix
    reader = open_checkpoint(spec.prefix)
    assert reader.data_paths == files
    assert "extra" in reader and "embedding" in reader


@pytest.mark.parametrize("kind", ["single", "sharded"])
def test_freeze_runs_and_matches_the_session(v1_models, tmp_path, kind):
    spec = v1_models[kind]
    destination = str(tmp_path / "frozen.pb")
    with open_model(spec.folder) as model:
        assert model.checkpoint.version == 1
        report = plan_and_write(model, spec.outputs, destination)
    assert report.variables_converted >= 8
    with open(destination, "rb") as handle:
        values = run_frozen(handle.read(), spec.feeds, spec.outputs)
    for output in spec.outputs:
        assert_close(values[output], spec.expected[output])


def test_a_v2_index_under_a_v1_name_is_refused_clearly(tmp_path):
    shutil.copy(load_fixture("mlp").prefix + ".index", str(tmp_path / "model.ckpt"))
    with pytest.raises(ModelError) as info:
        open_checkpoint(str(tmp_path / "model.ckpt"))
    assert "model.ckpt" in str(info.value) and "V1" in str(info.value)


def test_a_missing_slice_is_named(v1_models, tmp_path):
    spec = v1_models["single"]
    reader = open_checkpoint(spec.prefix)
    reader._values = dict((k, v) for k, v in reader._values.items() if b"embedding" not in k)
    with pytest.raises(ModelError) as info:
        reader.read("embedding")
    assert "listed but not stored" in str(info.value)


def test_restore_slice_savers_map_variables_to_other_keys(tmp_path):
    spec = format_models.build_v1_restore_slice(str(tmp_path))
    destination = str(tmp_path / "frozen.pb")
    with open_model(spec.folder) as model:
        assert sorted(model.checkpoint.names()) == ["layer/bias", "layer/weights"]
        assert "RestoreSlice" in [n.op for n in model.graph_def.node]
        report = plan_and_write(model, spec.outputs, destination)
    assert report.variables_converted == 2
    with open(destination, "rb") as handle:
        values = run_frozen(handle.read(), spec.feeds, spec.outputs)
    assert_close(values["y"], spec.expected["y"])
