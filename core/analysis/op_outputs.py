"""A node's outputs as its op's OpDef declares them: how many ports, each port's dtype, each port's shape.

The OpDef comes from the meta graph's own op list (the writer's), else the newest release of the op
registry that has the op; dtypes resolve through the node's attrs (``T``, ``output_type``, a
``list(type)`` such as IteratorGetNext's ``output_types``, ``num_split*T``); shapes from
``_output_shapes``, else from the attrs that fix them (a Const's value, a variable's ``shape``, an
iterator's ``output_shapes``).
"""

from core.formats import dtypes

_DT_NUMBERS = dtypes.BY_ENUM_NAME


def _from_op_def(op_def):
    """[(type spec, is_ref)] of an OpDef's output_args: spec "DT_X", "attr", "n*attr", "@list_attr" or "#number"."""
    specs = []
    for arg in op_def.output_arg:
        if arg.type_list_attr:
            spec = "@" + arg.type_list_attr
        elif arg.type_attr:
            spec = ("%s*%s" % (arg.number_attr, arg.type_attr)) if arg.number_attr else arg.type_attr
        else:
            spec = ("%s*#%d" % (arg.number_attr, arg.type)) if arg.number_attr else "#%d" % arg.type
        specs.append((spec, arg.is_ref))
    return specs


def _from_registry(op):
    from core.formats.op_registry import load_registry
    history = load_registry().history(op)
    if history is None:
        return None
    defs = [d for d in history.defs if d is not None]
    specs = []
    for _, text in defs[-1].get("o", []):
        ref = text.startswith("&")
        text = text.lstrip("&")
        if "*" not in text and not text.startswith("DT_") and _is_list_attr(defs[-1], text):
            text = "@" + text
        specs.append((text, ref))
    return specs


def _is_list_attr(compact, name):
    return any(entry[0] == name and entry[1] == "list(type)" for entry in compact.get("a", []))


def output_specs(node, meta_graph=None):
    """The node's OpDef output specs (see _from_op_def), or None when no OpDef of its op is known."""
    if meta_graph is not None:
        for op_def in meta_graph.meta_info_def.stripped_op_list.op:
            if op_def.name == node.op:
                return _from_op_def(op_def)
    return _from_registry(node.op)


def _dtype_of(text, attrs):
    if text.startswith("#"):
        return int(text[1:])
    if text.startswith("DT_"):
        return _DT_NUMBERS.get(text)
    value = attrs.get(text)
    return value.type if value is not None and value.WhichOneof("value") == "type" else None


def _count_of(text, attrs):
    value = attrs.get(text)
    return int(value.i) if value is not None else 1


def output_dtypes(node, meta_graph=None):
    """One dtype name per output port ("float32", "int64", "resource", "float32_ref"); "?" where the attrs do
    not say; None when the op's OpDef is unknown."""
    specs = output_specs(node, meta_graph)
    if specs is None:
        return None
    attrs = node.attr
    result = []
    for spec, ref in specs:
        if spec.startswith("@"):
            value = attrs.get(spec[1:])
            types = list(value.list.type) if value is not None else []
            result.extend(dtypes.name(t + (dtypes.REF_OFFSET if ref else 0)) for t in types)
            continue
        count, _, kind = spec.rpartition("*")
        number = _dtype_of(kind, attrs)
        name = dtypes.name(number + (dtypes.REF_OFFSET if ref else 0)) if number else "?"
        result.extend([name] * (_count_of(count, attrs) if count else 1))
    return result


def _dims(shape):
    return None if shape.unknown_rank else [int(d.size) for d in shape.dim]


def output_shapes_of(node, ports):
    """One shape (list of dims, -1 unknown; None: unknown rank) per port of ``ports`` outputs."""
    attrs = node.attr
    if "_output_shapes" in attrs and len(attrs["_output_shapes"].list.shape) >= ports:
        return [_dims(s) for s in attrs["_output_shapes"].list.shape[:ports]]
    if "output_shapes" in attrs and len(attrs["output_shapes"].list.shape) == ports:
        return [_dims(s) for s in attrs["output_shapes"].list.shape]
    if ports == 1 and node.op == "Const" and "value" in attrs:
        return [[int(d.size) for d in attrs["value"].tensor.tensor_shape.dim]]
    if ports == 1 and "shape" in attrs and not node.op.startswith("VarHandle"):
        return [_dims(attrs["shape"].shape)]
    return [None] * ports


def variable_shape(node):
    """The value shape a resource variable's handle holds (VarHandleOp ``shape``), or None."""
    if node.op == "VarHandleOp" and "shape" in node.attr:
        return _dims(node.attr["shape"].shape)
    return None
