"""While-loop frames (core/freeze/loop_frames.py), judged as TensorFlow's executor judges them: the lstm fixture
(a dynamic_rnn) with one Enter's frame_name changed, or emptied, is refused by the freeze exactly when the
installed TensorFlow (a child process, tests/tf_judge.py) fails running the same files; unchanged, or with every
Enter renamed alike, it freezes to TensorFlow's values."""

import os

import pytest

from core import api
from tests import damage, tf_oracle
from tests.conftest import copy_fixture
from tests.tf_judge import Judge
from tests.tf_runtime import tensorflow

tensorflow()


def _frame_names(names, value):
    def edit(meta):
        for node in meta.graph_def.node:
            if node.op == "Enter" and (names is None or node.name in names):
                node.attr["frame_name"].s = value
    return edit


# (case, edit, words of our refusal; None: TensorFlow runs it, the freeze must too)
CASES = [
    ("as written", lambda meta: None, None),
    ("every Enter renamed alike", _frame_names(None, b"another_loop"), None),
    ("one Enter in another frame", _frame_names(["encoder/rnn/while/Enter_2"], b"BOGUS"),
     ["has inputs from different while-loop frames", "in frame 'BOGUS'", "executor refuses"]),
    ("one Enter without a frame name", _frame_names(["encoder/rnn/while/Enter_2"], b""),
     ["'encoder/rnn/while/Enter_2' (Enter) has no frame name"]),
]


@pytest.fixture(scope="module")
def judge():
    judge = Judge()
    yield judge
    judge.close()


@pytest.mark.parametrize("case,edit,words", CASES, ids=[c[0] for c in CASES])
def test_frames_refused_as_tensorflows_executor_refuses(tmp_path, judge, case, edit, words):
    fixture = copy_fixture("lstm", tmp_path)
    damage.edit_meta(fixture.meta, edit)
    expected, how = judge.oracle(fixture.meta, fixture.prefix, fixture.outputs, fixture.feeds)
    destination = str(tmp_path / "frozen.pb")
    refusal = None
    try:
        with api.open_model(fixture.folder) as loaded:
            api.freeze(loaded, api.FreezeRequest(fixture.outputs, destination=destination))
    except api.ModelError as exc:
        refusal = str(exc)
    if words is None:
        assert expected is not None and refusal is None, (how, refusal)
        actual, why = judge.frozen(destination, fixture.outputs, fixture.feeds)
        assert actual is not None, why
        assert tf_oracle.differences(actual, expected) == []
    else:
        assert expected is None, "TensorFlow runs these files, the rule is not TF's"
        assert refusal is not None and "\n" not in refusal and all(w in refusal for w in words), refusal
        assert not os.path.exists(destination)
