"""The input cuts a deploy applies: the user's, plus the input pipeline's queues and iterators the outputs read."""

from core.analysis.graph_model import GraphModel
from core.analysis.input_pipeline import SOURCE_OPS, suggest_cuts
from core.freeze.input_cuts import parse_tensor, placeholder_name
from core.names import node_name


def tensors_read(graph, outputs, cuts):
    """The tensors ``(node index, port)`` the outputs read through data edges, not looking above a cut
    tensor (a cut replaces that one tensor only: a cut at ``IteratorGetNext:1`` leaves port 0 read)."""
    cut_at = set()
    for cut in cuts:
        name, port = parse_tensor(cut)
        if name in graph.position:
            cut_at.add((graph.position[name], port))
    starts = [graph.position[node_name(o)] for o in outputs if node_name(o) in graph.position]
    seen, stack, read = set(starts), list(starts), set()
    while stack:
        for source, port in graph.data_in[stack.pop()]:
            if (source, port) in cut_at:
                continue
            read.add((source, port))
            if source not in seen:
                seen.add(source)
                stack.append(source)
    return read


def deploy_cuts(graph_def, meta_graph, outputs, user_cuts=(), suggested=True):
    """The tensors to cut at: ``user_cuts``, then (when ``suggested``) each suggested cut of a queue or
    iterator output that the outputs still read once the user's cuts are made.

    Returns:
        list of tensor names ("IteratorGetNext:1"), each once.
    """
    cuts = []
    for cut in user_cuts:
        if "%s:%d" % parse_tensor(cut) not in ["%s:%d" % parse_tensor(c) for c in cuts]:
            cuts.append(cut)
    if not suggested:
        return cuts
    graph = GraphModel(graph_def)
    read = tensors_read(graph, outputs, cuts)
    for cut in suggest_cuts(graph_def, meta_graph, graph):
        name, port = parse_tensor(cut.name)
        if cut.op in SOURCE_OPS and (graph.position.get(name), port) in read:
            cuts.append(cut.name)
    return cuts


def cut_renames(cuts):
    """dict placeholder name in the frozen graph -> the source tensor it stands for (to feed the checkpoint)."""
    renames = {}
    for cut in cuts:
        node, port = parse_tensor(cut)
        name = placeholder_name(node, port)
        renames[name] = "%s:%d" % (node, port)
    return renames
