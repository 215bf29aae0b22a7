"""Benchmark: time and peak memory against scope depth and node count (issue 17's scale goals).

Builds (cached in bench/.cache/scale/, no TensorFlow needed) two hostile-by-size models and runs
`main.py` on each in a fresh subprocess, reading the child's wall time and peak RSS:
  - deep-N: a `.pb` whose one Identity is N name scopes deep (`s/s/.../s/x`), run through
    `inspect --json` (goal at N=100k: <= 2 s and <= 300 MB);
  - chain-N: the mlp fixture's checkpoint with N Identity nodes chained after its output in the
    `.meta`, run through `freeze` to the chain's end (goal at N=10^6: <= 10 s and <= 1 GB).
  - hostile: a bundle header claiming 2^31-1 data shards, and a text `.meta` of one 24 MB token,
    each refused by `inspect` (goal: <= 2 s and <= 200 MB; these were wall-clock and memory
    limits inside tests/core/test_hostile_inputs.py before they moved here).
Prints one line per run (wall time, the child's CPU time, peak RSS) with the goal it is held to, and
whether it meets it; and first how long this machine takes for 10^6 dict lookups in a loop, to read the
times of a shared machine by.

Usage: python bench/bench_scale.py [--deep 40000,100000] [--chain 1000000] [--hostile] [--python PYTHON]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.path.join(HERE, ".cache", "scale")
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "tf1.4", "mlp")
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

GOALS = {"deep": (2.0, 300.0), "chain": (10.0, 1024.0), "shards": (2.0, 200.0), "token": (2.0, 200.0)}
GOAL_SIZE = {"deep": 100000, "chain": 1000000, "shards": (1 << 31) - 1, "token": 24 << 20}  # seconds, MB


def build_hostile(work):
    """(kind, size, path) of the two refused inputs, built in ``work``."""
    from tests import damage
    folder = os.path.join(work, "shards")
    shutil.copytree(FIXTURE, folder)
    prefix = os.path.join(folder, "model.ckpt")
    damage.edit_entry(prefix, b"", lambda header: setattr(header, "num_shards", GOAL_SIZE["shards"]))
    token = os.path.join(work, "token.meta")
    with open(token, "wb") as handle:
        handle.write(b"graph_def" + b"a" * GOAL_SIZE["token"])
    return [("shards", GOAL_SIZE["shards"], folder), ("token", GOAL_SIZE["token"], token)]


def build_deep(depth):
    """A GraphDef: Placeholder `input` and an Identity of it ``depth`` scopes deep."""
    from core.formats import protos
    path = os.path.join(CACHE, "deep-%d.pb" % depth)
    if not os.path.isfile(path):
        graph = protos.GraphDef()
        source = graph.node.add(name="input", op="Placeholder")
        source.attr["dtype"].type = 1
        deep = graph.node.add(name="s/" * depth + "x", op="Identity", input=["input"])
        deep.attr["T"].type = 1
        _write(path, graph.SerializeToString())
    return path


def build_chain(length):
    """The mlp fixture with ``length`` Identity nodes after `output/BiasAdd` in its `.meta`."""
    from core.formats import protos
    folder = os.path.join(CACHE, "chain-%d" % length)
    if not os.path.isdir(folder):
        temp = folder + ".part"
        shutil.rmtree(temp, ignore_errors=True)
        shutil.copytree(FIXTURE, temp)
        meta = protos.MetaGraphDef()
        with open(os.path.join(temp, "model.ckpt.meta"), "rb") as handle:
            meta.ParseFromString(handle.read())
        template = protos.NodeDef(op="Identity")
        template.attr["T"].type = 1
        previous = "output/BiasAdd"
        for number in range(length):
            node = meta.graph_def.node.add()
            node.CopyFrom(template)
            node.name = "chain/n%d" % number
            node.input.append(previous)
            previous = node.name
        _write(os.path.join(temp, "model.ckpt.meta"), meta.SerializeToString())
        os.rename(temp, folder)
    return folder, "chain/n%d" % (length - 1)


def _write(path, data):
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    with open(path + ".part", "wb") as handle:
        handle.write(data)
    os.rename(path + ".part", path)


CPU = [0.0]  # the last run's user + system CPU seconds: on a shared machine, steadier than the wall clock


def run_measured(python, args):
    """(exit code, seconds, peak RSS in MB) of `python main.py args` in a fresh child (wait4's rusage)."""
    started = time.time()
    child = subprocess.Popen([python, os.path.join(ROOT, "main.py")] + args,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
    CPU[0] = usage.ru_utime + usage.ru_stime
    return child.returncode, time.time() - started, usage.ru_maxrss / 1024.0


def _calibration():
    table = dict((i, i) for i in range(1000000))
    started = time.time()
    total = 0
    for i in range(1000000):
        total += table.get(i)
    return time.time() - started


def _line(kind, size, code, seconds, rss):
    seconds_goal, rss_goal = GOALS[kind]
    goal = ""
    if size == GOAL_SIZE[kind]:
        met = code == (1 if kind in ("shards", "token") else 0) and seconds <= seconds_goal and rss <= rss_goal
        goal = "  goal <= %.0f s, <= %.0f MB: %s" % (seconds_goal, rss_goal, "met" if met else "NOT MET")
    print("%-6s %9d  exit %d  %7.2f s (cpu %6.2f s)  %8.1f MB%s" % (kind, size, code, seconds, CPU[0], rss, goal))
    sys.stdout.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deep", default="10000,40000,100000")
    parser.add_argument("--chain", default="100000,1000000")
    parser.add_argument("--hostile", action="store_true", help="also time the refused hostile inputs")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)
    print("machine: 10^6 dict lookups in a Python loop take %.2f s" % _calibration())
    work = tempfile.mkdtemp(prefix="bench-scale-")
    try:
        for depth in sorted(int(d) for d in args.deep.split(",") if d):
            code, seconds, rss = run_measured(args.python, ["inspect", "--json", build_deep(depth)])
            _line("deep", depth, code, seconds, rss)
        for length in sorted(int(n) for n in args.chain.split(",") if n):
            folder, output = build_chain(length)
            destination = os.path.join(work, "chain.pb")
            code, seconds, rss = run_measured(args.python, ["freeze", folder, "--outputs", output,
                                                            "-o", destination, "-q"])
            _line("chain", length, code, seconds, rss)
        for kind, size, path in (build_hostile(work) if args.hostile else []):
            code, seconds, rss = run_measured(args.python, ["inspect", path])
            _line(kind, size, code, seconds, rss)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
