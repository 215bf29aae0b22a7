"""Readable details of one node: op, device, inputs, consumers, attrs, outputs."""

import collections
import struct

from core.formats import dtypes
from core.analysis.candidates import output_dtype
from core.analysis.op_outputs import output_dtypes, output_shapes_of, variable_shape


class NodeDetails(collections.namedtuple(
        "NodeDetails", "name op device data_inputs control_inputs consumers attrs outputs role")):
    """attrs: list of (key, text); outputs: list of (tensor name, dtype, shape text)."""


_NO_OUTPUTS = frozenset(["NoOp", "Assert", "SaveV2", "Save", "SaveSlices", "AssignVariableOp",
                         "AssignAddVariableOp", "AssignSubVariableOp"])


def shape_text(dims):
    """Dims as "[?,10]" (None: unknown rank, "?")."""
    if dims is None:
        return "?"
    return "[%s]" % ",".join("?" if d < 0 else str(d) for d in dims)


def _tensor_text(tensor):
    """A TensorProto as text: its values when there are a few, else dtype, shape and count."""
    dims = [d.size for d in tensor.tensor_shape.dim]
    count = 1
    for d in dims:
        count *= d
    dtype = dtypes.name(tensor.dtype)
    if tensor.tensor_content or count > 6:
        return "%s%s (%d values)" % (dtype, shape_text(dims), count)
    values = dtypes.typed_values(tensor)
    if not values or tensor.dtype in (dtypes.DT_HALF, dtypes.DT_BFLOAT16):
        return "%s%s" % (dtype, shape_text(dims))
    as_text = float32_text if tensor.dtype == dtypes.DT_FLOAT else repr
    shown = ", ".join(repr(v.decode("utf-8", "replace")) if isinstance(v, bytes) else as_text(v) for v in values)
    if dims:
        return "%s%s = [%s]" % (dtype, shape_text(dims), shown)
    return "%s = %s" % (dtype, shown)


def float32_text(value):
    """The shortest text that reads back as the same float32: 0.001, not 0.0010000000474974513."""
    if value != value or value in (float("inf"), float("-inf")):
        return repr(value)
    packed = struct.pack("<f", value)
    for digits in range(1, 10):
        text = "%.*g" % (digits, value)
        if struct.pack("<f", float(text)) == packed:
            return text
    return repr(value)


def attr_text(value):
    """One AttrValue as short readable text."""
    kind = value.WhichOneof("value")
    if kind == "s":
        return repr(value.s.decode("utf-8", "replace"))
    if kind == "f":
        return float32_text(value.f)
    if kind in ("i", "b"):
        return str(getattr(value, kind))
    if kind == "type":
        return dtypes.name(value.type)
    if kind == "shape":
        if value.shape.unknown_rank:
            return "unknown rank"
        return shape_text([d.size for d in value.shape.dim])
    if kind == "tensor":
        return _tensor_text(value.tensor)
    if kind == "func":
        return "function %s" % value.func.name
    if kind == "placeholder":
        return "$" + value.placeholder
    if kind == "list":
        items = []
        lst = value.list
        items += [repr(s.decode("utf-8", "replace")) for s in lst.s]
        items += [str(i) for i in lst.i] + [float32_text(f) for f in lst.f] + [str(b) for b in lst.b]
        items += [dtypes.name(t) for t in lst.type]
        items += ["unknown rank" if s.unknown_rank else shape_text([d.size for d in s.dim]) for s in lst.shape]
        items += [_tensor_text(t) for t in lst.tensor]
        shown = ", ".join(items[:8]) + (", ... (%d)" % len(items) if len(items) > 8 else "")
        return "[%s]" % shown
    return ""


def _outputs(model, node, meta_graph):
    """(tensor, dtype, shape text) per output port, from the op's OpDef and the node's attrs."""
    port_dtypes = output_dtypes(node, meta_graph)
    if port_dtypes is None:  # an op no OpDef describes: its type attrs, one output
        port_dtypes = [] if node.op in _NO_OUTPUTS else [output_dtype(node) or "?"]
    shapes = output_shapes_of(node, len(port_dtypes))
    held = variable_shape(node)
    if node.op == "ReadVariableOp" and shapes and shapes[0] is None and model.data_in[model.index(node.name)]:
        source = model.graph_def.node[model.data_in[model.index(node.name)][0][0]]
        shapes = [variable_shape(source)]
    outputs = []
    for port, (dtype, shape) in enumerate(zip(port_dtypes, shapes)):
        text = shape_text(shape)
        if held is not None and dtype == "resource":
            text = "%s (a %s %s variable)" % (text, dtypes.name(node.attr["dtype"].type), shape_text(held))
        outputs.append(("%s:%d" % (node.name, port), dtype, text))
    return outputs


def node_details(model, roles, name, meta_graph=None):
    """The details of one node.

    Args:
        model: core.analysis.graph_model.GraphModel.
        roles: core.analysis.roles.Roles or None.
        name: the node name.
        meta_graph: the MetaGraphDef (its op list is the writer's OpDefs), or None.
    Returns:
        NodeDetails; ``outputs`` has one entry per output port its OpDef declares.
    Raises:
        KeyError: no such node.
    """
    i = model.index(name)
    node = model.graph_def.node[i]
    data_inputs = [t for t in node.input if not t.startswith("^")]
    control_inputs = [t[1:] for t in node.input if t.startswith("^")]
    consumers = [c for c, _ in model.consumers(name)]
    attrs = [(key, attr_text(node.attr[key])) for key in sorted(node.attr) if key != "_output_shapes"]
    role = roles.role[i] if roles is not None else ""
    return NodeDetails(name, node.op, node.device, data_inputs, control_inputs, consumers, attrs,
                       _outputs(model, node, meta_graph), role)
