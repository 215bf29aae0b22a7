"""--init-missing: variables the checkpoint lacks take their initializer's value when it is computable
without TensorFlow; TensorFlow initialising then restoring the same files is the oracle."""

import pytest

from core import api
from tests.saver_models import FEED, build_trainable_only_saver, initialised_then_restored
from tests.test_cli import run_main
from tests.tf_runtime import assert_close, installed_version, run_frozen, tensorflow

tensorflow()


def test_missing_variables_refused_with_the_option_named(tmp_path):
    prefix, missing = build_trainable_only_saver(tmp_path)
    with api.open_model(str(tmp_path)) as loaded:
        with pytest.raises(api.ModelError) as caught:
            api.plan(loaded, api.FreezeRequest(["y"]))
    message = str(caught.value)
    assert "--init-missing" in message and all(name in message for name in missing), message


def test_init_missing_equals_initialise_then_restore(tmp_path):
    prefix, missing = build_trainable_only_saver(tmp_path)
    destination = tmp_path / "frozen.pb"
    code, out, err = run_main("freeze", str(tmp_path), "--outputs", "y", "--init-missing", "-o", destination,
                              "--target-tf", installed_version())
    assert code == 0, err
    assert "4 variable(s) nothing restores took their initializer's value" in out, out
    assert "bn/moving_mean (zeros)" in out and "bn/moving_variance (ones)" in out and "bn/shift (constant)" in out
    with open(str(destination), "rb") as handle:
        frozen = run_frozen(handle.read(), {"x": FEED}, ["y"])["y"]
    assert_close(frozen, initialised_then_restored(prefix)["y"])


def test_missing_variables_for_the_window(tmp_path):
    build_trainable_only_saver(tmp_path, random_untrained=True)
    with api.open_model(str(tmp_path)) as loaded:
        found = dict((m.name, m) for m in api.missing_variables(loaded, api.FreezeRequest(["y"])))
        assert api.missing_variables(loaded, api.FreezeRequest(["x"])) == []
    assert sorted(found) == ["bn/moving_mean", "bn/moving_variance", "bn/scale", "bn/shift", "noise"]
    assert [found[n].initializer for n in sorted(found)] == ["zeros", "ones", "constant", "constant", None]
    assert "RandomStandardNormal" in found["noise"].reason, found["noise"]
    assert found["bn/moving_mean"].key is None  # the saver does not restore it at all


def test_random_initializer_keeps_the_refusal_and_names_it(tmp_path):
    build_trainable_only_saver(tmp_path, random_untrained=True)
    with api.open_model(str(tmp_path)) as loaded:
        with pytest.raises(api.ModelError) as caught:
            api.freeze(loaded, api.FreezeRequest(["y"], destination=str(tmp_path / "out.pb"), init_missing=True))
    message = str(caught.value)
    assert "'noise'" in message and "RandomStandardNormal" in message, message
    assert not (tmp_path / "out.pb").exists()
