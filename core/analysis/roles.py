"""What each node is for: inputs, labels, variables, the inference part, loss, training, saver, ..."""

import collections
import re

from core.names import node_name
from core.formats.saver_map import VARIABLE_OPS
from core.formats.wire import iter_fields
from core.analysis.evidence import is_dropout_rate

INPUT, TRAINING_INPUT, VARIABLE, CONSTANT = "input", "training_input", "variable", "constant"
INFERENCE, LOSS, TRAINING, SAVER = "inference", "loss", "training", "saver"
SUMMARY, INITIALIZER, UPDATE, SWITCH, OTHER = "summary", "initializer", "update", "switch", "other"
TRAINING_ONLY = frozenset([TRAINING_INPUT, LOSS, TRAINING, SAVER, SUMMARY, INITIALIZER, UPDATE])

PLACEHOLDERS = frozenset(["Placeholder", "PlaceholderWithDefault", "PlaceholderV2"])
SOURCE_OPS = frozenset(["IteratorGetNext", "QueueDequeueV2", "QueueDequeueManyV2", "QueueDequeueUpToV2",
                        "QueueDequeue", "QueueDequeueMany", "ParseExample", "ParseSingleExample"])
_SUMMARY_OPS = frozenset(["ScalarSummary", "HistogramSummary", "ImageSummary", "AudioSummary",
                          "AudioSummaryV2", "TensorSummary", "TensorSummaryV2", "MergeSummary",
                          "WriteScalarSummary", "WriteHistogramSummary", "WriteSummary"])
_SAVER_OPS = frozenset(["SaveV2", "RestoreV2", "Save", "SaveSlices", "Restore", "RestoreSlice",
                        "MergeV2Checkpoints", "ShardedFilename"])
_WRITE_PREFIXES = ("Assign", "Apply", "ResourceApply", "SparseApply", "ResourceSparseApply", "Scatter",
                   "ResourceScatter")
_OPTIMIZER_PREFIXES = ("Apply", "ResourceApply", "SparseApply", "ResourceSparseApply")
_FOLLOWERS = frozenset(["Identity", "Shape", "ShapeN", "Size", "Rank"])
_INIT_OP = re.compile(r"(^|/)init(_\d+)?$")
_CASTS = frozenset(["Cast", "ToFloat", "ToInt32", "ToInt64", "ToDouble", "ToBool"])
_GRADIENTS = re.compile(r"(^|/)gradients(_\d+)?/")
_GRAD_SCOPE = re.compile(r"^(.*/)?gradients(_\d+)?/(.+?)_grad/")
_GRAD_ROOT = re.compile(r"(^|/)gradients(_\d+)?/(Shape|Fill|grad_ys_\d+)$")
# Ops a loss is made of, walked back from the loss; layer ops stop the walk.
_LOSS_OPS = frozenset([
    "SparseSoftmaxCrossEntropyWithLogits", "SoftmaxCrossEntropyWithLogits", "Mean", "Sum", "Sub",
    "Square", "SquaredDifference", "Abs", "Log", "Neg", "Mul", "Add", "AddN", "AddV2", "RealDiv",
    "Div", "Maximum", "Minimum", "L2Loss", "Cast", "OneHot", "Log1p", "Exp", "SigmoidCrossEntropyWithLogits",
    "Select", "Where", "Greater", "GreaterEqual", "Less", "LessEqual", "Equal", "NotEqual", "Reshape",
    "Squeeze", "StopGradient", "Identity", "ExpandDims", "Pack", "Const", "Shape", "Size", "Rank",
    "Range", "Fill", "ZerosLike", "OnesLike", "Sqrt", "Pow", "Reciprocal", "Tile", "Prod", "Max", "Min",
    "DivNoNan", "LogicalAnd", "LogicalOr", "LogicalNot", "Gather", "GatherV2", "StridedSlice",
    "ArgMax", "Softplus", "Relu", "Sigmoid", "Softmax", "LogSoftmax", "Tanh",
])
_STRONG_LOSS_OPS = frozenset([
    "SparseSoftmaxCrossEntropyWithLogits", "SoftmaxCrossEntropyWithLogits", "SigmoidCrossEntropyWithLogits",
    "Mean", "Sum", "Prod", "Max", "Min", "L2Loss", "Square", "SquaredDifference", "Sub", "Abs", "Log", "Neg",
    "AddN", "Select", "RealDiv", "Div", "DivNoNan", "Log1p",
])
LAYER_OPS = frozenset(["MatMul", "BiasAdd", "LeakyRelu", "Conv2D", "Conv3D", "DepthwiseConv2dNative", "Conv2DBackpropInput",
                        "Relu", "Relu6", "Elu", "Selu", "Sigmoid", "Softmax", "LogSoftmax", "Tanh",
                        "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3", "BatchMatMul", "Softplus",
                        "MaxPool", "AvgPool", "ConcatV2", "Merge", "Exit", "TensorArrayGatherV3"])


