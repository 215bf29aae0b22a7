"""The bad-input and hostile cases as data (Netron's test/models.json idea), run by tests/test_cases.py.

Each Case names what it starts from (a fixture copy it damages, or a builder writing files; or a
structured mutation of the campaign, tests/structured_mutators.py, which brings its own arguments),
the command line it runs (`main.py freeze|inspect PATH ...`), and what must come out:
  - ``error``: exit 1, one `error: ` line naming ``names`` and containing every word of ``error``,
    nothing written, the input files unchanged;
  - ``frozen``: exit 0 and a `.pb` whose outputs equal what TensorFlow computes from the SAME files
    (tests/tf_oracle.py); when TensorFlow refuses those files the case fails;
  - ``either`` (seeded mutations): one of the two, and refused whenever TensorFlow refuses (or the
    mutation requires a refusal: a FIFO where a model file should be, an -o that is no regular file).
``reads`` adds checks on the checkpoint reader itself: (method, args, words) each raising one line.
"""

import os
import random

from core.formats import protos
from core.formats.bundle import _extents, slice_key
from core.formats.wire import encode_varint, length_field
from tests import damage

DATA = "model.ckpt.data-00000-of-00001"
INDEX = "model.ckpt.index"
META = "model.ckpt.meta"


class Target(object):
    """What a builder made: the path to open, the outputs, the feeds and the file TF is asked about."""

    def __init__(self, path, outputs, feeds=None, oracle=None, prefix=None):
        self.path = path
        self.outputs = list(outputs)
        self.feeds = dict(feeds or {})
        self.oracle = oracle or path
        self.prefix = prefix


class Case(object):
    """One row of the table (see the module docstring)."""

    def __init__(self, name, fixture=None, damage=None, build=None, entry=None, command="freeze", args=(),
                 destination=None, error=None, names=None, frozen=False, either=False, reads=(), mutate=None):
        self.name = name
        self.fixture = fixture
        self.damage = damage
        self.build = build
        self.entry = entry
        self.command = command
        self.args = tuple(args)
        self.destination = destination
        self.error = tuple(error or ())
        self.names = names
        self.frozen = frozen
        self.either = either
        self.reads = tuple(reads)
        self.mutate = mutate  # callable(Subject) -> structured_mutators.Mutation: its arguments and judge
        assert frozen or either or (self.error and all(self.error) and names), name

    def __repr__(self):
        return self.name


def _in(name, call):
    """A damage applied to the file ``name`` of the fixture folder."""
    return lambda fixture: call(os.path.join(fixture.folder, name))


def _entry(name, edit):
    return lambda fixture: damage.edit_entry(fixture.prefix, name, edit)


def _set(field, value):
    return lambda proto: setattr(proto, field, value)


def _meta(edit):
    return lambda fixture: damage.edit_meta(fixture.meta, lambda meta: edit(damage.nodes_of(meta)))


# -- checkpoint index edits ------------------------------------------------------------------

def _reslice(index, start):
    """Moves slice ``index`` of the partitioned `embedding` to ``start`` on dimension 0 (its key follows)."""
    def run(fixture):
        entries = damage.read_index(fixture.prefix)
        full = dict(entries)[b"embedding"]
        shape = [d.size for d in full.shape.dim]
        old_key = slice_key("embedding", _extents(full.slices[index], shape))
        full.slices[index].extent[0].start = start
        new_key = slice_key("embedding", _extents(full.slices[index], shape))
        damage.write_index(fixture.prefix, [(new_key if key == old_key else key, proto) for key, proto in entries])
    return run


def _slice_of_another_dtype(fixture):
    """The first stored slice of the partitioned `embedding` says DT_RESOURCE, the tensor float32."""
    key = [k for k, _ in damage.read_index(fixture.prefix) if k.startswith(b"\x00embedding\x00")][0]
    damage.edit_entry(fixture.prefix, key, _set("dtype", 20))


def _short_entry_with_matching_crc(fixture):
    def shorten(proto):
        proto.size -= 4
        proto.crc32c = damage.masked_crc(damage.stored_bytes(fixture.prefix, proto))
    damage.edit_entry(fixture.prefix, "dense/kernel", shorten)


def _non_utf8_key(fixture):
    entries = damage.read_index(fixture.prefix)
    entries.append((b"\xff\xfebad", entries[1][1]))
    damage.write_index(fixture.prefix, entries)


