"""OpenVINO: openvino.convert_model on the .pb, saved as IR (.xml + .bin), compiled on the CPU at f32."""

import os

import numpy as np

from core.deploy.child.runtimes import describe


def convert(job):
    """The graph (pruned to its outputs already) converted whole; an output that other nodes also consume
    (convert_model's ``output=`` does not find those) is added as a model output by its tensor name."""
    import openvino
    model = openvino.convert_model(job["graph"], input=[i["name"] + ":0" for i in job["inputs"]])
    names = set(n for port in model.outputs for n in port.get_names())
    extra = [o + ":0" for o in job["outputs"] if o + ":0" not in names and o not in names]
    if extra:
        model.add_outputs(extra)
    xml = os.path.join(job["directory"], job["base"] + ".xml")
    openvino.save_model(model, xml, compress_to_fp16=False)
    return [xml, xml[:-4] + ".bin"]


def _port(port):
    shape = port.get_partial_shape()
    dims = None if shape.rank.is_dynamic else [d.get_length() if d.is_static else -1 for d in shape]
    return describe(port.get_any_name(), port.get_element_type().to_dtype().name, dims)


def _named(ports, name, position):
    for port in ports:
        if name in port.get_names() or name + ":0" in port.get_names():
            return port
    return ports[position]


def run(paths, feeds, job):
    import openvino
    core = openvino.Core()
    model = core.read_model(paths[0])
    # The CPU plugin computes in bf16 on CPUs that have it unless told f32: compare at f32.
    compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    request = {}
    for position, (name, value) in enumerate(feeds):
        request[_named(compiled.inputs, name, position)] = np.asarray(value)
    result = compiled(request)
    ports = [_named(compiled.outputs, name, position) for position, name in enumerate(job["outputs"])]
    values = [np.asarray(result[port]) for port in ports]
    return [_port(p) for p in compiled.inputs], [_port(p) for p in ports], values
