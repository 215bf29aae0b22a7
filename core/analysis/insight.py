"""Graph insight in one call: roles, real inputs, training switches, ranked outputs, tree, search."""

import logging
import time

from core.analysis.candidates import rank_candidates
from core.analysis.graph_model import GraphModel
from core.analysis.node_details import node_details
from core.analysis.roles import assign_roles
from core.analysis.scope_tree import ScopeTree
from core.analysis.search import SearchIndex
from core.analysis.summary import summarize
from core.analysis.training_evidence import read_evidence
from core.analysis.training_switches import find_training_switches

log = logging.getLogger(__name__)


class _NodeSubset(object):
    """A GraphDef stand-in holding only some of its nodes (``node``), for whole-graph scans."""

    def __init__(self, nodes):
        self.node = nodes


def _placeholder_subset(model):
    """The placeholders and their defaults' producers: all find_training_switches reads, without
    walking the other 100k nodes of a big graph again."""
    wanted = set()
    for i, op in enumerate(model.ops):
        if op in ("Placeholder", "PlaceholderWithDefault", "PlaceholderV2"):
            wanted.add(i)
            wanted.update(s for s, _ in model.data_in[i])
    nodes = model.graph_def.node
    return _NodeSubset([nodes[i] for i in sorted(wanted)])


class InputInfo(object):
    """A real input: name, dtype, shape (list, -1 unknown, or None), consumers_count, role."""

    __slots__ = ("name", "dtype", "shape", "consumers_count", "role")

    def __init__(self, name, dtype, shape, consumers_count, role):
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.consumers_count = consumers_count
        self.role = role

    def _asdict(self):
        return dict((k, getattr(self, k)) for k in self.__slots__)


class GraphAnalysis(object):
    """Everything the window and `inspect` show about a graph.

    Attributes:
        graph: core.analysis.graph_model.GraphModel.
        roles: dict node name -> role: "input", "training_input" (labels), "variable", "constant",
            "inference", "loss", "training" (gradients, optimizer, slots), "saver", "summary",
            "initializer", "update" (moving averages), "switch" (a training switch) or "other"
            (bookkeeping that fits none, such as a dangling NoOp).
        inputs: list of InputInfo, the placeholders the inference part depends on.
        labels: names of the training-only placeholders.
        training_switches: list of core.analysis.training_switches.SwitchInfo.
        candidates: list of core.analysis.candidates.Candidate, best first.
        heads: list of core.analysis.heads.Head: the forms of each prediction, suggested heads first.
        suggested: the output names a user would freeze (one form per head of each prediction).
        evidence: core.analysis.training_evidence.TrainingEvidence (losses, optimizers, the loss frontier).
        scope_tree: core.analysis.scope_tree.ScopeTree (built on first use).
    """

    def __init__(self, graph_def, meta_graph=None, progress=None):
        started = time.time()
        self._meta_graph = meta_graph
        self.graph = GraphModel(graph_def)
        if progress is not None:
            progress("finding roles")
        self.training_switches = find_training_switches(_placeholder_subset(self.graph))
        self._roles = assign_roles(self.graph, meta_graph, [s.name for s in self.training_switches])
        self.roles = dict(zip(self.graph.names, self._roles.role))
        self.inputs = [self._input_info(i) for i in self._roles.inputs]
        self.labels = [self.graph.names[i] for i in self._roles.labels]
        if progress is not None:
            progress("ranking outputs")
        self.evidence = read_evidence(self.graph, self._roles, meta_graph)
        ranking = rank_candidates(self.graph, self._roles, meta_graph, self.evidence)
        self.candidates = ranking.candidates
        self.heads = ranking.heads
        self.suggested = ranking.suggested
        from core.analysis.evidence import signatures
        self.signatures = signatures(meta_graph)
        self._tree = None
        self._search_index = None
        log.info("analysed %d nodes in %.2fs", len(self.graph), time.time() - started)

    def _input_info(self, i):
        from core.formats import dtypes
        from core.analysis.candidates import output_shapes
        node = self.graph.graph_def.node[i]
        shape = None
        if "shape" in node.attr and not node.attr["shape"].shape.unknown_rank:
            shape = [int(d.size) for d in node.attr["shape"].shape.dim]
        if shape is None or not shape:
            shapes = output_shapes(node)
            if shapes and shapes[0] is not None:
                shape = shapes[0]
        dtype = dtypes.name(node.attr["dtype"].type) if "dtype" in node.attr else "?"
        return InputInfo(node.name, dtype, shape, len(set(self.graph.data_out[i])), self._roles.role[i])

    @property
    def scope_tree(self):
        """The core.analysis.scope_tree.ScopeTree of the node names (built on first use)."""
        if self._tree is None:
            self._tree = ScopeTree(self.graph.names)
        return self._tree

    @property
    def search_index(self):
        """The core.analysis.search.SearchIndex of this graph (built on first use)."""
        if self._search_index is None:
            self._search_index = SearchIndex(self.graph.names, self.graph.ops)
        return self._search_index

    def search(self, query, limit=None):
        """Node names matching ``query`` (core.analysis.search syntax), in graph order.

        Raises:
            core.analysis.search.QueryError: a malformed query.
        """
        return self.search_index.search(query, limit)

    def details(self, name):
        """core.analysis.node_details.NodeDetails of node ``name`` (computed on demand).

        Raises:
            KeyError: no such node.
        """
        return node_details(self.graph, self._roles, name, self._meta_graph)

    def summary(self, variable_bytes=None, outputs=None):
        """core.analysis.summary.Summary.

        Args:
            variable_bytes: dict variable name -> bytes in the checkpoint.
            outputs: chosen output names, for the frozen-size estimate (None: no estimate).
        """
        return summarize(self.graph, self._roles, variable_bytes, outputs)

    def required_inputs(self, outputs):
        """The inputs ``outputs`` need (core.analysis.inputs.RequiredInput list, graph order): dtype,
        shape, must-feed or has-default, and the likely inference value (keep_prob 1.0, switches)."""
        from core.analysis.inputs import required_inputs, signature_inputs
        found = signature_inputs(self.graph, self.signatures, outputs)
        if found is not None:
            return found
        return required_inputs(self.graph, outputs, [s.name for s in self.training_switches], self.evidence.flow)


def analyze(graph_def, meta_graph=None, progress=None):
    """Analyses a graph (protos.GraphDef, with its MetaGraphDef when there is one).

    Returns:
        GraphAnalysis.
    """
    return GraphAnalysis(graph_def, meta_graph, progress)
