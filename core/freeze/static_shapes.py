"""The shape functions TensorFlow's importer runs (ShapeRefiner) for the ops a wrong edge or a flipped attr breaks
(MatMul, BatchMatMul, BiasAdd, Conv2D, depthwise, broadcasting ops, Reshape and ConcatV2 of a Const), on shapes
from Consts, frozen variables and placeholders carried through forwarding ops.

A shape is None (unknown rank) or a tuple of dims, -1 for an unknown one. Every rule gives at most what
TensorFlow's own function gives (an unknown op, input or guessed dim: unknown), so it refuses only what
TensorFlow refuses. Each shape is computed once, when asked: a pass is linear in the nodes it visits.
"""

from core.formats import dtypes
from core.freeze.shape_rules import (_GROUPED_CONV, ShapeRefusal, _concat, _conv, _dim, _flag, _merge_dim, _refuse,
                                     _reshape, _string, _text, _with_rank)
from core.names import node_name, port_of

# UnchangedShape: output 0 has input 0's shape (Switch: both outputs; Enter only when is_constant).
_FORWARDING = frozenset([
    "Identity", "RefIdentity", "Snapshot", "StopGradient", "PreventGradient", "CheckNumerics", "Print",
    "Switch", "RefSwitch", "Exit", "RefExit", "Cast", "Relu", "Relu6", "Elu", "Selu", "Softplus", "Softsign",
    "LeakyRelu", "Tanh", "Sigmoid", "Neg", "Abs", "Exp", "Expm1", "Log", "Log1p", "Sqrt", "Rsqrt", "Square",
    "Floor", "Ceil", "Round", "Rint", "Sign", "Reciprocal", "Inv", "Sin", "Cos", "Erf", "LogicalNot",
    "ZerosLike", "OnesLike", "Softmax", "LogSoftmax"])
# BroadcastBinaryOpShapeFn (Equal/NotEqual left out: TF 2.x gives them incompatible_shape_error).
_BROADCASTING = frozenset([
    "Add", "AddV2", "Sub", "Mul", "Div", "RealDiv", "DivNoNan", "FloorDiv", "FloorMod", "TruncateDiv",
    "TruncateMod", "Maximum", "Minimum", "Pow", "SquaredDifference", "Less", "LessEqual", "Greater",
    "GreaterEqual", "LogicalAnd", "LogicalOr", "Atan2", "Xdivy", "Xlogy"])
_MATMUL = frozenset(["MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"])
_CHECKED = _MATMUL | _BROADCASTING | frozenset(["BiasAdd", "BiasAddV1", "Conv2D", "DepthwiseConv2dNative",
                                                 "Reshape", "ConcatV2", "Concat"])
CHECKED_OPS = _CHECKED  # the ops a pass starts from (import_checks collects their nodes)
INFERRED_OPS = _FORWARDING | _CHECKED | frozenset(["Const", "Placeholder", "PlaceholderV2", "PlaceholderWithDefault",
                                                   "Enter"])  # ops whose recorded shapes are compared
_SOURCES = frozenset(["Const", "Placeholder", "PlaceholderV2", "PlaceholderWithDefault"])
_SMALL_CONST = 1024  # elements of a shape or axis Const read (TensorFlow's own limit is larger; a guess is safe)


