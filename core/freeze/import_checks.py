"""Checking a planned frozen graph as the target release's importer would, before a byte is written.

The rules are TensorFlow's: graph_constructor and the Python importer (node names, inputs that exist,
ports within the source's outputs, edge types compatible, control inputs last), ValidateNodeDef (every
attr declared, of its kind, in its allowed values, required attrs present, the input count the OpDef
implies), the Const kernel (a value tensor Tensor::FromProto reads, of the declared dtype),
FunctionLibraryDefinition (no function named like an op) and CheckVersions (GraphDef versions).
"""

import re

from core.errors import ModelError, quote
from core.formats import dtypes, protos
from core.formats.op_registry import OpSpec
from core.formats.wire import LENGTH, iter_fields
from core.freeze.static_shapes import CHECKED_OPS as SHAPE_CHECKED_OPS, INFERRED_OPS, ShapeRefusal, StaticShapes
from core.names import node_name, port_of

# ops.py's _VALID_OP_NAME_REGEX, and graph_constructor's IsValidNodeName (no leading "_"); and no trailing
# "/": TensorFlow's Python importer takes "x/" for a name scope and names the node "x" (ops.create_op).
_NODE_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/]*(?<!/)\Z")
_KINDS = {"string": "s", "int": "i", "float": "f", "bool": "b", "type": "type", "shape": "shape",
          "tensor": "tensor", "func": "func"}
_CONST_LIMIT = 1 << 31  # bytes a Const's value may take once materialised


class _Refusal(Exception):
    pass


def _fail(node, op, rule):
    raise _Refusal("node %s (%s): %s" % (quote(node), op, rule))


def check_importable(plan_nodes, release, registry, tail_fields, source_nodes=None, path=None):
    """Refuses a plan whose graph ``release`` would not import or run.

    Args:
        plan_nodes: the plan's NodePlans, in order.
        release: core.formats.op_registry.Release the result must load in.
        registry: the OpRegistry.
        tail_fields: the raw library/version/versions fields the frozen GraphDef ends with.
        source_nodes: {name: NodeDef} of the source (copied nodes are read from there, unparsed).
        path: the model file, for the message.
    Returns:
        what check_source_graph needs to skip the nodes checked here.
    Raises:
        ModelError: naming the node, the rule and the release.
    """
    try:
        functions = _library_functions(tail_fields)
        producer = _check_versions(tail_fields, release)
        for name in functions:
            history = registry.history(name)
            if history is not None and history.present[release.index]:
                raise _Refusal("the graph's function library defines %s, the name of a TensorFlow op" % quote(name))
        return _Checker(plan_nodes, release, registry, functions, source_nodes or {}, producer).run()
    except _Refusal as exc:
        raise ModelError("cannot freeze for TensorFlow %s: %s" % (release.label, exc), path)


class _SourceNode(object):
    """A source node checked as it is (the restore ops TensorFlow runs are not in the frozen graph)."""

    __slots__ = ("name", "kind", "data", "types")

    def __init__(self, name):
        self.name, self.kind, self.data, self.types = name, "copy", None, None


def check_restoring(names, release, registry, source_nodes, path=None):
    """Refuses a freeze whose values TensorFlow could not restore: the saver's nodes that restore them
    (core.formats.saver_map.restoring_nodes) checked as ``release``'s importer checks any node.

    Raises:
        ModelError: naming the node, the rule and the release.
    """
    try:
        for name in sorted(names):
            op = source_nodes[name].op
            history = registry.history(op)
            if history is None or not history.present[release.index]:
                _fail(name, op, "TensorFlow %s has no op %s" % (release.label, quote(op)))
            _check_attr_entries(source_nodes[name])
        _Checker([_SourceNode(n) for n in sorted(names)], release, registry, {}, source_nodes).run()
    except _Refusal as exc:
        raise ModelError("TensorFlow %s cannot restore these variables through the graph's saver: %s"
                         % (release.label, exc), path)


