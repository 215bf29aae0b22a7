"""Initialised-checks of variables that a freeze turns into constants: always true, and their conds folded.

Estimator graphs guard every model op with a control dependency on a read of the global step
through `cond(IsVariableInitialized(global_step), ...)`; a Const cannot feed the check's ref
input, so TF 1.4's own freezer writes a graph that fails to import.
"""

from core.formats.dtypes import DT_BOOL
from core.formats.node_table import node_table
from core.formats.saver_map import VARIABLE_OPS
from core.freeze.graph_edits import GraphEdits
from core.freeze.node_defs import const_node
from core.freeze.switch_folding import fold_known
from core.names import node_name

CHECK_OPS = frozenset(["IsVariableInitialized", "VarIsInitializedOp"])


def initialized_checks(graph_def):
    """GraphEdits that make every initialised-check of a variable a Const true and fold the conds on it.

    Returns:
        GraphEdits (empty when the graph has no such check).
    """
    edits = GraphEdits()
    table = node_table(graph_def)
    checks = [n for n in table.of_ops(CHECK_OPS) if n.input]
    if not checks:
        return edits
    variables = set(table.named(VARIABLE_OPS))
    known = {}
    for node in checks:
        if node_name(node.input[0]) in variables:
            const = const_node(node.name, DT_BOOL, True)
            const.input.extend(i for i in node.input if i.startswith("^"))
            edits.replaced[node.name] = const
            known[node.name] = True
    if known:
        fold_known(graph_def, edits, known)
    return edits
