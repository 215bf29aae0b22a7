"""The freeze stage: a FreezeRequest -> its edits -> the plan -> the frozen graph on disk."""

import time

from core.errors import ModelError, quote
from core.formats import dtypes
from core.formats.node_table import node_table

_PLACEHOLDER_OPS = ("PlaceholderWithDefault", "Placeholder", "PlaceholderV2")


def fixed_values(model, request):
    """The placeholder values a request fixes: inference-mode defaults, then the explicit ones.

    Args:
        model: core.formats.model.Model.
        request: core.freeze.request.FreezeRequest.
    Returns:
        dict placeholder name -> Python value.
    Raises:
        ModelError: a value for something that is not a placeholder, or one that does not fit it.
    """
    from core.analysis.training_switches import find_training_switches
    values = {}
    if request.inference:
        for switch in find_training_switches(model.graph_def):
            if switch.default is not None:
                values[switch.name] = switch.default
    nodes = None
    for name, value in sorted(request.values.items()):
        if nodes is None:
            nodes = node_table(model.graph_def).nodes
        node = nodes.get(name.split(":")[0])
        if node is None or node.op not in _PLACEHOLDER_OPS:
            raise ModelError("no placeholder named %s in the graph" % quote(name), model.location.model_file)
        values[node.name] = placeholder_value(node, value, model.location.model_file)
    return values


def placeholder_value(node, value, path=None):
    """A value for a placeholder, checked against its dtype and shape (text parsed by its dtype).

    Only a scalar can be given, so the placeholder must accept one: a shape of rank 0 or an unknown rank.

    Raises:
        ModelError: naming the placeholder, its dtype and shape, and what does not fit.
    """
    from core.analysis.training_switches import parse_switch_value
    dtype = node.attr["dtype"].type
    if dtype == dtypes.DT_STRING or dtypes.value_field(dtype) is None:
        raise ModelError("placeholder %s is %s: only numbers and booleans can be fixed"
                         % (quote(node.name), dtypes.name(dtype)), path)
    shape = node.attr["shape"].shape if "shape" in node.attr else None
    if shape is not None and not shape.unknown_rank and len(shape.dim):
        dims = "[%s]" % ",".join("?" if d.size < 0 else str(d.size) for d in shape.dim)
        raise ModelError("placeholder %s has shape %s: fixing it to one value needs a scalar placeholder "
                         "(a data input is fed, not fixed)" % (quote(node.name), dims), path)
    if isinstance(value, str):
        try:
            return parse_switch_value(value, dtypes.name(dtype))
        except ModelError as exc:
            raise ModelError("--set %s: %s" % (node.name, exc.message), path)
    if dtype == dtypes.DT_BOOL:
        if not isinstance(value, bool):
            raise ModelError("placeholder %s is bool; %r is not" % (quote(node.name), value), path)
    elif dtype not in dtypes.FLOATING and isinstance(value, float) and value != int(value):
        raise ModelError("placeholder %s is %s; %r is not an integer" % (quote(node.name), dtypes.name(dtype), value),
                         path)
    return value


def request_edits(model, request, values=None):
    """The GraphEdits a request applies on top of the source graph (None when there are none): input
    cuts, then the fixed placeholders and the control flow they fold away."""
    from core.freeze.switch_folding import fold_training_switches
    values = fixed_values(model, request) if values is None else values
    edits = None
    if request.input_cuts:
        from core.freeze.input_cuts import cut_inputs
        edits = cut_inputs(model.graph_def, request.input_cuts, model.meta_graph, request.outputs,
                           model.location.model_file)
    if not values:
        return edits
    switches = fold_training_switches(model.graph_def, values)
    return switches if edits is None else edits.merge(switches)


def missing_variables(model, request):
    """The variables a request's outputs need that nothing restores (the saver skips them or the
    checkpoint lacks them): core.freeze.variable_values.MissingVariable list, each saying whether
    --init-missing can give it its initializer's value."""
    from core.freeze.plan import kept_nodes
    from core.freeze.variable_values import missing_report
    kept = kept_nodes(model, request.outputs, request_edits(model, request))
    return missing_report(model, kept.variable_nodes(), request.saver)


def plan_request(model, request, cancel=None, values=None):
    """The core.freeze.plan.FreezePlan of a request, nothing written."""
    from core.freeze.plan import plan_freeze
    return plan_freeze(model, request.outputs, keep_devices=request.keep_devices,
                       edits=request_edits(model, request, values), cancel=cancel, target_tf=request.target_tf,
                       saver=request.saver, init_missing=request.init_missing)


def freeze_request(model, request, progress=None, cancel=None):
    """Runs a FreezeRequest on an opened model: plans it and writes the frozen graph.

    Args:
        model: core.formats.model.Model.
        request: core.freeze.request.FreezeRequest (destination None: `frozen_model.pb` beside the model).
        progress: optional callable(done_bytes, total_bytes, message).
        cancel: optional callable returning True to stop; nothing is left behind.
    Returns:
        core.freeze.writer.FreezeReport, with ``fixed`` the placeholder values it fixed.
    Raises:
        ModelError, Cancelled.
    """
    from core.freeze.writer import write_plan
    started = time.time()
    values = fixed_values(model, request)
    destination = request.destination or model.default_output_path()
    plan = plan_request(model, request, cancel=cancel, values=values)
    report = write_plan(plan, destination, progress=progress, cancel=cancel, started=started)
    return report._replace(fixed=values)


def plan_and_write(model, outputs, destination, progress=None, cancel=None, **options):
    """Plans the freeze of ``outputs`` (options as core.freeze.plan.plan_freeze takes them, edits
    included) and writes it to ``destination``: core.freeze.writer.FreezeReport."""
    from core.freeze.plan import plan_freeze
    from core.freeze.writer import write_plan
    started = time.time()
    plan = plan_freeze(model, outputs, cancel=cancel, **options)
    return write_plan(plan, destination, progress=progress, cancel=cancel, started=started)
