"""Large synthetic GraphDefs written without TensorFlow (for responsiveness tests and benchmarks)."""

from core.formats import protos


def write_chain_graph(path, count):
    """Writes a chain of ``count`` nodes in nested scopes (block_i/layer_j/op_k) to ``path``."""
    graph = protos.GraphDef()
    x = graph.node.add(name="input", op="Placeholder")
    x.attr["dtype"].type = 1
    previous = "input"
    for i in range(count - 1):
        node = graph.node.add(name="block_%d/layer_%d/op_%d" % (i // 1000, (i // 50) % 20, i),
                              op=("Relu", "Identity", "BiasAdd")[i % 3])
        node.input.append(previous)
        node.attr["T"].type = 1
        previous = node.name
    with open(str(path), "wb") as handle:
        handle.write(graph.SerializeToString())


def write_wide_graph(path, count=100000, const_bytes=168 << 20, fanout=100):
    """Writes a frozen-style GraphDef of ``count`` nodes: one input fanning out to ``fanout`` towers, each a
    MatMul by its own weight Const (``const_bytes`` in all) then a chain of Relu/BiasAdd in nested scopes;
    the towers are concatenated into ``logits`` and ``probs``. Returns the node count written."""
    import numpy as np
    graph = protos.GraphDef()
    width = 256
    x = graph.node.add(name="input", op="Placeholder")
    x.attr["dtype"].type = 1
    x.attr["shape"].shape.dim.add(size=-1)
    x.attr["shape"].shape.dim.add(size=width)
    columns = max(1, const_bytes // (4 * width * fanout))
    weights = np.random.RandomState(0).standard_normal(width * columns).astype(np.float32).tobytes()
    chain = max(1, (count - 4) // fanout - 3)
    ends = []
    for tower in range(fanout):
        scope = "tower_%d" % tower
        w = graph.node.add(name=scope + "/w", op="Const")
        w.attr["dtype"].type = 1
        tensor = w.attr["value"].tensor
        tensor.dtype = 1
        tensor.tensor_shape.dim.add(size=width)
        tensor.tensor_shape.dim.add(size=columns)
        tensor.tensor_content = weights
        matmul = graph.node.add(name=scope + "/MatMul", op="MatMul")
        matmul.input.extend(["input", scope + "/w"])
        matmul.attr["T"].type = 1
        b = graph.node.add(name=scope + "/b", op="Const")
        b.attr["dtype"].type = 1
        b.attr["value"].tensor.dtype = 1
        b.attr["value"].tensor.float_val.append(0.5)
        previous = scope + "/MatMul"
        for i in range(chain):
            node = graph.node.add(name="%s/block_%d/op_%d" % (scope, i // 50, i), op=("Relu", "BiasAdd")[i % 2])
            node.input.append(previous)
            if node.op == "BiasAdd":
                node.input.append(scope + "/b")
            node.attr["T"].type = 1
            previous = node.name
        ends.append(previous)
    axis = graph.node.add(name="concat/axis", op="Const")
    axis.attr["dtype"].type = 3
    axis.attr["value"].tensor.dtype = 3
    axis.attr["value"].tensor.int_val.append(1)
    concat = graph.node.add(name="logits", op="ConcatV2")
    concat.input.extend(ends + ["concat/axis"])
    concat.attr["N"].i = fanout
    concat.attr["T"].type = 1
    concat.attr["Tidx"].type = 3
    graph.node.add(name="probs", op="Softmax").input.append("logits")
    graph.node[-1].attr["T"].type = 1
    with open(str(path), "wb") as handle:
        handle.write(graph.SerializeToString())
    return len(graph.node)