class StaticShapes(object):
    """Shapes of a planned graph's tensors, computed on demand.

    Args:
        plans: name -> NodePlan (a "const" plan is a frozen variable: its value's shape).
        node_def: name -> the planned NodeDef (for every plan that is not "const").
        release_label: the release whose shape functions apply ("1.4", "2"): Conv2D's depth rule differs.
        producer: the GraphDef's producer version, which the shape functions are given (None: unknown).
    """

    def __init__(self, plans, node_def, release_label, producer=None):
        self.plans = plans
        self.node_def = node_def
        self.scalar_placeholder_unknown = producer is None or producer <= _LEGACY_PLACEHOLDER_VERSION
        self.grouped_conv = _release_at_least(release_label, _GROUPED_CONV)
        self.memo = {}

    def check(self, names, recorded=()):
        """Runs the shape function of each of ``names``, then compares each of ``recorded``'s `_output_shapes`
        with the shapes inferred (a Switch's port 1 too). Raises ShapeRefusal on the first that fails."""
        for name in names:
            self.shape(name)
        for name in recorded:
            node = self.node_def(name)
            self.shape(name)  # port 0 is compared as it is computed
            shapes = node.attr["_output_shapes"].list.shape
            if node.op in ("Switch", "RefSwitch") and len(shapes) > 1:
                _agree(node, 1, shapes[1], self.tensor(name + ":1"))

    def tensor(self, text):
        """The shape of the tensor ``text`` ("node", "node:k")."""
        source, port = (text, 0) if ":" not in text else (node_name(text), port_of(text))
        shape = self.shape(source)
        if port == 0:
            return shape
        plan = self.plans.get(source)
        if plan is not None and plan.kind != "const" and self.node_def(source).op in ("Switch", "RefSwitch"):
            return shape
        return None

    def shape(self, name):
        """Output 0's shape of node ``name``: its inputs first (an explicit stack: no recursion limit)."""
        memo = self.memo
        if name in memo:
            return memo[name]
        stack = [name]
        while stack:
            current = stack[-1]
            if current in memo and memo[current] is not _PENDING:
                stack.pop()
                continue
            needed = self._needed(current)
            missing = [n for n in needed if n not in memo]
            if missing and memo.get(current) is not _PENDING:
                memo[current] = _PENDING
                stack.extend(missing)
                continue
            memo[current] = self._compute(current)  # an input still pending (a loop) reads unknown
            stack.pop()
        return memo[name]

    def _data_inputs(self, node):
        return [t for t in node.input if t[:1] != "^"]

    def _needed(self, name):
        """The nodes whose shapes ``name``'s rule reads."""
        plan = self.plans.get(name)
        if plan is None or plan.kind == "const":
            return ()
        node = self.node_def(name)
        op = node.op
        if op in _FORWARDING or op == "Enter":
            inputs = self._data_inputs(node)[:1]
        elif op in _CHECKED:
            inputs = self._data_inputs(node)
        else:
            return ()
        return [node_name(t) for t in inputs if node_name(t) in self.plans]

    def _input(self, node, position):
        inputs = self._data_inputs(node)
        if position >= len(inputs) or node_name(inputs[position]) not in self.plans:
            return None
        found = self.tensor(inputs[position])
        return None if found is _PENDING else found

    def _compute(self, name):
        """The rule's shape; a recorded `_output_shapes` must agree with it (TensorFlow's importer merges the
        two) and takes the merge as the tensor's shape (TF 1.4's Tensor.set_shape; TF 2.x alike, measured)."""
        shape = self._inferred(name)
        plan = self.plans[name] if name in self.plans else None
        if plan is None or plan.kind == "const":
            return shape
        node = self.node_def(name)
        if "_output_shapes" not in node.attr or not node.attr["_output_shapes"].list.shape:
            return shape
        dims = _agree(node, 0, node.attr["_output_shapes"].list.shape[0], shape)
        if dims is None or shape is _PENDING:
            return shape
        return dims if shape is None else tuple(a if a >= 0 else b for a, b in zip(shape, dims))

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
            return self._input(node, 0)
        if op == "Enter":
            return self._input(node, 0) if _flag(node, "is_constant") else None
        rule = _RULES.get(op) or (_broadcast if op in _BROADCASTING else None)
        return rule(self, node) if rule is not None else None

    def const_values(self, node, position):
        """The int values of a small int32/int64 Const read at input ``position``, else None."""
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
        if len(dims) > 1 or dtypes.element_count(dims) > _SMALL_CONST:
            return None
        try:
            values = [int(v) for v in dtypes.proto_values(tensor).reshape(-1)]
        except ValueError:
            return None
        return values, len(dims)


_PENDING = object()
_LEGACY_PLACEHOLDER_VERSION = 21  # Placeholder's shape function: a scalar shape attr is unknown up to this version


def _release_at_least(label, floor):
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
    if inferred is not None and inferred is not _PENDING and (len(dims) != len(inferred) or any(
            a >= 0 and b >= 0 and a != b for a, b in zip(dims, inferred))):
        _refuse(node, "attr '_output_shapes' records %s for output %d, its shape function gives it %s (TensorFlow's "
                      "importer refuses the two)" % (_text(dims), port, _text(inferred)))
    return dims


