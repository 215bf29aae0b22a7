"""Loads one deploy artifact in its own runtime and runs it (run in the deploy Python by the tests).

Usage: python run_artifact.py TARGET ARTIFACT FEEDS.npz OUT.npz OUTPUT[,OUTPUT...]

Written apart from core/deploy/child on purpose: the tests check the artifacts with code of their own.
FEEDS keys are input names; OUT gets one array per output name, in TensorFlow's layout and order.
"""

import sys

import numpy as np


def tflite(path, feeds, outputs):
    import tensorflow as tf
    interpreter = tf.lite.Interpreter(model_path=path)
    details = dict((d["name"], d) for d in interpreter.get_input_details())
    for name, value in feeds.items():
        interpreter.resize_tensor_input(details[name]["index"], list(value.shape))
    interpreter.allocate_tensors()
    for name, value in feeds.items():
        interpreter.set_tensor(details[name]["index"], value.astype(details[name]["dtype"]))
    interpreter.invoke()
    by_name = dict((d["name"], d) for d in interpreter.get_output_details())
    return [interpreter.get_tensor(by_name[o]["index"]) for o in outputs]


def onnx(path, feeds, outputs):
    import onnxruntime
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run([o + ":0" for o in outputs], dict((k + ":0", v) for k, v in feeds.items()))


def openvino(path, feeds, outputs):
    import openvino as ov
    compiled = ov.Core().compile_model(path, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    result = compiled(dict((k + ":0", v) for k, v in feeds.items()))
    by_name = dict((n, port) for port in compiled.outputs for n in port.get_names())
    return [result[by_name[o + ":0"]] for o in outputs]


def opencv(path, feeds, outputs):
    import cv2
    net = cv2.dnn.readNetFromTensorflow(path)
    for name, value in feeds.items():
        value = value.astype(np.float32)
        net.setInput(np.transpose(value, (0, 3, 1, 2)) if value.ndim == 4 else value, name)
    values = net.forward(outputs)
    return [np.transpose(v, (0, 2, 3, 1)) if v.ndim == 4 else v for v in values]


def main(argv):
    target, path, feeds_path, out_path, outputs = argv[1:6]
    with np.load(feeds_path) as data:
        feeds = dict((k, data[k]) for k in data.files)
    values = globals()[target](path, feeds, outputs.split(","))
    np.savez(out_path, *values)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
