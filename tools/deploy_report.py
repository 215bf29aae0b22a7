"""Deploy table: `main.py deploy` of every spec'd model of a folder to every target, a target x model table.

Usage (the tool's Python; the converters in the deploy Python, $TF1FREEZE_DEPLOY_PYTHON):
    python tools/deploy_report.py PATH [--no-cleanup] [--both] [--runs-in "TF 1.4.0"] [--only A,B] [--json FILE]

PATH holds model folders with a ``spec.json`` (the TF 1.4 fixtures, or ../shared/wild read in place):
outputs from spec["outputs"], the tensors the authors feed directly (``IteratorGetNext:3``, ``add:0``) from
spec["inputs"] as --inputs, the shapes they feed as --shape, the inference values they feed
(``{"name": "keep_prob", "value": 1.0}``, scalars) as --set. A folder
with an ``io.npz`` (TF 1.4.0's recorded feeds and outputs) also has each ok artifact loaded again by
tests/deploy/run_artifact.py in its runtime and compared with those outputs: a mismatch is a false ok.
Per target: ok / supported (not refused by readiness or a missing package) / false ok.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
TARGETS = ["tflite", "onnx", "openvino", "opencv"]
LOADER = os.path.join(ROOT, "tests", "deploy", "run_artifact.py")

from tools.corpus_report import _strip0, model_path  # noqa: E402


def spec_items(spec):
    """(name as the spec gives it, item) per spec input: ``add:0`` keeps its port (a tensor the authors
    feed directly, so a cut), ``keep_prob`` is a placeholder."""
    for item in spec.get("inputs") or []:
        item = {"name": item} if isinstance(item, str) else item
        yield item["name"], item


def spec_cuts(spec):
    """The spec's inputs that are tensors, not placeholders (``IteratorGetNext:3``, ``add:0``): --inputs."""
    return sorted(name for name, _ in spec_items(spec) if ":" in name)


def spec_values(spec):
    """--set items for the spec's fixed inference inputs (a keep_prob 1.0): scalar values only (a list is
    data the authors feed, not a switch)."""
    items = []
    for name, item in sorted(spec_items(spec)):
        value = item.get("value")
        if ":" in name or value is None or isinstance(value, (list, dict)):
            continue
        items.append("%s=%s" % (name, str(value).lower() if isinstance(value, bool) else value))
    return items


def spec_shapes(spec):
    """--shape items for the spec's inputs given with a shape (what the authors feed): a placeholder by its
    name, a cut tensor (``add:0``, ``IteratorGetNext:1``) by the placeholder the cut leaves."""
    from core.freeze.input_cuts import parse_tensor, placeholder_name
    items = []
    for name, item in sorted(spec_items(spec)):
        shape = item.get("shape")
        if shape is None or (item.get("value") is not None and not isinstance(item.get("value"), list)):
            continue
        if ":" in name:
            name = placeholder_name(*parse_tensor(name))
        items.append("%s=%s" % (name, ",".join(str(-1 if d is None else d) for d in shape)))
    return items


def deploy_command(folder, spec, directory, python, cleanup=True):
    """The `main.py deploy` command line for one model of a spec'd folder."""
    command = [sys.executable, os.path.join(ROOT, "main.py"), "deploy", model_path(folder, spec), "--outputs",
               ",".join(_strip0(o) for o in spec["outputs"]), "--to", ",".join(TARGETS), "-o", directory,
               "--json", "--deploy-python", python]
    cuts = spec_cuts(spec)
    if cuts:
        command += ["--inputs", ",".join(cuts)]
    for item in spec_values(spec):
        command += ["--set", item]
    for item in spec_shapes(spec):
        command += ["--shape", item]
    if not cleanup:
        command.append("--no-cleanup")
    return command


def deploy(folder, spec, directory, python, cleanup=True):
    """The --json report of one deploy run (a dict; "error" set when the command printed no object)."""
    command = deploy_command(folder, spec, directory, python, cleanup)
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    try:
        return json.loads(done.stdout)
    except ValueError:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"targets": {}, "error": tail}


