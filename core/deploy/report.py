"""What a deploy did: per target its status, files, tensors, difference and reason; as the JSON `deploy` prints."""

import math

OK, REFUSED, FAILED = "ok", "refused", "failed"


class TargetResult(object):
    """One target's outcome.

    Attributes:
        target: "tflite", "onnx", "openvino" or "opencv".
        status: OK, REFUSED (not attempted: readiness or a missing package said no) or FAILED.
        paths: absolute paths of the files written (only when ok).
        inputs, outputs: dicts {name, dtype, shape} as the artifact names and types them.
        max_abs_diff: the largest difference from the checkpoint's outputs (when ok), else None.
        max_rel_diff: the same, relative.
        dtype_changes: narrowings the target forced ("float64->float32 y64").
        reason: one line when not ok.
    """

    def __init__(self, target, status, reason="", paths=(), inputs=(), outputs=(), max_abs_diff=None,
                 max_rel_diff=None, dtype_changes=()):
        self.target = target
        self.status = status
        self.reason = reason
        self.paths = list(paths)
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.max_abs_diff = max_abs_diff
        self.max_rel_diff = max_rel_diff
        self.dtype_changes = list(dtype_changes)

    @property
    def ok(self):
        return self.status == OK

    def to_json(self):
        """The object `deploy --json` prints for this target."""
        data = {"status": self.status, "paths": self.paths, "inputs": self.inputs, "outputs": self.outputs,
                "max_abs_diff": _number(self.max_abs_diff), "dtype_changes": self.dtype_changes,
                "reason": self.reason}
        return data


def _number(value):
    if value is None:
        return None
    return value if math.isfinite(value) else str(value)


class DeployReport(object):
    """Everything a deploy did.

    Attributes:
        targets: dict target -> TargetResult, in the requested order.
        directory: where the artifacts went.
        layout: the graph's data layout ("NHWC", "NCHW", "NHWC+NCHW") or None.
        cleanups: list of (stage name, note, kept: bool, max_abs_diff) in order.
        cuts: input cuts applied (tensor names), suggested ones included.
        inputs: dict name -> (dtype, shape) of the generated inputs the proofs ran on.
        tensorflow: the TensorFlow version of the reference run.
        error: a message when nothing could be deployed (then targets may be empty).
    """

    def __init__(self, targets, directory=None, layout=None, cleanups=(), cuts=(), inputs=None, tensorflow=None,
                 error=None):
        self.targets = targets
        self.directory = directory
        self.layout = layout
        self.cleanups = list(cleanups)
        self.cuts = list(cuts)
        self.inputs = dict(inputs or {})
        self.tensorflow = tensorflow
        self.error = error

    @property
    def ok(self):
        return self.error is None and bool(self.targets) and all(t.ok for t in self.targets.values())

    def to_json(self):
        """The object `deploy --json` prints."""
        data = {"targets": dict((name, result.to_json()) for name, result in self.targets.items()),
                "directory": self.directory, "layout": self.layout, "cuts": self.cuts, "tensorflow": self.tensorflow,
                "cleanups": [{"name": n, "note": note, "kept": kept, "max_abs_diff": _number(diff)}
                             for n, note, kept, diff in self.cleanups]}
        if self.error is not None:
            data["error"] = self.error
        return data
