"""Reading checkpoints without TensorFlow: every dtype, slices, shards, streaming, corruption."""

import os
import shutil

import numpy as np
import pytest

from core.formats import crc32c
from core.formats.bundle import open_checkpoint, slice_key
from core.errors import ModelError
from tests.conftest import FIXTURE_NAMES, load_fixture
from core.formats.sstable import parse_table
from tests.strict import missing
from tests.tf_runtime import tensorflow, tf1 as tf1_api


def _tf_reader(prefix):
    tf = tensorflow()
    if hasattr(tf.train, "load_checkpoint"):
        return tf.train.load_checkpoint(prefix)
    return tf.train.NewCheckpointReader(prefix)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_fixture_tensor_matches_tensorflow(name):
    prefix = load_fixture(name).prefix
    theirs = _tf_reader(prefix)
    with open_checkpoint(prefix) as reader:
        assert reader.names() == sorted(theirs.get_variable_to_shape_map())
        for key in reader.names():
            mine, expected = reader.read(key), theirs.get_tensor(key)
            assert mine.dtype == expected.dtype and mine.shape == expected.shape, key
            np.testing.assert_array_equal(mine, expected, err_msg=key)
            if not reader.entry(key).partitioned:
                assert b"".join(reader.iter_bytes(key, chunk_size=7)) == mine.tobytes()


DTYPES = {
    "f16": np.array([[1.5, -2.25]], dtype=np.float16), "f32": np.arange(6, dtype=np.float32).reshape(2, 3),
    "f64": np.array([np.pi]), "i8": np.array([-128, 127], dtype=np.int8), "i16": np.array([-3], dtype=np.int16),
    "i32": np.array(7, dtype=np.int32), "i64": np.array([2 ** 40], dtype=np.int64),
    "u8": np.array([255], dtype=np.uint8), "u16": np.array([65535], dtype=np.uint16),
    "b": np.array([True, False]), "c64": np.array([1 + 2j], dtype=np.complex64),
    "c128": np.array([3 - 4j], dtype=np.complex128), "empty": np.zeros((0, 4), dtype=np.float32),
    "s": np.array([b"plain", b"", u"gr\u00fc\u00df \u2713".encode("utf-8")], dtype=object),
}


def _save(prefix, tensors):
    tf = tensorflow()
    tf1 = tf.compat.v1 if hasattr(tf, "compat") and hasattr(tf.compat, "v1") else tf
    with tf1.Graph().as_default():
        names = sorted(tensors)
        values = [tf1.constant(tensors[n]) for n in names]
        bf16 = tf1.cast(tf1.constant([1.0, -0.5, 3.0]), tf1.bfloat16)
        if hasattr(tf1, "raw_ops"):
            op = tf1.raw_ops.SaveV2
        else:  # TF 1.x: the generated wrapper of the same kernel
            from tensorflow.python.ops.gen_io_ops import save_v2 as op
        with tf1.Session() as session:
            session.run(op(prefix=prefix, tensor_names=names + ["bf16"], shape_and_slices=[""] * (len(names) + 1),
                           tensors=values + [bf16]))


def test_every_dtype_tensorflow_writes(tmp_path):
    prefix = str(tmp_path / "all")
    _save(prefix, DTYPES)
    theirs = _tf_reader(prefix)
    with open_checkpoint(prefix) as reader:
        for name, value in DTYPES.items():
            mine = reader.read(name)
            assert mine.shape == value.shape, name
            if value.dtype == object:
                assert list(mine.ravel()) == list(value.ravel())
            else:
                assert mine.dtype == value.dtype, name
                np.testing.assert_array_equal(mine, value)
        bits = reader.read("bf16")
        assert bits.dtype == np.uint16
        as_float = (bits.astype(np.uint32) << 16).view(np.float32)
        np.testing.assert_array_equal(as_float, [1.0, -0.5, 3.0])
        assert reader.preview("bf16", 2) == [1.0, -0.5]
        theirs_bf16 = theirs.get_tensor("bf16")
        if theirs_bf16.dtype.kind in "iu":  # TF 1.x hands bfloat16 out as its bit patterns
            np.testing.assert_array_equal(bits, theirs_bf16.astype(np.uint16))
        else:
            np.testing.assert_array_equal(as_float, theirs_bf16.astype(np.float32))
        assert reader.preview("s", 3) == ["plain", "", u"gr\u00fc\u00df \u2713"]


def test_partitioned_slices_and_regions():
    prefix = load_fixture("partitioned").prefix
    with open_checkpoint(prefix) as reader:
        entry = reader.entry("embedding")
        assert entry.partitioned and entry.shape == (30, 8)
        full = reader.read("embedding")
        np.testing.assert_array_equal(reader.read_region("embedding", [10, 0], [10, 8]), full[10:20])
        np.testing.assert_array_equal(reader.read_region("embedding", [5, 2], [3, 4]), full[5:8, 2:6])
        assert not [n for n in reader.names() if n.startswith("\x00")]


# (name, TensorFlow's shape-and-slice spec, the slice's shape, (start, length) per dimension; -1 = all)
SLICES = [("embedding", "30 8 10,10:0,8", (10, 8), [(10, 10), (0, 8)]),
          ("x", "1 71000 -:1000,70000", (1, 70000), [(0, -1), (1000, 70000)]),
          ("y", "8589934600 8589934592,1", (1,), [(8589934592, 1)])]


