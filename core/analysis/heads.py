"""Heads: the forms of one prediction (logits, softmax, argmax, their reshapes) grouped, each with the one form a
user would freeze.

A family is everything computed from one core tensor by ops that only re-express it: shape-only views, an
activation (softmax, sigmoid), a pick (argmax, top-k, a CTC decoder) and what follows a pick (a cast, a one-hot,
a string lookup). A family has a scores head (the core, its activations and views) and, when it picks, a picks
head. The preferred form of a head is the one the graph itself names or leaves for its user: a SavedModel
signature or a collection names it, nothing in the graph consumes it (it was built to be fetched), or, when the
graph consumes every form, the form the loss compares (for scores) or the pick itself.
"""

from core.analysis.frontier import SHAPE_ONLY, naming_identity
from core.analysis.network_flow import forward_consumers
from core.analysis.naming import authors_name
from core.analysis.value_flow import value_inputs

SCORE_OPS = frozenset(["Softmax", "Sigmoid", "LogSoftmax", "Tanh", "Relu", "Relu6", "Elu", "Selu", "Softplus",
                       "Softsign", "LeakyRelu"])
PICK_OPS = frozenset(["ArgMax", "ArgMin", "TopKV2", "TopK", "CTCGreedyDecoder", "CTCBeamSearchDecoder"])
# A CTC loss's logits are time-major scores no user reads: its decoders are the prediction.
DECODERS = frozenset(["CTCGreedyDecoder", "CTCBeamSearchDecoder"])
_AFTER_PICK = SHAPE_ONLY | frozenset(["OneHot", "AsString", "LookupTableFindV2", "LookupTableFind"])
_JOINS = frozenset(["ConcatV2", "Concat", "Pack"])
# Ops that select some of a tensor's elements with constant indices (the probabilities of chosen classes).
_SELECTIONS = frozenset(["GatherV2", "Gather", "StridedSlice", "Slice"])
_COMPARISONS = frozenset(["Equal", "NotEqual", "InTopK", "InTopKV2", "EditDistance"])
_FAMILY_LIMIT = 48


class Head(object):
    """One prediction in one form family.

    Attributes:
        preferred: the name of the form a user would freeze.
        forms: names of every form, preferred first.
        reason: why this form is preferred, in words.
        kind: "scores" or "picks".
        suggested: whether "Use suggested outputs" ticks the preferred form.
        family: position of the family the head belongs to (the scores and picks heads of one core share it).
        indexes: node indexes of the forms (preferred first).
    """

    def __init__(self, kind, indexes, preferred, reason, family, names):
        self.kind = kind
        self.indexes = [preferred] + [i for i in indexes if i != preferred]
        self.forms = [names[i] for i in self.indexes]
        self.preferred = names[preferred]
        self.reason = reason
        self.family = family
        self.suggested = False
        self.user_facing = False

    def __repr__(self):
        return "Head(%s %s of %s)" % (self.kind, self.preferred, self.forms)


class Family(object):
    """A core tensor and all its forms. ``scores``/``picks``: Head or None; ``core``: node index."""

    def __init__(self, core, scores, picks):
        self.core = core
        self.scores = scores
        self.picks = picks

    def heads(self):
        return [h for h in (self.scores, self.picks) if h is not None]


class FormContext(object):
    """What deciding forms needs: the graph, its value flow, which nodes only the loss uses, what the graph
    names (signature outputs, collections: index -> text) and the op facts."""

    def __init__(self, model, flow, loss_region, named, facts, allowed=None):
        self.model = model
        self.flow = flow
        self.loss_region = loss_region
        self.named = named
        self.facts = facts
        self.allowed = allowed or (lambda i: True)
        self.claimed = {}


