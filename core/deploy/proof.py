"""The numbers behind every claim: the checkpoint's outputs in TensorFlow, each clean-up checked against them."""

import os

from core.deploy.child.arrays import load_arrays, save_arrays
from core.deploy.children import run_child
from core.errors import ModelError
from core.verify.runner import compare

# A clean-up must keep TensorFlow's outputs this close to the checkpoint's (batch-norm folding reorders
# float rounding; anything beyond this is a changed computation).
STAGE_RTOL, STAGE_ATOL = 1e-4, 1e-5


class Proof(object):
    """The feeds every run uses and the checkpoint's outputs on them.

    Attributes:
        feeds: list of (input name, array) in the deployed graph's input order.
        reference: list of arrays, one per output.
        tensorflow: version of the TensorFlow that computed them.
        workdir: the folder the feeds file lives in.
    """

    def __init__(self, feeds, reference, tensorflow, workdir):
        self.feeds = feeds
        self.reference = reference
        self.tensorflow = tensorflow
        self.workdir = workdir
        self.feeds_path = os.path.join(workdir, "feeds.npz")
        save_arrays(self.feeds_path, feeds)

    def job_feeds(self):
        return {"feeds": self.feeds_path, "feed_names": [name for name, _ in self.feeds]}

    def checks(self, outputs, values, rtol, atol, half=None):
        """core.verify.runner.OutputCheck per output of ``values`` against the checkpoint's (float16 outputs
        at the looser ``half`` (rtol, atol) when given)."""
        checks = []
        for name, expected, actual in zip(outputs, self.reference, values):
            tolerance = (max(rtol, half[0]), max(atol, half[1])) if half and str(expected.dtype) == "float16" \
                else (rtol, atol)
            checks.append(compare(name, expected, actual, *tolerance))
        return checks


def _graph_path(workdir, graph_def, index):
    path = os.path.join(workdir, "stage%d.pb" % index)
    with open(path, "wb") as handle:
        handle.write(graph_def.SerializeToString())
    return path


def run_reference(python, model, outputs, feeds, graphs, workdir, renames=None, switch_values=None, cancel=None):
    """Runs the checkpoint and each graph of ``graphs`` on ``feeds`` in one TensorFlow child.

    Returns:
        (Proof, list per graph of its output arrays or its one-line error).
    """
    job = {"task": "reference", "model": model.location.model_file, "outputs": list(outputs),
           "checkpoint": model.checkpoint.prefix if model.checkpoint is not None else None,
           "tags": list(model.tags) if getattr(model, "tags", None) else None,
           "reference_feeds": dict(renames or {}), "switch_values": _plain(switch_values or {}),
           "graphs": [_graph_path(workdir, g, i) for i, g in enumerate(graphs)],
           "arrays": os.path.join(workdir, "reference.npz")}
    proof = Proof(feeds, [], None, workdir)
    job.update(proof.job_feeds())
    result = run_child(python, job, cancel=cancel)
    if result.get("error"):
        raise ModelError("running the checkpoint in TensorFlow failed: %s" % result["error"])
    arrays = dict(load_arrays(job["arrays"], result["names"]))
    proof.reference = [arrays["reference/%s" % o] for o in outputs]
    proof.tensorflow = result.get("tensorflow")
    per_graph = []
    for index, error in enumerate(result["graph_errors"]):
        per_graph.append(error if error else [arrays["graph%d/%s" % (index, o)] for o in outputs])
    return proof, per_graph


def _plain(values):
    result = {}
    for name, value in values.items():
        result[name] = value.tolist() if hasattr(value, "tolist") else value
    return result


def stage_verdict(proof, outputs, values):
    """(kept, max abs difference, reason) of one clean-up's outputs against the checkpoint's."""
    if isinstance(values, str):
        return False, None, values
    checks = proof.checks(outputs, values, STAGE_RTOL, STAGE_ATOL)
    worst = max([c.max_abs_diff for c in checks] or [0.0])
    bad = [c for c in checks if not c.passed]
    if bad:
        return False, worst, "%s %s" % (bad[0].name, bad[0].message)
    return True, worst, ""