def _unsorted_keys(fixture):
    entries = damage.read_index(fixture.prefix)
    damage.write_index(fixture.prefix, [entries[0], entries[2], entries[1]] + entries[3:], sort=False)


def _other_models_checkpoint(fixture):
    from tests.conftest import load_fixture
    import shutil
    other = load_fixture("mlp")
    for suffix in (".index", ".data-00000-of-00001"):
        shutil.copy(other.prefix + suffix, fixture.prefix + suffix)


def _restore_region_outside(nodes):
    nodes["save/RestoreV2_1/shape_and_slices"].attr["value"].tensor.string_val[0] = b"30 8 28,10:0,8"


# -- graph edits -------------------------------------------------------------------------------

def _self_loop(nodes):
    nodes["dense/kernel/read"].input[0] = "dense/kernel/read"


def _unknown_op(nodes):
    nodes["dense/MatMul"].op = "MatMul\nx"


def _bad_output_shape(nodes):
    nodes["dense/MatMul"].attr["_output_shapes"].list.shape[0].dim[0].size = -(1 << 40)


def _restore_assign_misspelt(nodes):
    """The saver's Assign of `dense/kernel` gets an attr its OpDef lacks (one flipped byte of a name)."""
    assign = [n for n in nodes.values() if n.op == "Assign" and n.name.startswith("save/")
              and n.input[0] == "dense/kernel"][0]
    assign.attr["usg_locking"].CopyFrom(assign.attr["use_locking"])
    del assign.attr["use_locking"]


def _transpose_b_flipped(nodes):
    """The output layer's MatMul reads its [128,10] kernel transposed: TensorFlow's shape function refuses it."""
    nodes["output/MatMul"].attr["transpose_b"].b = True


def _initializer_of_int32(nodes):
    """An initializer the freeze drops gets a dtype RandomUniform does not make: import_meta_graph refuses the file."""
    nodes["dense/kernel/Initializer/random_uniform/RandomUniform"].attr["dtype"].type = 3


def _variable_attr_without_a_name(nodes):
    """The frozen variable gets an attr named '' (a flipped byte of `_class`): TF 1.4's restore refuses to run it."""
    nodes["dense/kernel"].attr[""].CopyFrom(nodes["dense/kernel"].attr["_class"])


def _output_shapes_emptied(nodes):
    nodes["Cast"].attr["_output_shapes"].Clear()


def _const_reshaped(nodes):
    """A scalar Const given the empty shape [3, 0]: its recorded `_output_shapes` still says scalar."""
    tensor = nodes["embedding_lookup/range/delta"].attr["value"].tensor
    tensor.tensor_shape.Clear()
    for size in (3, 0):
        tensor.tensor_shape.dim.add().size = size


def _meta_node_with_raw(name, raw):
    """Node ``name`` of the fixture's .meta gets ``raw`` field bytes appended (protobuf keeps them as
    unknown fields; the freezer's byte-level editor must refuse them in one line)."""
    def run(fixture):
        meta = protos.MetaGraphDef()
        with open(fixture.meta, "rb") as handle:
            meta.ParseFromString(handle.read())
        nodes = list(meta.graph_def.node)
        body = b"".join(length_field(1, n.SerializeToString() + (raw if n.name == name else b"")) for n in nodes)
        rest = protos.GraphDef()
        rest.CopyFrom(meta.graph_def)
        del rest.node[:]
        meta.ClearField("graph_def")
        with open(fixture.meta, "wb") as handle:
            handle.write(meta.SerializeToString() + length_field(2, body + rest.SerializeToString()))
    return run


def _reversed_nodes(fixture):
    def reverse(meta):
        nodes = list(meta.graph_def.node)[::-1]
        del meta.graph_def.node[:]
        meta.graph_def.node.extend(nodes)
    damage.edit_meta(fixture.meta, reverse)


def _const(name, value=1.0):
    node = protos.NodeDef()
    node.name, node.op = name, "Const"
    node.attr["dtype"].type = 1
    node.attr["value"].tensor.dtype = 1
    node.attr["value"].tensor.float_val.append(value)
    return node


def _graph_file(name, nodes, raw_tail=b"", outputs=("c",)):
    def build(folder):
        graph = protos.GraphDef()
        graph.node.extend(nodes() if callable(nodes) else nodes)
        path = os.path.join(folder, name)
        with open(path, "wb") as handle:
            handle.write(graph.SerializeToString() + raw_tail)
        return Target(path, outputs)
    return build


