"""Planning a freeze: prune to the outputs, turn variables into constants, rewrite ref ops.

Semantics follow TensorFlow's ``convert_variables_to_constants``: breadth-first
extraction from the outputs over data and control inputs, nodes kept in their
original order, variables replaced by Consts of their dtype and checkpoint
value. Every other kept node is copied as the exact bytes it had in the source,
except for the rewrites listed in ``NodePlan.reason``.
"""

import collections
import logging
import time

from core.formats import protos
from google.protobuf import message as pb_message

from core.errors import ModelError, quote
from core.freeze.graph_checks import check_kept_nodes
from core.freeze.missing import check_all_present, suggest
from core.freeze.graph_edits import GraphEdits
from core.freeze.init_guards import CHECK_OPS, initialized_checks
from core.freeze.tables import embed_vocabularies, table_note
from core.names import node_name, tensor_name
from core.freeze.node_bytes import RawNode, filter_colocation
from core.formats.saver_map import VARIABLE_OPS, fallback_key, variable_sources

log = logging.getLogger(__name__)

REF_OP_RENAMES = {
    "RefSwitch": "Switch", "RefEnter": "Enter", "RefMerge": "Merge",
    "RefIdentity": "Identity", "RefNextIteration": "NextIteration", "RefExit": "Exit",
}
ASSIGN_RENAMES = {"Assign": "Identity", "AssignAdd": "Add", "AssignSub": "Sub"}
RESOURCE_WRITES = frozenset(["AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp"])
# Ops that pass a tensor through and carry its dtype in attr T: a resource handle
# flowing through them becomes the variable's value after conversion.
_PASS_THROUGH = frozenset(["Identity", "Enter", "Switch", "Merge", "Exit", "NextIteration",
                           "RefEnter", "RefSwitch", "RefMerge", "RefIdentity", "RefExit",
                           "RefNextIteration", "Snapshot"])
_STATEFUL_PREFIXES = ("Apply", "ResourceApply", "SparseApply", "ResourceSparseApply", "Scatter",
                      "ResourceScatter")
_STATEFUL_OPS = frozenset(["CountUpTo", "IsVariableInitialized", "VarIsInitializedOp",
                           "DestroyResourceOp", "TemporaryVariable", "DestroyTemporaryVariable",
                           "StridedSliceAssign", "ResourceStridedSliceAssign", "RefSelect",
                           "ResourceCountUpTo", "VariableShape"])
_REWRITTEN = frozenset(REF_OP_RENAMES) | frozenset(ASSIGN_RENAMES) | RESOURCE_WRITES | frozenset(
    ["ReadVariableOp", "ResourceGather"])
DT_RESOURCE = 20
MAX_GRAPH_BYTES = (1 << 31) - 1


class VariableValue(collections.namedtuple(
        "VariableValue", "name key region dtype shape nbytes via_saver")):
    """A variable the freeze turns into a Const, and where its value comes from."""


class NodePlan(object):
    """One node of the frozen graph.

    Attributes:
        name: node name.
        kind: "copy" (source bytes as they are), "edit" (source bytes with edits),
            "const" (a variable turned into a Const) or "new" (built by an edit).
        data: serialized NodeDef for copy/edit/new; None for const.
        variable: VariableValue for const.
        reason: why the node differs from its source (empty for copy).
    """

    def __init__(self, name, kind, data=None, variable=None, reason="", device=""):
        self.name = name
        self.kind = kind
        self.data = data
        self.variable = variable
        self.reason = reason
        self.device = device


class FreezePlan(object):
    """What a freeze will write: nodes in order plus the GraphDef's library and versions."""

    def __init__(self, model, outputs, nodes, tail_fields, nodes_before, notes, runtime=None):
        self.model = model
        self.runtime = runtime
        self.outputs = outputs
        self.nodes = nodes
        self.tail_fields = tail_fields
        self.nodes_before = nodes_before
        self.notes = notes

    @property
    def variables(self):
        return [n.variable for n in self.nodes if n.kind == "const"]


