"""One regression test per class of hostile or damaged input: each ends in one clean ModelError line."""

import os
import resource
import time

import pytest

from core.errors import ModelError, quote
from core.formats import protos
from core.formats.bundle import _extents, open_checkpoint, slice_key
from core.formats.graph_io import load_graph_def, load_meta_graph
from core.formats.model import open_model
from core.formats.saver_map import variable_sources
from core.formats.wire import encode_varint, length_field
from core.freeze.stage import plan_and_write
from core.freeze.writer import temporary_name
from tests import damage
from tests.sigterm import assert_sigterm_leaves_nothing
from tests.conftest import copy_fixture, load_fixture
from tests.tf_runtime import assert_close, run_frozen


def _one_line_error(call, *words):
    with pytest.raises(ModelError) as info:
        call()
    text = str(info.value)
    assert "\n" not in text and "\r" not in text and len(text) < 1000, text
    for word in words:
        assert word in text, text
    return text


def _freeze_error(fixture, tmp_path, *words):
    destination = str(tmp_path / "out.pb")

    def run():
        with open_model(fixture.folder) as model:
            plan_and_write(model, fixture.outputs, destination)
    text = _one_line_error(run, *words)
    assert not os.path.exists(destination)
    assert not [n for n in os.listdir(str(tmp_path)) if n.endswith(".tmp")]
    return text


# -- 1. partitioned variables: slices must tile the tensor exactly -----------------------------

def _reslice(prefix, name, index, start):
    """Moves slice ``index`` of ``name`` to ``start`` on dimension 0 (its stored key follows)."""
    entries = damage.read_index(prefix)
    full = dict(entries)[name.encode("utf-8")]
    shape = [d.size for d in full.shape.dim]
    old_key = slice_key(name, _extents(full.slices[index], shape))
    full.slices[index].extent[0].start = start
    new_key = slice_key(name, _extents(full.slices[index], shape))
    entries = [(new_key if key == old_key else key, proto) for key, proto in entries]
    damage.write_index(prefix, entries)


@pytest.mark.parametrize("start, words", [(5, "overlapping slices"), (25, "outside its shape")])
def test_partition_slices_overlapping_or_outside(tmp_path, start, words):
    fixture = copy_fixture("partitioned", tmp_path)
    _reslice(fixture.prefix, "embedding", 0, start)
    _freeze_error(fixture, tmp_path, words, "embedding")


def test_partition_slices_leaving_a_gap(tmp_path):
    fixture = copy_fixture("partitioned", tmp_path)
    damage.edit_entry(fixture.prefix, "embedding", lambda p: p.slices.__delitem__(2))
    _freeze_error(fixture, tmp_path, "do not cover", "embedding")
    with open_checkpoint(fixture.prefix) as reader:
        _one_line_error(lambda: reader.read("embedding"), "do not cover")


# -- 2, 3, 7e. entry sizes and offsets ------------------------------------------------------------

def _set(field, value):
    return lambda proto: setattr(proto, field, value)


@pytest.mark.parametrize("field, value, words", [
    ("size", -1, "invalid size"), ("offset", -8, "offset"), ("shard_id", 3, "shard 3"),
    ("size", 1 << 40, "expected"),
])
def test_bad_size_offset_or_shard(tmp_path, field, value, words):
    fixture = copy_fixture("mlp", tmp_path)
    damage.edit_entry(fixture.prefix, "dense/kernel", _set(field, value))
    _freeze_error(fixture, tmp_path, words)


def test_size_disagreeing_with_shape_with_a_matching_checksum(tmp_path):
    """Both the streamed write path and the in-memory read refuse it."""
    fixture = copy_fixture("mlp", tmp_path)

    def shorten(proto):
        proto.size -= 4
        proto.crc32c = damage.masked_crc(damage.stored_bytes(fixture.prefix, proto))
    damage.edit_entry(fixture.prefix, "dense/kernel", shorten)
    _freeze_error(fixture, tmp_path, "dense/kernel", "expected")
    with open_checkpoint(fixture.prefix) as reader:
        _one_line_error(lambda: reader.read("dense/kernel"), "expected")
        _one_line_error(lambda: b"".join(reader.iter_bytes("dense/kernel")), "expected")