def _text_file(name, text, outputs=("x",)):
    def build(folder):
        path = os.path.join(folder, name)
        with open(path, "wb") as handle:
            handle.write(text if isinstance(text, bytes) else text.encode("utf-8"))
        return Target(path, outputs)
    return build


def _control_char_nodes():
    node = _const("bad\nname\x1b[31m")
    node.input.append("missing\r\nsecond line")
    return [node]


def _const_short_bytes():
    node = protos.NodeDef(name="c", op="Const")
    node.attr["dtype"].type = 1
    node.attr["value"].tensor.dtype = 1
    node.attr["value"].tensor.tensor_shape.dim.add().size = 3
    node.attr["value"].tensor.tensor_content = b"\x00" * 8
    return [node]


def _const_of_other_type():
    node = _const("c")
    node.attr["value"].tensor.dtype = 3
    return [node]


def _device_node_with_raw(raw):
    def build(folder):
        node = _const("y")
        node.device = "/gpu:0"  # the freeze clears it, so the node's bytes are parsed and edited
        path = os.path.join(folder, "g.pb")
        with open(path, "wb") as handle:
            handle.write(length_field(1, node.SerializeToString() + raw))
        return Target(path, ["y"])
    return build


# -- the state file ------------------------------------------------------------------------------

def _damaged_state(fixture):
    with open(os.path.join(fixture.folder, "checkpoint"), "wb") as handle:
        handle.write(b"model_checkpoint_path: \"\xff\n" + b"{" * 5000)


def _huge_state(fixture):
    from core.formats.locate import MAX_STATE_FILE
    with open(os.path.join(fixture.folder, "checkpoint"), "wb") as handle:
        handle.write(b"#" * (MAX_STATE_FILE + 1))


# -- destinations (-o) ---------------------------------------------------------------------------

def _fifo_destination(folder, fixture):
    path = os.path.join(folder, "out.pb")
    os.mkfifo(path)
    return path


def _link_destination(folder, fixture):
    target = os.path.join(folder, "target.pb")
    with open(target, "wb") as handle:
        handle.write(b"keep me")
    os.symlink(target, os.path.join(folder, "out.pb"))
    return os.path.join(folder, "out.pb")


def _device_destination(folder, fixture):
    """A character device node of our own (never a real one such as /dev/null: a writer that
    renamed over it, run as root, would replace the system's device); a socket when mknod is refused."""
    import socket
    import stat
    path = os.path.join(folder, "out.pb")
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (OSError, AttributeError):
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.close()
    return path


def _folder_destination(folder, fixture):
    path = os.path.join(folder, "out.pb")
    os.mkdir(path)
    return path


FREEZE_MLP = ("--outputs", "output/BiasAdd")

