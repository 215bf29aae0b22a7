"""The pipeline both fronts run: path -> opened and analysed model -> frozen graph on disk.

Every long call takes ``progress`` (a callable ``(done, total, message)``; total 0 means
"busy, no fraction") and ``cancel`` (a callable returning True to stop) as keyword arguments.
"""

import gc
import logging

from core.errors import Cancelled, ModelError

log = logging.getLogger(__name__)


class LoadedModel(object):
    """A model opened and analysed: all the window and `inspect` show.

    Attributes:
        model: core.formats.model.Model (location, graph, checkpoint reader).
        analysis: core.analysis.insight.GraphAnalysis.
        variables: dict variable name -> core.analysis.variables.VariableInfo.
    """

    def __init__(self, model, analysis, variables):
        self.model = model
        self.analysis = analysis
        self.variables = variables

    def variable_bytes(self):
        """dict variable name -> bytes in the checkpoint (variables the checkpoint holds)."""
        return dict((v.name, v.nbytes) for v in self.variables.values() if v.nbytes is not None)

    def close(self):
        self.model.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _stage(progress, cancel, done, message):
    if cancel is not None and cancel():
        raise Cancelled()
    if progress is not None:
        progress(done, 100, message)


class _paused_gc(object):
    """Pauses the cyclic GC: a load allocates millions of objects, and a full collection in the
    middle of it holds the GIL for a second or more in a big process (the window would freeze)."""

    def __enter__(self):
        self._was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self._was:
            gc.enable()


def load(path, progress=None, cancel=None, checkpoint=None, tags=None):
    """Opens the model at ``path`` (any of its files or its folder) and analyses it.

    Returns:
        LoadedModel; close it (or use it as a context manager) when done.
    Raises:
        ModelError: naming the file and what is wrong.
        Cancelled: when ``cancel`` said so.
    """
    from core.analysis.insight import analyze
    from core.analysis.variables import list_variables
    from core.formats.model import open_model
    with _paused_gc():
        _stage(progress, cancel, 0, "reading the model")
        model = open_model(path, checkpoint=checkpoint, tags=tags, progress=lambda message: _stage(
            progress, cancel, 20 if message.startswith("reading checkpoint") else 5, message))
        try:
            _stage(progress, cancel, 30, "indexing %d nodes" % len(model.graph_def.node))
            steps = {"finding roles": 45, "ranking outputs": 62}
            analysis = analyze(model.graph_def, model.meta_graph,
                               progress=lambda message: _stage(progress, cancel, steps.get(message, 50), message))
            _stage(progress, cancel, 75, "listing variables")
            variables = list_variables(model.graph_def, model.meta_graph, model.checkpoint)
            _stage(progress, cancel, 85, "building the scope tree")
            analysis.scope_tree  # built here, off the GUI thread
            _stage(progress, cancel, 100, "ready")
        except BaseException:
            model.close()
            raise
    return LoadedModel(model, analysis, dict((v.name, v) for v in variables))


def fixed_values(model, request):
    """The placeholder values a request fixes: inference-mode defaults, then the explicit ones.

    Returns:
        dict placeholder name -> Python value.
    Raises:
        ModelError: a value for something that is not a placeholder, or that does not parse.
    """
    from core.analysis.training_switches import find_training_switches, parse_switch_value
    from core.formats import protos
    values = {}
    if request.inference:
        for switch in find_training_switches(model.graph_def):
            if switch.default is not None:
                values[switch.name] = switch.default
    nodes = None
    for name, value in sorted(request.values.items()):
        if nodes is None:
            nodes = dict((n.name, n) for n in model.graph_def.node)
        node = nodes.get(name.split(":")[0])
        if node is None or node.op not in ("PlaceholderWithDefault", "Placeholder", "PlaceholderV2"):
            raise ModelError("no placeholder named '%s' in the graph" % name, model.location.model_file)
        if isinstance(value, str):
            value = parse_switch_value(value, protos.dtype_name(node.attr["dtype"].type))
        values[node.name] = value
    return values


def graph_edits(model, request, values=None):
    """The GraphEdits a request applies on top of the source graph (None when there are none)."""
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


def plan(model, request, cancel=None):
    """The core.freeze.plan.FreezePlan of a request, without writing anything."""
    from core.freeze.plan import plan_freeze
    return plan_freeze(model, request.outputs, keep_devices=request.keep_devices,
                       edits=graph_edits(model, request), cancel=cancel, target_tf=request.target_tf)