# -- 4. duplicate node names ----------------------------------------------------------------------

def _const(name, value=1.0):
    node = protos.NodeDef()
    node.name, node.op = name, "Const"
    node.attr["dtype"].type = 1
    node.attr["value"].tensor.dtype = 1
    node.attr["value"].tensor.float_val.append(value)
    return node


def _write_graph(path, nodes, raw_tail=b""):
    graph = protos.GraphDef()
    graph.node.extend(nodes)
    with open(path, "wb") as handle:
        handle.write(graph.SerializeToString() + raw_tail)
    return path


def test_duplicate_node_names(tmp_path):
    path = _write_graph(str(tmp_path / "g.pb"), [_const("a", 1.0), _const("a", 2.0)])
    _one_line_error(lambda: load_graph_def(path), "'a'", "not unique")


# -- 5. a huge shard count -------------------------------------------------------------------------

def test_huge_num_shards_fails_fast(tmp_path):
    fixture = copy_fixture("mlp", tmp_path)
    damage.edit_entry(fixture.prefix, b"", _set("num_shards", (1 << 31) - 1))
    started = time.time()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _one_line_error(lambda: open_checkpoint(fixture.prefix), "2147483647 data shards")
    assert time.time() - started < 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024


# -- 6. a cycle on a variable's restore path --------------------------------------------------------

def test_identity_cycle_on_the_restore_path_ends():
    graph = protos.GraphDef()
    var = graph.node.add(name="v", op="VariableV2")
    var.attr["dtype"].type = 1
    graph.node.add(name="i1", op="Identity", input=["i2"])
    graph.node.add(name="i2", op="Identity", input=["i1"])
    graph.node.add(name="assign", op="Assign", input=["v", "i1"])
    assert variable_sources(graph) == {}


# -- 7. what used to be internal errors ---------------------------------------------------------------

def test_non_utf8_tensor_name(tmp_path):
    fixture = copy_fixture("mlp", tmp_path)
    entries = damage.read_index(fixture.prefix)
    entries.append((b"\xff\xfebad", entries[1][1]))
    damage.write_index(fixture.prefix, entries)
    _one_line_error(lambda: open_checkpoint(fixture.prefix), "not UTF-8", "\\xff")


def test_unsorted_table_keys(tmp_path):
    fixture = copy_fixture("mlp", tmp_path)
    entries = damage.read_index(fixture.prefix)
    damage.write_index(fixture.prefix, [entries[0], entries[2], entries[1]] + entries[3:], sort=False)
    _one_line_error(lambda: open_checkpoint(fixture.prefix), "out of order")


@pytest.mark.parametrize("text, words", [
    ("graph_def { node { name: 'x' op: 'C' attr { key: 'a' value { "
     + "func { attr { key: 'a' value { " * 100000, "nested too deeply"),
    ("graph_def { versions { producer: 99999999999999999999999 } }", "out of range"),
    ("graph_def { node { name: 'x' op: 'Const' attr { key: 'v' value { f: 1e99999 } } } }", ""),
])
def test_text_meta_nesting_and_numbers(tmp_path, text, words):
    path = str(tmp_path / "model.meta")
    with open(path, "w") as handle:
        handle.write(text)
    if words:
        _one_line_error(lambda: load_meta_graph(path), words)
    else:  # a float out of range is infinity, as in TensorFlow's own text parser
        assert load_meta_graph(path).graph_def.node[0].attr["v"].f == float("inf")


def test_one_huge_token_text_meta_fails_fast(tmp_path):
    path = str(tmp_path / "model.meta")
    with open(path, "wb") as handle:
        handle.write(b"graph_def" + b"a" * (24 << 20))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    text = _one_line_error(lambda: load_meta_graph(path), "token of more than")
    assert len(text) < 400
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024