def resolve_outputs(graph_def, outputs, path=None):
    """Turns user-given output names ("name", "name:0", "^name") into node names.

    Raises:
        ModelError: no outputs, or an unknown name (with the closest names in the graph).
    """
    names = [n.name for n in graph_def.node]
    known = set(names)
    result = []
    for raw in outputs:
        raw = raw.strip()
        if not raw:
            continue
        name = node_name(raw)
        if name not in known:
            raise ModelError("output %s is not in the graph%s" % (quote(raw), suggest(name, names)), path)
        if name not in result:
            result.append(name)
    if not result:
        raise ModelError("no output names given", path)
    return result


def _effective_inputs(node, edits):
    """The inputs a node will have in the frozen graph (after rewrites and rewiring)."""
    if node.name in edits.replaced:
        inputs = list(edits.replaced[node.name].input)
    else:
        inputs = list(node.input)
        if node.op in ASSIGN_RENAMES and node.op == "Assign" and len(inputs) >= 2:
            inputs = [inputs[1]] + [i for i in inputs[2:] if i.startswith("^")]
        elif node.op in RESOURCE_WRITES and len(inputs) >= 2:
            inputs = ["^" + node_name(inputs[1])] + [i for i in inputs[2:] if i.startswith("^")]
        elif node.op == "ResourceGather" and len(inputs) >= 2:
            inputs = inputs[:2] + [_axis_name(node)] + inputs[2:]
    if edits.rewired:
        inputs = [_rewire(i, edits.rewired) for i in inputs]
    return inputs


def _rewire(inp, rewired):
    if inp.startswith("^"):
        return inp
    target = rewired.get(tensor_name(inp))
    if target is None:
        return inp
    return target[:-2] if target.endswith(":0") else target


def _source_edits(model, given):
    """The edits of every freeze (axis Consts, initialised-checks, SavedModel vocabularies), then ``given``.

    Returns:
        (all edits, the vocabulary edits alone).
    """
    graph_def = model.graph_def
    edits = gather_axis_nodes(graph_def).merge(initialized_checks(graph_def))
    vocabularies = GraphEdits()
    if getattr(model.location, "saved_model_path", None):
        vocabularies = embed_vocabularies(graph_def, model.location.folder)
        edits.replaced.update(vocabularies.replaced)
        edits.added.extend(vocabularies.added)
    return edits.merge(given or GraphEdits()), vocabularies


def _notes(graph_def, edits, vocabularies, keep, index):
    """The report's notes: the edits', embedded vocabularies and guards that are kept, tables to initialise."""
    notes = list(edits.notes)
    notes.extend(note for name, note in zip(sorted(vocabularies.replaced), vocabularies.notes) if name in keep)
    guards = [n for n in keep if n in index and graph_def.node[index[n]].op in CHECK_OPS]
    if guards:
        notes.append("%d initialised-check(s) of frozen variables made true (%s)"
                     % (len(guards), ", ".join(sorted(guards)[:3])))
    table = table_note(graph_def, keep)
    if table:
        notes.append(table)
    return notes


