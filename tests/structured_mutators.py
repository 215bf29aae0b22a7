"""Structured damage to a model folder: savers, restore paths, attrs, names, functions, V1 fields,
special files and command-line arguments (tools/mutation_campaign.py; seeded rows in tests/cases.py).

Each mutation takes a random.Random and a Subject (the copied folder with its outputs and feeds)
and returns a Mutation: what it did, and what the freeze must be run with and judged by (other
outputs, extra arguments, the values a `--set` fixes, the tensors an `--inputs` cut replaces, an
`-o` target, or a refusal that no TensorFlow run is needed to require).
"""

import collections
import os
import random
import socket
import stat

from core.formats import protos
from core.formats.dtypes import DT_BOOL, DT_DOUBLE, DT_FLOAT, DT_HALF, DT_INT32, DT_INT64, DT_STRING
from tests import damage

VARIABLE_OPS = ("Variable", "VariableV2", "VarHandleOp")
_ASSIGNS = ("Assign", "AssignVariableOp")
_UNARY = ("Identity", "Neg", "Relu", "Square", "Tanh", "Sigmoid")


class Subject(object):
    """A model folder to damage: ``folder``, ``prefix``, ``meta``, ``outputs``, ``feeds`` (name -> array),
    and ``out_dir``, the empty folder an -o target may be prepared in."""

    def __init__(self, folder, outputs, feeds, prefix_name="model.ckpt", out_dir=None):
        self.folder = folder
        self.out_dir = out_dir or os.path.join(os.path.dirname(folder), "out")
        self.prefix = os.path.join(folder, prefix_name)
        self.meta = self.prefix + ".meta"
        self.outputs = list(outputs)
        self.feeds = dict(feeds)


class Mutation(object):
    """What a mutation did and how the freeze is run and judged.

    Attributes:
        what: "family: detail".
        outputs: the --outputs to give (None: the subject's).
        args: more command-line arguments (--set, --inputs, --inference).
        fixed: placeholder -> value the oracle feeds for a --set (the frozen graph gets no feed).
        cuts: tensors an --inputs cut turns into placeholders (the oracle fetches them, the frozen
            graph is fed them under the cut's name).
        destination: an -o path prepared by the mutation (None: a fresh name).
        entry: the path to give instead of the folder.
        must_refuse: the reason a freeze must exit 1 whatever TensorFlow says (a FIFO, an invalid
            --set text), or "".
        renamed: old name -> new name of a renamed node (a renamed placeholder is fed under its new name).
    """

    def __init__(self, what, outputs=None, args=(), fixed=None, cuts=(), destination=None, entry=None,
                 must_refuse="", renamed=None):
        self.what = what
        self.outputs = outputs
        self.args = list(args)
        self.fixed = dict(fixed or {})
        self.cuts = list(cuts)
        self.destination = destination
        self.entry = entry
        self.must_refuse = must_refuse
        self.renamed = dict(renamed or {})

    def feeds(self, feeds):
        """``feeds`` keyed by the names the damaged graph gives the placeholders."""
        return dict((self.renamed.get(k, k), v) for k, v in feeds.items())


# -- graph helpers ---------------------------------------------------------------------------------

def _node_name(name):
    name = name[1:] if name.startswith("^") else name
    return name.split(":")[0]


def read_meta(subject):
    meta = protos.MetaGraphDef()
    with open(subject.meta, "rb") as handle:
        meta.ParseFromString(handle.read())
    return meta


def write_meta(subject, meta):
    with open(subject.meta, "wb") as handle:
        handle.write(meta.SerializeToString())


def ancestry(graph_def, outputs):
    """Names of the nodes the outputs need (data and control inputs), outputs first, breadth-first."""
    nodes = dict((n.name, n) for n in graph_def.node)
    order = []
    seen = set()
    queue = collections.deque(_node_name(o) for o in outputs)
    while queue:
        name = queue.popleft()
        if name in seen or name not in nodes:
            continue
        seen.add(name)
        order.append(name)
        queue.extend(_node_name(i) for i in nodes[name].input)
    return order, nodes


