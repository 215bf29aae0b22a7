"""A synthetic Inception-like GraphDef (4-branch mixed blocks with concats) written without TensorFlow."""

from core.formats import protos

FLOAT = 1


def _node(graph, name, op, inputs=(), shape=None):
    node = graph.node.add(name=name, op=op)
    node.input.extend(inputs)
    node.attr["T"].type = FLOAT
    if shape is not None:
        dims = node.attr["_output_shapes"].list.shape.add()
        for size in shape:
            dims.dim.add(size=size)
    return node


def _variable(graph, name, shape):
    var = graph.node.add(name=name, op="VariableV2")
    var.attr["dtype"].type = FLOAT
    for size in shape:
        var.attr["shape"].shape.dim.add(size=size)
    _node(graph, name + "/read", "Identity", [name], shape)
    return name + "/read"


def _conv(graph, scope, source, channels_in, channels, size, spatial):
    """Conv2D + batch norm (4 variables) + Relu: 12 nodes, like a slim conv2d layer."""
    weights = _variable(graph, scope + "/weights", [size, size, channels_in, channels])
    out = [-1, spatial, spatial, channels]
    conv = _node(graph, scope + "/Conv2D", "Conv2D", [source, weights], out).name
    params = [_variable(graph, "%s/BatchNorm/%s" % (scope, p), [channels])
              for p in ("gamma", "beta", "moving_mean", "moving_variance")]
    norm = _node(graph, scope + "/BatchNorm/FusedBatchNorm", "FusedBatchNorm", [conv] + params, out)
    for _ in range(4):  # one recorded shape per output, as TensorFlow writes them (the importer checks it)
        norm.attr["_output_shapes"].list.shape.add().dim.add(size=channels)
    norm = norm.name
    return _node(graph, scope + "/Relu", "Relu", [norm], out).name


def _mixed(graph, scope, source, channels_in, spatial):
    """A 4-branch block: 1x1; 1x1->5x5; 1x1->3x3->3x3; avg pool->1x1; concatenated."""
    branches = [
        _conv(graph, scope + "/Branch_0/Conv2d_0a_1x1", source, channels_in, 64, 1, spatial),
    ]
    b1 = _conv(graph, scope + "/Branch_1/Conv2d_0a_1x1", source, channels_in, 48, 1, spatial)
    branches.append(_conv(graph, scope + "/Branch_1/Conv2d_0b_5x5", b1, 48, 64, 5, spatial))
    b2 = _conv(graph, scope + "/Branch_2/Conv2d_0a_1x1", source, channels_in, 64, 1, spatial)
    b2 = _conv(graph, scope + "/Branch_2/Conv2d_0b_3x3", b2, 64, 96, 3, spatial)
    branches.append(_conv(graph, scope + "/Branch_2/Conv2d_0c_3x3", b2, 96, 96, 3, spatial))
    pool = _node(graph, scope + "/Branch_3/AvgPool_0a_3x3/AvgPool", "AvgPool", [source],
                 [-1, spatial, spatial, channels_in]).name
    branches.append(_conv(graph, scope + "/Branch_3/Conv2d_0b_1x1", pool, channels_in, 32, 1, spatial))
    axis = graph.node.add(name=scope + "/concat/axis", op="Const")
    axis.attr["dtype"].type = 3
    axis.attr["value"].tensor.dtype = 3
    axis.attr["value"].tensor.int_val.append(3)
    return _node(graph, scope + "/concat", "ConcatV2", branches + [axis.name], [-1, spatial, spatial, 256]).name


def inception_like(nodes=5000):
    """A GraphDef of about ``nodes`` nodes: a stem, mixed blocks, then logits and a Softmax."""
    graph = protos.GraphDef()
    images = graph.node.add(name="input", op="Placeholder")
    images.attr["dtype"].type = FLOAT
    dims = images.attr["_output_shapes"].list.shape.add()
    # one spatial size throughout: the convs and pools are SAME with stride 1 (_complete_attrs), and a freeze
    # checks the recorded shapes against what TensorFlow's shape functions give
    for size in (-1, 35, 35, 3):
        dims.dim.add(size=size)
    net = _conv(graph, "InceptionV3/Conv2d_1a_3x3", "input", 3, 32, 3, 35)
    net = _conv(graph, "InceptionV3/Conv2d_2a_3x3", net, 32, 64, 3, 35)
    block = 0
    channels = 64
    while len(graph.node) < nodes - 120:
        net = _mixed(graph, "InceptionV3/Mixed_%d" % block, net, channels, 35)
        channels = 256
        block += 1
    weights = _variable(graph, "InceptionV3/Logits/weights", [channels, 1001])
    pooled = _node(graph, "InceptionV3/Logits/AvgPool", "Mean", [net], [-1, channels]).name
    logits = _node(graph, "InceptionV3/Logits/MatMul", "MatMul", [pooled, weights], [-1, 1001]).name
    _node(graph, "InceptionV3/Predictions/Softmax", "Softmax", [logits], [-1, 1001])
    return graph


def _complete_attrs(node):
    """The attrs a real graph's ops carry that the drawing-only builder leaves out (a freeze checks them)."""
    attr = node.attr
    if node.op in ("Conv2D", "AvgPool"):
        attr["strides"].list.i.extend([1, 1, 1, 1])
        attr["padding"].s = b"SAME"
    if node.op == "AvgPool":
        attr["ksize"].list.i.extend([1, 3, 3, 1])
    if node.op == "ConcatV2":
        attr["N"].i = len([i for i in node.input if not i.startswith("^")]) - 1
        attr["Tidx"].type = 3
    if node.op == "Mean":
        attr["Tidx"].type = 3


def inception_frozen_like(nodes=5000):
    """inception_like with each variable a Const of its dtype and shape (no values): a graph whose freeze plan
    needs no checkpoint, for drawing what a freeze keeps."""
    graph = inception_like(nodes)
    for node in list(graph.node):
        _complete_attrs(node)
        if node.op == "Mean":  # its reduction axes, an input of Mean in every release
            axes = graph.node.add(name=node.name + "/reduction_indices", op="Const")
            axes.attr["dtype"].type = 3
            axes.attr["value"].tensor.dtype = 3
            axes.attr["value"].tensor.tensor_shape.dim.add(size=2)
            axes.attr["value"].tensor.int_val.extend([1, 2])
            node.input.append(axes.name)
        if node.op == "VariableV2":
            shape = [d.size for d in node.attr["shape"].shape.dim]
            node.op = "Const"
            node.ClearField("attr")
            node.attr["dtype"].type = FLOAT
            node.attr["value"].tensor.dtype = FLOAT
            for size in shape:
                node.attr["value"].tensor.tensor_shape.dim.add(size=size)
    return graph


def frozen_subgraph(graph_def, outputs, max_nodes=None):
    """(Subgraph, GraphModel) of what freezing ``graph_def`` (no variables) on ``outputs`` keeps, as the graph
    view draws it: core.freeze.plan_graph over the plan, past ``max_nodes`` the nodes nearest the outputs."""
    import os
    import tempfile
    from core import api
    from core.analysis.graph_model import GraphModel
    from core.analysis.subgraph import whole_subgraph
    from core.freeze.plan_graph import kept_graph
    path = os.path.join(tempfile.mkdtemp(), "graph.pb")
    with open(path, "wb") as handle:
        handle.write(graph_def.SerializeToString())
    with api.load(path) as loaded:
        kept = kept_graph(api.plan(loaded, api.FreezeSession(outputs).request()), max_nodes)
    os.remove(path)
    model = GraphModel(kept.graph_def)
    return whole_subgraph(model, kept.hidden), model
