"""The parsers that meet hostile bytes, branch by branch, each against an independent oracle.

Protobuf's own encoder and parser judge the wire helpers and the NodeDef editor; TensorFlow's
checkpoint writer (SaveV2, SaveSlices) makes the files and its reader says what they hold; cramjam
is the snappy oracle; damage built here is judged by what it is (a count or an offset derived from
the bytes written). Where the operating system must fail (a read error, a file swapped between a
check and an open), the failure is injected into the os/io call and the code under test runs as is.
.ci/run measures these modules' line and branch coverage with this file among the parser tests.
"""

import errno
import importlib
import io
import os
import socket
import stat
import struct
import sys

import numpy as np
import pytest

from core.errors import ModelError
from core.formats import bundle, crc32c, files, protos, snappy, sstable, v1_checkpoint, wire
from core.formats.slice_keys import slice_key
from core.freeze import node_bytes
from core.freeze.node_bytes import RawNode, filter_colocation
from tests import damage
from tests.conftest import copy_fixture, load_fixture
from tests.strict import missing
from tests.tf_runtime import tensorflow, tf1

try:
    import cramjam
except ImportError:  # requirements-dev.txt installs it on both stacks
    cramjam = None


def _tf_reader(prefix):
    tf = tensorflow()
    if hasattr(tf.train, "load_checkpoint"):
        return tf.train.load_checkpoint(prefix)
    return tf.train.NewCheckpointReader(prefix)


def _refused(call, *words):
    with pytest.raises(ModelError) as info:
        call()
    text = str(info.value)
    assert "\n" not in text, text
    for word in words:
        assert word in text, text
    return text


# -- wire ---------------------------------------------------------------------------------------------

def test_varint_and_fixed32_fields_are_the_bytes_protobuf_writes():
    for size in (1, 127, 128, 1 << 40, -1, -(1 << 62)):
        dim = protos.TensorShapeProto().dim.add()
        dim.size = size
        assert wire.varint_field(1, size) == dim.SerializeToString()
    for value in (1, 0xDEADBEEF, 0xFFFFFFFF):
        entry = protos.BundleEntryProto(crc32c=value).SerializeToString()
        assert entry == wire.encode_varint((6 << 3) | wire.FIXED32) + wire.fixed32(value)


def _mixed_tensor_bytes():
    """A TensorProto with a varint, a message, an unpacked double (wire type 1) and a packed field."""
    shape = wire.length_field(2, wire.varint_field(1, 3))
    doubles = b"".join(wire.encode_varint((6 << 3) | wire.FIXED64) + struct.pack("<d", v) for v in (1.5, -2.0))
    return wire.varint_field(1, 2) + wire.length_field(2, shape) + doubles + wire.length_field(7, b"\x01\x02")


def test_iter_fields_finds_the_fields_protobuf_parses():
    data = _mixed_tensor_bytes()
    tensor = protos.TensorProto.FromString(data)
    fields = list(wire.iter_fields(data))
    assert [(n, t) for n, t, _, _, _ in fields] == [(1, 0), (2, 2), (6, 1), (6, 1), (7, 2)]
    doubles = [struct.unpack("<d", data[s:e])[0] for n, _, _, s, e in fields if n == 6]
    assert doubles == list(tensor.double_val) == [1.5, -2.0]
    start, end = fields[1][3], fields[1][4]
    assert protos.TensorShapeProto.FromString(data[start:end]) == tensor.tensor_shape
    assert list(tensor.int_val) == [1, 2]
    inner = list(wire.iter_fields(data, start, end))  # a sub-span: the shape message's own fields
    assert [(n, s - start, e - start) for n, _, _, s, e in inner] == \
        [(n, s, e) for n, _, _, s, e in wire.iter_fields(data[start:end])]
    fixed32 = protos.AttrValue(f=0.5).SerializeToString()
    assert [(n, t) for n, t, _, _, _ in wire.iter_fields(fixed32)] == [(4, wire.FIXED32)]


@pytest.mark.parametrize("raw, words", [
    (wire.encode_varint((3 << 3) | 6) + b"\x00", "unsupported wire type 6"),
    (wire.encode_varint((3 << 3) | 7), "unsupported wire type 7"),
    (wire.encode_varint((3 << 3) | wire.FIXED64) + b"\x00" * 3, "runs past the end"),
    (wire.encode_varint((3 << 3) | wire.LENGTH) + wire.encode_varint(9) + b"ab", "runs past the end"),
    (wire.encode_varint(wire.VARINT) + b"\x01", "runs past the end"),  # field number 0
    (b"\x80" * 11, "bad varint"),
])
def test_iter_fields_refuses_what_protobuf_refuses(raw, words):
    with pytest.raises(ValueError) as info:
        list(wire.iter_fields(raw))
    assert words in str(info.value)
    with pytest.raises(Exception):  # protobuf's DecodeError (its class differs by backend)
        protos.TensorProto.FromString(raw)


