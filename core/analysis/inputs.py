"""The inputs chosen outputs need: placeholders (or input-pipeline tensors) with dtype, shape and inference value."""

import collections
import re

from core.formats import dtypes
from core.names import node_name
from core.analysis.evidence import SOURCE_PORTS_OPS, is_dropout_rate, used_ports

PLACEHOLDER_OPS = frozenset(["Placeholder", "PlaceholderV2", "PlaceholderWithDefault"])


class RequiredInput(collections.namedtuple(
        "RequiredInput", "name dtype shape must_feed value kind reason")):
    """An input the outputs depend on.

    name: "node" (or "node:k" for an output port of an input-pipeline op other than 0); dtype: "float32";
    shape: list of dims (-1 unknown) or None; must_feed: False when it has a default;
    value: the likely inference value (1.0 for a keep_prob, a switch's default) or None;
    kind: "data", "keep_prob", "dropout_rate", "switch", "sequence_length", "size" or "pipeline";
    reason: why the value/kind was chosen ("" for plain data).
    """


def _declared_shape(node):
    """The placeholder's shape: its `shape` attr, or the `_output_shapes` TF recorded when those say more
    (before TF 1.2 an unknown shape was written `shape {}`, like a scalar's)."""
    recorded = None
    if "_output_shapes" in node.attr:
        shapes = node.attr["_output_shapes"].list.shape
        if shapes and not shapes[0].unknown_rank:
            recorded = [int(d.size) for d in shapes[0].dim]
    if "shape" in node.attr and node.attr["shape"].WhichOneof("value") == "shape":
        shape = node.attr["shape"].shape
        if not shape.unknown_rank and (shape.dim or not recorded):
            return [int(d.size) for d in shape.dim]
    return recorded


def _legacy_unknown(node):
    """`shape {}` with nothing recorded beside it: a scalar, or an unknown shape from before TF 1.2."""
    if "shape" not in node.attr:
        return True
    shape = node.attr["shape"].shape
    return not shape.dim and ("_output_shapes" not in node.attr or not node.attr["_output_shapes"].list.shape
                              or node.attr["_output_shapes"].list.shape[0].unknown_rank
                              or not node.attr["_output_shapes"].list.shape[0].dim)


def _port_shape(node, port):
    if "_output_shapes" in node.attr:
        shapes = node.attr["_output_shapes"].list.shape
        if port < len(shapes) and not shapes[port].unknown_rank:
            return [int(d.size) for d in shapes[port].dim]
    if "output_shapes" in node.attr and port < len(node.attr["output_shapes"].list.shape):
        shape = node.attr["output_shapes"].list.shape[port]
        if not shape.unknown_rank:
            return [int(d.size) for d in shape.dim]
    return None


def _port_dtype(node, port):
    for key in ("output_types", "component_types", "Tdense"):
        if key in node.attr and port < len(node.attr[key].list.type):
            return dtypes.name(node.attr[key].list.type[port])
    if "dtype" in node.attr:
        return dtypes.name(node.attr["dtype"].type)
    return "?"


def _consumer_shape(model, i, needed):
    """A shape for a placeholder that declares none, read from what the outputs compute from it."""
    for d in sorted(set(model.data_out[i])):
        if d not in needed:
            continue  # the gradients' use of an input says nothing
        op = model.ops[d]
        node = model.graph_def.node[d]
        if op == "Reshape" and model.data_in[d][0][0] == i:
            shape = _reshape_input(model, d)
            if shape:
                return shape
        if op in ("Reshape", "Identity", "Cast", "ExpandDims") or not model.data_in[d]:
            continue
        if op == "MatMul" and len(model.data_in[d]) == 2 and model.data_in[d][0][0] == i \
                and not node.attr["transpose_a"].b:
            dims = _dims_of(model, model.data_in[d][1][0])
            inner = dims[1 if node.attr["transpose_b"].b else 0] if dims and len(dims) == 2 else None
            if inner and inner > 0:
                return [-1, inner]
        if op in ("Conv2D", "DepthwiseConv2dNative", "MaxPool", "AvgPool"):
            return [-1, -1, -1, -1] if op != "Conv2D" else _conv_input(model, d)
    return None


