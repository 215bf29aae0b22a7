"""The shape functions TensorFlow's importer runs (ShapeRefiner), on shapes from Consts, frozen variables,
placeholders and the `_output_shapes` a node records, for every output (port) of a node.

A shape is None (unknown rank) or a tuple of dims, -1 for an unknown one. Every rule gives at most what
TensorFlow's own function gives (an unknown op, input or guessed dim: unknown), so it refuses only what
TensorFlow refuses. TensorFlow merges a node's recorded `_output_shapes[i]` into what its function gives
output i (TF 1.4's Tensor.set_shape, TF 2.x's ShapeRefiner::SetShape) and refuses the two when they
conflict; the merge is the tensor's shape its consumers see. Each shape is computed once, when asked: a
pass is linear in the nodes it visits. The rules live in core/freeze/shape_rules*.py.
"""

from itertools import compress

from core.formats import dtypes
from core.freeze.shape_rules import (_GROUPED_CONV, ShapeRefusal, _bias_add, _broadcast, _concat, _conv, _matmul,
                                     _refuse, _reshape, _text)
from core.freeze.shape_rules_array import ARRAY_RULES
from core.freeze.shape_rules_nn import NN_RULES
from core.names import node_name, port_of

# UnchangedShape: output 0 has input 0's shape (Switch: both outputs; Enter only when is_constant).
_FORWARDING = frozenset([
    "Identity", "RefIdentity", "Snapshot", "StopGradient", "PreventGradient", "CheckNumerics", "Print",
    "Switch", "RefSwitch", "Exit", "RefExit", "NextIteration", "RefNextIteration", "Cast", "Relu", "Relu6",
    "Elu", "Selu", "Softplus", "Softsign", "LeakyRelu", "Tanh", "Sigmoid", "Neg", "Abs", "Exp", "Expm1", "Log",
    "Log1p", "Sqrt", "Rsqrt", "Square", "Floor", "Ceil", "Round", "Rint", "Sign", "Reciprocal", "Inv", "Sin",
    "Cos", "Erf", "LogicalNot", "ZerosLike", "OnesLike", "Softmax", "LogSoftmax"])
# BroadcastBinaryOpShapeFn (Equal/NotEqual only while incompatible_shape_error is true: shape_rules_nn).
_BROADCASTING = frozenset([
    "Add", "AddV2", "Sub", "Mul", "Div", "RealDiv", "DivNoNan", "FloorDiv", "FloorMod", "TruncateDiv",
    "TruncateMod", "Maximum", "Minimum", "Pow", "SquaredDifference", "Less", "LessEqual", "Greater",
    "GreaterEqual", "LogicalAnd", "LogicalOr", "Atan2", "Xdivy", "Xlogy"])
_RULES = {"MatMul": _matmul, "BatchMatMul": _matmul, "BatchMatMulV2": _matmul, "BatchMatMulV3": _matmul,
          "BiasAdd": _bias_add, "BiasAddV1": _bias_add, "Conv2D": _conv, "DepthwiseConv2dNative": _conv,
          "Reshape": _reshape, "ConcatV2": _concat, "Concat": _concat}
_RULES.update((op, _broadcast) for op in _BROADCASTING)
_RULES.update(ARRAY_RULES)
_RULES.update(NN_RULES)
_SOURCES = frozenset(["Const", "Placeholder", "PlaceholderV2", "PlaceholderWithDefault"])
CHECKED_OPS = frozenset(_RULES)  # ops whose function can refuse: import_checks runs them on every such node
INFERRED_OPS = _FORWARDING | CHECKED_OPS | _SOURCES | frozenset(["Enter"])  # ops whose recorded shapes are compared
# TF 1.4's importer (python/framework/importer.py) ignores a recorded shape its function contradicts for these:
# their recorded shapes are neither compared nor taken (the function's shape stays).
_UNCHECKED_RECORDS = frozenset([
    "RandomShuffleQueue", "PaddingFIFOQueue", "FIFOQueue", "PriorityQueue", "QueueSize", "Stack", "Barrier",
    "BarrierReadySize", "BarrierIncompleteSize", "HashTable", "MutableHashTable", "MutableHashTableOfTensors",
    "Mutex", "CuckooTable", "IndexTable", "WholeFileReader", "TextLineReader", "FixedLengthRecordReader",
    "TFRecordReader", "IdentityReader", "LMDBReader", "RefSwitch", "RefEnter", "RefNextIteration", "RefMerge",
    "RefIdentity", "ConditionalAccumulator", "SparseConditionalAccumulator", "Table"])
_BACK_EDGES = frozenset(["NextIteration", "RefNextIteration"])  # a Merge reads them before they are shaped
_SMALL_CONST = 1024  # elements of a shape or axis Const read (TensorFlow's own limit is larger; a guess is safe)