def _path_nodes(meta, subject, keep=lambda node: True):
    """Nodes on the outputs' path that ``keep`` accepts (the outputs themselves excluded)."""
    order, nodes = ancestry(meta.graph_def, subject.outputs)
    outputs = set(_node_name(o) for o in subject.outputs)
    return [nodes[n] for n in order if n not in outputs and keep(nodes[n])]


def _listed_ops(meta):
    return set(op.name for op in meta.meta_info_def.stripped_op_list.op)


def _rename_everywhere(meta, old, new):
    """Renames node ``old``, every input that reads it and every colocation with it."""
    located = ("loc:@" + old).encode("utf-8")
    for node in meta.graph_def.node:
        if node.name == old:
            node.name = new
        if "_class" in node.attr:
            entries = node.attr["_class"].list.s
            for i, entry in enumerate(entries):
                if entry == located:
                    entries[i] = ("loc:@" + new).encode("utf-8")
        for i, inp in enumerate(node.input):
            if _node_name(inp) == old:
                prefix = "^" if inp.startswith("^") else ""
                port = inp.split(":", 1)[1] if ":" in inp else None
                node.input[i] = prefix + new + (":" + port if port is not None else "")


# -- savers and restore paths ------------------------------------------------------------------------

def _saver_nodes(meta):
    scope = meta.saver_def.restore_op_name.split("/")[0] + "/"
    return scope, [n for n in meta.graph_def.node if n.name.startswith(scope)]


def _restores(meta):
    """(Assign node, RestoreV2 node, port) of each restored variable of the saver."""
    nodes = dict((n.name, n) for n in meta.graph_def.node)
    found = []
    for node in meta.graph_def.node:
        if node.op in _ASSIGNS and len(node.input) >= 2 and node.name.startswith(_saver_nodes(meta)[0]):
            source = node.input[1]
            restore = nodes.get(_node_name(source))
            if restore is not None and restore.op in ("RestoreV2", "Restore", "RestoreSlice"):
                port = int(source.split(":")[1]) if ":" in source else 0
                found.append((node, restore, port))
    return found


def _key_const(meta, restore):
    nodes = dict((n.name, n) for n in meta.graph_def.node)
    return nodes.get(_node_name(restore.input[1])), nodes.get(_node_name(restore.input[2]))


def two_savers(rng, subject):
    """A copy of the saver's ops as a second saver (an EMA-style one, keys swapped or not), either one named
    by saver_def, placed before or after the first."""
    meta = read_meta(subject)
    scope, saver = _saver_nodes(meta)
    other = scope[:-1] + "_1/"
    copies = []
    for node in saver:
        copy = protos.NodeDef()
        copy.CopyFrom(node)
        copy.name = other + node.name[len(scope):]
        for i, inp in enumerate(copy.input):
            bare = inp.lstrip("^")
            if bare.startswith(scope):
                copy.input[i] = ("^" if inp.startswith("^") else "") + other + bare[len(scope):]
        copies.append(copy)
    swapped = ""
    restores = [(a, r, p) for a, r, p in _restores(meta)]
    if rng.random() < 0.6 and len(restores) >= 2:
        (_, first, p1), (_, second, p2) = rng.sample(restores, 2)
        names = dict((c.name, c) for c in copies)
        k1 = names[other + _key_const(meta, first)[0].name[len(scope):]].attr["value"].tensor.string_val
        k2 = names[other + _key_const(meta, second)[0].name[len(scope):]].attr["value"].tensor.string_val
        k1[p1], k2[p2] = k2[p2], k1[p1]
        swapped = ", keys %r and %r swapped in it" % (k1[p1], k2[p2])
    nodes = list(meta.graph_def.node)
    first = rng.random() < 0.5
    del meta.graph_def.node[:]
    meta.graph_def.node.extend(copies + nodes if first else nodes + copies)
    chosen = rng.random() < 0.5
    if chosen:
        meta.saver_def.restore_op_name = other + meta.saver_def.restore_op_name[len(scope):]
        meta.saver_def.filename_tensor_name = other + meta.saver_def.filename_tensor_name[len(scope):]
    write_meta(subject, meta)
    return Mutation("saver: a second saver %s%s, saver_def names the %s" % (
        "placed first" if first else "placed last", swapped, "second" if chosen else "first"))


