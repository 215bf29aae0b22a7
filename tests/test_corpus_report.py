"""tools/corpus_report.py on a corpus built at test time: its totals, and the baseline gate CI runs it with."""

import json
import os

import pytest

from tests import principle_graphs
from tools import corpus_report

MODELS = ("gan", "dqn_target", "reshape_before_loss")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Three principle graphs as a corpus: each folder with the spec.json corpus_report reads."""
    folder = str(tmp_path_factory.mktemp("corpus"))
    index = principle_graphs.build_all(folder)
    for name in os.listdir(folder):
        if name not in MODELS and os.path.isdir(os.path.join(folder, name)):
            for entry in os.listdir(os.path.join(folder, name)):
                os.remove(os.path.join(folder, name, entry))
            os.rmdir(os.path.join(folder, name))
    for name in MODELS:
        spec = {"format": "v2", "prefix": "model.ckpt", "outputs": index[name]["outputs"],
                "inputs": sorted(index[name]["inputs"])}
        with open(os.path.join(folder, name, "spec.json"), "w") as handle:
            json.dump(spec, handle)
    return folder


def _run(corpus, capsys, *extra):
    code = corpus_report.main([corpus, "--no-verify", "--target-tf", "none", "--json"] + list(extra))
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_totals_count_first_suggested_and_inputs(corpus, capsys):
    code, report, _ = _run(corpus, capsys)
    assert code == 0
    totals = report["totals"]
    assert (totals["models"], totals["first"], totals["listed"], totals["suggested"], totals["inputs_exact"]) == \
        (3, 3, 3, 3, 3)
    rows = dict((r["model"], r) for r in report["rows"])
    assert rows["gan"]["suggested"] == rows["gan"]["outputs"] and rows["gan"]["suggested_exact"]


def test_the_baseline_gate_fails_on_a_regression_only(corpus, capsys, tmp_path):
    baseline = str(tmp_path / "baseline.json")
    code, _, err = _run(corpus, capsys, "--baseline", baseline, "--write-baseline")
    assert code == 0 and "recorded the baseline" in err
    with open(baseline) as handle:
        recorded = json.load(handle)
    assert recorded["suggested"] == 3 and recorded["first"] == 3 and "runs" not in recorded
    assert _run(corpus, capsys, "--baseline", baseline)[0] == 0
    recorded["suggested"] = 4
    with open(baseline, "w") as handle:
        json.dump(recorded, handle)
    code, _, err = _run(corpus, capsys, "--baseline", baseline)
    assert code == 1
    assert "error: corpus regression against %s: suggested: 3 now, 4 recorded" % baseline in err


def test_a_wrong_spec_output_is_a_regression(corpus, capsys, tmp_path):
    baseline = str(tmp_path / "baseline.json")
    _run(corpus, capsys, "--baseline", baseline, "--write-baseline")
    spec_path = os.path.join(corpus, "gan", "spec.json")
    with open(spec_path) as handle:
        spec = json.load(handle)
    try:
        with open(spec_path, "w") as handle:
            json.dump(dict(spec, outputs=["disc/d2/BiasAdd"]), handle)
        code, report, err = _run(corpus, capsys, "--baseline", baseline)
    finally:
        with open(spec_path, "w") as handle:
            json.dump(spec, handle)
    assert code == 1 and report["totals"]["first"] == 2
    assert "first: 2 now, 3 recorded" in err
