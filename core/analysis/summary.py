"""A model at a glance: node count, op histogram, parameters, bytes, estimated frozen size."""

import collections

from core.formats.saver_map import VARIABLE_OPS


class Summary(collections.namedtuple(
        "Summary", "nodes ops variables parameters parameter_bytes frozen_estimate")):
    """ops: list of (op type, count) most frequent first; frozen_estimate: bytes or None."""


def summarize(model, roles, variable_bytes=None, outputs=None):
    """Builds a Summary.

    Args:
        model: GraphModel.
        roles: Roles.
        variable_bytes: dict variable name -> bytes in the checkpoint.
        outputs: chosen output names, for the frozen-size estimate.
    Returns:
        Summary (parameters and bytes leave out optimizer slots).
    """
    histogram = collections.Counter(model.ops).most_common()
    names = [model.names[i] for i in range(len(model)) if model.ops[i] in VARIABLE_OPS]
    parameters = 0
    nbytes = 0
    for name in names:
        node = model.node(name)
        if "shape" in node.attr and not node.attr["shape"].shape.unknown_rank:
            count = 1
            for d in node.attr["shape"].shape.dim:
                count *= max(d.size, 0)
            if roles is None or roles.role[model.index(name)] != "training":
                parameters += count
        if variable_bytes and name in variable_bytes and variable_bytes[name] is not None:
            if roles is None or roles.role[model.index(name)] != "training":
                nbytes += variable_bytes[name]
    estimate = None
    if outputs:
        kept = model.ancestors([o.split(":")[0].lstrip("^") for o in outputs if o.split(":")[0].lstrip("^") in model])
        estimate = 0
        for name in kept:
            node = model.node(name)
            if node.op in VARIABLE_OPS:
                estimate += (variable_bytes or {}).get(name) or 0
                estimate += 40 + len(name)
            else:
                estimate += node.ByteSize() + 3
    return Summary(len(model), histogram, len(names), parameters, nbytes, estimate)
