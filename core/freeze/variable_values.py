"""The checkpoint value behind each variable a freeze turns into a Const, checked against the graph."""

import collections

from core.errors import ModelError, quote
from core.formats import dtypes
from core.formats.saver_map import fallback_key, variable_sources
from core.freeze.missing import check_all_present


class VariableValue(collections.namedtuple(
        "VariableValue", "name key region dtype shape nbytes via_saver")):
    """A variable the freeze turns into a Const, and where its value comes from."""


def variable_values(model, variable_nodes):
    """Finds each needed variable's checkpoint entry and checks dtype and shape."""
    if not variable_nodes:
        return {}
    reader = model.checkpoint
    names = ", ".join(sorted(n.name for n in variable_nodes)[:5])
    if reader is None:
        raise ModelError("the outputs need %d variable(s) (%s) but there is no checkpoint to read "
                         "their values from" % (len(variable_nodes), names), model.location.model_file)
    sources = variable_sources(model.graph_def)
    variable_nodes = sorted(variable_nodes, key=lambda n: n.name)
    check_all_present(variable_nodes, sources, reader)
    result = {}
    for node in variable_nodes:
        source = sources.get(node.name)
        key = source.key if source else fallback_key(node)
        region = source.region if source else None
        entry = reader.entry(key)
        dtype = node.attr["dtype"].type
        if entry.dtype != dtype:
            raise ModelError(
                "variable %s is %s in the graph but checkpoint tensor %s is %s"
                % (quote(node.name), dtypes.name(dtype), quote(key), dtypes.name(entry.dtype)),
                reader.index_path)
        if region is not None:
            full_shape, starts, lengths = region
            if list(entry.shape) != list(full_shape):
                raise ModelError("checkpoint tensor %s has shape %s but the saver expects %s"
                                 % (quote(key), list(entry.shape), full_shape), reader.index_path)
            shape = list(lengths)
            itemsize = entry.nbytes // max(1, _count(entry.shape)) if _count(entry.shape) else 0
            nbytes = _count(shape) * itemsize
        else:
            shape = list(entry.shape)
            nbytes = entry.nbytes
        graph_shape = _declared_shape(node)
        if graph_shape is not None and graph_shape != shape:
            raise ModelError(
                "variable %s has shape %s in the graph but checkpoint tensor %s has shape %s"
                % (quote(node.name), graph_shape, quote(key), shape), reader.index_path)
        result[node.name] = VariableValue(node.name, key, region, dtype, shape, nbytes,
                                          bool(source))
    return result


def _count(shape):
    total = 1
    for dim in shape:
        total *= dim
    return total


def _declared_shape(node):
    if "shape" not in node.attr:
        return None
    shape = node.attr["shape"].shape
    if shape.unknown_rank or any(d.size < 0 for d in shape.dim):
        return None
    return [d.size for d in shape.dim]
