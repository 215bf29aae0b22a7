"""Corpus harness: inspect, freeze (and verify) every model of a folder of spec'd real models, print a table.

Usage: python tools/corpus_report.py PATH_TO_CORPUS [--json] [--tf-python PYTHON] [--no-verify] [--only TEXT]
                                      [--baseline FILE [--write-baseline]]

Each model folder under PATH holds a ``spec.json`` (see ../shared/wild/README.md) naming the authors'
outputs and inputs. For each model the project's own core opens it, ranks its candidate outputs, works
out the inputs the spec's outputs need, and freezes those outputs into a temporary folder; when
TensorFlow is available (in this Python, or in --tf-python), ``main.py verify`` runs the frozen graph
beside the checkpoint. Nothing is ever written into PATH.

With --baseline, the totals (first, within k+2, listed, suggested = the authors' set, inputs exact, and the
freeze/run counts when measured) are compared with the recorded ones: any that drops fails (exit 1), so CI
catches a regression of the ranking. --write-baseline records this run's totals instead.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _one_line(exc):
    text = str(exc).strip().splitlines()
    text = text[0] if text else ""
    return ("%s: %s" % (type(exc).__name__, text)) if not _is_model_error(exc) else text


def _is_model_error(exc):
    from core.errors import ModelError
    return isinstance(exc, ModelError)


def _strip0(name):
    return name[:-2] if name.endswith(":0") else name


def spec_inputs(spec):
    """Spec inputs as dict name (":0" stripped) -> dict (value/shape when given)."""
    result = {}
    for item in spec.get("inputs") or []:
        if isinstance(item, str):
            item = {"name": item}
        result[_strip0(item["name"])] = item
    return result


def model_path(folder, spec):
    """The path a user would give for this model."""
    fmt = spec.get("format")
    if fmt == "saved_model":
        return folder
    if fmt == "frozen":
        for name in sorted(os.listdir(folder)):
            if name.endswith((".pb", ".pbtxt")):
                return os.path.join(folder, name)
        return folder
    prefix = spec.get("prefix")
    if prefix:
        for candidate in (prefix + ".meta", prefix + ".index", prefix):
            if os.path.isfile(os.path.join(folder, candidate)):
                return os.path.join(folder, candidate)
    return folder


def rank_of(candidates, outputs):
    """Position (1-based) of the worst-ranked output among the candidates, or None if one is missing."""
    names = [c.name for c in candidates]
    worst = 0
    for output in outputs:
        name = _strip0(output)
        if name not in names:
            return None
        worst = max(worst, names.index(name) + 1)
    return worst


def _our_inputs(analysis, outputs):
    """The inputs the tool says these outputs need: dict name -> info dict."""
    if hasattr(analysis, "required_inputs"):
        found = analysis.required_inputs(outputs)
        return dict((_strip0(i.name), i._asdict() if hasattr(i, "_asdict") else dict(vars(i))) for i in found)
    return dict((_strip0(i.name), i._asdict()) for i in analysis.inputs)


def _values_match(spec_item, ours):
    """Whether a spec input's inference value (a keep_prob 1.0, ...) is the one the tool proposes."""
    if "value" not in spec_item:
        return True
    want = spec_item["value"]
    if not isinstance(want, (int, float)) or isinstance(want, bool):
        return True  # sequence lengths and sizes depend on the data: not the tool's to guess
    if not isinstance(want, float):
        return True
    got = ours.get("value") if ours else None
    try:
        return got is not None and abs(float(got) - float(want)) < 1e-9
    except (TypeError, ValueError):
        return False


def _saved_model_metas(path):
    """The MetaGraphDefs of a saved_model.pb (SavedModel field 2), read without TensorFlow."""
    from core.formats import protos
    from core.formats.wire import iter_fields
    with open(path, "rb") as handle:
        data = handle.read()
    metas = []
    for number, wire, _, start, end in iter_fields(data):
        if number == 2 and wire == 2:
            meta = protos.MetaGraphDef()
            meta.ParseFromString(data[start:end])
            metas.append(meta)
    return metas


def analysis_only(folder, spec):
    """When the model cannot be opened (a format not supported yet), analyse its graph alone."""
    from core.analysis.insight import analyze
    from core.formats.graph_io import load_meta_graph
    if spec.get("format") == "saved_model":
        metas = _saved_model_metas(os.path.join(folder, "saved_model.pb"))
        if not metas:
            return None
        return analyze(metas[0].graph_def, metas[0])
    meta = os.path.join(folder, (spec.get("prefix") or "") + ".meta")
    if not os.path.isfile(meta):
        return None
    loaded = load_meta_graph(meta)
    return analyze(loaded.graph_def, loaded.meta_graph)