CASES = [
    # -- whole files damaged (were tests/test_cli.py BAD_INPUTS) --
    Case("truncated meta", "mlp", _in(META, damage.truncate), names=META, error=("not a valid MetaGraphDef",),
         args=FREEZE_MLP),
    Case("garbled meta", "mlp", _in(META, damage.garble), names=META, error=("not a valid MetaGraphDef",),
         args=FREEZE_MLP),
    Case("truncated index", "mlp", _in(INDEX, damage.truncate), names=INDEX,
         error=("not a TensorFlow checkpoint index", "bad magic"), args=FREEZE_MLP),
    Case("garbled index", "mlp", _in(INDEX, damage.garble), names=INDEX,
         error=("not a TensorFlow checkpoint index", "bad magic"), args=FREEZE_MLP),
    Case("truncated data", "mlp", _in(DATA, damage.truncate), names=DATA, error=("truncated", "needs bytes"),
         args=FREEZE_MLP),
    Case("crc mismatch", "mlp", _in(DATA, damage.flip_tenths), names=DATA, error=("crc32c mismatch", "corrupt"),
         args=FREEZE_MLP),
    Case("missing shard", "mlp", _in(DATA, os.remove), names=DATA, error=("shard is missing",), args=FREEZE_MLP),
    Case("checkpoint of another model", "cnn_bn", _other_models_checkpoint, names=INDEX,
         error=("has none of the", "another model"), args=("--outputs", "probs")),
    Case("unknown output", "mlp", names=META, error=("'output/Biasadd' is not in the graph",
                                                     "did you mean 'output/BiasAdd'"),
         args=("--outputs", "output/Biasadd")),
    Case("empty folder", build=lambda folder: Target(folder, ["x"]), names="model",
         error=("no TensorFlow model in this folder",), command="inspect"),
    # -- special files where a model file should be --
    Case("meta is a FIFO", "mlp", _in(META, damage.replace_by_fifo), names=META, error=("FIFO", "not a regular file"),
         command="inspect"),
    Case("data shard is a FIFO", "mlp", _in(DATA, damage.replace_by_fifo), names=DATA,
         error=("FIFO", "not a regular file"), args=FREEZE_MLP),
    Case("index is a FIFO", "mlp", _in(INDEX, damage.replace_by_fifo), names=INDEX,
         error=("FIFO", "not a regular file"), args=FREEZE_MLP),
    Case("state file is a FIFO", "mlp", _in("checkpoint", damage.replace_by_fifo), entry="checkpoint",
         names="checkpoint", error=("FIFO", "not a regular file"), args=FREEZE_MLP),
    Case("meta linked to /dev/zero", "mlp", _in(META, lambda p: damage.replace_by_link(p, "/dev/zero")), names=META,
         error=("character device", "not a regular file"), command="inspect"),
    Case("index in a symlink loop", "mlp", _in(INDEX, damage.replace_by_link_loop), names=INDEX,
         error=("loop of symbolic links",), args=FREEZE_MLP),
    Case("index in a symlink loop, given itself", "mlp", _in(INDEX, damage.replace_by_link_loop), entry=INDEX,
         names=INDEX, error=("loop of symbolic links",), command="inspect"),
    Case("meta is a folder", "mlp", _in(META, damage.replace_by_folder), names=META,
         error=("is a folder", "not a regular file"), command="inspect"),
    Case("data shard is a dangling link", "mlp", _in(DATA, lambda p: damage.replace_by_link(p, p + ".gone")),
         names=DATA, error=("symbolic link to a file that does not exist",), args=FREEZE_MLP),
    # -- destinations that are not regular files, or are inputs --
    Case("-o is a FIFO", "mlp", destination=_fifo_destination, names="out.pb", error=("FIFO", "not a regular file"),
         args=FREEZE_MLP),
    Case("-o is a device node", "mlp", destination=_device_destination, names="out.pb",
         error=("not a regular file",), args=FREEZE_MLP),
    Case("-o is a symbolic link", "mlp", destination=_link_destination, names="out.pb", error=("symbolic link",),
         args=FREEZE_MLP),
    Case("-o is a folder", "mlp", destination=_folder_destination, names="out.pb", error=("is a folder",),
         args=FREEZE_MLP),
    Case("-o is the meta graph", "mlp", destination=lambda folder, fixture: fixture.meta, names=META, error=("input files",),
         args=FREEZE_MLP),
    Case("-o in a missing folder", "mlp", destination=lambda folder, fixture: os.path.join(folder, "missing", "out.pb"),
         names="missing", error=("folder does not exist",), args=FREEZE_MLP),
    Case("-o in an unwritable folder", "mlp", destination=lambda folder, fixture: "/proc/out.pb", names="/proc",
         error=("cannot write",), args=FREEZE_MLP),
    # -- partitioned variables: slices must tile the tensor exactly --
    Case("partition slices overlap", "partitioned", _reslice(0, 5), names=INDEX,
         error=("overlapping slices", "embedding"), args=("--outputs", "head/BiasAdd")),
    Case("partition slice outside the tensor", "partitioned", _reslice(0, 25), names=INDEX,
         error=("outside its shape", "embedding"), args=("--outputs", "head/BiasAdd")),
    Case("partition slices leave a gap", "partitioned", _entry("embedding", lambda p: p.slices.__delitem__(2)),
         names=INDEX, error=("do not cover", "embedding"), args=("--outputs", "head/BiasAdd"),
         reads=[("read", ("embedding",), ("do not cover",))]),
    Case("partition slice stored as another dtype", "partitioned", _slice_of_another_dtype, names=INDEX,
         error=("stored as resource, the tensor is float32", "embedding"), args=("--outputs", "head/BiasAdd"),
         reads=[("read", ("embedding",), ("stored as resource",))]),
    Case("restore region outside the tensor", "partitioned", _meta(_restore_region_outside), names=INDEX,
         error=("outside its shape", "embedding"), args=("--outputs", "head/BiasAdd")),
    # -- entry sizes, offsets and shards --
    Case("entry size -1", "mlp", _entry("dense/kernel", _set("size", -1)), names=INDEX,
         error=("invalid size", "dense/kernel"), args=FREEZE_MLP),
    Case("entry offset -8", "mlp", _entry("dense/kernel", _set("offset", -8)), names=INDEX,
         error=("offset -8", "dense/kernel"), args=FREEZE_MLP),
    Case("entry in shard 3 of 1", "mlp", _entry("dense/kernel", _set("shard_id", 3)), names=INDEX,
         error=("shard 3", "dense/kernel"), args=FREEZE_MLP),
    Case("entry size 2^40", "mlp", _entry("dense/kernel", _set("size", 1 << 40)), names=INDEX,
         error=("dense/kernel", "expected"), args=FREEZE_MLP),
    Case("entry size short of its shape, crc matching", "mlp", _short_entry_with_matching_crc, names=INDEX,
         error=("dense/kernel", "expected"), args=FREEZE_MLP,
         reads=[("read", ("dense/kernel",), ("expected",)), ("iter_bytes", ("dense/kernel",), ("expected",))]),
    Case("2^31-1 data shards", "mlp", _entry(b"", _set("num_shards", (1 << 31) - 1)), names=INDEX,
         error=("2147483647 data shards",), args=FREEZE_MLP),
    Case("tensor name not UTF-8", "mlp", _non_utf8_key, names=INDEX, error=("not UTF-8", "\\xff"), command="inspect"),
    Case("table keys out of order", "mlp", _unsorted_keys, names=INDEX, error=("out of order",), command="inspect"),
    # -- graphs TensorFlow would refuse --
    Case("duplicate node names", build=_graph_file("g.pb", [_const("a", 1.0), _const("a", 2.0)]), names="g.pb",
         error=("'a'", "not unique"), command="inspect"),
    Case("self loop on the outputs' path", "mlp", _meta(_self_loop), names=META, error=("form a cycle",),
         args=FREEZE_MLP),
    Case("op not in the meta graph's op list", "mlp", _meta(_unknown_op), names=META, error=("op list", "MatMul\\nx"),
         args=FREEZE_MLP),
    Case("output shape -2^40", "mlp", _meta(_bad_output_shape), names=META,
         error=("invalid dimension", "dense/MatMul"), args=FREEZE_MLP),
    Case("the saver's Assign of a needed variable TF cannot import", "mlp", _meta(_restore_assign_misspelt),
         names=META, error=("cannot restore these variables through the graph's saver", "'usg_locking'"),
         args=FREEZE_MLP),
    Case("MatMul with transpose_b flipped (shape function)", "mlp", _meta(_transpose_b_flipped), names=META,
         error=("'output/MatMul' (MatMul)", "inner dimensions 128 and 10"), args=FREEZE_MLP),
    Case("a damaged initializer the freeze drops", "mlp", _meta(_initializer_of_int32), names=META,
         error=("the graph is damaged", "(RandomUniform)", "attr 'dtype' is int32", "would not import"),
         args=FREEZE_MLP),
    Case("a frozen variable with an attr named ''", "mlp", _meta(_variable_attr_without_a_name), names=META,
         error=("cannot restore these variables", "'dense/kernel' (VariableV2)", "attr ''"), args=FREEZE_MLP),
    Case("a frozen variable with an attr entry without a name", "mlp", _meta_node_with_raw(
        "dense/kernel", length_field(5, length_field(3, b"_class") + length_field(2, b"\x12\x00"))), names=META,
        error=("'dense/kernel' (VariableV2)", "attr entry without a name", "attr ''"), args=FREEZE_MLP),
    Case("a kept MatMul with an attr entry without a name", "mlp", _meta_node_with_raw(
        "dense/MatMul", length_field(5, length_field(2, b"\x30\x01"))), names=META,
        error=("'dense/MatMul' (MatMul)", "attr entry without a name", "attr ''"),
        args=FREEZE_MLP),
    # the campaign's v1:178368516: the key's tag flipped to field 3; protobuf's Python parser drops the entry
    Case("a kept MatMul's attr entry whose key became another field", "mlp", _meta_node_with_raw(
        "dense/MatMul", length_field(5, length_field(3, b"_class") + length_field(2, b"\x30\x01"))), names=META,
        error=("'dense/MatMul' (MatMul) has an attr entry without a name",), args=FREEZE_MLP),
    Case("_output_shapes with no shape for an output", "dtypes", _meta(_output_shapes_emptied), names=META,
         error=("'Cast'", "records 0 shape(s) for 1 output(s)"), args=("--outputs", "y64,y16,yint,ybool")),
    Case("Const shape disagrees with its _output_shapes", "partitioned", _meta(_const_reshaped), names=META,
         error=("'embedding_lookup/range/delta'", "records the shape [], its value tensor has shape [3,0]"),
         args=("--outputs", "head/BiasAdd")),
    Case("input cut inside a tf.cond branch", "cnn_bn", names="features/bn1/cond/FusedBatchNorm:1",
         error=("inside a branch of a tf.cond", "features/bn1/cond/Switch"),
         args=("--outputs", "probs", "--inputs", "features/bn1/cond/FusedBatchNorm:1")),
    Case("Const bytes disagree with its shape", build=_graph_file("g.pb", _const_short_bytes), names="g.pb",
         error=("8 bytes of tensor data", "'c'"), args=("--outputs", "c")),
    Case("Const value type disagrees with its dtype", build=_graph_file("g.pb", _const_of_other_type), names="g.pb",
         error=("'c'", "declared float32 but its value tensor is int32"), args=("--outputs", "c")),
    Case("node field with the wrong wire type", build=_device_node_with_raw(encode_varint((5 << 3) | 0) + encode_varint(7)),
         names="g.pb", error=("'y'", "not a valid NodeDef"), args=("--outputs", "y")),
    Case("node with a group field", build=_device_node_with_raw(encode_varint((9 << 3) | 3) + encode_varint((9 << 3) | 4)),
         names="g.pb", error=("'y'", "not a valid NodeDef"), args=("--outputs", "y")),
    Case("attr field with wire type 0 in a node the target fitting edits", "dtypes",
         _meta_node_with_raw("Cast", encode_varint(5 << 3) + encode_varint(3)), names=META,
         error=("'Cast'", "not a valid NodeDef"), args=("--outputs", "y64,y16,yint,ybool")),
    Case("control characters in names", build=_graph_file("g.pb", _control_char_nodes), names="g.pb",
         error=("bad\\nname\\x1b", "missing\\r\\nsecond"), command="inspect"),
    # -- text protos: nesting, numbers, tokens --
    Case("text meta nested 100000 deep", build=_text_file(
        "model.meta", "graph_def { node { name: 'x' op: 'C' attr { key: 'a' value { "
        + "func { attr { key: 'a' value { " * 100000), names="model.meta", error=("nested too deeply",),
        command="inspect"),
    Case("text meta producer out of range", build=_text_file(
        "model.meta", "graph_def { versions { producer: 99999999999999999999999 } }"), names="model.meta",
        error=("out of range",), command="inspect"),
    Case("text meta with a 24 MB token", build=_text_file("model.meta", b"graph_def" + b"a" * (24 << 20)),
         names="model.meta", error=("token of more than",), command="inspect"),
    Case("text graph float out of range is infinity", build=_text_file(
        "g.pbtxt", "node { name: 'x' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } } "
        "attr { key: 'value' value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 1e99999 } } } }"),
        frozen=True, args=("--outputs", "x")),
    # -- the state file --
    Case("state file damaged, given itself", "mlp", _damaged_state, entry="checkpoint", names="checkpoint",
         error=("not a checkpoint state file",), args=FREEZE_MLP),
    Case("state file damaged, folder scanned instead", "mlp", _damaged_state, frozen=True, args=FREEZE_MLP),
    Case("state file of 16 MB", "mlp", _huge_state, entry="checkpoint", names="checkpoint",
         error=("not a checkpoint state file", "over"), args=FREEZE_MLP),
    # -- what must freeze --
    Case("while loop back edges are not cycles", "lstm", frozen=True,
         args=("--outputs", "logits/BiasAdd,score")),
    Case("nodes in reverse order are not a cycle", "mlp", _reversed_nodes, frozen=True, args=FREEZE_MLP),
]