def freeze(model, request, progress=None, cancel=None):
    """Runs a FreezeRequest on an opened model and writes the frozen graph.

    Args:
        model: core.formats.model.Model, or a LoadedModel.
        request: core.freeze.request.FreezeRequest.
    Returns:
        core.freeze.writer.FreezeReport, with ``fixed`` the placeholder values it fixed.
    Raises:
        ModelError, Cancelled.
    """
    from core.freeze.plan import freeze as freeze_plan
    model = getattr(model, "model", model)
    values = fixed_values(model, request)
    destination = request.destination or model.default_output_path()
    report = freeze_plan(model, request.outputs, destination, keep_devices=request.keep_devices,
                         edits=graph_edits(model, request, values), progress=progress, cancel=cancel,
                         target_tf=request.target_tf)
    return report._replace(fixed=values)


def _frozen_for_deploy(model, request, progress=None, cancel=None):
    """The graph a deploy starts from: frozen for inference with the deploy's cuts, input shapes fixed.

    Returns:
        (GraphDef, list of cuts, dict of the values the freeze fixed).
    """
    import os
    import shutil
    import tempfile
    from core.deploy.cleanup import shaped
    from core.deploy.cuts import deploy_cuts
    from core.formats.graph_io import load_graph_def
    from core.freeze.request import FreezeRequest
    cuts = deploy_cuts(model.graph_def, model.meta_graph, request.outputs, request.input_cuts,
                       request.suggested_cuts)
    workdir = tempfile.mkdtemp(prefix="tf1freeze-freeze-")
    try:
        frozen_path = os.path.join(workdir, "frozen.pb")
        if progress is not None:
            progress(1, 100, "freezing for inference")
        report = freeze(model, FreezeRequest(request.outputs, destination=frozen_path, values=request.values,
                                             inference=True, input_cuts=cuts), cancel=cancel)
        return shaped(load_graph_def(frozen_path).graph_def, request.shapes), cuts, report.fixed
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def deploy(model, request, progress=None, cancel=None):
    """Runs a DeployRequest: freezes for inference (input pipeline cut), cleans up, converts per target and
    proves each artifact against the checkpoint (core.deploy.stage). TensorFlow and the converters run in
    child processes only.

    Returns:
        core.deploy.report.DeployReport.
    Raises:
        ModelError, Cancelled.
    """
    import os
    from core.deploy.cuts import cut_renames
    from core.deploy.stage import deploy_graph
    model = getattr(model, "model", model)
    frozen, cuts, fixed = _frozen_for_deploy(model, request, progress, cancel)
    directory = os.path.abspath(request.directory or os.path.join(model.location.folder, "deploy"))
    context = {"renames": cut_renames(cuts), "switch_values": fixed, "cleanups": request.cleanups, "cuts": cuts}
    return deploy_graph(model, frozen, request, directory, context, progress=progress, cancel=cancel)


def deploy_readiness(model, request):
    """dict target -> "" or the one-line reason its converter would refuse the cleaned-up graph
    (core.deploy.support; nothing converted, no child process)."""
    from core.deploy.cleanup import cleanup_stages
    from core.deploy.support import readiness
    model = getattr(model, "model", model)
    frozen, _, _ = _frozen_for_deploy(model, request)
    stages = cleanup_stages(frozen, request.outputs) if request.cleanups else []
    return readiness(stages[-1].graph_def if stages else frozen, request.targets)


def runtime_floor(model):
    """core.analysis.runtime_floor.Floor of a model's whole graph (producer defaults from its meta graph)."""
    from core.analysis.runtime_floor import graph_floor
    model = getattr(model, "model", model)
    return graph_floor(model.graph_def, model.meta_graph)


def plan_floor(freeze_plan):
    """The Floor of what a FreezePlan writes (its target's, when it was fitted to one)."""
    if freeze_plan.runtime is not None:
        return freeze_plan.runtime.floor
    from core.freeze.runtime_target import fit_plan
    # The ops are read from the planned bytes: a "copy" may be an input cut's Placeholder that took
    # the name of the node it replaces, so the source graph's node of that name is not its op.
    return fit_plan(freeze_plan.nodes, None, freeze_plan.model.meta_graph).floor