_RANKED_USERS = frozenset(["MatMul", "Conv2D", "Conv3D", "BiasAdd", "Reshape", "DepthwiseConv2dNative", "MaxPool",
                           "AvgPool", "GatherV2", "Gather", "Transpose", "ConcatV2"])


def _needs_rank(model, i):
    """Whether a consumer needs placeholder ``i`` to be more than a scalar."""
    return is_dropout_rate(model, i) is None and any(model.ops[d] in _RANKED_USERS for d in model.data_out[i])


def _int_values(node):
    """The integers of a small int Const (a reshape's target shape), or None."""
    if node.op != "Const" or "value" not in node.attr:
        return None
    tensor = node.attr["value"].tensor
    if tensor.dtype not in (dtypes.DT_INT32, dtypes.DT_INT64):
        return None
    if tensor.tensor_content:
        try:
            return dtypes.proto_values(tensor).ravel().tolist()
        except ValueError:
            return None
    return dtypes.typed_values(tensor) or None


def _reshape_input(model, reshape):
    """[-1, n] for data reshaped to [-1, a, b, ...] (n = a*b*...)."""
    if len(model.data_in[reshape]) < 2:
        return None
    target = _int_values(model.graph_def.node[model.data_in[reshape][1][0]])
    if not target or target[0] != -1 or any(t <= 0 for t in target[1:]):
        return None
    count = 1
    for t in target[1:]:
        count *= t
    return [-1, count]


def _conv_input(model, conv):
    if len(model.data_in[conv]) > 1:
        channels = _dims_of(model, model.data_in[conv][1][0])
        if channels and len(channels) == 4:
            return [-1, -1, -1, channels[2]]
    return [-1, -1, -1, -1]


def _dims_of(model, i, depth=0):
    node = model.graph_def.node[i]
    if node.op in ("VariableV2", "Variable", "VarHandleOp") and "shape" in node.attr:
        return [int(d.size) for d in node.attr["shape"].shape.dim]
    if node.op in ("Identity", "ReadVariableOp") and model.data_in[i] and depth < 4:
        return _dims_of(model, model.data_in[i][0][0], depth + 1)
    shapes = _port_shape(node, 0)
    return shapes


def _kind_and_value(model, i, node, dtype, shape):
    """(kind, value, reason) for a placeholder."""
    if node.op == "PlaceholderWithDefault":
        from core.analysis.training_switches import const_value
        value = const_value(model.graph_def.node[model.data_in[i][0][0]]) if model.data_in[i] else None
        if dtype == "bool":
            return "switch", value, "a training switch: its default"
        return "data", value, "has a default"
    dropout = is_dropout_rate(model, i)
    if dropout == "keep_prob":
        return "keep_prob", 1.0, "feeds a dropout: keep_prob 1.0 at inference"
    if dropout == "rate":
        return "dropout_rate", 0.0, "feeds a dropout: rate 0.0 at inference"
    if dtype == "bool" and shape == []:
        return "switch", False, "a boolean switch: False (inference)"
    if dtype.startswith("int") and shape is not None and len(shape) == 1 and _feeds_sequence_length(model, i):
        return "sequence_length", None, "a sequence-length vector (one length per example)"
    if dtype.startswith("int") and shape == []:
        return "size", None, "an integer scalar (a batch size or a length)"
    return "data", None, ""


def _feeds_sequence_length(model, i):
    """Whether an int vector bounds a dynamic RNN or a mask (feeds a Max/Less/SequenceMask in two steps)."""
    frontier = [(d, 1) for d in model.data_out[i]]
    while frontier:
        d, depth = frontier.pop()
        op = model.ops[d]
        name = model.names[d]
        if op in ("Max", "Less", "GreaterEqual", "ReverseSequence", "CTCLoss", "CTCBeamSearchDecoder",
                  "CTCGreedyDecoder") or "SequenceMask" in name or "sequence_length" in name:
            return True
        if depth < 3 and op in ("Identity", "Cast", "ToInt32", "Enter"):
            frontier.extend((e, depth + 1) for e in model.data_out[d])
    return False


