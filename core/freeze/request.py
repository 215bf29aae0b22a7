"""A freeze request: everything that describes one freeze, built by the CLI or the window alike."""


class FreezeRequest(object):
    """What to freeze and how; plain data, no behaviour.

    Attributes:
        outputs: output names ("name" or "name:0").
        destination: the `.pb` to write; None means `frozen_model.pb` beside the model.
        values: dict placeholder name -> value (a Python value, or text parsed by the
            placeholder's dtype) fixing training switches or plain placeholders (keep_prob).
        inference: fix every training switch to its default (inference mode).
        keep_devices: keep the nodes' device placements (cleared by default).
        input_cuts: tensor names replaced by placeholders, everything above them pruned.
        target_tf: the TensorFlow release the result must load on ("1.4"), or None.
        saver: the name of the saver whose restore ops map checkpoint keys to variables (its
            `restore_op_name` scope, as `inspect` lists them); None means the one `saver_def` names.
        init_missing: a variable absent from the checkpoint gets its initializer's value when that
            value is computable without TensorFlow (zeros, ones, a constant, fill); else it is an error.
    """

    __slots__ = ("outputs", "destination", "values", "inference", "keep_devices", "input_cuts", "target_tf", "saver",
                 "init_missing")

    def __init__(self, outputs, destination=None, values=None, inference=False, keep_devices=False,
                 input_cuts=(), target_tf=None, saver=None, init_missing=False):
        self.outputs = list(outputs)
        self.destination = destination
        self.values = dict(values or {})
        self.inference = bool(inference)
        self.keep_devices = bool(keep_devices)
        self.input_cuts = list(input_cuts)
        self.target_tf = target_tf
        self.saver = saver
        self.init_missing = bool(init_missing)

    def __repr__(self):
        return "FreezeRequest(%s)" % ", ".join("%s=%r" % (k, getattr(self, k)) for k in self.__slots__)
