"""Stripping what a deployed graph does not compute with: Identity-like ops and assertion guards."""

from core.deploy.graph_edit import consumers, copy_graph, input_text, prune, set_inputs, split_input

# Ops whose output 0 is their input 0 (Print also logs, CheckNumerics also checks, StopGradient and
# PreventGradient only matter to gradients).
PASS_THROUGH = frozenset(["Identity", "CheckNumerics", "StopGradient", "PreventGradient", "Print", "Snapshot"])
_CONTROL_FLOW = frozenset(["Switch", "RefSwitch", "Merge", "RefMerge", "Enter", "RefEnter", "Exit", "RefExit",
                           "NextIteration", "RefNextIteration", "LoopCond"])
# Ops that only order an assertion or pass its guard's pivot along (the Assert guard's cond).
_GUARD_OPS = frozenset(["Identity", "NoOp", "Merge", "Switch", "Assert", "Print"])
_GUARD_DEPTH = 12


class StripResult(object):
    """What strip_graph removed: counts by op of the pass-through nodes, and the assertion edges cut."""

    def __init__(self):
        self.removed = {}
        self.assert_edges = 0
        self.pruned = 0

    def summary(self):
        parts = ["%d %s" % (n, op) for op, n in sorted(self.removed.items())]
        if self.assert_edges:
            parts.append("%d assertion guard edge%s" % (self.assert_edges, "s" * (self.assert_edges != 1)))
        if self.pruned:
            parts.append("%d nodes no output needs" % self.pruned)
        return ", ".join(parts)


def _assertion_nodes(graph_def):
    """Names of nodes that exist only to assert: Assert ops, and the guard nodes (Identity, NoOp, Merge,
    Switch) whose data nobody but other guard nodes uses and that lead to an Assert within a few hops."""
    by_name = dict((n.name, n) for n in graph_def.node)
    users = consumers(graph_def)
    asserts = set(n.name for n in graph_def.node if n.op == "Assert")
    if not asserts:
        return set()
    reaches = {}

    def reaches_assert(name, depth):
        if name in asserts:
            return True
        if depth > _GUARD_DEPTH or name not in by_name or by_name[name].op not in _GUARD_OPS:
            return False
        if name not in reaches:
            reaches[name] = False
            reaches[name] = any(reaches_assert(split_input(t)[0], depth + 1) for t in by_name[name].input)
        return reaches[name]

    found = set(asserts)
    for node in graph_def.node:
        if node.op in ("Merge", "NoOp", "Identity") and reaches_assert(node.name, 0):
            data_users = [u for u, _, port in users.get(node.name, ()) if port >= 0]
            if all(u.op in _GUARD_OPS and reaches_assert(u.name, 0) for u in data_users):
                found.add(node.name)
    return found


def _cut_assertions(graph_def, result):
    guards = _assertion_nodes(graph_def)
    for node in graph_def.node:
        if node.name in guards:
            continue
        kept = [t for t in node.input if not (t.startswith("^") and t[1:] in guards)]
        if len(kept) != len(node.input):
            result.assert_edges += len(node.input) - len(kept)
            set_inputs(node, kept)


def _removable(node, by_name, protected, users):
    if node.op not in PASS_THROUGH or node.name in protected or not node.input:
        return False
    if any(t.startswith("^") for t in node.input):
        return False
    source = by_name.get(split_input(node.input[0])[0])
    if source is None or source.op in _CONTROL_FLOW:
        return False  # a cond branch's pivot or a loop variable's Identity carries its frame
    return not any(port < 0 for _, _, port in users.get(node.name, ()))


def strip_graph(graph_def, outputs):
    """Removes pass-through ops and assertion guards; the outputs keep their names.

    Returns:
        (new GraphDef, StripResult).
    """
    graph = copy_graph(graph_def)
    result = StripResult()
    _cut_assertions(graph, result)
    protected = set(split_input(o)[0] for o in outputs)
    by_name = dict((n.name, n) for n in graph.node)
    users = consumers(graph)
    replace = {}
    for node in graph.node:
        if _removable(node, by_name, protected, users):
            replace[node.name] = split_input(node.input[0])[:2]
            result.removed[node.op] = result.removed.get(node.op, 0) + 1

    def resolve(name, port):
        while port == 0 and name in replace:
            name, port = replace[name]
        return name, port

    for node in graph.node:
        if node.name in replace:
            continue
        inputs = []
        for text in node.input:
            name, port, control = split_input(text)
            if control:
                inputs.append("^" + resolve(name, 0)[0])
            else:
                inputs.append(input_text(*resolve(name, port)))
        set_inputs(node, inputs)
    result.pruned = prune(graph, outputs) - len(replace)
    return graph, result