def required_inputs(model, outputs, switch_names=(), flow=None):
    """The inputs ``outputs`` depend on, in graph order.

    Args:
        model: core.analysis.graph_model.GraphModel.
        outputs: output names ("name" or "name:k").
        switch_names: known training switches (reported with kind "switch").
        flow: the graph's core.analysis.frontier.Flow, when known: data that random noise no input controls
            is mixed into before the network reads it (a denoiser's noisy image) is an input of its own.
    Returns:
        list of RequiredInput.
    """
    starts = [model.position[node_name(o)] for o in outputs if node_name(o) in model.position]
    noisy = noisy_inputs(model, flow, model.ancestor_indexes(starts)) if flow is not None else []
    needed = _ancestors_before(model, starts, set(noisy))
    result = [_noisy_entry(model, i) for i in noisy if i in needed]
    switches = set(switch_names)
    for i in sorted(needed):
        op = model.ops[i]
        node = model.graph_def.node[i]
        if op in PLACEHOLDER_OPS:
            dtype = dtypes.name(node.attr["dtype"].type) if "dtype" in node.attr else "?"
            shape = _declared_shape(node)
            if shape == [] and _legacy_unknown(node) and _needs_rank(model, i):
                shape = None  # `shape {}` from before TF 1.2 means unknown: a MatMul or reshape says so
            if shape is None:
                shape = _consumer_shape(model, i, needed)
            kind, value, reason = _kind_and_value(model, i, node, dtype, shape)
            if kind in ("keep_prob", "dropout_rate") and not shape:
                shape = []  # a dropout's keep_prob/rate is a scalar
            if node.name in switches and kind == "data":
                kind = "switch"
            entry = _named_entry(model, i) if kind == "data" else None
            if entry is not None:
                entry_node = model.graph_def.node[entry]
                shapes = _port_shape(entry_node, 0)
                result.append(RequiredInput(entry_node.name, dtype, shapes if shapes is not None else shape, True,
                                            None, "data", "the authors' named input (a %s of %s): feed it"
                                            % (entry_node.op, node.name)))
                continue
            result.append(RequiredInput(node.name, dtype, shape, op != "PlaceholderWithDefault", value, kind,
                                        reason))
        elif op in SOURCE_PORTS_OPS:
            result.extend(_pipeline_ports(model, i, needed))
    return result


# Ops that make random values (not the random-order queues of an input pipeline).
_RANDOM = frozenset(["RandomUniform", "RandomUniformInt", "RandomStandardNormal", "TruncatedNormal", "RandomGamma",
                     "RandomPoisson", "RandomPoissonV2", "RandomShuffle", "Multinomial", "RandomCrop",
                     "ParameterizedTruncatedNormal", "StatelessRandomNormal", "StatelessRandomUniform"])
_VIEWS = frozenset(["Reshape", "Identity", "Squeeze", "ExpandDims", "Cast", "Transpose"])


def noisy_inputs(model, flow, needed):
    """Tensors the network reads that mix an input's data with random values nothing fed controls (noise a
    training graph adds to its images): a deployed model is fed that tensor. Indexes, in graph order."""
    found = set()
    for a in sorted(flow.applies & needed):
        for s, _ in model.data_in[a]:
            if not flow.raw.get(s, 0) or flow.params.get(s, 0):
                continue
            while model.ops[s] in _VIEWS and model.data_in[s] and flow.raw.get(model.data_in[s][0][0], 0):
                s = model.data_in[s][0][0]
            if s in flow.source_nodes:
                continue
            if any(_uncontrolled_noise(model, flow, r) for r, _ in model.data_in[s]):
                found.add(s)
    return sorted(found)


