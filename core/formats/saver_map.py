"""Which checkpoint key (and slice) restores which variable, read from the graph's restore ops."""

import collections

from core.formats import dtypes
from core.names import node_name

VARIABLE_OPS = frozenset(["Variable", "VariableV2", "VarHandleOp"])
_ASSIGN_OPS = frozenset(["Assign", "AssignVariableOp"])
_RESTORE_OPS = frozenset(["RestoreV2", "RestoreSlice", "Restore"])
_PASS_OPS = frozenset(["Identity", "Cast"])


class VariableSource(collections.namedtuple("VariableSource", "key region via_saver")):
    """Where a variable's value lives in the checkpoint.

    key: the checkpoint tensor name.
    region: None for the whole tensor, else (full_shape, starts, lengths) of a partition.
    via_saver: True when read from the graph's restore ops, False for a name fallback.
    """


def parse_slice_spec(spec):
    """Parses a saver shape-and-slice string such as "30 8 10,10:0,8".

    Returns:
        None for "" (the whole tensor), else (full_shape, starts, lengths); a "-"
        extent means the whole dimension.
    Raises:
        ValueError: malformed spec.
    """
    spec = spec.strip()
    if not spec:
        return None
    parts = spec.split(" ")
    full_shape = [int(p) for p in parts[:-1]]
    extents = parts[-1].split(":")
    if len(extents) != len(full_shape):
        raise ValueError("slice %r does not match shape %r" % (parts[-1], full_shape))
    starts, lengths = [], []
    for extent, dim in zip(extents, full_shape):
        if extent == "-":
            starts.append(0)
            lengths.append(dim)
        else:
            start, length = extent.split(",")
            starts.append(int(start))
            lengths.append(int(length))
    return full_shape, starts, lengths


def _string_values(node):
    if node is None or node.op != "Const":
        return None
    return dtypes.string_values(node.attr["value"].tensor)


def variable_sources(graph_def):
    """Maps variable node names to their checkpoint source through the restore ops.

    Variables with no restore op are left out; callers fall back to the name
    (or a resource variable's shared_name).

    Returns:
        dict variable name -> VariableSource.
    """
    assigns = [n for n in graph_def.node if n.op in _ASSIGN_OPS and len(n.input) >= 2]
    if not assigns:
        return {}
    nodes = dict((n.name, n) for n in graph_def.node)
    sources = {}
    strings = {}

    def string_values(name):
        # TF >= 1.5 restores every variable from one RestoreV2: decode its lists once.
        if name not in strings:
            strings[name] = _string_values(nodes.get(name))
        return strings[name]

    for node in assigns:
        target = nodes.get(node_name(node.input[0]))
        if target is None or target.op not in VARIABLE_OPS:
            continue
        value = node.input[1]
        source = nodes.get(node_name(value))
        visited = set()
        while source is not None and source.op in _PASS_OPS and source.input:
            if source.name in visited:  # a cycle: no restore op feeds this variable
                source = None
                break
            visited.add(source.name)
            value = source.input[0]
            source = nodes.get(node_name(value))
        if source is None or source.op not in _RESTORE_OPS or len(source.input) < 2:
            continue
        try:
            port = int(value.rsplit(":", 1)[1]) if ":" in value else 0
        except ValueError:
            continue
        names = string_values(node_name(source.input[1]))
        if not names:
            continue
        specs = None
        if len(source.input) > 2:
            specs = string_values(node_name(source.input[2]))
        index = port if len(names) > 1 else 0
        if index >= len(names):
            continue
        region = None
        if specs and index < len(specs):
            try:
                region = parse_slice_spec(specs[index])
            except ValueError:
                region = None
        sources[target.name] = VariableSource(names[index], region, True)
    return sources


def fallback_key(node):
    """The checkpoint key TensorFlow's default saver would use for a variable node."""
    if node.op == "VarHandleOp":
        shared = node.attr["shared_name"].s.decode("utf-8") if "shared_name" in node.attr else ""
        return shared or node.name
    return node.name
