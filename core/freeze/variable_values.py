"""The value behind each variable a freeze turns into a Const: the checkpoint tensor the saver restores
into it (checked against the graph), or with --init-missing its initializer's value."""

import collections

from core.errors import ModelError, quote
from core.formats import dtypes
from core.formats.saver_map import choose_saver
from core.freeze.missing import checkpoint_key, missing_variables, refuse_missing


class VariableValue(collections.namedtuple(
        "VariableValue", "name key region dtype shape nbytes via_saver initial")):
    """A variable the freeze turns into a Const, and where its value comes from.

    key/region: the checkpoint tensor (and partition) it is restored from; None for an initial value.
    initial: core.freeze.initial_values.InitialValue when --init-missing gave it its initializer's value.
    """


VariableValue.__new__.__defaults__ = (None,)


class MissingVariable(collections.namedtuple("MissingVariable", "name key initializer reason")):
    """A variable the outputs need that nothing restores.

    key: the checkpoint key the saver reads it from (absent from the checkpoint), or None when the saver
        does not restore it; initializer: "zeros", "ones" or "constant" when --init-missing can give it its
        initializer's value, else None; reason: why it cannot (the op that needs TensorFlow), or "".
    """


def variable_values(model, variable_nodes, saver=None, init_missing=False):
    """Finds each needed variable's value: the checkpoint entry its saver restores, dtype and shape checked.

    Args:
        model: core.formats.model.Model.
        variable_nodes: the variable NodeDefs the outputs need.
        saver: a saver's name (see core.formats.saver_map.choose_saver); None for saver_def's.
        init_missing: give a variable nothing restores its initializer's value, when computable.
    Returns:
        dict variable name -> VariableValue.
    Raises:
        ModelError: a variable nothing restores (unless its initial value is computable and asked for),
            a restore path that changes the value, a dtype or shape that disagrees.
    """
    if not variable_nodes:
        return {}
    path = model.location.model_file
    reader = model.checkpoint
    chosen = choose_saver(model.graph_def, model.meta_graph, saver, path)
    variable_nodes = sorted(variable_nodes, key=lambda n: n.name)
    for node in variable_nodes:
        if chosen is not None and node.name in chosen.problems:
            raise ModelError("cannot freeze variable %s: %s" % (quote(node.name), chosen.problems[node.name]), path)
    missing = missing_variables(variable_nodes, chosen, reader)
    result = {}
    if missing:
        result.update(_initial_values(model, variable_nodes, missing, chosen, init_missing))
    for node in variable_nodes:
        if node.name not in result:
            result[node.name] = _checkpoint_value(node, chosen, reader)
    return result


def missing_report(model, variable_nodes, saver=None):
    """The needed variables nothing restores, each with whether --init-missing can initialise it.

    Returns:
        list of MissingVariable, sorted by name.
    """
    from core.freeze.initial_values import NotComputable, initial_value
    chosen = choose_saver(model.graph_def, model.meta_graph, saver, model.location.model_file)
    nodes = dict((n.name, n) for n in model.graph_def.node)
    by_name = dict((n.name, n) for n in variable_nodes)
    result = []
    for name, key in sorted(missing_variables(variable_nodes, chosen, model.checkpoint)):
        try:
            value = initial_value(by_name[name], nodes, model.meta_graph)
            result.append(MissingVariable(name, key, value.description, ""))
        except NotComputable as exc:
            result.append(MissingVariable(name, key, None, str(exc)))
    return result


def _initial_values(model, variable_nodes, missing, chosen, init_missing):
    """VariableValues from initializers for the missing variables, or the refusal naming them."""
    path = model.location.model_file
    reader = model.checkpoint
    if reader is None and not init_missing:
        names = ", ".join(n.name for n in variable_nodes[:5])
        raise ModelError("the outputs need %d variable(s) (%s) but there is no checkpoint to read their values "
                         "from" % (len(variable_nodes), names), path)
    report = missing_report(model, variable_nodes, chosen.name if chosen is not None else None)
    computable = [m for m in report if m.initializer is not None]
    if not init_missing:
        hint = ""
        if computable:
            which = ("it its" if len(report) == 1 else "them their" if len(computable) == len(report)
                     else "%d of them their" % len(computable))
            hint = ("; --init-missing gives %s initializer's value (%s)"
                    % (which, ", ".join("%s: %s" % (m.name, m.initializer) for m in computable[:3])))
        refuse_missing(missing, len(variable_nodes), chosen, reader, hint)
    refused = [m for m in report if m.initializer is None]
    if refused:
        raise ModelError("--init-missing cannot initialise %d variable(s) nothing restores: %s"
                         % (len(refused), "; ".join("%s: %s" % (quote(m.name), m.reason) for m in refused[:3])), path)
    return _computed_values(model, [m.name for m in report])


def _computed_values(model, names):
    from core.freeze.initial_values import initial_value
    nodes = dict((n.name, n) for n in model.graph_def.node)
    result = {}
    for name in names:
        value = initial_value(nodes[name], nodes, model.meta_graph)
        array = value.array
        nbytes = array.size * (dtypes.itemsize(nodes[name].attr["dtype"].type) or 0)
        result[name] = VariableValue(name, None, None, nodes[name].attr["dtype"].type, list(array.shape), nbytes,
                                     False, value)
    return result


def _checkpoint_value(node, chosen, reader):
    """The VariableValue of a variable restored from the checkpoint, dtype and shape checked."""
    key = checkpoint_key(node, chosen)
    source = chosen.sources.get(node.name) if chosen is not None else None
    region = source.region if source else None
    entry = reader.entry(key)
    dtype = node.attr["dtype"].type
    if entry.dtype != dtype:
        raise ModelError("variable %s is %s in the graph but checkpoint tensor %s is %s"
                         % (quote(node.name), dtypes.name(dtype), quote(key), dtypes.name(entry.dtype)),
                         reader.index_path)
    if region is not None:
        full_shape, starts, lengths = region
        if list(entry.shape) != list(full_shape):
            raise ModelError("checkpoint tensor %s has shape %s but the saver expects %s"
                             % (quote(key), list(entry.shape), full_shape), reader.index_path)
        shape = list(lengths)
        count = dtypes.element_count(entry.shape)
        itemsize = entry.nbytes // max(1, count) if count else 0
        nbytes = dtypes.element_count(shape) * itemsize
    else:
        shape = list(entry.shape)
        nbytes = entry.nbytes
    graph_shape = dtypes.known_dims(node.attr["shape"].shape) if "shape" in node.attr else None
    if graph_shape is not None and graph_shape != shape:
        raise ModelError("variable %s has shape %s in the graph but checkpoint tensor %s has shape %s"
                         % (quote(node.name), graph_shape, quote(key), shape), reader.index_path)
    return VariableValue(node.name, key, region, dtype, shape, nbytes, bool(source))