def plan_freeze(model, outputs, keep_devices=False, edits=None, cancel=None, target_tf=None):
    """Decides every node of the frozen graph without reading any weight.

    Args:
        model: core.formats.model.Model.
        outputs: output names ("name" or "name:0").
        keep_devices: keep `device` fields (cleared by default, as freeze_graph does).
        edits: optional GraphEdits (inference mode) applied on top of the source.
        cancel: optional callable returning True to stop.
        target_tf: TensorFlow release the result must load in ("1.4"): attrs it lacks that hold their
            default are dropped, anything else it cannot load is refused. None: no check.
    Returns:
        FreezePlan (its ``runtime`` is a core.freeze.runtime_target.RuntimeFit when target_tf is given).
    Raises:
        ModelError: unknown outputs, missing or mismatched variables, ops that can't be frozen,
            a result the target release cannot load.
    """
    graph_def = model.graph_def
    edits, vocabularies = _source_edits(model, edits)
    path = model.location.model_file
    outputs = resolve_outputs(graph_def, outputs, path)
    index = dict((n.name, i) for i, n in enumerate(graph_def.node))
    added = dict((n.name, n) for n in edits.added)
    nodes = dict((n.name, n) for n in graph_def.node)
    nodes.update(added)
    nodes.update(edits.replaced)

    keep, parent, sources = _reachable(outputs, nodes, edits, path)
    if cancel is not None and cancel():
        from core.errors import Cancelled
        raise Cancelled()
    _refuse_stateful(keep, nodes, parent)
    check_kept_nodes(model, keep, nodes, sources, index, edits.replaced, path)

    variables = _variable_values(model, [nodes[n] for n in keep if nodes[n].op in VARIABLE_OPS
                                         and n not in edits.replaced])
    resource_dtype = _resource_dtypes(keep, nodes, variables)
    order = sorted((n for n in keep if n in index), key=index.get)
    source_bytes = model.graph.node_bytes()
    plans = []
    new_nodes = _place_added(edits, keep, parent)
    for name in order:
        for extra in new_nodes.pop(name, []):
            plans.append(NodePlan(extra.name, "new", _finish_new(extra, keep, keep_devices), reason="added"))
        if name in variables:
            node = nodes[name]
            plans.append(NodePlan(name, "const", variable=variables[name], reason="variable -> Const",
                                  device=node.device if keep_devices else ""))
            continue
        try:
            plans.append(_plan_node(graph_def.node[index[name]], source_bytes[index[name]], edits,
                                    keep, keep_devices, resource_dtype, variables))
        except (ValueError, pb_message.DecodeError) as exc:
            raise ModelError("node %s cannot be rewritten: its bytes are not a valid NodeDef (%s)"
                             % (quote(name), quote(exc)), path)
    for leftovers in new_nodes.values():
        for extra in leftovers:
            plans.append(NodePlan(extra.name, "new", _finish_new(extra, keep, keep_devices), reason="added"))
    tail = model.graph.tail_fields()
    notes = _notes(graph_def, edits, vocabularies, keep, index)
    runtime = None
    if target_tf is not None:
        from core.freeze.runtime_target import fit_plan
        runtime = fit_plan(plans, target_tf, model.meta_graph, path, nodes)
    return FreezePlan(model, outputs, plans, tail, len(graph_def.node), notes, runtime)


def _reachable(outputs, nodes, edits, path):
    """Kept node names, the node that led to each, and each kept node's source nodes."""
    keep = set(outputs)
    parent = {}
    sources = {}
    queue = collections.deque(outputs)
    while queue:
        name = queue.popleft()
        node = nodes.get(name)
        if node is None:
            raise ModelError("node %s is needed but not in the graph" % quote(name), path)
        sources[name] = names = [node_name(inp) for inp in _effective_inputs(node, edits)]
        for source in names:
            if source not in keep:
                keep.add(source)
                parent[source] = name
                queue.append(source)
    return keep, parent, sources


def _chain(name, parent, limit=8):
    chain = [name]
    while chain[-1] in parent and len(chain) < limit:
        chain.append(parent[chain[-1]])
    return " <- ".join(reversed(chain))


def _refuse_stateful(keep, nodes, parent):
    bad = []
    for name in keep:
        op = nodes[name].op
        if op in _STATEFUL_OPS or op.startswith(_STATEFUL_PREFIXES):
            bad.append(name)
    if bad:
        bad.sort()
        first = bad[0]
        raise ModelError(
            "cannot freeze: the outputs depend on %d op(s) that update or query variables (%s), "
            "which a frozen graph cannot run; for example %s (%s) is reached by %s. "
            "Choose outputs of the inference part of the graph."
            % (len(bad), ", ".join("%s (%s)" % (quote(b), nodes[b].op) for b in bad[:5]),
               quote(first), nodes[first].op, _chain(first, parent)))


