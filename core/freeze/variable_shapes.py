"""A frozen variable's shapes as TensorFlow's restore of the SAME files sees them.

The freeze turns a variable into a Const of its checkpoint value, but TensorFlow restoring the source
imports the variable node and runs its kernel and the saver's Assign first. Measured on TF 1.4.0 and
2.21 alike (tests/core/test_variable_shapes.py asks the installed one), that refuses:
  - a recorded `_output_shapes` the variable's shape function contradicts (a VariableV2's is its shape
    attr, a VarHandleOp's a scalar handle), or a reader's (its Identity, a ReadVariableOp) that
    contradicts the shape the variable declares;
  - a VariableV2 shape attr of known rank with an unknown dim: its kernel needs a TensorShape
    ("Shape [?] is not fully defined");
  - a restore Assign with validate_shape=true whose value's shape is not the one the variable holds
    (its shape attr; a scalar when that is of unknown rank).
"""

from core.errors import ModelError, quote
from core.formats.node_table import node_table
from core.freeze.shape_rules import _text
from core.names import node_name

_REF_VARIABLES = frozenset(["Variable", "VariableV2"])
_READERS = frozenset(["Identity", "RefIdentity", "Snapshot", "ReadVariableOp"])


def _dims(proto):
    """A TensorShapeProto as a tuple of dims (-1 unknown), None for unknown rank or a malformed dim."""
    if proto.unknown_rank:
        return None
    dims = tuple(int(d.size) for d in proto.dim)
    return None if any(d < -1 for d in dims) else dims


def _compatible(a, b):
    return a is None or b is None or (len(a) == len(b) and all(x < 0 or y < 0 or x == y for x, y in zip(a, b)))


def _recorded(node):
    shapes = node.attr["_output_shapes"].list.shape if "_output_shapes" in node.attr else ()
    return _dims(shapes[0]) if shapes else None


def declared_shape(node):
    """The shape a variable's reads have in TensorFlow: its shape attr (a legacy Variable's scalar is unknown),
    None when unknown. The handle's own output is a scalar for a VarHandleOp; this is the value's shape."""
    if "shape" not in node.attr or node.attr["shape"].WhichOneof("value") != "shape":
        return None
    dims = _dims(node.attr["shape"].shape)
    return None if node.op == "Variable" and not dims else dims


def check_variable_shapes(model, variables, keep, restoring, path=None):
    """Refuses a freeze whose variables TensorFlow would not import or restore as the source declares them.

    Args:
        model: the loaded Model; variables: name -> VariableValue (its ``shape`` is what the restore gives);
        keep: the kept node names (their readers are checked); restoring: the saver's restore nodes.
    Raises:
        ModelError: naming the variable or its reader, both shapes and the rule.
    """
    if not variables:
        return
    table = node_table(model.graph_def)
    nodes = table.nodes
    assigns = _restore_assigns(restoring, nodes, variables)
    for name in sorted(variables):
        _check_variable(nodes[name], variables[name], assigns.get(name), path)
    for position in table.port0_readers(list(variables)):
        reader = table.names[position]
        if reader in keep and table.ops[position] in _READERS:
            source = node_name(table.inputs(position)[0])
            if source in variables:
                _check_reader(nodes[reader], nodes[source], path)


def _restore_assigns(restoring, nodes, variables):
    """variable name -> the saver's Assign restoring it (ref variables: the one whose validate_shape counts)."""
    found = {}
    for name in restoring:
        node = nodes.get(name)
        if node is not None and node.op == "Assign" and node.input and node.input[0] in variables:
            found[node.input[0]] = node
    return found


def _fail(node, rule, path):
    raise ModelError("TensorFlow would not restore these files: variable %s (%s): %s"
                     % (quote(node.name), node.op, rule), path)


def _check_variable(node, value, assign, path):
    recorded = _recorded(node)
    if node.op == "VarHandleOp":
        if recorded is not None and recorded != ():
            _fail(node, "attr '_output_shapes' records %s for the handle, which is a scalar (TensorFlow's importer "
                        "refuses the two)" % _text(recorded), path)
        return
    if node.op not in _REF_VARIABLES:
        return
    declared = declared_shape(node)
    if not _compatible(recorded, declared):
        _fail(node, "attr '_output_shapes' records %s, its shape attr says %s (TensorFlow's importer refuses the "
                    "two)" % (_text(recorded), _text(declared)), path)
    if declared is not None and any(d < 0 for d in declared):
        _fail(node, "its shape attr %s is not fully defined: TensorFlow's variable kernel refuses to run, so the "
                    "saver cannot restore it" % _text(declared), path)
    if assign is None or value.shape is None:
        return
    validate = assign.attr["validate_shape"].b if "validate_shape" in assign.attr else True
    holds = declared if declared is not None else ()
    if validate and tuple(value.shape) != holds:
        _fail(node, "its restore %s checks shapes (validate_shape) and the variable holds %s%s, the checkpoint "
                    "gives %s" % (quote(assign.name), _text(holds),
                                  " (its shape attr is of unknown rank)" if declared is None else "",
                                  _text(tuple(value.shape))), path)


def _check_reader(reader, variable, path):
    if (variable.op == "VarHandleOp") != (reader.op == "ReadVariableOp"):
        return  # an Identity of a handle forwards the scalar handle, not the value
    recorded = _recorded(reader)
    declared = declared_shape(variable)
    if not _compatible(recorded, declared):
        raise ModelError("TensorFlow would not restore these files: node %s (%s): attr '_output_shapes' records %s, "
                         "but it reads variable %s, whose shape attr says %s (TensorFlow's importer refuses the two)"
                         % (quote(reader.name), reader.op, _text(recorded), quote(variable.name), _text(declared)),
                         path)
