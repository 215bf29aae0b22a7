"""`main.py inspect PATH [--json]`: inputs, training switches, candidate outputs, variables, summary."""

import json
import sys

from core import api


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "inspect", help="show a model's inputs, likely outputs and variables",
        description="Show the inputs, training switches, ranked candidate outputs, variables "
                    "and a summary of a TensorFlow 1.x model.")
    parser.add_argument("path", metavar="PATH", help="checkpoint file, folder, .meta or .pb")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--outputs", metavar="NAME[,NAME...]",
                        help="also report the exact size of the frozen graph for these outputs")
    parser.add_argument("--top", type=int, default=10, metavar="N",
                        help="how many candidate outputs to list in text mode (default 10)")
    from cli.freeze_cmd import add_format_arguments
    add_format_arguments(parser)
    parser.set_defaults(run=run)
    return parser


def _plain(value):
    """Namedtuples and simple objects -> JSON-ready dicts and lists."""
    if hasattr(value, "_asdict"):
        return dict((k, _plain(v)) for k, v in value._asdict().items())
    if isinstance(value, dict):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "__dict__"):
        return dict((k, _plain(v)) for k, v in vars(value).items() if not k.startswith("_"))
    return str(value)


def collect(loaded, outputs=None):
    """Everything `inspect` shows, as plain data (with the exact frozen size when outputs are given).

    Args:
        loaded: core.pipeline.LoadedModel (from api.load).
    """
    model, analysis = loaded.model, loaded.analysis
    variables = sorted(loaded.variables.values(), key=lambda v: v.name)
    location = model.location
    summary = _plain(analysis.summary(variable_bytes=loaded.variable_bytes(), outputs=outputs))
    runtime = api.runtime_floor(loaded).to_json()
    if outputs:
        plan = api.plan(loaded, api.FreezeRequest(outputs))
        summary["frozen_outputs"] = list(plan.outputs)
        summary["frozen_nodes"] = len(plan.nodes)
        summary["frozen_bytes"] = api.planned_size(plan)
        runtime["frozen"] = api.plan_floor(plan).to_json()
    info = {
        "model": {"name": location.path, "kind": location.kind, "graph": location.model_file,
                  "tags": list(model.tags) if model.tags is not None else None,
                  "checkpoint": location.prefix, "nodes": len(model.graph_def.node),
                  "notes": list(location.notes)},
        "inputs": _plain(analysis.inputs),
        "training_switches": _plain(analysis.training_switches),
        "candidates": _plain(analysis.candidates),
        "suggested": api.suggested_outputs(loaded),
        "heads": [_head(h) for h in api.output_heads(loaded)],
        "variables": _plain(variables),
        "summary": summary,
        "signatures": _plain(list(model.signatures.values())),
        "suggested_cuts": _plain(api.suggest_cuts(loaded)),
        "assets": _plain(model.assets),
        "runtime": runtime,
        "savers": [{"name": s.name, "variable_count": s.variable_count,
                    "restores_moving_averages": s.restores_moving_averages, "is_default": s.is_default}
                   for s in api.savers(loaded)],
    }
    if outputs:
        info["required_inputs"] = _plain(analysis.required_inputs(outputs))
    return info


def _head(head):
    return {"name": head.preferred, "preferred": head.preferred, "forms": list(head.forms), "kind": head.kind,
            "suggested": head.suggested, "reason": head.reason}


def _shape_text(shape):
    if shape is None:
        return "?"
    return "[%s]" % ",".join("?" if d is None or d < 0 else str(d) for d in shape)


def _write_formats(out, info):
    """Signatures, suggested input cuts and assets, when the model has any."""
    if info["signatures"]:
        out.write("\nSignatures:\n")
        for sig in info["signatures"]:
            out.write("  %s (%s)\n" % (sig["name"], sig["method"]))
            for kind in ("inputs", "outputs"):
                for spec in sig[kind]:
                    out.write("    %-7s %-20s %-30s %-8s %s\n" % (kind[:-1], spec["key"], spec["tensor"],
                                                                spec["dtype"], _shape_text(spec["shape"])))
    if info["suggested_cuts"]:
        out.write("\nInput pipeline (feed the model by cutting here: --inputs %s):\n"
                  % ",".join(c["name"] for c in info["suggested_cuts"]))
        for cut in info["suggested_cuts"]:
            out.write("  %-40s %-8s %-14s %s\n" % (cut["name"], cut["dtype"] or "?", _shape_text(cut["shape"]),
                                                   cut["reason"]))
    if len(info["savers"]) > 1:
        out.write("\nSavers (freeze --saver NAME; * the one saver_def names, used by default):\n")
        for saver in info["savers"]:
            out.write("  %s %-20s %5d variables%s\n" % ("*" if saver["is_default"] else " ", saver["name"],
                                                       saver["variable_count"], ", restores moving averages"
                                                       if saver["restores_moving_averages"] else ""))
    if info["assets"]:
        out.write("\nAssets:\n")
        for asset in info["assets"]:
            out.write("  %-30s via %s%s\n" % (asset["filename"], asset["tensor"],
                                              "" if asset["path"] else " (file missing)"))
