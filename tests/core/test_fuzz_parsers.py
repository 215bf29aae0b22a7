"""Property tests: the table, bundle, graph and node-editing parsers on arbitrary bytes.

Whatever the bytes, each parser returns a result or raises ModelError with one short line
(RawNode, a core helper, raises ValueError, which the freeze turns into ModelError).
Sized to run in a few seconds; tools/fuzz_atheris.py runs the same targets for hours.
"""

import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ModelError, quote
from core.formats import protos
from core.formats.bundle import CheckpointReader
from core.formats.graph_io import load_graph_def, load_meta_graph
from core.formats.sstable import parse_table
from core.formats.wire import encode_varint, iter_fields, length_field
from core.freeze.node_bytes import RawNode
from tests import damage
from tests.conftest import load_fixture

FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _clean(exc):
    text = str(exc)
    assert "\n" not in text and "\r" not in text and len(text) < 1200, text


with open(load_fixture("mlp").prefix + ".index", "rb") as _handle:
    INDEX = _handle.read()
with open(load_fixture("dtypes").meta, "rb") as _handle:
    META = _handle.read()


def _mutated(base):
    """Strategy: ``base`` with a few bytes replaced, or cut, or with bytes inserted."""
    return st.tuples(st.integers(0, len(base) - 1), st.binary(min_size=0, max_size=8),
                     st.integers(0, 8), st.booleans()).map(
        lambda t: base[:t[0]] + t[1] + base[t[0] + (t[2] if t[3] else 0):] if t[3] or t[1]
        else base[:t[0]])


@FAST
@given(st.one_of(st.binary(max_size=200), _mutated(INDEX)))
def test_table_reader_on_arbitrary_bytes(data):
    try:
        items = parse_table(data, "x.index")
    except ModelError as exc:
        _clean(exc)
        return
    keys = [key for key, _ in items]
    assert keys == sorted(set(keys))


@FAST
@given(st.dictionaries(st.binary(max_size=12), st.binary(max_size=40), max_size=20))
def test_table_round_trip(entries):
    items = sorted(entries.items())
    assert parse_table(damage.table_bytes(items), "x.index") == items


_EXTENT = st.tuples(st.integers(-3, 12), st.one_of(st.none(), st.integers(-2, 12)))


@st.composite
def _bundle_entry(draw):
    entry = protos.BundleEntryProto()
    entry.dtype = draw(st.sampled_from([0, 1, 2, 3, 7, 9, 10, 14, 19, 20, 21]))
    for size in draw(st.lists(st.integers(-2, 6), max_size=3)):
        entry.shape.dim.add().size = size
    entry.shard_id = draw(st.integers(-1, 2))
    entry.offset = draw(st.integers(-4, 70))
    entry.size = draw(st.integers(-2, 70))
    entry.crc32c = draw(st.integers(0, (1 << 32) - 1))
    for extents in draw(st.lists(st.lists(_EXTENT, max_size=3), max_size=3)):
        part = entry.slices.add()
        for start, length in extents:
            extent = part.extent.add()
            extent.start = start
            if length is not None:
                extent.length = length
    return entry


@FAST
@given(st.lists(st.tuples(st.sampled_from([u"a", u"b", u"a/b", u"\u00e9"]), _bundle_entry()), max_size=4),
       st.integers(-1, 3), st.binary(max_size=64), st.booleans())
def test_bundle_reader_on_arbitrary_entries(entries, num_shards, data, slice_keys):
    header = protos.BundleHeaderProto()
    header.num_shards = num_shards
    items = {b"": header.SerializeToString()}
    from core.formats.bundle import _extents, slice_key
    for name, entry in entries:
        items[name.encode("utf-8")] = entry.SerializeToString()
        if slice_keys:  # store every slice the entry lists, pointing at the same bytes
            shape = [d.size for d in entry.shape.dim]
            for part in entry.slices:
                stored = protos.BundleEntryProto()
                stored.CopyFrom(entry)
                del stored.slices[:]
                items[slice_key(name, _extents(part, shape))] = stored.SerializeToString()
    folder = tempfile.mkdtemp()
    prefix = os.path.join(folder, "model.ckpt")
    with open(prefix + ".index", "wb") as handle:
        handle.write(damage.table_bytes(sorted(items.items())))
    with open(damage.data_path(prefix), "wb") as handle:
        handle.write(data)
    try:
        with CheckpointReader(prefix) as reader:
            for name in reader.names():
                for call in (reader.entry, reader.read, lambda n: b"".join(reader.iter_bytes(n)),
                             reader.preview):
                    try:
                        call(name)
                    except ModelError as exc:
                        _clean(exc)
    except ModelError as exc:
        _clean(exc)
    finally:
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)


