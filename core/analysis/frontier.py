"""The output frontier of each loss: the last tensors the trained network computes from its inputs before they
meet the labels, the input itself, or another trained network.

Facts used (GUIDE §6): each optimizer trains the variables its apply ops take; a value that passes through an op
applying a trained weight (a MatMul, a convolution, a bias add, an embedding lookup) has been processed by the
network; a source's value that reaches a node without passing through one is raw (a label, a target, the input
itself). A node of the loss where raw values meet processed ones, with no trained weight applied after it,
compares the network's output with what it should have been.
"""

from core.analysis.naming import authors_name
from core.analysis.network_flow import forward_consumers, input_bits, touched_by_variable
from core.analysis.value_flow import value_ancestors, value_inputs, value_out


class Meeting(object):
    """A frontier tensor and what it meets.

    Attributes:
        node: index of the tensor the network computes (the loss's input).
        at: index of the node where it meets.
        kind: "labels" (raw sources other than its inputs), "input" (its own input, a reconstruction),
            "network" (another objective's trained weights: a generator's output), "loss" (only constants: the
            last layer before a loss without labels).
        sources: indexes of the raw sources it meets (labels, or the input itself).
        mask: the same sources as a mask of Flow.sources (ports of an input pipeline apart).
        source_names: their names (`y`, `IteratorGetNext:1`).
        references: the raw tensors (node, port) it is compared with at ``at`` (the labels tensor itself).
        objective: the Objective whose network computed it.
        judge: for kind "network", the Objective whose network consumes it.
        value: the node that computes the value (``node`` seen through the loss's reshapes and arithmetic);
            set by resolve_values.
    """

    def __init__(self, node, at, kind, sources, objective, judge=None):
        self.references = ()
        self.mask = 0
        self.source_names = []
        self.value = node
        self.node = node
        self.at = at
        self.kind = kind
        self.sources = sorted(sources)
        self.objective = objective
        self.judge = judge

    def __repr__(self):
        return "Meeting(%d at %d, %s)" % (self.node, self.at, self.kind)


class Frontier(object):
    """The frontier of a graph's losses: ``meetings`` (Meeting list), ``loss_region`` (set of the indexes
    after which no trained weight is applied on the way to a loss) and ``loss_ancestry`` (every index a loss's
    value comes from)."""

    def __init__(self, meetings, loss_region):
        self.meetings = meetings
        self.loss_region = loss_region


def read_frontier(model, structure, flow):
    """The Frontier of every objective (meetings by objective then node index, each with its value)."""
    result = []
    regions = {}
    ancestry = set()
    for bit, objective in enumerate(structure.objectives):
        region = regions[id(objective)] = _final_region(model, objective, flow, ancestry)
        found = _label_meetings(model, flow, objective, bit, region)
        result.extend(found)
        result.extend(_label_free(model, flow, objective, bit, region))
        result.extend(_network_meetings(model, structure, flow, objective, bit))
    loss_region = set().union(*regions.values()) if regions else set()
    frontier = Frontier(resolve_values(model, flow, result, regions), loss_region)
    frontier.loss_ancestry = ancestry
    return frontier


def _final_region(model, objective, flow, ancestries):
    """The loss's ancestors after which no trained weight is applied any more (the loss and the last layer)."""
    ancestry = value_ancestors(model, objective.losses)
    ancestries.update(ancestry)
    starts = [s for i in ancestry if i in flow.applies for s, _ in model.data_in[i] if s in ancestry]
    before = value_ancestors(model, starts) & ancestry if starts else set()
    return ancestry - before


def _processed(flow, bit, i):
    """Whether node ``i`` holds what the objective's network computed from its inputs: its trained weights and
    an input reach it, no raw source does."""
    bits = flow.source_bits.get(i, 0)
    return bool(flow.params.get(i, 0) >> bit & 1) and bool(bits) and not flow.raw.get(i, 0) and \
        not bits & flow.label_mask


def _pure_raw(flow, i):
    """Whether node ``i`` holds source values no trained weight has touched (a label, the input itself)."""
    return bool(flow.raw.get(i, 0)) and not flow.params.get(i, 0)


