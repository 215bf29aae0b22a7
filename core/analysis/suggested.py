"""The set a user would freeze: one form per head of each trained network's prediction, the trained copy of a
network, a GAN's generator, every head of a multi-head model; and the tier of every candidate output.

Tiers (best first): 0 a SavedModel signature names it; 1 suggested; 2 another form of a suggested prediction or
a copy of one; 3 everything else; 4 what the training structure shows is not the prediction users run (a
discriminator's verdict, a target network, the last layer before a label-free loss when labelled ones exist).
"""

from core.analysis.evaluation_heads import evaluation_heads
from core.analysis.heads import build_family, core_of, separate_predictions
from core.analysis.value_flow import value_inputs, value_out

SIGNATURE, SUGGESTED, ALTERNATIVE, OTHER, TRAINING_SIDE = 0, 1, 2, 3, 4
_PREDICTION, _GENERATOR, _EXTRA, _LAST, _VERDICT = "prediction", "generator", "extra head", "last layer", "verdict"
_EVALUATION = "evaluation head"


class OutputChoice(object):
    """Heads, the suggested outputs and the tier and training-structure reasons of every candidate.

    Attributes:
        families: list of core.analysis.heads.Family.
        suggested: node indexes, in order.
        tier: dict index -> tier (SIGNATURE ... TRAINING_SIDE).
        notes: dict index -> list of reasons from the training structure.
    """

    def __init__(self):
        self.families = []
        self.suggested = []
        self.tier = {}
        self.notes = {}
        self.kinds = {}
        self.objective_of = {}
        self.duplicates = set()
        self.labels_of = {}
        self.meeting_at = {}
        self.secondary_forms = set()
        self.training_copies = set()
        self.evaluation_bits = 0

    def heads(self):
        return [h for family in self.families for h in family.heads()]

    def note(self, i, text):
        notes = self.notes.setdefault(i, [])
        if text not in notes:
            notes.append(text)


def choose_outputs(context, structure, meetings, chosen, signed, copies, lists=()):
    """Decides heads, suggested set and tiers.

    Args:
        context: core.analysis.heads.FormContext.
        structure: core.analysis.training.TrainingStructure.
        meetings: resolved core.analysis.frontier.Meeting list.
        chosen: candidate indexes (every one gets a head).
        signed: indexes of the outputs of the SavedModel signature a server runs (empty without one).
        copies: list of (preferred index, member indexes) of candidates that are copies of one computation.
        lists: lists of indexes, one per non-standard collection of the meta graph (the authors' own lists).
    Returns:
        OutputChoice.
    """
    choice = OutputChoice()
    separate_predictions(context, meetings, lambda m: _labels_tensor(context.model, m.references))
    _frontier_families(choice, context, structure, meetings)
    by_core = dict((f.core, f) for f in choice.families)
    placed = set(i for f in choice.families for h in f.heads() for i in h.indexes)
    for i in sorted(chosen):
        if i in placed:
            continue
        core = core_of(context, i)
        family = by_core.get(core)
        if family is None:
            family = by_core[core] = build_family(context, core, None, len(choice.families))
            choice.families.append(family)
        placed.update(j for h in family.heads() for j in h.indexes)
    _evaluation_families(choice, context, structure, chosen)
    wanted = _wanted(choice, structure, context)
    named = _authors_list(choice, lists)
    _suggest(choice, wanted, named, copies, context)
    _tiers(choice, wanted, signed)
    return choice


