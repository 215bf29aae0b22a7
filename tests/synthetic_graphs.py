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