def _label_meetings(model, flow, objective, bit, region):
    """Nodes of the final region where raw source values meet the network's processed values."""
    found = []
    for at in sorted(region):
        if at in flow.applies:
            continue
        inputs = value_inputs(model, at)
        raw = 0
        references = []
        for position, edge in enumerate(model.data_in[at]):
            s = edge[0]
            if s not in inputs:
                continue
            if _pure_raw(flow, s):
                raw |= input_bits(flow, flow.raw, edge)
                references.append(edge)
            else:  # values computed from labels (an NCE loss's true weights, gathered by the labels)
                raw |= input_bits(flow, flow.source_bits, edge) & flow.label_mask
        if not raw:
            continue
        for s in inputs:
            if s in region and _processed(flow, bit, s):
                own = flow.source_bits.get(s, 0)
                fixed = any(touched_by_variable(model, flow, r, limit=2000) for r, _ in references)
                kind = "labels" if raw & ~own or fixed else "input"
                mask = raw & ~own if kind == "labels" else raw
                meeting = Meeting(s, at, kind, _bits(flow, mask), objective)
                meeting.mask = mask
                meeting.source_names = _source_names(model, flow, mask)
                meeting.references = tuple(sorted(references))
                found.append(meeting)
    return _unique(found)


# What a loss does to the network's values when it has no labels to compare them with: reduce them, and compute
# with them and constants (a cross-entropy against ones, a distance to random noise, a square).
_REDUCTIONS = frozenset(["Mean", "Sum", "Max", "Min", "Prod", "L2Loss", "AddN"])
_LABEL_FREE_LOSS = _REDUCTIONS | frozenset([
    "Log", "Log1p", "Maximum", "Minimum", "ClipByValue", "Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "Neg",
    "Square", "Sqrt", "Exp", "Abs", "Pow", "SquaredDifference", "Reciprocal", "Select", "SelectV2",
    "GreaterEqual", "Greater", "Less", "LessEqual", "Softplus"])


def _label_free(model, flow, objective, bit, region):
    """Where a loss reads the network's values without comparing them with labels (a GAN's discriminator judged
    against constants, a head the loss only averages, a residual compared with noise): back from the loss
    through reductions and through arithmetic of one prediction with constants, to the first node that is
    neither; views on the way are looked through."""
    found = []
    stack = [(y, y) for y in objective.losses]
    seen = set()
    while stack:
        i, after = stack.pop()
        if i in seen or not flow.params.get(i, 0) >> bit & 1:
            continue
        seen.add(i)
        if model.ops[i] in _LABEL_FREE_LOSS and i not in flow.applies:
            follow = [s for s in value_inputs(model, i) if _processed(flow, bit, s)]
            # One prediction's arithmetic, or a sum of loss terms; not two of the network's values combined.
            if len(set(flow.source_bits.get(s, 0) for s in follow)) < 2 or \
                    all(model.ops[s] in _LABEL_FREE_LOSS and s not in flow.applies for s in follow):
                stack.extend((s, i) for s in follow)
                continue
        if _processed(flow, bit, i) and i in region:
            found.append(Meeting(_behind_views(model, flow, i), after, "loss", [], objective))
    return _unique(sorted(found, key=lambda m: m.node))


def _behind_views(model, flow, i):
    """Back through views to the op computing the value; an Identity its authors named is the value's name."""
    for _ in range(4):
        inputs = [s for s in value_inputs(model, i) if flow.params.get(s, 0)]
        if model.ops[i] not in SHAPE_ONLY or len(inputs) != 1 or naming_identity(model, i):
            break
        i = inputs[0]
    return i


def naming_identity(model, i):
    """Whether node ``i`` is an Identity whose only job is to name a tensor (`tf.identity(x, name="y")`)."""
    return model.ops[i] == "Identity" and authors_name(model.names[i], "Identity")


# Ops that pass a network's value on to another network unchanged but for its layout (a concat with a
# condition, a reshape).
_JOINS = frozenset(["ConcatV2", "Concat", "Pack", "Reshape", "Identity", "ExpandDims", "Squeeze", "Cast",
                    "Transpose"])


