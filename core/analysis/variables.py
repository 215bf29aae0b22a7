"""The model's variables with their checkpoint keys, dtypes, shapes and sizes."""

import collections

from core.formats import dtypes
from core.formats.saver_map import VARIABLE_OPS, fallback_key, variable_sources


class VariableInfo(collections.namedtuple(
        "VariableInfo", "name op dtype shape key nbytes in_checkpoint trainable partition")):
    """One variable node. shape: list of ints (-1 unknown) or None; partition: slice text or ""."""


def _collection(meta_graph, key):
    if meta_graph is None or key not in meta_graph.collection_def:
        return set()
    values = set()
    collection = meta_graph.collection_def[key]
    kind = collection.WhichOneof("kind")
    if kind == "node_list":
        values.update(v.split(":")[0] for v in collection.node_list.value)
    elif kind == "bytes_list":
        # VariableDef protos: field 1 is the variable name ("w:0").
        from core.formats.wire import iter_fields
        for raw in collection.bytes_list.value:
            try:
                for number, _, _, start, end in iter_fields(raw):
                    if number == 1:
                        values.add(raw[start:end].decode("utf-8").split(":")[0])
                        break
            except ValueError:
                continue
    return values


def list_variables(graph_def, meta_graph=None, checkpoint=None):
    """Lists variable nodes in graph order.

    Returns:
        list of VariableInfo.
    """
    sources = variable_sources(graph_def)
    trainable = _collection(meta_graph, "trainable_variables")
    result = []
    for node in graph_def.node:
        if node.op not in VARIABLE_OPS:
            continue
        source = sources.get(node.name)
        key = source.key if source else fallback_key(node)
        shape = None
        if "shape" in node.attr and not node.attr["shape"].shape.unknown_rank:
            shape = [int(d.size) for d in node.attr["shape"].shape.dim]
        partition = ""
        nbytes = None
        in_checkpoint = False
        if checkpoint is not None and key in checkpoint:
            in_checkpoint = True
            entry = checkpoint.entry(key)
            nbytes = entry.nbytes
            if source is not None and source.region is not None:
                full, starts, lengths = source.region
                partition = ":".join("%d,%d" % (s, l) for s, l in zip(starts, lengths))
                total = 1
                for d in full:
                    total *= d
                part = 1
                for d in lengths:
                    part *= d
                nbytes = entry.nbytes * part // total if total else 0
        result.append(VariableInfo(node.name, node.op, dtypes.name(node.attr["dtype"].type),
                                   shape, key, nbytes, in_checkpoint, node.name in trainable,
                                   partition))
    return result
