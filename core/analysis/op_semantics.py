"""What an op does, from its OpDef (the writer's stripped_op_list, else the op registry): whether it has data
outputs, whether it is stateful, which dtype it yields; and which branch of a cond on a training switch is dead
at inference."""

from core.analysis.input_pipeline import op_defs
from core.formats.dtypes import DT_STRING
from core.formats.op_registry import load_registry, stateful_ops

# Stateful ops that only read state and yield a value a model computes with (a resource variable's read, an
# embedding lookup, a vocabulary lookup): their result can be an output.
STATE_READS = frozenset(["ReadVariableOp", "ResourceGather", "ResourceGatherNd", "LookupTableFind",
                         "LookupTableFindV2", "TensorArrayReadV3", "TensorArrayGatherV3", "TensorArrayReadV2",
                         "TensorArrayGatherV2"])


class OpFacts(object):
    """OpDef facts for the ops of one graph.

    Args:
        meta_graph: the MetaGraphDef or None; its stripped_op_list is the writer's own OpDefs.
    """

    def __init__(self, meta_graph=None):
        self._written = op_defs(meta_graph)
        self._registry = None
        self._stateful = None
        self._outputs = {}

    @property
    def registry(self):
        if self._registry is None:
            self._registry = load_registry()
        return self._registry

    def is_stateful(self, op):
        """OpDef.is_stateful of ``op`` (the writer's when it recorded the op, else TensorFlow's registry)."""
        written = self._written.get(op)
        if written is not None:
            return bool(written.is_stateful)
        if self._stateful is None:
            self._stateful = stateful_ops()
        return op in self._stateful

    def output_args(self, op):
        """The output args of ``op``: list of type specs (``T``, ``DT_STRING``, ``N*T``), None when unknown."""
        if op in self._outputs:
            return self._outputs[op]
        written = self._written.get(op)
        if written is not None:
            found = [_spec(arg) for arg in written.output_arg]
        else:
            history = self.registry.history(op)
            found = None
            if history is not None:
                defs = [d for d in history.defs if d is not None]
                found = [spec for _, spec in defs[-1].get("o", [])] if defs else None
        self._outputs[op] = found
        return found

    def has_data_outputs(self, op):
        """False for ops whose OpDef has no outputs (NoOp, Assert, WriteFile, Save, summary writers)."""
        args = self.output_args(op)
        return args is None or bool(args)

    def never_output(self, op):
        """Whether a node of ``op`` can never be a model's output by what the op does: no data outputs, or a
        stateful op (a random op, a sampler, a queue, a print, an assertion) that is not a read of state."""
        if not self.has_data_outputs(op):
            return True
        return op not in STATE_READS and self.is_stateful(op)

    def yields_string(self, node):
        """Whether output 0 of a NodeDef is a string tensor (AsString, a lookup of class names)."""
        args = self.output_args(node.op)
        if not args:
            return False
        spec = args[0]
        if spec == "DT_STRING":
            return True
        attr = spec.split("*")[-1].lstrip("&")
        return attr in node.attr and node.attr[attr].type == DT_STRING


def _spec(arg):
    if arg.type:
        return "DT_STRING" if arg.type == DT_STRING else "DT_%d" % arg.type
    base = arg.type_attr or arg.type_list_attr
    return (arg.number_attr + "*" + base) if arg.number_attr else base


def dead_branch(model, switch_values):
    """Nodes only a cond's branch that the training switches' inference values never take can run (the
    training branch of `cond(is_training, ...)`: batch statistics, dropout).

    Args:
        switch_values: dict switch node index -> its inference value (bool).
    Returns:
        set of node indexes.
    """
    predicates = {}
    for i, value in switch_values.items():
        for j in _predicate_views(model, i):
            predicates[j] = value
    dead_ports = []
    for i, op in enumerate(model.ops):
        if op not in ("Switch", "RefSwitch") or len(model.data_in[i]) < 2:
            continue
        predicate = model.data_in[i][1][0]
        if predicate in predicates:
            dead_ports.append((i, 1 if not predicates[predicate] else 0))
    dead = set()
    for switch, port in dead_ports:
        stack = [d for d in model.data_out[switch] if any(s == switch and p == port for s, p in model.data_in[d])]
        while stack:
            i = stack.pop()
            if i in dead or model.ops[i] in ("Merge", "RefMerge"):
                continue
            dead.add(i)
            stack.extend(model.data_out[i])
    return dead


def _predicate_views(model, i):
    """A switch and what passes its value on unchanged (the cond's pred_id Identity)."""
    found = [i]
    stack = [i]
    while stack:
        j = stack.pop()
        for d in model.data_out[j]:
            if model.ops[d] == "Identity" and d not in found:
                found.append(d)
                stack.append(d)
    return found