def _frontier_families(choice, context, structure, meetings):
    judge_bits = 0
    for meeting in meetings:
        if meeting.judge is not None:
            judge_bits |= 1 << structure.objectives.index(meeting.judge)
    labelled = set(id(m.objective) for m in meetings if m.kind in ("labels", "input"))
    order = {"network": 0, "labels": 1, "input": 1, "loss": 2}
    for meeting in sorted(meetings, key=lambda m: order[m.kind]):
        core = core_of(context, meeting.value)
        if any(f.core == core for f in choice.families):
            continue
        family = build_family(context, core, meeting.value, len(choice.families))
        choice.families.append(family)
        choice.kinds[core] = _classify(context.flow, meeting, judge_bits, labelled)
        choice.objective_of[core] = meeting.objective
        choice.meeting_at[core] = meeting.at
        if meeting.kind == "labels":
            choice.labels_of[core] = _labels_tensor(context.model, meeting.references)
        judge = _judge_of(structure, context.flow, meeting.value, judge_bits)
        _explain(choice, context.model, meeting, family, choice.kinds[core], judge)


def _labels_tensor(model, references):
    """The labels tensor a comparison reads, seen through views (a cross-entropy's reshape of the labels):
    two heads compared with this same tensor predict the same thing."""
    found = []
    for node, port in references:
        while model.ops[node] in ("Identity", "Reshape", "Squeeze", "ExpandDims", "Cast", "OneHot",
                                  "StopGradient") and model.data_in[node]:
            node, port = model.data_in[node][0]
        found.append((node, port))
    return tuple(sorted(found)) or None


def _classify(flow, meeting, judge_bits, labelled):
    """What a frontier family is: a generator's output, a prediction compared with labels or the input, an
    extra head of a labelled loss, a discriminator's verdict, or the last layer before a label-free loss."""
    if meeting.kind == "network":
        return _GENERATOR
    if judge_bits and flow.params.get(meeting.value, 0) & judge_bits:
        return _VERDICT
    if meeting.kind in ("labels", "input"):
        return _PREDICTION
    return _EXTRA if id(meeting.objective) in labelled else _LAST


def _judge_of(structure, flow, value, judge_bits):
    """The judging objective whose trained variables compute ``value``, or None."""
    bits = flow.params.get(value, 0) & judge_bits
    if not bits:
        return None
    return structure.objectives[(bits & -bits).bit_length() - 1]


def _explain(choice, model, meeting, family, kind, judge):
    names = model.names
    loss = _loss_name(names[meeting.at])
    value = meeting.value
    if kind == _VERDICT and judge is not None:
        text = "the verdict of '%s' (trained by %s), which judges the generator's output" % (
            _network_name(names, judge), ", ".join(judge.optimizers))
    elif meeting.kind == "labels":
        text = "the loss '%s' compares it with the labels %s" % (loss, _quoted(meeting.source_names))
    elif meeting.kind == "input":
        text = "the loss '%s' compares it with its own input %s (a reconstruction)" % (
            loss, _quoted(meeting.source_names))
    elif meeting.kind == "network":
        text = "the generator's output: trained by %s, judged by '%s'" % (
            ", ".join(meeting.objective.optimizers), _network_name(names, meeting.judge))
    else:
        text = "the last layer before the loss '%s', which compares it with no labels" % loss
    for head in family.heads():
        head.reason = "%s; %s" % (text, head.reason)
        for i in head.indexes:
            choice.note(i, text if i in (value, family.core) else "a form of '%s': %s" % (names[value], text))


def _loss_name(name):
    """The name scope a loss function made its ops in (`dnn/head/sparse_softmax_cross_entropy_loss` for its
    `.../xentropy/xentropy`), else the op's own name."""
    scope, _, local = name.rpartition("/")
    while scope and scope.rpartition("/")[2] == local:
        scope, _, local = scope.rpartition("/")
    return scope or name


def _quoted(names):
    return ", ".join("'%s'" % name for name in names) or "(none)"


def _network_name(names, objective):
    """The name scope the objective's trained variables share (`discriminator`), else its optimizer."""
    scopes = set(names[v].split("/", 1)[0] for v in objective.trained if "/" in names[v])
    if len(scopes) == 1:
        return scopes.pop()
    return ", ".join(objective.optimizers)