def test_groups_are_refused_though_protobuf_keeps_them_as_unknown_fields():
    group = wire.encode_varint((9 << 3) | 3) + wire.encode_varint((9 << 3) | 4)
    assert protos.TensorProto.FromString(group).SerializeToString() == group
    with pytest.raises(ValueError, match="unsupported wire type 3"):
        list(wire.iter_fields(group))


def test_message_spans_of_garbage_name_the_file():
    garbage = wire.encode_varint((2 << 3) | wire.LENGTH) + wire.encode_varint(50) + b"short"
    with pytest.raises(Exception):
        protos.MetaGraphDef.FromString(garbage)
    _refused(lambda: wire.message_spans(garbage, 2, "/some/model.meta", "MetaGraphDef"),
             "/some/model.meta", "not a valid MetaGraphDef", "runs past the end")


# -- snappy ----------------------------------------------------------------------------------------------

@pytest.fixture
def real_snappy():
    if cramjam is None:
        missing("cramjam, the snappy oracle (pip install -r requirements-dev.txt)")
    return cramjam.snappy


def _cramjam_refuses(real, stream):
    try:
        real.decompress_raw(stream)
    except cramjam.DecompressionError:
        return True
    return False


def test_without_cramjam_blocks_decode_in_pure_python(real_snappy, monkeypatch, caplog):
    data = b"kernel/Adam" * 500 + bytes(bytearray(range(256)))
    stream = bytes(real_snappy.compress_raw(data))
    monkeypatch.setitem(sys.modules, "cramjam", None)  # `import cramjam` raises ImportError
    monkeypatch.setattr(snappy, "_FAST", [])
    with caplog.at_level("INFO", logger="core.formats.snappy"):
        assert snappy.decompress(stream) == data
    assert snappy._FAST == [None] and "pure Python" in caplog.text


@pytest.mark.parametrize("stream, words", [
    (wire.encode_varint(100) + bytes([60 << 2]), "literal length runs past the end"),
    (wire.encode_varint(5) + bytes([0]) + b"a" + bytes([1]), "copy runs past the end"),
])
def test_truncated_tags_are_refused_as_cramjam_refuses_them(real_snappy, stream, words):
    assert _cramjam_refuses(real_snappy, stream)
    with pytest.raises(ValueError, match=words):
        snappy.python_decompress(stream)


# -- crc32c -------------------------------------------------------------------------------------------------

def test_a_broken_extension_file_falls_back_to_the_package(monkeypatch, caplog, tmp_path):
    """A `_crc32c*.so` that is not a loadable extension: the package is imported instead, and checksums
    still match RFC 3720's vectors."""
    import importlib.machinery
    import importlib.util
    real_find = importlib.util.find_spec
    folder = tmp_path / "crc32c"
    folder.mkdir()
    (folder / ("_crc32c" + importlib.machinery.EXTENSION_SUFFIXES[0])).write_bytes(b"not an ELF file")

    class Spec(object):
        submodule_search_locations = [str(folder)]
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: Spec() if name == "crc32c" else real_find(name))
    try:
        with caplog.at_level("INFO", logger="core.formats.crc32c"):
            module = importlib.reload(crc32c)
        assert module.SOURCE == "package" and "failed" in caplog.text
        assert module.value(b"\x00" * 32) == 0x8A9136AA and module.value(b"\xff" * 32) == 0x62A8AB43
    finally:
        monkeypatch.undo()
        importlib.reload(crc32c)
    assert crc32c.SOURCE == "extension"


# -- sstable ------------------------------------------------------------------------------------------------

def _table_around(block, block_type=0):
    """A table whose one data block is ``block`` (raw bytes, with the given type byte)."""
    def trailer(contents, kind):
        return contents + bytes([kind]) + struct.pack("<I", crc32c.mask(crc32c.value(contents + bytes([kind]))))
    out = trailer(block, block_type)
    handle = wire.encode_varint(0) + wire.encode_varint(len(block))
    index = damage._block([(b"\xff", handle)])
    index_at = len(out)
    out += trailer(index, 0)
    footer = wire.encode_varint(0) + wire.encode_varint(0) + wire.encode_varint(index_at) + wire.encode_varint(len(index))
    return out + footer + b"\x00" * (40 - len(footer)) + struct.pack("<Q", sstable.MAGIC)


def _restarts(*offsets):
    return b"".join(struct.pack("<I", o) for o in offsets) + struct.pack("<I", len(offsets))


