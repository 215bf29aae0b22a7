"""A frozen variable's declared and recorded shapes, judged as TensorFlow's restore of the same files judges them
(core/freeze/variable_shapes.py). Each edit below changes a variable's shape attr, its `_output_shapes`, its
reader's, or its restore's validate_shape in the `.meta`; the installed TensorFlow (TF 1.4.0 on the legacy
stack, 2.x on the current one, in a child process: tests/tf_judge.py) restores the same files, and the freeze
must refuse exactly when it refuses, and otherwise write a graph giving TensorFlow's values."""

import pytest

from tests import damage
from tests.conftest import copy_fixture
from tests.tf_runtime import tensorflow
from tests.verdicts import assert_verdict_is_tensorflows

tensorflow()


def _shape(proto, dims):
    proto.Clear()
    if dims is None:
        proto.unknown_rank = True
    for size in dims or ():
        proto.dim.add().size = size


def _attr(name, dims, validate=None, recorded=True):
    """Variable ``name``'s shape attr made ``dims``; its recorded shape dropped unless ``recorded``; its
    restore Assign's validate_shape set when ``validate`` is not None."""
    def edit(meta):
        nodes = damage.nodes_of(meta)
        _shape(nodes[name].attr["shape"].shape, dims)
        if not recorded:
            del nodes[name].attr["_output_shapes"]
        for node in meta.graph_def.node:
            if validate is not None and node.op == "Assign" and node.input[0] == name:
                node.attr["validate_shape"].b = validate
    return edit


def _recorded(name, dims):
    def edit(meta):
        _shape(damage.nodes_of(meta)[name].attr["_output_shapes"].list.shape[0], dims)
    return edit


# (case, fixture, edit, words of our refusal, None: TensorFlow restores it and the freeze must too)
CASES = [
    ("attr with an unknown dim", "mlp", _attr("dense/bias", [-1]), ["'dense/bias'", "[?] is not fully defined"]),
    ("attr with an unknown dim, no validation", "mlp", _attr("dense/bias", [-1], validate=False),
     ["not fully defined"]),
    ("attr of unknown rank, validated", "mlp", _attr("dense/bias", None),
     ["validate_shape", "holds []", "unknown rank", "gives [128]"]),
    ("attr of unknown rank, not validated", "mlp", _attr("dense/bias", None, validate=False, recorded=False), None),
    # refused before these rules, by the check of a fully defined shape attr against the checkpoint
    ("attr another size, not validated", "mlp", _attr("dense/bias", [129], validate=False, recorded=False),
     ["'dense/bias' has shape [129] in the graph", "has shape [128]"]),
    ("attr a scalar, not validated", "mlp", _attr("dense/bias", [], validate=False, recorded=False),
     ["'dense/bias' has shape [] in the graph"]),
    ("recorded with an unknown dim", "mlp", _recorded("dense/bias", [-1]), None),
    ("recorded of unknown rank", "mlp", _recorded("dense/bias", None), None),
    ("recorded another size", "mlp", _recorded("dense/bias", [129]), ["'dense/bias'", "records [129]", "says [128]"]),
    ("handle recorded as a vector", "resource_vars", _recorded("net/w", [-1]), ["'net/w' (VarHandleOp)", "scalar"]),
    ("handle recorded of unknown rank", "resource_vars", _recorded("net/w", None), None),
    ("handle attr of another rank", "resource_vars", _attr("net/w", [4, -1, 3]),
     ["'MatMul/ReadVariableOp' (ReadVariableOp)", "records [4,3]", "says [4,?,3]"]),
    ("handle attr with an unknown dim", "resource_vars", _attr("net/w", [4, -1]), None),
    ("handle attr of unknown rank", "resource_vars", _attr("net/w", None), None),
    ("handle attr another size", "resource_vars", _attr("net/w", [5, 3]), ["'net/w' has shape [5, 3] in the graph"]),
    ("read recorded another size", "resource_vars", _recorded("MatMul/ReadVariableOp", [5, 3]),
     ["'MatMul/ReadVariableOp'", "records [5,3]"]),
]


@pytest.mark.parametrize("case,fixture_name,edit,words", CASES, ids=[c[0] for c in CASES])
def test_variable_shapes_refused_as_tensorflows_restore_refuses(tmp_path, judge, case, fixture_name, edit, words):
    fixture = copy_fixture(fixture_name, tmp_path)
    damage.edit_meta(fixture.meta, edit)
    rule = ["TensorFlow would not restore these files"] if words is not None and "in the graph" not in words[0] else []
    assert_verdict_is_tensorflows(judge, fixture, str(tmp_path / "frozen.pb"), words, always=rule)