def _check_attr_entries(node):
    """An attr map entry with no name is attr '' to TensorFlow's C++ parser, which its restore then refuses to
    run (protobuf's upb keeps the entry aside, out of ``node.attr``: read from the bytes)."""
    data = node.SerializeToString()
    try:
        for number, wire, _, start, end in iter_fields(data):
            if number == 5 and wire == LENGTH and not any(f[0] == 1 for f in iter_fields(data, start, end)):
                _fail(node.name, node.op, "attr '' is not in the op's definition (an attr entry without a name)")
    except ValueError:  # an unknown field of a wire type read here as no NodeDef field (a group): TF skips it
        return


def _library_functions(tail_fields):
    """{name: OpSpec} of the function signatures in the GraphDef's library (raw field 2)."""
    functions = {}
    for number, wire, _, start, end in iter_fields(tail_fields):
        if number != 2 or wire != LENGTH:
            continue
        for f_number, f_wire, _, f_start, f_end in iter_fields(tail_fields, start, end):
            if f_number != 1 or f_wire != LENGTH:
                continue
            for s_number, s_wire, _, s_start, s_end in iter_fields(tail_fields, f_start, f_end):
                if s_number == 1 and s_wire == LENGTH:
                    signature = protos.OpDef.FromString(bytes(tail_fields[s_start:s_end]))
                    functions[signature.name] = OpSpec.from_op_def(signature)
    return functions


def _check_versions(tail_fields, release):
    """CheckVersions of the GraphDef's `versions` against the release's GraphDef version range: its producer."""
    graph = protos.GraphDef()
    graph.MergeFromString(b"".join(bytes(tail_fields[s:e]) for n, _, s, _, e in iter_fields(tail_fields)
                                   if n == 4))
    versions = graph.versions
    if versions.min_consumer > release.graph_def_version:
        raise _Refusal("the GraphDef says min_consumer %d; TensorFlow %s reads GraphDef versions up to %d"
                       % (versions.min_consumer, release.label, release.graph_def_version))
    if graph.HasField("versions") and versions.producer < release.min_producer:
        raise _Refusal("the GraphDef's producer version %d is below %d, the oldest TensorFlow %s reads"
                       % (versions.producer, release.min_producer, release.label))
    if release.graph_def_version in versions.bad_consumers:
        raise _Refusal("the GraphDef lists GraphDef version %d (TensorFlow %s) among its bad consumers"
                       % (release.graph_def_version, release.label))
    return versions.producer


