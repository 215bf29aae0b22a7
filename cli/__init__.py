"""The command line: `inspect`, `freeze`, `verify` and `deploy` over the same core as the window."""

import argparse
import logging
import sys

from core.api import Cancelled, ModelError

COMMANDS = ("inspect", "freeze", "verify", "deploy")
log = logging.getLogger("tf1freeze.cli")


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors on one line and exit code 2."""

    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write("error: %s\n" % message)
        sys.exit(2)


def build_parser():
    from cli import freeze_cmd, inspect_cmd
    parser = _Parser(prog="main.py", description="Inspect and freeze TensorFlow 1.x checkpoints.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    inspect_cmd.add_parser(sub)
    freeze_cmd.add_parser(sub)
    try:
        from cli import verify_cmd
    except ImportError:
        verify_cmd = None
    if verify_cmd is not None:
        verify_cmd.add_parser(sub)
    from cli import deploy_cmd
    deploy_cmd.add_parser(sub)
    return parser


def main(argv):
    """Runs one command; returns the exit code (0 ok, 1 bad input or failure, 2 usage).

    A reader of standard output that goes away (``| head -1``) ends nothing early and prints nothing:
    the command finishes and exits with the status of a tool SIGPIPE ended (141) instead of 0.
    """
    from cli.streams import CLOSED_STATUS, guarded_streams
    with guarded_streams() as streams:
        code = _run(argv)
    return CLOSED_STATUS if code == 0 and streams.stdout_closed else code


def _run(argv):
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "run", None):
        parser.print_usage(sys.stderr)
        sys.stderr.write("error: a command is needed: %s\n" % ", ".join(COMMANDS))
        return 2
    try:
        return args.run(args)
    except ModelError as exc:
        sys.stderr.write("error: %s\n" % exc)
        return 1
    except Cancelled:
        sys.stderr.write("error: cancelled\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        return 1
    except MemoryError:
        sys.stderr.write("error: out of memory\n")
        return 1
    except Exception as exc:  # a bug: one line for the user, the traceback with --verbose
        log.debug("unexpected failure", exc_info=True)
        if args.verbose:
            logging.getLogger("tf1freeze").exception("unexpected failure")
        sys.stderr.write("error: internal error (%s: %s); run with --verbose for details\n"
                         % (type(exc).__name__, exc))
        return 1
