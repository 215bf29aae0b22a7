"""Ranking the likely output nodes of the inference part, each with its reasons."""

import collections
import re

from core.formats import dtypes
from core.analysis.copies import ancestry_facts, copy_groups
from core.analysis.naming import authors_name
from core.analysis.evidence import PREDICTION_OPS
from core.analysis.pool import Pool
from core.analysis.roles import LOSS

TAILS = frozenset(["BiasAdd", "Relu", "Sigmoid", "Softmax"])
_TAIL_SCORES = {
    "Softmax": 3.0, "Sigmoid": 3.0, "BiasAdd": 2.5, "ArgMax": 2.0, "Relu": 2.0, "Relu6": 2.0,
    "Tanh": 2.0, "LogSoftmax": 2.5, "Identity": 1.0, "MatMul": 1.5, "Add": 1.0, "AddV2": 1.0,
    "Elu": 1.5, "Selu": 1.5, "Softplus": 1.5, "TopKV2": 1.5, "Reshape": 0.5, "Squeeze": 0.5,
    "Mean": 0.0, "ConcatV2": 0.5, "Mul": 0.5,
}
_PASS = frozenset(["Identity", "Reshape", "Squeeze", "ExpandDims", "Cast", "ToInt32", "ToInt64", "ToFloat", "OneHot"])
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
            return dtypes.name(node.attr[key].type)
    return None


def _tail(model, i):
    """The op that gives a node its character, looking through Identity/Reshape/Squeeze."""
    seen = 0
    while model.ops[i] in _PASS and model.data_in[i] and seen < 8:
        i = model.data_in[i][0][0]
        seen += 1
    return model.ops[i]


def rank_candidates(model, roles, meta_graph=None):
    """The likely outputs of the model, best first, each with the evidence behind it.

    Candidates come from the pool of nodes computed from an input's values (core.analysis.pool):
    its ends, what a loss or a metric consumes, the softmax/argmax beside them, collection members and
    SavedModel signature outputs; nodes that depend on no input, loop internals and cond plumbing never.

    Returns:
        list of Candidate.
    """
    pool = Pool(model, roles, meta_graph)
    chosen = sorted(pool.candidate_set())
    if not chosen:
        return []
    facts = ancestry_facts(model, chosen)
    context = _Context(model, roles, pool, facts, chosen)
    scored = dict((i, _score(context, i)) for i in chosen)
    for best, members in copy_groups(model, roles, facts, set(pool.consumed_by_loss)):
        names = ", ".join(model.names[m] for m in members[:4]) + (" ..." if len(members) > 4 else "")
        for m in members:
            score, reasons = scored[m]
            if m == best:
                reasons.append("preferred of %d copies of this computation (%s)" % (len(members), names))
                scored[m] = (score + 0.5, reasons)
            else:
                reasons.append("one of %d copies (%s); %s preferred" % (len(members), names, model.names[best]))
                scored[m] = (score - 1.5, reasons)
    result = []
    for i in chosen:
        node = model.graph_def.node[i]
        score, reasons = scored[i]
        shapes = output_shapes(node)
        tail = _tail(model, i)
        result.append(Candidate(node.name, model.ops[i], round(score, 3), reasons,
                                tail if tail in TAILS else None, output_dtype(node), shapes[0] if shapes else None))
    result.sort(key=lambda c: (-c.score, model.position[c.name]))
    return result


class _Context(object):
    """What scoring needs about the whole candidate set."""

    def __init__(self, model, roles, pool, facts, chosen):
        self.model = model
        self.roles = roles
        self.pool = pool
        self.facts = facts
        self.siblings = pool.prediction_siblings()
        self.judged = pool.judged_outputs()
        self.judges = set(judge for _, judge in self.judged.values())
        self.ends = pool.ends()
        depth = _depths(model, roles.inputs, pool)
        self.depth = depth
        self.max_depth = max([depth.get(i, 0) for i in chosen] + [1])
        self.max_ancestors = max([f[0] for f in facts.values()] + [1])
        self.input_batch = set()
        for i in roles.inputs:
            shapes = output_shapes(model.graph_def.node[i])
            if shapes and shapes[0]:
                self.input_batch.add(shapes[0][0])
        self.logits_with_prediction = set(self.siblings.values())


