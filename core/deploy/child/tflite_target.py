"""TFLite: TensorFlow's converter (from_frozen_graph, builtin ops only) and its Interpreter."""

import os

import numpy as np

from core.deploy.child.runtimes import describe


def _tf():
    import tensorflow as tf
    return tf


def convert(job):
    tf = _tf()
    shapes = {}
    for item in job["inputs"]:
        shape = item["shape"]
        if shape is None:
            raise ValueError("input %s has an unknown rank: give its shape (--shape %s=DIMS)"
                             % (item["name"], item["name"]))
        if any(d < 0 for d in shape[1:]):
            raise ValueError("input %s has unknown dimensions beyond the batch (%s): TFLite needs them fixed "
                             "(--shape %s=DIMS)" % (item["name"], shape, item["name"]))
        shapes[item["name"]] = [1 if d < 0 else d for d in shape]
    converter = tf.compat.v1.lite.TFLiteConverter.from_frozen_graph(
        job["graph"], [i["name"] for i in job["inputs"]], list(job["outputs"]), input_shapes=shapes)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    data = converter.convert()
    path = os.path.join(job["directory"], job["base"] + ".tflite")
    with open(path, "wb") as handle:
        handle.write(data)
    return [path]


def explain(exc, job):
    """The converter's message cut to the ops it could not convert."""
    text = " ".join(str(exc).split())
    marker = "Some ops are not supported by the native TFLite runtime"
    if marker in text:
        import re
        ops = sorted(set(re.findall(r"'tf\.(\w+)' op is neither a custom op nor a flex op", text)))
        if ops:
            return "the TFLite converter has no builtin op for %s: cut before it, or allow SELECT_TF_OPS" % (
                ", ".join(ops))
    return "%s: %s" % (type(exc).__name__, text[:400])


def _matching(details, name, position):
    for detail in details:
        if detail["name"] in (name, name + ":0"):
            return detail
    return details[position]


def run(paths, feeds, job):
    tf = _tf()
    interpreter = tf.lite.Interpreter(model_path=paths[0])
    input_details = interpreter.get_input_details()
    for position, (name, value) in enumerate(feeds):
        detail = _matching(input_details, name, position)
        if list(detail["shape"]) != list(value.shape):
            interpreter.resize_tensor_input(detail["index"], list(value.shape))
    interpreter.allocate_tensors()
    input_details = interpreter.get_input_details()
    for position, (name, value) in enumerate(feeds):
        detail = _matching(input_details, name, position)
        interpreter.set_tensor(detail["index"], np.asarray(value).astype(detail["dtype"]))
    interpreter.invoke()
    output_details = interpreter.get_output_details()
    values, outputs = [], []
    for position, name in enumerate(job["outputs"]):
        detail = _matching(output_details, name, position)
        values.append(interpreter.get_tensor(detail["index"]))
        outputs.append(describe(detail["name"], np.dtype(detail["dtype"]).name, detail["shape_signature"]))
    inputs = [describe(d["name"], np.dtype(d["dtype"]).name, d["shape_signature"])
              for d in interpreter.get_input_details()]
    return inputs, outputs, values