def _evaluation_families(choice, context, structure, chosen):
    """Marks the families of the evaluation heads (core.analysis.evaluation_heads) that no loss compares."""
    family_of = dict((i, f) for f in choice.families for h in f.heads() for i in h.indexes)
    for head in evaluation_heads(context, structure, chosen):
        family = family_of.get(head.node)
        if family is None or (family.core in choice.kinds and choice.kinds[family.core] != _EVALUATION):
            continue
        bit = (head.objectives & -head.objectives).bit_length() - 1
        objective = structure.objectives[bit]
        choice.kinds[family.core] = _EVALUATION
        choice.objective_of[family.core] = objective
        choice.evaluation_bits |= head.objectives
        if head.decoder:
            text = "the inference decoder: the variables %s trains compute it feeding their own picks back, and " \
                   "nothing consumes it" % ", ".join(objective.optimizers)
        else:
            text = "an evaluation head: the variables %s trains compute it from %s, which no loss reads, and " \
                   "nothing consumes it" % (", ".join(objective.optimizers), _quoted(head.source_names))
        for h in family.heads():
            if head.node in h.indexes:
                h.user_facing = True
        for i in (j for h in family.heads() for j in h.indexes):
            choice.note(i, text if i == head.node else "a form of '%s': %s" % (context.model.names[head.node], text))


def _training_copies(choice, structure, frontier):
    """The frontier families an evaluation head of the same trained variables replaces: the training copy."""
    bits = choice.evaluation_bits
    if not bits:
        return frontier
    kept = []
    for family in frontier:
        kind = choice.kinds[family.core]
        objective_bit = 1 << structure.objectives.index(choice.objective_of[family.core])
        if kind != _EVALUATION and kind != _VERDICT and objective_bit & bits:
            choice.training_copies.add(id(family))
            for i in (j for h in family.heads() for j in h.indexes):
                choice.note(i, "the training copy: an evaluation head of the same trained variables is run")
            continue
        kept.append(family)
    return kept


def _wanted(choice, structure, context):
    """The families whose prediction users run."""
    frontier = [f for f in choice.families if f.core in choice.kinds and f.heads()]
    if not frontier:
        return [f for f in choice.families if any(h.user_facing for h in f.heads())] or choice.families[:1]
    frontier = _training_copies(choice, structure, frontier)
    wanted = [f for f in frontier if choice.kinds[f.core] in (_GENERATOR, _PREDICTION, _EXTRA, _EVALUATION)]
    if not wanted:
        wanted = [f for f in frontier if choice.kinds[f.core] == _LAST]
    wanted = _without_auxiliary(choice, wanted, context)
    return _latest_model(choice, wanted, structure, context)


def _without_auxiliary(choice, families, context):
    """Heads compared with the same labels tensor predict one thing: when the loss weighs one less (an
    auxiliary classifier's `weights=0.4`), that one is a device of training, not the prediction. Heads
    compared with different slices of one labels tensor (a detector's boxes and classes) are not."""
    by_labels = {}
    for family in families:
        labels = choice.labels_of.get(family.core)
        if labels:
            by_labels.setdefault(labels, []).append(family)
    auxiliary = set()
    for group in by_labels.values():
        if len(group) < 2:
            continue
        weight = dict((id(f), _loss_weight(context.model, choice.meeting_at[f.core])) for f in group)
        heaviest = max(weight.values())
        for family in group:
            if weight[id(family)] < heaviest:
                auxiliary.add(id(family))
                for i in (j for h in family.heads() for j in h.indexes):
                    choice.note(i, "an auxiliary head: the loss weighs it %g against %g for the same labels"
                                % (weight[id(family)], heaviest))
    return [f for f in families if id(f) not in auxiliary]