# -- seeded random damage (tests/mutators.py), judged by TensorFlow on the same files ----------------

MUTATED_FIXTURES = ("mlp", "partitioned", "dtypes", "custom_saver_keys")
MUTATIONS_PER_FIXTURE = 25
MUTATION_SEED = 20240612


def _seeded(seed):
    def run(fixture):
        from tests.mutators import mutate
        return mutate(random.Random(seed), fixture.prefix)
    return run


def mutation_cases():
    """Rows for seeded random mutations: each refused in one line, or frozen equal to TF's restore."""
    from tests.conftest import load_fixture
    rows = []
    for name in MUTATED_FIXTURES:
        outputs = ",".join(load_fixture(name).outputs)
        for number in range(MUTATIONS_PER_FIXTURE):
            seed = "%d-%s-%d" % (MUTATION_SEED, name, number)
            rows.append(Case("mutation %s %d" % (name, number), name, _seeded(seed), either=True,
                             args=("--outputs", outputs)))
    return rows


# -- campaign reproducers: structured mutations (tools/mutation_campaign.py --replay MODEL:SEED) -------------

def _campaign_seed(seed, only=None):
    """The mutation the campaign made for ``seed`` with the family table of its time (FIRST_FAMILIES), or with
    ``only`` one family (tools/mutation_campaign.py --replay FIXTURE:SEED [--only FAMILY])."""
    def run(subject):
        from tests.structured_mutators import FIRST_FAMILIES, campaign_mutation
        return campaign_mutation(seed, subject, only=only, table=FIRST_FAMILIES)
    return run


