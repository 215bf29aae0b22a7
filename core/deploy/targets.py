"""One target's conversion and proof from the parent's side: the child job, the comparison, the dtype changes."""

import os

from core.deploy.child.arrays import load_arrays
from core.deploy.children import run_child
from core.deploy.report import FAILED, OK, TargetResult
from core.errors import ModelError

ARTIFACT_BASE = "model"
# float16 outputs hold 11 significant bits: a runtime that orders the float16 rounding differently is a
# few units in the last place away.
HALF_RTOL, HALF_ATOL = 4e-3, 1e-3
# (an integer tensor OpenCV DNN gives as float32 is exact only up to 2**24: a change too)
_NARROWER = {("float64", "float32"), ("int64", "int32"), ("float32", "float16"), ("float64", "float16"),
             ("int32", "int16"), ("int64", "int16"), ("int64", "float32"), ("int32", "float32")}


# Converter messages that come from a shape the graph computes with (a Reshape to a training batch size, a
# shape a converter could not infer): fixed input shapes are the way out.
_SHAPE_FAILURES = ("evenly divisible", "Cannot reshape", "Incompatible shapes", "Dimensions must be equal",
                   "dynamic shape", "Dynamic shape", "unknown rank", "is not fully defined", "must be rank",
                   "shape mismatch", "Shape mismatch", "shapes must be equal")
_MESSAGE_CHARS = 260


def with_way_out(message, inputs):
    """A failure's one line, with the way out when the message says what would help (``inputs``: the
    graph's [{name, shape}], the shapes --shape is shown with, unknown dims as 1)."""
    if not any(marker in message for marker in _SHAPE_FAILURES):
        return message
    if len(message) > _MESSAGE_CHARS:
        message = message[:_MESSAGE_CHARS].rstrip() + "..."
    examples = ["--shape %s=%s" % (i["name"], ",".join(str(d if isinstance(d, int) and d > 0 else 1)
                                                       for d in (i.get("shape") or [])))
                for i in inputs if i.get("shape")]
    fix = " ".join(examples) if examples else "--shape NAME=DIMS"
    return "%s; a shape the graph computes with does not convert: fix the input shapes (%s; the batch size " \
           "the graph was built for, when a Reshape names one)" % (message, fix)


def dtype_changes(declared, artifact):
    """"float64->float32 y64" for each tensor whose dtype the artifact narrowed (declared: name -> dtype)."""
    changes = []
    for item, original in zip(artifact, declared):
        before, after = original.get("dtype"), item.get("dtype")
        if (before, after) in _NARROWER:
            changes.append("%s->%s %s" % (before, after, original["name"]))
    return changes


def declared_outputs(graph_def, outputs):
    """[{name, dtype}] of ``outputs`` as ``graph_def`` types them."""
    from core.deploy.graph_edit import output_dtype
    from core.formats import dtypes
    nodes = dict((n.name, n) for n in graph_def.node)
    declared = []
    for name in outputs:
        node, _, port = name.partition(":")
        dtype = output_dtype(nodes[node], int(port or 0)) if node in nodes else None
        declared.append({"name": name, "dtype": dtypes.name(dtype) if dtype else None})
    return declared


def run_target(python, target, graph_def, inputs, proof, request, layout, workdir, staging, cancel=None,
               declared=None):
    """Converts ``graph_def`` for ``target`` in a child, runs the artifact there on the proof's feeds, and
    compares with the checkpoint's outputs.

    Returns:
        TargetResult (OK, or FAILED with the first output that differs). ``declared``: the outputs' dtypes
        before a narrowing (for dtype_changes); ``graph_def`` then goes to a file of its own.
    Raises:
        ModelError: the child could not convert or run it (one line).
    """
    graph_path = os.path.join(workdir, "deploy.pb" if declared is None else "deploy-%s.pb" % target)
    if not os.path.isfile(graph_path):
        with open(graph_path, "wb") as handle:
            handle.write(graph_def.SerializeToString())
    directory = os.path.join(staging, target)
    os.makedirs(directory)
    job = {"task": "target", "target": target, "graph": graph_path, "inputs": inputs,
           "outputs": list(request.outputs), "directory": directory, "base": ARTIFACT_BASE, "layout": layout,
           "opset": request.opset, "arrays": os.path.join(workdir, "%s.npz" % target)}
    job.update(proof.job_feeds())
    result = run_child(python, job, cancel=cancel)
    if result.get("error"):
        where = "converting" if result.get("stage") == "convert" else "running the artifact"
        raise ModelError("%s failed: %s" % (where, result["error"]))
    values = [v for _, v in load_arrays(job["arrays"], result["names"])]
    checks = proof.checks(request.outputs, [_as_reference(v, r) for v, r in zip(values, proof.reference)],
                          request.rtol, request.atol, half=(HALF_RTOL, HALF_ATOL))
    worst = max([c.max_abs_diff for c in checks] or [0.0])
    worst_rel = max([c.max_rel_diff for c in checks] or [0.0])
    declared = declared or declared_outputs(graph_def, request.outputs)
    changes = dtype_changes(inputs, result["inputs"]) + dtype_changes(declared, result["outputs"])
    bad = [c for c in checks if not c.passed]
    common = dict(paths=result["paths"], inputs=result["inputs"], outputs=result["outputs"], dtype_changes=changes)
    if bad:
        return TargetResult(target, FAILED, "%s %s from the checkpoint's" % (bad[0].name, bad[0].message),
                            max_abs_diff=worst, max_rel_diff=worst_rel, **common)
    return TargetResult(target, OK, max_abs_diff=worst, max_rel_diff=worst_rel, **common)


def _as_reference(value, reference):
    """An artifact's output in the reference's dtype when the target narrowed it (compared as numbers)."""
    import numpy as np
    value = np.asarray(value)
    reference = np.asarray(reference)
    if value.dtype != reference.dtype and value.dtype.kind in "fiub" and reference.dtype.kind in "fiub":
        return value.astype(reference.dtype)
    return value
