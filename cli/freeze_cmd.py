"""`main.py freeze PATH --outputs A,B [-o OUT.pb]`: writes the frozen graph."""

import sys

from core.errors import ModelError
from core.freeze.writer import human_size


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "freeze", help="freeze a checkpoint into a .pb",
        description="Turn variables into constants and prune the graph to the outputs.")
    parser.add_argument("path", metavar="PATH", help="checkpoint file, folder, .meta or .pb")
    parser.add_argument("--outputs", "--output_node_names", dest="outputs", required=True,
                        metavar="NAME[,NAME...]", help="output node names (name or name:0)")
    parser.add_argument("-o", "--output", dest="destination", metavar="OUT.pb",
                        help="where to write (default: frozen_model.pb beside the checkpoint)")
    parser.add_argument("--keep-devices", action="store_true",
                        help="keep the nodes' device placements (cleared by default)")
    parser.add_argument("--inference", action="store_true",
                        help="fix every training switch (boolean PlaceholderWithDefault) to its "
                             "default and drop the dead cond branches")
    parser.add_argument("--set", dest="switches", action="append", default=[], metavar="NAME=VALUE",
                        help="fix a training switch to VALUE (implies inference mode for it)")
    parser.add_argument("--verify", action="store_true",
                        help="run checkpoint and frozen graph in TensorFlow and compare; exit 1 on a difference")
    parser.add_argument("--target-tf", default="1.4", metavar="VERSION",
                        help="TensorFlow release the .pb must load in (default 1.4): attrs it lacks that "
                             "hold their default are dropped, anything else it cannot load is refused")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")
    parser.set_defaults(run=run)
    return parser


def _switch_edits(model, args):
    if not (args.inference or args.switches):
        return None, {}
    from core.analysis.training_switches import find_training_switches, parse_switch_value
    from core.freeze.switch_folding import fold_training_switches
    switches = dict((s.name, s) for s in find_training_switches(model.graph_def))
    values = {}
    if args.inference:
        for name, switch in switches.items():
            if switch.default is not None:
                values[name] = switch.default
    nodes = dict((n.name, n) for n in model.graph_def.node)
    for item in args.switches:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise ModelError("--set needs NAME=VALUE, got '%s'" % item)
        node = nodes.get(name.split(":")[0])
        if node is None or node.op not in ("PlaceholderWithDefault", "Placeholder"):
            raise ModelError("--set %s: no placeholder named '%s' in the graph" % (item, name),
                             model.location.model_file)
        from core.formats import protos
        values[node.name] = parse_switch_value(text, protos.dtype_name(node.attr["dtype"].type))
    return fold_training_switches(model.graph_def, values), values


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
    from core.freeze.plan import freeze
    from core.formats.model import open_model
    outputs = [o for o in args.outputs.split(",") if o.strip()]
    with open_model(args.path) as model:
        destination = args.destination or model.default_output_path()
        edits, values = _switch_edits(model, args)
        progress = _terminal_progress() if sys.stderr.isatty() and not args.quiet else None
        report = freeze(model, outputs, destination, keep_devices=args.keep_devices, edits=edits,
                        progress=progress, target_tf=args.target_tf)
        if not args.quiet:
            out = sys.stdout
            out.write("froze %s -> %s\n" % (model.location.model_file, report.destination))
            out.write("  outputs: %s\n" % ", ".join(report.outputs))
            out.write("  nodes: %d -> %d, variables converted: %d, size: %s, time: %.2f s\n"
                      % (report.nodes_before, report.nodes_after, report.variables_converted,
                         human_size(report.bytes_written), report.seconds))
            for line in (report.runtime.lines() if report.runtime is not None else []):
                out.write("  %s\n" % line)
            for name, value in sorted(values.items()):
                out.write("  fixed %s = %r\n" % (name, value))
            for note in model.location.notes + report.notes:
                out.write("  note: %s\n" % note)
        if args.verify:
            from cli.verify_cmd import report_verification
            return report_verification(model, report.destination, report.outputs, switch_values=values)
    return 0