class _Checker(object):
    """One pass over the planned nodes: each node's own rules, then its inputs against their sources.

    The OpDef rules depend only on a node's op and attrs: they run once per distinct (op, attrs).
    """

    def __init__(self, plan_nodes, release, registry, functions, source_nodes, producer=None):
        self.release = release
        self.producer = producer  # the GraphDef's producer version (None: not known here)
        self.registry = registry
        self.functions = functions
        self.plans = plans = {}
        for plan in plan_nodes:
            plan.types = None  # the memo is this release's
            plans[plan.name] = plan
        self.source_nodes = source_nodes
        self.parsed = {}
        self.signatures = {}

    def node_def(self, name):
        """The planned NodeDef: a copied node's is the source's (not held here: 10^6 of them cost 100s of MB)."""
        parsed = self.parsed.get(name)
        if parsed is None:
            plan = self.plans[name]
            if plan.kind == "copy":
                source = self.source_nodes.get(name)  # one look-up (10^6 nodes are read twice each)
                if source is not None:
                    return source
            parsed = protos.NodeDef.FromString(bytes(plan.data))
            self.parsed[name] = parsed
        return parsed

    def op_of(self, name):
        """The op a planned node has in the frozen graph (a variable's value becomes a Const)."""
        return "Const" if self.plans[name].kind == "const" else self.node_def(name).op

    def spec(self, op):
        if op in self.functions:
            return self.functions[op]
        history = self.registry.history(op)
        return history.spec(self.release.index) if history is not None else None

    def run(self):
        """Checks every planned node, then the shape functions of those that have one here.

        Sets ``unchecked``: the planned nodes not checked as the source has them (variables' Consts,
        edited nodes, ops the release lacks), for check_source_graph.
        """
        valid_name = _NODE_NAME.match
        check_inputs = self._check_inputs
        shaped = []
        unchecked = self.unchecked = []
        for name, plan in self.plans.items():
            if not valid_name(name):
                _fail(name, self.op_of(name),
                      "the name is not a valid TensorFlow node name (letters, digits, '.', '_', '-', '/', not "
                      "starting with '_', '-' or '/', not ending with '/')")
            if plan.kind == "const":
                unchecked.append(name)
                continue  # a variable's value: the writer builds a Const of its dtype and shape
            types = plan.types if plan.types is not None else self.node_types(name)
            if plan.kind != "copy" or not types:
                unchecked.append(name)
            if types:
                node = self.node_def(name)
                check_inputs(node, types[0])
                op = node.op
                if op == "Const":
                    _check_const(node)
                if "_output_shapes" in node.attr:
                    _check_output_shapes(node, len(types[1]))
                    if op in _FORWARDING:
                        self._check_forwarded_shapes(node)
                    if op in INFERRED_OPS:
                        shaped.append(name)  # its function's shapes against every entry recorded
                elif op in SHAPE_CHECKED_OPS:
                    shaped.append(name)
        if shaped:
            try:
                shapes = StaticShapes(self.plans, self.node_def, self.release.label, self.producer)
                shapes.check(shaped)
            except ShapeRefusal as exc:
                _fail(*exc.args)
        return self

    def _recorded_shape(self, text):
        """The `_output_shapes` entry of the tensor ``text`` ("node:port"), None when none is recorded."""
        source, port = (text, 0) if ":" not in text else (node_name(text), port_of(text))
        if self.plans[source].kind == "const":
            return None
        attrs = self.node_def(source).attr
        shapes = attrs["_output_shapes"].list.shape if "_output_shapes" in attrs else ()
        return shapes[port] if port < len(shapes) else None

    def _check_forwarded_shapes(self, node):
        """An op that forwards its input (Identity, Switch, Merge, Enter, Exit, ...) records an output shape
        TensorFlow's shape function made from that input's: the two are compatible, or an edge was changed
        and the graph fails when it runs (a shape TensorFlow's importer cannot see)."""
        produced = node.attr["_output_shapes"].list.shape[0]
        inputs = [t for t in node.input if t[:1] != "^"]
        for position, text in enumerate(inputs if node.op in ("Merge", "RefMerge") else inputs[:1]):
            recorded = self._recorded_shape(text)
            if recorded is not None and not _compatible(recorded, produced):
                _fail(node.name, node.op, "input %d reads %s, recorded as %s, but %s forwards it as %s (an input "
                      "edge changed? TensorFlow would fail running it)" % (position, quote(text), _shape_text(recorded),
                                                                         node.op, _shape_text(produced)))

    def node_types(self, name):
        """(input dtypes, output dtypes) of a planned node after its OpDef's rules, False for an unknown op."""
        plan = self.plans[name]
        if plan.types is not None:
            return plan.types
        if plan.kind == "const":
            result = ((), (plan.variable.dtype,))
        else:
            node = self.node_def(name)
            attrs = node.attr
            items = [(k, attrs[k].SerializeToString()) for k in attrs if k[:1] != "_"]
            if len(items) > 1:  # most nodes have one such attr (T): no sort, no generator per node
                items.sort()
            key = (node.op,) + tuple(items)
            if key not in self.signatures:
                spec = self.spec(node.op)
                result = False
                if spec is not None:
                    attrs = _effective_attrs(node, spec)
                    result = (_arg_types(spec.inputs, attrs, node), _arg_types(spec.outputs, attrs, node))
                self.signatures[key] = result
            result = self.signatures[key]
        plan.types = result
        return result

    def _check_inputs(self, node, expected):
        data, control = [], False
        for text in node.input:
            if text[:1] == "^":
                control = True
                if text[1:] not in self.plans:
                    _fail(node.name, node.op, "control input %s is not in the graph" % quote(text))
                continue
            if control:
                _fail(node.name, node.op, "data input %s comes after a control input" % quote(text))
            data.append(text)
        if len(data) != len(expected):
            _fail(node.name, node.op, "it has %d data input(s), its OpDef expects %d (%s)"
                  % (len(data), len(expected), ", ".join(dtypes.name(t) for t in expected) or "none"))
        for position, text in enumerate(data):
            source, port = (text, 0) if ":" not in text else (node_name(text), port_of(text))
            if source not in self.plans:
                _fail(node.name, node.op, "input %d reads %s, which is not in the graph" % (position, quote(text)))
            plan = self.plans[source]
            types = plan.types if plan.types is not None else self.node_types(source)
            if not types:
                continue
            outputs, want = types[1], expected[position]
            if port >= len(outputs):
                _fail(node.name, node.op, "input %d reads %s, but %s (%s) has %d output(s)"
                      % (position, quote(text), quote(source), self.op_of(source), len(outputs)))
            have = outputs[port]
            if have != want and (want > dtypes.REF_OFFSET or dtypes.base(have) != want):
                _fail(node.name, node.op, "input %d is %s from %s, but the op needs %s there"
                      % (position, dtypes.name(have), quote(text), dtypes.name(want)))