def _rank_row(row, analysis, spec):
    row["rank"] = rank_of(analysis.candidates, spec["outputs"])
    row["top"] = [c.name for c in analysis.candidates[:row["k"] + 2]]
    row["suggested"] = list(getattr(analysis, "suggested", []))
    row["suggested_exact"] = set(row["suggested"]) == set(_strip0(o) for o in spec["outputs"])
    ours = _our_inputs(analysis, spec["outputs"])
    wanted = spec_inputs(spec)
    missing = sorted(set(wanted) - set(ours))
    extra = sorted(set(ours) - set(wanted))
    bad_values = sorted(n for n in wanted if n in ours and not _values_match(wanted[n], ours[n]))
    row["inputs_exact"] = not missing and not extra and not bad_values
    notes = []
    if missing:
        notes.append("missing " + ",".join(missing))
    if extra:
        notes.append("extra " + ",".join(extra))
    if bad_values:
        notes.append("value " + ",".join("%s=%r" % (n, ours[n].get("value")) for n in bad_values))
    row["inputs_note"] = "; ".join(notes)
    row["our_inputs"] = sorted(ours)


def _pipeline_cuts(spec):
    """Spec inputs that are tensors of an input pipeline (`IteratorGetNext:3`), not placeholders: the
    cuts a deployable graph needs."""
    return sorted(name for name in spec_inputs(spec) if ":" in name)


def _freeze(loaded, request):
    """api.freeze; when variables are missing that --init-missing can initialise, again with it (as a user
    told so would). Returns " (--init-missing)" when that was needed, else ""."""
    from core import api
    try:
        api.freeze(loaded, request)
        return ""
    except api.ModelError as exc:
        if "--init-missing gives" not in str(exc):
            raise
    request.init_missing = True
    api.freeze(loaded, request)
    return " (--init-missing)"


def freeze_for_target(row, loaded, spec, workdir, target):
    """Freezes for TensorFlow ``target`` (input pipelines cut); sets row["target"] ("ok" or the floor)."""
    from core import api
    destination = os.path.join(workdir, row["model"] + ".target.pb")
    request = api.FreezeRequest([_strip0(o) for o in spec["outputs"]], destination=destination,
                                input_cuts=_pipeline_cuts(spec), target_tf=target)
    try:
        note = _freeze(loaded, request)
    except Exception as exc:
        text = _one_line(exc)
        match = re.search(r"needs TensorFlow (?:>= )?(\d+\.\d+|\d+)", text)
        row["target"] = ("refused: needs %s" % match.group(1)) if match else text
        return
    row["target"] = "ok" + note
    row["target_path"] = destination


def check_model(folder, spec, workdir, target=None):
    """Runs inspect + freeze (and a freeze for ``target``) on one model; returns a row dict."""
    from core import api
    row = {"model": os.path.basename(folder), "format": spec.get("format"), "k": len(spec["outputs"]),
           "outputs": spec["outputs"], "rank": None, "top": [], "inputs_exact": False, "inputs_note": "",
           "suggested": [], "suggested_exact": False,
           "freeze": None, "frozen_path": None, "path": model_path(folder, spec), "error": None}
    started = time.time()
    try:
        loaded = api.load(row["path"])
    except Exception as exc:  # the table shows every failure as one line
        row["error"] = row["freeze"] = _one_line(exc).replace(folder + os.sep, "")
        try:
            analysis = analysis_only(folder, spec)
            if analysis is not None:
                _rank_row(row, analysis, spec)
                row["error"] = None
        except Exception as inner:
            row["error"] = "%s (graph alone: %s)" % (row["error"], _one_line(inner))
        row["seconds"] = round(time.time() - started, 2)
        return row
    with loaded:
        try:
            _rank_row(row, loaded.analysis, spec)
        except Exception as exc:
            row["error"] = _one_line(exc)
        destination = os.path.join(workdir, row["model"] + ".pb")
        try:
            row["freeze"] = "ok" + _freeze(loaded, api.FreezeRequest([_strip0(o) for o in spec["outputs"]],
                                                                     destination=destination))
            row["frozen_path"] = destination
        except Exception as exc:
            row["freeze"] = _one_line(exc)
        if target is not None:
            freeze_for_target(row, loaded, spec, workdir, target)
    for key in ("error", "freeze", "target"):
        if row.get(key) and row[key] != "ok":
            row[key] = row[key].replace(folder + os.sep, "").replace(folder, ".")
    row["seconds"] = round(time.time() - started, 2)
    return row


