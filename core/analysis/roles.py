"""What each node is for: inputs, labels, variables, the inference part, loss, training, saver, ..."""

import re

from core.formats.saver_map import VARIABLE_OPS
from core.analysis.role_walks import (absorb, ancestors, collection_names, depths, find_labels, mark_exclusive,
                                      parameterised, same_scope)

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


class _State(object):
    """What the steps of assign_roles share: the graph, the roles so far and the sets they build."""

    def __init__(self, model, meta_graph, switch_names):
        self.model = model
        self.meta_graph = meta_graph
        self.names, self.ops = model.names, model.ops
        self.role = [OTHER] * len(model)
        self.by_op = {}
        for i, op in enumerate(model.ops):
            self.by_op.setdefault(op, []).append(i)
        self.variables = set(self.of_ops(lambda op: op in VARIABLE_OPS))
        self.switches = set(model.position[n] for n in switch_names if n in model.position)

    def of_ops(self, wanted):
        return [i for op in self.by_op if wanted(op) for i in self.by_op[op]]

    def collection(self, key):
        position = self.model.position
        return [position[n] for n in collection_names(self.meta_graph, key) if n in position]


def assign_roles(model, meta_graph=None, switch_names=()):
    """Works out every node's role.

    Args:
        model: core.analysis.graph_model.GraphModel.
        meta_graph: protos.MetaGraphDef or None (collections are used where present).
        switch_names: names of training switches (core.analysis.training_switches).
    Returns:
        Roles.
    """
    state = _State(model, meta_graph, switch_names)
    _mark_variables_and_saver(state)
    _find_roots(state)
    _mark_bookkeeping(state)
    _mark_training(state)
    _inputs_and_labels(state)
    _mark_loss(state)
    _mark_inference(state)
    _settle_the_rest(state)
    result = Roles()
    result.role = state.role
    result.inputs = state.inputs
    result.labels = state.labels
    result.switches = sorted(state.switches)
    result.inference = state.inference
    result.loss = state.loss
    result.mask = state.reach
    result.placeholders = state.placeholders
    result.has_params = state.has_params
    result.depth = depths(model, state.inputs, state.inference)
    return result


def _mark_variables_and_saver(state):
    """Variables, constants, and every node under the scope of the save/restore ops."""
    role, names = state.role, state.names
    for i in state.variables:
        role[i] = VARIABLE
    for i in state.by_op.get("Const", ()):
        role[i] = CONSTANT
    saver_scopes = set()
    for i in state.of_ops(lambda op: op in _SAVER_OPS):
        if "/" in names[i]:
            saver_scopes.add(names[i].split("/", 1)[0] + "/")
    meta_graph = state.meta_graph
    if meta_graph is not None and meta_graph.HasField("saver_def") and "/" in meta_graph.saver_def.restore_op_name:
        saver_scopes.add(meta_graph.saver_def.restore_op_name.split("/", 1)[0] + "/")
    if saver_scopes:
        prefixes = tuple(saver_scopes)
        for i, name in enumerate(names):
            if name.startswith(prefixes) and i not in state.variables:
                role[i] = SAVER


