"""Ops a freeze cannot keep: those that update or query a variable it turns into a constant.

Read from the ops' definitions, not their names: an op that takes a variable by reference (a `Ref(T)`
input, as `ApplyAdam`, `ScatterSub`, `CountUpTo` do) or by its resource handle (`ResourceApplyAdam`,
`ResourceScatterAdd`, `VariableShape`) acts on the variable itself, which the frozen graph no longer has.
Ops that make new tensors (`ScatterNd`, `TensorScatterUpdate`) take values and stay.
"""

from core.errors import ModelError, quote
from core.formats import dtypes
from core.formats.saver_map import VARIABLE_OPS
from core.names import node_name

# Ops a freeze rewrites (ref ops to value ops, assigns to their values, resource reads to plain reads)
# or replaces (initialised-checks): they take the variable by reference in the source, not in the result.
_REWRITTEN = frozenset(["Assign", "AssignAdd", "AssignSub", "AssignVariableOp", "AssignAddVariableOp",
                        "AssignSubVariableOp", "ReadVariableOp", "ResourceGather", "IsVariableInitialized",
                        "VarIsInitializedOp", "RefSwitch", "RefEnter", "RefMerge", "RefIdentity",
                        "RefNextIteration", "RefExit"])
# Ops a variable's ref or handle passes through unchanged on its way to the op that uses it.
_PASS = frozenset(["Identity", "RefIdentity", "Enter", "RefEnter", "Switch", "RefSwitch", "Merge", "RefMerge",
                   "Exit", "RefExit", "NextIteration", "RefNextIteration", "Snapshot"])


def _by_reference(spec, node):
    """[(input position, arg name)] where the op takes its input by reference or as a resource handle."""
    positions, at = [], 0
    for arg in spec.inputs:
        if arg.list_attr is not None:
            count = len(node.attr[arg.list_attr].list.type) if arg.list_attr in node.attr else 0
        elif arg.number_attr is not None:
            count = node.attr[arg.number_attr].i if arg.number_attr in node.attr else 1
        else:
            count = 1
        if arg.is_ref or arg.dtype == dtypes.DT_RESOURCE:
            how = "by reference" if arg.is_ref else "by its resource handle"
            positions.extend((at + k, "%s (input '%s')" % (how, arg.name)) for k in range(count))
        at += max(0, count)
    return positions


def _variable_behind(tensor, nodes, limit=64):
    """The variable node a ref or handle comes from, through pass-through ops; None when it is none."""
    name = node_name(tensor)
    for _ in range(limit):
        node = nodes.get(name)
        if node is None:
            return None
        if node.op in VARIABLE_OPS:
            return node
        data = [i for i in node.input if not i.startswith("^")]
        if node.op not in _PASS or not data:
            return None
        name = node_name(data[0])
    return None


def _acting_spec(op, registry, release):
    """The op's OpDef spec when it takes some input by reference or resource handle, else None."""
    if op in _REWRITTEN or op in VARIABLE_OPS:
        return None
    history = registry.history(op)
    spec = history.spec_for(release.index) if history is not None else None
    if spec is not None and any(a.is_ref or a.dtype == dtypes.DT_RESOURCE for a in spec.inputs):
        return spec
    return None


def ops_taking_variables(ops, registry, release):
    """The ops among ``ops`` that could act on a variable (an input by reference or handle): the only nodes
    refuse_variable_updates needs to see."""
    return set(op for op in ops if _acting_spec(op, registry, release) is not None)


def refuse_variable_updates(keep, nodes, parent, registry, release, frozen=None):
    """Refuses kept ops that take a frozen variable by reference or handle, naming the op and why.

    Args:
        keep: kept node names; nodes: name -> NodeDef (edits applied); parent: kept name -> the node
            that led the search to it (for the path in the message).
        registry: the OpRegistry; release: the Release whose OpDefs decide (the target's, else the newest).
        frozen: names of the variables turned into Consts (default: every variable node kept).
    Raises:
        ModelError: the first such op, with the variable, the input it takes it on and the path to it.
    """
    specs = {}
    found = []
    for name in keep:
        node = nodes[name]
        if node.op in _REWRITTEN or node.op in VARIABLE_OPS:
            continue
        if node.op not in specs:
            specs[node.op] = _acting_spec(node.op, registry, release)
        spec = specs[node.op]
        if spec is None:
            continue
        data = [i for i in node.input if not i.startswith("^")]
        for position, arg in _by_reference(spec, node):
            variable = _variable_behind(data[position], nodes) if position < len(data) else None
            if variable is not None and (frozen is None or variable.name in frozen):
                found.append((name, variable.name, arg))
                break
    if found:
        found.sort()
        name, variable, arg = found[0]
        raise ModelError(
            "cannot freeze: the outputs depend on %d op(s) that update or query variables, for example %s (%s), "
            "which takes variable %s %s to act on it, while the frozen graph holds it as a constant; "
            "it is reached by %s. Choose outputs of the inference part of the graph."
            % (len(found), quote(name), nodes[name].op, quote(variable), arg, _chain(name, parent)))


def _chain(name, parent, limit=8):
    chain = [name]
    while chain[-1] in parent and len(chain) < limit:
        chain.append(parent[chain[-1]])
    return " <- ".join(reversed(chain))