def restore_through_op(rng, subject):
    """A restored value passes through a unary op (Identity, Neg, ...) before its Assign."""
    meta = read_meta(subject)
    listed = _listed_ops(meta)
    ops = [op for op in _UNARY if op in listed] or ["Identity"]
    nodes = dict((n.name, n) for n in meta.graph_def.node)
    candidates = [(a, r, p) for a, r, p in _restores(meta)
                  if nodes[_node_name(a.input[0])].attr["dtype"].type == DT_FLOAT]
    if not candidates:
        return Mutation("saver: no float variable to restore through an op")
    assign, restore, port = rng.choice(candidates)
    op = rng.choice(ops)
    node = meta.graph_def.node.add(name=assign.name + "/through_" + op, op=op, input=[assign.input[1]])
    node.attr["T"].type = DT_FLOAT
    assign.input[1] = node.name
    write_meta(subject, meta)
    return Mutation("saver: the value of %s goes through %s before its Assign" % (assign.input[0], op))


def restore_keys(rng, subject):
    """A restore op reads another key, a missing one, or with another slice spec."""
    meta = read_meta(subject)
    restores = _restores(meta)
    if not restores:
        return Mutation("restore: no restore op found")
    assign, restore, port = rng.choice(restores)
    names, slices = _key_const(meta, restore)
    keys = [k for _, r, p in restores for k in [_key_const(meta, r)[0].attr["value"].tensor.string_val[p]]]
    choice = rng.randrange(4)
    if choice == 0:
        key = rng.choice(keys)
        names.attr["value"].tensor.string_val[port] = key
        what = "reads key %r" % key
    elif choice == 1:
        names.attr["value"].tensor.string_val[port] = rng.choice([b"no/such/key", b"", b"\x00", b"\xff"])
        what = "reads a missing key"
    elif choice == 2:
        spec = rng.choice([b"", b"1 2 0,1:0,2", b"3 0,3", b"garbage", b"-1 0,1"])
        slices.attr["value"].tensor.string_val[port] = spec
        what = "slice spec %r" % spec
    else:
        meta.saver_def.restore_op_name = rng.choice(["nope", assign.name, restore.name + ":0", ""])
        what = "saver_def restore_op_name %r" % meta.saver_def.restore_op_name
    write_meta(subject, meta)
    return Mutation("restore: %s of %s %s" % (restore.name, assign.input[0], what))


def unrestored_variable(rng, subject):
    """The saver's restore_all no longer runs a needed variable's Assign (the Assign stays in the graph)."""
    meta = read_meta(subject)
    nodes = dict((n.name, n) for n in meta.graph_def.node)
    restore_all = nodes.get(_node_name(meta.saver_def.restore_op_name))
    if restore_all is None or not restore_all.input:
        return Mutation("saver: no restore op inputs to drop")
    needed = set(ancestry(meta.graph_def, subject.outputs)[0])
    drops = [i for i in restore_all.input
             if any(_node_name(a.input[0]) in needed for a in _assigns_under(nodes, _node_name(i)))]
    if not drops:
        return Mutation("saver: no needed variable under the restore op")
    dropped = rng.choice(drops)
    restore_all.input.remove(dropped)
    write_meta(subject, meta)
    return Mutation("saver: %s no longer runs %s" % (restore_all.name, dropped))


def _assigns_under(nodes, name, depth=0):
    node = nodes.get(name)
    if node is None or depth > 20:
        return []
    if node.op in _ASSIGNS:
        return [node]
    found = []
    for inp in node.input:
        found.extend(_assigns_under(nodes, _node_name(inp), depth + 1))
    return found


# -- attrs, ports, versions ------------------------------------------------------------------------

