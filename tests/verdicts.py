"""The freeze's verdict on a damaged fixture against TensorFlow's on the same files (tests/tf_judge.py): refused
in one line exactly when TensorFlow refuses them, otherwise frozen to the values TensorFlow computes."""

import os

from core import api
from tests import tf_oracle


def assert_verdict_is_tensorflows(judge, fixture, destination, words, always=(), whole_saver=False):
    """Freezes ``fixture`` (its outputs) to ``destination`` and checks the verdict against ``judge``'s TensorFlow.

    Args:
        words: None when TensorFlow restores and runs the files (the freeze must write TF's values), else the
            words the one-line refusal must hold (with ``always``, the words of every refusal of the rule).
        whole_saver: judge by TensorFlow's restore of the whole saver only (not of the outputs' part).
    """
    if whole_saver:
        expected, how = judge.ask("oracle", fixture.meta, fixture.outputs, fixture.feeds, fixture.prefix)
    else:
        expected, how = judge.oracle(fixture.meta, fixture.prefix, fixture.outputs, fixture.feeds)
    refusal = None
    try:
        with api.open_model(fixture.folder) as loaded:
            api.freeze(loaded, api.FreezeRequest(fixture.outputs, destination=destination))
    except api.ModelError as exc:
        refusal = str(exc)
    if words is None:
        assert expected is not None, "TensorFlow refuses the files: %s" % how
        assert refusal is None, refusal
        actual, why = judge.frozen(destination, fixture.outputs, fixture.feeds)
        assert actual is not None, why
        assert tf_oracle.differences(actual, expected) == []
        return
    assert expected is None, "TensorFlow restores and runs these files, the rule is not TF's"
    assert refusal is not None and "\n" not in refusal, refusal
    for word in list(always) + list(words):
        assert word in refusal, (word, refusal)
    assert not os.path.exists(destination)
