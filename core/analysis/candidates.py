"""Ranking the likely output nodes of the inference part, each with its reasons."""

import collections
import re

from core.formats import dtypes
from core.analysis.copies import ancestry_facts, copy_groups
from core.analysis.naming import authors_name
from core.analysis.evidence import PREDICTION_OPS, signatures
from core.analysis.heads import FormContext
from core.analysis.pool import Pool
from core.analysis.roles import LOSS
from core.analysis.suggested import (ALTERNATIVE, OTHER, SIGNATURE, SUGGESTED, TRAINING_SIDE,
                                     choose_outputs)
from core.analysis.training_evidence import read_evidence
from core.analysis.value_flow import value_out
from core.names import node_name

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

_FEW_NAMED = 64  # hand-named pool nodes always worth ranking (more only while they are under a tenth)


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


_TIER_BONUS = {SIGNATURE: 100.0, SUGGESTED: 60.0, ALTERNATIVE: 40.0, OTHER: 20.0, TRAINING_SIDE: 0.0}


class Ranking(object):
    """Ranked candidates and the heads they form. ``candidates``: list of Candidate, best first; ``heads``:
    list of core.analysis.heads.Head (suggested heads first); ``suggested``: output names a user would freeze."""

    def __init__(self, candidates, heads, suggested):
        self.candidates = candidates
        self.heads = heads
        self.suggested = suggested


def rank_candidates(model, roles, meta_graph=None, evidence=None):
    """The likely outputs of the model, best first, each with the evidence behind it.

    The training structure decides first (core.analysis.frontier: what each loss compares with its labels or
    its input, a GAN's generator, target networks); the pool of nodes computed from an input's values
    (core.analysis.pool) and secondary evidence (names, op tails, collections, coverage, depth) order the rest
    and every graph without training structure.

    Returns:
        Ranking.
    """
    evidence = evidence if evidence is not None else read_evidence(model, roles, meta_graph)
    pool = Pool(model, roles, meta_graph)
    chosen = _starting_set(model, pool, evidence)
    lists = _output_lists(pool, evidence, chosen)
    named = _named(model, pool, lists)
    context = FormContext(model, evidence.flow, evidence.frontier.loss_region, named, evidence.facts,
                          lambda i: i in pool.signature or not evidence.never_output(model, i))
    signed = _signed_outputs(model, meta_graph)
    members = [m for _, m in lists]
    first = choose_outputs(context, evidence.structure, evidence.frontier.meetings, chosen, signed, [], members)
    chosen |= set(i for h in first.heads() for i in h.indexes if not evidence.never_output(model, i))
    chosen = sorted(chosen)
    if not chosen:
        return Ranking([], [], [])
    facts = ancestry_facts(model, chosen)
    groups = _across_families(first, copy_groups(model, roles, facts, set(pool.consumed_by_loss),
                                                 evidence.structure.trained))
    choice = choose_outputs(context, evidence.structure, evidence.frontier.meetings, chosen, signed, groups, members)
    scored = _scored(model, roles, pool, facts, chosen, groups, choice, evidence)
    result = []
    for i in chosen:
        node = model.graph_def.node[i]
        score, reasons = scored[i]
        shapes = output_shapes(node)
        tail = _tail(model, i)
        result.append(Candidate(node.name, model.ops[i], round(score, 3), reasons,
                                tail if tail in TAILS else None, output_dtype(node), shapes[0] if shapes else None))
    result.sort(key=lambda c: (-c.score, model.position[c.name]))
    heads = sorted(choice.heads(), key=lambda h: (not h.suggested, -scored[h.indexes[0]][0]))
    for head in heads:
        copy_note = _network_notes(model, evidence, facts, head.indexes[0])
        if copy_note:
            head.reason = "%s; %s" % (copy_note[0], head.reason)
        head.indexes = [head.indexes[0]] + sorted((i for i in head.indexes[1:] if i in scored),
                                                   key=lambda i: -scored[i][0])
        head.forms = [model.names[i] for i in head.indexes]
    return Ranking(result, heads, [model.names[i] for i in choice.suggested])


def _starting_set(model, pool, evidence):
    """The nodes worth ranking before their heads are completed. With training structure: the frontier, what
    the graph names (signature, collections) and the pool's nodes nothing else consumes; without it, the pool's
    candidates and what its authors named (names are what is left)."""
    named = set(pool.signature) | set(pool.collections)
    frontier = set(m.value for m in evidence.frontier.meetings)
    if evidence.structure.objectives:
        flow = evidence.flow
        ends = set(i for i in pool.members | pool.weight_only
                   if not any(d not in flow.blocked and d not in evidence.dead for d, _ in value_out(model)[i]))
        chosen = frontier | ends | set(pool.prediction_siblings())
    else:
        chosen = set(pool.candidate_set())
        chosen |= _named_by_authors(model, pool)
    return set(i for i in chosen | named if i in pool.signature or not evidence.never_output(model, i))


