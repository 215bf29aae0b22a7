"""The deploy stage: a frozen graph cleaned up, checked, converted per target and each artifact proven."""

import functools
import logging
import os
import shutil
import tempfile

from core.deploy import cleanup, support
from core.deploy.children import deploy_python, install_line, missing_modules
from core.deploy.image_inputs import with_image_inputs
from core.deploy.proof import Proof, run_reference, stage_verdict
from core.deploy.report import FAILED, OK, REFUSED, DeployReport, TargetResult
from core.deploy.shapes import data_layout
from core.deploy.narrowing import float32_runtime, narrow_float64
from core.deploy.targets import declared_outputs as request_declared, run_target, with_way_out
from core.errors import Cancelled, ModelError
from core.verify.feeds import build_feeds

log = logging.getLogger(__name__)


def _feeds(graph_def, outputs, batch_size):
    """Verify's generated inputs for the deployed graph, in graph order, and their declared dtype/shape."""
    feeds, needed = build_feeds(graph_def, outputs, batch_size=batch_size)
    order = [item for item in needed if item.name in feeds]
    return [(item.name, feeds[item.name]) for item in order], \
        [{"name": item.name, "dtype": item.dtype, "shape": item.shape} for item in order]


def _checked_stages(python, model, frozen, outputs, feeds, workdir, context, cancel):
    """Runs the clean-ups, keeping each only when TensorFlow's outputs still match the checkpoint's.

    Returns:
        (Proof, final GraphDef, list of (stage, note, kept, max_abs_diff)).
    """
    skipped = set()
    while True:
        names = [n for n, _ in cleanup.CLEANUPS if n not in skipped] if context["cleanups"] else []
        stages = cleanup.cleanup_stages(frozen, outputs, names)
        proof, results = run_reference(python, model, outputs, feeds, [frozen] + [s.graph_def for s in stages],
                                       workdir, context["renames"], context["switch_values"], cancel)
        kept, worst, reason = stage_verdict(proof, outputs, results[0])
        if not kept:
            raise ModelError("the frozen graph does not compute what the checkpoint does (%s)" % reason)
        summary, current, rejected = [], frozen, None
        for stage, values in zip(stages, results[1:]):
            kept, worst, reason = stage_verdict(proof, outputs, values)
            if not kept:
                rejected = stage.name
                summary.append((stage.name, "%s; changed the outputs (%s), not applied" % (stage.note, reason),
                                False, worst))
                break
            summary.append((stage.name, stage.note, True, worst))
            current = stage.graph_def
        if rejected is None:
            return proof, current, summary
        log.warning("clean-up %s changed the outputs: %s", rejected, summary[-1][1])
        skipped.add(rejected)
        context.setdefault("rejected", []).append(summary[-1])


def _merge_rejected(summary, rejected):
    names = set(n for n, _, _, _ in summary)
    return summary + [r for r in rejected if r[0] not in names]