def _find_roots(state):
    """Roots of the loss (what feeds the gradients' seed, the `losses` collection), of training, of
    summaries, initializers and update ops."""
    model, names, role, position = state.model, state.names, state.role, state.model.position
    gradient_nodes = [i for i, name in enumerate(names) if "gradients" in name and _GRADIENTS.search(name)]
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
    loss_roots.update(state.collection("losses"))
    state.loss_roots = loss_roots
    state.training_roots = set(gradient_nodes)
    state.training_roots.update(state.of_ops(lambda op: op.startswith(_OPTIMIZER_PREFIXES)))
    state.training_roots.update(state.collection("train_op"))
    state.summary_roots = state.of_ops(lambda op: op in _SUMMARY_OPS)
    init_roots = [i for i, name in enumerate(names) if role[i] != SAVER and (
        "/Initializer/" in name or name.endswith(("/initial_value", "/IsVariableInitialized"))
        or name.startswith("report_uninitialized_variables"))]
    init_roots += [i for i in state.by_op.get("NoOp", ()) if role[i] != SAVER and _INIT_OP.search(names[i])]
    init_roots += state.of_ops(lambda op: op in ("VarIsInitializedOp", "IsVariableInitialized"))
    init_roots += [i for i in state.of_ops(lambda op: op in ("Assign", "AssignVariableOp"))
                   if role[i] != SAVER and model.data_in[i] and model.data_in[i][0][0] in state.variables
                   and names[i] == names[model.data_in[i][0][0]] + "/Assign"]
    state.init_roots = init_roots
    state.update_roots = state.collection("update_ops")
    # Everything the loss is computed from stays out of the bookkeeping roles.
    state.forward = ancestors(model, loss_roots)


def _mark_bookkeeping(state):
    """Summaries, initializers, what only the saver reads, and update ops named by their collection."""
    model, role, ops, names = state.model, state.role, state.ops, state.names
    forward, variables = state.forward, state.variables
    protected = set(variables)
    for i in state.summary_roots:
        role[i] = SUMMARY
    absorb(model, state.summary_roots, SUMMARY, role, (SUMMARY, SAVER),
           lambda s, d: s not in forward and s not in variables and ops[s] not in PLACEHOLDERS
           and (ops[s] == "Const" or same_scope(names[s], names[d])))
    mark_exclusive(model, state.init_roots, INITIALIZER, role, protected | state.loss_roots)
    # What only the saver reads (resource variables' Read/ReadVariableOp + Identity) is the saver's.
    absorb(model, [i for i in range(len(role)) if role[i] == SAVER], SAVER, role, (SAVER, INITIALIZER),
           lambda s, d: s not in forward and s not in variables and role[s] == OTHER
           and ops[s] not in PLACEHOLDERS)
    # Update ops (moving averages) named by their collection, before the train op claims them.
    update_roots = [i for i in state.update_roots if role[i] == OTHER]
    mark_exclusive(model, update_roots, UPDATE, role, protected | state.loss_roots | forward)


def _mark_training(state):
    """Gradients, optimizer ops, the train op and everything computed after them, then what only they
    need (learning rates, beta powers, slot variables and their reads); then other variable writes."""
    model, role, ops, names = state.model, state.role, state.ops, state.names
    forward, variables = state.forward, state.variables
    closed = set()
    stack = list(state.training_roots)
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
        for i in range(len(role)):
            if not model.data_out[i] and role[i] == OTHER and not model.control_out[i] \
                    and i not in forward and names[i].rpartition("/")[0] in scopes:
                closed.add(i)
                role[i] = TRAINING
        absorb(model, closed, TRAINING, role, (TRAINING, SAVER, INITIALIZER, SUMMARY),
               lambda s, d: s not in forward and s not in state.switches and ops[s] not in PLACEHOLDERS
               and role[s] in (OTHER, CONSTANT, VARIABLE))
    init_set = set(state.init_roots)
    update_roots = [i for i in state.of_ops(lambda op: op.startswith(_WRITE_PREFIXES))
                    if role[i] == OTHER and i not in init_set]
    mark_exclusive(model, update_roots, UPDATE, role, set(variables) | state.loss_roots)