def _variable_values(model, variable_nodes):
    """Finds each needed variable's checkpoint entry and checks dtype and shape."""
    if not variable_nodes:
        return {}
    reader = model.checkpoint
    names = ", ".join(sorted(n.name for n in variable_nodes)[:5])
    if reader is None:
        raise ModelError("the outputs need %d variable(s) (%s) but there is no checkpoint to read "
                         "their values from" % (len(variable_nodes), names), model.location.model_file)
    sources = variable_sources(model.graph_def)
    variable_nodes = sorted(variable_nodes, key=lambda n: n.name)
    check_all_present(variable_nodes, sources, reader)
    result = {}
    for node in variable_nodes:
        source = sources.get(node.name)
        key = source.key if source else fallback_key(node)
        region = source.region if source else None
        entry = reader.entry(key)
        dtype = node.attr["dtype"].type
        if entry.dtype != dtype:
            raise ModelError(
                "variable %s is %s in the graph but checkpoint tensor %s is %s"
                % (quote(node.name), protos.dtype_name(dtype), quote(key), protos.dtype_name(entry.dtype)),
                reader.index_path)
        if region is not None:
            full_shape, starts, lengths = region
            if list(entry.shape) != list(full_shape):
                raise ModelError("checkpoint tensor %s has shape %s but the saver expects %s"
                                 % (quote(key), list(entry.shape), full_shape), reader.index_path)
            shape = list(lengths)
            itemsize = entry.nbytes // max(1, _count(entry.shape)) if _count(entry.shape) else 0
            nbytes = _count(shape) * itemsize
        else:
            shape = list(entry.shape)
            nbytes = entry.nbytes
        graph_shape = _declared_shape(node)
        if graph_shape is not None and graph_shape != shape:
            raise ModelError(
                "variable %s has shape %s in the graph but checkpoint tensor %s has shape %s"
                % (quote(node.name), graph_shape, quote(key), shape), reader.index_path)
        result[node.name] = VariableValue(node.name, key, region, dtype, shape, nbytes,
                                          bool(source))
    return result


def _count(shape):
    total = 1
    for dim in shape:
        total *= dim
    return total


def _declared_shape(node):
    if "shape" not in node.attr:
        return None
    shape = node.attr["shape"].shape
    if shape.unknown_rank or any(d.size < 0 for d in shape.dim):
        return None
    return [d.size for d in shape.dim]


def _resource_dtypes(keep, nodes, variables):
    """Pass-through nodes whose T is DT_RESOURCE carrying a converted variable -> its dtype."""
    memo = {}

    def source_dtype(name, depth=0):
        if name in memo:
            return memo[name]
        memo[name] = None
        node = nodes.get(name)
        result = None
        if name in variables:
            result = variables[name].dtype
        elif node is not None and node.op in _PASS_THROUGH and node.input and depth < 10000:
            result = source_dtype(node_name(node.input[0]), depth + 1)
        memo[name] = result
        return result

    result = {}
    for name in keep:
        node = nodes[name]
        if node.op in _PASS_THROUGH and "T" in node.attr and node.attr["T"].type == DT_RESOURCE:
            dtype = source_dtype(name)
            if dtype is not None:
                result[name] = dtype
    return result


def _type_attr(dtype):
    attr = protos.AttrValue()
    attr.type = dtype
    return attr.SerializeToString()


