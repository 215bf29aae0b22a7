"""Rewriting the nodes a freeze keeps: ref ops to value ops, resource reads to plain reads,
assigns to their values, inputs rewired by edits, devices and dead colocations cleared."""

from core.formats import dtypes, protos
from core.formats.dtypes import DT_INT32, DT_RESOURCE
from core.formats.node_table import node_table
from core.freeze.graph_edits import GraphEdits
from core.freeze.node_bytes import RawNode, filter_colocation
from core.freeze.node_defs import const_node
from core.names import node_name, tensor_name

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
# Ops whose inputs in the frozen graph differ from their source inputs (see effective_inputs).
INPUT_REWRITING_OPS = frozenset(["Assign", "ResourceGather"]) | RESOURCE_WRITES
_REWRITTEN = frozenset(REF_OP_RENAMES) | frozenset(ASSIGN_RENAMES) | RESOURCE_WRITES | frozenset(
    ["ReadVariableOp", "ResourceGather"])
REWRITTEN_OPS = _REWRITTEN  # ops a kept node of is never copied as it is


def effective_inputs(node, edits):
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
        inputs = [rewire(i, edits.rewired) for i in inputs]
    return inputs


def rewire(inp, rewired):
    if inp.startswith("^"):
        return inp
    target = rewired.get(tensor_name(inp))
    if target is None:
        return inp
    return target[:-2] if target.endswith(":0") else target


def resource_dtypes(keep, nodes, variables):
    """Pass-through nodes whose T is DT_RESOURCE carrying a converted variable -> its dtype."""
    if not any(nodes[name].op == "VarHandleOp" for name in variables if name in nodes):
        return {}  # only a resource variable's handle flows through a DT_RESOURCE pass-through
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


def copied_as_is(node, op, name, edits, keep_devices, resource_dtype):
    """True when a kept source node (of ``op``, named ``name``) is written as its source bytes."""
    return (op not in _REWRITTEN and name not in edits.replaced and name not in resource_dtype
            and not edits.rewired and (keep_devices or not node.device) and "_class" not in node.attr)


def plan_node(node, data, edits, keep, keep_devices, resource_dtype):
    """How a kept node is written: (kind, bytes, reason), with only the rewrites freezing requires.

    kind is "copy" (the source bytes as they are) or "edit".
    """
    if copied_as_is(node, node.op, node.name, edits, keep_devices, resource_dtype):
        return "copy", data, ""
    if node.name in edits.replaced:
        replacement = edits.replaced[node.name]
        raw = RawNode(replacement.SerializeToString())
        reasons = [edits.reasons.get(node.name, "replaced (inference mode)")]
        inputs = [rewire(i, edits.rewired) for i in replacement.input]
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
                raw.set_inputs(effective_inputs(node, GraphEdits()))
            reasons.append("%s -> %s" % (op, ASSIGN_RENAMES[op]))
        elif op in RESOURCE_WRITES:
            raw.set_op("NoOp")
            raw.keep_attrs(())
            raw.set_inputs(effective_inputs(node, GraphEdits()))
            reasons.append("%s -> NoOp" % op)
        elif op == "ReadVariableOp":
            raw.set_op("Identity")
            raw.rename_attr("dtype", "T")
            reasons.append("ReadVariableOp -> Identity")
        elif op == "ResourceGather":
            raw.set_op("GatherV2")
            raw.rename_attr("dtype", "Tparams")
            raw.keep_attrs(("Tparams", "Tindices"))
            raw.set_attr("Taxis", _type_attr(DT_INT32))
            raw.set_inputs(effective_inputs(node, GraphEdits()))
            reasons.append("ResourceGather -> GatherV2")
        if node.name in resource_dtype:
            raw.set_attr("T", _type_attr(resource_dtype[node.name]))
            reasons.append("T resource -> %s" % dtypes.name(resource_dtype[node.name]))
        if edits.rewired:
            before = effective_inputs(node, GraphEdits())
            inputs = [rewire(i, edits.rewired) for i in before]
            if inputs != before:
                raw.set_inputs(inputs)
                reasons.append("inputs rewired (inference mode)")
    if not keep_devices and raw.has_field(4):
        raw.clear_device()
        reasons.append("device cleared")
    dropped = filter_colocation(raw, keep)
    if dropped:
        reasons.append("colocation with pruned %s dropped" % ", ".join(dropped))
    kind = "edit" if raw.changed or node.name in edits.replaced else "copy"
    return kind, raw.to_bytes(), "; ".join(reasons)


def _axis_name(node):
    return node.name + "/axis"


_GATHER = frozenset(["ResourceGather"])


def gather_axis_nodes(graph_def):
    """Axis Consts that ResourceGather -> GatherV2 needs, as GraphEdits.added nodes."""
    edits = GraphEdits()
    for node in node_table(graph_def).of_ops(_GATHER):
        batch_dims = node.attr["batch_dims"].i if "batch_dims" in node.attr else 0
        edits.added.append(const_node(_axis_name(node), DT_INT32, batch_dims))
    return edits