def _uncontrolled_noise(model, flow, i):
    """Whether node ``i``'s value comes from a random op and constants only (no input, no variable)."""
    if flow.source_bits.get(i, 0) or flow.params.get(i, 0):
        return False
    seen = set([i])
    stack = [i]
    random = False
    while stack and len(seen) < 64:
        j = stack.pop()
        random = random or model.ops[j] in _RANDOM
        for s, _ in model.data_in[j]:
            if s not in seen:
                seen.add(s)
                stack.append(s)
    return random


def _ancestors_before(model, starts, cuts):
    """What ``starts`` depend on, not looking past the ``cuts`` (which are included)."""
    seen = set(starts)
    stack = [i for i in seen if i not in cuts]
    while stack:
        i = stack.pop()
        for s in [s for s, _ in model.data_in[i]] + model.control_in[i]:
            if s not in seen:
                seen.add(s)
                if s not in cuts:
                    stack.append(s)
    return seen


def _noisy_entry(model, i):
    node = model.graph_def.node[i]
    from core.analysis.input_pipeline import tensor_dtype
    dtype = tensor_dtype(node, 0)
    return RequiredInput(node.name + ":0", dtypes.name(dtype) if dtype else "?", _port_shape(node, 0), True,
                         None, "data", "the data with the training graph's random noise in it (%s): cut here and "
                         "feed it" % node.op)


_INPUT_NAME = re.compile(r"^(input|inputs|input_x|x|x_input|images?|features?|data)(_\d+)?$", re.IGNORECASE)


def _named_entry(model, i):
    """A plain placeholder whose only use is a reshape the authors named as the input (`input` =
    tf.reshape(Placeholder, ...)): clients feed that tensor. Returns its index or None."""
    users = sorted(set(model.data_out[i]))
    if len(users) != 1 or model.ops[users[0]] not in ("Reshape", "Identity", "ExpandDims", "Cast"):
        return None
    name = model.names[users[0]]
    if "/" in name or not _INPUT_NAME.match(name) or _INPUT_NAME.match(model.names[i]):
        return None
    return users[0]


def _pipeline_ports(model, i, needed):
    """The ports of an input-pipeline op (IteratorGetNext, a queue's DequeueMany) the outputs read."""
    node = model.graph_def.node[i]
    ports = set()
    for d in set(model.data_out[i]):
        if d in needed:
            ports.update(p for s, p in model.data_in[d] if s == i)
    multi = len(used_ports(model, i)) > 1 or any(p > 0 for p in ports)
    result = []
    for port in sorted(ports):
        name = "%s:%d" % (node.name, port) if multi else node.name
        result.append(RequiredInput(name, _port_dtype(node, port), _port_shape(node, port), True, None,
                                    "pipeline", "read from the input pipeline (%s); feed it directly" % node.op))
    return result


def signature_inputs(model, signatures, outputs):
    """The inputs of the SavedModel signature whose outputs cover ``outputs`` (those are what a server
    feeds), or None when no signature does.

    Args:
        model: core.analysis.graph_model.GraphModel.
        signatures: list of core.analysis.evidence.Signature (sorted by name).
    """
    wanted = set(node_name(o) for o in outputs)
    for signature in signatures:
        if not wanted or not wanted <= set(node_name(t) for _, t in signature.outputs):
            continue
        result = []
        for _, tensor in signature.inputs:
            name = tensor[:-2] if tensor.endswith(":0") else tensor
            index = model.position.get(node_name(tensor))
            node = model.graph_def.node[index] if index is not None else None
            port = int(tensor.rsplit(":", 1)[1]) if ":" in tensor else 0
            dtype = _port_dtype(node, port) if node is not None else "?"
            shape = (_declared_shape(node) if node is not None and node.op in PLACEHOLDER_OPS
                     else _port_shape(node, port) if node is not None else None)
            result.append(RequiredInput(name, dtype, shape, node is None or node.op != "PlaceholderWithDefault",
                                        None, "data", "SavedModel signature '%s'" % signature.name))
        return result
    return None
