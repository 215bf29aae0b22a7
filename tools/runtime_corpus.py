"""Corpus check of --target-tf: freeze every model of a corpus for TF 1.4 and verify it, or expect a refusal."""
# Usage (on the legacy stack, whose TensorFlow is 1.4.0):
#   /work/venvs/legacy/bin/python tools/runtime_corpus.py ../shared/wild [--target-tf 1.4]
# Each model folder has a spec.json with `outputs`, `inputs` and `runs_in`. A model whose own graph
# runs in TF 1.4 must freeze and verify (equal outputs in the TensorFlow running this script); any
# other must be refused with its floor. Models whose format the tool cannot open are counted apart.
import argparse
import json
import logging
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from core.analysis.runtime_floor import graph_floor  # noqa: E402
from core.errors import ModelError  # noqa: E402
from core.formats.model import open_model  # noqa: E402
from core.freeze.plan import freeze  # noqa: E402


def _feeds(spec):
    result = {}
    for item in spec.get("inputs", []):
        if isinstance(item, dict) and "value" in item:
            result[item["name"]] = item["value"]
    return result


def check_one(folder, target, run_verify):
    """Returns (verdict, detail): verdict is frozen+verified / refused / open-failed / ... ."""
    with open(os.path.join(folder, "spec.json")) as fh:
        spec = json.load(fh)
    runs_14 = "1.4" in spec.get("runs_in", "")
    try:
        model = open_model(folder)
    except ModelError as exc:
        return runs_14, "not opened", str(exc)[-150:], None
    with model:
        started = time.time()
        floor = graph_floor(model.graph_def, model.meta_graph)
        floor_seconds = time.time() - started
        with tempfile.TemporaryDirectory() as tmp:
            destination = os.path.join(tmp, "frozen.pb")
            try:
                report = freeze(model, spec["outputs"], destination, target_tf=target)
            except ModelError as exc:
                verdict = "refused" if "cannot freeze for TensorFlow" in str(exc) else "freeze failed"
                return runs_14, verdict, "floor %s: %s" % (floor.floor, str(exc)[-200:]), floor_seconds
            names = [item["name"] if isinstance(item, dict) else item for item in spec.get("inputs", [])]
            if not run_verify or any(":" in name for name in names):
                why = "" if not run_verify else "not verified: inputs are pipeline tensors %s; " % names
                return runs_14, "frozen", why + report.runtime.floor.summary()[:150], floor_seconds
            from core.verify.runner import verify
            feeds = dict((k, v) for k, v in _feeds(spec).items())
            try:
                result = verify(model, destination, spec["outputs"], feeds=feeds or None)
            except Exception as exc:  # noqa: BLE001 - a corpus report, not a product path
                return runs_14, "verify error", "%s: %s" % (type(exc).__name__, str(exc)[-200:]), floor_seconds
            verdict = "frozen+verified" if result.passed else "verify differs"
            return runs_14, verdict, "TF %s; floor %s" % (result.tensorflow_version,
                                                          report.runtime.floor.floor), floor_seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus")
    parser.add_argument("--target-tf", default="1.4")
    parser.add_argument("--no-verify", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    counts = {}
    for name in sorted(os.listdir(args.corpus)):
        folder = os.path.join(args.corpus, name)
        if not os.path.isfile(os.path.join(folder, "spec.json")):
            continue
        runs_14, verdict, detail, seconds = check_one(folder, args.target_tf, not args.no_verify)
        good = (verdict == "frozen+verified" or (verdict == "frozen" and args.no_verify)) if runs_14 \
            else verdict == "refused"
        key = ("runs in 1.4" if runs_14 else "needs newer", verdict, "OK" if good else "WRONG")
        counts[key] = counts.get(key, 0) + 1
        print("%-5s %-14s %-16s %s  [floor %.3fs] %s" % ("OK" if good else "WRONG", key[0], verdict, name,
                                                        seconds or 0, detail), flush=True)
    print()
    for key, count in sorted(counts.items()):
        print("%3d  %s / %s / %s" % ((count,) + key))
    return 0


if __name__ == "__main__":
    sys.exit(main())
