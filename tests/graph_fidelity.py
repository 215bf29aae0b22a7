"""Test helper: every kept NodeDef must be byte-identical to its source apart from documented rewrites.

Implemented independently of the freezer: it splits raw NodeDefs into their top-level
fields and compares them, allowing only a cleared device, dropped colocation entries,
the op rewrites freezing requires, and (for a target runtime) attrs the target lacks
that were dropped because they held their default.
"""

from core.formats import protos

REWRITTEN_OPS = {
    "RefSwitch": "Switch", "RefEnter": "Enter", "RefMerge": "Merge", "RefIdentity": "Identity",
    "RefNextIteration": "NextIteration", "RefExit": "Exit", "Assign": "Identity",
    "AssignAdd": "Add", "AssignSub": "Sub", "ReadVariableOp": "Identity",
    "ResourceGather": "GatherV2", "AssignVariableOp": "NoOp",
}
VARIABLES = ("Variable", "VariableV2", "VarHandleOp")


def _varint(buf, pos):
    value, shift = 0, 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, pos


def split_fields(buf):
    """Top-level fields of a message: list of (number, raw bytes incl. tag, payload)."""
    buf = bytes(buf)
    pos, fields = 0, []
    while pos < len(buf):
        start = pos
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = _varint(buf, pos)
            payload = b""
        elif wire == 2:
            length, pos = _varint(buf, pos)
            payload = buf[pos:pos + length]
            pos += length
        elif wire == 1:
            pos += 8
            payload = b""
        else:
            pos += 4
            payload = b""
        fields.append((number, buf[start:pos], payload))
    return fields


def graph_nodes_raw(graph_bytes):
    """Raw NodeDef bytes of a serialized GraphDef, in order."""
    return [payload for number, _, payload in split_fields(graph_bytes) if number == 1]


def _attr_key(payload):
    for number, _, value in split_fields(payload):
        if number == 1:
            return value.decode("utf-8")
    return ""


def _dropped_default(field, source, present, dropped_defaults):
    """Is ``field`` an attr entry absent from the frozen node that held an allowed default?"""
    if field[0] != 5:
        return False
    key = _attr_key(field[2])
    default = dropped_defaults.get((source.op, key))
    return key not in present and default is not None and source.attr[key] == default


def check_faithful(frozen_bytes, source_graph, keep_devices=False, allowed_changed=(), dropped_defaults=None):
    """Returns a list of problems (empty when the frozen graph is faithful to its source).

    Args:
        frozen_bytes: the frozen GraphDef file's bytes.
        source_graph: core.formats.graph_io.LoadedGraph the freeze read.
        keep_devices: whether devices were kept.
        allowed_changed: node names that may differ (e.g. inference-mode edits).
        dropped_defaults: {(op, attr): AttrValue} attrs that may be missing from a frozen node of that op,
            when the source node held exactly that (default) value.
    """
    dropped_defaults = dropped_defaults or {}
    source_raw = dict()
    for node, raw in zip(source_graph.graph_def.node, source_graph.node_bytes()):
        source_raw[node.name] = (node, bytes(raw))
    frozen_raw = graph_nodes_raw(frozen_bytes)
    kept = set(protos.NodeDef.FromString(r).name for r in frozen_raw)
    problems = []
    for raw in frozen_raw:
        node = protos.NodeDef.FromString(raw)
        if node.name not in source_raw:
            if not node.name.endswith("/axis") and node.name not in allowed_changed:
                problems.append("%s: not in the source" % node.name)
            continue
        source, source_bytes = source_raw[node.name]
        if node.name in allowed_changed:
            continue
        if source.op in VARIABLES:
            if node.op != "Const" or node.attr["dtype"].type != source.attr["dtype"].type:
                problems.append("%s: variable not turned into a Const of its dtype" % node.name)
            continue
        if source.op in REWRITTEN_OPS:
            if node.op != REWRITTEN_OPS[source.op]:
                problems.append("%s: %s became %s" % (node.name, source.op, node.op))
            continue
        actual = split_fields(raw)
        present = set(_attr_key(f[2]) for f in actual if f[0] == 5)
        expected = [f for f in split_fields(source_bytes) if (keep_devices or f[0] != 4)
                    and not _dropped_default(f, source, present, dropped_defaults)]
        if [f[1] for f in expected] == [f[1] for f in actual]:
            continue
        # Only a `_class` attr may differ, and only by dropping entries of pruned nodes.
        exp_rest = [f[1] for f in expected if not (f[0] == 5 and _attr_key(f[2]) == "_class")]
        act_rest = [f[1] for f in actual if not (f[0] == 5 and _attr_key(f[2]) == "_class")]
        if exp_rest != act_rest:
            problems.append("%s: bytes differ from the source beyond allowed rewrites" % node.name)
            continue
        before = set(source.attr["_class"].list.s) if "_class" in source.attr else set()
        after = set(node.attr["_class"].list.s) if "_class" in node.attr else set()
        dropped = before - after
        if not after <= before or any(d[5:].decode() in kept for d in dropped):
            problems.append("%s: _class changed wrongly" % node.name)
    return problems