def _write_heads(out, info, top):
    """The suggested outputs, then each head: its preferred form, the other forms and why."""
    out.write("\nSuggested outputs: %s\n" % (",".join(info["suggested"]) or "(none)"))
    heads = info["heads"]
    if not heads:
        return
    out.write("Heads (the forms of one prediction; * = suggested):\n")
    for head in heads[:top]:
        others = [f for f in head["forms"] if f != head["preferred"]]
        out.write("  %s %-40s %s\n" % ("*" if head["suggested"] else " ", head["preferred"], head["reason"]))
        if others:
            out.write("      also: %s\n" % ", ".join(others[:6] + (["..."] if len(others) > 6 else [])))
    if len(heads) > top:
        out.write("  ... %d more heads (--json)\n" % (len(heads) - top))


def _write_runtime(out, runtime):
    """The version floor: one line, then the reasons that set it (and the frozen result's floor)."""
    out.write("\nRuns on: %s\n" % _floor_text(runtime))
    for reason in runtime["reasons"][:5]:
        out.write("  %s\n" % reason["text"])
    if len(runtime["reasons"]) > 5:
        out.write("  ... %d more (--json)\n" % (len(runtime["reasons"]) - 5))
    if "frozen" in runtime:
        out.write("Frozen result runs on: %s\n" % _floor_text(runtime["frozen"]))


def _floor_text(runtime):
    if runtime["floor"] is None:
        return "no known TensorFlow release"
    text = "TensorFlow >= %s" % runtime["floor"]
    if runtime["strict_floor"] != runtime["floor"]:
        text += " (>= %s as written; freeze drops the default-valued new attrs)" % (runtime["strict_floor"] or "none")
    return text


def run(args):
    outputs = [o for o in (args.outputs or "").split(",") if o.strip()] or None
    with api.load(args.path, checkpoint=args.checkpoint, tags=args.tags) as loaded:
        info = collect(loaded, outputs)
    if args.json:
        json.dump(info, sys.stdout, indent=1, sort_keys=False)
        sys.stdout.write("\n")
        return 0
    out = sys.stdout
    meta = info["model"]
    out.write("%s (%s): %d nodes, graph %s\n" % (meta["name"], meta["kind"], meta["nodes"], meta["graph"]))
    if meta["checkpoint"]:
        out.write("checkpoint: %s\n" % meta["checkpoint"])
    for note in meta["notes"]:
        out.write("note: %s\n" % note)
    if meta.get("tags") is not None:
        out.write("SavedModel meta graph tags: %s\n" % ",".join(meta["tags"]))
    _write_formats(out, info)
    out.write("\nInputs:\n")
    for item in info["inputs"] or []:
        out.write("  %-40s %-8s %s\n" % (item["name"], item.get("dtype", ""), _shape_text(item.get("shape"))))
    if not info["inputs"]:
        out.write("  (none)\n")
    if info.get("required_inputs") is not None:
        out.write("\nInputs these outputs need:\n")
        for item in info["required_inputs"]:
            value = "" if item["value"] is None else "  inference value %r" % (item["value"],)
            feed = "must feed" if item["must_feed"] else "has default"
            out.write("  %-40s %-8s %-14s %-11s %s%s\n" % (item["name"], item["dtype"], _shape_text(item["shape"]),
                                                          feed, item["reason"] or item["kind"], value))
        if not info["required_inputs"]:
            out.write("  (none)\n")
    if info["training_switches"]:
        out.write("\nTraining switches:\n")
        for item in info["training_switches"]:
            out.write("  %-40s %-8s default %r\n" % (item["name"], item.get("dtype", ""), item.get("default")))
    out.write("\nCandidate outputs (best first):\n")
    for rank, item in enumerate(info["candidates"][:args.top], 1):
        out.write("  %2d. %-40s %-10s %s\n" % (rank, item["name"], item.get("op", ""),
                                                "; ".join(item.get("reasons") or [])))
    if len(info["candidates"]) > args.top:
        out.write("  ... %d more (--top N or --json)\n" % (len(info["candidates"]) - args.top))
    _write_heads(out, info, args.top)
    out.write("\nVariables:\n")
    for item in info["variables"]:
        size = api.human_size(item["nbytes"]) if item.get("nbytes") is not None else "not in checkpoint"
        key = "" if item["key"] == item["name"] else "  key '%s'" % item["key"]
        out.write("  %-40s %-8s %-14s %s%s\n" % (item["name"], item["dtype"], _shape_text(item["shape"]),
                                                 size, key))
    if not info["variables"]:
        out.write("  (none)\n")
    _write_runtime(out, info["runtime"])
    summary = info["summary"]
    if isinstance(summary, dict):
        out.write("\nSummary:\n")
        for key, value in summary.items():
            if isinstance(value, (list, dict)):
                value = ", ".join("%s %s" % tuple(v) if isinstance(v, (list, tuple)) and len(v) == 2 else str(v)
                                  for v in (value.items() if isinstance(value, dict) else value)[:12])
            out.write("  %s: %s\n" % (key, value))
    return 0
