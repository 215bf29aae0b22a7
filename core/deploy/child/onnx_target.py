"""ONNX: tf2onnx's from_graph_def at a chosen opset, run in onnxruntime on the CPU."""

import os

import numpy as np

from core.deploy.child.runtimes import describe

DEFAULT_OPSET = 17
_ORT_TYPES = {"tensor(float)": "float32", "tensor(double)": "float64", "tensor(int32)": "int32",
              "tensor(int64)": "int64", "tensor(bool)": "bool", "tensor(float16)": "float16",
              "tensor(uint8)": "uint8", "tensor(int8)": "int8", "tensor(string)": "string",
              "tensor(int16)": "int16", "tensor(uint16)": "uint16"}


def convert(job):
    import tensorflow as tf
    import tf2onnx
    graph_def = tf.compat.v1.GraphDef()
    with open(job["graph"], "rb") as handle:
        graph_def.ParseFromString(handle.read())
    path = os.path.join(job["directory"], job["base"] + ".onnx")
    tf2onnx.convert.from_graph_def(graph_def, input_names=[i["name"] + ":0" for i in job["inputs"]],
                                   output_names=[o + ":0" for o in job["outputs"]],
                                   opset=job.get("opset") or DEFAULT_OPSET, output_path=path)
    return [path]


def _shape(dims):
    return [d if isinstance(d, int) else -1 for d in dims]


def run(paths, feeds, job):
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(paths[0], options, providers=["CPUExecutionProvider"])
    by_name = dict((i.name, i) for i in session.get_inputs())
    feed = {}
    for name, value in feeds:
        key = name + ":0" if name + ":0" in by_name else name
        feed[key] = np.asarray(value)
    names = [o + ":0" for o in job["outputs"]]
    values = session.run(names, feed)
    by_output = dict((o.name, o) for o in session.get_outputs())
    outputs = [describe(n, _ORT_TYPES.get(by_output[n].type, by_output[n].type), _shape(by_output[n].shape))
               for n in names]
    inputs = [describe(i.name, _ORT_TYPES.get(i.type, i.type), _shape(i.shape)) for i in session.get_inputs()]
    return inputs, outputs, values