def _matmul(shapes, node):
    a, b = shapes._input(node, 0), shapes._input(node, 1)
    if node.op == "MatMul":
        _with_rank(node, 0, a, 2)
        _with_rank(node, 1, b, 2)
        flip_a, flip_b, names = _flag(node, "transpose_a"), _flag(node, "transpose_b"), ("transpose_a", "transpose_b")
    else:
        _with_rank(node, 0, a, 2, at_least=True)
        _with_rank(node, 1, b, 2, at_least=True)
        flip_a, flip_b, names = _flag(node, "adj_x"), _flag(node, "adj_y"), ("adj_x", "adj_y")
    inner_a = _dim(a, -2 if flip_a else -1)
    inner_b = _dim(b, -1 if flip_b else -2)
    if inner_a >= 0 and inner_b >= 0 and inner_a != inner_b:
        _refuse(node, "its inputs have shapes %s and %s; with %s=%s and %s=%s the inner dimensions %d and %d "
                      "differ (TensorFlow's shape function refuses it on import)"
                % (_text(a), _text(b), names[0], str(flip_a).lower(), names[1], str(flip_b).lower(),
                   inner_a, inner_b))
    rows, cols = _dim(a, -1 if flip_a else -2), _dim(b, -2 if flip_b else -1)
    if node.op == "MatMul":
        return (rows, cols)
    if a is None or b is None:
        return None
    batch_a, batch_b = a[:-2], b[:-2]
    if node.op == "BatchMatMul":
        if len(batch_a) != len(batch_b):
            return None
        batch = tuple(x if x == y else -1 for x, y in zip(batch_a, batch_b))
    else:
        batch = _broadcast_dims(batch_a, batch_b)
        if batch is None:
            return None
    return batch + (rows, cols)


def _broadcast_dims(a, b):
    """Broadcast of two known-rank dim tuples without refusing (None where they conflict)."""
    rank = max(len(a), len(b))
    a, b = (1,) * (rank - len(a)) + tuple(a), (1,) * (rank - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x == y:
            out.append(x)
        elif x == 1:
            out.append(y if y >= 0 else -1)
        elif y == 1:
            out.append(x if x >= 0 else -1)
        elif x < 0 or y < 0:
            out.append(-1)
        else:
            return None
    return tuple(out)


def _broadcast(shapes, node):
    a, b = shapes._input(node, 0), shapes._input(node, 1)
    if a is None or b is None:
        return None
    rank = max(len(a), len(b))
    padded_a, padded_b = (1,) * (rank - len(a)) + a, (1,) * (rank - len(b)) + b
    for x, y in zip(padded_a, padded_b):
        if x >= 0 and y >= 0 and x != y and x != 1 and y != 1:
            _refuse(node, "its inputs have shapes %s and %s, which do not broadcast (%d against %d; TensorFlow's "
                          "shape function refuses it on import)" % (_text(a), _text(b), x, y))
    return _broadcast_dims(a, b)


def _bias_add(shapes, node):
    value, bias = shapes._input(node, 0), shapes._input(node, 1)
    nchw = node.op == "BiasAdd" and _string(node, "data_format", "NHWC") == "NCHW"
    _with_rank(node, 0, value, 3 if nchw else 2, at_least=True)
    _with_rank(node, 1, bias, 1)
    if value is None:
        return None
    if nchw and len(value) != 4:  # TF 1.x merges dim -3, TF 2.x dim 1: they agree at rank 4 only
        return None
    index = 1 if nchw else len(value) - 1
    channels = _merge_dim(node, value[index], _dim(bias, 0),
                          "its value has %%d channels (%s), its bias %%d values (TensorFlow's shape function "
                          "refuses it on import)" % ("dim 1, data_format NCHW" if nchw else "last dim"))
    return value[:index] + (channels,) + value[index + 1:]


_RULES = {"MatMul": _matmul, "BatchMatMul": _matmul, "BatchMatMulV2": _matmul, "BatchMatMulV3": _matmul,
          "BiasAdd": _bias_add, "BiasAddV1": _bias_add, "Conv2D": _conv, "DepthwiseConv2dNative": _conv,
          "Reshape": _reshape, "ConcatV2": _concat, "Concat": _concat}
