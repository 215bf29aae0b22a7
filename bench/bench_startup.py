"""Benchmark: wall and CPU time of `python main.py freeze` on a small model (start-up dominates).

Runs the command N times in fresh processes on a copy of the `mlp` fixture and prints the best
and median wall time and CPU time (user + sys, less sensitive to a busy machine), beside the
time of `python -c pass` (the interpreter alone) and, with --compare REV, of the same command
in a checkout of git revision REV (made in a temporary worktree), in the same run.

Usage: python bench/bench_startup.py [--repeat N] [--compare REV]
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "tf1.4", "mlp")


def _timed(command, cwd):
    """(wall seconds, cpu seconds) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(label, command, cwd, repeat):
    runs = [_timed(command, cwd) for _ in range(repeat)]
    walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
    print("%-34s wall best %.3f s, median %.3f s | cpu best %.3f s, median %.3f s"
          % (label, min(walls), statistics.median(walls), min(cpus), statistics.median(cpus)))
    return min(cpus)


def freeze_command(root, folder, out):
    return [sys.executable, os.path.join(root, "main.py"), "freeze", folder, "--outputs", "output/BiasAdd",
            "-o", out, "-q"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--compare", metavar="REV", help="also time the same command at git revision REV")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench_startup_")
    try:
        folder = os.path.join(work, "mlp")
        shutil.copytree(FIXTURE, folder)
        out = os.path.join(work, "frozen.pb")
        measure("python -c pass", [sys.executable, "-c", "pass"], work, args.repeat)
        now = measure("main.py freeze (this tree)", freeze_command(ROOT, folder, out), work, args.repeat)
        if args.compare:
            tree = os.path.join(work, "rev")
            subprocess.run(["git", "worktree", "add", "--detach", "-q", tree, args.compare], cwd=ROOT, check=True)
            try:
                then = measure("main.py freeze (%s)" % args.compare, freeze_command(tree, folder, out), work,
                               args.repeat)
                print("cpu ratio (this tree / %s): %.2f" % (args.compare, now / then))
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=ROOT, check=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
