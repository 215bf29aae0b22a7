"""Which sources' values reach each node: bit masks carried over data edges that carry values."""

# Ops whose output says nothing about the values of their inputs (only shapes): a value does not flow
# through them.
VALUE_FREE = frozenset(["Shape", "ShapeN", "Size", "Rank", "ZerosLike", "OnesLike", "TensorArraySizeV3",
                        "TensorArraySizeV2", "VariableShape"])
_SWITCHES = frozenset(["Switch", "RefSwitch"])
# Input args (by their OpDef name) that only say how to lay out, cut or reduce the other inputs: a reshape's
# shape, a reduction's axes, a slice's bounds, a one-hot's depth. The output's values come from the others.
LAYOUT_ARGS = frozenset([
    "shape", "axis", "axes", "dims", "dim", "perm", "multiples", "reduction_indices", "reduction_axes",
    "dimension", "depth", "paddings", "begin", "end", "strides", "size", "split_dim", "size_splits", "k",
    "concat_dim", "output_shape", "input_sizes", "new_shape", "element_shape", "crop_size", "block_shape",
    "crops", "ksize", "filter_sizes", "seq_len_max", "fft_length", "num_segments"])


# Input args that take the values a loss or a metric compares the network's output with.
LABEL_ARGS = frozenset(["labels", "true_classes", "targets", "labels_indices", "labels_values", "truth_indices",
                        "truth_values"])


def layout_positions(model, i):
    """Positions of node ``i``'s data inputs that are layout args (LAYOUT_ARGS), from the op registry."""
    if len(model.data_in[i]) < 2:
        return _NONE
    return arg_positions(model, i, LAYOUT_ARGS)


def arg_positions(model, i, names):
    """Positions of node ``i``'s data inputs whose OpDef arg is one of ``names`` (a frozenset)."""
    op = model.ops[i]
    key = (op, names)
    fixed = _FIXED.get(key)
    if fixed is None:
        args = _registry_args(op)
        if any("*" in spec or spec.startswith("list:") for _, spec in args):
            fixed = _FIXED[key] = False
        else:
            fixed = _FIXED[key] = frozenset(p for p, (name, _) in enumerate(args) if name in names)
    if fixed is not False:
        return fixed
    node = model.graph_def.node[i]
    found = set()
    position = 0
    for name, spec in _registry_args(op):
        count = _arg_count(node, spec)
        if name in names:
            found.update(range(position, position + count))
        position += count
    return found


_NONE = frozenset()
_FIXED = {}


def _registry_args(op):
    from core.formats.op_registry import load_registry
    args = _ARGS.get(op)
    if args is None:
        registry = load_registry()
        lists = registry.list_attrs(op)
        args = []
        for name, spec in registry.input_args(op):
            bare = spec.lstrip("&")
            args.append((name, ("list:" + bare) if bare in lists else spec))
        _ARGS[op] = args
    return args


_ARGS = {}


def _arg_count(node, spec):
    """How many NodeDef inputs one OpDef input arg takes (N*T: N; a type list: its length; else 1)."""
    if spec.startswith("list:"):
        attr = spec[5:]
        return len(node.attr[attr].list.type) if attr in node.attr else 1
    if "*" in spec:
        attr = spec.split("*", 1)[0].lstrip("&")
        return int(node.attr[attr].i) if attr in node.attr else 1
    return 1


def carries_value(model, consumer, position):
    """Whether the data input at ``position`` of node ``consumer`` hands its values on (a Switch's predicate,
    the inputs of shape queries and layout args such as a reshape's shape do not)."""
    op = model.ops[consumer]
    if op in VALUE_FREE:
        return False
    if op in _SWITCHES:
        return position != 1
    return position not in layout_positions(model, consumer)


def value_out(model):
    """For each node, the (consumer, port) pairs that take its values, each pair once (built once per model)."""
    cached = getattr(model, "_value_out", None)
    if cached is not None:
        return cached
    result = [[] for _ in range(len(model))]
    ops = model.ops
    skips = {}
    for i, inputs in enumerate(model.data_in):
        if not inputs:
            continue
        op = ops[i]
        if len(inputs) == 1:
            if op not in VALUE_FREE:
                result[inputs[0][0]].append((i, inputs[0][1]))
            continue
        skip = skips.get(op)
        if skip is None:
            if op in VALUE_FREE:
                continue
            skip = _SWITCH_SKIP if op in _SWITCHES else layout_positions(model, i)
            if op in _SWITCHES or _FIXED.get((op, LAYOUT_ARGS)) is not False:
                skips[op] = skip  # the same positions for every node of this op
        if skip or len(inputs) > 2 or inputs[0] == inputs[1]:
            seen = set()
            for position, edge in enumerate(inputs):
                if position not in skip and edge not in seen:
                    seen.add(edge)
                    result[edge[0]].append((i, edge[1]))
        else:
            result[inputs[0][0]].append((i, inputs[0][1]))
            result[inputs[1][0]].append((i, inputs[1][1]))
    model._value_out = result
    return result


_SWITCH_SKIP = frozenset([1])


def value_inputs(model, i):
    """The nodes whose values node ``i`` takes (in input order, each once)."""
    result = []
    for position, (s, _) in enumerate(model.data_in[i]):
        if s not in result and carries_value(model, i, position):
            result.append(s)
    return result


def value_consumers(model, i, port=None):
    """The nodes that take values from node ``i`` (from output ``port`` only, when given), each once."""
    seen = []
    for d, p in value_out(model)[i]:
        if (port is None or p == port) and d not in seen:
            seen.append(d)
    return seen


def propagate(model, seeds, blocked=(), stop=()):
    """Bit masks of which seeds' values reach each node.

    Args:
        model: core.analysis.graph_model.GraphModel.
        seeds: list of (node index, output port or None for every port, bit mask).
        blocked: node indexes that receive nothing (and pass nothing on).
        stop: node indexes that receive masks but pass nothing on.
    Returns:
        dict node index -> mask (seed nodes themselves are included only when reached from another seed).
    """
    masks = {}
    stack = []
    edges = value_out(model)
    for node, port, mask in seeds:
        for d in value_consumers(model, node, port):
            if d not in blocked:
                stack.append((d, mask))
    while stack:
        i, mask = stack.pop()
        current = masks.get(i, 0)
        if current | mask == current:
            continue
        new = mask & ~current
        masks[i] = current | mask
        if i in stop:
            continue
        for d, _ in edges[i]:
            if d not in blocked and (masks.get(d, 0) | new) != masks.get(d, 0):
                stack.append((d, new))
    return masks


def reaches(model, starts, blocked=(), allow=None):
    """Indexes reached from ``starts`` over value-carrying data edges (the starts included).

    Args:
        allow: optional ``allow(node, reached so far)``: whether the walk may enter ``node``.
    """
    seen = set(starts)
    stack = list(seen)
    edges = value_out(model)
    while stack:
        i = stack.pop()
        for d, _ in edges[i]:
            if d not in seen and d not in blocked and (allow is None or allow(d, seen)):
                seen.add(d)
                stack.append(d)
    return seen


def value_ancestors(model, starts, limit=None):
    """Indexes whose values flow into ``starts`` (the starts included), walking back over value-carrying edges.

    Args:
        limit: stop after this many nodes (None: no limit).
    """
    seen = set(starts)
    stack = list(seen)
    while stack:
        i = stack.pop()
        for position, (s, _) in enumerate(model.data_in[i]):
            if s not in seen and carries_value(model, i, position):
                seen.add(s)
                stack.append(s)
                if limit is not None and len(seen) > limit:
                    return seen
    return seen