def _network_meetings(model, structure, flow, objective, bit):
    """Where this objective's network hands its values to a network only another objective trains (a
    generator's output entering the discriminator, an adversarial autoencoder's code entering its critic)."""
    found = []
    for i, mask in sorted(flow.params.items()):
        if not mask >> bit & 1 or not _processed(flow, bit, i) or i in flow.weights:
            continue
        judge = _judge(model, flow, i, mask)
        if judge is not None:
            other = structure.objectives[judge[1]]
            if set(other.losses) != set(objective.losses):
                found.append(Meeting(i, judge[0], "network", [], objective, other))
    return _unique(found)


def _judge(model, flow, i, mask):
    """(node, objective position) of the first node applying the weights of an objective none of whose trained
    variables compute node ``i`` (mask ``mask``), taking ``i``'s values through joins (a concat with the
    condition of a conditional GAN); or None."""
    frontier = [(i, 0)]
    seen = set()
    while frontier:
        j, depth = frontier.pop()
        for d, _ in value_out(model)[j]:
            if d in seen:
                continue
            seen.add(d)
            other = flow.params.get(d, 0) & ~mask
            if d in flow.applies and other:
                return d, (other & -other).bit_length() - 1
            if depth < 3 and model.ops[d] in _JOINS and not other and (j == i or model.ops[j] in _JOINS):
                frontier.append((d, depth + 1))
    return None


# Ops that change only a tensor's layout or type: the loss's view of the network's value.
SHAPE_ONLY = frozenset(["Reshape", "Identity", "Squeeze", "ExpandDims", "Cast", "Snapshot", "Transpose",
                        "ToFloat", "ToInt32", "ToInt64", "ToDouble"])
# Arithmetic a loss applies to a prediction before comparing it (a log of a softmax, a clip, an epsilon, a
# distance between two towers' outputs).
_LOSS_ARITHMETIC = frozenset([
    "Log", "Log1p", "Maximum", "Minimum", "ClipByValue", "Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "Neg",
    "Square", "Sqrt", "Exp", "Sum", "Mean", "Abs", "Pow", "SquaredDifference", "Reciprocal"])


def resolve_values(model, flow, meetings, region_of):
    """Sets each meeting's ``value``: the node that computes what the loss compares, looking back from the loss's
    input through the loss's own reshapes and arithmetic (a log of the softmax, a clip, a distance between two
    towers: each tower's output becomes a meeting of its own). Returns the meetings, towers split.

    Args:
        region_of: dict objective -> the set of its final region's indexes.
    """
    result = []
    for meeting in meetings:
        region = region_of.get(id(meeting.objective), set())
        for value in _look_back(model, flow, meeting, region):
            copy = Meeting(meeting.node, meeting.at, meeting.kind, meeting.sources, meeting.objective,
                           meeting.judge)
            copy.value = value
            copy.mask = meeting.mask
            copy.source_names = meeting.source_names
            copy.references = meeting.references
            result.append(copy)
    return result


def _look_back(model, flow, meeting, region):
    if meeting.kind == "loss":
        return [meeting.node]
    if meeting.kind == "network":
        return [_through_views(model, flow, meeting.node, meeting.at)]
    values = []
    stack = [meeting.node]
    seen = set()
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        probabilities = _logged_normalisation(model, flow, i)
        if probabilities is not None:
            values.append(probabilities)
            continue
        tempered = _tempered(model, flow, i, region)
        if tempered is not None:
            stack.append(tempered)
            continue
        if model.ops[i] in _LOSS_ARITHMETIC and i not in flow.applies and _loss_only(model, flow, i, region):
            processed = [s for s in value_inputs(model, i) if flow.params.get(s, 0) and flow.source_bits.get(s, 0)]
            if processed and all(_constant_side(flow, s) for s in value_inputs(model, i) if s not in processed):
                stack.extend(_distinct(model, flow, processed))
                continue
        values.append(_through_views(model, flow, i, meeting.at))
    return values or [meeting.node]


# What a hand-written cross-entropy does to probabilities before their log: an epsilon, a clip.
_BEFORE_LOG = frozenset(["Add", "AddV2", "Maximum", "Minimum", "ClipByValue"])


