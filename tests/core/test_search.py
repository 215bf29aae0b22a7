"""Search syntax: terms, globs, /regex/, op: filters; the index agrees with the plain predicate."""

import random
import re

import pytest

from core.analysis.search import QueryError, SearchIndex, compile_query, search

NAMES = ["input", "dense/kernel", "dense/kernel/read", "dense/MatMul", "dense/BiasAdd", "dense/Relu",
         "output/kernel", "output/MatMul", "output/BiasAdd", "model/heads/class_probs", "Conv2D_1/Conv2D",
         "gradients/dense/MatMul_grad/MatMul", "save/SaveV2", "Softmax"]
OPS = ["Placeholder", "VariableV2", "Identity", "MatMul", "BiasAdd", "Relu", "VariableV2", "MatMul", "BiasAdd",
       "Softmax", "Conv2D", "MatMul", "SaveV2", "Softmax"]


def _find(query, limit=None):
    return search(NAMES, OPS, query, limit)


def test_plain_terms_are_case_insensitive_substrings_and_all_must_match():
    assert _find("KERNEL") == ["dense/kernel", "dense/kernel/read", "output/kernel"]
    assert _find("dense kernel") == ["dense/kernel", "dense/kernel/read"]
    assert _find("dense nothing") == []


def test_glob_on_full_name_or_last_component():
    assert _find("dense/*") == ["dense/kernel", "dense/kernel/read", "dense/MatMul", "dense/BiasAdd", "dense/Relu"]
    assert _find("bias*") == ["dense/BiasAdd", "output/BiasAdd"]  # last component
    assert _find("*/matmul") == ["dense/MatMul", "output/MatMul", "gradients/dense/MatMul_grad/MatMul"]
    assert _find("conv2d_?/*") == ["Conv2D_1/Conv2D"]
    assert _find("*") == NAMES


def test_regex():
    assert _find("/^dense/(k|M)/") == ["dense/kernel", "dense/kernel/read", "dense/MatMul"]
    assert _find("/BIASADD$/") == ["dense/BiasAdd", "output/BiasAdd"]
    assert _find("/_grad/") == ["gradients/dense/MatMul_grad/MatMul"]
    assert _find("/[0-9]/") == ["Conv2D_1/Conv2D", "save/SaveV2"]


def test_op_filter_exact_and_glob_case_insensitive():
    assert _find("op:relu") == ["dense/Relu"]
    assert _find("op:Conv*") == ["Conv2D_1/Conv2D"]
    assert _find("op:MatMul dense") == ["dense/MatMul", "gradients/dense/MatMul_grad/MatMul"]
    assert _find("op:Variable*") == ["dense/kernel", "output/kernel"]
    assert _find("op:softmax /probs/") == ["model/heads/class_probs"]


def test_limit_and_empty_query():
    assert _find("kernel", limit=2) == ["dense/kernel", "dense/kernel/read"]
    assert _find("") == []
    assert _find("   ") == []


def test_bad_queries_raise_query_error_saying_what_is_wrong():
    with pytest.raises(re.error) as python:
        re.compile("([a-z", re.IGNORECASE)
    with pytest.raises(QueryError) as info:
        _find("/([a-z/")
    assert str(info.value) == "bad regular expression /([a-z/: %s" % python.value  # re's own reason
    with pytest.raises(QueryError) as info:
        compile_query("op:")
    assert str(info.value).startswith("op: needs an op type")


def test_compile_query_predicate():
    matches = compile_query("dense op:MatMul")
    assert matches("dense/MatMul", "MatMul")
    assert not matches("dense/MatMul", "BiasAdd")
    assert not matches("output/MatMul", "MatMul")
    assert not compile_query("")("anything", "Const")


def test_index_agrees_with_predicate_on_a_synthetic_graph():
    """The index's shortcuts (op table, literal prefilters, regex over joined names) give exactly the
    names the plain predicate accepts."""
    rng = random.Random(3)
    parts = ["block_%d" % i for i in range(12)] + ["dense", "conv", "BatchNorm", "gradients", "Adam", "read"]
    op_types = ["MatMul", "Relu", "Conv2D", "Identity", "Const", "ApplyAdam", "BiasAdd"]
    names, ops = [], []
    for i in range(3000):
        names.append("/".join(rng.choice(parts) for _ in range(rng.randint(1, 4))) + "_%d" % i)
        ops.append(rng.choice(op_types))
    index = SearchIndex(names, ops)
    queries = ["dense", "block_1 conv", "op:Relu", "op:apply*", "*/read_1?", "block_*", "/^block_[0-9]/dense/",
               "/_(1|2)$/", "gradients op:MatMul adam", "*", "?", "/a.c/", "/^$/", "op:Identity *_5"]
    for query in queries:
        predicate = compile_query(query)
        expected = [n for n, o in zip(names, ops) if predicate(n, o)]
        assert index.search(query) == expected, query
        assert index.search(query, limit=3) == expected[:3], query
