"""Random ops in a verification: which outputs depend on them, and both runs seeded alike.

An op is a random op when TensorFlow registers it as stateful and its OpDef declares the ``seed`` and
``seed2`` attrs (RandomUniform, TruncatedNormal, Multinomial, RandomShuffle, ...). With both seeds 0 its
kernel draws from a random seed in every session, so a dropout that inference mode does not remove (a
keep_prob written as a constant) gives other values in every run. TensorFlow's kernel draws from
(seed, seed2) when either is set: verify sets both, the same in the checkpoint graph and in the frozen graph
(which keeps the node names), so the two runs draw the same numbers and can be compared. A random op in
a while loop draws once per iteration in the order the iterations run; verify runs the loops of such a
graph one iteration at a time (the Enter ops' ``parallel_iterations`` 1), so the order is the same too.
"""

import zlib

from core.formats.op_registry import load_registry, stateful_ops
from core.names import node_name

# The graph-level seed verify gives unseeded random ops (seed2 is derived from the node name, so ops differ).
VERIFY_SEED = 87654321


def is_random_op(op, registry=None):
    """True when TensorFlow's OpDef of ``op`` is stateful and takes ``seed`` and ``seed2`` attrs."""
    if op not in stateful_ops():
        return False
    history = (registry or load_registry()).history(op)
    if history is None:
        return False
    attrs = history.attrs()
    return "seed" in attrs and "seed2" in attrs


def _seed_of(node, key):
    return int(node.attr[key].i) if key in node.attr else 0


def _node_lists(graph_def):
    """(function name or "", its NodeDefs) for the graph and every function of its library."""
    yield "", graph_def.node
    for function in graph_def.library.function:
        yield function.signature.name, function.node_def


def _called_functions(node):
    """Names of the library functions a node runs (a While's body, a call's f, a function called as an op)."""
    names = [node.op]
    for value in node.attr.values():
        if value.WhichOneof("value") == "func":
            names.append(value.func.name)
        elif value.WhichOneof("value") == "list":
            names.extend(f.name for f in value.list.func)
    return names


def seed_alike(graph_def):
    """Gives every unseeded random op of ``graph_def`` (TensorFlow's GraphDef, changed in place; its
    library's functions too) seed VERIFY_SEED and a seed2 derived from its name, and when it has random ops
    runs its loops one iteration at a time. Returns the names of the random ops ("FUNCTION/NODE" in a function)."""
    registry = load_registry()
    found = []
    for function, nodes in _node_lists(graph_def):
        for node in nodes:
            if not is_random_op(node.op, registry):
                continue
            name = function + "/" + node.name if function else node.name
            found.append(name)
            if _seed_of(node, "seed") == 0 and _seed_of(node, "seed2") == 0:
                node.attr["seed"].i = VERIFY_SEED
                node.attr["seed2"].i = (zlib.crc32(name.encode("utf-8")) & 0x7fffffff) or 1
    if found:
        for _, nodes in _node_lists(graph_def):
            for node in nodes:
                if node.op in ("Enter", "RefEnter") or (node.op in ("While", "StatelessWhile")
                                                         and "parallel_iterations" in node.attr):
                    node.attr["parallel_iterations"].i = 1
    return found


def _random_functions(graph_def, registry):
    """dict function name -> the random ops it runs, itself or through the functions it calls."""
    direct, calls = {}, {}
    for function, nodes in _node_lists(graph_def):
        if function:
            direct[function] = [function + "/" + n.name for n in nodes if is_random_op(n.op, registry)]
            calls[function] = set(f for n in nodes for f in _called_functions(n))
    result = {}
    for function in direct:
        seen, stack, names = set([function]), [function], []
        while stack:
            current = stack.pop()
            names.extend(direct.get(current, []))
            for callee in calls.get(current, ()):
                if callee in direct and callee not in seen:
                    seen.add(callee)
                    stack.append(callee)
        if names:
            result[function] = sorted(names)
    return result


def computed_from(graph, start, fed=()):
    """Indexes of the nodes output node ``start`` is computed from, a fed tensor's own inputs left out
    (a fed node's single output replaces what computes it)."""
    blocked = set(graph.position[node_name(f)] for f in fed if node_name(f) in graph.position)
    seen, stack = set([start]), [start]
    while stack:
        i = stack.pop()
        if i in blocked:
            continue
        for s in [s for s, _ in graph.data_in[i]] + list(graph.control_in[i]):
            if s not in seen:
                seen.add(s)
                stack.append(s)
    return seen


def random_dependencies(graph_def, outputs, fed=()):
    """dict output -> names of the random ops it is computed from (outputs that use none are left out),
    the tensors in ``fed`` taken as given. ``graph_def`` is TensorFlow's GraphDef (core's keeps no
    function library)."""
    from core.analysis.graph_model import GraphModel
    registry = load_registry()
    functions = _random_functions(graph_def, registry)
    graph = GraphModel(graph_def)
    result = {}
    for output in outputs:
        start = graph.position.get(node_name(output))
        if start is None:
            continue
        names = []
        for i in sorted(computed_from(graph, start, fed)):
            node = graph_def.node[i]
            if is_random_op(node.op, registry):
                names.append(node.name)
            for callee in _called_functions(node) if functions else ():
                names.extend(functions.get(callee, []))
        if names:
            result[output] = names
    return result


def describe(output, names):
    """One line for a report: what ``output`` depends on, and how the runs were made comparable."""
    shown = ", ".join("'%s'" % n for n in names[:3]) + (" and %d more" % (len(names) - 3) if len(names) > 3 else "")
    return ("%s depends on random op%s %s, which inference mode does not remove: both runs drew from the same "
            "seed (seed %d)" % (output, "s" if len(names) > 1 else "", shown, VERIFY_SEED))
