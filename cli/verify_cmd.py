"""`main.py verify PATH FROZEN.pb`: run checkpoint and frozen graph side by side and compare."""

import json
import sys

from cli.freeze_cmd import add_format_arguments, set_values
from core import api
from core.api import ModelError


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "verify", help="compare a frozen graph with its checkpoint (needs TensorFlow)",
        description="Run the outputs in the checkpoint-restored graph and in the frozen graph, and "
                    "compare them. Exit 1 when any output differs.")
    parser.add_argument("path", metavar="PATH", help="the checkpoint (any of its files or its folder)")
    parser.add_argument("frozen", metavar="FROZEN.pb", help="the frozen graph")
    parser.add_argument("--outputs", metavar="NAME[,NAME...]",
                        help="outputs to compare (default: the signature's, else the frozen graph's ends)")
    parser.add_argument("--signature", metavar="NAME",
                        help="compare this SavedModel signature's outputs (its non-placeholder inputs are cuts)")
    add_format_arguments(parser)
    parser.add_argument("--input-cuts", metavar="TENSOR[,TENSOR...]",
                        help="the freeze's input cuts (freeze --inputs): each cut's input is fed to the tensor it "
                             "replaced in the checkpoint graph")
    parser.add_argument("--saver", metavar="NAME",
                        help="the saver the freeze restored the variables through (default: the meta graph's)")
    parser.add_argument("--init-missing", action="store_true",
                        help="the freeze gave variables the checkpoint lacks their initial values: do the same")
    parser.add_argument("--inputs", metavar="FEEDS.npz", help="input arrays by placeholder name (or in:NAME)")
    parser.add_argument("--batch-size", type=int, default=2, help="size of unknown dimensions (default 2)")
    parser.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance for floats")
    parser.add_argument("--atol", type=float, default=1e-6, help="absolute tolerance for floats")
    parser.add_argument("--set", dest="switches", action="append", default=[], metavar="NAME=VALUE",
                        help="value fed to a training switch in the checkpoint graph")
    parser.add_argument("--json", action="store_true",
                        help="print JSON; progress goes to stderr as 'progress: PERCENT MESSAGE' lines")
    parser.set_defaults(run=run)
    return parser


def _load_feeds(path):
    import numpy as np
    try:
        with np.load(path, allow_pickle=False) as data:
            return dict((key, data[key]) for key in data.files)
    except (IOError, OSError, ValueError) as exc:
        raise ModelError("cannot read input arrays (%s)" % exc, path)


def progress_line(done=0, total=0, message=""):
    """Writes one machine-readable progress line to stderr: 'progress: PERCENT MESSAGE' (PERCENT -1: unknown)."""
    if isinstance(done, str):
        done, total, message = 0, 0, done
    percent = int(100 * done / total) if total else -1
    sys.stderr.write("progress: %d %s\n" % (percent, message))
    sys.stderr.flush()


def report_verification(model, frozen, outputs, feeds=None, batch_size=2, rtol=1e-5, atol=1e-6,
                        switch_values=None, as_json=False, request=None):
    """Runs core.verify.runner and prints the result; returns the exit code (0 all equal, 1 otherwise).

    request: the FreezeRequest that made ``frozen`` (its input cuts, saver and init_missing are verified as made).
    """
    if as_json:
        progress_line("loading TensorFlow")
    options = {}
    if request is not None:
        options = dict(input_cuts=request.input_cuts, saver=request.saver, init_missing=request.init_missing)
    report = api.verify(model, frozen, outputs, feeds=feeds, batch_size=batch_size, rtol=rtol, atol=atol,
                        switch_values=switch_values, progress=progress_line if as_json else None, **options)
    if as_json:
        json.dump({"passed": report.passed, "tensorflow": report.tensorflow_version,
                   "inputs": [{"name": k, "dtype": v[0], "shape": v[1]} for k, v in sorted(report.inputs_used.items())],
                   "outputs": [dict(c._asdict()) for c in report.outputs], "notes": list(report.notes)},
                  sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        out = sys.stdout
        out.write("verified with TensorFlow %s, inputs: %s\n" % (
            report.tensorflow_version, ", ".join("%s %s%s" % (k, v[0], v[1]) for k, v in sorted(report.inputs_used.items()))))
        out.write("  %-40s %-8s %-12s %12s %12s  %s\n" % ("output", "dtype", "shape", "max abs", "max rel", "result"))
        for check in report.outputs:
            out.write("  %-40s %-8s %-12s %12.3g %12.3g  %s\n" % (
                check.name, check.dtype, check.shape, check.max_abs_diff, check.max_rel_diff,
                "ok" if check.passed else "DIFFERS: " + check.message))
        for note in report.notes:
            out.write("  note: %s\n" % note)
    if not report.passed:
        bad = [c.name for c in report.outputs if not c.passed]
        sys.stderr.write("error: the frozen graph differs from the checkpoint on %s\n" % ", ".join(bad))
        return 1
    return 0


def session_from(args, loaded):
    """The FreezeSession the arguments describe: outputs (or the signature's, or the frozen graph's ends),
    input cuts, fixed values, saver and init_missing, as the freeze that made the graph had them."""
    outputs = [o for o in (args.outputs or "").split(",") if o.strip()]
    cuts = [c for c in (args.input_cuts or "").split(",") if c.strip()]
    if args.signature:
        signature = loaded.model.signature(args.signature)
        outputs = outputs or signature.output_nodes
        cuts = cuts or api.signature_cuts(loaded, signature)
    return api.FreezeSession(outputs or api.graph_ends(args.frozen), cuts, set_values(args.switches),
                             saver=args.saver, init_missing=args.init_missing)


def run(args):
    feeds = _load_feeds(args.inputs) if args.inputs else None
    if args.json:
        progress_line("opening %s" % args.path)
    with api.open_model(args.path, checkpoint=args.checkpoint, tags=args.tags) as loaded:
        session = session_from(args, loaded)
        request = session.request(args.frozen)
        values = api.fixed_values(loaded, request)
        return report_verification(loaded, args.frozen, request.outputs, feeds, args.batch_size, args.rtol,
                                   args.atol, values, args.json, request)
