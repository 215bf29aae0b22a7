"""The one deploy call: freeze for inference (input pipeline cut), clean up, convert and prove per target."""

import os
import shutil
import tempfile

from core.deploy.cleanup import cleanup_stages, shaped
from core.deploy.cuts import cut_renames, deploy_cuts
from core.deploy.children import deploy_python
from core.deploy.stage import deploy_graph, readiness as stage_readiness


def frozen_for_deploy(model, request, progress=None, cancel=None):
    """The graph a deploy starts from: frozen for inference with the deploy's cuts, input shapes fixed.

    Returns:
        (GraphDef, list of cuts, dict of the values the freeze fixed).
    """
    from core.formats.graph_io import load_graph_def
    from core.freeze.request import FreezeRequest
    from core.freeze.stage import freeze_request
    cuts = deploy_cuts(model.graph_def, model.meta_graph, request.outputs, request.input_cuts,
                       request.suggested_cuts)
    workdir = tempfile.mkdtemp(prefix="tf1freeze-freeze-")
    try:
        frozen_path = os.path.join(workdir, "frozen.pb")
        if progress is not None:
            progress(1, 100, "freezing for inference")
        report = freeze_request(model, FreezeRequest(request.outputs, destination=frozen_path, values=request.values,
                                                     inference=True, input_cuts=cuts), cancel=cancel)
        return shaped(load_graph_def(frozen_path).graph_def, request.shapes), cuts, report.fixed
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def deploy(model, request, progress=None, cancel=None):
    """Runs a DeployRequest on an opened model (core.formats.model.Model). TensorFlow and the converters
    run in child processes only.

    Returns:
        core.deploy.report.DeployReport.
    Raises:
        ModelError, Cancelled.
    """
    frozen, cuts, fixed = frozen_for_deploy(model, request, progress, cancel)
    directory = os.path.abspath(request.directory or os.path.join(model.location.folder, "deploy"))
    context = {"renames": cut_renames(cuts), "switch_values": fixed, "cleanups": request.cleanups, "cuts": cuts}
    return deploy_graph(model, frozen, request, directory, context, progress=progress, cancel=cancel)


def readiness(model, request):
    """dict target -> "" or the one line deploy would refuse it with: a package the deploy Python lacks
    ("install X", as deploy says it; one small child per deploy Python, cached), else what the converter
    would refuse in the cleaned-up graph (core.deploy.support). Nothing is converted; TensorFlow is never
    imported here."""
    frozen, _, _ = frozen_for_deploy(model, request)
    stages = cleanup_stages(frozen, request.outputs) if request.cleanups else []
    return stage_readiness(stages[-1].graph_def if stages else frozen, request.outputs, request.targets,
                           deploy_python(request.python))
