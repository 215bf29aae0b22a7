"""`main.py verify` checks exactly what was opened and frozen: a paired checkpoint, a SavedModel's tags, input
cuts at any port, the saver the freeze read, variables initialised because the checkpoint lacks them —
and its stderr holds the tool's own lines only."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from cli import main as cli_main
from tests import verify_models
from tests.conftest import ROOT, load_fixture
from tests.tf_runtime import assert_close, run_frozen

MAIN = os.path.join(ROOT, "main.py")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Builders run once per module (TensorFlow writes them)."""
    cache = {}

    def build(name):
        if name not in cache:
            cache[name] = getattr(verify_models, "build_" + name)(str(tmp_path_factory.mktemp(name)))
        return cache[name]
    return build


def run(capsys, *argv):
    code = cli_main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _frozen(path, outputs, feeds):
    with open(path, "rb") as handle:
        return run_frozen(handle.read(), feeds, outputs)


def test_verify_prints_no_tensorflow_log_lines(tmp_path, capsys):
    fixture = load_fixture("mlp")
    frozen = str(tmp_path / "frozen.pb")
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("TF_"))  # as a user's shell has it
    freeze = subprocess.run([sys.executable, MAIN, "freeze", fixture.folder, "--outputs", ",".join(fixture.outputs),
                             "-o", frozen, "--verify", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert freeze.returncode == 0, freeze.stderr
    assert freeze.stderr.decode() == ""  # TensorFlow's C++ and Python logging stay off, from its import on
    code, out, err = run(capsys, "verify", fixture.folder, frozen, "--json")
    lines = err.splitlines()
    assert code == 0 and lines and all(line.startswith("progress: ") for line in lines), lines
    assert json.loads(out)["passed"]


def test_verify_restores_the_paired_checkpoint(tmp_path, capsys):
    fixture = load_fixture("mlp")
    meta = str(tmp_path / "graph.meta")
    shutil.copy(fixture.meta, meta)
    (tmp_path / "ckpt").mkdir()
    for suffix in (".index", ".data-00000-of-00001"):
        shutil.copy(fixture.prefix + suffix, str(tmp_path / "ckpt" / ("weights" + suffix)))
    prefix = str(tmp_path / "ckpt" / "weights")
    frozen = str(tmp_path / "frozen.pb")
    outputs = ",".join(fixture.outputs)
    assert run(capsys, "freeze", meta, "--checkpoint", prefix, "--outputs", outputs, "-o", frozen, "-q")[0] == 0
    code, _, err = run(capsys, "verify", meta, frozen, "--outputs", outputs)
    assert code == 1 and "uninitialized" in err.lower() and err.count("\n") == 1, err
    code, out, err = run(capsys, "verify", meta, frozen, "--outputs", outputs, "--checkpoint", prefix)
    assert code == 0 and err == "" and out.count(" ok") == len(fixture.outputs), out


def test_verify_runs_the_meta_graph_of_the_tags_that_were_frozen(built, tmp_path, capsys):
    spec = built("saved_model_two_graphs")
    frozen = str(tmp_path / "frozen.pb")
    assert run(capsys, "freeze", spec.folder, "--tag", "train", "--outputs", "scaled", "-o", frozen, "-q")[0] == 0
    assert_close(_frozen(frozen, ["scaled"], spec.feeds)["scaled"], spec.expected["scaled"])
    code, _, err = run(capsys, "verify", spec.folder, frozen, "--outputs", "scaled")
    assert code == 1 and "'scaled'" in err, err  # the serve graph has no `scaled`
    code, out, err = run(capsys, "verify", spec.folder, frozen, "--outputs", "scaled", "--tag", "train")
    assert code == 0 and err == "", err


def test_verify_feeds_each_cut_tensor_once_at_any_port(built, tmp_path, capsys):
    spec = built("two_input_pipeline")
    frozen = str(tmp_path / "frozen.pb")
    cuts = "IteratorGetNext:0,IteratorGetNext:1"
    assert run(capsys, "freeze", spec.folder, "--outputs", "y", "--inputs", cuts, "-o", frozen, "-q")[0] == 0
    placeholders = {"IteratorGetNext": spec.feeds["IteratorGetNext:0"],
                    "IteratorGetNext_port1": spec.feeds["IteratorGetNext:1"]}
    assert_close(_frozen(frozen, ["y"], placeholders)["y"], spec.expected["y"])
    feeds = str(tmp_path / "feeds.npz")
    np.savez(feeds, **{"IteratorGetNext:1": spec.feeds["IteratorGetNext:1"]})  # named as in the source graph
    code, out, err = run(capsys, "verify", spec.folder, frozen, "--outputs", "y", "--input-cuts", cuts,
                         "--inputs", feeds, "--json")
    report = json.loads(out)
    assert code == 0 and report["passed"], err
    assert sorted(i["name"] for i in report["inputs"]) == ["IteratorGetNext", "IteratorGetNext_port1"]


def test_verify_restores_through_the_saver_the_freeze_read(built, capsys):
    spec = built("moving_averages")
    frozen = os.path.join(spec.folder, "tf_frozen.pb")  # frozen by TensorFlow from the moving averages
    assert_close(_frozen(frozen, ["y"], spec.feeds)["y"], spec.expected["y"])
    code, _, err = run(capsys, "verify", spec.folder, frozen, "--outputs", "y")
    assert code == 1 and "differs" in err, err  # the meta graph's own saver restores the raw weights
    code, out, err = run(capsys, "verify", spec.folder, frozen, "--outputs", "y", "--saver", "save_1")
    assert code == 0 and err == "", err
    code, _, err = run(capsys, "verify", spec.folder, frozen, "--outputs", "y", "--saver", "save_9")
    assert code == 1 and "no saver 'save_9'" in err, err


def test_verify_gives_missing_variables_their_initial_values(built, capsys):
    spec = built("missing_variable")
    frozen = os.path.join(spec.folder, "tf_frozen.pb")
    code, _, err = run(capsys, "verify", spec.folder, frozen, "--outputs", "y")
    assert code == 1 and "bias" in err, err
    code, out, err = run(capsys, "verify", spec.folder, frozen, "--outputs", "y", "--init-missing")
    assert code == 0 and err == "", err
