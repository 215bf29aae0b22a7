"""The command line as scripts use it: `main.py inspect/freeze` run as a subprocess."""

import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest

from core.formats import protos
from tests.conftest import ROOT, copy_fixture, load_fixture
from tests.tf_runtime import assert_close, run_frozen

MAIN = os.path.join(ROOT, "main.py")


def run_main(*args, **kwargs):
    env = dict(os.environ)
    env["PYTHONIOENCODING"] = "utf-8"
    result = subprocess.run([sys.executable, MAIN] + [str(a) for a in args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=kwargs.get("cwd", ROOT), env=env, timeout=300)
    return result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8")


def digest_tree(folder):
    digests = {}
    for base, _, files in os.walk(str(folder)):
        for name in files:
            path = os.path.join(base, name)
            with open(path, "rb") as handle:
                digests[os.path.relpath(path, str(folder))] = hashlib.sha256(handle.read()).hexdigest()
    return digests


def frozen_node_count(path):
    with open(str(path), "rb") as handle:
        return len(protos.GraphDef.FromString(handle.read()).node)


def freeze_counts(out):
    """(nodes before, nodes after) from the freeze report's `nodes: A -> B, ...` line."""
    line = [l for l in out.splitlines() if l.strip().startswith("nodes: ")]
    assert len(line) == 1, out
    before, after = line[0].split(",")[0].split(":")[1].split("->")
    return int(before), int(after)


def verify_rows(out):
    """The verification table of the text report: output name -> its result column."""
    lines = out.splitlines()
    header = [l for l in lines if l.split()[:3] == ["output", "dtype", "shape"]]
    assert len(header) == 1, out
    column = header[0].index("result")
    rows = {}
    for line in lines[lines.index(header[0]) + 1:]:
        if not line.startswith("  ") or len(line) <= column:
            break
        rows[line.split()[0]] = line[column:].strip()
    return rows


def test_inspect_json_has_the_documented_keys():
    fixture = load_fixture("mlp")
    code, out, err = run_main("inspect", fixture.folder, "--json")
    assert code == 0, err
    info = json.loads(out)
    for key in ("inputs", "variables", "candidates", "summary"):
        assert key in info
    for key in ("inputs", "variables", "candidates"):
        assert info[key] and all("name" in item for item in info[key])
    assert [i["name"] for i in info["inputs"]] == ["input"]
    assert info["inputs"][0]["dtype"] == "float32"
    assert info["candidates"][0]["name"] == "output/BiasAdd"
    variables = dict((v["name"], v) for v in info["variables"])
    assert variables["dense/kernel"]["shape"] == [784, 128]
    assert variables["dense/kernel"]["key"] == "dense/kernel"
    assert info["model"]["nodes"] == fixture.meta_node_count()


def test_inspect_text_shows_inputs_candidates_and_variables():
    fixture = load_fixture("custom_saver_keys")
    code, out, err = run_main("inspect", fixture.meta)
    assert code == 0, err
    assert "Inputs:" in out and "Candidate outputs" in out and "Variables:" in out
    first = out.splitlines()[0]
    assert first.startswith(fixture.meta + " (checkpoint): ")
    assert first.split(": ", 1)[1].split(",")[0] == "%d nodes" % fixture.meta_node_count()
    assert "key '" in out  # checkpoint keys differ from variable names here


def test_freeze_writes_default_destination_and_runs(tmp_path):
    fixture = copy_fixture("mlp", tmp_path)
    code, out, err = run_main("freeze", fixture.prefix + ".index", "--outputs", "output/BiasAdd")
    assert code == 0, err
    destination = os.path.join(fixture.folder, "frozen_model.pb")
    assert freeze_counts(out) == (fixture.meta_node_count(), frozen_node_count(destination))
    assert frozen_node_count(destination) == fixture.reference_node_count()  # what TF's freezer keeps
    with open(destination, "rb") as handle:
        values = run_frozen(handle.read(), fixture.feeds, fixture.outputs)
    assert_close(values["output/BiasAdd"], fixture.expected["output/BiasAdd"])


@pytest.mark.parametrize("entry", ["folder", "meta", "index", "data", "state", "prefix"])
def test_freeze_from_any_file_of_the_checkpoint(tmp_path, entry):
    fixture = copy_fixture("dtypes", tmp_path)
    path = {"folder": fixture.folder, "meta": fixture.meta, "index": fixture.prefix + ".index",
            "data": fixture.prefix + ".data-00000-of-00001",
            "state": os.path.join(fixture.folder, "checkpoint"), "prefix": fixture.prefix}[entry]
    destination = tmp_path / "out.pb"
    code, _, err = run_main("freeze", path, "--outputs", ",".join(fixture.outputs), "-o", destination)
    assert code == 0, err
    values = run_frozen(destination.read_bytes(), fixture.feeds, fixture.outputs)
    for name in fixture.outputs:
        assert_close(values[name], fixture.expected[name])


def test_non_ascii_and_spaces_in_paths(tmp_path):
    folder = tmp_path / "mödel dir ü"
    folder.mkdir()
    fixture = copy_fixture("cnn_bn", folder)
    destination = folder / "frozen grâph.pb"
    code, _, err = run_main("freeze", fixture.folder, "--outputs", "probs", "-o", destination)
    assert code == 0, err
    values = run_frozen(destination.read_bytes(), fixture.feeds, ["probs"])
    assert_close(values["probs"], fixture.expected["probs"])


def test_usage_errors_exit_2():
    code, _, err = run_main("freeze", load_fixture("mlp").folder)
    assert code == 2 and "--outputs" in err
    code, _, _ = run_main("inspect")
    assert code == 2
    code, _, _ = run_main("frobnicate", "x")
    assert code == 2


def test_meta_without_checkpoint_can_be_inspected_not_frozen(tmp_path):
    fixture = load_fixture("mlp")
    shutil.copy(fixture.meta, str(tmp_path / "model.ckpt.meta"))
    code, out, err = run_main("inspect", tmp_path / "model.ckpt.meta")
    assert code == 0, err
    assert "note: no checkpoint beside model.ckpt.meta: it can be inspected but not frozen" in out.splitlines()
    with open(fixture.meta, "rb") as handle:  # every variable is listed as not in the checkpoint
        variables = [n.name for n in protos.MetaGraphDef.FromString(handle.read()).graph_def.node
                     if n.op in ("Variable", "VariableV2", "VarHandleOp")]
    unread = [line.split()[0] for line in out.splitlines() if line.endswith("not in checkpoint")]
    assert sorted(unread) == sorted(variables) and len(variables) == 14
    code, _, err = run_main("freeze", tmp_path / "model.ckpt.meta", "--outputs", "output/BiasAdd",
                            "-o", tmp_path / "out.pb")
    assert code == 1 and err.strip().splitlines() == [
        "error: %s: the outputs need 4 variable(s) (dense/bias, dense/kernel, output/bias, output/kernel) but "
        "there is no checkpoint to read their values from" % (tmp_path / "model.ckpt.meta")]
    assert not (tmp_path / "out.pb").exists()


def test_frozen_pb_can_be_inspected_and_pruned(tmp_path):
    fixture = load_fixture("multi_head")
    code, out, err = run_main("inspect", fixture.reference, "--json")
    assert code == 0, err
    names = [c["name"] for c in json.loads(out)["candidates"]]
    assert set(names[:3]) == set(fixture.outputs)
    code, _, err = run_main("freeze", fixture.reference, "--outputs", "model/heads/class_probs",
                            "-o", tmp_path / "pruned.pb")
    assert code == 0, err
    pruned = protos.GraphDef.FromString((tmp_path / "pruned.pb").read_bytes())
    assert "model/heads/regression/Sigmoid" not in [n.name for n in pruned.node]
    values = run_frozen((tmp_path / "pruned.pb").read_bytes(), fixture.feeds, ["model/heads/class_probs"])
    assert_close(values["model/heads/class_probs"], fixture.expected["model/heads/class_probs"])


def test_verify_command_passes_and_fails(tmp_path):
    fixture = copy_fixture("lstm", tmp_path)
    frozen = tmp_path / "frozen.pb"
    code, out, err = run_main("freeze", fixture.folder, "--outputs", ",".join(fixture.outputs), "-o", frozen,
                              "--verify")
    assert code == 0, err
    assert verify_rows(out) == dict((name, "ok") for name in fixture.outputs)
    feeds = tmp_path / "feeds.npz"
    import numpy as np
    np.savez(str(feeds), **dict(("in:" + k, v) for k, v in fixture.feeds.items()))
    code, out, err = run_main("verify", fixture.folder, frozen, "--inputs", feeds, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["passed"] and sorted(o["name"] for o in report["outputs"]) == sorted(fixture.outputs)
    progress = [line for line in err.splitlines() if line.startswith("progress: ")]  # what the window streams
    assert "progress: -1 loading TensorFlow" in progress and "progress: -1 running the checkpoint" in progress
    graph = protos.GraphDef.FromString(frozen.read_bytes())
    for node in graph.node:
        if node.name == "logits/bias":
            values = np.frombuffer(node.attr["value"].tensor.tensor_content, dtype=np.float32) + 1.0
            node.attr["value"].tensor.tensor_content = values.astype(np.float32).tobytes()
    wrong = tmp_path / "wrong.pb"
    wrong.write_bytes(graph.SerializeToString())
    code, out, err = run_main("verify", fixture.folder, wrong, "--outputs", "logits/BiasAdd")
    assert code == 1
    assert err.strip().splitlines()[-1].startswith("error: ") and "logits/BiasAdd" in err
    rows = verify_rows(out)
    assert list(rows) == ["logits/BiasAdd"] and rows["logits/BiasAdd"].startswith("DIFFERS"), rows


def test_freeze_inference_mode_from_the_command_line(tmp_path):
    fixture = copy_fixture("cnn_bn", tmp_path)
    frozen = tmp_path / "frozen.pb"
    code, out, err = run_main("freeze", fixture.folder, "--outputs", "probs", "-o", frozen, "--inference")
    assert code == 0, err
    assert "fixed is_training = False" in out
    ops = set(n.op for n in protos.GraphDef.FromString(frozen.read_bytes()).node)
    assert "Switch" not in ops and "Merge" not in ops
    values = run_frozen(frozen.read_bytes(), fixture.feeds, ["probs"])
    assert_close(values["probs"], fixture.expected["probs"])
    code, _, err = run_main("freeze", fixture.folder, "--outputs", "probs", "-o", frozen, "--set", "is_training=maybe")
    assert code == 1 and "not a boolean" in err


def test_inspect_reports_the_exact_frozen_size(tmp_path):
    fixture = load_fixture("mlp")
    code, out, err = run_main("inspect", fixture.folder, "--json", "--outputs", "output/BiasAdd:0")
    assert code == 0, err
    summary = json.loads(out)["summary"]
    code, _, err = run_main("freeze", fixture.folder, "--outputs", "output/BiasAdd", "-o", tmp_path / "f.pb")
    assert code == 0, err
    assert summary["frozen_bytes"] == os.path.getsize(str(tmp_path / "f.pb"))
    assert summary["frozen_nodes"] == frozen_node_count(tmp_path / "f.pb") == fixture.reference_node_count()
    assert summary["frozen_outputs"] == ["output/BiasAdd"]


# -- V1 checkpoints, SavedModels, Estimator model_dirs, input cuts, pairing -----------------

def _frozen_values(path, feeds, outputs):
    with open(str(path), "rb") as handle:
        return run_frozen(handle.read(), feeds, outputs)


def test_freeze_a_v1_checkpoint_folder(tmp_path):
    from tests import format_models
    spec = format_models.build_v1(str(tmp_path))
    before = digest_tree(tmp_path)
    from tests.tf_runtime import installed_version  # TF 2.x writes AddV2, which TF 1.4 lacks
    code, out, err = run_main("freeze", spec.folder, "--outputs", ",".join(spec.outputs), "-o", tmp_path / "v1.pb",
                              "--target-tf", installed_version())
    assert code == 0, err
    values = _frozen_values(tmp_path / "v1.pb", spec.feeds, spec.outputs)
    for output in spec.outputs:
        assert_close(values[output], spec.expected[output])
    after = digest_tree(tmp_path)
    del after["v1.pb"]
    assert after == before


def test_saved_model_signature_tags_and_inspect(tmp_path):
    from tests import format_models
    spec = format_models.build_saved_model(str(tmp_path), tags=("serve", "custom"))
    code, out, err = run_main("inspect", spec.folder, "--tag", "serve", "--json")
    assert code == 1 and "no meta graph with tags 'serve'" in err and "custom,serve" in err
    code, out, err = run_main("inspect", spec.folder, "--json")  # the only meta graph
    assert code == 0, err
    assert json.loads(out)["model"]["tags"] == ["custom", "serve"]
    code, out, err = run_main("inspect", spec.folder, "--tag", "custom,serve", "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info["model"]["tags"] == ["custom", "serve"]
    assert [s["name"] for s in info["signatures"]] == ["predict"]
    code, out, err = run_main("inspect", spec.folder, "--tag", "serve,custom")
    assert code == 0 and "Signatures:" in out and "features:0" in out
    code, out, err = run_main("freeze", spec.folder, "--tag", "serve,custom", "--signature", "predict",
                              "-o", tmp_path / "sig.pb")
    assert code == 0, err
    assert "outputs: classes, probs" in out
    values = _frozen_values(tmp_path / "sig.pb", spec.feeds, spec.outputs)
    for output in spec.outputs:
        assert_close(values[output], spec.expected[output])
    code, _, err = run_main("freeze", spec.folder, "--tag", "serve,custom", "--signature", "nope")
    assert code == 1 and err.startswith("error: ") and "predict" in err


def test_estimator_dir_inspect_suggests_cuts_and_freeze_cuts(tmp_path):
    from tests import format_models
    spec = format_models.build_estimator_dir(str(tmp_path))
    code, out, err = run_main("inspect", spec.folder)
    assert code == 0, err
    assert "--inputs IteratorGetNext:0,IteratorGetNext:1" in out
    code, out, err = run_main("freeze", spec.folder, "--outputs", ",".join(spec.outputs),
                              "--inputs", "IteratorGetNext:0", "-o", tmp_path / "est.pb")
    assert code == 0, err
    assert "Placeholder 'IteratorGetNext'" in out
    feeds = dict((k.split(":")[0], v) for k, v in spec.feeds.items())
    values = _frozen_values(tmp_path / "est.pb", feeds, spec.outputs)
    for output in spec.outputs:
        assert_close(values[output], spec.expected[output])
    code, _, err = run_main("freeze", spec.folder, "--outputs", "probabilities", "--inputs", "IteratorGetNxt")
    assert code == 1 and "IteratorGetNext" in err


def test_checkpoint_pairs_a_bare_meta_by_hand(tmp_path):
    fixture = copy_fixture("mlp", tmp_path)
    os.rename(fixture.meta, os.path.join(fixture.folder, "graph_only.meta"))
    meta = os.path.join(fixture.folder, "graph_only.meta")
    code, out, err = run_main("freeze", meta, "--checkpoint", fixture.prefix, "--outputs",
                              ",".join(fixture.outputs), "-o", tmp_path / "paired.pb")
    assert code == 0, err
    values = _frozen_values(tmp_path / "paired.pb", fixture.feeds, fixture.outputs)
    for output in fixture.outputs:
        assert_close(values[output], fixture.expected[output])
    code, _, err = run_main("freeze", meta, "--checkpoint", tmp_path / "nothing", "--outputs", "x")
    assert code == 1 and "no checkpoint here" in err