def _score(context, i):
    """(score, reasons) of candidate ``i``."""
    model, pool = context.model, context.pool
    node = model.graph_def.node[i]
    op = model.ops[i]
    reasons = []
    score = 0.0
    if i in pool.signature:
        score += 100.0
        reasons.append("SavedModel signature '%s'" % pool.signature[i])
    if i in pool.collections:
        score += 3.0
        reasons.append("in the collection%s %s" % ("s" if len(pool.collections[i]) > 1 else "",
                                                   ", ".join("'%s'" % k for k in pool.collections[i])))
    tail = _tail(model, i)
    tail_score = _TAIL_SCORES.get(tail, 0.0)
    if tail != op and op in _PASS:
        tail_score += 0.3
    score += tail_score
    if tail_score > 0:
        reasons.append("ends in %s" % (tail if tail == op else "%s (via %s)" % (tail, op)))
    if _GOOD_NAME.search(node.name) or ("/" in node.name and _GOOD_NAME.search(node.name.rsplit("/", 1)[0])):
        score += 1.5
        reasons.append("named like an output")
    elif authors_name(node.name, op):
        score += 1.0
        reasons.append("named by its authors")
    score += _loss_evidence(context, i, reasons)
    depth = context.depth.get(i, 0)
    score += 2.0 * depth / context.max_depth
    reasons.append("depth %d from the inputs" % depth)
    if context.facts:
        share = context.facts.get(i, (0, None))[0] / float(context.max_ancestors)
        score += 2.0 * share
        if share >= 0.999:
            reasons.append("uses the whole network")
    if _AUX_NAME.search(node.name):
        score -= 2.5
        reasons.append("auxiliary head")
    score += _shape_evidence(context, node, reasons)
    if op.startswith("Assign"):
        score -= 5.0
    if i in pool.weight_only:
        score -= 2.0
        reasons.append("depends on no input (computed from the weights alone)")
    return score, reasons


def _loss_evidence(context, i, reasons):
    """Score from the loss and the metrics: what they consume, its predictions, what only the loss is."""
    model, pool = context.model, context.pool
    score = 0.0
    kind = pool.consumed_by_loss.get(i)
    if kind == "metric":
        score += 2.0
        reasons.append("a metric compares it with the labels")
    elif kind == "loss":
        score += 1.5
        reasons.append("feeds the loss")
    if i in context.judged:
        own, judge = context.judged[i]
        score += 2.5
        reasons.append("the output of '%s', which '%s' only judges for a loss" % (own, judge))
    judge = model.names[i].split("/", 1)[0] if "/" in model.names[i] else ""
    if judge in context.judges and kind:
        score -= 2.5
        reasons.append("the verdict of '%s', which judges another network's output" % judge)
    if i in context.siblings:
        score += 1.5 if not kind else 0.5
        reasons.append("the prediction from %s, which the loss consumes" % model.names[context.siblings[i]])
    if i in context.logits_with_prediction and kind == "loss":
        score -= 0.5
        reasons.append("its softmax/argmax is the prediction")
    if i in context.ends and not kind:
        if model.data_out[i]:
            reasons.append("only training consumes it")
        else:
            reasons.append("nothing consumes it")
    elif i not in context.ends and i not in context.siblings and i not in context.judged and not kind:
        score -= 0.5
        reasons.append("other inference nodes consume it")
    if context.roles.role[i] == LOSS and _tail(model, i) not in PREDICTION_OPS:
        score -= 1.5
        reasons.append("part of the loss")
    return score


def _shape_evidence(context, node, reasons):
    shapes = output_shapes(node)
    shape = shapes[0] if shapes else None
    if shape is None:
        return 0.0
    if len(shape) == 0:
        reasons.append("scalar")
        return -3.0
    if context.input_batch and shape[0] in context.input_batch:
        reasons.append("batch dimension like the inputs")
        return 0.5
    return 0.0


def _depths(model, inputs, pool):
    """Longest data path from the inputs to each pool node: how many layers lie before it. A while
    loop counts once: its body's depth carries on to what follows the loop (dynamic_rnn, seq2seq)."""
    reached = set(pool.value_masks) | set(inputs)
    pending = {}
    for i in reached:
        pending[i] = sum(1 for s, _ in model.data_in[i] if s in reached and model.ops[s] != "NextIteration")
    depth = dict((i, 0) for i in reached if pending[i] == 0)
    queue = collections.deque(sorted(depth))
    while queue:
        i = queue.popleft()
        for d in _forward(model, i, pending):
            depth[d] = max(depth.get(d, 0), depth[i] + _step(model, i))
            pending[d] -= 1
            if pending[d] == 0:
                queue.append(d)
    # Carry each loop body's depth over its back edge once, then on to the loop's exits.
    queue = collections.deque()
    for i in reached:
        if model.ops[i] == "NextIteration" and i in depth:
            for d in model.data_out[i]:
                if d in reached and depth[i] > depth.get(d, 0):
                    depth[d] = depth[i]
                    queue.append(d)
    budget = 20 * len(reached)
    while queue and budget > 0:
        budget -= 1
        i = queue.popleft()
        for d in _forward(model, i, pending):
            value = depth[i] + _step(model, i)
            if value > depth.get(d, 0):
                depth[d] = value
                queue.append(d)
    return dict((i, d) for i, d in depth.items() if i in pool.members)


def _forward(model, i, reached):
    if model.ops[i] == "NextIteration":
        return []
    return [d for d in model.data_out[i] if d in reached]


def _step(model, i):
    return 0 if model.ops[i] in _NO_DEPTH else 1


_NO_DEPTH = frozenset(["Identity", "Reshape", "Squeeze", "ExpandDims", "Cast", "Enter", "Exit", "Merge", "Switch",
                       "Transpose", "ConcatV2", "Pack", "StridedSlice", "Shape"])