def _logged_normalisation(model, flow, i):
    """The probabilities a loss's log reads when they are a normalisation the authors wrote (exps divided by
    their own sum: a hand-made softmax), seen through an epsilon or a clip; else None. A Log reads
    probabilities, and a value divided by what is computed from itself alone is already the prediction."""
    if model.ops[i] not in ("Log", "Log1p"):
        return None
    for _ in range(3):
        inputs = value_inputs(model, i)
        processed = [s for s in inputs if flow.params.get(s, 0) and flow.source_bits.get(s, 0)]
        if len(processed) != 1 or not all(_constant_side(flow, s) for s in inputs if s not in processed):
            return None
        i = processed[0]
        if model.ops[i] in ("RealDiv", "Div"):
            return i if _normalises(model, flow, i) else None
        if model.ops[i] not in _BEFORE_LOG:
            return None
    return None


def _normalises(model, flow, i):
    """Whether division ``i`` divides a value by a reduction of that same value, and that value is not already
    probabilities (a loss renormalising a softmax, as Keras' cross-entropy does, leaves the softmax the
    prediction)."""
    inputs = value_inputs(model, i)
    if len(inputs) != 2 or inputs[0] == inputs[1]:
        return False
    numerator, denominator = inputs
    if not flow.params.get(denominator, 0) or model.ops[denominator] not in _REDUCTIONS:
        return False
    if model.ops[_behind_views(model, flow, numerator)] in _PROBABILITIES:
        return False
    return numerator in value_ancestors(model, [denominator], limit=16)


_PROBABILITIES = frozenset(["Softmax", "Sigmoid"])


def _tempered(model, flow, i, region):
    """The input of an activation only the loss reads whose input is the loss's own arithmetic with constants
    (a distillation loss's log_softmax(logits / T)): the loss's view of the prediction, else None."""
    if model.ops[i] not in _PROBABILITIES | frozenset(["LogSoftmax"]) or not _loss_only(model, flow, i, region):
        return None
    inputs = [s for s in value_inputs(model, i) if flow.params.get(s, 0)]
    if len(inputs) != 1:
        return None
    s = inputs[0]
    if model.ops[s] in _LOSS_ARITHMETIC and s not in flow.applies and _loss_only(model, flow, s, region):
        return s
    return None


def _loss_only(model, flow, i, region):
    return all(d in region for d in forward_consumers(model, flow, i))


def _constant_side(flow, i):
    return not flow.source_bits.get(i, 0) and not flow.params.get(i, 0)


def _distinct(model, flow, processed):
    """The processed inputs to follow: all of them when they come from different sources (two towers), else
    the one the others are computed from (softmax / sum(softmax))."""
    bits = set(flow.source_bits.get(s, 0) for s in processed)
    if len(processed) == 1 or len(bits) == len(processed):
        return processed
    for s in processed:
        if all(s in value_ancestors(model, [o], limit=64) for o in processed if o != s):
            return [s]
    return processed[:1]


def _through_views(model, flow, i, at):
    """Looks through the loss's shape-only views of a value to the op computing it, when the graph also uses
    that value elsewhere (the logits an argmax reads) or a view was made inside the loss's name scope; a view
    that is the network's own last op (a flatten nothing else reads before it) stays."""
    scopes = [model.names[at], model.names[at].rpartition("/")[0]]
    chain = []
    value = i
    while model.ops[value] in SHAPE_ONLY and len(chain) < 6:
        inputs = [s for s in value_inputs(model, value) if flow.params.get(s, 0)]
        if len(inputs) != 1:
            break
        chain.append(value)
        value = inputs[0]
    if not chain:
        return i
    made_by_loss = any(scope and model.names[v].startswith(scope + "/") for v in chain for scope in scopes)
    shared = any(d not in chain for v in [value] + chain[1:] for d in forward_consumers(model, flow, v))
    return value if made_by_loss or shared else i


def _bits(flow, mask):
    return sorted(set(flow.sources[b][0] for b in range(len(flow.sources)) if mask >> b & 1))


def _source_names(model, flow, mask):
    """The names of the sources of a mask: a placeholder's name, an input pipeline's `IteratorGetNext:1`."""
    names = []
    for b, (node, port) in enumerate(flow.sources):
        if mask >> b & 1:
            names.append(model.names[node] if port is None else "%s:%d" % (model.names[node], port))
    return names


def _unique(meetings):
    seen = set()
    result = []
    for meeting in meetings:
        if meeting.node not in seen:
            seen.add(meeting.node)
            result.append(meeting)
    return result