def _named_by_authors(model, pool):
    """The pool's nodes whose names the authors chose, while such names are rare enough to single a node out:
    in a graph whose every op has a hand-made name (generated code, ``op_17``) a name says nothing, and
    ranking every node would cost more than the rest of the analysis."""
    named = set(i for i in pool.members if authors_name(model.names[i], model.ops[i]))
    return named if len(named) <= max(_FEW_NAMED, len(pool.members) // 10) else set()


def _scored(model, roles, pool, facts, chosen, groups, choice, evidence):
    """index -> (score, reasons): the tier's bonus, the training structure's reasons, then secondary evidence."""
    context = _Context(model, roles, pool, facts, chosen)
    if evidence.structure.objectives:
        context.judged, context.judges = {}, set()  # the training structure names generators and judges
    scored = dict((i, _score(context, i)) for i in chosen)
    for best, members in groups:
        names = ", ".join(model.names[m] for m in members[:4]) + (" ..." if len(members) > 4 else "")
        for m in members:
            score, reasons = scored[m]
            if m == best:
                reasons.append("preferred of %d copies of this computation (%s)" % (len(members), names))
                scored[m] = (score + 0.5, reasons)
            else:
                reasons.append("one of %d copies (%s); %s preferred" % (len(members), names, model.names[best]))
                scored[m] = (score - 1.5, reasons)
    for i in chosen:
        score, reasons = scored[i]
        tier = choice.tier.get(i, OTHER)
        notes = list(choice.notes.get(i, [])) + _network_notes(model, evidence, facts, i)
        if notes and tier == OTHER:
            tier = TRAINING_SIDE if _untrained(model, evidence, facts, i) else tier
        if tier == SUGGESTED:
            notes.insert(0, "suggested output")
        elif tier in (OTHER, TRAINING_SIDE) and i in choice.secondary_forms:
            score -= 2.0  # each head's preferred form first, then the other forms
        scored[i] = (score + _TIER_BONUS[tier], notes + reasons)
    return scored


def _untrained(model, evidence, facts, i):
    return bool(evidence.structure.objectives) and not evidence.flow.params.get(i, 0) and bool(facts.get(i, (0, ()))[1])


def _network_notes(model, evidence, facts, i):
    """What the training says about the network computing ``i`` when no optimizer trains it: a copy of a
    trained network (a target network, filled by assignments), or a network nothing trains."""
    if not _untrained(model, evidence, facts, i):
        return []
    variables = facts[i][1]
    copies = evidence.structure.copies
    if variables and all(v in copies for v in variables):
        mapped = frozenset(copies[v] for v in variables)
        twins = [j for j, (_, own) in facts.items() if own == mapped]
        if twins:
            return ["the target network's copy of '%s' (assignments fill its variables from the trained ones)"
                    % model.names[twins[0]]]
        return ["a copy of a trained network (assignments fill its variables from the trained ones)"]
    return ["no optimizer in this graph trains its variables"]


def _named(model, pool, lists):
    """index -> how the graph itself names it as an output (a signature, a collection small enough to be a
    list of outputs)."""
    named = {}
    listed = set(i for _, members in lists for i in members)
    for i, keys in pool.collections.items():
        if i in listed:
            named[i] = "in the collection%s %s" % ("s" if len(keys) > 1 else "",
                                                   ", ".join("'%s'" % k for k in keys))
    for i, name in pool.signature.items():
        named[i] = "SavedModel signature '%s'" % name
    return named


def _across_families(choice, groups):
    """Copy groups with one member per head family: two forms of one prediction are not copies of it."""
    family_of = {}
    for family in choice.families:
        for head in family.heads():
            for i in head.indexes:
                family_of[i] = id(family)
    result = []
    for best, members in groups:
        kept, seen = [], set()
        for m in sorted(members, key=lambda m: (m != best, m)):
            key = family_of.get(m, m)
            if key not in seen:
                seen.add(key)
                kept.append(m)
        if len(kept) > 1:
            result.append((best, sorted(kept)))
    return result


def _output_lists(pool, evidence, chosen):
    """(name, members) of the non-standard collections small enough to list outputs: a collection is evidence
    in proportion to how few tensors it holds, and one holding more tensors than the graph has predictions
    (slim's end_points: every layer) lists no outputs."""
    lists = {}
    for i, keys in sorted(pool.collections.items()):
        for key in keys:
            lists.setdefault(key, []).append(i)
    if evidence.structure.objectives:
        predictions = len(set(m.value for m in evidence.frontier.meetings))
    else:
        predictions = len(pool.ends())
    limit = max(2, predictions)
    return [(key, lists[key]) for key in sorted(lists) if len(lists[key]) <= limit]


def _signed_outputs(model, meta_graph):
    """Indexes of the outputs of the signature a server runs by default (`serving_default`, else the first)."""
    found = signatures(meta_graph)
    if not found:
        return []
    chosen = [s for s in found if s.name == "serving_default"] or found[:1]
    result = []
    for _, tensor in chosen[0].outputs:
        index = model.position.get(node_name(tensor))
        if index is not None and index not in result:
            result.append(index)
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