def separate_predictions(context, meetings, labels_of):
    """Sets ``context.claimed``: a tensor a loss compares with labels of its own is a prediction of its own,
    even when it re-expresses another prediction compared with other labels (a relu'd, cast output of a
    multi-output model beside the raw one). Each such tensor and the views back to the next one are claimed
    by the core they end at.

    Args:
        meetings: the frontier's Meeting list.
        labels_of: function Meeting -> the labels tensor it is compared with.
    """
    context.claimed = {}
    labels = {}
    for meeting in meetings:
        if meeting.kind == "labels":
            labels.setdefault(core_of(context, meeting.value), {}).setdefault(labels_of(meeting), set()).add(
                meeting.value)
    bounds = set()
    for by_labels in labels.values():
        if len(by_labels) > 1:
            bounds.update(v for values in by_labels.values() for v in values)
    if not bounds:
        return
    context.claimed = dict((b, b) for b in bounds)
    for b in bounds:
        chain = _chain_back(context, b)
        for i in chain:
            context.claimed[i] = chain[-1]


def core_of(context, i):
    """The tensor a form re-expresses: back from ``i`` through views, activations and picks to the first op
    that computes something else (the last layer)."""
    claimed = context.claimed.get(i)
    return claimed if claimed is not None else _chain_back(context, i)[-1]


def _chain_back(context, i):
    """``i`` and the nodes back through its views, activations and picks, to the core (last); the walk stops
    before a tensor another comparison claims."""
    model = context.model
    chain = [i]
    for _ in range(8):
        op = model.ops[i]
        if op not in SHAPE_ONLY and op not in SCORE_OPS and op not in PICK_OPS and op not in _AFTER_PICK:
            break
        inputs = [s for s in value_inputs(model, i) if not _constant_side(context, s)]
        if len(inputs) != 1 or inputs[0] in context.claimed:
            break
        i = inputs[0]
        chain.append(i)
    return chain


def build_family(context, core, frontier_value, position):
    """The Family of ``core``; ``frontier_value``: the form the loss compares (or None)."""
    scores, picks, depth = _forms(context, core)
    if frontier_value is not None and frontier_value not in scores and frontier_value not in picks:
        scores.append(frontier_value)
        depth[frontier_value] = 0
    built = _built_for_use(context, scores, frontier_value, core)
    pick_head = None
    if picks:
        preferred, reason, user = _preferred_pick(context, picks, built)
        pick_head = Head("picks", picks, preferred, reason, position, context.model.names)
        pick_head.user_facing = user
    score_head = None
    if scores:
        preferred, reason, user = _preferred_score(context, scores, picks, frontier_value, core, built, depth)
        score_head = Head("scores", scores, preferred, reason, position, context.model.names)
        score_head.user_facing = user
    return Family(core, score_head, pick_head)


def _forms(context, core):
    """(scores, picks, depth): the forms of a core, found forward through re-expressing ops, and how many ops
    each lies from the core; the loss's own views of it (a reshape only the loss reads) are passed through but
    left out."""
    model = context.model
    scores, picks = ([core] if context.allowed(core) else []), []
    depth = {core: 0}
    stack = [(core, False)]
    while stack and len(depth) < _FAMILY_LIMIT:
        i, picked = stack.pop()
        for d in forward_consumers(model, context.flow, i):
            if d in depth or context.claimed.get(d, core) != core or not _re_expresses(context, d, i, picked):
                continue
            depth[d] = depth[i] + 1
            is_pick = picked or model.ops[d] in PICK_OPS
            stack.append((d, is_pick))
            loss_view = model.ops[d] in SHAPE_ONLY and not naming_identity(model, d) and _only_the_loss(context, d)
            if context.allowed(d) and not loss_view:
                (picks if is_pick else scores).append(d)
    return sorted(scores), sorted(picks), depth


def _re_expresses(context, d, source, picked):
    """Whether node ``d`` re-expresses ``source``'s value (its other inputs are constants, or for a decoder the
    lengths the network already read)."""
    model = context.model
    op = model.ops[d]
    allowed = _AFTER_PICK if picked else SHAPE_ONLY | SCORE_OPS | PICK_OPS | _JOINS | _SELECTIONS
    if op not in allowed or context.facts.never_output(op) and op not in DECODERS:
        return False
    others = [s for s in value_inputs(model, d) if s != source]
    if op in DECODERS:  # the sequence lengths the decoder takes are data; labels are not
        flow = context.flow
        return all(not flow.params.get(s, 0) and not flow.source_bits.get(s, 0) & flow.label_mask for s in others)
    return all(_constant_side(context, s) for s in others)


