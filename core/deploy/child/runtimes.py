"""A target's child job: convert the cleaned graph, load the artifact in its runtime, run it on the feeds."""

import importlib
import os

MODULES = {"tflite": "core.deploy.child.tflite_target", "onnx": "core.deploy.child.onnx_target",
           "openvino": "core.deploy.child.openvino_target", "opencv": "core.deploy.child.opencv_target"}
# The Python modules each target needs (its converter and its runtime).
NEEDS = {"reference": ["tensorflow"], "tflite": ["tensorflow"], "onnx": ["tensorflow", "tf2onnx", "onnxruntime"],
         "openvino": ["openvino"], "opencv": ["cv2"]}


CONVERTERS = {"tflite": "TFLiteConverter", "onnx": "tf2onnx", "openvino": "openvino.convert_model",
              "opencv": "cv2.dnn.readNetFromTensorflow"}
RUNTIMES = {"tflite": "the TFLite interpreter", "onnx": "onnxruntime", "openvino": "OpenVINO's CPU plugin",
            "opencv": "cv2.dnn"}


def _step(job, text):
    """Says what the child is doing now (the parent names it when the child dies without a result)."""
    with open(job["result"] + ".step", "w") as handle:
        handle.write(text)


def available_job(job):
    """Which of the targets' modules this Python has (found, not imported)."""
    import importlib.util
    found = {}
    for target, modules in NEEDS.items():
        found[target] = [m for m in modules if importlib.util.find_spec(m) is None]
    return {"missing": found}


def run_job(job):
    """Job keys: target, graph, inputs, outputs, feeds, feed_names, directory, base, layout, opset, arrays.

    Returns:
        dict with paths (artifact files), inputs/outputs ({name, dtype, shape} in the artifact),
        names (of the arrays written) or error (one line) and stage ("convert" or "run").
    """
    from core.deploy.child.arrays import load_arrays, save_arrays
    module = importlib.import_module(MODULES[job["target"]])
    _step(job, "converting the graph (%s)" % CONVERTERS[job["target"]])
    try:
        paths = module.convert(job)
    except Exception as exc:
        return {"stage": "convert", "error": module.explain(exc, job) if hasattr(module, "explain") else
                "%s: %s" % (type(exc).__name__, " ".join(str(exc).split())[:400])}
    feeds = load_arrays(job["feeds"], job["feed_names"])
    _step(job, "running the artifact (%s)" % RUNTIMES[job["target"]])
    try:
        inputs, outputs, values = module.run(paths, feeds, job)
    except Exception as exc:
        return {"stage": "run", "paths": paths, "error": "%s: %s" % (type(exc).__name__, " ".join(str(exc).split())[:400])}
    names = save_arrays(job["arrays"], list(zip(job["outputs"], values)))
    return {"paths": [os.path.abspath(p) for p in paths], "inputs": inputs, "outputs": outputs, "names": names}


def describe(name, dtype, shape):
    """An artifact's tensor as the JSON report gives it."""
    return {"name": name, "dtype": str(dtype), "shape": [int(d) if d is not None and int(d) >= 0 else -1
                                                          for d in shape] if shape is not None else None}