class StaticShapes(object):
    """Shapes of a planned graph's tensors, computed on demand.

    Args:
        plans: name -> NodePlan, in the frozen graph's order (a "const" plan is a frozen variable: its value's shape).
        node_def: name -> the planned NodeDef (for every plan that is not "const").
        release_label: the release whose shape functions apply ("1.4", "2"): Conv2D's depth rule differs.
        producer: the GraphDef's producer version, which the shape functions are given (None: unknown).

    TF 1.4's importer shapes the nodes in the GraphDef's order: an input from a later node has no shape yet
    (read as unknown for every 1.x release). TF 2.x's goes in topological order, a Merge before the
    NextIteration it reads: that input is unknown on every release.
    """

    def __init__(self, plans, node_def, release_label, producer=None):
        self.plans = plans
        self.node_def = node_def
        self.producer = producer
        self.scalar_placeholder_unknown = producer is None or producer <= _LEGACY_PLACEHOLDER_VERSION
        self.grouped_conv = release_at_least(release_label, _GROUPED_CONV)
        self.tf2 = release_at_least(release_label, "2")  # rules where 2.x's function knows more than 1.4's
        self.graph_order = not self.tf2  # 1.x: the Python importer's order
        self.memo = {}
        self._position = None

    def check(self, names):
        """Runs the shape function of each of ``names`` and compares every `_output_shapes` entry it records
        with it (so do the nodes their shapes need). Raises ShapeRefusal on the first that fails."""
        if self.graph_order:
            self._order(names)
        for name in names:
            self.outputs(name)

    def _order(self, names):
        """The graph order of the nodes ``names``' shapes read (the others' positions are never asked: the scan
        over every plan is C-level, a 10^6-node graph's dict of positions costs 60 MB)."""
        touched, stack = set(names), list(names)
        while stack:
            for text in self._read(stack.pop()):
                source = node_name(text)
                if source in self.plans and source not in touched:
                    touched.add(source)
                    stack.append(source)
        self._position = dict((n, i) for i, n in enumerate(compress(self.plans, map(touched.__contains__,
                                                                                      self.plans))))

    def tensor(self, text):
        """The shape of the tensor ``text`` ("node", "node:k")."""
        source, port = (text, 0) if ":" not in text else (node_name(text), port_of(text))
        found = self.outputs(source)
        return found[port] if found is not _PENDING and port < len(found) else None

    def position(self, name):
        if self._position is None or name not in self._position:
            self._position = dict(zip(self.plans, range(len(self.plans))))
        return self._position[name]

    def outputs(self, name):
        """The shapes of node ``name``'s outputs (a tuple, one per port; missing ports unknown): its inputs first
        (an explicit stack: no recursion limit; an input still pending, in a cycle, reads unknown)."""
        memo = self.memo
        if name in memo:
            return memo[name]
        stack = [name]
        while stack:
            current = stack[-1]
            state = memo.get(current)
            if state is not None and state is not _PENDING:
                stack.pop()
                continue
            if state is None:
                memo[current] = _PENDING
                missing = [n for n in self._needed(current) if n not in memo]
                if missing:
                    stack.extend(missing)
                    continue
            memo[current] = self._compute(current)
            stack.pop()
        return memo[name]

    def _data_inputs(self, node):
        return [t for t in node.input if t[:1] != "^"]

    def _readable(self, node, text):
        """The node an input ``text`` of ``node`` reads, when TensorFlow has shaped it by then, else None."""
        source = node_name(text)
        if source not in self.plans or (self.graph_order and self.position(source) >= self.position(node.name)):
            return None
        if node.op in ("Merge", "RefMerge") and self.plans[source].kind != "const" and \
                self.node_def(source).op in _BACK_EDGES:
            return None
        return source

    def _read(self, name):
        """The input tensors ``name``'s rule reads."""
        plan = self.plans.get(name)
        if plan is None or plan.kind == "const":
            return ()
        node = self.node_def(name)
        op = node.op
        if op in _FORWARDING or op == "Enter":
            return self._data_inputs(node)[:1]
        return self._data_inputs(node) if op in _RULES else ()

    def _needed(self, name):
        """The nodes whose shapes ``name``'s rule reads (those TensorFlow has shaped by then)."""
        inputs = self._read(name)
        if not inputs:
            return ()
        node = self.node_def(name)
        found = [self._readable(node, t) for t in inputs]
        return [n for n in found if n is not None]

    def _input(self, node, position):
        inputs = self._data_inputs(node)
        if position >= len(inputs) or self._readable(node, inputs[position]) is None:
            return None
        return self.tensor(inputs[position])

    def input_count(self, node):
        return len(self._data_inputs(node))

    def _compute(self, name):
        """Every output's shape: the rule's merged with the recorded `_output_shapes` entry, which must agree
        with it (TensorFlow's importer merges the two); a node without a rule takes its recorded shapes."""
        inferred = self._inferred(name)
        inferred = list(inferred) if isinstance(inferred, list) else [inferred]
        plan = self.plans.get(name)
        if plan is None or plan.kind == "const":
            return tuple(inferred)
        node = self.node_def(name)
        if node.op in _UNCHECKED_RECORDS or "_output_shapes" not in node.attr:
            return tuple(inferred)
        recorded = node.attr["_output_shapes"].list.shape
        if len(recorded) > len(inferred):
            inferred.extend([None] * (len(recorded) - len(inferred)))
        for port, entry in enumerate(recorded):
            dims = _agree(node, port, entry, inferred[port])
            if dims is not None:
                shape = inferred[port]
                inferred[port] = dims if shape is None else tuple(a if a >= 0 else b for a, b in zip(shape, dims))
        return tuple(inferred)

    def _inferred(self, name):
        plan = self.plans.get(name)
        if plan is None:
            return None
        if plan.kind == "const":
            shape = getattr(plan.variable, "shape", None)
            return tuple(int(d) for d in shape) if shape is not None else None
        node = self.node_def(name)
        op = node.op
        if op in _SOURCES:
            return _source_shape(node, self.scalar_placeholder_unknown)
        if op in _FORWARDING:
            shape = self._input(node, 0)
            return [shape, shape] if op in ("Switch", "RefSwitch") else shape
        if op == "Enter":
            return self._input(node, 0) if "is_constant" in node.attr and node.attr["is_constant"].b else None
        rule = _RULES.get(op)
        return rule(self, node) if rule is not None else None

    def const_values(self, node, position):
        """The int values of a small int32/int64 Const read at input ``position``, and its rank, else None.
        (TF 1.4's importer reads a Const's value from its attr even before it is shaped: no order here.)"""
        inputs = self._data_inputs(node)
        text = inputs[position] if position < len(inputs) else ""
        plan = self.plans.get(node_name(text)) if text else None
        if plan is None or plan.kind == "const" or (":" in text and port_of(text) != 0):
            return None
        const = self.node_def(plan.name)
        if const.op != "Const" or "value" not in const.attr:
            return None
        tensor = const.attr["value"].tensor
        if tensor.dtype not in (dtypes.DT_INT32, dtypes.DT_INT64) or dtypes.proto_problem(tensor, None, 1 << 20):
            return None
        dims = dtypes.shape_dims(tensor.tensor_shape)
        if len(dims) > 2 or dtypes.element_count(dims) > _SMALL_CONST:
            return None
        try:
            values = [int(v) for v in dtypes.proto_values(tensor).reshape(-1)]
        except ValueError:
            return None
        return values, len(dims)


