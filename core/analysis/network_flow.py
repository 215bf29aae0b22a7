"""What reaches each node of a graph: which sources' values (per input-pipeline port), which of them raw (no
trained weight applied yet), which objectives' trained variables, which labels; the weights and the ops
applying them."""

from core.analysis.evidence import used_ports
from core.analysis.training import SOURCE_OPS
from core.analysis.value_flow import LABEL_ARGS, arg_positions, propagate, reaches, value_inputs, value_out
from core.formats import dtypes
from core.formats.saver_map import VARIABLE_OPS

# Ops that only move or select the elements of their inputs: a trained variable seen through them is still a
# weight (a read, a loop Enter, a partitioned variable's concat, a reshape, a slice).
_VIEW_OPS = frozenset([
    "Identity", "RefIdentity", "ReadVariableOp", "Snapshot", "Enter", "RefEnter", "Switch", "RefSwitch", "Merge",
    "RefMerge", "Reshape", "Transpose", "Cast", "Squeeze", "ExpandDims", "ConcatV2", "Concat", "Pack", "Split",
    "SplitV", "Unpack", "Slice", "StridedSlice", "Tile", "Exit", "RefExit", "NextIteration", "RefNextIteration"])


class Flow(object):
    """Value masks over the forward graph.

    Attributes:
        sources: list of (node index, port or None): placeholders and the used ports of input-pipeline ops.
        source_bits: dict index -> mask of the sources reaching it by value.
        raw: dict index -> mask of the sources reaching it without passing through a trained weight.
        params: dict index -> mask of the objectives (bit by position) whose trained variables reach it.
        weights: set of indexes that are trained variables or views of them.
        blocked: the indexes no value passes through (training, saver, bookkeeping).
        applies: set of indexes applying a weight (a value input is a weight, the node itself is not).
    """


def value_flow(model, structure, source_nodes, blocked):
    """The Flow of a graph.

    Args:
        structure: core.analysis.training.TrainingStructure.
        source_nodes: indexes of the placeholders and input-pipeline ops (no training switches).
        blocked: indexes no value passes through (gradients, optimizer, saver).
    """
    flow = Flow()
    flow.blocked = blocked
    sources = []
    for i in source_nodes:
        if model.ops[i] in SOURCE_OPS and not model.ops[i].startswith("Placeholder"):
            sources.extend((i, port) for port in used_ports(model, i))
        else:
            sources.append((i, None))
    flow.sources = sources
    flow.source_nodes = set(source_nodes)
    flow.port_bits = dict(((node, port), 1 << bit) for bit, (node, port) in enumerate(sources) if port is not None)
    seeds = [(node, port, 1 << bit) for bit, (node, port) in enumerate(sources)]
    flow.source_bits = _with_seeds(propagate(model, seeds, blocked), seeds)
    groups = _param_groups(model, structure)
    flow.weights = _weights(model, set().union(*groups) if groups else set(), blocked)
    edges = value_out(model)
    applies = set()
    for w in flow.weights:
        for d, _ in edges[w]:
            if d not in flow.weights and d not in blocked:
                applies.add(d)
    flow.applies = applies
    raw = _with_seeds(propagate(model, seeds, blocked, stop=applies), seeds)
    for i in applies:
        raw.pop(i, None)
    flow.raw = raw
    param_seeds = []
    for bit, group in enumerate(_param_groups(model, structure)):
        param_seeds.extend((v, None, 1 << bit) for v in group)
    flow.params = propagate(model, param_seeds, blocked)
    flow.parameters = set().union(*groups) if groups else set()
    flow.label_mask = _label_arg_mask(model, flow, blocked) & ~_deep_mask(model, flow)
    return flow


def _deep_mask(model, flow):
    """Sources whose values, already processed by a trained weight, reach another weight: they feed the network
    (a decoder's teacher-forced inputs), even when a loss also compares with them."""
    mask = 0
    for a in flow.applies:
        for s in value_inputs(model, a):
            if s not in flow.weights:
                mask |= flow.source_bits.get(s, 0) & ~flow.raw.get(s, 0)
    return mask


def _label_arg_mask(model, flow, blocked):
    """The sources whose values reach an op's `labels`-like input (a cross-entropy's labels, a sampler's
    true_classes, a CTC loss's labels, an accuracy's targets): labels, as the OpDef names them, unless they also
    feed the network (see _deep_mask)."""
    mask = 0
    for i, op in enumerate(model.ops):
        if i in blocked or not model.data_in[i] or ("Sampler" not in op and "Loss" not in op and
                                                      "Entropy" not in op and op not in _LABELLED_OPS):
            continue
        for position in arg_positions(model, i, LABEL_ARGS):
            if position < len(model.data_in[i]):
                mask |= input_bits(flow, flow.source_bits, model.data_in[i][position])
    return mask


def input_bits(flow, masks, edge):
    """The mask an input edge carries: an input pipeline's port carries its own source bit only."""
    node, port = edge
    bit = flow.port_bits.get((node, port))
    return bit if bit is not None else masks.get(node, 0)


_LABELLED_OPS = frozenset(["InTopK", "InTopKV2", "EditDistance", "ComputeAccidentalHits"])


def _param_groups(model, structure):
    """The trained variables of each objective; without training, every variable as one group; in a frozen
    graph (no variables), the constants holding more than one value (its frozen weights)."""
    if structure.objectives:
        return [objective.trained for objective in structure.objectives]
    variables = set(i for i, op in enumerate(model.ops) if op in VARIABLE_OPS and i not in structure.counters)
    if variables:
        return [variables]
    return [set(i for i, op in enumerate(model.ops) if op == "Const" and _holds_values(model.graph_def.node[i]))]


def _holds_values(node):
    """Whether a Const holds a tensor of more than one element (a weight, not a scalar or an axis)."""
    if "value" not in node.attr:
        return False
    dims = [d.size for d in node.attr["value"].tensor.tensor_shape.dim]
    count = 1
    for d in dims:
        count *= d
    return count > 1 and node.attr["value"].tensor.dtype in (dtypes.DT_FLOAT, dtypes.DT_DOUBLE, dtypes.DT_HALF)


def _with_seeds(masks, seeds):
    for node, _, mask in seeds:
        masks[node] = masks.get(node, 0) | mask
    return masks


def _weights(model, trained, blocked):
    """Trained variables and the nodes that only view them (reads, loop entries, reshapes, partition concats)."""
    def view(d, weights):
        return model.ops[d] in _VIEW_OPS and all(s in weights or _constant(model, s) for s, _ in model.data_in[d])
    return reaches(model, trained, blocked, view)


def _constant(model, i):
    return model.ops[i] in ("Const", "Shape", "Range", "Pack") and not model.data_in[i] or model.ops[i] == "Const"


def touched_by_variable(model, flow, i, limit=20000):
    """Whether a variable (or a frozen graph's weight constant) reaches node ``i`` by value: a raw node no
    variable reaches is the input itself, reshaped or cast."""
    seen = set([i])
    stack = [i]
    while stack and len(seen) < limit:
        j = stack.pop()
        if model.ops[j] in VARIABLE_OPS or j in flow.parameters:
            return True
        for s in value_inputs(model, j):
            if s not in seen and s not in flow.blocked:
                seen.add(s)
                stack.append(s)
    return len(seen) >= limit


def forward_consumers(model, flow, i):
    """The nodes outside training and bookkeeping that take node ``i``'s values."""
    return [d for d, _ in value_out(model)[i] if d not in flow.blocked]