class Roles(object):
    """Per-node roles and the facts candidate ranking needs.

    Attributes:
        role: list of role strings, by node index.
        inputs: indexes of the real input placeholders (and queue/iterator sources).
        labels: indexes of training-only placeholders.
        switches: indexes of training switches.
        inference: set of indexes in the inference part.
        loss: set of indexes in the loss.
        depth: dict index -> data-edge distance from the inputs (inference nodes).
        mask: dict index -> bit mask of the inputs (by order in ``inputs``) reaching it.
    """


def _collection_names(meta_graph, key):
    if meta_graph is None or key not in meta_graph.collection_def:
        return []
    collection = meta_graph.collection_def[key]
    kind = collection.WhichOneof("kind")
    if kind == "node_list":
        return [node_name(v) for v in collection.node_list.value]
    names = []
    if kind == "bytes_list":  # VariableDef / other protos: field 1 is a tensor name
        for raw in collection.bytes_list.value:
            try:
                for number, wire, _, start, end in iter_fields(raw):
                    if number == 1 and wire == 2:
                        names.append(node_name(raw[start:end].decode("utf-8", "replace")))
                        break
            except ValueError:
                continue
    return names


def _mark_exclusive(model, roots, new_role, role, protected):
    """Gives ``new_role`` to roots and to nodes consumed only by nodes already given it."""
    pending = {}
    stack = [r for r in set(roots) if r not in protected]
    done = set(stack)
    while stack:
        i = stack.pop()
        role[i] = new_role
        for s in set(s for s, _ in model.data_in[i]) | set(model.control_in[i]):
            left = pending.get(s)
            if left is None:
                left = len(set(model.data_out[s]) | set(model.control_out[s]))
            pending[s] = left = left - 1
            if left == 0 and s not in done and s not in protected:
                done.add(s)
                stack.append(s)


def same_scope(name, other):
    """Whether two nodes were made in one non-root name scope (one nested in the other's)."""
    scope = name.rpartition("/")[0]
    if not scope:
        return False
    other_scope = other.rpartition("/")[0]
    return (scope == other_scope or other_scope.startswith(scope + "/")
            or (bool(other_scope) and scope.startswith(other_scope + "/")))


def _ancestors(model, roots):
    """Indexes of the roots and everything they depend on (data and control edges)."""
    seen = set(roots)
    stack = list(seen)
    while stack:
        i = stack.pop()
        for s, _ in model.data_in[i]:
            if s not in seen:
                seen.add(s)
                stack.append(s)
        for s in model.control_in[i]:
            if s not in seen:
                seen.add(s)
                stack.append(s)
    return seen


