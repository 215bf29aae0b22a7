"""The input cuts a deploy applies: the user's, plus the input pipeline's queues and iterators the outputs read."""

from core.analysis.graph_model import GraphModel
from core.analysis.input_pipeline import SOURCE_OPS, suggest_cuts
from core.freeze.input_cuts import parse_tensor, placeholder_name
from core.names import node_name


def deploy_cuts(graph_def, meta_graph, outputs, user_cuts=(), suggested=True):
    """The tensors to cut at: ``user_cuts``, then (when ``suggested``) each suggested cut of a queue or
    iterator that the outputs depend on (through data or control edges) and no user cut already covers.

    Returns:
        list of tensor names ("IteratorGetNext:1").
    """
    cuts = list(user_cuts)
    if not suggested:
        return cuts
    graph = GraphModel(graph_def)
    starts = [graph.position[node_name(o)] for o in outputs if node_name(o) in graph.position]
    needed = graph.ancestor_indexes(starts, include_control=False)
    above_user = set()
    if cuts:
        cut_nodes = [graph.position[node_name(c)] for c in cuts if node_name(c) in graph.position]
        above_user = graph.ancestor_indexes(cut_nodes, include_control=True)
    for cut in suggest_cuts(graph_def, meta_graph):
        index = graph.position.get(node_name(cut.name))
        if cut.op not in SOURCE_OPS or index is None or index not in needed or index in above_user:
            continue
        if cut.name not in cuts:
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