@pytest.mark.parametrize("data, words", [
    (b"\xff" * 40 + struct.pack("<Q", sstable.MAGIC), "bad block handle"),
    (_table_around(damage._block([(b"k", b"v")]), block_type=2), "unknown block type 2"),
    (_table_around(b"\x01\x02"), "shorter than its restart count"),
    (_table_around(struct.pack("<I", 1000)), "bad restart count 1000"),
    (_table_around(wire.encode_varint(5) + wire.encode_varint(1) + wire.encode_varint(0) + b"k" + _restarts(0)),
     "entry out of bounds"),
    (_table_around(wire.encode_varint(0) + wire.encode_varint(1) + wire.encode_varint(40) + b"k" + _restarts(0)),
     "entry out of bounds"),
    (_table_around(b"\x80" * 11 + _restarts(0)), "bad varint"),
])
def test_damaged_tables_are_refused_with_what_is_wrong(data, words):
    _refused(lambda: sstable.parse_table(data, "/x.index"), "/x.index", words)


def test_a_table_of_the_real_writer_reads_as_tensorflow_lists_it():
    prefix = load_fixture("mlp").prefix
    keys = [k for k, _ in sstable.read_table(prefix + ".index") if k]
    assert [k.decode("utf-8") for k in keys] == sorted(_tf_reader(prefix).get_variable_to_shape_map())


def test_is_table_on_special_small_and_failing_files(tmp_path, monkeypatch):
    fixture = load_fixture("mlp")
    assert sstable.is_table(fixture.prefix + ".index")
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    assert not sstable.is_table(fifo)  # and it does not wait for a writer
    small = tmp_path / "small"
    small.write_bytes(b"x" * (sstable.FOOTER_SIZE - 1))
    assert not sstable.is_table(str(small))
    assert not sstable.is_table(fixture.meta)

    def failing_read(*args):
        raise OSError(errno.EIO, "Input/output error")
    real_open = files.open_regular

    def open_then_fail(path):
        handle, size = real_open(path)
        handle.read = failing_read
        return handle, size
    monkeypatch.setattr(sstable, "open_regular", open_then_fail)
    assert not sstable.is_table(fixture.prefix + ".index")


# -- files ---------------------------------------------------------------------------------------------------

