"""What a training graph records about its own training: each gradients call's losses, what each optimizer trains,
and which variables are copies of trained ones (target networks, moving-average shadows) or counters."""

import re

from core.formats.saver_map import VARIABLE_OPS
from core.analysis.value_flow import value_ancestors

_GRADIENT_SCOPE = re.compile(r"(?:^|/)gradients(?:_\d+)?/")
_SEED = re.compile(r"^(Fill|grad_ys_\d+)(_\d+)?$")
APPLY_PREFIXES = ("Apply", "ResourceApply", "SparseApply", "ResourceSparseApply", "Scatter", "ResourceScatter")
ASSIGN_OPS = frozenset(["Assign", "AssignAdd", "AssignSub", "AssignVariableOp", "AssignAddVariableOp",
                        "AssignSubVariableOp"])
_INCREMENTS = frozenset(["AssignAdd", "AssignAddVariableOp", "ScatterAdd", "ResourceScatterAdd"])
_READS = frozenset(["Identity", "RefIdentity", "ReadVariableOp", "Snapshot"])
SOURCE_OPS = frozenset([
    "Placeholder", "PlaceholderV2", "PlaceholderWithDefault", "IteratorGetNext", "IteratorGetNextSync",
    "QueueDequeue", "QueueDequeueV2", "QueueDequeueMany", "QueueDequeueManyV2", "QueueDequeueUpTo",
    "QueueDequeueUpToV2", "ReaderRead", "ReaderReadV2", "ReaderReadUpTo", "ReaderReadUpToV2",
    "ParseExample", "ParseSingleExample", "ParseExampleV2"])
_COPY_SEARCH_LIMIT = 5000
# What an initializer or a restore assigns: never a copy of a trained variable.
_CONSTANT_VALUES = frozenset(["Const", "Fill", "RestoreV2", "Restore", "RestoreSlice", "ZerosLike", "OnesLike"])


def is_write(op):
    """Whether an op writes the variable its first input names (optimizer updates, assignments)."""
    return op in ASSIGN_OPS or op.startswith(APPLY_PREFIXES)


def written_variable(model, i):
    """The variable a write op updates (its first input, through reads), or None."""
    if not model.data_in[i]:
        return None
    j = model.data_in[i][0][0]
    for _ in range(4):
        if model.ops[j] in VARIABLE_OPS:
            return j
        if model.ops[j] not in _READS or not model.data_in[j]:
            return None
        j = model.data_in[j][0][0]
    return None


def optimizer_name(name):
    """The optimizer a write op belongs to, from its name (`Adam_1/update_w/ApplyAdam` -> `Adam_1`)."""
    at = name.find("/update_")
    if at > 0:
        return name[:at]
    return name.rpartition("/")[0] or name


class Objective(object):
    """One thing the graph is trained to minimise.

    Attributes:
        losses: sorted indexes of the tensors the gradients start from (tf.gradients' ys).
        trained: frozenset of the variable indexes its optimizers update.
        optimizers: sorted optimizer names (`Adam`, `Adam_1`, `training/RMSprop`).
        scopes: the gradients scopes (`gradients/`, `gradients_1/`) of its gradient calls.
    """

    def __init__(self, losses, trained, optimizers, scopes):
        self.losses = sorted(losses)
        self.trained = frozenset(trained)
        self.optimizers = sorted(optimizers)
        self.scopes = sorted(scopes)

    def __repr__(self):
        return "Objective(losses=%r, %d trained, %s)" % (self.losses, len(self.trained), self.optimizers)


class TrainingStructure(object):
    """The training a graph records.

    Attributes:
        objectives: list of Objective (empty for inference and frozen graphs).
        trained: set of every trained variable index.
        gradient_nodes: set of the indexes inside gradients scopes.
        copies: dict variable index -> the trained variable index an assignment copies into it.
        counters: set of the variable indexes only ever incremented by constants (global_step, metric counts).
        slots: set of the variable indexes an optimizer keeps its own state in (Adam's m and v, Ftrl's
            accumulators: what its apply ops take besides the variable they train).
        writes: indexes of every op that writes a variable (optimizer updates, assignments).
    """

    def __init__(self, objectives, gradient_nodes, copies, counters):
        self.slots = set()
        self.writes = []
        self.objectives = objectives
        self.trained = set()
        for objective in objectives:
            self.trained |= objective.trained
        self.gradient_nodes = gradient_nodes
        self.copies = copies
        self.counters = counters

    def __bool__(self):
        return bool(self.objectives)

    __nonzero__ = __bool__

    def optimizers_of(self, variable):
        """Names of the optimizers training ``variable``."""
        return sorted(set(o for objective in self.objectives if variable in objective.trained
                          for o in objective.optimizers))