def attrs(rng, subject):
    """An attr of a node the outputs need: another type, another kind, gone, or outside its values."""
    meta = read_meta(subject)
    nodes = _path_nodes(meta, subject, lambda n: n.attr and n.op not in VARIABLE_OPS)
    if not nodes:
        return Mutation("attr: no node with attrs on the path")
    node = rng.choice(nodes)
    key = "T" if "T" in node.attr and rng.random() < 0.6 else rng.choice(sorted(node.attr))
    value = node.attr[key]
    choice = rng.randrange(5)
    if choice == 0:
        value.Clear()
        value.type = rng.choice([DT_INT32, DT_STRING, DT_BOOL, DT_DOUBLE, DT_HALF, 0, 99])
        what = "type %d" % value.type
    elif choice == 1:
        value.Clear()
        rng.choice([lambda: setattr(value, "s", b"float"), lambda: setattr(value, "i", 1),
                    lambda: value.list.type.append(DT_FLOAT), lambda: setattr(value, "b", True)])()
        what = "of kind %s" % value.WhichOneof("value")
    elif choice == 2:
        del node.attr[key]
        what = "deleted"
    elif choice == 3 and value.WhichOneof("value") == "s":
        value.s = rng.choice([b"BOGUS", b"", b"same", b"\x00"])
        what = "value %r" % value.s
    else:
        value.Clear()
        what = "emptied"
    write_meta(subject, meta)
    return Mutation("attr: %s of %s (%s) %s" % (key, node.name, node.op, what))


def _edit_shape(rng, shape):
    """One edit of a TensorShapeProto: a scalar, unknown rank, a dim changed, a dim added or removed."""
    dims = [d.size for d in shape.dim]
    choice = rng.randrange(5)
    shape.Clear()
    if choice == 1:
        shape.unknown_rank = True
        return "unknown rank"
    if choice == 2 and dims:
        k = rng.randrange(len(dims))
        dims[k] = rng.choice([1, -1, 0, dims[k] + 1, 2 * max(dims[k], 1)])
    elif choice == 3:
        dims.insert(rng.randrange(len(dims) + 1), rng.choice([1, -1, 3]))
    elif choice == 4 and dims:
        del dims[rng.randrange(len(dims))]
    else:
        dims = []
    for size in dims:
        shape.dim.add().size = size
    return "[%s]" % ",".join("?" if d < 0 else str(d) for d in dims)


def shapes(rng, subject):
    """A shape a node on the outputs' path declares (a placeholder's or variable's `shape` attr) or records
    (`_output_shapes`, TensorFlow's importer merges it): a scalar, unknown, a dim changed, added or removed."""
    meta = read_meta(subject)
    nodes = _path_nodes(meta, subject, lambda n: "_output_shapes" in n.attr or (
        "shape" in n.attr and n.attr["shape"].HasField("shape")))
    if not nodes:
        return Mutation("shape: no node with a shape on the path")
    node = rng.choice(nodes)
    keys = [k for k in ("shape", "_output_shapes") if k in node.attr and (k != "_output_shapes" or
                                                                          node.attr[k].list.shape)]
    if not keys:
        return Mutation("shape: no shape on %s" % node.name)
    key = rng.choice(keys)
    if key == "shape":
        target, where = node.attr["shape"].shape, "attr shape"
    else:
        recorded = node.attr["_output_shapes"].list.shape
        port = rng.randrange(len(recorded))
        target, where = recorded[port], "_output_shapes[%d]" % port
    what = _edit_shape(rng, target)
    write_meta(subject, meta)
    return Mutation("shape: %s of %s (%s) made %s" % (where, node.name, node.op, what))


def ports_and_versions(rng, subject):
    """An input port out of range, an input of a missing node, or GraphDef versions TF refuses."""
    meta = read_meta(subject)
    choice = rng.randrange(3)
    if choice == 0:
        nodes = _path_nodes(meta, subject, lambda n: any(not i.startswith("^") for i in n.input))
        if not nodes:
            return Mutation("port: no node with inputs on the path")
        node = rng.choice(nodes)
        i = rng.choice([k for k, inp in enumerate(node.input) if not inp.startswith("^")])
        port = rng.choice([1, 2, 7, 99, 1 << 31])
        node.input[i] = _node_name(node.input[i]) + ":%d" % port
        what = "port: input %d of %s reads port %d" % (i, node.name, port)
    elif choice == 1:
        node = rng.choice(_path_nodes(meta, subject) or list(meta.graph_def.node))
        node.input.append(rng.choice(["^missing_node", "missing_node:0"]))
        what = "port: %s reads a node that is not there" % node.name
    else:
        versions = meta.graph_def.versions
        field = rng.choice(["min_consumer", "producer", "bad_consumers"])
        if field == "bad_consumers":
            versions.bad_consumers.append(rng.choice([24, 26, 0]))
        else:
            setattr(versions, field, rng.choice([9999, 0, -1, 25, 1 << 30]))
        what = "versions: %s" % str(versions).replace("\n", " ")
    write_meta(subject, meta)
    return Mutation(what)