@pytest.mark.parametrize("raw", [
    encode_varint((5 << 3) | 0) + encode_varint(7),         # attr as a varint
    encode_varint((9 << 3) | 3) + encode_varint((9 << 3) | 4),  # a group field
])
def test_node_with_wrong_wire_type_or_group_needing_an_edit(tmp_path, raw):
    node = _const("y")
    node.device = "/gpu:0"  # the freeze clears it, so the node's bytes are parsed and edited
    graph = protos.GraphDef()
    data = length_field(1, node.SerializeToString() + raw)
    path = str(tmp_path / "g.pb")
    with open(path, "wb") as handle:
        handle.write(graph.SerializeToString() + data)
    with open_model(path) as model:
        _one_line_error(lambda: plan_and_write(model, ["y"], str(tmp_path / "out.pb")), "'y'", "not a valid NodeDef")


def test_saver_region_outside_the_tensor(tmp_path):
    fixture = copy_fixture("partitioned", tmp_path)
    with open_checkpoint(fixture.prefix) as reader:
        _one_line_error(lambda: reader.read_region("embedding", [28, 0], [10, 8]), "outside its shape")


# -- 8. file-supplied strings in messages --------------------------------------------------------------

def test_control_characters_in_names_stay_on_one_line(tmp_path):
    node = _const("bad\nname\x1b[31m")
    node.input.append("missing\r\nsecond line")
    path = _write_graph(str(tmp_path / "g.pb"), [node])
    text = _one_line_error(lambda: load_graph_def(path), "\\n", "\\x1b")
    assert "\x1b" not in text


def test_quote_escapes_and_truncates():
    assert quote("plain") == "'plain'"
    assert quote("a'b\\c\n") == "'a\\'b\\\\c\\n'"
    assert quote("x" * 500, limit=10) == "'" + "x" * 10 + "'..."
    assert quote(b"\xff\xfe") == "'\\\\xff\\\\xfe'"
    assert "\n" not in str(ModelError("two\nlines", "/some\npath"))


# -- 9, 10, 11. the writer ----------------------------------------------------------------------------

_SLOW_FREEZE = r'''
import os, sys, time
sys.path.insert(0, %(root)r)
from core.formats.model import open_model
from core.freeze.stage import plan_and_write
def progress(done, total, message):
    sys.stdout.write("writing\n"); sys.stdout.flush(); time.sleep(60)
with open_model(%(folder)r) as model:
    plan_and_write(model, %(outputs)r, %(destination)r, progress=progress)
'''


def test_sigterm_during_a_freeze_leaves_no_temporary_file(tmp_path):
    assert_sigterm_leaves_nothing(tmp_path, _SLOW_FREEZE)


def test_longest_destination_name_fits(tmp_path):
    fixture = load_fixture("mlp")
    destination = str(tmp_path / ("n" * 252 + ".pb"))
    assert len(os.path.basename(temporary_name(destination)).encode("utf-8")) <= 255
    with open_model(fixture.folder) as model:
        plan_and_write(model, fixture.outputs, destination)
    with open(destination, "rb") as handle:
        values = run_frozen(handle.read(), fixture.feeds, fixture.outputs)
    for name in fixture.outputs:
        assert_close(values[name], fixture.expected[name])
    multibyte = str(tmp_path / (u"\u00e9" * 126 + ".pb"))
    assert len(os.path.basename(temporary_name(multibyte)).encode("utf-8")) <= 255


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_frozen_graph_gets_the_umask_permissions(tmp_path, umask, mode):
    fixture = load_fixture("dtypes")
    destination = str(tmp_path / "frozen.pb")
    old = os.umask(umask)
    try:
        with open_model(fixture.folder) as model:
            plan_and_write(model, fixture.outputs, destination)
    finally:
        os.umask(old)
    assert os.stat(destination).st_mode & 0o777 == mode
    os.chmod(destination, 0o640)
    with open_model(fixture.folder) as model:
        plan_and_write(model, fixture.outputs, destination)
    assert os.stat(destination).st_mode & 0o777 == 0o640


# -- graphs TensorFlow would refuse to load: cycles, unlisted ops, bad shapes and Consts -----------------

def _edit_meta(fixture, edit):
    meta = protos.MetaGraphDef()
    with open(fixture.meta, "rb") as handle:
        meta.ParseFromString(handle.read())
    edit(dict((n.name, n) for n in meta.graph_def.node))
    with open(fixture.meta, "wb") as handle:
        handle.write(meta.SerializeToString())