def read_training(model):
    """Reads the training structure of a graph (core.analysis.graph_model.GraphModel).

    Returns:
        TrainingStructure.
    """
    calls = _gradient_calls(model)
    gradient_nodes = set(i for nodes in calls.values() for i in nodes)
    owner = {}
    for scope, nodes in calls.items():
        for i in nodes:
            owner[i] = scope
    by_losses = {}
    state = set()
    for scope in sorted(calls):
        writes, written_state = _writes_of(model, calls[scope], scope, owner)
        state |= written_state
        trained = set(v for _, v in writes)
        if not trained:
            continue  # gradients used inside the model or the loss (a gradient penalty), not to train
        losses = _losses_of(model, calls[scope], scope)
        key = frozenset(losses) or frozenset([scope])
        entry = by_losses.setdefault(key, [set(), set(), set(), set()])
        entry[0] |= losses
        entry[1] |= trained
        entry[2] |= set(optimizer_name(model.names[w]) for w, _ in writes)
        entry[3].add(scope)
    objectives = [Objective(*entry) for _, entry in sorted(by_losses.items(), key=lambda kv: min(kv[1][3]))]
    structure = TrainingStructure(objectives, gradient_nodes, {}, set())
    structure.writes = _ops_where(model, is_write)
    structure.copies = _copies(model, structure.trained, gradient_nodes, structure.writes)
    structure.counters = _counters(model, structure.writes)
    structure.slots = (_slots(model, structure.writes) | state) - structure.trained
    return structure


def _ops_where(model, test):
    """Indexes of the nodes whose op type passes ``test`` (asked once per op type, not once per node)."""
    kinds = set(op for op in set(model.ops) if test(op))
    return [i for i, op in enumerate(model.ops) if op in kinds]


def _slots(model, writes):
    """Variables an optimizer's apply ops take after the one they train (its slots)."""
    slots = set()
    for i in writes:
        if not model.ops[i].startswith(APPLY_PREFIXES):
            continue
        for s, _ in model.data_in[i][1:]:
            j = s
            for _ in range(3):
                if model.ops[j] in VARIABLE_OPS:
                    slots.add(j)
                    break
                if model.ops[j] not in _READS or not model.data_in[j]:
                    break
                j = model.data_in[j][0][0]
    return slots


def _gradient_calls(model):
    """Gradients scope (`gradients/`, `tower/gradients_1/`) -> indexes of the nodes in it."""
    calls = {}
    for i, name in enumerate(model.names):
        if "gradients" not in name:
            continue
        match = _GRADIENT_SCOPE.search(name)
        if match:
            calls.setdefault(name[:match.end()], []).append(i)
    return calls


def _losses_of(model, nodes, scope):
    """The ys of one gradients call: each seed `Fill` starts the backward pass of one y, from the shape of y
    (`scope/Shape`, a Const when the shape was known) into `scope/<y>_grad/...`."""
    losses = set()
    position = model.position
    for i in nodes:
        if model.ops[i] != "Fill" or not _SEED.match(model.names[i][len(scope):]):
            continue
        dims = model.data_in[i][0][0] if model.data_in[i] else None
        if dims is not None and model.ops[dims] == "Shape" and model.data_in[dims]:
            source = model.data_in[dims][0][0]
            if not model.names[source].startswith(scope):
                losses.add(source)
                continue
        for d in model.data_out[i]:
            rest = model.names[d][len(scope):] if model.names[d].startswith(scope) else ""
            at = rest.find("_grad/")
            if at > 0 and rest[:at] in position:
                losses.add(position[rest[:at]])
    return losses


