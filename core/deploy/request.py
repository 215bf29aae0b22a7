"""A deploy request: what to deploy where, built by the CLI or the window alike."""

TARGETS = ("tflite", "onnx", "openvino", "opencv")


class DeployRequest(object):
    """What to deploy and how; plain data, no behaviour.

    Attributes:
        outputs: output names ("name" or "name:0"), in the order the report lists them.
        targets: target names among TARGETS.
        directory: where the artifacts go; None means `deploy/` beside the model.
        input_cuts: tensors replaced by placeholders (as `freeze --inputs`).
        suggested_cuts: also cut at the input pipeline's queues and iterators the outputs read from.
        shapes: dict input name -> list of dims (-1 unknown) fixing its shape.
        values: dict placeholder name -> value, as FreezeRequest.values (training switches are fixed to
            their defaults anyway: a deployed graph runs inference).
        cleanups: run the clean-ups (strip, fold constants, fold batch norm); False converts the frozen graph.
        opset: the ONNX opset (None: the default of core.deploy.child.onnx_target).
        python: the Python with the converters (None: core.deploy.children.deploy_python decides).
        batch_size: size of unknown dimensions of the generated inputs (as verify).
        rtol, atol: how close an artifact's outputs must be to the checkpoint's.
    """

    __slots__ = ("outputs", "targets", "directory", "input_cuts", "suggested_cuts", "shapes", "values", "cleanups",
                 "opset", "python", "batch_size", "rtol", "atol")

    def __init__(self, outputs, targets=TARGETS, directory=None, input_cuts=(), suggested_cuts=True, shapes=None,
                 values=None, cleanups=True, opset=None, python=None, batch_size=2, rtol=1e-3, atol=1e-4):
        self.outputs = list(outputs)
        self.targets = list(targets)
        self.directory = directory
        self.input_cuts = list(input_cuts)
        self.suggested_cuts = bool(suggested_cuts)
        self.shapes = dict(shapes or {})
        self.values = dict(values or {})
        self.cleanups = bool(cleanups)
        self.opset = opset
        self.python = python
        self.batch_size = int(batch_size)
        self.rtol = float(rtol)
        self.atol = float(atol)

    def __repr__(self):
        return "DeployRequest(%s)" % ", ".join("%s=%r" % (k, getattr(self, k)) for k in self.__slots__)
