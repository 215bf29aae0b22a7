"""Ranking the likely output nodes of the inference part, each with its reasons."""

import collections
import re

from core.formats import protos
from core.analysis.roles import INPUT, LOSS
from core.formats.saver_map import VARIABLE_OPS

TAILS = frozenset(["BiasAdd", "Relu", "Sigmoid", "Softmax"])
_TAIL_SCORES = {
    "Softmax": 3.0, "Sigmoid": 3.0, "BiasAdd": 2.5, "ArgMax": 2.0, "Relu": 2.0, "Relu6": 2.0,
    "Tanh": 2.0, "LogSoftmax": 2.5, "Identity": 1.0, "MatMul": 1.5, "Add": 1.0, "AddV2": 1.0,
    "Elu": 1.5, "Selu": 1.5, "Softplus": 1.5, "TopKV2": 1.5, "Reshape": 0.5, "Squeeze": 0.5,
    "Mean": 0.0, "ConcatV2": 0.5, "Mul": 0.5,
}
_PASS = frozenset(["Identity", "Reshape", "Squeeze", "ExpandDims"])
_DEAD_END = frozenset(["Shape", "ShapeN", "Rank", "Size", "Const", "NoOp", "Assert", "Fill", "ZerosLike",
                       "OnesLike", "Range", "Placeholder", "PlaceholderWithDefault", "Print",
                       "Switch", "Enter", "NextIteration", "LoopCond", "Exit", "StopGradient"])
_GOOD_NAME = re.compile(r"(^|[/_])(output|outputs|out|logits?|probs?|probabilities|predictions?|preds?|"
                        r"scores?|y|y_hat|yhat|class(es)?|labels_pred|embeddings?|heads?|result)(_\d+)?$",
                        re.IGNORECASE)
_AUX_NAME = re.compile(r"aux", re.IGNORECASE)


class Candidate(collections.namedtuple("Candidate", "name op score reasons tail dtype shape")):
    """A likely output. tail: "BiasAdd"/"Relu"/"Sigmoid"/"Softmax" when it ends in one, else None."""


def output_shapes(node):
    """Shapes from TF's `_output_shapes` attr: list of (list of dims with -1 unknown, or None)."""
    if "_output_shapes" not in node.attr:
        return []
    result = []
    for shape in node.attr["_output_shapes"].list.shape:
        result.append(None if shape.unknown_rank else [int(d.size) for d in shape.dim])
    return result


def output_dtype(node):
    """The dtype name ("float32") of a node's outputs from its type attrs, or None."""
    for key in ("T", "dtype", "out_type", "output_type", "Tout", "DstT"):
        if key in node.attr and node.attr[key].type:
            return protos.dtype_name(node.attr[key].type)
    return None


def _tail(model, i):
    """The op that gives a node its character, looking through Identity/Reshape/Squeeze."""
    seen = 0
    while model.ops[i] in _PASS and model.data_in[i] and seen < 8:
        i = model.data_in[i][0][0]
        seen += 1
    return model.ops[i]


_READS = frozenset(["Identity", "ReadVariableOp", "Snapshot"])


def _reads_variable(model, i):
    """Whether node ``i`` is a variable's own read (`w/read`, a ReadVariableOp of a handle)."""
    return model.ops[i] in _READS and bool(model.data_in[i]) and model.ops[model.data_in[i][0][0]] in VARIABLE_OPS


def rank_candidates(model, roles):
    """The ends of the inference part, best first.

    A node is a candidate when it belongs to the inference part and no other inference node
    consumes it (what consumes it is loss, training, summaries or nothing).

    Returns:
        list of Candidate.
    """
    inference = roles.inference
    ends = []
    for i in inference:
        if roles.role[i] == INPUT or model.ops[i] in _DEAD_END:
            continue
        if _reads_variable(model, i):
            continue  # a variable's read
        if any(d in inference for d in model.data_out[i]):
            continue
        ends.append(i)
    if not ends:
        return []
    max_depth = max([roles.depth.get(i, 0) for i in ends] + [1])
    input_batch = set()
    for i in roles.inputs:
        shapes = output_shapes(model.graph_def.node[i])
        if shapes and shapes[0]:
            input_batch.add(shapes[0][0])
    ancestors_count = _ancestor_counts(model, ends, inference)
    max_ancestors = max(ancestors_count.values() or [1])
    result = []
    for i in ends:
        node = model.graph_def.node[i]
        reasons = []
        score = 0.0
        op = model.ops[i]
        tail = _tail(model, i)
        tail_score = _TAIL_SCORES.get(tail, 0.0)
        if tail != op and op in _PASS:
            tail_score += 0.3
        score += tail_score
        if tail_score > 0:
            reasons.append("ends in %s" % (tail if tail == op else "%s (via %s)" % (tail, op)))
        short = node.name.rsplit("/", 1)[-1]
        if _GOOD_NAME.search(node.name) or _GOOD_NAME.search(node.name.rsplit("/", 1)[0] if "/" in node.name else ""):
            score += 1.5
            reasons.append("named like an output")
        if any(roles.role[d] == LOSS for d in model.data_out[i]):
            score += 1.5
            reasons.append("feeds the loss")
        elif not model.data_out[i]:
            reasons.append("nothing consumes it")
        depth = roles.depth.get(i, 0)
        score += 2.0 * depth / max_depth
        reasons.append("depth %d from the inputs" % depth)
        share = ancestors_count.get(i, 0) / float(max_ancestors)
        score += 2.0 * share
        if share >= 0.999:
            reasons.append("uses the whole network")
        if _AUX_NAME.search(node.name):
            score -= 2.5
            reasons.append("auxiliary head")
        shapes = output_shapes(node)
        shape = shapes[0] if shapes else None
        if shape is not None:
            if len(shape) == 0:
                score -= 3.0
                reasons.append("scalar")
            elif input_batch and shape[0] in input_batch:
                score += 0.5
                reasons.append("batch dimension like the inputs")
        dtype = output_dtype(node)
        if op.startswith("Assign") or short.startswith("Assign"):
            score -= 5.0
        result.append(Candidate(node.name, op, round(score, 3), reasons,
                                tail if tail in TAILS else None, dtype, shape))
    result.sort(key=lambda c: (-c.score, model.position[c.name]))
    return result


def _ancestor_counts(model, ends, inference):
    """How many inference nodes each end depends on (bounded work: bit sets over inference)."""
    order = sorted(inference)
    local = dict((n, k) for k, n in enumerate(order))
    counts = {}
    if len(ends) * len(order) > 50000000:
        return dict((i, 0) for i in ends)
    for i in ends:
        seen = set([i])
        stack = [i]
        while stack:
            n = stack.pop()
            for s, _ in model.data_in[n]:
                if s in local and s not in seen:
                    seen.add(s)
                    stack.append(s)
        counts[i] = len(seen)
    return counts