# -- names, Consts, functions ------------------------------------------------------------------------

def names(rng, subject):
    """A node the outputs need renamed with a NUL, an RTL override, a space, ... (its readers follow)."""
    meta = read_meta(subject)
    nodes = _path_nodes(meta, subject)
    if not nodes:
        return Mutation("name: nothing to rename")
    node = rng.choice(nodes)
    new = rng.choice([node.name + "\x00x", node.name + "\u202ex", "\u202e" + node.name, node.name + " x",
                      node.name + "\u200b", "_" + node.name, node.name + "/", node.name + "//x", "-" + node.name])
    old = node.name
    _rename_everywhere(meta, old, new)
    write_meta(subject, meta)
    return Mutation("name: %r renamed %r" % (old, new), renamed={old: new})


def huge_const(rng, subject):
    """A Const the outputs need gets a shape of 2^40 values (a fill value), or a content that disagrees."""
    meta = read_meta(subject)
    consts = _path_nodes(meta, subject, lambda n: n.op == "Const")
    if not consts:
        return Mutation("const: no Const on the path")
    node = rng.choice(consts)
    tensor = node.attr["value"].tensor
    dims = rng.choice([[1 << 40], [1 << 20, 1 << 20], [1 << 31], [-1], [3, 0]])
    tensor.tensor_shape.Clear()
    for size in dims:
        tensor.tensor_shape.dim.add().size = size
    if rng.random() < 0.5:
        tensor.tensor_content = b""
    write_meta(subject, meta)
    return Mutation("const: %s gets shape %s" % (node.name, dims))


def functions(rng, subject):
    """A library function named like an op the graph uses, or twice the same function."""
    meta = read_meta(subject)
    ops = sorted(set(n.op for n in meta.graph_def.node))
    from core.formats.wire import length_field
    name = rng.choice(ops + ["MatMul", "Identity", "my_function"])
    count = 2 if rng.random() < 0.3 else 1
    # FunctionDefLibrary.function (1) -> FunctionDef.signature (1) -> OpDef.name (1): the project's
    # protos keep the library as unknown fields, so the bytes are written by hand.
    function = length_field(1, length_field(1, length_field(1, name.encode("utf-8"))))
    meta.graph_def.library.MergeFromString(function * count)
    write_meta(subject, meta)
    return Mutation("function: %d library function(s) named %r" % (count, name))


# -- V1 checkpoints: the TensorProto typed fields ------------------------------------------------------

def v1_fields(rng, subject):
    """A V1 slice's values: tensor_content beside the typed field, values in another field, a count off."""
    from core.formats.sstable import read_table
    path = subject.prefix
    entries = [(bytes(k), bytes(v)) for k, v in read_table(path)]
    data = [i for i, (key, _) in enumerate(entries) if key]
    at = rng.choice(data)
    message = protos.SavedTensorSlices()
    message.ParseFromString(entries[at][1])
    tensor = message.data.data
    fields = [f.name for f, _ in tensor.ListFields() if f.name.endswith("_val")]
    field = fields[0] if fields else "float_val"
    choice = rng.randrange(4)
    if choice == 0:
        tensor.tensor_content = bytes(bytearray(rng.randrange(256) for _ in range(rng.choice([4, 8, 12, 16, 40]))))
        what = "tensor_content beside %s" % field
    elif choice == 1 and fields:
        values = list(getattr(tensor, field))
        tensor.ClearField(field)
        other = rng.choice(["float_val", "double_val", "int_val", "int64_val", "half_val", "bool_val"])
        try:
            getattr(tensor, other).extend(values)
        except (TypeError, ValueError):
            getattr(tensor, other).extend([1] * len(values))
        what = "%s moved to %s" % (field, other)
    elif choice == 2 and fields:
        getattr(tensor, field).append(getattr(tensor, field)[0] if getattr(tensor, field) else 0)
        what = "one value more in %s" % field
    else:
        tensor.dtype = rng.choice([DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT64, DT_STRING, DT_BOOL])
        what = "dtype %d" % tensor.dtype
    entries[at] = (entries[at][0], message.SerializeToString())
    with open(path, "wb") as handle:
        handle.write(damage.table_bytes(entries))
    return Mutation("v1: entry %r %s" % (entries[at][0][:40], what))