def _loss_weight(model, at):
    """The product of the scalar constants the loss multiplies (or divides) a comparison by on its way to the
    total loss (tf.losses' ``weights``)."""
    weight = 1.0
    i = at
    seen = set()
    for _ in range(64):
        consumers = [d for d, _ in value_out(model)[i] if d not in seen]
        if not consumers:
            break
        i = consumers[0]
        seen.add(i)
        if model.ops[i] in ("Mul", "RealDiv", "Div"):
            for s in value_inputs(model, i):
                value = _scalar(model.graph_def.node[s])
                if value is not None and value != 0:
                    weight = weight * value if model.ops[i] == "Mul" else weight / value
    return round(weight, 6)


def _scalar(node):
    if node.op != "Const" or "value" not in node.attr:
        return None
    tensor = node.attr["value"].tensor
    if tensor.tensor_shape.dim or not tensor.float_val:
        return None
    return float(tensor.float_val[0])


def _latest_model(choice, families, structure, context):
    """Objectives that share neither trained variables nor inputs are separate models in one graph (a
    notebook's re-run cells): the families of the one defined last."""
    groups = []
    for family in families:
        objective = choice.objective_of[family.core]
        inputs = context.flow.source_bits.get(family.core, 0)
        for group in groups:
            if group[1] & objective.trained or group[2] & inputs:
                group[0].append(family)
                group[1] |= objective.trained
                group[2] |= inputs
                group[3] = max(group[3], structure.objectives.index(objective))
                break
        else:
            groups.append([[family], set(objective.trained), inputs, structure.objectives.index(objective)])
    if len(groups) < 2:
        return families
    return max(groups, key=lambda g: g[3])[0]


def _authors_list(choice, lists):
    """The forms a collection of the authors names, when the collection is a list of outputs: at least half
    of its members are forms of the graph's predictions (slim's end_points, every layer, is not)."""
    forms = set(i for f in choice.families for h in f.heads() for i in h.indexes)
    frontier = set(i for f in choice.families if f.core in choice.kinds for h in f.heads() for i in h.indexes)
    pool = frontier or forms
    named = []
    for members in lists:
        members = [i for i in members if i in forms]
        if members and 2 * sum(1 for i in members if i in pool) >= len(members):
            named.extend(i for i in members if i not in named)
    return named


def _suggest(choice, wanted, named, copies, context):
    preferred_copy = {}
    for best, members in copies:
        for m in members:
            preferred_copy[m] = best
    suggested = []
    if named:
        suggested = list(named)
        wanted[:] = [f for f in choice.families if any(i in named for h in f.heads() for i in h.indexes)]
    for family in wanted:
        heads = [h for h in family.heads() if h.user_facing] or family.heads()[:1]
        for head in heads:
            head.suggested = bool(set(head.indexes) & set(named)) if named else True
            if named:
                continue
            index = preferred_copy.get(head.indexes[0], head.indexes[0])
            if index not in suggested:
                suggested.append(index)
    choice.suggested = suggested
    for i in suggested:
        _note_duplicates(choice, context, i)


def _note_duplicates(choice, context, i):
    """The tensor a naming Identity of a suggested output reads is the same tensor: not an alternative."""
    model = context.model
    j = i
    while model.ops[j] in ("Identity", "Snapshot") and value_inputs(model, j):
        j = value_inputs(model, j)[0]
        choice.duplicates.add(j)
        choice.note(j, "the same tensor as '%s', which names it" % model.names[i])


def _tiers(choice, wanted, signed):
    for family in choice.families:
        kind = choice.kinds.get(family.core)
        side = kind is not None and family not in wanted and id(family) not in choice.training_copies
        for head in family.heads():
            choice.secondary_forms.update(head.indexes[1:])
            for i in head.indexes:
                tier = TRAINING_SIDE if side else (ALTERNATIVE if family in wanted or id(family) in
                                                   choice.training_copies else OTHER)
                if i in choice.duplicates:
                    tier = max(tier, OTHER)
                choice.tier[i] = min(choice.tier.get(i, TRAINING_SIDE), tier)
    for i in choice.suggested:
        choice.tier[i] = SUGGESTED
    if signed:
        choice.suggested = list(signed)
        for i in signed:
            choice.tier[i] = SIGNATURE
