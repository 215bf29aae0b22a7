"""What the training structure says about a graph's outputs, read once: the training (losses, optimizers,
copies), the value flow, the loss frontier, the op facts, and the nodes that can never be outputs."""

from core.analysis.frontier import read_frontier
from core.analysis.network_flow import touched_by_variable, value_flow
from core.analysis.op_semantics import OpFacts, dead_branch
from core.analysis.role_walks import collection_names
from core.analysis.roles import INITIALIZER, SAVER, SUMMARY, TRAINING
from core.analysis.training import read_training
from core.analysis.value_flow import propagate, value_consumers, value_out

_BLOCKING_ROLES = frozenset([TRAINING, SAVER, SUMMARY, INITIALIZER])
# Collections of the variables metrics keep their running totals in (tf.metrics): bookkeeping.
_LOCAL_COLLECTIONS = ("local_variables", "metric_variables")


class TrainingEvidence(object):
    """Attributes:
        structure: core.analysis.training.TrainingStructure.
        flow: core.analysis.frontier.Flow.
        frontier: core.analysis.frontier.Frontier.
        facts: core.analysis.op_semantics.OpFacts.
        bookkeeping: set of indexes whose values come from a state update or a counter (a metric's update_op,
            global_step + 1, an Estimator's initialised-guard).
        dead: set of indexes only the training branch of a cond on a training switch runs.
        label_tainted: set of indexes whose values depend on a label a loss compares the network with (the
            loss, an accuracy): a prediction never does.
    """

    def never_output(self, model, i):
        """Whether node ``i`` can never be an output: by what its op does, or because it is bookkeeping, the
        training branch of a switch's cond, or a trained weight itself."""
        flow = self.flow
        if i in flow.source_nodes or i in flow.blocked:
            return True
        if i in flow.weights:
            # A trained weight is no prediction; in a graph nothing trains, a variable's read that nothing uses
            # is fetched on its own (a table, a constant the authors named).
            return bool(self.structure.objectives) or any(d not in flow.blocked for d, _ in value_out(model)[i])
        if flow.weights and flow.raw.get(i, 0) and not touched_by_variable(model, flow, i):
            return True  # the input itself, reshaped or cast: no variable has touched it
        return (self.facts.never_output(model.ops[i]) or i in self.bookkeeping or i in self.dead
                or i in self.label_tainted)


def read_evidence(model, roles, meta_graph=None):
    """Reads the TrainingEvidence of a graph.

    Args:
        model: core.analysis.graph_model.GraphModel.
        roles: core.analysis.roles.Roles.
    """
    evidence = TrainingEvidence()
    structure = evidence.structure = read_training(model)
    blocked = set(i for i, r in enumerate(roles.role) if r in _BLOCKING_ROLES) | structure.gradient_nodes
    flow = evidence.flow = value_flow(model, structure, roles.placeholders, blocked)
    evidence.frontier = read_frontier(model, structure, flow)
    evidence.facts = OpFacts(meta_graph)
    local = set(model.position[n] for key in _LOCAL_COLLECTIONS for n in collection_names(meta_graph, key)
                if n in model.position)
    seeds = [(v, None, 1) for v in structure.counters | local | structure.slots]
    seeds += [(i, None, 1) for i in structure.writes if i not in blocked]
    evidence.bookkeeping = set(propagate(model, seeds, blocked)) | structure.counters | local | structure.slots
    evidence.label_tainted = _label_tainted(model, flow, evidence.frontier)
    evidence.dead = dead_branch(model, dict((i, False) for i in roles.switches))
    return evidence


_COMPARISONS = frozenset(["Equal", "NotEqual", "InTopK", "InTopKV2", "EditDistance"])


def _label_tainted(model, flow, frontier):
    """Nodes computed from labels: the sources the OpDefs call labels, and the raw sources a loss compares the
    network with that meet the network's values nowhere but in losses and comparisons (an accuracy's Equal).
    A sequence length a decoder also reads with the network's values is data, not a label."""
    mask = flow.label_mask
    for meeting in frontier.meetings:
        if meeting.kind == "labels" and meeting.mask & ~mask:
            for bit in range(len(flow.sources)):
                if meeting.mask >> bit & 1 and _only_compared(model, flow, frontier, flow.sources[bit]):
                    mask |= 1 << bit
    if not mask:
        return set()
    return set(i for i, bits in flow.source_bits.items() if bits & mask and i not in flow.source_nodes)


def _only_compared(model, flow, frontier, source):
    """Whether a source's values meet the network's only in a loss's ancestry or in a comparison."""
    node, port = source
    stack = value_consumers(model, node, port)
    seen = set(stack)
    while stack:
        i = stack.pop()
        if i in flow.blocked:
            continue
        if flow.params.get(i, 0):  # the network's values are here too
            if i not in frontier.loss_ancestry and model.ops[i] not in _COMPARISONS:
                return False
            continue
        for d in value_consumers(model, i):
            if d not in seen:
                seen.add(d)
                stack.append(d)
    return True