def _absorb(model, members, new_role, role, settled, allow):
    """Gives ``new_role`` to the inputs of ``members`` (transitively) whose every consumer is a member
    or has a ``settled`` role, when ``allow(input, consumer)`` says so.

    Returns:
        set of the indexes absorbed.
    """
    members = set(members)
    absorbed = set()
    stack = list(members)
    while stack:
        i = stack.pop()
        for s in set(s for s, _ in model.data_in[i]) | set(model.control_in[i]):
            if s in members or not allow(s, i):
                continue
            consumers = set(model.data_out[s]) | set(model.control_out[s])
            # A read or a shape query that nothing else uses goes along with its input.
            dangling = [d for d in consumers if d not in members and role[d] not in settled
                        and model.ops[d] in _FOLLOWERS
                        and all(c in members or role[c] in settled for c in model.data_out[d])
                        and all(c in members or role[c] in settled for c in model.control_out[d])]
            if all(d in members or role[d] in settled for d in consumers.difference(dangling)):
                for d in [s] + dangling:
                    members.add(d)
                    absorbed.add(d)
                    role[d] = new_role
                stack.append(s)
    return absorbed


def assign_roles(model, meta_graph=None, switch_names=()):
    """Works out every node's role.

    Args:
        model: core.analysis.graph_model.GraphModel.
        meta_graph: protos.MetaGraphDef or None (collections are used where present).
        switch_names: names of training switches (core.analysis.training_switches).
    Returns:
        Roles.
    """
    count = len(model)
    names, ops = model.names, model.ops
    role = [OTHER] * count
    position = model.position

    by_op = {}
    for i, op in enumerate(ops):
        by_op.setdefault(op, []).append(i)

    def of_ops(wanted):
        return [i for op in by_op if wanted(op) for i in by_op[op]]

    variables = set(of_ops(lambda op: op in VARIABLE_OPS))
    for i in variables:
        role[i] = VARIABLE
    for i in by_op.get("Const", ()):
        role[i] = CONSTANT
    gradient_nodes = [i for i, name in enumerate(names) if "gradients" in name and _GRADIENTS.search(name)]
    switches = set(position[n] for n in switch_names if n in position)

    # Saver: every node under the scope of the save/restore ops.
    saver_scopes = set()
    for i in of_ops(lambda op: op in _SAVER_OPS):
        if "/" in names[i]:
            saver_scopes.add(names[i].split("/", 1)[0] + "/")
    if meta_graph is not None and meta_graph.HasField("saver_def") and "/" in meta_graph.saver_def.restore_op_name:
        saver_scopes.add(meta_graph.saver_def.restore_op_name.split("/", 1)[0] + "/")
    protected = set(variables)
    if saver_scopes:
        prefixes = tuple(saver_scopes)
        for i, name in enumerate(names):
            if name.startswith(prefixes) and i not in variables:
                role[i] = SAVER

    # Loss: what feeds the gradients' root (or the `losses` collection), walked back over loss ops.
    loss_roots = set()
    for i in gradient_nodes:
        if _GRAD_ROOT.search(names[i]):
            for s, _ in model.data_in[i]:
                if not _GRADIENTS.search(names[s]):
                    loss_roots.add(s)
            # The seed's consumers are named gradients/<loss op>_grad/...
            for d in model.data_out[i] + model.control_out[i]:
                match = _GRAD_SCOPE.match(names[d])
                if match and match.group(3) in position:
                    loss_roots.add(position[match.group(3)])
    for name in _collection_names(meta_graph, "losses"):
        if name in position:
            loss_roots.add(position[name])

    # Training: gradients, optimizer ops, the train op and what only they need (slots too).
    training_roots = set(gradient_nodes)
    training_roots.update(of_ops(lambda op: op.startswith(_OPTIMIZER_PREFIXES)))
    for name in _collection_names(meta_graph, "train_op"):
        if name in position:
            training_roots.add(position[name])
    # Summaries, initializers, updates: roots, then what only they consume.
    summary_roots = of_ops(lambda op: op in _SUMMARY_OPS)
    init_roots = [i for i, name in enumerate(names) if role[i] != SAVER and (
        "/Initializer/" in name or name.endswith(("/initial_value", "/IsVariableInitialized"))
        or name.startswith("report_uninitialized_variables"))]
    init_roots += [i for i in by_op.get("NoOp", ()) if role[i] != SAVER and _INIT_OP.search(names[i])]
    init_roots += of_ops(lambda op: op in ("VarIsInitializedOp", "IsVariableInitialized"))
    init_roots += [i for i in of_ops(lambda op: op in ("Assign", "AssignVariableOp"))
                   if role[i] != SAVER and model.data_in[i] and model.data_in[i][0][0] in variables
                   and names[i] == names[model.data_in[i][0][0]] + "/Assign"]
    update_roots = [position[n] for n in _collection_names(meta_graph, "update_ops") if n in position]

    # Everything the loss is computed from stays out of the bookkeeping roles.
    forward = _ancestors(model, loss_roots)
    for i in summary_roots:
        role[i] = SUMMARY
    _absorb(model, summary_roots, SUMMARY, role, (SUMMARY, SAVER),
            lambda s, d: s not in forward and s not in variables and ops[s] not in PLACEHOLDERS
            and (ops[s] == "Const" or same_scope(names[s], names[d])))
    _mark_exclusive(model, init_roots, INITIALIZER, role, protected | loss_roots)
    # What only the saver reads (resource variables' Read/ReadVariableOp + Identity) is the saver's.
    _absorb(model, [i for i in range(count) if role[i] == SAVER], SAVER, role, (SAVER, INITIALIZER),
            lambda s, d: s not in forward and s not in variables and role[s] == OTHER
            and ops[s] not in PLACEHOLDERS)
    # Update ops (moving averages) named by their collection, before the train op claims them.
    update_roots = [i for i in update_roots if role[i] == OTHER]
    _mark_exclusive(model, update_roots, UPDATE, role, protected | loss_roots | forward)
    # Training: gradients, optimizer ops, the train op and everything computed after them, then what
    # only they need (learning rates, beta powers, slot variables and their reads).
    closed = set()
    stack = list(training_roots)
    while stack:
        i = stack.pop()
        if i in closed or i in forward or i in variables or role[i] in (SAVER, SUMMARY, INITIALIZER, UPDATE):
            continue
        closed.add(i)
        role[i] = TRAINING
        stack.extend(model.data_out[i])
        stack.extend(model.control_out[i])
    if forward:
        # Dead ends the optimizer leaves in its own scopes (a resource variable's read per update).
        scopes = set(names[i].rpartition("/")[0] for i in closed)
        scopes.discard("")
        for i in range(count):
            if not model.data_out[i] and role[i] == OTHER and not model.control_out[i] \
                    and i not in forward and names[i].rpartition("/")[0] in scopes:
                closed.add(i)
                role[i] = TRAINING
        _absorb(model, closed, TRAINING, role, (TRAINING, SAVER, INITIALIZER, SUMMARY),
                lambda s, d: s not in forward and s not in switches and ops[s] not in PLACEHOLDERS
                and role[s] in (OTHER, CONSTANT, VARIABLE))
    update_roots = []
    init_set = set(init_roots)
    update_roots += [i for i in of_ops(lambda op: op.startswith(_WRITE_PREFIXES))
                     if role[i] == OTHER and i not in init_set]
    _mark_exclusive(model, update_roots, UPDATE, role, protected | loss_roots)

    # Inputs and labels.
    placeholders = sorted(i for i in of_ops(lambda op: op in PLACEHOLDERS) if i not in switches
                          and role[i] == OTHER)
    placeholders += sorted(i for i in of_ops(lambda op: op in SOURCE_OPS) if role[i] == OTHER)
    blocked = set(i for i, r in enumerate(role) if r in (TRAINING, SAVER, SUMMARY, INITIALIZER))
    reach = _reach_masks(model, placeholders, blocked)
    has_params = _parameterised(model, variables, blocked)
    labels = _labels(model, placeholders, reach, has_params)
    inputs = [p for p in placeholders if p not in labels]
    for i in inputs:
        role[i] = INPUT
    for i in labels:
        role[i] = TRAINING_INPUT
    for i in switches:
        role[i] = SWITCH

    # The loss: walk back from its roots over loss ops, stopping at layer outputs.
    loss = set()
    label_bits = 0
    for bit, p in enumerate(placeholders):
        if p in labels:
            label_bits |= 1 << bit
    stack = [r for r in loss_roots if role[r] not in (TRAINING, SAVER)]
    while stack:
        i = stack.pop()
        if i in loss or i in variables or ops[i] in PLACEHOLDERS:
            continue
        if i not in loss_roots and not _loss_like(model, i, reach.get(i, 0) & label_bits, has_params):
            continue
        loss.add(i)
        for s, _ in model.data_in[i]:
            if ops[s] == "Identity" and model.data_in[s] and model.data_in[s][0][0] in variables:
                continue
            stack.append(s)
    # Everything computed from a label is loss/metric too.
    for i, bits in reach.items():
        if bits & label_bits and role[i] in (OTHER, CONSTANT) and ops[i] not in PLACEHOLDERS:
            loss.add(i)
    for i in loss:
        if role[i] in (OTHER, CONSTANT, UPDATE):
            role[i] = LOSS
    # What only the loss and the metrics use, made in their name scopes (keras' clip_by_value before
    # the log, a metric's argmax) or cast for them, is theirs too.
    loss |= _absorb(model, loss, LOSS, role, (LOSS, TRAINING, SAVER, SUMMARY, INITIALIZER, UPDATE),
                    lambda s, d: role[s] in (OTHER, CONSTANT) and s not in variables
                    and ops[s] not in PLACEHOLDERS and (ops[s] in _CASTS or same_scope(names[s], names[d])))

    # The inference part: computed from the inputs (or the weights), none of the above.
    input_bits = 0
    for bit, p in enumerate(placeholders):
        if p not in labels:
            input_bits |= 1 << bit
    inference = set()
    for i, bits in reach.items():
        if bits & input_bits and not bits & label_bits and role[i] in (OTHER, CONSTANT, INPUT):
            inference.add(i)
            if role[i] == OTHER:
                role[i] = INFERENCE
    for i in has_params:
        if role[i] == OTHER and not reach.get(i, 0) & label_bits:
            inference.add(i)
            role[i] = INFERENCE
    if not loss_roots and not training_roots:
        # An inference graph (or a frozen one): whatever is not bookkeeping computes outputs.
        for i in range(count):
            if role[i] in (OTHER, CONSTANT) and ops[i] not in PLACEHOLDERS:
                inference.add(i)
                if role[i] == OTHER:
                    role[i] = INFERENCE
    for i in range(count):
        if role[i] == OTHER:
            role[i] = INFERENCE if not loss_roots else OTHER
    # What the inference part (then the loss) needs without depending on an input (a cond's pivots,
    # ranges of constants, assertion NoOps) takes its role.
    for kind in (INFERENCE, LOSS):
        stack = [i for i, r in enumerate(role) if r == kind]
        seen = set(stack)
        while stack:
            i = stack.pop()
            for s in [s for s, _ in model.data_in[i]] + model.control_in[i]:
                if s not in seen and role[s] in (OTHER, CONSTANT):
                    seen.add(s)
                    if role[s] == OTHER:
                        role[s] = kind
                    stack.append(s)
    for i in range(count):  # dead ends of the inference part (a cond's unused pivot)
        if role[i] == OTHER and model.data_in[i] and all(role[s] == INFERENCE for s, _ in model.data_in[i]):
            role[i] = INFERENCE
    result = Roles()
    result.role = role
    result.inputs = inputs
    result.labels = labels
    result.switches = sorted(switches)
    result.inference = inference
    result.loss = loss
    result.mask = reach
    result.placeholders = placeholders
    result.has_params = has_params
    result.depth = _depths(model, inputs, inference)
    return result