def _plan_node(node, data, edits, keep, keep_devices, resource_dtype, variables):
    """Copies a kept node, applying only the rewrites freezing requires."""
    if (node.op not in _REWRITTEN and node.name not in edits.replaced and node.name not in resource_dtype
            and (keep_devices or not node.device) and "_class" not in node.attr and not edits.rewired):
        return NodePlan(node.name, "copy", data)
    if node.name in edits.replaced:
        replacement = edits.replaced[node.name]
        raw = RawNode(replacement.SerializeToString())
        reasons = ["replaced (inference mode)"]
        inputs = [_rewire(i, edits.rewired) for i in replacement.input]
        if inputs != list(replacement.input):
            raw.set_inputs(inputs)
    else:
        raw = RawNode(data)
        reasons = []
        op = node.op
        if op in REF_OP_RENAMES:
            raw.set_op(REF_OP_RENAMES[op])
            reasons.append("%s -> %s" % (op, REF_OP_RENAMES[op]))
        elif op in ASSIGN_RENAMES:
            raw.set_op(ASSIGN_RENAMES[op])
            raw.keep_attrs(("T",))
            if op == "Assign":
                raw.set_inputs(_effective_inputs(node, GraphEdits()))
            reasons.append("%s -> %s" % (op, ASSIGN_RENAMES[op]))
        elif op in RESOURCE_WRITES:
            raw.set_op("NoOp")
            raw.keep_attrs(())
            raw.set_inputs(_effective_inputs(node, GraphEdits()))
            reasons.append("%s -> NoOp" % op)
        elif op == "ReadVariableOp":
            raw.set_op("Identity")
            raw.rename_attr("dtype", "T")
            reasons.append("ReadVariableOp -> Identity")
        elif op == "ResourceGather":
            raw.set_op("GatherV2")
            raw.rename_attr("dtype", "Tparams")
            raw.keep_attrs(("Tparams", "Tindices"))
            raw.set_attr("Taxis", _type_attr(3))
            raw.set_inputs(_effective_inputs(node, GraphEdits()))
            reasons.append("ResourceGather -> GatherV2")
        if node.name in resource_dtype:
            raw.set_attr("T", _type_attr(resource_dtype[node.name]))
            reasons.append("T resource -> %s" % protos.dtype_name(resource_dtype[node.name]))
        if edits.rewired:
            before = _effective_inputs(node, GraphEdits())
            inputs = [_rewire(i, edits.rewired) for i in before]
            if inputs != before:
                raw.set_inputs(inputs)
                reasons.append("inputs rewired (inference mode)")
    if not keep_devices and raw.has_field(4):
        raw.clear_device()
        reasons.append("device cleared")
    dropped = filter_colocation(raw, keep)
    if dropped:
        reasons.append("colocation with pruned %s dropped" % ", ".join(dropped))
    kind = "edit" if raw.changed else "copy"
    return NodePlan(node.name, kind, raw.to_bytes(), reason="; ".join(reasons))


def _axis_name(node):
    return node.name + "/axis"


def _place_added(edits, keep, parent):
    """Extra nodes go right before the kept node that led the search to them."""
    placed = {}
    for node in edits.added:
        if node.name in keep:
            placed.setdefault(parent.get(node.name), []).append(node)
    return placed


def _finish_new(node, keep, keep_devices):
    raw = RawNode(node.SerializeToString())
    if not keep_devices:
        raw.clear_device()
    filter_colocation(raw, keep)
    return raw.to_bytes()


def gather_axis_nodes(graph_def):
    """Axis Consts that ResourceGather -> GatherV2 needs, as GraphEdits.added nodes."""
    edits = GraphEdits()
    for node in graph_def.node:
        if node.op != "ResourceGather":
            continue
        axis = protos.NodeDef()
        axis.name = _axis_name(node)
        axis.op = "Const"
        axis.attr["dtype"].type = 3
        axis.attr["value"].tensor.dtype = 3
        axis.attr["value"].tensor.int_val.append(node.attr["batch_dims"].i if "batch_dims" in node.attr else 0)
        edits.added.append(axis)
    return edits




def freeze(model, outputs, destination, keep_devices=False, edits=None, progress=None, cancel=None,
           target_tf=None):
    """Freezes ``model`` on ``outputs`` into ``destination`` (a `.pb`).

    Args:
        model: core.formats.model.Model with a checkpoint (or a graph that needs no variables).
        outputs: output names ("name" or "name:0").
        destination: the `.pb` to write; written to a temporary name and renamed when complete.
        keep_devices: keep `device` fields (cleared by default).
        edits: optional GraphEdits applied on top of the source (inference mode).
        progress: optional callable(done_bytes, total_bytes, message).
        cancel: optional callable returning True to stop; nothing is left behind.
        target_tf: TensorFlow release the result must load in (see plan_freeze); None: no check.
    Returns:
        core.freeze.writer.FreezeReport.
    Raises:
        ModelError: any problem, naming the file concerned.
        Cancelled: when ``cancel`` said so.
    """
    from core.freeze.writer import write_plan
    started = time.time()
    plan = plan_freeze(model, outputs, keep_devices=keep_devices, edits=edits, cancel=cancel, target_tf=target_tf)
    return write_plan(plan, destination, progress=progress, cancel=cancel, started=started)
