"""The clean-ups in order, each kept only when TensorFlow says it changed no output (see core.deploy.stage)."""

import collections

from core.deploy.batchnorm_folding import fold_batch_norms
from core.deploy.constant_folding import fold_constants
from core.deploy.dropout_folding import fold_dropout
from core.deploy.graph_edit import copy_graph
from core.deploy.shapes import explicit_legacy_shapes, fix_shapes
from core.deploy.strip import strip_graph


class Stage(collections.namedtuple("Stage", "name graph_def note")):
    """One clean-up's result: its name ("strip"), the graph after it, and what it did in one line."""


def _strip(graph_def, outputs):
    graph, result = strip_graph(graph_def, outputs)
    return graph, result.summary()


def _fold(graph_def, outputs):
    graph, count = fold_constants(graph_def, outputs)
    return graph, ("%d node%s" % (count, "s" * (count != 1))) if count else ""


def _shapes(graph_def, outputs):
    """Folding again, the Shape/Size/Rank of computed tensors whose shape the shape functions fix included
    (a stage of its own: if TensorFlow says it changed an output, the plain folding stays)."""
    graph, count = fold_constants(graph_def, outputs, inferred=True)
    return graph, ("%d node%s" % (count, "s" * (count != 1))) if count else ""


def _dropout(graph_def, outputs):
    graph, count = fold_dropout(graph_def, outputs)
    return graph, ("%d dropout%s at keep probability 1" % (count, "s" * (count != 1))) if count else ""


def _batch_norm(graph_def, outputs):
    graph, notes = fold_batch_norms(graph_def, outputs)
    return graph, "; ".join(notes)


CLEANUPS = (("strip", _strip), ("fold constants", _fold), ("fold static shapes", _shapes), ("fold dropout", _dropout),
            ("fold batch norm", _batch_norm))


def shaped(graph_def, shapes):
    """The frozen graph with the fixed input shapes applied (the graph every stage starts from); an old
    graph's "any shape" placeholders made explicit, as the converters read an empty shape as a scalar."""
    graph = copy_graph(graph_def)
    explicit_legacy_shapes(graph)
    if shapes:
        fix_shapes(graph, shapes)
    return graph


def cleanup_stages(graph_def, outputs, names=None):
    """Each clean-up applied after the previous one; a clean-up that changes nothing is left out.

    Args:
        names: the clean-ups to run (default all, in CLEANUPS order).
    Returns:
        list of Stage, in order.
    """
    stages = []
    current = graph_def
    for name, function in CLEANUPS:
        if names is not None and name not in names:
            continue
        graph, note = function(current, outputs)
        if note:
            stages.append(Stage(name, graph, note))
            current = graph
    return stages