def _effective_attrs(node, spec):
    """{attr: AttrValue} after TF adds the OpDef's defaults; refuses attrs of the wrong kind or value."""
    attrs = {}
    for key, spec_attr in spec.attrs.items():
        if key in node.attr:
            value = node.attr[key]
            _check_attr(node, key, value, spec_attr)
            attrs[key] = value
        elif spec_attr.has_default:
            attrs[key] = spec_attr.default
        else:
            _fail(node.name, node.op, "required attr %s is missing" % quote(key))
    for key in node.attr:
        if not key.startswith("_") and key not in spec.attrs:
            _fail(node.name, node.op, "attr %s is not in the op's definition" % quote(key))
    return attrs


def _check_attr(node, key, value, spec_attr):
    """AttrValueHasType and the allowed values of ValidateAttrValue."""
    kind = value.WhichOneof("value")
    declared = spec_attr.type
    if declared.startswith("list("):
        inner = _KINDS.get(declared[5:-1])
        if kind not in (None, "list"):
            _fail(node.name, node.op, "attr %s holds a %s, its OpDef declares %s" % (quote(key), kind, declared))
        items = list(getattr(value.list, inner)) if inner else []
        for field in ("s", "i", "f", "b", "type", "shape", "tensor", "func"):
            if field != inner and len(getattr(value.list, field)):
                _fail(node.name, node.op, "attr %s holds a list of %s, its OpDef declares %s"
                      % (quote(key), field, declared))
    else:
        if kind != _KINDS.get(declared):
            _fail(node.name, node.op, "attr %s holds %s, its OpDef declares %s"
                  % (quote(key), "no value" if kind is None else "a " + kind, declared))
        items = [getattr(value, kind)]
    if declared in ("type", "list(type)"):
        check_types(node, key, items, spec_attr)
    if spec_attr.allowed_strings is not None:
        for item in items:
            if item not in spec_attr.allowed_strings:
                _fail(node.name, node.op, "attr %s is %s, not one of %s" % (
                    quote(key), quote(item), ", ".join(sorted(quote(s) for s in spec_attr.allowed_strings))))