def _self_loop(nodes):
    nodes["dense/kernel/read"].input[0] = "dense/kernel/read"


def _unknown_op(nodes):
    nodes["dense/MatMul"].op = "MatMul\nx"


def _bad_output_shape(nodes):
    nodes["dense/MatMul"].attr["_output_shapes"].list.shape[0].dim[0].size = -(1 << 40)


@pytest.mark.parametrize("edit, words", [
    (_self_loop, "form a cycle"), (_unknown_op, "op list"), (_bad_output_shape, "invalid dimension"),
])
def test_graph_tensorflow_would_refuse(tmp_path, edit, words):
    fixture = copy_fixture("mlp", tmp_path)
    _edit_meta(fixture, edit)
    _freeze_error(fixture, tmp_path, words)


def test_const_whose_bytes_disagree_with_its_shape(tmp_path):
    graph = protos.GraphDef()
    node = graph.node.add(name="c", op="Const")
    node.attr["dtype"].type = 1
    node.attr["value"].tensor.dtype = 1
    node.attr["value"].tensor.tensor_shape.dim.add().size = 3
    node.attr["value"].tensor.tensor_content = b"\x00" * 8
    path = str(tmp_path / "g.pb")
    with open(path, "wb") as handle:
        handle.write(graph.SerializeToString())
    with open_model(path) as model:
        _one_line_error(lambda: plan_and_write(model, ["c"], str(tmp_path / "out.pb")), "8 bytes of tensor data")


def test_while_loop_back_edges_are_not_cycles(tmp_path):
    fixture = load_fixture("lstm")
    with open_model(fixture.folder) as model:
        plan_and_write(model, fixture.outputs, str(tmp_path / "out.pb"))
    with open(str(tmp_path / "out.pb"), "rb") as handle:
        values = run_frozen(handle.read(), fixture.feeds, fixture.outputs)
    for name in fixture.outputs:
        assert_close(values[name], fixture.expected[name])


def test_nodes_out_of_order_are_not_a_cycle(tmp_path):
    fixture = copy_fixture("mlp", tmp_path)
    meta = protos.MetaGraphDef()
    with open(fixture.meta, "rb") as handle:
        meta.ParseFromString(handle.read())
    nodes = list(meta.graph_def.node)[::-1]
    del meta.graph_def.node[:]
    meta.graph_def.node.extend(nodes)
    with open(fixture.meta, "wb") as handle:
        handle.write(meta.SerializeToString())
    destination = str(tmp_path / "out.pb")
    with open_model(fixture.folder) as model:
        plan_and_write(model, fixture.outputs, destination)
    with open(destination, "rb") as handle:
        values = run_frozen(handle.read(), fixture.feeds, fixture.outputs)
    assert_close(values[fixture.outputs[0]], fixture.expected[fixture.outputs[0]])


def test_damaged_or_huge_state_file(tmp_path):
    from core.formats.locate import MAX_STATE_FILE, read_state_file
    fixture = copy_fixture("mlp", tmp_path)
    state = os.path.join(fixture.folder, "checkpoint")
    with open(state, "wb") as handle:
        handle.write(b"model_checkpoint_path: \"\xff\n" + b"{" * 5000)
    _one_line_error(lambda: read_state_file(state), "not a checkpoint state file")
    with open_model(fixture.folder) as model:  # the folder is scanned instead
        assert model.checkpoint is not None
    with open(state, "wb") as handle:
        handle.write(b"#" * (MAX_STATE_FILE + 1))
    _one_line_error(lambda: read_state_file(state), "over")


def test_const_whose_value_type_disagrees_with_its_dtype(tmp_path):
    node = _const("c")
    node.attr["value"].tensor.dtype = 3
    path = _write_graph(str(tmp_path / "g.pb"), [node])
    with open_model(path) as model:
        _one_line_error(lambda: plan_and_write(model, ["c"], str(tmp_path / "out.pb")), "'c'",
                        "declared float32 but its value tensor is int32")