def _is_scalar(model, i):
    node = model.graph_def.node[i]
    if "_output_shapes" not in node.attr:
        return False
    shapes = node.attr["_output_shapes"].list.shape
    return len(shapes) == 1 and not shapes[0].unknown_rank and len(shapes[0].dim) == 0


def _loss_like(model, i, from_label, has_params):
    """Whether the walk back from the loss goes on through node ``i``."""
    op = model.ops[i]
    if from_label:
        return op in _LOSS_OPS or op not in LAYER_OPS
    if i not in has_params:
        return op in _LOSS_OPS
    # Computed from the model's weights without a label: a layer, unless it is typical of a loss.
    return op in _STRONG_LOSS_OPS or (op in _LOSS_OPS and op not in LAYER_OPS and _is_scalar(model, i))


def _reach_masks(model, sources, blocked):
    """Bit masks of which sources reach each node over data edges (blocked nodes stop it)."""
    masks = {}
    for bit, source in enumerate(sources):
        flag = 1 << bit
        stack = [source]
        while stack:
            i = stack.pop()
            current = masks.get(i, 0)
            if current & flag:
                continue
            masks[i] = current | flag
            for d in model.data_out[i]:
                if d not in blocked and not masks.get(d, 0) & flag:
                    stack.append(d)
    return masks