# -- special files -------------------------------------------------------------------------------------

def special_files(rng, subject):
    """A file of the model replaced by a FIFO, a link to /dev/zero, a link loop, a folder, a dangling link."""
    names = [n for n in sorted(os.listdir(subject.folder)) if n.startswith(os.path.basename(subject.prefix))
             or n == "checkpoint"]
    name = rng.choice(names)
    path = os.path.join(subject.folder, name)
    kind = rng.choice(["fifo", "zero", "loop", "folder", "dangling"])
    {"fifo": damage.replace_by_fifo, "zero": lambda p: damage.replace_by_link(p, "/dev/zero"),
     "loop": damage.replace_by_link_loop, "folder": damage.replace_by_folder,
     "dangling": lambda p: damage.replace_by_link(p, p + ".gone")}[kind](path)
    # Without its state file the folder is scanned, so that one may freeze; any other is needed.
    must = "" if name == "checkpoint" else "%s is a %s" % (name, kind)
    entry = path if rng.random() < 0.3 else None
    if entry is not None and name == "checkpoint":
        must = "the state file given is a %s" % kind
    return Mutation("special: %s is a %s%s" % (name, kind, " (given)" if entry else ""), entry=entry,
                    must_refuse=must)


# -- command-line arguments ---------------------------------------------------------------------------

def output_ports(rng, subject):
    """--outputs with ports: `y:1` on a one-output node, `y:0`, `^y`, a port far out of range."""
    output = rng.choice(subject.outputs)
    form = rng.choice([":1", ":0", ":2", ":99", "", "^"])
    name = "^" + output if form == "^" else output + form
    outputs = [name if o == output else o for o in subject.outputs]
    return Mutation("cli: --outputs %s" % ",".join(outputs), outputs=outputs)


_VALUES = ["1.5", "0", "1", "true", "false", "maybe", "-3", "1e40", "nan", "99999999999", "", "0x10", " 2"]
_NUMPY = {DT_FLOAT: "float32", DT_DOUBLE: "float64", DT_INT32: "int32", DT_INT64: "int64", DT_BOOL: "bool",
          DT_HALF: "float16"}


def set_value(rng, subject):
    """--set NAME=VALUE on any placeholder (data inputs too) with values that fit or do not."""
    import numpy as np
    meta = read_meta(subject)
    placeholders = [n for n in meta.graph_def.node if n.op in ("Placeholder", "PlaceholderWithDefault", "PlaceholderV2")]
    if not placeholders:
        return Mutation("cli: no placeholder to --set")
    node = rng.choice(placeholders)
    text = rng.choice(_VALUES)
    dtype = node.attr["dtype"].type
    value, why = _parsed(text, dtype, np)
    if value is None:
        return Mutation("cli: --set %s=%r" % (node.name, text), args=["--set", "%s=%s" % (node.name, text)],
                        must_refuse=why)
    return Mutation("cli: --set %s=%r" % (node.name, text), args=["--set", "%s=%s" % (node.name, text)],
                    fixed={node.name: value})


def _parsed(text, dtype, np):
    """The scalar a --set text means for ``dtype`` (the campaign's own reading), or (None, why not)."""
    lowered = text.strip().lower()
    name = _NUMPY.get(dtype)
    if name is None:
        return None, "a --set of a placeholder of dtype %d" % dtype
    if name == "bool":
        table = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}
        if lowered not in table:
            return None, "%r is not a boolean" % text
        return np.array(table[lowered]), ""
    try:
        number = int(lowered) if name.startswith("int") else float(lowered)
    except ValueError:
        return None, "%r is not a %s" % (text, name)
    if name.startswith("int") and not np.iinfo(name).min <= number <= np.iinfo(name).max:
        return None, "%r is outside %s" % (text, name)
    if name.startswith("float") and abs(number) != float("inf") and abs(number) > np.finfo(name).max:
        return None, "%r is outside %s" % (text, name)
    return np.array(number, dtype=name), ""


