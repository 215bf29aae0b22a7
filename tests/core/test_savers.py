"""The saver decides which checkpoint tensor restores which variable: TensorFlow restoring the same files
through the same saver is the oracle."""

import json

import numpy as np
import pytest

from core import api
from tests.saver_models import FEED, build_two_savers, insert_on_restore_path, restored_outputs
from tests.test_cli import run_main
from tests.tf_runtime import assert_close, installed_version, run_frozen, tensorflow

tensorflow()


def _freeze(folder, destination, **options):
    with api.open_model(str(folder)) as loaded:
        api.freeze(loaded, api.FreezeRequest(["y"], destination=str(destination), **options))
    with open(str(destination), "rb") as handle:
        return run_frozen(handle.read(), {"x": FEED}, ["y"])["y"]


@pytest.mark.parametrize("ema_saver_first", [False, True])
def test_saver_def_decides_with_two_savers(tmp_path, ema_saver_first):
    prefix, names = build_two_savers(tmp_path, ema_saver_first=ema_saver_first)
    expected = restored_outputs(prefix, names["training"])["y"]
    averaged = restored_outputs(prefix, names["ema"])["y"]
    assert np.abs(expected - averaged).max() > 0.1  # the two savers really restore other values
    assert_close(_freeze(tmp_path, tmp_path / "frozen.pb"), expected)


def test_saver_def_naming_the_ema_saver_is_followed(tmp_path):
    prefix, names = build_two_savers(tmp_path, export_with="ema")
    expected = restored_outputs(prefix, names["ema"])["y"]
    assert_close(_freeze(tmp_path, tmp_path / "frozen.pb"), expected)


def test_saver_option_chooses_the_moving_averages(tmp_path):
    prefix, names = build_two_savers(tmp_path)
    expected = restored_outputs(prefix, names["ema"])["y"]
    assert_close(_freeze(tmp_path, tmp_path / "frozen.pb", saver=names["ema"]), expected)


def test_savers_are_listed(tmp_path):
    prefix, names = build_two_savers(tmp_path)
    with api.load(str(tmp_path)) as loaded:
        savers = dict((s.name, s) for s in api.savers(loaded))
    assert sorted(savers) == sorted(names.values())
    training, ema = savers[names["training"]], savers[names["ema"]]
    assert (training.is_default, ema.is_default) == (True, False)
    # w, b and their two averages; the evaluation saver restores w and b from the averages
    assert (training.variable_count, ema.variable_count) == (4, 2)
    assert (training.restores_moving_averages, ema.restores_moving_averages) == (False, True)
    code, out, err = run_main("inspect", str(tmp_path), "--json")
    assert code == 0, err
    listed = json.loads(out)["savers"]
    assert [(s["name"], s["variable_count"], s["is_default"]) for s in listed] == [
        (names["training"], 4, True), (names["ema"], 2, False)]
    code, out, err = run_main("inspect", str(tmp_path))
    assert code == 0, err
    assert "restores moving averages" in out and "* %s" % names["training"] in out


def test_cli_saver_option_and_unknown_saver(tmp_path):
    prefix, names = build_two_savers(tmp_path)
    destination = tmp_path / "ema.pb"
    code, out, err = run_main("freeze", str(tmp_path), "--outputs", "y", "--saver", names["ema"], "-o", destination,
                              "--target-tf", installed_version())
    assert code == 0, err
    with open(str(destination), "rb") as handle:
        frozen = run_frozen(handle.read(), {"x": FEED}, ["y"])["y"]
    assert_close(frozen, restored_outputs(prefix, names["ema"])["y"])
    code, out, err = run_main("freeze", str(tmp_path), "--outputs", "y", "--saver", "nosuch", "-o",
                              tmp_path / "x.pb")
    assert code == 1 and err.count("\n") == 1 and "nosuch" in err and names["ema"] in err, err
    assert not (tmp_path / "x.pb").exists()


def test_restore_value_through_identity_is_followed(tmp_path):
    prefix, names = build_two_savers(tmp_path)
    insert_on_restore_path(prefix, "w", "Identity")
    expected = restored_outputs(prefix, names["training"])["y"]
    assert_close(_freeze(tmp_path, tmp_path / "frozen.pb"), expected)


def test_restore_value_through_neg_is_refused_with_the_nodes(tmp_path):
    prefix, names = build_two_savers(tmp_path)
    inserted = insert_on_restore_path(prefix, "w", "Neg")
    expected = restored_outputs(prefix, names["training"])["y"]
    plain = restored_outputs(prefix, names["ema"])["y"]
    assert not np.allclose(expected, plain)  # TF restores -w: a guess from the key would be wrong
    with pytest.raises(api.ModelError) as caught:
        _freeze(tmp_path, tmp_path / "frozen.pb")
    message = str(caught.value)
    assert "'w'" in message and inserted in message and "Neg" in message, message
    assert not (tmp_path / "frozen.pb").exists()