def _parameterised(model, variables, blocked):
    """Nodes computed (over data edges) from a variable."""
    seen = set()
    stack = list(variables)
    while stack:
        i = stack.pop()
        for d in model.data_out[i]:
            if d not in seen and d not in blocked:
                seen.add(d)
                stack.append(d)
    return seen


def _labels(model, placeholders, reach, has_params):
    """Placeholders that meet the others only where the others already went through parameters."""
    if len(placeholders) < 2:
        return set()
    bit_of = dict((p, 1 << b) for b, p in enumerate(placeholders))
    label_votes = collections.Counter()
    input_votes = collections.Counter()
    for i, bits in reach.items():
        if bits & (bits - 1) == 0:
            continue  # reached by one source only: not a meeting point
        sides = [(s, reach.get(s, 0)) for s, _ in model.data_in[i]]
        for p in placeholders:
            flag = bit_of[p]
            if not bits & flag:
                continue
            mine = [s for s, b in sides if b & flag and b == flag]
            others = [s for s, b in sides if b and not b & flag]
            if not mine or not others:
                continue
            mine_params = any(s in has_params for s in mine)
            others_params = any(s in has_params for s in others)
            if others_params and not mine_params:
                label_votes[p] += 1
            elif mine_params:
                input_votes[p] += 1
    feeds_layers = _feeding_layers(model, placeholders, reach)
    return set(p for p in placeholders if label_votes[p] and not input_votes[p] and p not in feeds_layers
               and not is_dropout_rate(model, p))


# A placeholder whose values reach one of these feeds the model (a sequence length, a keep_prob, a
# decoder's teacher-forced targets): never a label.
_WEIGHTED_OPS = frozenset(["MatMul", "BatchMatMul", "BatchMatMulV2", "Conv2D", "Conv3D", "DepthwiseConv2dNative",
                           "Conv2DBackpropInput", "BiasAdd", "Conv1D"])


def _feeding_layers(model, placeholders, reach):
    """Placeholders whose values reach a weighted layer op."""
    bits = 0
    for i, mask in reach.items():
        if model.ops[i] in _WEIGHTED_OPS:
            bits |= mask
    return set(p for b, p in enumerate(placeholders) if bits & (1 << b))


def _depths(model, inputs, inference):
    depth = dict((i, 0) for i in inputs)
    queue = collections.deque(inputs)
    while queue:
        i = queue.popleft()
        for d in model.data_out[i]:
            if d in inference and d not in depth:
                depth[d] = depth[i] + 1
                queue.append(d)
    return depth