def input_cuts(rng, subject):
    """--inputs at a tensor the outputs need: an ordinary one, one inside a while loop, a far port."""
    meta = read_meta(subject)
    nodes = _path_nodes(meta, subject, lambda n: n.op not in VARIABLE_OPS and n.op != "Const")
    if not nodes:
        return Mutation("cli: nothing to cut")
    loop = [n for n in nodes if "while/" in n.name]
    node = rng.choice(loop if loop and rng.random() < 0.5 else nodes)
    port = rng.choice([0, 0, 0, 1, 5])
    tensor = "%s:%d" % (node.name, port)
    return Mutation("cli: --inputs %s (%s)" % (tensor, node.op), args=["--inputs", tensor], cuts=[tensor])


def destinations(rng, subject):
    """-o at a FIFO, a device node of our own, a symbolic link, a folder, an input file, a missing folder,
    or an existing regular file (which is written over)."""
    out = subject.out_dir
    if not os.path.isdir(out):
        os.makedirs(out)
    path = os.path.join(out, "frozen.pb")
    kind = rng.choice(["fifo", "device", "link", "folder", "input", "missing", "regular", "socket"])
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        try:  # never a real device: a rename over /dev/null, as root, would replace it
            os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))
        except (OSError, AttributeError):
            kind = "fifo"
            os.mkfifo(path)
    elif kind == "link":
        with open(path + ".target", "wb") as handle:
            handle.write(b"keep")
        os.symlink(path + ".target", path)
    elif kind == "folder":
        os.mkdir(path)
    elif kind == "input":
        path = subject.meta
    elif kind == "missing":
        path = os.path.join(out, "missing", "frozen.pb")
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.close()
    else:
        with open(path, "wb") as handle:
            handle.write(b"old contents")
    must = "" if kind == "regular" else "-o is a %s" % kind
    return Mutation("cli: -o is a %s" % kind, destination=path, must_refuse=must)


def inference(rng, subject):
    """--inference (training switches fixed to their defaults): the oracle feeds nothing for them."""
    return Mutation("cli: --inference", args=["--inference"])


# (family, weight). FIRST_FAMILIES is the table the seeds of tests/cases.py's REPRODUCERS were drawn with
# (a seed picks its family by weight: a new family changes every seed's pick, so the table grows in a copy).
FIRST_FAMILIES = (
    (two_savers, 6), (restore_through_op, 4), (restore_keys, 5), (unrestored_variable, 2),
    (attrs, 6), (ports_and_versions, 5), (names, 4), (huge_const, 3), (functions, 3),
    (special_files, 4), (output_ports, 3), (set_value, 4), (input_cuts, 4), (destinations, 3), (inference, 1),
)
FAMILIES = FIRST_FAMILIES + ((shapes, 4),)


def structured_mutation(rng, subject, v1=False, table=FAMILIES):
    """One weighted-random structured mutation of ``subject`` (V1 field edits when ``v1``), from ``table``."""
    if v1 and rng.random() < 0.4:
        return v1_fields(rng, subject)
    families = [f for f, _ in table if not (v1 and f in (restore_through_op,))]
    weights = [w for f, w in table if f in families]
    total = sum(weights)
    pick = rng.random() * total
    for family, weight in zip(families, weights):
        pick -= weight
        if pick < 0:
            return family(rng, subject)
    return families[-1](rng, subject)


def campaign_mutation(seed, subject, v1=False, only=None, table=FAMILIES):
    """The mutation tools/mutation_campaign.py makes for ``seed``: raw/index/graph edits (tests/mutators.py)
    in about a third of the cases, else a structured one (``only``: "raw", "structured" or a family's name)."""
    from tests.mutators import _raw, mutate
    rng = random.Random(seed)
    family = dict((f.__name__, f) for f, _ in FAMILIES).get(only)
    if family is not None:
        return family(rng, subject)
    if only == "raw" or (only is None and rng.random() < 0.35):
        if v1:  # no .index or .data: bytes of the table file, the .meta or the state file
            names = sorted(n for n in os.listdir(subject.folder) if n not in ("spec.json", "io.npz"))
            return Mutation("raw: " + _raw(rng, os.path.join(subject.folder, rng.choice(names))))
        return Mutation("raw: " + mutate(rng, subject.prefix))
    return structured_mutation(rng, subject, v1=v1, table=table)
