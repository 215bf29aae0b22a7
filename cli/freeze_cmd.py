"""`main.py freeze PATH --outputs A,B [-o OUT.pb]`: writes the frozen graph."""

import os
import sys

from core import api
from core.api import FreezeSession, ModelError


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "freeze", help="freeze a checkpoint into a .pb",
        description="Turn variables into constants and prune the graph to the outputs.")
    parser.add_argument("path", metavar="PATH", help="checkpoint file, folder, .meta or .pb")
    parser.add_argument("--outputs", "--output_node_names", dest="outputs",
                        metavar="NAME[,NAME...]", help="output node names (name or name:0)")
    parser.add_argument("--signature", metavar="NAME",
                        help="freeze the outputs of this SavedModel signature (and cut at its inputs)")
    add_format_arguments(parser)
    parser.add_argument("--inputs", metavar="TENSOR[,TENSOR...]",
                        help="cut the graph here: each tensor becomes a Placeholder, what fed it is pruned")
    parser.add_argument("-o", "--output", dest="destination", metavar="OUT.pb",
                        help="where to write (default: frozen_model.pb beside the checkpoint)")
    parser.add_argument("--keep-devices", action="store_true",
                        help="keep the nodes' device placements (cleared by default)")
    parser.add_argument("--inference", action="store_true",
                        help="fix every training switch (boolean PlaceholderWithDefault) to its "
                             "default and drop the dead cond branches")
    parser.add_argument("--set", dest="switches", action="append", default=[], metavar="NAME=VALUE",
                        help="fix a training switch to VALUE (implies inference mode for it)")
    parser.add_argument("--saver", metavar="NAME",
                        help="restore variables as this saver does (as `inspect` lists them, e.g. the moving-average "
                             "saver); default: the one the meta graph's saver_def names")
    parser.add_argument("--init-missing", action="store_true",
                        help="a variable nothing restores gets its initializer's value when that is computable "
                             "without TensorFlow (zeros, ones, constants, fill); random initializers stay an error")
    parser.add_argument("--verify", action="store_true",
                        help="run checkpoint and frozen graph in TensorFlow and compare; exit 1 on a difference")
    parser.add_argument("--target-tf", default=api.DEFAULT_TARGET_TF, metavar="VERSION",
                        help="TensorFlow release the .pb must load in (default 1.4): attrs it lacks that "
                             "hold their default are dropped, anything else it cannot load is refused")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")
    parser.set_defaults(run=run)
    return parser


def add_format_arguments(parser):
    """--tag and --checkpoint, shared by inspect and freeze."""
    parser.add_argument("--tag", dest="tags", metavar="TAG[,TAG...]",
                        help="the SavedModel meta graph to use (default: serve)")
    parser.add_argument("--checkpoint", metavar="PREFIX",
                        help="pair the graph with this checkpoint instead of the one beside it")


def open_from_args(args):
    return api.open_model(args.path, checkpoint=args.checkpoint, tags=args.tags)


def _targets(loaded, args):
    """Outputs and input cuts from --outputs, --signature and --inputs."""
    outputs = [o for o in (args.outputs or "").split(",") if o.strip()]
    inputs = [i for i in (args.inputs or "").split(",") if i.strip()]
    if args.signature:
        signature = loaded.model.signature(args.signature)
        outputs = outputs or signature.output_nodes
        inputs = inputs or api.signature_cuts(loaded, signature)
    if not outputs:
        raise ModelError("give the outputs (--outputs NAME[,NAME...]) or a signature (--signature NAME)")
    return outputs, inputs


def set_values(items):
    """`--set NAME=VALUE` items -> {name: text}; the pipeline parses each by its placeholder's dtype."""
    values = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise ModelError("--set needs NAME=VALUE, got '%s'" % item)
        values[name] = text
    return values


def request_from(args, outputs, input_cuts=()):
    """The FreezeRequest the arguments describe (through the FreezeSession the window builds too)."""
    session = FreezeSession(outputs, input_cuts, set_values(args.switches), inference=args.inference,
                            keep_devices=args.keep_devices, target_tf=args.target_tf, saver=args.saver,
                            init_missing=args.init_missing)
    return session.request(args.destination)


def _terminal_progress():
    """A one-line progress report on stderr for interactive use."""
    state = {"last": -1}

    def report(done, total, message):
        if total <= 0:
            return
        percent = int(100 * done / total)
        if percent != state["last"]:
            state["last"] = percent
            sys.stderr.write("\r  writing %3d%% %-60s" % (percent, message[-60:]))
            if percent >= 100:
                sys.stderr.write("\r%s\r" % (" " * 75))
            sys.stderr.flush()
    return report


def run(args):
    if not (args.outputs or args.signature):
        sys.stderr.write("error: the following arguments are required: --outputs (or --signature NAME)\n")
        return 2
    with open_from_args(args) as loaded:
        outputs, inputs = _targets(loaded, args)
        request = request_from(args, outputs, inputs)
        progress = _terminal_progress() if sys.stderr.isatty() and not args.quiet else None
        report = api.freeze(loaded, request, progress=progress)
        if not args.quiet:
            _print_report(loaded, report)
        if args.verify:
            return _verify_or_set_aside(loaded, report, request)
    return 0


def failed_name(destination):
    """Where a frozen graph that failed verification is kept: OUT.verify-failed.pb beside OUT.pb."""
    stem, extension = os.path.splitext(destination)
    return "%s.verify-failed%s" % (stem, extension or ".pb")


def _verify_or_set_aside(loaded, report, request):
    """Verifies the written graph; when it fails (or cannot run) the graph leaves its name, and stderr says where."""
    from cli.verify_cmd import report_verification
    code = 1
    try:
        code = report_verification(loaded, report.destination, report.outputs, switch_values=report.fixed,
                                   request=request)
    finally:
        if code != 0:
            kept = failed_name(report.destination)
            os.replace(report.destination, kept)
            sys.stderr.write("the frozen graph failed verification: it is kept as %s, not %s\n"
                             % (kept, report.destination))
    return code


def _print_report(loaded, report):
    out = sys.stdout
    out.write("froze %s -> %s\n" % (loaded.location.model_file, report.destination))
    out.write("  outputs: %s\n" % ", ".join(report.outputs))
    out.write("  nodes: %d -> %d, variables converted: %d, size: %s, time: %.2f s\n"
              % (report.nodes_before, report.nodes_after, report.variables_converted,
                 api.human_size(report.bytes_written), report.seconds))
    for line in (report.runtime.lines() if report.runtime is not None else []):
        out.write("  %s\n" % line)
    for name, value in sorted(report.fixed.items()):
        out.write("  fixed %s = %r\n" % (name, value))
    for note in loaded.location.notes + report.notes:
        out.write("  note: %s\n" % note)