def _tensorflow_here():
    try:
        import importlib.util
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


def verify_row(row, python, timeout, frozen_key="frozen_path", result_key="runs"):
    """Runs `main.py verify` on a frozen model in a child process; sets row[result_key]."""
    if not row.get(frozen_key):
        row[result_key] = "-"
        return
    command = [python, os.path.join(ROOT, "main.py"), "verify", row["path"], row[frozen_key],
               "--outputs", ",".join(_strip0(o) for o in row["outputs"]), "--json"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                              env=env, universal_newlines=True)
    except subprocess.TimeoutExpired:
        row[result_key] = "timeout after %ds" % timeout
        return
    if done.returncode == 0:
        row[result_key] = "equal"
        return
    lines = [l for l in done.stderr.splitlines() if l.startswith("error:")]
    row[result_key] = lines[-1][len("error: "):] if lines else (
        done.stderr.strip().splitlines() or ["exit %d" % done.returncode])[-1]


def _cell(text, width):
    text = "" if text is None else str(text)
    return text if len(text) <= width else text[:width - 1] + "~"


def print_table(rows, verified, out=sys.stdout, target=None):
    header = "%-44s %-11s %4s %2s %-4s %-6s %-14s %-8s %-19s %s" % (
        "model", "format", "rank", "k", "sugg", "inputs", "freeze", "runs", "for TF %s" % (target or "-"),
        "runs in TF %s" % (target or "-"))
    out.write(header + "\n" + "-" * len(header) + "\n")
    for row in rows:
        rank = "-" if row["rank"] is None else str(row["rank"])
        inputs = "exact" if row["inputs_exact"] else "NO"
        out.write("%-44s %-11s %4s %2d %-4s %-6s %-14s %-8s %-19s %s\n" % (
            _cell(row["model"], 44), row["format"], rank, row["k"], "=" if row["suggested_exact"] else "NO", inputs,
            _cell(row["freeze"], 14), _cell(row.get("runs", "") if verified else "", 8),
            _cell(row.get("target", ""), 19), _cell(row.get("target_runs", ""), 30)))
    out.write("\n")
    for row in rows:
        extra = []
        if row.get("error"):
            extra.append("error: " + row["error"])
        if row.get("freeze") not in (None, "ok"):
            extra.append("freeze: " + row["freeze"])
        if row.get("runs") not in (None, "", "-", "equal"):
            extra.append("runs: " + row["runs"])
        if row.get("target_runs") not in (None, "", "-", "equal"):
            extra.append("runs in TF %s: %s" % (target, row["target_runs"]))
        if row["inputs_note"]:
            extra.append("inputs: " + row["inputs_note"])
        if row["rank"] != 1 and row["top"] and not (row["rank"] is not None and row["rank"] <= row["k"]):
            extra.append("top: " + ", ".join(row["top"]))
        if not row["suggested_exact"] and row["top"]:
            extra.append("suggested: " + (", ".join(row["suggested"]) or "(none)"))
        if extra:
            out.write("%s\n    %s\n" % (row["model"], "\n    ".join(extra)))
    totals = summarize(rows, verified)
    out.write("\ntotals over %d models: first %d, within k+2 %d, listed %d, suggested = authors %d, inputs exact %d, "
              "freeze ok %d%s\n" % (totals["models"], totals["first"], totals["within_k2"], totals["listed"],
                                    totals["suggested"], totals["inputs_exact"], totals["freeze_ok"],
                                    (", runs+equal %d" % totals["runs"]) if verified else ""))
    if target is not None:
        out.write("for TensorFlow %s: frozen %d (runs+equal there %s), refused with a version floor %d, other %d\n"
                  % (target, totals["target_ok"], totals["target_runs"] if totals["target_runs"] is not None
                     else "not run", totals["target_refused"],
                     totals["models"] - totals["target_ok"] - totals["target_refused"]))


def summarize(rows, verified):
    ranked = [r for r in rows if r["rank"] is not None]
    return {
        "models": len(rows),
        "first": sum(1 for r in ranked if r["rank"] <= r["k"]),
        "within_k2": sum(1 for r in ranked if r["rank"] <= r["k"] + 2),
        "listed": len(ranked),
        "suggested": sum(1 for r in rows if r.get("suggested_exact")),
        "inputs_exact": sum(1 for r in rows if r["inputs_exact"]),
        "freeze_ok": sum(1 for r in rows if str(r.get("freeze")).startswith("ok")),
        "runs": sum(1 for r in rows if r.get("runs") == "equal") if verified else None,
        "target_ok": sum(1 for r in rows if str(r.get("target")).startswith("ok")),
        "target_refused": sum(1 for r in rows if str(r.get("target", "")).startswith("refused: needs")),
        "target_runs": (sum(1 for r in rows if r.get("target_runs") == "equal")
                        if any("target_runs" in r for r in rows) else None),
    }