def test_slice_keys_are_the_ones_tensorflow_writes(tmp_path):
    """TF's own SaveV2 writes each slice under its encoded key: a full dimension (-1), multi-byte and
    five-byte numbers included; slice_key must give exactly those keys."""
    tf1 = tf1_api()
    prefix = str(tmp_path / "slices")
    with tf1.Graph().as_default():
        if hasattr(tf1, "raw_ops"):
            op = tf1.raw_ops.SaveV2
        else:  # TF 1.x: the generated wrapper of the same kernel
            from tensorflow.python.ops.gen_io_ops import save_v2 as op
        tensors = [tf1.zeros(shape, tf1.float32) for _, _, shape, _ in SLICES]
        with tf1.Session() as session:
            session.run(op(prefix=prefix, tensor_names=[s[0] for s in SLICES],
                           shape_and_slices=[s[1] for s in SLICES], tensors=tensors))
    with open(prefix + ".index", "rb") as handle:
        keys = set(key for key, _ in parse_table(handle.read(), prefix + ".index"))
    written = keys - set([b""]) - set(s[0].encode("ascii") for s in SLICES)
    assert written == set(slice_key(name, extents) for name, _, _, extents in SLICES)
    assert slice_key("embedding", [(10, 10), (0, 8)]) == b"\x00embedding\x00\x01\x01\x02\x8a\x8a\x80\x88"


# RFC 3720 (iSCSI) B.4 CRC-32C examples, and the classic check value.
CRC32C_VECTORS = [(b"\x00" * 32, 0x8A9136AA), (b"\xff" * 32, 0x62A8AB43),
                  (bytes(bytearray(range(32))), 0x46DD794E), (bytes(bytearray(range(31, -1, -1))), 0x113FDB5C),
                  (b"123456789", 0xE3069283)]


def _check_crc32c(module):
    for data, expected in CRC32C_VECTORS:
        assert module.value(data) == expected, data
        assert module.python_value(data) == expected, data
    data = bytes(bytearray(range(256))) * 9
    assert module.value(data[100:], module.value(data[:100])) == module.value(data) == module.python_value(data)
    assert module.unmask(module.mask(0xDEADBEEF)) == 0xDEADBEEF


def test_crc32c_fast_path_is_the_pinned_package_extension():
    """requirements.txt pins crc32c; its extension file is loaded directly, and agrees with the package."""
    try:
        import crc32c as package
    except ImportError:
        missing("the crc32c package (pip install -r requirements.txt)")
    assert crc32c.SOURCE == "extension"
    _check_crc32c(crc32c)
    data = os.urandom(4096)
    assert crc32c.value(data) == package.crc32c(data)


@pytest.fixture
def reload_crc32c():
    """Reloads core.formats.crc32c under the test's conditions; the real module is reloaded afterwards."""
    import importlib
    yield lambda: importlib.reload(crc32c)
    importlib.reload(crc32c)


def test_crc32c_without_the_package_computes_in_python_and_warns(monkeypatch, caplog, reload_crc32c):
    import sys
    monkeypatch.setitem(sys.modules, "crc32c", None)  # `import crc32c` raises ImportError
    with caplog.at_level("WARNING", logger="core.formats.crc32c"):
        module = reload_crc32c()
    assert module.SOURCE == "python" and module.value is module.python_value
    assert "pure Python" in caplog.text
    _check_crc32c(module)


def test_crc32c_with_another_package_layout_imports_the_package_and_says_so(monkeypatch, caplog, reload_crc32c):
    import glob
    monkeypatch.setattr(glob, "glob", lambda pattern: [])  # a release that keeps its extension elsewhere
    with caplog.at_level("INFO", logger="core.formats.crc32c"):
        module = reload_crc32c()
    assert module.SOURCE == "package"
    assert "no _crc32c extension file" in caplog.text
    _check_crc32c(module)


def _damaged(tmp_path, damage):
    folder = tmp_path / "ckpt"
    shutil.copytree(load_fixture("mlp").folder, str(folder))
    prefix = str(folder / "model.ckpt")
    damage(prefix)
    return prefix


def _truncate_index(prefix):
    with open(prefix + ".index", "r+b") as handle:
        handle.truncate(20)


def _garble_index(prefix):
    with open(prefix + ".index", "wb") as handle:
        handle.write(b"\x01" * 500)


def _empty_index(prefix):
    with open(prefix + ".index", "wb"):
        pass


@pytest.mark.parametrize("damage, words", [
    (_truncate_index, "truncated"), (_garble_index, "bad magic"), (_empty_index, "truncated"),
])
def test_damaged_index_names_the_file(tmp_path, damage, words):
    prefix = _damaged(tmp_path, damage)
    with pytest.raises(ModelError) as info:
        open_checkpoint(prefix)
    assert prefix + ".index" in str(info.value) and words in str(info.value)


def test_flipped_byte_is_a_crc_error_naming_tensor_and_shard(tmp_path):
    def flip(prefix):
        with open(prefix + ".data-00000-of-00001", "r+b") as handle:
            handle.seek(100)
            byte = handle.read(1)
            handle.seek(100)
            handle.write(bytes(bytearray([byte[0] ^ 1])))
    prefix = _damaged(tmp_path, flip)
    with open_checkpoint(prefix) as reader:
        errors = []
        for name in reader.names():
            try:
                reader.read(name)
            except ModelError as exc:
                errors.append(str(exc))
    assert len(errors) == 1
    assert "crc32c mismatch for tensor" in errors[0] and "data-00000-of-00001" in errors[0]


def test_missing_shard_named_when_needed(tmp_path):
    prefix = _damaged(tmp_path, lambda p: os.remove(p + ".data-00000-of-00001"))
    with open_checkpoint(prefix) as reader:
        with pytest.raises(ModelError) as info:
            reader.read("dense/bias")
    assert "data shard is missing" in str(info.value)
    assert info.value.path.endswith(".data-00000-of-00001")