def _writes_of(model, nodes, scope, owner):
    """(write op, variable) pairs of the trained variables the values of one gradients call reach (the
    optimizer's updates), and the optimizer-state variables they write on the way (see _trained_writes)."""
    seen = set(nodes)
    stack = list(nodes)
    writes = []
    while stack:
        i = stack.pop()
        for d in model.data_out[i]:
            if d in seen or owner.get(d, scope) != scope:
                continue
            seen.add(d)
            if is_write(model.ops[d]):
                variable = written_variable(model, d)
                if variable is not None:
                    writes.append((d, variable))
            stack.append(d)
    return _trained_writes(model, writes, seen)


def _trained_writes(model, writes, reached):
    """The writes of trained variables: those whose written value feeds no other write (a sparse Adam update
    scatters into its slots m and v first, and the variable's own update reads them).

    Returns:
        (list of (write, variable) of the trained variables, set of the optimizer-state variables written).
    """
    targets = set(w for w, _ in writes)
    trained = []
    state = set()
    for w, variable in writes:
        stack = [w]
        seen = set(stack)
        feeds = False
        while stack and not feeds:
            i = stack.pop()
            for d in model.data_out[i]:
                if d in targets and d != w:
                    feeds = True
                    break
                if d in reached and d not in seen:
                    seen.add(d)
                    stack.append(d)
        if not feeds:
            trained.append((w, variable))
        else:
            state.add(variable)
    return trained, state


def _copies(model, trained, gradient_nodes, writes):
    """Untrained variables that an assignment fills from a trained variable without any input data
    (a target network's `assign(eval_w)`, an ExponentialMovingAverage shadow): copy -> the trained variable."""
    copies = {}
    candidates = [i for i in writes if model.ops[i] in ASSIGN_OPS and i not in gradient_nodes
                  and len(model.data_in[i]) > 1 and model.data_in[i][1][0] is not None
                  and model.ops[model.data_in[i][1][0]] not in _CONSTANT_VALUES]
    if not trained or not candidates:
        return copies
    for i in candidates:
        target = written_variable(model, i)
        if target is None or target in trained or target in copies:
            continue
        value = model.data_in[i][1][0]
        ancestry = value_ancestors(model, [value], limit=_COPY_SEARCH_LIMIT)
        if len(ancestry) > _COPY_SEARCH_LIMIT or any(model.ops[a] in SOURCE_OPS for a in ancestry):
            continue
        sources = sorted(a for a in ancestry if a in trained)
        if sources:
            copies[target] = _same_shape(model, target, sources)
    return copies


def _same_shape(model, target, sources):
    shape = _variable_shape(model, target)
    for s in sources:
        if _variable_shape(model, s) == shape:
            return s
    return sources[0]


def _variable_shape(model, i):
    node = model.graph_def.node[i]
    if "shape" not in node.attr:
        return None
    return tuple(int(d.size) for d in node.attr["shape"].shape.dim)


def _counters(model, writes):
    """Variables whose every write adds a constant (global_step += 1, a metric's count += batch size) or
    copies another counter; never trained and never data."""
    written = {}
    for i in writes:
        target = written_variable(model, i)
        if target is not None:
            written.setdefault(target, []).append(i)
    counters = set()
    for variable, writes in written.items():
        increments = [w for w in writes if model.ops[w] in _INCREMENTS]
        if increments and all(_constant_increment(model, w) for w in increments) and \
                all(w in increments or _is_initializer(model, w) for w in writes):
            counters.add(variable)
    return counters


def _constant_increment(model, i):
    if len(model.data_in[i]) < 2:
        return False
    ancestry = value_ancestors(model, [model.data_in[i][-1][0]], limit=50)
    return len(ancestry) <= 50 and all(model.ops[a] in ("Const", "Identity", "Cast") for a in ancestry)


def _is_initializer(model, i):
    """An assignment of a value that no variable, input or saver feeds (an initial value or a restore)."""
    if model.ops[i] not in ASSIGN_OPS or len(model.data_in[i]) < 2:
        return False
    ancestry = value_ancestors(model, [model.data_in[i][1][0]], limit=200)
    return not any(model.ops[a] in VARIABLE_OPS or model.ops[a] in SOURCE_OPS for a in ancestry) or \
        any(model.ops[a] in ("RestoreV2", "Restore", "RestoreSlice") for a in ancestry)