def _constant_side(context, i):
    flow = context.flow
    return not flow.source_bits.get(i, 0) and not flow.params.get(i, 0)


def _only_the_loss(context, i):
    consumers = forward_consumers(context.model, context.flow, i)
    return bool(consumers) and all(d in context.loss_region for d in consumers)


def _dead_end(context, i):
    return not forward_consumers(context.model, context.flow, i)


def _named(context, forms):
    return [i for i in forms if i in context.named]


def _built_for_use(context, scores, frontier_value, core):
    """Scores forms the graph computes beyond what its loss reads (a softmax the loss does not use, and its
    views): the prediction its authors built."""
    if frontier_value is None:
        return []
    model = context.model
    activated = set(i for i in scores if model.ops[i] in SCORE_OPS and i not in (frontier_value, core))
    stack = list(activated)
    while stack:
        i = stack.pop()
        for d in forward_consumers(model, context.flow, i):
            if d in scores and d not in activated:
                activated.add(d)
                stack.append(d)
    return [i for i in scores if i in activated and i not in context.loss_region]


def _compared(context, i):
    """Whether a comparison (an accuracy's Equal, InTopK) reads node ``i``."""
    return any(context.model.ops[d] in _COMPARISONS for d in forward_consumers(context.model, context.flow, i))


def _preferred_pick(context, picks, built):
    """(index, reason, user facing) of a picks head: a user faces it when the graph names it, it decodes a CTC
    loss's logits, nothing consumes one of its forms, its authors named it, or it picks from a prediction built
    beyond the loss."""
    model = context.model
    named = _named(context, picks)
    if named:
        return named[0], context.named[named[0]], True
    decoders = [i for i in picks if model.ops[i] in DECODERS]
    if decoders:
        return decoders[0], "the decoder of the CTC loss's logits", True
    ends = [i for i in picks if _dead_end(context, i)]
    numeric = [i for i in ends if not context.facts.yields_string(model.graph_def.node[i])]
    authored = [i for i in picks if authors_name(model.names[i], model.ops[i])
                and not context.facts.yields_string(model.graph_def.node[i])]
    if numeric:
        return _by_name(authored, numeric), "nothing in the graph consumes it: built to be fetched", True
    pick = [i for i in picks if model.ops[i] in PICK_OPS][0]
    compared = [i for i in picks if _compared(context, i)]
    preferred = _by_name(authored, compared) if compared else pick
    if authored and preferred not in authored:
        preferred = authored[0]
    from_built = any(s in built for s in value_inputs(model, pick))
    authors = bool(authored)
    if ends:
        return preferred, "the classes its string forms are looked up from", True
    if from_built:
        return preferred, "the classes of the prediction built beyond the loss", True
    if authors:
        return preferred, "named by its authors", True
    return preferred, "the pick of the scores (only a metric reads it)", False


def _by_name(authored, forms):
    """The last of ``forms``, or the last one its authors named when they named one."""
    named = [i for i in forms if i in authored]
    return (named or forms)[-1]


def _preferred_score(context, scores, picks, frontier_value, core, built, depth):
    """(index, reason, user facing) of a scores head."""
    model = context.model
    named = _named(context, scores)
    if named:
        return named[0], context.named[named[0]], True
    ends = [i for i in scores if _dead_end(context, i)]
    if len(ends) > 1 and picks:
        base = set(s for p in picks if model.ops[p] in PICK_OPS for s in value_inputs(model, p))
        beside = [i for i in ends if set(value_inputs(model, i)) & base]
        ends = beside or ends
    if ends:
        return max(ends, key=lambda i: depth.get(i, 0)), "nothing in the graph consumes it: built to be fetched", True
    if built:
        return max(built, key=lambda i: depth.get(i, 0)), "the prediction the graph builds beyond its loss", True
    if frontier_value is not None:
        return frontier_value, "the form the loss (or the network judging it) reads", False
    return (core if core in scores else scores[0]), "the value itself", False