def deploy_graph(model, frozen, request, directory, context, progress=None, cancel=None):
    """Cleans ``frozen`` up, proves each clean-up, and converts and proves it for each requested target.

    Args:
        model: core.formats.model.Model the graph was frozen from (the reference).
        frozen: the frozen GraphDef (input shapes already fixed).
        directory: where the artifacts go (created when missing).
        context: dict with renames (cut placeholder -> source tensor), switch_values (fixed values),
            cleanups (bool), cuts (list).
    Returns:
        core.deploy.report.DeployReport.
    """
    python = deploy_python(request.python)
    missing = missing_modules(python)
    results = dict((t, None) for t in request.targets)
    outputs = request.outputs
    if missing.get("reference"):  # no TensorFlow: no reference run, no target can be proven
        return DeployReport(dict((t, TargetResult(t, REFUSED, _no_reference(missing, python))) for t in results),
                            directory, error="TensorFlow is missing in " + python)
    feeds, inputs = _feeds(frozen, outputs, request.batch_size)
    workdir = tempfile.mkdtemp(prefix="tf1freeze-deploy-")
    try:
        _progress(progress, 5, "running the checkpoint and the clean-ups in TensorFlow")
        proof, final, summary = _checked_stages(python, model, frozen, outputs, feeds, workdir, context, cancel)
        summary = _merge_rejected(summary, context.get("rejected", []))
        layout = data_layout(final)
        staging = _staging(directory)
        try:
            for position, target in enumerate(request.targets):
                _progress(progress, 20 + 75 * position // len(request.targets), "%s: converting" % target)
                at = functools.partial(_proof_for, target, python, model, outputs, proof, inputs, workdir, context,
                                       cancel)
                results[target] = _one_target(python, target, final, inputs, at, request, missing, layout,
                                              workdir, staging, directory, cancel)
                _progress(progress, 20 + 75 * (position + 1) // len(request.targets),
                          "%s: %s" % (target, results[target].status))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        used = dict((name, (str(value.dtype), list(value.shape))) for name, value in feeds)
        return DeployReport(results, directory, layout, summary, context.get("cuts", ()), used, proof.tensorflow)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _no_reference(missing, python):
    """Every target's line when the deploy Python has no TensorFlow (no reference run, nothing proven)."""
    return "no TensorFlow to prove it with: " + install_line(missing["reference"], python)


def _proof_for(target, python, model, outputs, proof, inputs, workdir, context, cancel):
    """The proof a target is compared on: TFLite converts an unknown batch as 1, so it is compared at
    batch 1 (the first row of each such input, the checkpoint run again on them); the others on ``proof``."""
    unknown = set(i["name"] for i in inputs if target == "tflite" and i.get("shape") and i["shape"][0] < 0)
    if not unknown:
        return proof
    if "batch1" not in context:
        feeds = [(name, value[:1] if name in unknown else value) for name, value in proof.feeds]
        folder = os.path.join(workdir, "batch1")
        os.makedirs(folder)
        try:
            context["batch1"], _ = run_reference(python, model, outputs, feeds, [], folder,
                                                 context["renames"], context["switch_values"], cancel)
        except ModelError as exc:
            context["batch1"] = ModelError("at batch 1 (TFLite converts an unknown batch as 1): %s" % exc)
    return context["batch1"]


def _progress(progress, percent, message):
    if progress is not None:
        progress(percent, 100, message)


def _staging(directory):
    if not os.path.isdir(directory):
        os.makedirs(directory)
    return tempfile.mkdtemp(prefix=".deploy-", dir=directory)


def _one_target(python, target, graph_def, inputs, proof, request, missing, layout, workdir, staging, directory,
                cancel):
    """One target: refused up front (missing package, unsupported op or dtype), else converted and proven
    on ``proof()`` (for TFLite a float64 graph is narrowed to float32 first, said in dtype_changes)."""
    original = graph_def
    reason, graph_def, note = up_front(target, graph_def, request.outputs, missing, python)
    if reason:
        return TargetResult(target, REFUSED, reason)
    proof = proof()
    if isinstance(proof, ModelError):
        return TargetResult(target, FAILED, str(proof))
    if target == "opencv":
        graph_def, inputs, proof = _opencv_inputs(graph_def, inputs, proof, workdir)
    try:
        result = run_target(python, target, graph_def, inputs, proof, request, layout, workdir, staging, cancel,
                            declared=request_declared(original, request.outputs) if graph_def is not original else None)
    except Cancelled:
        raise
    except ModelError as exc:
        return TargetResult(target, FAILED, with_way_out(str(exc), inputs))
    result.dtype_changes = note + result.dtype_changes
    # an artifact that does not compute what the checkpoint does is not published (staging is removed)
    result.paths = _publish(result.paths, directory) if result.ok else []
    return result


def up_front(target, graph_def, outputs, missing, python):
    """What is decided before converting: the one-line refusal (a missing package, a structure or an op or
    dtype the converter lacks), else the graph to convert (narrowed where the target needs it) and its notes.

    Args:
        missing: core.deploy.children.missing_modules of ``python``.
    Returns:
        (reason or "", GraphDef, list of dtype-change notes).
    """
    if missing.get(target):
        return install_line(missing[target], python), graph_def, []
    structure = support.structure_reason(graph_def, outputs, target)
    problems = support.check(graph_def, target)
    narrowed, note = _narrowed(target, graph_def, outputs, problems)
    if narrowed is not None:
        graph_def, problems = narrowed, support.check(narrowed, target)
    line = support.reason_line(target, problems, graph_def) if problems else ""
    if structure:  # the ops the table refuses too, so that one fix does not just reveal the next
        also = line[len(support.LABELS[target]) + 2:] if line else ""
        return structure + ("; also " + also if also else ""), graph_def, []
    return line, graph_def, note


def readiness(graph_def, outputs, targets, python):
    """dict target -> "" (ready) or the one line deploy would refuse it with, decided as deploy decides it
    (``up_front``): the deploy Python's packages (checked once per Python, in a child), then the graph."""
    try:
        missing = missing_modules(python)
    except ModelError as exc:
        return dict((t, str(exc)) for t in targets)
    if missing.get("reference"):
        return dict((t, _no_reference(missing, python)) for t in targets)
    return dict((t, up_front(t, graph_def, outputs, missing, python)[0]) for t in targets)


def _opencv_inputs(graph_def, inputs, proof, workdir):
    """OpenCV's graph, inputs and proof: a flat input reshaped into a one-channel image is fed as that image
    (core.deploy.image_inputs), the checkpoint's outputs unchanged."""
    edited, inputs, feeds, notes = with_image_inputs(graph_def, inputs, proof.feeds)
    if not notes:
        return graph_def, inputs, proof
    log.info("OpenCV: %s", "; ".join(notes))
    folder = os.path.join(workdir, "opencv-inputs")
    os.makedirs(folder)
    return edited, inputs, Proof(feeds, proof.reference, proof.tensorflow, folder)


def _narrowed(target, graph_def, outputs, problems):
    """When a dtype stops the target: for TFLite float64 narrowed to float32; for OpenCV DNN (float32 only)
    float64 narrowed and integer inputs read only by Casts to float32 fed as float32 (its Casts dropped).

    Returns:
        (narrowed GraphDef or None, list of notes for dtype_changes).
    """
    if target == "tflite" and any(p.dtype == "float64" for p in problems):
        narrowed, changes = narrow_float64(graph_def)
        if narrowed is None:
            return None, []
        return narrowed, ["float64->float32 in %d nodes (float64 %s: the converter takes only float32)"
                          % (len(changes), ", ".join(sorted(set(p.op for p in problems if p.dtype == "float64"))))]
    if target == "opencv" and any(p.dtype in ("float64", "int64", "int32") or p.op == "Cast" for p in problems):
        return float32_runtime(graph_def, outputs)
    return None, []


def _publish(paths, directory):
    """Moves an ok artifact's files from the staging folder into place (each renamed when complete)."""
    published = []
    for path in paths:
        final = os.path.join(directory, os.path.basename(path))
        os.replace(path, final)
        published.append(os.path.abspath(final))
    return published


__all__ = ["deploy_graph", "readiness", "up_front", "OK", "FAILED", "REFUSED"]
