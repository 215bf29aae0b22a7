"""Read-only views of a LoadedModel for the fronts (re-exported by core.api): names, ops, roles, shapes,
counts and values, so the window and the CLI never walk the analysis themselves."""

from core.analysis.roles import CONSTANT, TRAINING_ONLY
from core.errors import ModelError


def suggested_outputs(loaded):
    """The output names a user would freeze (what *Use suggested outputs* ticks): one form per head of each
    trained network's prediction, the trained copy of a network, a GAN's generator, every head of a multi-head
    model; a SavedModel's serving signature outputs when it has one.

    Args:
        loaded: core.pipeline.LoadedModel.
    """
    return list(loaded.analysis.suggested)


def output_heads(loaded):
    """The heads of a model's predictions (core.analysis.heads.Head: ``preferred`` name, ``forms`` names with the
    preferred first, ``reason`` text, ``kind`` "scores"/"picks", ``suggested``), suggested heads first."""
    return list(loaded.analysis.heads)


def has_node(loaded, name):
    """Is ``name`` a node of the loaded graph?"""
    return name in loaded.analysis.graph.position


def node_op(loaded, name):
    """The op type of node ``name``."""
    return loaded.analysis.graph.op(name)


def node_role(loaded, name):
    """The role of node ``name`` (INPUT, VARIABLE, TRAINING, ...), or None when there is no such node."""
    return loaded.analysis.roles.get(name)


def node_names(loaded):
    """Every node name, in graph order."""
    return list(loaded.analysis.graph.names)


def op_types(loaded):
    """The set of op types the graph uses."""
    return set(loaded.analysis.graph.ops)


def node_shape(loaded, name):
    """The shape text ("[?,10]") of output 0 of node ``name``, "" when unknown."""
    from core.analysis.subgraph import port_shape
    return port_shape(loaded.analysis.graph, name, 0)


def output_ports(loaded, name):
    """The outputs of node ``name``: list of (tensor name, dtype name, shape text), from its OpDef and attrs."""
    return loaded.analysis.details(name).outputs


def resolve_outputs(loaded, names):
    """Node names of output names ("name", "name:0"), each once; ModelError names an unknown one with the
    closest names in the graph."""
    from core.freeze.plan import resolve_outputs as _resolve
    return _resolve(loaded.model.graph_def, names, loaded.model.location.model_file)


def scope_path(loaded, name):
    """The scope paths from the top down to node ``name`` ("a", "a/b", "a/b/op"), for opening the tree."""
    return [node.full_path for node in loaded.analysis.scope_tree.path_of(name)]


def search(loaded, query):
    """Node names matching ``query`` (terms, glob*, /regex/, op:Type), in graph order; QueryError when malformed."""
    return loaded.analysis.search(query)


def counts_text(loaded):
    """'463 nodes · 32 variables · 635 parameters' (a frozen graph: its constants' values instead)."""
    from core.freeze.writer import human_size
    summary = loaded.analysis.summary(loaded.variable_bytes())
    if summary.variables or loaded.model.checkpoint is not None:
        return "%s nodes · %d variables · %s parameters" % ("{:,}".format(summary.nodes), summary.variables,
                                                             "{:,}".format(summary.parameters))
    values = constant_values(loaded)
    return "%s nodes · %s constant values (%s)" % ("{:,}".format(summary.nodes), "{:,}".format(values[0]),
                                                   human_size(values[1]))


def constant_values(loaded):
    """(values, bytes) held by the graph's Const nodes (a frozen graph's weights)."""
    from core.formats import dtypes
    count = size = 0
    graph = loaded.analysis.graph
    for i, op in enumerate(graph.ops):
        if op != "Const":
            continue
        tensor = graph.graph_def.node[i].attr["value"].tensor
        elements = dtypes.element_count(dtypes.shape_dims(tensor.tensor_shape))
        count += elements
        size += len(tensor.tensor_content) or elements * (dtypes.itemsize(tensor.dtype) or 0)
    return count, size


def training_only_names(loaded):
    """The nodes "Show training ops" hides: the training-only roles (loss, gradients, optimizer, saver, ...)
    and the constants and bookkeeping only they consume, or that nothing consumes inside a scope of
    training-only nodes (the shape checks a loss leaves behind), so no scope is left holding only those."""
    graph, roles = loaded.analysis.graph, loaded.analysis.roles
    names = graph.names
    hidden = set(i for i, name in enumerate(names) if roles.get(name) in TRAINING_ONLY)
    training_scopes = set()
    for i in hidden:
        scope = names[i].rpartition("/")[0]
        while scope and scope not in training_scopes:
            training_scopes.add(scope)
            scope = scope.rpartition("/")[0]
    for order in (range(len(names) - 1, -1, -1), range(len(names))):  # consumers mostly come later: two passes
        for i in order:
            if i not in hidden and roles.get(names[i]) in (CONSTANT, "other") and \
                    _feeds_only(graph, hidden, i, _near_training(names[i], training_scopes)):
                hidden.add(i)
    return frozenset(names[i] for i in hidden)


def _near_training(name, training_scopes):
    """Is ``name``'s scope, or the scope around it, one that holds training-only nodes?"""
    scope = name.rpartition("/")[0]
    return scope in training_scopes or (bool(scope) and scope.rpartition("/")[0] in training_scopes)


def _feeds_only(graph, hidden, i, in_training_scope):
    consumers = graph.data_out[i] + graph.control_out[i]
    if not consumers:
        return in_training_scope
    return all(c in hidden for c in consumers)


def has_values(loaded, name):
    """Can the window show the values of node ``name``: a Const, or a variable its checkpoint holds?"""
    if node_op(loaded, name) == "Const":
        return True
    info = loaded.variables.get(name)
    return info is not None and info.in_checkpoint and loaded.model.checkpoint is not None


def tensor_values(loaded, name, progress=None, cancel=None):
    """The values of a Const (its tensor, read as TensorFlow reads it) or of a variable (its checkpoint entry,
    the whole tensor for a partition) as a numpy array; ModelError when the node holds none."""
    from core.formats import dtypes
    node = loaded.analysis.graph.node(name)
    if node.op == "Const":
        try:
            return dtypes.proto_values(node.attr["value"].tensor)
        except ValueError as exc:
            raise ModelError("Const %s: %s" % (name, exc))
    info = loaded.variables.get(name)
    if info is None or not info.in_checkpoint or loaded.model.checkpoint is None:
        raise ModelError("%s holds no values the window can read (it is neither a Const nor a variable in the "
                         "checkpoint)" % name)
    return loaded.model.checkpoint.read(info.key)


def output_candidates(loaded):
    """The ranked output candidates, best first (core.analysis.candidates.Candidate: ``name``, ``tail``,
    ``reasons``, ``score``)."""
    return list(loaded.analysis.candidates)


def node_details(loaded, name):
    """What the details pane shows of node ``name`` (core.analysis.node_details.NodeDetails: ``op``, ``role``,
    ``device``, ``outputs``, ``data_inputs``, ``control_inputs``, ``consumers``, ``attrs``)."""
    return loaded.analysis.details(name)


def scope_tree(loaded):
    """The graph's scopes as a tree (core.analysis.scope_tree.ScopeTree), for the window's op tree."""
    return loaded.analysis.scope_tree


def node_roles(loaded):
    """dict node name -> role (INPUT, VARIABLE, TRAINING, ...), read-only."""
    return loaded.analysis.roles
