"""OpenCV and a flat input reshaped into a one-channel image: the image becomes the artifact's input.

OpenCV's TensorFlow importer permutes a Reshape's input from NHWC when the new shape has one channel
(parseReshape in modules/dnn/src/tensorflow/tf_importer.cpp); a 2-D or 3-D input then fails in its Permute
layer ("(int)_numAxes == inputs[0].size()"). Feeding the image the Reshape makes is exact (a Reshape moves no
element), so the OpenCV artifact takes that image instead of the flat tensor.
"""

import numpy as np

from core.deploy.graph_edit import consumers, copy_graph, split_input
from core.deploy.tensor_values import const_value
from core.freeze.node_defs import placeholder_node


def _rank(node):
    shape = node.attr["shape"].shape if "shape" in node.attr else None
    return None if shape is None or shape.unknown_rank else len(shape.dim)


def image_reshapes(graph_def):
    """The Reshapes OpenCV cannot import: (input Placeholder, Reshape, 4-D shape with one channel), where
    the Placeholder is of another known rank and read by that Reshape only."""
    nodes = dict((n.name, n) for n in graph_def.node)
    readers = consumers(graph_def)
    found = []
    for node in graph_def.node:
        if node.op != "Reshape" or len(node.input) < 2:
            continue
        source, port, _ = split_input(node.input[0])
        shape_node = nodes.get(split_input(node.input[1])[0])
        placeholder = nodes.get(source)
        if placeholder is None or placeholder.op != "Placeholder" or port or shape_node is None or \
                shape_node.op != "Const" or _rank(placeholder) in (None, 4) or len(readers[source]) != 1:
            continue
        shape = const_value(shape_node)
        if shape is not None and shape.shape == (4,) and int(shape[3]) == 1:
            found.append((placeholder.name, node.name, [int(d) for d in shape]))
    return found


def with_image_inputs(graph_def, inputs, feeds):
    """The graph with each such Reshape made an input, its inputs ({name, dtype, shape}) and feeds
    ((name, array), each flat feed reshaped as the graph would).

    Returns:
        (GraphDef, inputs, feeds, list of "x -> Reshape [-1, 48, 48, 1]" notes); the graph unchanged
        (and no notes) when there is nothing to do.
    """
    found = image_reshapes(graph_def)
    if not found:
        return graph_def, inputs, feeds, []
    by_input = dict((p, (r, s)) for p, r, s in found)
    shapes = dict((r, s) for _, r, s in found)
    readers = consumers(graph_def)
    edited = copy_graph(graph_def)
    drop = set(by_input)
    for index, node in enumerate(edited.node):
        if node.name in shapes:
            shape_source = split_input(node.input[1])[0]
            if len(readers[shape_source]) == 1:
                drop.add(shape_source)
            edited.node[index].CopyFrom(placeholder_node(node.name, node.attr["T"].type,
                                                         [d if d > 0 else -1 for d in shapes[node.name]]))
    kept = [n for n in edited.node if n.name not in drop]
    del edited.node[:]
    edited.node.extend(kept)
    new_inputs = [dict(item, name=by_input[item["name"]][0], shape=by_input[item["name"]][1])
                  if item["name"] in by_input else item for item in inputs]
    new_feeds = [(by_input[name][0], np.reshape(value, by_input[name][1])) if name in by_input else (name, value)
                 for name, value in feeds]
    notes = ["%s -> %s %s (OpenCV permutes a one-channel Reshape's input as an image)" % (p, r, s)
             for p, r, s in found]
    return edited, new_inputs, new_feeds, notes
