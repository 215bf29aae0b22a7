"""Fixed input shapes (``--shape NAME=1,224,224,3``) and the data layout a graph computes in."""

from core.errors import ModelError

PLACEHOLDERS = frozenset(["Placeholder", "PlaceholderV2", "PlaceholderWithDefault"])
_LAYOUT_OPS = frozenset(["Conv2D", "DepthwiseConv2dNative", "MaxPool", "AvgPool", "BiasAdd", "FusedBatchNorm",
                         "FusedBatchNormV2", "FusedBatchNormV3", "Conv2DBackpropInput", "Conv3D", "MaxPoolV2"])


def parse_shape(text):
    """"x=1,224,224,3" -> ("x", [1, 224, 224, 3]); "?" or -1 leaves a dimension unknown.

    Raises:
        ModelError: not NAME=DIMS.
    """
    name, sep, dims = text.partition("=")
    name = name.strip()
    if name.endswith(":0"):
        name = name[:-2]
    try:
        shape = [-1 if d.strip() in ("?", "-1", "None") else int(d) for d in dims.split(",") if d.strip()] \
            if dims.strip() not in ("", "[]") else []
    except ValueError:
        shape = None
    if not sep or not name or shape is None or any(d < -1 or d == 0 for d in shape):
        raise ModelError("--shape needs NAME=DIMS with positive sizes (e.g. images=1,224,224,3), got '%s'" % text)
    return name, shape


def _set_shape(target, shape):
    target.Clear()
    for size in shape:
        target.dim.add().size = size


def fix_shapes(graph_def, shapes):
    """Sets each named placeholder's shape (its ``shape`` attr and recorded ``_output_shapes``) in place.

    Args:
        shapes: dict placeholder name -> list of dims (-1 unknown).
    Raises:
        ModelError: an unknown input, or a shape that contradicts the graph's known dims.
    """
    nodes = dict((n.name, n) for n in graph_def.node)
    for name, shape in sorted(shapes.items()):
        node = nodes.get(name)
        if node is None or node.op not in PLACEHOLDERS:
            inputs = sorted(n.name for n in graph_def.node if n.op in PLACEHOLDERS)
            raise ModelError("--shape names '%s', which is not an input of the deployed graph (inputs: %s)"
                             % (name, ", ".join(inputs) or "none"))
        declared = node.attr["shape"].shape if "shape" in node.attr else None
        if declared is not None and not declared.unknown_rank and (declared.dim or shape == []):
            known = [int(d.size) for d in declared.dim]
            if len(known) != len(shape) or any(k >= 0 and k != s for k, s in zip(known, shape)):
                raise ModelError("--shape %s=%s contradicts the input's shape %s" % (
                    name, ",".join(str(d) for d in shape), known))
        _set_shape(node.attr["shape"].shape, shape)
        if "_output_shapes" in node.attr and node.attr["_output_shapes"].list.shape:
            _set_shape(node.attr["_output_shapes"].list.shape[0], shape)


# Up to GraphDef producer 21 a Placeholder's empty ``shape {}`` meant "any shape" (TensorFlow's Placeholder
# shape function still reads it so for such graphs); the converters read it as a scalar.
LAST_UNCONSTRAINED_EMPTY_SHAPE = 21


def explicit_legacy_shapes(graph_def):
    """In a graph of producer <= 21, gives each placeholder whose ``shape`` is an empty ``{}`` the shape it
    really has: its recorded ``_output_shapes`` when there is one, else an unknown rank (in place).

    Returns:
        list of the placeholder names changed.
    """
    if graph_def.versions.producer > LAST_UNCONSTRAINED_EMPTY_SHAPE:
        return []
    changed = []
    for node in graph_def.node:
        if node.op not in PLACEHOLDERS or "shape" not in node.attr:
            continue
        declared = node.attr["shape"].shape
        if declared.unknown_rank or declared.dim:
            continue
        recorded = node.attr["_output_shapes"].list.shape if "_output_shapes" in node.attr else []
        if recorded:
            declared.CopyFrom(recorded[0])
        else:
            declared.unknown_rank = True
        changed.append(node.name)
    return changed


def data_layout(graph_def):
    """"NHWC", "NCHW", "NHWC+NCHW" (both), or None when no op of the graph has a data layout."""
    found = set()
    for node in graph_def.node:
        if node.op in _LAYOUT_OPS:
            fmt = node.attr["data_format"].s.decode("ascii", "replace") if "data_format" in node.attr else "NHWC"
            found.add(fmt.replace("NDHWC", "NHWC").replace("NCDHW", "NCHW"))
    if not found:
        return None
    return "+".join(sorted(found, reverse=True))
