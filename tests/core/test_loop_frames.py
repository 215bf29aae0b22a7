"""While-loop frames (core/freeze/loop_frames.py), judged as TensorFlow's executor judges them: the lstm fixture
(a dynamic_rnn) with one Enter's frame_name changed, or emptied, is refused by the freeze exactly when the
installed TensorFlow (a child process, tests/tf_judge.py) fails running the same files; unchanged, or with every
Enter renamed alike, it freezes to TensorFlow's values."""

import pytest

from tests import damage
from tests.conftest import copy_fixture
from tests.tf_runtime import tensorflow
from tests.verdicts import assert_verdict_is_tensorflows

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


@pytest.mark.parametrize("case,edit,words", CASES, ids=[c[0] for c in CASES])
def test_frames_refused_as_tensorflows_executor_refuses(tmp_path, judge, case, edit, words):
    fixture = copy_fixture("lstm", tmp_path)
    damage.edit_meta(fixture.meta, edit)
    assert_verdict_is_tensorflows(judge, fixture, str(tmp_path / "frozen.pb"), words)