GATED = ("models", "first", "within_k2", "listed", "suggested", "inputs_exact", "freeze_ok", "runs", "target_ok",
         "target_runs")


def compare_with_baseline(totals, baseline, out=sys.stdout):
    """Lines naming every gated total that fell below the recorded baseline (an empty list: no regression).
    Totals not measured in this run (runs without TensorFlow) or not recorded are not compared."""
    regressions = []
    for key in GATED:
        recorded, now = baseline.get(key), totals.get(key)
        if recorded is None or now is None:
            continue
        if key == "models" and now != recorded:
            regressions.append("models: %d now, %d recorded (the corpus changed: record a new baseline)"
                               % (now, recorded))
        elif now < recorded:
            regressions.append("%s: %d now, %d recorded" % (key, now, recorded))
        elif now > recorded:
            out.write("better than the baseline: %s %d (recorded %d)\n" % (key, now, recorded))
    return regressions


def model_folders(path):
    return [os.path.join(path, d) for d in sorted(os.listdir(path))
            if os.path.isfile(os.path.join(path, d, "spec.json"))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="folder of model folders, each with a spec.json")
    parser.add_argument("--json", action="store_true", help="print the rows and totals as JSON")
    parser.add_argument("--tf-python", metavar="PYTHON",
                        help="verify in this Python (e.g. one with TensorFlow 1.4); default: this Python "
                             "when it has TensorFlow")
    parser.add_argument("--no-verify", action="store_true", help="skip running the frozen graphs")
    parser.add_argument("--only", metavar="TEXT", help="only models whose folder name contains TEXT")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per verification (default 300)")
    parser.add_argument("--target-tf", default="1.4", metavar="VERSION",
                        help="also freeze for this TensorFlow release (default 1.4; 'none' to skip)")
    parser.add_argument("--target-python", metavar="PYTHON",
                        help="run the graphs frozen for --target-tf in this Python (one with that TensorFlow)")
    parser.add_argument("--baseline", metavar="FILE",
                        help="fail (exit 1) when a total falls below the one this JSON file records")
    parser.add_argument("--write-baseline", action="store_true", help="record this run's totals in --baseline")
    args = parser.parse_args(argv)
    import logging
    logging.basicConfig(level=logging.ERROR)
    python = args.tf_python or (sys.executable if _tensorflow_here() else None)
    verified = python is not None and not args.no_verify
    target = None if args.target_tf.lower() == "none" else args.target_tf
    workdir = tempfile.mkdtemp(prefix="corpus_report_")
    rows = []
    try:
        for folder in model_folders(args.path):
            if args.only and args.only not in os.path.basename(folder):
                continue
            with open(os.path.join(folder, "spec.json")) as handle:
                spec = json.load(handle)
            row = check_model(folder, spec, workdir, target)
            if verified:
                verify_row(row, python, args.timeout)
            if target is not None and args.target_python and not args.no_verify:
                verify_row(row, args.target_python, args.timeout, "target_path", "target_runs")
            rows.append(row)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for row in rows:
        row.pop("frozen_path", None)
        row.pop("target_path", None)
    totals = summarize(rows, verified)
    if args.json:
        json.dump({"rows": rows, "totals": totals}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print_table(rows, verified, target=target)
    if args.baseline:
        return _gate(args.baseline, totals, args.write_baseline)
    return 0


def _gate(path, totals, write):
    if write:
        recorded = dict((k, totals[k]) for k in GATED if totals.get(k) is not None)
        with open(path, "w") as handle:
            json.dump(recorded, handle, indent=1, sort_keys=True)
            handle.write("\n")
        sys.stderr.write("recorded the baseline in %s\n" % path)
        return 0
    try:
        with open(path) as handle:
            baseline = json.load(handle)
    except (IOError, OSError, ValueError) as exc:
        sys.stderr.write("error: %s: cannot read the baseline (%s); record one with --write-baseline\n"
                         % (path, exc))
        return 1
    regressions = compare_with_baseline(totals, baseline, sys.stderr)
    for line in regressions:
        sys.stderr.write("error: corpus regression against %s: %s\n" % (path, line))
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
