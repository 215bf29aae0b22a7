"""The name-scope tree: scopes before ops, counts, nodes that are both an op and a scope, path_of."""

from core.formats import protos
from core.analysis.insight import analyze
from core.analysis.scope_tree import ScopeTree
from tests.conftest import load_fixture

NAMES = ["input", "dense/kernel", "dense/kernel/read", "dense/MatMul", "dense", "model/heads/probs",
         "model/trunk/fc1/MatMul", "model/heads/logits/BiasAdd"]


def test_tree_structure_and_order():
    tree = ScopeTree(NAMES)
    top = tree.children("")
    # scopes (with children) first, then leaf ops; each group in graph order
    assert [n.name for n in top] == ["dense", "model", "input"]
    dense = tree.node("dense")
    assert dense.op_name == "dense"  # an op named like its scope is both
    assert [c.name for c in dense.children] == ["kernel", "MatMul"]
    kernel = tree.node("dense/kernel")
    assert kernel.op_name == "dense/kernel" and [c.full_path for c in kernel.children] == ["dense/kernel/read"]
    assert tree.node("model").op_name is None
    assert [c.name for c in tree.children("model")] == ["heads", "trunk"]
    assert [c.name for c in tree.children("model/heads")] == ["logits", "probs"]
    assert tree.children("nothing/here") == []
    for node in top:
        assert node.parent is tree.root
        assert top[node.row] is node


def test_counts_are_ops_at_or_below():
    tree = ScopeTree(NAMES)
    assert tree.node_count("") == len(NAMES)
    assert tree.node_count("dense") == 4
    assert tree.node_count("dense/kernel") == 2
    assert tree.node_count("model") == 3
    assert tree.node_count("model/heads/probs") == 1
    assert tree.node_count("missing") == 0


def test_path_of_expands_to_a_node():
    tree = ScopeTree(NAMES)
    path = tree.path_of("model/trunk/fc1/MatMul")
    assert [n.full_path for n in path] == ["model", "model/trunk", "model/trunk/fc1", "model/trunk/fc1/MatMul"]
    assert path[-1].op_name == "model/trunk/fc1/MatMul"
    assert tree.path_of("input")[0].op_name == "input"
    assert tree.path_of("no/such/op") == []


def test_every_op_of_a_fixture_is_a_leaf_or_scope_op_once():
    meta = protos.MetaGraphDef()
    with open(load_fixture("lstm").meta, "rb") as handle:
        meta.ParseFromString(handle.read())
    analysis = analyze(meta.graph_def, meta)
    tree = analysis.scope_tree
    assert tree is analysis.scope_tree  # built once
    seen = []
    stack = [tree.root]
    while stack:
        node = stack.pop()
        if node.op_name is not None:
            seen.append(node.op_name)
        stack.extend(node.children)
    assert sorted(seen) == sorted(analysis.graph.nodes())
    assert tree.node_count("") == len(seen)
    assert sum(tree.node_count(c.full_path) for c in tree.children("")) == len(seen)
