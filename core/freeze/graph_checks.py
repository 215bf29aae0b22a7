"""Checks a freeze makes on the nodes it keeps: ops the meta graph lists, no cycles, sane shapes."""

import collections

from core.errors import ModelError, quote
from core.names import node_name


def check_kept_nodes(model, keep, nodes, index, edits, effective_inputs, path):
    """Refuses what TensorFlow would refuse to load in the nodes a freeze keeps.

    Args:
        model: the Model; keep: kept node names; nodes: name -> NodeDef (with edits);
        index: name -> position in the source graph; edits: GraphEdits;
        effective_inputs: callable(node, edits) -> the node's inputs in the frozen graph.
    Raises:
        ModelError: an op missing from the meta graph's op list, a cycle, a bad shape or Const.
    """
    _check_ops_listed(model, keep, index, edits, path)
    _refuse_cycles(keep, nodes, edits, effective_inputs, path)
    for name in keep:
        if name in index and name not in edits.replaced:
            _check_attrs(model.graph_def.node[index[name]], path)


def _check_ops_listed(model, keep, index, edits, path):
    """A kept node's op must be in the meta graph's op list (written with the graph)."""
    meta = model.meta_graph
    if meta is None or not meta.meta_info_def.stripped_op_list.op:
        return
    listed = set(op.name for op in meta.meta_info_def.stripped_op_list.op)
    for name in keep:
        if name in index and name not in edits.replaced:
            op = model.graph_def.node[index[name]].op
            if op not in listed:
                raise ModelError("node %s has op %s, which the meta graph's own op list does not have "
                                 "(corrupt graph?)" % (quote(name), quote(op)), path)


_BACK_EDGE_SOURCES = frozenset(["NextIteration", "RefNextIteration"])


def _refuse_cycles(keep, nodes, edits, effective_inputs, path):
    """TensorFlow refuses a graph whose nodes form a cycle other than a loop's back edge.

    As TensorFlow's importer does, a Merge is ready once its inputs from outside the
    loop body are (the NextIteration back edges are not waited for).
    """
    pending = {}
    readers = collections.defaultdict(list)
    for name in keep:
        node = nodes[name]
        merge = node.op in ("Merge", "RefMerge")
        count = 0
        for inp in effective_inputs(node, edits):
            source = node_name(inp)
            if merge and nodes[source].op in _BACK_EDGE_SOURCES:
                continue
            readers[source].append(name)
            count += 1
        pending[name] = count
    ready = [name for name, count in pending.items() if count == 0]
    done = 0
    while ready:
        name = ready.pop()
        done += 1
        for reader in readers.get(name, ()):
            pending[reader] -= 1
            if pending[reader] == 0:
                ready.append(reader)
    if done < len(keep):
        stuck = sorted(name for name, count in pending.items() if count > 0)
        raise ModelError("%d nodes the outputs need form a cycle, for example %s (corrupt graph?)"
                         % (len(stuck), quote(stuck[0])), path)


_ITEMSIZE = {1: 4, 2: 8, 3: 4, 4: 1, 5: 2, 6: 1, 8: 8, 9: 8, 10: 1, 11: 1, 12: 1, 13: 4, 14: 2, 15: 2,
             16: 2, 17: 2, 18: 16, 19: 2, 22: 4, 23: 8}


def _check_shape(node, key, shape, path, allow_unknown=True):
    low = -1 if allow_unknown else 0
    for dim in shape.dim:
        if dim.size < low:
            raise ModelError("node %s: attr %s holds the invalid dimension %d (corrupt graph?)"
                             % (quote(node.name), quote(key), dim.size), path)


def _check_attrs(node, path):
    """Shapes with dimensions below -1, Const tensors whose bytes disagree with their shape."""
    for key, value in node.attr.items():
        kind = value.WhichOneof("value")
        if kind == "shape":
            _check_shape(node, key, value.shape, path)
        elif kind == "list" and len(value.list.shape):
            for shape in value.list.shape:
                _check_shape(node, key, shape, path)
        elif kind == "tensor":
            _check_tensor(node, key, value.tensor, path)


def _check_tensor(node, key, tensor, path):
    _check_shape(node, key, tensor.tensor_shape, path, allow_unknown=False)
    if not tensor.tensor_content:
        return
    itemsize = _ITEMSIZE.get(tensor.dtype)
    count = 1
    for dim in tensor.tensor_shape.dim:
        count *= dim.size
    if itemsize is not None and len(tensor.tensor_content) != count * itemsize:
        raise ModelError("node %s: attr %s holds %d bytes of tensor data for %d values (corrupt graph?)"
                         % (quote(node.name), quote(key), len(tensor.tensor_content), count), path)