def reloaded_matches(python, folder, spec, target, result, workdir):
    """Whether an ok artifact, loaded by the tests' own loader, gives TF 1.4.0's recorded outputs."""
    with np.load(os.path.join(folder, "io.npz")) as data:
        arrays = dict((k, data[k]) for k in data.files)
    outputs = [_strip0(o) for o in spec["outputs"]]
    feeds = dict((k[len("in:"):], v) for k, v in arrays.items() if k.startswith("in:"))
    expected = [arrays.get("out:" + o) for o in outputs]
    feeds_path, out_path = os.path.join(workdir, "feeds.npz"), os.path.join(workdir, "out.npz")
    np.savez(feeds_path, **feeds)
    fetch = [o["name"].split(":")[0] for o in result["outputs"]] if target == "opencv" else outputs
    done = subprocess.run([python, LOADER, target, result["paths"][0], feeds_path, out_path, ",".join(fetch)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    if done.returncode:
        return False
    with np.load(out_path) as data:
        values = [data["arr_%d" % i] for i in range(len(fetch))]
    for value, want in zip(values, expected):
        if want is None:
            return False
        tolerance = 5e-3 if want.dtype == np.float16 else 1e-4
        if want.dtype.kind in "fc":
            if not np.allclose(value.astype(want.dtype), want, rtol=tolerance, atol=tolerance):
                return False
        elif not np.array_equal(value.astype(want.dtype), want):
            return False
    return True


def cell(result):
    if result is None:
        return "-"
    if result["status"] == "ok":
        return "ok %.1e" % result["max_abs_diff"]
    return "%s: %s" % (result["status"], result["reason"])


def models(path, runs_in):
    for name in sorted(os.listdir(path)):
        spec_path = os.path.join(path, name, "spec.json")
        if not os.path.isfile(spec_path):
            continue
        with open(spec_path) as handle:
            spec = json.load(handle)
        if runs_in and spec.get("runs_in", spec.get("tensorflow") and "TF " + spec["tensorflow"]) != runs_in:
            continue
        yield name, os.path.join(path, name), spec


def _report_row(name, folder, spec, mode, cleanup, python, workdir, counts):
    """Deploys one model to every target in ``workdir`` and counts its results: its table row."""
    report = deploy(folder, spec, os.path.join(workdir, "out"), python, cleanup)
    row = {"model": name, "mode": mode, "error": report.get("error"), "targets": {}}
    for target in TARGETS:
        result = report["targets"].get(target)
        row["targets"][target] = cell(result)
        count = counts[(mode, target)]
        if result is not None and (result["status"] != "refused" or "install" not in result["reason"]):
            count[1] += result["status"] != "refused"
            count[0] += result["status"] == "ok"
            if result["status"] == "ok" and os.path.isfile(os.path.join(folder, "io.npz")) and \
                    not reloaded_matches(python, folder, spec, target, result, workdir):
                count[2] += 1
                row["targets"][target] += " FALSE OK"
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--no-cleanup", action="store_true")
    parser.add_argument("--both", action="store_true", help="with and without the clean-ups")
    parser.add_argument("--runs-in", default="", help='only models whose spec says so, e.g. "TF 1.4.0"')
    parser.add_argument("--json", dest="json_path", help="also write the rows here")
    parser.add_argument("--only", default="", help="only models whose folder name contains one of these (A,B)")
    args = parser.parse_args(argv)
    from core.deploy.children import deploy_python
    python = deploy_python()
    modes = [("cleaned", True), ("as frozen", False)] if args.both else [
        ("as frozen", False) if args.no_cleanup else ("cleaned", True)]
    rows, counts = [], dict(((m, t), [0, 0, 0]) for m, _ in modes for t in TARGETS)
    for name, folder, spec in models(args.path, args.runs_in):
        if args.only and not any(part in name for part in args.only.split(",")):
            continue
        for mode, cleanup in modes:
            workdir = tempfile.mkdtemp(prefix="deploy-report-")
            try:
                row = _report_row(name, folder, spec, mode, cleanup, python, workdir, counts)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)  # the artifacts of every model add up to GBs
            rows.append(row)
            print("| %s | %s | %s |" % (name, mode, " | ".join(row["targets"][t] for t in TARGETS)), flush=True)
    print()
    print("| target | mode | ok | supported | false ok |")
    print("| --- | --- | --- | --- | --- |")
    for (mode, target), (ok, supported, false_ok) in sorted(counts.items()):
        print("| %s | %s | %d | %d | %d |" % (target, mode, ok, supported, false_ok))
    if args.json_path:
        with open(args.json_path, "w") as handle:
            json.dump(rows, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
