"""A node the freeze drops still decides whether TensorFlow loads the file: `import_meta_graph` imports every
node. Each damage below hits a node the mlp's outputs do not need (an initializer, the init Assign, the loss);
the freeze refuses it in one line naming the node exactly when TensorFlow (the installed one, in a child
process: tests/tf_judge.py) refuses to import and restore the same files, and freezes it otherwise, with the
values TensorFlow restores. (An attr of another kind, or a string outside its values, in a node nothing runs:
TF 2.x refuses the file, TF 1.4 imports it, so the freeze does not refuse it; no case here.)"""

import os

import pytest

from core import api
from tests import damage, tf_oracle
from tests.conftest import copy_fixture
from tests.tf_runtime import installed_version, tensorflow
from tests.verdicts import assert_verdict_is_tensorflows

tensorflow()

_INITIALIZER = "dense/kernel/Initializer/random_uniform/RandomUniform"
_INIT_SUB = "dense/kernel/Initializer/random_uniform/sub"
_INIT_ASSIGN = "dense/kernel/Assign"


def _edit(name, change):
    def run(meta):
        change(dict((n.name, n) for n in meta.graph_def.node)[name], meta)
    return run


def _dtype_not_allowed(node, meta):
    node.attr["dtype"].type = 3  # RandomUniform makes floats only


def _required_attr_missing(node, meta):
    del node.attr["T"]


def _undeclared_attr(node, meta):
    node.attr["usg_locking"].b = True


def _extra_input(node, meta):
    node.input.insert(1, _INIT_SUB)


def _type_of_another_edge(node, meta):
    node.attr["T"].type = 3  # int32: allowed, but its inputs are float32


def _type_attr_of_the_wrong_kind(node, meta):
    node.attr["T"].s = b"float"


def _port_out_of_range(node, meta):
    node.input[0] += ":1"


def _attr_without_a_name(node, meta):
    node.attr[""].CopyFrom(node.attr["_class"])


def _colocation_not_utf8(node, meta):
    node.attr["_class"].list.s.append(b"loc:@dense\xffkernel")


def _invalid_name(node, meta):
    node.name = "sparse_softmax_cross_entropy_loss/xentropy/Shape\x01"


def _future_attr_at_its_default(node, meta):
    """An attr no release declares, at the default the producer's stripped_op_list gives it: TensorFlow's
    importer drops it (importer._RemoveDefaultAttrs)."""
    node.attr["future_flag"].b = False
    op_def = [o for o in meta.meta_info_def.stripped_op_list.op if o.name == "Assign"][0]
    attr = op_def.attr.add(name="future_flag", type="bool")
    attr.default_value.b = False


# (case, node damaged, damage, words of the refusal or None when TensorFlow imports the files)
CASES = [
    ("initializer dtype outside its allowed types", _INITIALIZER, _dtype_not_allowed,
     ["RandomUniform", "attr 'dtype' is int32"]),
    ("initializer required attr missing", _INIT_SUB, _required_attr_missing, ["(Sub)", "required attr 'T'"]),
    ("initializer input count", "dense/kernel/Initializer/random_uniform/mul", _extra_input,
     ["(Mul)", "3 data input(s), its OpDef expects 2"]),
    ("initializer dtype its inputs do not have", _INIT_SUB, _type_of_another_edge,
     ["(Sub)", "input 0 is float32", "needs int32"]),
    ("initializer type attr of the wrong kind", _INIT_SUB, _type_attr_of_the_wrong_kind,
     ["(Sub)", "attr 'T' holds a s, its OpDef declares type"]),
    ("initializer input port out of range", _INIT_SUB, _port_out_of_range, ["(Sub)", "has 1 output(s)"]),
    ("initializer colocation not UTF-8", _INITIALIZER, _colocation_not_utf8, ["(RandomUniform)", "not UTF-8"]),
    ("dropped node with an invalid name", "sparse_softmax_cross_entropy_loss/xentropy/Shape", _invalid_name,
     ["not a valid TensorFlow node name"]),
    # TensorFlow imports these (TF 1.4 and 2.x alike: a node nothing runs), so the freeze does too
    ("future attr at the producer's default", _INIT_ASSIGN, _future_attr_at_its_default, None),
    ("init Assign attr not declared", _INIT_ASSIGN, _undeclared_attr, None),
]


@pytest.mark.parametrize("case,name,change,words", CASES, ids=[c[0] for c in CASES])
def test_dropped_node_refused_as_tensorflow_refuses_the_file(tmp_path, judge, case, name, change, words):
    fixture = copy_fixture("mlp", tmp_path)
    damage.edit_meta(fixture.meta, _edit(name, change))
    assert_verdict_is_tensorflows(judge, fixture, str(tmp_path / "frozen.pb"), words, whole_saver=True,
                                  always=["the graph is damaged", "TensorFlow would not import this file"])


def test_frozen_variable_is_checked_as_the_restore_runs_it(tmp_path, judge):
    """The variables a freeze turns into Consts are run by TensorFlow's restore: checked as the saver's nodes are,
    against the target release (TF 1.4 refuses an attr its OpDef lacks there; TF 2.x restores it)."""
    fixture = copy_fixture("mlp", tmp_path)
    damage.edit_meta(fixture.meta, _edit("dense/kernel", _attr_without_a_name))
    destination = str(tmp_path / "frozen.pb")
    with pytest.raises(api.ModelError) as caught:
        with api.open_model(fixture.folder) as loaded:
            api.freeze(loaded, api.FreezeRequest(fixture.outputs, destination=destination, target_tf="1.4"))
    assert "cannot restore these variables" in str(caught.value)
    assert "'dense/kernel' (VariableV2): attr '' is not in the op's definition" in str(caught.value)
    assert not os.path.exists(destination)
    if installed_version().startswith("1.4"):
        expected, how = judge.ask("oracle", fixture.meta, fixture.outputs, fixture.feeds, fixture.prefix)
        assert expected is None, "TensorFlow 1.4 restores these files: %s" % how


def test_op_no_release_has_is_not_checked(tmp_path, judge):
    """A custom op (in a node the freeze drops) is not judged: a user's TensorFlow may register it."""
    fixture = copy_fixture("mlp", tmp_path)

    def custom(meta):
        node = meta.graph_def.node.add(name="custom", op="MyCustomOp", input=["dense/kernel/read"])
        node.attr["whatever"].i = 3
    damage.edit_meta(fixture.meta, custom)
    destination = str(tmp_path / "frozen.pb")
    with api.open_model(fixture.folder) as loaded:
        api.freeze(loaded, api.FreezeRequest(fixture.outputs, destination=destination))
    actual, why = judge.frozen(destination, fixture.outputs, fixture.feeds)
    expected, how = judge.oracle(fixture.meta, fixture.prefix, fixture.outputs, fixture.feeds)
    assert actual is not None and expected is not None, (why, how)
    assert tf_oracle.differences(actual, expected) == []