def check_types(node, key, items, spec_attr):
    """The dtypes a type attr holds are valid, not refs, and among those its OpDef allows."""
    for item in items:
        if not dtypes.is_valid(item) or dtypes.is_ref(item):
            _fail(node.name, node.op, "attr %s holds the invalid type %s" % (quote(key), dtypes.name(item)))
        if spec_attr.allowed_types is not None and item not in spec_attr.allowed_types:
            _fail(node.name, node.op, "attr %s is %s, not one of the types the op allows (%s)"
                  % (quote(key), dtypes.name(item), ", ".join(sorted(dtypes.name(t) for t in spec_attr.allowed_types))))


def _arg_types(args, attrs, node):
    """The dtypes (refs as +100) an OpDef's inputs or outputs have for these attrs (InOutTypesForNode)."""
    types = []
    for arg in args:
        if arg.list_attr is not None:
            found = list(attrs[arg.list_attr].list.type) if arg.list_attr in attrs else []
        else:
            dtype = arg.dtype if arg.dtype is not None else (attrs[arg.type_attr].type
                                                             if arg.type_attr in attrs else dtypes.DT_INVALID)
            count = 1
            if arg.number_attr is not None:
                count = attrs[arg.number_attr].i if arg.number_attr in attrs else 0
                if count < 0 or count > 1 << 20:
                    _fail(node.name, node.op, "attr %s is %d" % (quote(arg.number_attr), count))
            found = [dtype] * count
        types.extend(dtypes.base(t) + (dtypes.REF_OFFSET if arg.is_ref else 0) for t in found)
    return types


def _check_const(node):
    """What the Const kernel needs: a value tensor Tensor::FromProto reads, of the declared dtype."""
    problem = dtypes.proto_problem(node.attr["value"].tensor, node.attr["dtype"].type, _CONST_LIMIT)
    if problem is not None:
        _fail(node.name, node.op, problem)


# Ops whose output 0 is their (first, for Merge every) data input passed on: their shape functions give it that
# input's shape (Merge: the shape every input is compatible with).
_FORWARDING = frozenset(["Identity", "RefIdentity", "Snapshot", "StopGradient", "PreventGradient", "Switch",
                         "RefSwitch", "Merge", "RefMerge", "Enter", "RefEnter", "Exit", "RefExit", "NextIteration",
                         "RefNextIteration"])


def _compatible(first, second):
    """Whether two TensorShapeProtos can describe the same tensor (unknown rank or dims match anything)."""
    if first.unknown_rank or second.unknown_rank:
        return True
    if len(first.dim) != len(second.dim):
        return False
    return all(a.size < 0 or b.size < 0 or a.size == b.size for a, b in zip(first.dim, second.dim))


def _shape_text(shape):
    if shape.unknown_rank:
        return "unknown"
    return "[%s]" % ",".join("?" if d.size < 0 else str(d.size) for d in shape.dim)


def _check_output_shapes(node, outputs):
    """What TF 1.x's importer does with a node's `_output_shapes`: one shape per output, each merged with
    the shape TensorFlow infers (for a Const, its value's shape; other ops need TF's shape functions)."""
    recorded = node.attr["_output_shapes"]
    shapes = recorded.list.shape if recorded.WhichOneof("value") == "list" else ()
    if len(shapes) < outputs:
        _fail(node.name, node.op, "attr '_output_shapes' records %d shape(s) for %d output(s)" % (len(shapes), outputs))
    if node.op == "Const" and outputs and not shapes[0].unknown_rank:
        value = [d.size for d in node.attr["value"].tensor.tensor_shape.dim]
        wanted = [d.size for d in shapes[0].dim]
        if len(value) != len(wanted) or any(w >= 0 and w != v for v, w in zip(value, wanted)):
            _fail(node.name, node.op, "attr '_output_shapes' records the shape [%s], its value tensor has shape [%s]"
                  % (",".join(str(d) for d in wanted), ",".join(str(d) for d in value)))