def _kinds(tmp_path):
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    sock = str(tmp_path / "sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock)
    server.close()
    return {fifo: "a FIFO (named pipe)", sock: "a socket", str(tmp_path): "a folder", "/dev/null": "a character device"}


def test_every_kind_of_file_is_named_by_its_type(tmp_path):
    for path, words in _kinds(tmp_path).items():
        mode = os.stat(path).st_mode
        assert files.kind_of(mode) == words
        _refused(lambda: files.read_regular(path), path, "is %s, not a regular file" % words)
        assert not files.is_regular(path)
    link = str(tmp_path / "link")
    os.symlink("/dev/null", link)
    assert files.kind_of(os.lstat(link).st_mode) == "not a regular file"
    assert files.kind_of(os.stat(link).st_mode) == "a character device"


def test_missing_dangling_looping_and_nul_paths(tmp_path):
    missing_path = str(tmp_path / "nothing")
    _refused(lambda: files.read_regular(missing_path), missing_path, "no such file")
    dangling = str(tmp_path / "dangling")
    os.symlink(missing_path, dangling)
    _refused(lambda: files.read_regular(dangling), "symbolic link to a file that does not exist")
    loop = str(tmp_path / "loop")
    os.symlink(loop, loop)
    _refused(lambda: files.read_regular(loop), "loop of symbolic links")
    assert not files.is_regular(missing_path) and not files.is_regular("bad\x00path")
    assert files.present(dangling) and files.present(loop) and not files.present(missing_path)
    assert files.mtime(dangling) == os.lstat(dangling).st_mtime
    assert files.mtime(missing_path) == 0.0
    regular = tmp_path / "regular"
    regular.write_bytes(b"12345")
    assert files.is_regular(str(regular)) and files.mtime(str(regular)) == os.stat(str(regular)).st_mtime
    assert files.read_regular(str(regular)) == b"12345"
    _refused(lambda: files.read_regular(str(regular), limit=4, what="state file"), "not a state file (over 4 bytes)")


def _open_count():
    return len(os.listdir("/proc/self/fd"))


def test_a_file_swapped_between_the_check_and_the_open(tmp_path, monkeypatch):
    """Removed, or replaced by a FIFO, after the type check: refused, no descriptor left open."""
    path = str(tmp_path / "model.meta")
    real_open = os.open

    def swap_then_open(kind):
        def call(name, flags, *mode):
            os.remove(name)
            if kind == "fifo":
                os.mkfifo(name)
            return real_open(name, flags, *mode)
        return call
    for kind, words in (("gone", "no such file"), ("fifo", "is a FIFO (named pipe), not a regular file")):
        with open(path, "wb") as handle:
            handle.write(b"graph")
        before = _open_count()
        monkeypatch.setattr(files.os, "open", swap_then_open(kind))
        _refused(lambda: files.open_regular(path), path, words)
        monkeypatch.setattr(files.os, "open", real_open)
        assert _open_count() == before
        if os.path.exists(path):
            os.remove(path)


def test_a_read_error_is_one_line(tmp_path, monkeypatch):
    path = tmp_path / "model.meta"
    path.write_bytes(b"graph")
    real_fdopen = os.fdopen

    class Failing(io.RawIOBase):
        def read(self, size=-1):
            raise OSError(errno.EIO, "Input/output error")

    def fdopen(fd, mode):
        os.close(fd)
        return Failing()
    monkeypatch.setattr(files.os, "fdopen", fdopen)
    _refused(lambda: files.read_regular(str(path)), str(path), "cannot read: Input/output error")
    monkeypatch.setattr(files.os, "fdopen", real_fdopen)


# -- node_bytes: the NodeDef editor, judged by protobuf's own edit -----------------------------------------------

def _node():
    node = protos.NodeDef(name="dense/MatMul", op="MatMul", input=["x", "dense/kernel/read"], device="/gpu:0")
    node.attr["T"].type = 1
    node.attr["transpose_a"].b = False
    node.attr["_class"].list.s.extend([b"loc:@dense/kernel", b"loc:@gone", b"other"])
    return node


def _edited(edit, data=None):
    raw = RawNode(data if data is not None else _node().SerializeToString())
    edit(raw)
    return raw, protos.NodeDef.FromString(raw.to_bytes())


def test_every_edit_equals_protobufs_own_edit():
    expected = _node()
    expected.op = "BatchMatMul"
    assert _edited(lambda r: r.set_op("BatchMatMul"))[1] == expected
    expected = _node()
    expected.ClearField("device")
    raw, node = _edited(lambda r: r.clear_device())
    assert node == expected and raw.changed
    expected = _node()
    del expected.input[:]
    expected.input.extend(["a:1", "^b"])
    assert _edited(lambda r: r.set_inputs(["a:1", "^b"]))[1] == expected
    expected = _node()
    expected.attr["T"].type = 2
    expected.attr["new"].i = 7
    del expected.attr["transpose_a"]
    raw, node = _edited(lambda r: (r.set_attr("T", protos.AttrValue(type=2).SerializeToString()),
                                   r.set_attr("new", protos.AttrValue(i=7).SerializeToString()),
                                   r.set_attr("transpose_a", None)))
    assert node == expected
    expected = _node()
    del expected.attr["transpose_a"]
    assert _edited(lambda r: r.keep_attrs(("T",)))[1] == expected  # "_class" starts with "_": kept
    expected = _node()
    expected.attr["Tparams"].type = 1
    del expected.attr["T"]
    assert _edited(lambda r: r.rename_attr("T", "Tparams"))[1] == expected


def test_an_untouched_node_keeps_its_bytes_and_unknown_fields():
    data = _node().SerializeToString() + wire.varint_field(99, 5)
    raw = RawNode(data)
    raw.clear_device()
    assert raw.to_bytes().endswith(wire.varint_field(99, 5))
    bare = protos.NodeDef(name="n").SerializeToString()
    untouched = RawNode(bare)
    untouched.clear_device()  # no device: nothing changes
    assert not untouched.changed and untouched.to_bytes() == bare and not untouched.has_field(node_bytes.OP)


def test_fields_a_node_lacks_are_added_where_protobuf_expects_them():
    bare = protos.NodeDef(name="n").SerializeToString()
    raw, node = _edited(lambda r: (r.set_op("Identity"), r.set_inputs(["x"])), bare)
    assert node == protos.NodeDef(name="n", op="Identity", input=["x"])
    assert [n for n, _, _, _, _ in wire.iter_fields(raw.to_bytes())] == [1, 2, 3]


def test_colocations_with_pruned_nodes_are_dropped():
    raw = RawNode(_node().SerializeToString())
    assert filter_colocation(raw, {"dense/kernel", "gone"}) == []
    assert not raw.changed
    assert filter_colocation(raw, {"dense/kernel"}) == ["gone"]
    assert list(protos.NodeDef.FromString(raw.to_bytes()).attr["_class"].list.s) == [b"loc:@dense/kernel", b"other"]
    only = protos.NodeDef(name="n", op="Identity")
    only.attr["_class"].list.s.append(b"loc:@gone")
    raw = RawNode(only.SerializeToString())
    assert filter_colocation(raw, set()) == ["gone"]
    assert "_class" not in protos.NodeDef.FromString(raw.to_bytes()).attr
    assert filter_colocation(RawNode(protos.NodeDef(name="n").SerializeToString()), set()) == []


def test_repeated_and_unknown_fields_of_an_attr_entry():
    """The last key and value win, as protobuf's parser takes the last of a repeated singular field;
    an unknown field in the entry is passed over."""
    first, last = protos.AttrValue(i=3).SerializeToString(), protos.AttrValue(i=4).SerializeToString()
    entry = wire.length_field(1, b"j") + wire.length_field(2, first) + wire.length_field(1, b"k") + \
        wire.length_field(2, last)
    data = protos.NodeDef(name="n").SerializeToString() + wire.length_field(5, entry)
    assert dict((k, v.i) for k, v in protos.NodeDef.FromString(data).attr.items()) == {"k": 4}
    assert list(RawNode(data).attr_entries()) == [("k", last)]
    unknown = wire.length_field(5, wire.length_field(1, b"k") + wire.varint_field(3, 1))
    assert list(RawNode(protos.NodeDef(name="n").SerializeToString() + unknown).attr_entries()) == [("k", b"")]


@pytest.mark.parametrize("raw, words", [
    (wire.varint_field(2, 5), "NodeDef field 2 has wire type 0"),
    (wire.length_field(5, wire.varint_field(1, 3)), "attr entry field 1 has wire type 0"),
])
def test_fields_of_the_wrong_wire_type_are_refused(raw, words):
    with pytest.raises(ValueError, match=words):
        RawNode(protos.NodeDef(name="n").SerializeToString() + raw)


# -- bundle: V2 checkpoints --------------------------------------------------------------------------------------

def _save_v2(prefix, tensors, slices=None):
    """TensorFlow's SaveV2 of ``tensors`` (name -> array); ``slices`` name -> [(spec, array)] saves parts."""
    tf = tf1()
    with tf.Graph().as_default(), tf.Session() as session:
        names, specs, values = [], [], []
        for name, value in sorted(tensors.items()):
            names.append(name)
            specs.append("")
            values.append(tf.constant(value))
        for name, parts in sorted((slices or {}).items()):
            for spec, value in parts:
                names.append(name)
                specs.append(spec)
                values.append(tf.constant(value))
        op = tf.raw_ops.SaveV2 if hasattr(tf, "raw_ops") else _gen_io().save_v2
        session.run(op(prefix=prefix, tensor_names=names, shape_and_slices=specs, tensors=values))


def _gen_io():
    from tensorflow.python.ops import gen_io_ops
    return gen_io_ops


def test_full_dimension_slices_read_as_tensorflow_reads_them(tmp_path):
    prefix = str(tmp_path / "parts")
    whole = np.arange(24, dtype=np.float32).reshape(4, 6)
    _save_v2(prefix, {}, {"halves": [("4 6 0,2:-", whole[:2]), ("4 6 2,2:-", whole[2:])]})
    theirs = _tf_reader(prefix)
    with bundle.open_checkpoint(prefix) as reader:
        np.testing.assert_array_equal(reader.read("halves"), theirs.get_tensor("halves"))
        assert reader.entry("halves").partitioned
        assert b"".join(reader.iter_bytes("halves")) == theirs.get_tensor("halves").tobytes()
        np.testing.assert_array_equal(reader.read_region("halves", [1, 1], [2, 3]), whole[1:3, 1:4])


def test_a_sharded_checkpoint_of_tensorflow_reads_as_tensorflow_reads_it(tmp_path):
    tf = tf1()
    prefix = str(tmp_path / "sharded")
    with tf.Graph().as_default():
        with tf.device("/cpu:0"):
            a = tf.Variable(np.arange(3, dtype=np.float32), name="a")
        with tf.device("/cpu:1"):
            b = tf.Variable(np.array([7, 8], dtype=np.int64), name="b")
        saver = tf.train.Saver(sharded=True)
        with tf.Session(config=tf.ConfigProto(device_count={"CPU": 2})) as session:
            session.run(tf.global_variables_initializer())
            saver.save(session, prefix)
    theirs = _tf_reader(prefix)
    with bundle.open_checkpoint(prefix) as reader:
        assert len(reader.data_paths) == 2
        for name in ("a", "b"):
            np.testing.assert_array_equal(reader.read(name), theirs.get_tensor(name))


def _mlp(tmp_path):
    return copy_fixture("mlp", tmp_path)


def _edit(fixture, name, edit):
    damage.edit_entry(fixture.prefix, name, edit)
    return bundle.open_checkpoint(fixture.prefix)


def _setter(**fields):
    def edit(proto):
        for key, value in fields.items():
            setattr(proto, key, value)
    return edit


def test_entries_that_contradict_their_tensor(tmp_path):
    fixture = _mlp(tmp_path)
    index = fixture.prefix + ".index"
    with _edit(fixture, "dense/bias", _setter(dtype=20)) as reader:
        _refused(lambda: reader.read("dense/bias"), index, "resource")
        _refused(lambda: reader.read("no/such/tensor"), index, "has no tensor 'no/such/tensor'")
    with _edit(fixture, "dense/bias", lambda p: setattr(p.shape.dim[0], "size", -3)) as reader:
        _refused(lambda: reader.entry("dense/bias"), index, "negative dimension")
    with _edit(fixture, "dense/kernel", _setter(size=-1)) as reader:  # read() checks the extent itself
        _refused(lambda: reader.read("dense/kernel"), index, "invalid size -1")


def test_slices_beyond_counting_or_rank(tmp_path):
    fixture = _mlp(tmp_path)
    index = fixture.prefix + ".index"

    def many(proto):
        for start in range(bundle.MAX_SLICES + 1):
            extent = proto.slices.add().extent.add()
            extent.start, extent.length = start, 1
    with _edit(fixture, "dense/bias", many) as reader:
        _refused(lambda: reader.entry("dense/bias"), index, "lists %d slices" % (bundle.MAX_SLICES + 1))

    def deep(proto):
        del proto.slices[:]
        part = proto.slices.add()
        for _ in range(len(proto.shape.dim) + 1):
            part.extent.add()
    with _edit(fixture, "dense/bias", deep) as reader:
        _refused(lambda: reader.entry("dense/bias"), index, "has 2 dimensions, the tensor 1")


def test_an_index_with_a_garbled_entry_or_no_header(tmp_path):
    fixture = _mlp(tmp_path)
    index = fixture.prefix + ".index"
    items = [(k, v) for k, v in sstable.read_table(index)]
    with pytest.raises(Exception):
        protos.BundleEntryProto.FromString(b"\x0a\xff")
    with open(index, "wb") as handle:
        handle.write(damage.table_bytes(items[:1] + [(items[1][0], b"\x0a\xff")] + items[2:]))
    _refused(lambda: bundle.open_checkpoint(fixture.prefix), index, "corrupt entry for '%s'" % items[1][0].decode())
    with open(index, "wb") as handle:
        handle.write(damage.table_bytes(items[1:]))
    _refused(lambda: bundle.open_checkpoint(fixture.prefix), index, "no bundle header")


def test_a_shard_truncated_while_it_is_read(tmp_path):
    fixture = _mlp(tmp_path)
    with bundle.open_checkpoint(fixture.prefix) as reader:
        size = reader.entry("dense/kernel").nbytes
        chunks = reader.iter_bytes("dense/kernel", chunk_size=1024)
        assert len(next(chunks)) == 1024
        os.truncate(reader.data_paths[0], reader._proto("dense/kernel").offset + 1024)
        with pytest.raises(ModelError, match="truncated while reading tensor 'dense/kernel'"):
            list(chunks)
    assert size > 1024


def _string_checkpoint(folder, stored, count=1):
    """A one-shard checkpoint whose string tensor `s` (``count`` values) is stored as the bytes ``stored``."""
    prefix = os.path.join(str(folder), "strings")
    with open(prefix + ".data-00000-of-00001", "wb") as handle:
        handle.write(stored)
    entry = protos.BundleEntryProto(dtype=7, size=len(stored), crc32c=damage.masked_crc(stored))
    entry.shape.dim.add().size = count
    damage.write_index(prefix, [(b"", protos.BundleHeaderProto(num_shards=1)), (b"s", entry)])
    return prefix


def _lengths_crc(*lengths):
    return struct.pack("<I", damage.masked_crc(b"".join(struct.pack("<I", n) for n in lengths)))


def test_string_tensors_as_tensorflow_stores_them_and_damaged(tmp_path):
    real = str(tmp_path / "real")
    _save_v2(real, {"s": np.array([b"hi"], dtype=object)})
    with open(real + ".data-00000-of-00001", "rb") as handle:
        assert handle.read() == wire.encode_varint(2) + _lengths_crc(2) + b"hi"  # TF's layout, as read below
    with bundle.open_checkpoint(real) as reader:
        assert list(reader.read("s")) == list(_tf_reader(real).get_tensor("s")) == [b"hi"]
    for stored, words in ((b"\x80\x80\x80", "corrupt string tensor 's'"),
                          (wire.encode_varint(2) + b"\x00\x00\x00\x00" + b"hi", "crc32c mismatch in the lengths"),
                          (wire.encode_varint(2) + _lengths_crc(2) + b"hi!", "length mismatch")):
        folder = tmp_path / str(len(words))
        folder.mkdir()
        with bundle.open_checkpoint(_string_checkpoint(folder, stored)) as reader:
            _refused(lambda: reader.read("s"), "strings.data-00000-of-00001", words)


def test_a_large_tensor_is_previewed_from_its_first_bytes(tmp_path):
    """Over 64 MB: the preview reads count values, not the tensor (a sparse 68 MB shard)."""
    prefix = str(tmp_path / "large")
    count = 17 << 20
    head = np.arange(10, dtype=np.float32)
    data = prefix + ".data-00000-of-00001"
    with open(data, "wb") as handle:
        handle.write(head.tobytes())
    os.truncate(data, count * 4)
    entry = protos.BundleEntryProto(dtype=1, size=count * 4, crc32c=0)
    entry.shape.dim.add().size = count
    damage.write_index(prefix, [(b"", protos.BundleHeaderProto(num_shards=1)), (b"big", entry)])
    with bundle.open_checkpoint(prefix) as reader:
        assert reader.preview("big", 12) == head.tolist() + [0.0, 0.0]


def test_shards_that_cannot_be_listed_or_counted(tmp_path, monkeypatch):
    fixture = _mlp(tmp_path)
    index = fixture.prefix + ".index"
    damage.edit_entry(fixture.prefix, b"", _setter(num_shards=2))
    _refused(lambda: bundle.open_checkpoint(fixture.prefix), index, "says 2 data shards but 0")
    os.rename(fixture.prefix + ".data-00000-of-00001", fixture.prefix + ".data-00000-of-00002")
    _refused(lambda: bundle.open_checkpoint(fixture.prefix), index, "says 2 data shards but 1")

    def unlistable(folder):
        raise OSError(errno.EACCES, "Permission denied", folder)
    monkeypatch.setattr(bundle.os, "listdir", unlistable)
    _refused(lambda: bundle.open_checkpoint(fixture.prefix), index, "says 2 data shards but 0")


def test_open_checkpoint_names_what_is_there(tmp_path):
    plain = tmp_path / "model.ckpt"
    plain.write_bytes(b"not a table")
    _refused(lambda: bundle.open_checkpoint(str(plain)), str(plain), "not a TensorFlow checkpoint")
    _refused(lambda: bundle.open_checkpoint(str(tmp_path / "none")), "no checkpoint here (looked for none.index)")


# -- V1 checkpoints -------------------------------------------------------------------------------------------------

def _save_slices(filename, tensors):
    """TensorFlow's V1 writer (SaveSlices): ``tensors`` is [(name, spec, array)]."""
    tf = tf1()
    with tf.Graph().as_default(), tf.Session() as session:
        names = [n for n, _, _ in tensors]
        specs = [s for _, s, _ in tensors]
        values = [tf.constant(v) for _, _, v in tensors]
        op = tf.raw_ops.SaveSlices if hasattr(tf, "raw_ops") else _gen_io()._save_slices
        session.run(op(filename=filename, tensor_names=names, shapes_and_slices=specs, data=values))


def _rewrite_v1(path, edit):
    """Applies ``edit(items)`` to a V1 table's [(key, value)] and writes it back."""
    items = [(bytes(k), bytes(v)) for k, v in sstable.read_table(path)]
    items = edit(items)
    with open(path, "wb") as handle:
        handle.write(damage.table_bytes(sorted(items)))


def _meta_of(items):
    meta = protos.SavedTensorSlices.FromString(dict(items)[b""])
    return meta


def _with_meta(items, meta):
    return [(k, v) for k, v in items if k] + [(b"", meta.SerializeToString())]


def _restored(path, name, dtype):
    """TensorFlow's own restore (the Restore op, as a V1 saver runs it) of one tensor of a V1 file."""
    tf = tf1()
    with tf.Graph().as_default(), tf.Session() as session:
        op = tf.raw_ops.Restore if hasattr(tf, "raw_ops") else _gen_io()._restore
        return session.run(op(file_pattern=path, tensor_name=name, dt=dtype))


def test_v1_tensors_read_as_tensorflow_restores_them(tmp_path):
    path = str(tmp_path / "model.ckpt")
    w = np.arange(8, dtype=np.float32).reshape(4, 2)
    _save_slices(path, [("w", "4 2 0,2:-", w[:2]), ("w", "4 2 2,2:-", w[2:]), ("n", "", np.array([5, 6], dtype=np.int32))])
    with v1_checkpoint.V1CheckpointReader(path) as reader:
        np.testing.assert_array_equal(reader.read("w"), _restored(path, "w", np.float32))
        np.testing.assert_array_equal(reader.read_region("w", [1, 0], [2, 2]), w[1:3])
        np.testing.assert_array_equal(reader.read_region("w", [2, 0], [2, 2]), w[2:])
        assert reader.preview("n") == _restored(path, "n", np.int32).tolist() == [5, 6]
        _refused(lambda: reader.read("missing"), path, "has no tensor 'missing'")
    _refused(lambda: v1_checkpoint.V1CheckpointReader(str(tmp_path / "nothing")), "no V1 checkpoint here")


def test_a_v1_tensor_its_slices_do_not_cover_is_refused(tmp_path):
    """TensorFlow's reader gives whatever memory held for the part no slice covers: no right value."""
    path = str(tmp_path / "model.ckpt")
    w = np.arange(4, dtype=np.float32).reshape(2, 2)
    _save_slices(path, [("w", "4 2 0,2:-", w)])
    with v1_checkpoint.V1CheckpointReader(path) as reader:
        _refused(lambda: reader.read("w"), path, "do not cover it (4 of 8 elements)")
        _refused(lambda: reader.entry("w"), path, "do not cover it")

    def outside(items):
        meta = _meta_of(items)
        meta.meta.tensor[0].slice[0].extent[0].start = 3
        return _with_meta(items, meta)
    _rewrite_v1(path, outside)
    with v1_checkpoint.V1CheckpointReader(path) as reader:
        _refused(lambda: reader.read("w"), path, "lies outside its shape [4, 2]")


def test_damaged_v1_tables(tmp_path):
    path = str(tmp_path / "model.ckpt")
    _save_slices(path, [("a", "", np.array([1.0, 2.0], dtype=np.float32))])
    with open(path, "rb") as handle:
        clean = handle.read()

    def restore():
        with open(path, "wb") as handle:
            handle.write(clean)
    _rewrite_v1(path, lambda items: [(k, v) for k, v in items if k] + [(b"", b"\x0a\xff")])
    _refused(lambda: v1_checkpoint.V1CheckpointReader(path), path, "corrupt V1 checkpoint metadata")
    restore()
    _rewrite_v1(path, lambda items: [(k, b"\x0a\xff" if k else v) for k, v in items])
    with v1_checkpoint.V1CheckpointReader(path) as reader:
        _refused(lambda: reader.read("a"), path, "corrupt data of tensor 'a'")
    restore()

    def one_value_short(items):
        out = []
        for key, value in items:
            if key:
                message = protos.SavedTensorSlices.FromString(value)
                del message.data.data.float_val[-1]
                value = message.SerializeToString()
            out.append((key, value))
        return out
    _rewrite_v1(path, one_value_short)
    with v1_checkpoint.V1CheckpointReader(path) as reader:
        _refused(lambda: reader.read("a"), path, "holds 1 values in float_val, expected 2")
    restore()

    def resource(items):
        meta = _meta_of(items)
        meta.meta.tensor[0].type = 20
        return _with_meta(items, meta)
    _rewrite_v1(path, resource)
    with v1_checkpoint.V1CheckpointReader(path) as reader:
        _refused(lambda: reader.read("a"), path, "tensor 'a'", "resource")


def test_a_v1_tensor_split_over_two_shards(tmp_path):
    first, second = str(tmp_path / "model.ckpt-00000-of-00002"), str(tmp_path / "model.ckpt-00001-of-00002")
    _save_slices(first, [("a", "4 0,2", np.array([1.0, 2.0], dtype=np.float32))])
    _save_slices(second, [("a", "4 2,2", np.array([3.0, 4.0], dtype=np.float32))])
    with v1_checkpoint.V1CheckpointReader(str(tmp_path / "model.ckpt")) as reader:
        np.testing.assert_array_equal(reader.read("a"), _restored(str(tmp_path / "model.ckpt-?????-of-00002"), "a",
                                                                  np.float32))
        assert reader.read("a").tolist() == [1.0, 2.0, 3.0, 4.0]

    def resource(items):
        meta = _meta_of(items)
        meta.meta.tensor[0].type = 20
        return _with_meta(items, meta)
    _rewrite_v1(first, resource)
    _refused(lambda: v1_checkpoint.V1CheckpointReader(str(tmp_path / "model.ckpt")), second,
             "tensor 'a' has another shape or type")
    _rewrite_v1(second, resource)  # both shards agree now: a resource tensor, which has no values
    with v1_checkpoint.V1CheckpointReader(str(tmp_path / "model.ckpt")) as reader:
        _refused(lambda: reader.read("a"), first, "tensor 'a'", "resource")
    _save_slices(second, [("a", "5 2,2", np.array([3.0, 4.0], dtype=np.float32))])
    _refused(lambda: v1_checkpoint.V1CheckpointReader(str(tmp_path / "model.ckpt")), second,
             "tensor 'a' has another shape or type")