def _load(loader, data, suffix):
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "graph" + suffix)
    with open(path, "wb") as handle:
        handle.write(data)
    try:
        loaded = loader(path)
        names = [n.name for n in loaded.graph_def.node]
        assert len(names) == len(set(names))
        assert len(loaded.node_bytes()) == len(names)
    except ModelError as exc:
        _clean(exc)
    finally:
        os.remove(path)
        os.rmdir(folder)


@FAST
@given(st.one_of(st.binary(max_size=300), _mutated(META)))
def test_binary_graph_loading(data):
    _load(load_meta_graph, data, ".meta")
    _load(load_graph_def, data, ".pb")


_TEXT = st.lists(st.sampled_from(["graph_def", "node", "{", "}", "name:", "op:", "input:", "'x'", "'y'",
                                  "\"\\n\"", "attr", "key:", "value", "f:", "i:", "1e999", "-99999999999999999999",
                                  "versions", "producer:", "<", ">", "\xff", "#", "\n"]), max_size=40)


@FAST
@given(_TEXT)
def test_text_graph_loading(tokens):
    data = " ".join(tokens).encode("utf-8", "surrogateescape")
    _load(load_meta_graph, data, ".meta")
    _load(load_graph_def, data, ".pbtxt")


@st.composite
def _node(draw):
    node = protos.NodeDef()
    node.name = draw(st.text(min_size=1, max_size=8))
    node.op = draw(st.sampled_from(["Const", "Identity", "Assign", "RefSwitch"]))
    node.input.extend(draw(st.lists(st.text(min_size=1, max_size=6), max_size=3)))
    node.device = draw(st.sampled_from(["", "/gpu:0"]))
    for key in draw(st.lists(st.sampled_from(["T", "_class", "dtype", "x"]), max_size=3, unique=True)):
        if key == "_class":
            node.attr[key].list.s.extend(draw(st.lists(st.sampled_from([b"loc:@a", b"loc:@b", b"z"]), max_size=3)))
        else:
            node.attr[key].type = draw(st.integers(1, 20))
    return node


@FAST
@given(_node(), st.text(max_size=6), st.lists(st.text(min_size=1, max_size=6), max_size=3))
def test_node_editing_keeps_every_other_field(node, op, inputs):
    data = node.SerializeToString()
    raw = RawNode(data)
    assert raw.to_bytes() == data
    raw.set_op(op)
    raw.set_inputs(inputs)
    raw.clear_device()
    raw.keep_attrs(("T",))
    edited = protos.NodeDef.FromString(raw.to_bytes())
    assert (edited.name, edited.op, list(edited.input), edited.device) == (node.name, op, inputs, "")
    assert set(edited.attr) == set(k for k in node.attr if k == "T" or k.startswith("_"))
    for key in edited.attr:
        assert edited.attr[key] == node.attr[key]


@FAST
@given(st.one_of(st.binary(max_size=80), _node().map(lambda n: n.SerializeToString()).flatmap(_mutated)))
def test_node_editing_on_arbitrary_bytes(data):
    try:
        raw = RawNode(data)
        raw.set_op("Identity")
        raw.set_attr("T", protos.AttrValue(type=1).SerializeToString())
    except ValueError:
        return
    list(iter_fields(raw.to_bytes()))


@FAST
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)), st.integers(1, 200))
def test_quote_is_one_bounded_line(text, limit):
    quoted = quote(text, limit)
    assert "\n" not in quoted and "\r" not in quoted and "\u2028" not in quoted
    assert len(quoted) <= 4 * limit + 5
    _clean(ModelError("bad %s" % quoted, "/x"))


def test_wire_helpers_agree_with_protobuf():
    node = protos.NodeDef(name="n", op="Const")
    assert length_field(1, b"n") + length_field(2, b"Const") == node.SerializeToString()
    assert encode_varint(300) == b"\xac\x02"


@pytest.mark.parametrize("data", [b"\x0a", b"\x0a\x05ab", b"\x0b\x0c", b"\x08" + b"\xff" * 11])
def test_node_editing_refuses_garbage(data):
    with pytest.raises(ValueError):
        RawNode(data).set_op("X")