_PENDING = object()
_LEGACY_PLACEHOLDER_VERSION = 21  # Placeholder's shape function: a scalar shape attr is unknown up to this version


def release_at_least(label, floor):
    try:
        return tuple(int(p) for p in label.split(".")) >= tuple(int(p) for p in floor.split("."))
    except ValueError:
        return False


def _source_shape(node, scalar_placeholder_unknown=True):
    op = node.op
    if op == "Const":
        if "value" not in node.attr:
            return None
        shape = node.attr["value"].tensor.tensor_shape
    else:
        if "shape" not in node.attr or node.attr["shape"].WhichOneof("value") != "shape":
            return None
        shape = node.attr["shape"].shape
    if shape.unknown_rank:
        return None
    dims = tuple(int(d.size) for d in shape.dim)
    if op in ("Placeholder", "PlaceholderV2") and not dims and scalar_placeholder_unknown:
        return None  # TF reads a scalar Placeholder shape of an old GraphDef (version <= 21) as unknown
    if any(d < -1 for d in dims) or (op == "Const" and any(d < 0 for d in dims)):
        return None
    return dims


def _agree(node, port, recorded, inferred):
    """The dims ``recorded`` (a TensorShapeProto) for output ``port``, refused when ``inferred`` disagrees."""
    dims = None if recorded.unknown_rank else tuple(int(d.size) for d in recorded.dim)
    if dims is None or any(d < -1 for d in dims):
        return None
    if inferred is not None and (len(dims) != len(inferred) or any(
            a >= 0 and b >= 0 and a != b for a, b in zip(dims, inferred))):
        _refuse(node, "attr '_output_shapes' records %s for output %d, its shape function gives it %s (TensorFlow's "
                      "importer refuses the two)" % (_text(dims), port, _text(inferred)))
    return dims