def _inputs_and_labels(state):
    """Placeholders and input-pipeline ops left over: the inputs, and the labels among them."""
    model, role = state.model, state.role
    placeholders = sorted(i for i in state.of_ops(lambda op: op in PLACEHOLDERS) if i not in state.switches
                          and role[i] == OTHER)
    placeholders += sorted(i for i in state.of_ops(lambda op: op in SOURCE_OPS) if role[i] == OTHER)
    blocked = set(i for i, r in enumerate(role) if r in (TRAINING, SAVER, SUMMARY, INITIALIZER))
    state.reach = model.reach_masks(placeholders, blocked)
    state.has_params = parameterised(model, state.variables, blocked)
    state.labels = find_labels(model, placeholders, state.reach, state.has_params)
    state.inputs = [p for p in placeholders if p not in state.labels]
    state.placeholders = placeholders
    for i in state.inputs:
        role[i] = INPUT
    for i in state.labels:
        role[i] = TRAINING_INPUT
    for i in state.switches:
        role[i] = SWITCH
    state.label_bits = state.input_bits = 0
    for bit, p in enumerate(placeholders):
        if p in state.labels:
            state.label_bits |= 1 << bit
        else:
            state.input_bits |= 1 << bit


def _mark_loss(state):
    """The loss: walked back from its roots over loss ops (stopping at layer outputs), everything
    computed from a label, and what only the loss and metrics use in their scopes or cast for them."""
    model, role, ops, names, reach = state.model, state.role, state.ops, state.names, state.reach
    variables, label_bits = state.variables, state.label_bits
    loss = set()
    stack = [r for r in state.loss_roots if role[r] not in (TRAINING, SAVER)]
    while stack:
        i = stack.pop()
        if i in loss or i in variables or ops[i] in PLACEHOLDERS:
            continue
        if i not in state.loss_roots and not _loss_like(model, i, reach.get(i, 0) & label_bits, state.has_params):
            continue
        loss.add(i)
        for s, _ in model.data_in[i]:
            if ops[s] == "Identity" and model.data_in[s] and model.data_in[s][0][0] in variables:
                continue
            stack.append(s)
    for i, bits in reach.items():
        if bits & label_bits and role[i] in (OTHER, CONSTANT) and ops[i] not in PLACEHOLDERS:
            loss.add(i)
    for i in loss:
        if role[i] in (OTHER, CONSTANT, UPDATE):
            role[i] = LOSS
    # keras' clip_by_value before the log, a metric's argmax.
    loss |= absorb(model, loss, LOSS, role, (LOSS, TRAINING, SAVER, SUMMARY, INITIALIZER, UPDATE),
                   lambda s, d: role[s] in (OTHER, CONSTANT) and s not in variables
                   and ops[s] not in PLACEHOLDERS and (ops[s] in _CASTS or same_scope(names[s], names[d])))
    state.loss = loss


def _mark_inference(state):
    """The inference part: computed from the inputs (or the weights), none of the above."""
    role, ops, reach = state.role, state.ops, state.reach
    inference = set()
    for i, bits in reach.items():
        if bits & state.input_bits and not bits & state.label_bits and role[i] in (OTHER, CONSTANT, INPUT):
            inference.add(i)
            if role[i] == OTHER:
                role[i] = INFERENCE
    for i in state.has_params:
        if role[i] == OTHER and not reach.get(i, 0) & state.label_bits:
            inference.add(i)
            role[i] = INFERENCE
    if not state.loss_roots and not state.training_roots:
        # An inference graph (or a frozen one): whatever is not bookkeeping computes outputs.
        for i in range(len(role)):
            if role[i] in (OTHER, CONSTANT) and ops[i] not in PLACEHOLDERS:
                inference.add(i)
                if role[i] == OTHER:
                    role[i] = INFERENCE
    state.inference = inference


def _settle_the_rest(state):
    """What the inference part (then the loss) needs without depending on an input (a cond's pivots,
    ranges of constants, assertion NoOps) takes its role; dead ends of the inference part too."""
    model, role = state.model, state.role
    for i in range(len(role)):
        if role[i] == OTHER:
            role[i] = INFERENCE if not state.loss_roots else OTHER
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
    for i in range(len(role)):  # dead ends of the inference part (a cond's unused pivot)
        if role[i] == OTHER and model.data_in[i] and all(role[s] == INFERENCE for s, _ in model.data_in[i]):
            role[i] = INFERENCE


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
