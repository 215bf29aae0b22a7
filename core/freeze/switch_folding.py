"""Fixing placeholders to values and folding away the control flow that then never runs."""


from core.analysis.training_switches import const_value
from core.errors import ModelError
from core.formats import protos
from core.freeze.graph_edits import GraphEdits
from core.freeze.node_defs import const_node
from core.names import node_name


def fold_training_switches(graph_def, values):
    """Fixes switches to values and folds the control flow that depends on them.

    Each switch becomes a Const; a Switch whose predicate is then a known constant
    passes its data input straight to the consumers of its live port; a Merge left
    with one live input becomes an Identity of it. Repeats until nothing changes, so
    nested conds fold too. Nodes not named in the result are untouched.

    Args:
        graph_def: protos.GraphDef.
        values: dict switch name -> Python value.
    Returns:
        GraphEdits for core.freezer.freeze(edits=...).
    Raises:
        ModelError: a name that is not a placeholder of the graph.
    """
    nodes = dict((n.name, n) for n in graph_def.node)
    edits = GraphEdits()
    known = {}  # node name -> constant Python value
    for name, value in values.items():
        node = nodes.get(name)
        if node is None or node.op not in ("PlaceholderWithDefault", "Placeholder"):
            raise ModelError("no placeholder named '%s' in the graph" % name)
        edits.replaced[name] = const_node(name, node.attr["dtype"].type, value)
        known[name] = value
    if not known:
        return edits
    switches, merges = fold_known(graph_def, edits, known)
    for name, value in sorted(values.items()):
        edits.notes.append("%s fixed to %r" % (name, value))
    if switches or merges:
        edits.notes.append("%d Switch and %d Merge nodes folded away" % (switches, merges))
    return edits


def fold_known(graph_def, edits, known):
    """Folds the Switch/Merge pairs whose predicate ``known`` (node name -> value) decides.

    Adds to ``edits`` (rewired live Switch ports, Merges replaced by Identities).
    Returns:
        (switches folded, merges replaced).
    """
    nodes = dict((n.name, n) for n in graph_def.node)

    def value_of(tensor):
        name = node_name(tensor)
        if name in known:
            return known[name]
        node = nodes.get(name)
        if node is None:
            return None
        if node.op == "Const":
            return const_value(node)
        if node.op in ("Identity", "Snapshot") and node.input:
            return value_of(node.input[0])
        if node.op == "LogicalNot" and node.input:
            inner = value_of(node.input[0])
            return None if inner is None else (not inner)
        return None

    dead = set()  # tensors ("node:port") that never carry a value
    switches = 0
    changed = True
    while changed:
        changed = False
        for node in graph_def.node:
            if node.name in edits.replaced and node.op != "Merge":
                continue
            if node.op in ("Switch", "RefSwitch") and len(node.input) >= 2:
                pred = value_of(node.input[1])
                if pred is None or node.name + ":1" in edits.rewired or node.name + ":0" in edits.rewired:
                    continue
                live, gone = (1, 0) if pred else (0, 1)
                source = node.input[0]
                source = source if ":" in source or source.startswith("^") else source + ":0"
                edits.rewired["%s:%d" % (node.name, live)] = source
                dead.add("%s:%d" % (node.name, gone))
                switches += 1
                changed = True
            elif node.op in ("Merge", "RefMerge") and node.name not in edits.replaced:
                data = [i for i in node.input if not i.startswith("^")]
                memo = {}
                alive = [i for i in data if not _is_dead(i, nodes, dead, memo)]
                if len(alive) == 1 and len(data) > 1:
                    identity = protos.NodeDef()
                    identity.CopyFrom(node)
                    identity.op = "Identity"
                    del identity.input[:]
                    identity.input.append(alive[0])
                    for attr in list(identity.attr.keys()):
                        if attr != "T" and not attr.startswith("_"):
                            del identity.attr[attr]
                    edits.replaced[node.name] = identity
                    changed = True
    merges = sum(1 for n in edits.replaced.values() if n.op == "Identity")
    return switches, merges


def _is_dead(tensor, nodes, dead, memo, depth=0):
    """True when ``tensor`` can only be computed from a dead Switch port."""
    port_name = tensor if ":" in tensor else tensor + ":0"
    if port_name in dead:
        return True
    name = node_name(tensor)
    if name in memo:
        return memo[name]
    memo[name] = False
    node = nodes.get(name)
    if node is None or depth > 500 or node.op in ("Merge", "RefMerge", "Enter", "NextIteration"):
        return False
    result = False
    for text in node.input:
        if text.startswith("^"):
            # Consts inside a cond branch hang on the branch's pivot (an Identity of the Switch).
            pivot = nodes.get(text[1:])
            if pivot is not None and pivot.op == "Identity" and _is_dead(text[1:], nodes, dead, memo, depth + 1):
                result = True
                break
        elif _is_dead(text, nodes, dead, memo, depth + 1):
            result = True
            break
    memo[name] = result
    return result
