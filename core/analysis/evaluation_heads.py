"""Evaluation heads: what a trained network computes from an input no loss reads, left for its user to fetch.

Facts used (GUIDE §6): the losses are what tf.gradients starts from, and the value flow says which sources reach
each of them. A source whose values reach no loss was never used to train anything; a tensor computed from it
by trained variables that nothing in the graph consumes (the model rebuilt with reuse=True on an evaluation
input, a word2vec similarity of validation ids to every embedding) was built to be run: it is the prediction,
and the tensor the loss compares is the training copy of it.
"""

from core.analysis.network_flow import forward_consumers
from core.analysis.value_flow import value_ancestors, value_inputs


class EvaluationHead(object):
    """A dead-end tensor computed by trained variables from inputs no loss reads, or from the network's own picks
    read again by its weights (``decoder``).

    Attributes:
        node: its index.
        objectives: mask of the objectives whose trained variables compute it.
        source_names: the names of the unread inputs it is computed from.
    """

    def __init__(self, node, objectives, source_names):
        self.node = node
        self.objectives = objectives
        self.source_names = source_names
        self.decoder = False

    def __repr__(self):
        return "EvaluationHead(%d from %s)" % (self.node, self.source_names)


def unread_sources(structure, flow):
    """The mask of the sources whose values reach no loss of any objective."""
    read = 0
    for objective in structure.objectives:
        for y in objective.losses:
            read |= flow.source_bits.get(y, 0)
    every = (1 << len(flow.sources)) - 1
    return every & ~read


def evaluation_heads(context, structure, candidates):
    """The EvaluationHead of each candidate that nothing consumes, computed by trained variables from at least
    one input no loss reads and from no labels.

    Args:
        context: core.analysis.heads.FormContext.
        structure: core.analysis.training.TrainingStructure.
        candidates: indexes to consider.
    """
    flow = context.flow
    if not structure.objectives:
        return []
    model = context.model
    unread = unread_sources(structure, flow)
    found = []
    for i in sorted(candidates):
        bits = flow.source_bits.get(i, 0)
        params = flow.params.get(i, 0)
        if not params or not bits or bits & flow.label_mask or forward_consumers(model, flow, i):
            continue
        if not context.allowed(i) or _compares(model, flow, i):
            continue
        if bits & unread:
            found.append(EvaluationHead(i, params, _names(model, flow, bits & unread)))
        elif _feeds_back(model, flow, i):
            head = EvaluationHead(i, params, [])
            head.decoder = True
            found.append(head)
    return found


_PICKS = frozenset(["ArgMax", "ArgMin", "TopKV2", "TopK"])
_ANCESTRY_LIMIT = 4096


def _feeds_back(model, flow, i):
    """Whether ``i`` is computed from picks of the network's own values that trained weights read again (a
    greedy decoder feeding its argmax back into the embedding): inference, not the teacher-forced training
    pass."""
    for a in value_ancestors(model, [i], limit=_ANCESTRY_LIMIT):
        if model.ops[a] not in _PICKS or not flow.params.get(a, 0):
            continue
        stack = [a]
        seen = set(stack)
        while stack:
            n = stack.pop()
            for d in forward_consumers(model, flow, n):
                if d in flow.applies:
                    return True
                if d not in seen and model.ops[d] in _PASSING:
                    seen.add(d)
                    stack.append(d)
    return False


# What a pick passes through on its way back into the network: a cast, a reshape, a selection of a step.
_PASSING = frozenset(["Cast", "Identity", "Reshape", "Squeeze", "ExpandDims", "StridedSlice", "Pack"])


def _compares(model, flow, i):
    """Whether, after the last trained weight, ``i`` is computed where raw input values meet what the network
    computed (a validation loss: the reconstruction of an evaluation input against that input)."""
    stack = [i]
    seen = set(stack)
    while stack:
        n = stack.pop()
        inputs = value_inputs(model, n)
        raw = any(flow.raw.get(s, 0) and not flow.params.get(s, 0) for s in inputs)
        if raw and any(_processed(flow, s) for s in inputs):
            return True
        if n in flow.applies:
            continue
        for s in inputs:
            if s not in seen:
                seen.add(s)
                stack.append(s)
    return False


def _processed(flow, s):
    return bool(flow.params.get(s, 0)) and bool(flow.source_bits.get(s, 0)) and not flow.raw.get(s, 0)


def _names(model, flow, mask):
    names = []
    for bit, (node, port) in enumerate(flow.sources):
        if mask >> bit & 1:
            names.append(model.names[node] if port is None else "%s:%d" % (model.names[node], port))
    return names
