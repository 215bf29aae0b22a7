"""A variable's initial value computed without TensorFlow (zeros, ones, constants, fills), for --init-missing.

The initializer is the op the meta graph's VariableDef names (`initializer_name`), else the variable's
own `NAME/Assign`; its value input is evaluated here when it is made of Consts, Fill, Reshape, Cast and
elementwise arithmetic (what zeros/ones/constant/fill initializers build). Anything else (a random op,
a placeholder, another variable) is not computable, and the caller keeps its refusal naming that op.
"""

import collections

from core.errors import quote
from core.formats import dtypes
from core.names import node_name, port_of

_PASS = frozenset(["Identity", "Snapshot", "StopGradient", "PreventGradient"])
_BINARY = {"Add": "add", "AddV2": "add", "Sub": "subtract", "Mul": "multiply", "RealDiv": "true_divide",
           "Maximum": "maximum", "Minimum": "minimum"}
_ASSIGN_OPS = frozenset(["Assign", "AssignVariableOp"])
_MAX_BYTES = 1 << 31
_MAX_NODES = 256


class NotComputable(Exception):
    """The initial value needs TensorFlow (the message names the op)."""


class InitialValue(collections.namedtuple("InitialValue", "name array description")):
    """A variable's initial value: the numpy array and a short description ("zeros", "ones", "constant")."""


def initializer_of(variable, nodes, meta_graph=None):
    """The initializer op of a variable node (an Assign of its initial value), or None."""
    named = _variable_defs(meta_graph).get(variable.name)
    candidates = [named, variable.name + "/Assign"]
    for name in candidates:
        node = nodes.get(name) if name else None
        if node is not None and node.op in _ASSIGN_OPS and len(node.input) >= 2 \
                and node_name(node.input[0]) == variable.name:
            return node
    return None


def _variable_defs(meta_graph):
    """variable node name -> its initializer op name, from the meta graph's VariableDef collections."""
    from core.formats.wire import iter_fields
    result = {}
    if meta_graph is None:
        return result
    for key in ("variables", "local_variables"):
        collection = meta_graph.collection_def.get(key)
        if collection is None or collection.WhichOneof("kind") != "bytes_list":
            continue
        for raw in collection.bytes_list.value:
            fields = {}
            try:
                for number, _, _, start, end in iter_fields(raw):
                    if number in (1, 2):
                        fields[number] = raw[start:end].decode("utf-8", "replace")
            except ValueError:
                continue
            if 1 in fields and 2 in fields:
                result[node_name(fields[1])] = node_name(fields[2])
    return result


def initial_value(variable, nodes, meta_graph=None):
    """The initial value of ``variable`` (a variable NodeDef), computed from its initializer.

    Returns:
        InitialValue.
    Raises:
        NotComputable: no initializer, or one that needs TensorFlow (the message names the op).
    """
    import numpy as np
    initializer = initializer_of(variable, nodes, meta_graph)
    if initializer is None:
        raise NotComputable("it has no initializer in the graph")
    array = _Evaluator(nodes).value(initializer.input[1])
    dtype = variable.attr["dtype"].type
    if array.dtype != dtypes.numpy_dtype(dtype):
        raise NotComputable("its initializer gives %s values, the variable is %s" % (array.dtype, dtypes.name(dtype)))
    declared = dtypes.known_dims(variable.attr["shape"].shape) if "shape" in variable.attr else None
    if declared is not None and list(array.shape) != declared:
        raise NotComputable("its initializer gives shape %s, the variable has %s" % (list(array.shape), declared))
    if array.size and not array.any():
        description = "zeros"
    elif array.size and dtype != dtypes.DT_STRING and np.all(array == 1):
        description = "ones"
    else:
        description = "constant"
    return InitialValue(variable.name, np.ascontiguousarray(array), description)


class _Evaluator(object):
    """Evaluates the few ops initializers of known values are built of, on numpy arrays."""

    def __init__(self, nodes):
        self.nodes = nodes
        self.memo = {}

    def value(self, tensor):
        name = node_name(tensor)
        if name not in self.memo:
            if len(self.memo) >= _MAX_NODES:
                raise NotComputable("its initializer is too large an expression")
            node = self.nodes.get(name)
            if node is None:
                raise NotComputable("its initializer reads %s, which is not in the graph" % quote(name))
            if port_of(tensor) != 0:
                raise NotComputable("its initializer reads output %d of %s (%s)" % (port_of(tensor), quote(name),
                                                                                      node.op))
            try:
                self.memo[name] = self._compute(node)
            except (ValueError, TypeError) as exc:
                raise NotComputable("its initializer %s (%s) cannot be evaluated: %s" % (quote(name), node.op, exc))
        return self.memo[name]

    def _compute(self, node):
        import numpy as np
        data = [i for i in node.input if not i.startswith("^")]
        if node.op == "Const":
            tensor = node.attr["value"].tensor
            problem = dtypes.proto_problem(tensor, limit_bytes=_MAX_BYTES)
            if problem is not None:
                raise NotComputable("its initializer %s: %s" % (quote(node.name), problem))
            return dtypes.proto_values(tensor)
        if node.op in _PASS and len(data) == 1:
            return self.value(data[0])
        if node.op == "Fill" and len(data) == 2:
            dims = [int(d) for d in self.value(data[0]).ravel()]
            if any(d < 0 for d in dims) or dtypes.element_count(dims) * 8 > _MAX_BYTES:
                raise NotComputable("its initializer %s fills shape %s" % (quote(node.name), dims))
            fill = self.value(data[1])
            return np.full(dims, fill.reshape(-1)[0] if fill.size else 0, dtype=fill.dtype)
        if node.op == "Reshape" and len(data) == 2:
            return self.value(data[0]).reshape([int(d) for d in self.value(data[1]).ravel()])
        if node.op == "Cast" and len(data) == 1:
            return self.value(data[0]).astype(dtypes.numpy_dtype(node.attr["DstT"].type))
        if node.op == "Neg" and len(data) == 1:
            return np.negative(self.value(data[0]))
        if node.op in _BINARY and len(data) == 2:
            left, right = self.value(data[0]), self.value(data[1])
            if left.dtype != right.dtype:
                raise NotComputable("its initializer %s mixes %s and %s" % (quote(node.name), left.dtype, right.dtype))
            with np.errstate(all="ignore"):
                return getattr(np, _BINARY[node.op])(left, right).astype(left.dtype)
        raise NotComputable("its initializer uses %s (%s), which only TensorFlow can compute"
                            % (quote(node.name), node.op))
