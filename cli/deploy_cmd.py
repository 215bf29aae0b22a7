"""`main.py deploy PATH --outputs A,B --to tflite,onnx,openvino,opencv`: convert and prove per target."""

import json
import sys

from core import api
from core.api import DeployRequest, ModelError


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "deploy", help="freeze, clean up and convert for TFLite, ONNX, OpenVINO, OpenCV; prove each",
        description="Freeze for inference, clean the graph up (strip Identity/Assert/CheckNumerics, fold "
                    "constants and batch norm, fix input shapes, cut the input pipeline), convert it per "
                    "target in child processes and run every artifact in its own runtime against the "
                    "checkpoint's outputs in TensorFlow. Exit 1 unless every target is ok.")
    parser.add_argument("path", metavar="PATH", help="checkpoint file, folder, .meta or .pb")
    parser.add_argument("--outputs", required=True, metavar="NAME[,NAME...]", help="output node names")
    parser.add_argument("--to", dest="targets", default=",".join(api.DEPLOY_TARGETS),
                        metavar="TARGET[,TARGET...]", help="targets among %s (default all)" % ",".join(
                            api.DEPLOY_TARGETS))
    parser.add_argument("-o", "--output", dest="directory", metavar="DIR",
                        help="folder for the artifacts (default: deploy/ beside the checkpoint)")
    parser.add_argument("--inputs", metavar="TENSOR[,TENSOR...]",
                        help="cut the graph here (as freeze --inputs); the input pipeline's queues and "
                             "iterators are cut anyway")
    parser.add_argument("--shape", dest="shapes", action="append", default=[], metavar="NAME=DIMS",
                        help="fix an input's shape, e.g. images=1,224,224,3 (repeatable)")
    parser.add_argument("--set", dest="switches", action="append", default=[], metavar="NAME=VALUE",
                        help="fix a placeholder to VALUE (training switches take their defaults anyway)")
    parser.add_argument("--no-cleanup", action="store_true", help="convert the frozen graph as it is")
    parser.add_argument("--opset", type=int, help="ONNX opset (default 17)")
    parser.add_argument("--deploy-python", metavar="PYTHON",
                        help="the Python with the converters (requirements-deploy.txt); default "
                             "$TF1FREEZE_DEPLOY_PYTHON, else .venv-deploy, else this Python")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object; progress goes to stderr as 'progress: PERCENT MESSAGE'")
    parser.set_defaults(run=run)
    return parser


def request_from(args):
    """The DeployRequest the arguments describe."""
    from cli.freeze_cmd import set_values
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in targets if t not in api.DEPLOY_TARGETS]
    if unknown or not targets:
        raise ModelError("--to takes %s, got '%s'" % (",".join(api.DEPLOY_TARGETS), args.targets))
    outputs = [o.strip() for o in args.outputs.split(",") if o.strip()]
    if not outputs:
        raise ModelError("--outputs needs at least one name")
    shapes = dict(api.parse_shape(text) for text in args.shapes)
    return DeployRequest(outputs, targets, directory=args.directory,
                         input_cuts=[i.strip() for i in (args.inputs or "").split(",") if i.strip()],
                         shapes=shapes, values=set_values(args.switches), cleanups=not args.no_cleanup,
                         opset=args.opset, python=args.deploy_python)


def _print_text(report, out):
    out.write("deployed to %s (layout %s; inputs %s; reference TensorFlow %s)\n" % (
        report.directory, report.layout or "none", ", ".join(
            "%s %s%s" % (k, v[0], v[1]) for k, v in sorted(report.inputs.items())) or "none", report.tensorflow))
    for cut in report.cuts:
        out.write("  cut: %s\n" % cut)
    for name, note, kept, diff in report.cleanups:
        out.write("  clean-up %-16s %s%s\n" % (name, note, "" if diff is None else " (max diff %.3g)" % diff))
    out.write("  %-9s %-8s %12s  %s\n" % ("target", "status", "max abs", "files / reason"))
    for target, result in report.targets.items():
        detail = ", ".join(result.paths) if result.ok else result.reason
        diff = "" if result.max_abs_diff is None else "%.3g" % result.max_abs_diff
        out.write("  %-9s %-8s %12s  %s\n" % (target, result.status, diff, detail))
        for change in result.dtype_changes:
            out.write("  %-9s %-8s %12s  dtype change: %s\n" % ("", "", "", change))


def _json_failure(targets, message):
    return {"targets": dict((t, {"status": "failed", "paths": [], "inputs": [], "outputs": [], "max_abs_diff": None,
                                 "dtype_changes": [], "reason": message}) for t in targets), "error": message}


def run(args):
    from cli.verify_cmd import progress_line
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    try:
        request = request_from(args)
        with api.open_model(args.path) as model:
            report = api.deploy(model, request, progress=progress_line if args.json else None)
    except ModelError as exc:
        if not args.json:
            raise
        json.dump(_json_failure(targets, str(exc)), sys.stdout, indent=1)
        sys.stdout.write("\n")
        sys.stderr.write("error: %s\n" % exc)
        return 1
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        _print_text(report, sys.stdout)
    for target, result in report.targets.items():
        if not result.ok:
            sys.stderr.write("error: %s: %s\n" % (target, result.reason))
    if report.error and not report.targets:
        sys.stderr.write("error: %s\n" % report.error)
    return 0 if report.ok else 1