# (fixture, campaign seed, what the campaign found there): one row per class the campaign found.
REPRODUCERS = [
    ("partitioned", 388355135, "a Const's shape disagrees with its _output_shapes: unloadable .pb"),
    ("dtypes", 1070416896, "_output_shapes emptied: unloadable .pb"),
    ("cnn_bn", 811011458, "input cut inside a tf.cond branch: a .pb where TF has no value"),
    ("mlp", 491263128, "a variable's read from its port 2: internal error naming the frozen Const's op"),
    ("mlp", 361088521, "saver_def without restore_op_name: TF's import_meta_graph refuses it, we froze"),
    ("multi_head", 702001172, "saver_def restore_op_name a restore tensor: TF restores nothing, we used names"),
    ("partitioned", 902880661, "a partition slice stored as DT_RESOURCE: TF dies, we froze"),
    ("lstm", 1057315190, "_output_shapes of the wrong kind: unloadable .pb"),
    ("custom_saver_keys", 290743572, "a node named 'x/': TF's Python importer names it 'x', the .pb's readers differ"),
    ("dtypes", 265603007, "a flipped byte in the saver's shape_and_slices Const: TF refuses, we froze"),
    ("dtypes", 449969577, "the saver's filename Const given an op TF lacks: TF refuses, we froze"),
    ("cnn_bn", 366712714, "a Merge reading FusedBatchNorm's port 1: TF fails running it, shapes recorded say so"),
    ("mlp", 515873119, "the input placeholder renamed 'input//x': frozen under that name, fed under it"),
    ("dtypes", 809182858, "an attr entry of the saver's Assign without a name: TF's restore refuses it, we froze"),
    ("dtypes", 456673549, "a group field in a node of the saver: internal error reading its attr entries"),
    ("cnn_bn", 21486957, "a Switch's _output_shapes for port 1 flipped to [40]: TF's importer refuses the .pb"),
    ("dtypes", 86336097, "a _class loc:@ naming no node (a flipped byte): TF's importer refuses it, we froze"),
    ("resource_vars", 842190800, "a flipped byte in an OpDef's allowed_values: TF's parser refuses the .meta, "
                                 "we skipped the field as unknown"),
    ("partitioned", 756124165, "a partition slice's own entry with a dim of -1: TF's reader refuses it, we froze"),
    # drawn from the shapes family alone (--only shapes): a 4th item names the family
    ("lstm", 501882698, "_output_shapes of a Sigmoid in the while loop that reads split:3 made [?,1]: unloadable .pb",
     "shapes"),
    ("cnn_bn", 234203428, "_output_shapes[4] of a FusedBatchNorm made []: unloadable .pb", "shapes"),
    ("partitioned", 267245742, "_output_shapes[2] of a DynamicPartition made []: unloadable .pb", "shapes"),
]


def reproducer_cases():
    return [Case("campaign %s:%d (%s)" % (row[0], row[1], row[2]), row[0], either=True,
                 mutate=_campaign_seed(row[1], only=row[3] if len(row) > 3 else None)) for row in REPRODUCERS]
