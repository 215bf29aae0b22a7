"""Entry point: no arguments or a PATH opens the window; `inspect`, `freeze`, `verify` run on the command line."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    from cli import COMMANDS
    if argv and (argv[0] in COMMANDS or argv[0].startswith("-")):
        from cli import main as cli_main
        return cli_main(argv)
    if len(argv) > 1:
        sys.stderr.write("usage: main.py [PATH] | main.py {inspect,freeze,verify} ...\n"
                         "error: the window takes at most one PATH\n")
        return 2
    from gui.platform_check import xcb_problem
    problem = xcb_problem()
    if problem:
        sys.stderr.write(problem + "\n")
        return 1
    try:
        from gui.app import run_window
    except ImportError as exc:
        sys.stderr.write("error: the window needs PyQt5 (%s); the command line works without it: "
                         "main.py inspect PATH\n" % exc)
        return 1
    return run_window(argv[0] if argv else None)


if __name__ == "__main__":
    sys.exit(main())
