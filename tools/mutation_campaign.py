"""Mutation campaign (run by hand, not in CI): thousands of damaged models, TensorFlow as the judge.

Each case copies one model (the TF 1.4 fixtures of tests/fixtures/tf1.4, and a V1 checkpoint
that TF 1.4 writes once into bench/.cache/campaign/), damages it with a seeded mutation (raw byte
and index/graph edits of tests/mutators.py, or the structured ones of tests/structured_mutators.py:
savers, restore paths, attrs, names, Consts, functions, V1 fields, special files, command-line
arguments) and runs `main.py inspect --json` and `main.py freeze` on it (cli.main, in a forked
child: its exit code, stderr, time and peak RSS from wait4).

Contract per case: exit 1 with exactly one `error: ` line, nothing written and the inputs
unchanged; or exit 0 with a `.pb` that TensorFlow (--tf-python, TF 1.4.0 by default) loads and
runs to the outputs TensorFlow computes when it restores the SAME damaged files
(tests/tf_oracle.py, asked in its own process: tests/tf_judge.py). Exit 0 where TensorFlow
refuses those files is a wrong `.pb`, as is exit 0 where a refusal is required without asking
TensorFlow (a FIFO where a model file should be, an -o that is not a regular file, a --set text
that is no value of the placeholder's dtype). "same run error as TF": TensorFlow imports and
restores the damaged files and a kernel then fails on the feeds (an edit only the values show,
as a Gather rewired to a DynamicPartition's other port); our .pb imports and fails with the same
error. It behaves as TensorFlow's restore does, which no freeze without running the graph can tell.

Usage: python tools/mutation_campaign.py [--cases 10000] [--jobs 2] [--seed 1] [--batch 60]
           [--fixtures tests/fixtures/tf1.4] [--tf-python PY] [--no-tf] [--timeout 30]
           [--findings FILE.json] [--only FAMILY]
       python tools/mutation_campaign.py --replay MODEL:SEED   (one case, verbose, its folder kept)
"""

import argparse
import collections
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import cli  # noqa: E402
from tests import damage  # noqa: E402
from tests.structured_mutators import FAMILIES, Subject, campaign_mutation  # noqa: E402

RSS_LIMIT_MB = 1024
LEGACY_PYTHON = os.path.join(ROOT, "..", "..", "main", ".venv36", "bin", "python")
V1_CACHE = os.path.join(ROOT, "bench", ".cache", "campaign", "v1")
BAD = ("WRONG .pb", "unloadable .pb with exit 0", "hang", "over 1 GB", "internal error", "multi-line error",
       "crashed", "input modified", "temporary file left", "destination replaced")
BUILD_V1 = r'''
import json, os, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
from tests.format_models import build_v1
spec = build_v1(sys.argv[2])
np.savez(os.path.join(sys.argv[2], "io.npz"), **dict([("in:" + k, v) for k, v in spec.feeds.items()]))
with open(os.path.join(sys.argv[2], "spec.json"), "w") as handle:
    json.dump({"outputs": spec.outputs, "prefix": "model.ckpt", "v1": True}, handle)
'''


class Model(object):
    """A clean model the cases copy: folder, outputs, feeds, whether it is a V1 checkpoint."""

    def __init__(self, folder):
        import numpy as np
        with open(os.path.join(folder, "spec.json")) as handle:
            spec = json.load(handle)
        self.name = os.path.basename(folder)
        self.folder = folder
        self.outputs = spec["outputs"]
        self.prefix_name = spec.get("prefix", "model.ckpt")
        self.v1 = bool(spec.get("v1"))
        with np.load(os.path.join(folder, "io.npz")) as data:
            self.feeds = dict((k[3:], data[k]) for k in data.files if k.startswith("in:"))


def models(fixtures, tf_python):
    """The fixtures (each folder with a spec.json) and the V1 checkpoint, built once by ``tf_python``."""
    if not os.path.isdir(fixtures):
        raise SystemExit("error: no fixtures folder %s" % fixtures)
    found = [Model(os.path.join(fixtures, n)) for n in sorted(os.listdir(fixtures))
             if os.path.isfile(os.path.join(fixtures, n, "spec.json"))]
    if not found:
        raise SystemExit("error: no fixture (a folder with spec.json) in %s" % fixtures)
    if not os.path.isfile(os.path.join(V1_CACHE, "spec.json")) and tf_python:
        if not os.path.isdir(V1_CACHE):
            os.makedirs(V1_CACHE)
        subprocess.check_call([tf_python, "-c", BUILD_V1, ROOT, V1_CACHE],
                              env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    if os.path.isfile(os.path.join(V1_CACHE, "spec.json")):
        found.append(Model(V1_CACHE))
    return found


# -- one case, in a forked child ---------------------------------------------------------------------

def _run_cli(argv, err_path):
    """cli.main(argv) with stdout discarded and stderr in ``err_path``: (exit code, stderr text)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(null, 1)
    os.dup2(err, 2)
    try:
        try:
            code = cli.main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
        except BaseException as exc:  # noqa: BLE001 - what the campaign looks for
            sys.stderr.write("Traceback (uncaught in cli.main): %s: %s\n" % (type(exc).__name__, exc))
            code = 99
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (null, err) + saved:
            os.close(fd)
    with open(err_path, "rb") as handle:
        return code, handle.read().decode("utf-8", "replace")


def _stderr_class(code, err):
    if code == 0:
        return None
    if "internal error" in err or "Traceback" in err or code not in (1, 2):
        return "internal error"
    lines = err.strip("\n").split("\n")
    if code == 2:
        return "usage error"
    if len(lines) != 1 or not lines[0].startswith("error: ") or "\r" in err:
        return "multi-line error"
    return "clean error"


def run_case(model, seed, work, only=None):
    """Damages a copy of ``model`` with ``seed``, runs inspect and freeze; returns the result dict."""
    case_dir = os.path.join(work, "case-%s-%d" % (model.name, seed))
    folder = os.path.join(case_dir, "model", model.name)
    out_dir = os.path.join(case_dir, "out")
    shutil.copytree(model.folder, folder, symlinks=True)
    os.mkdir(out_dir)
    subject = Subject(folder, model.outputs, model.feeds, model.prefix_name, out_dir)
    mutation = campaign_mutation(seed, subject, model.v1, only)
    path = mutation.entry or folder
    destination = mutation.destination or os.path.join(out_dir, "frozen.pb")
    outputs = mutation.outputs or model.outputs
    result = dict(what=mutation.what, case_dir=case_dir, destination=destination, outputs=outputs,
                  fixed=dict((k, [v.tolist(), str(v.dtype)]) for k, v in mutation.fixed.items()), cuts=mutation.cuts,
                  must_refuse=mutation.must_refuse, meta=subject.meta, prefix=subject.prefix,
                  renamed=mutation.renamed)
    before = damage.snapshot(os.path.join(case_dir, "model"))
    out_before = damage.snapshot(out_dir)
    err_path = os.path.join(case_dir, "stderr.txt")
    code, err = _run_cli(["inspect", "--json", path] + _format_args(mutation.args), err_path)
    result["inspect"] = [code, err[:400]]
    argv = ["freeze", path, "--outputs", ",".join(outputs), "-o", destination] + mutation.args
    result["argv"] = argv
    code, err = _run_cli(argv, err_path)
    result["freeze"] = [code, err[:400]]
    result["result"] = _outcome(result, before, out_before, out_dir, code, err, case_dir)
    return result


def _format_args(args):
    """The arguments inspect shares with freeze (none of --set/--inputs/--inference)."""
    return [a for a in args if a.startswith("--tag") or a.startswith("--checkpoint")]


def _outcome(result, before, out_before, out_dir, code, err, case_dir):
    """The class of a case from what the child can see (TensorFlow judges exit 0 later)."""
    for step in ("inspect", "freeze"):
        found = _stderr_class(*result[step])
        if found in ("internal error", "multi-line error"):
            result["step"] = step
            return found
    if damage.snapshot(os.path.join(case_dir, "model")) != before:
        return "input modified"
    if [n for n in os.listdir(out_dir) if n.endswith(".tmp")]:
        return "temporary file left"
    if code != 0:
        if damage.snapshot(out_dir) != out_before:
            return "destination replaced"
        return _stderr_class(code, err)
    if result["must_refuse"]:
        return "WRONG .pb"
    return "to judge"


def _child(model, seed, work, write_fd, only):
    try:
        limit = 4 << 30
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass
    try:
        result = run_case(model, seed, work, only)
    except BaseException as exc:  # noqa: BLE001 - e.g. MemoryError in the mutator itself
        result = dict(result="internal error", what="(campaign) %s: %s" % (type(exc).__name__, exc))
    with os.fdopen(write_fd, "wb") as handle:
        handle.write(json.dumps(result).encode("utf-8"))
    os._exit(0)


# -- the parent: forking, reaping, judging ------------------------------------------------------------

def _reap(running, timeout, results):
    """Collects finished children; kills those past ``timeout``."""
    for pid in list(running):
        case, read_fd, started = running[pid]
        done, status, usage = os.wait4(pid, os.WNOHANG)
        elapsed = time.time() - started
        if not done and elapsed > timeout:
            os.kill(pid, signal.SIGKILL)
            done, status, usage = os.wait4(pid, 0)
            result = dict(result="hang", what="killed after %.0f s" % elapsed)
        elif not done:
            continue
        else:
            with os.fdopen(read_fd, "rb") as handle:
                raw = handle.read()
            read_fd = None
            try:
                result = json.loads(raw.decode("utf-8"))
            except ValueError:
                result = dict(result="crashed", what="status %d" % status)
        if read_fd is not None:
            os.close(read_fd)
        result["rss_mb"] = usage.ru_maxrss / 1024.0
        result["seconds"] = elapsed
        if result["rss_mb"] > RSS_LIMIT_MB:
            result["result"] = "over 1 GB"
        del running[pid]
        results.append((case, result))


def run_batch(batch, jobs, timeout, work, only):
    """Runs ``batch`` [(model, seed)] in forked children, ``jobs`` at a time: [(case, result)]."""
    running = {}
    results = []
    for model, seed in batch:
        while len(running) >= jobs:
            _reap(running, timeout, results)
            if len(running) >= jobs:
                time.sleep(0.005)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child(model, seed, work, write_fd, only)
        os.close(write_fd)
        running[pid] = ((model.name, seed), read_fd, time.time())
    while running:
        _reap(running, timeout, results)
        time.sleep(0.005)
    return results


def judge_result(judge, model, result):
    """The class of an exit-0 case: TensorFlow runs our .pb and restores the same damaged files."""
    import numpy as np
    from tests.tf_judge import CORRECT, SAME_RUN_ERROR, UNLOADABLE, judge_freeze
    fixed = dict((k, np.array(value, dtype=dtype)) for k, (value, dtype) in result["fixed"].items())
    renamed = result.get("renamed") or {}
    feeds = dict((renamed.get(k, k), v) for k, v in model.feeds.items())
    verdict, result["judge"] = judge_freeze(judge, result["meta"], result["prefix"], result["outputs"], feeds,
                                            result["destination"], fixed, result["cuts"])
    if verdict == CORRECT:
        return "correct .pb"
    if verdict == SAME_RUN_ERROR:
        return "same run error as TF"
    return "unloadable .pb with exit 0" if verdict == UNLOADABLE else "WRONG .pb"


class Tally(object):
    """Counts per class and per mutation family, the findings, peaks."""

    def __init__(self):
        self.counts = collections.Counter()
        self.by_family = collections.defaultdict(collections.Counter)
        self.findings = []
        self.same_run = []  # (case, result) judged "same run error as TF": listed, to be read by a person
        self.peak_rss = 0.0
        self.slowest = 0.0

    def add(self, case, result):
        self.counts[result["result"]] += 1
        family = result.get("what", "?").split(":")[0]
        self.by_family[family][result["result"]] += 1
        self.peak_rss = max(self.peak_rss, result.get("rss_mb", 0.0))
        self.slowest = max(self.slowest, result.get("seconds", 0.0))
        if result["result"] in BAD:
            self.findings.append((case, result))
        elif result["result"] == "same run error as TF":
            self.same_run.append((case, result))

    def report(self, seconds, out=sys.stdout):
        total = sum(self.counts.values())
        out.write("%d runs in %.0f s; peak child RSS %.0f MB; slowest case %.1f s\n"
                  % (total, seconds, self.peak_rss, self.slowest))
        labels = ["clean error", "usage error", "correct .pb", "same run error as TF", "exit 0 (not judged)"] + list(BAD)
        for label in labels:
            out.write("  %-32s %6d\n" % (label, self.counts.get(label, 0)))
        out.write("by family:\n")
        for family in sorted(self.by_family):
            out.write("  %-10s %s\n" % (family, dict(self.by_family[family])))
        for (name, seed), result in self.same_run[:30]:
            out.write("SAME RUN ERROR %s:%d | %s | %s\n" % (name, seed, result.get("what"), result.get("judge", "")[:200]))
        for (name, seed), result in self.findings[:60]:
            out.write("FINDING %s:%d %s | %s | %s | %s\n" % (
                name, seed, result["result"], result.get("what"), result.get("judge", ""),
                (result.get("freeze") or ["", result.get("message", "")])[1].strip()[:200]))


def _warm_up(model, work):
    """Imports and caches (op registry, protobuf classes) loaded once here, not in every child."""
    folder = os.path.join(work, "warm-up")
    os.mkdir(folder)
    err = os.path.join(folder, "stderr.txt")
    _run_cli(["inspect", "--json", model.folder], err)
    _run_cli(["freeze", model.folder, "--outputs", ",".join(model.outputs), "-o", os.path.join(folder, "f.pb")], err)
    shutil.rmtree(folder)


def campaign(models_, args, work):
    _warm_up(models_[0], work)
    rng = random.Random(args.seed)
    plan = [(rng.choice(models_), rng.randrange(1 << 30)) for _ in range(args.cases)]
    tally = Tally()
    judge = None
    if not args.no_tf:
        from tests.tf_judge import Judge
        judge = Judge(python=args.tf_python, timeout=args.timeout * 4)
    started = time.time()
    by_name = dict((m.name, m) for m in models_)
    try:
        for at in range(0, len(plan), args.batch):
            for case, result in run_batch(plan[at:at + args.batch], args.jobs, args.timeout, work, args.only):
                if result["result"] == "to judge":
                    result["result"] = (judge_result(judge, by_name[case[0]], result) if judge is not None
                                        else "exit 0 (not judged)")
                tally.add(case, result)
                shutil.rmtree(result.get("case_dir", "/nonexistent"), ignore_errors=True)
            done = min(at + args.batch, len(plan))
            if done % 500 < args.batch:
                sys.stderr.write("%d cases, %.0f s, %s\n" % (done, time.time() - started,
                                                           dict((k, v) for k, v in tally.counts.items() if k in BAD)))
    finally:
        if judge is not None:
            judge.close()
    return tally, time.time() - started


def replay(models_, args, work):
    name, seed = args.replay.rsplit(":", 1)
    model = [m for m in models_ if m.name == name][0]
    result = run_case(model, int(seed), work, args.only)
    if result["result"] == "to judge" and not args.no_tf:
        from tests.tf_judge import Judge
        judge = Judge(python=args.tf_python)
        try:
            result["result"] = judge_result(judge, model, result)
        finally:
            judge.close()
    print(json.dumps(result, indent=1, sort_keys=True))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixtures", default=os.path.join(ROOT, "tests", "fixtures", "tf1.4"))
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=60, help="cases run between two judging rounds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--only", choices=["raw", "structured"] + [f.__name__ for f, _ in FAMILIES],
                        help="one kind of mutation, or one structured family")
    parser.add_argument("--replay", metavar="MODEL:SEED")
    parser.add_argument("--tf-python", default=LEGACY_PYTHON if os.path.exists(LEGACY_PYTHON) else sys.executable,
                        help="a Python with the TensorFlow that judges (default: the TF 1.4.0 stack)")
    parser.add_argument("--no-tf", action="store_true", help="do not judge exit-0 results in TensorFlow")
    parser.add_argument("--findings", metavar="FILE.json", help="write every finding's result here")
    args = parser.parse_args(argv)
    args.tf_python = os.path.abspath(args.tf_python)
    models_ = models(os.path.abspath(args.fixtures), None if args.no_tf else args.tf_python)
    work = tempfile.mkdtemp(prefix="mutation-campaign-")
    try:
        if args.replay:
            return replay(models_, args, work)
        sys.stderr.write("models: %s; judge: %s\n" % (", ".join(m.name for m in models_),
                                                     "none" if args.no_tf else args.tf_python))
        tally, seconds = campaign(models_, args, work)
        tally.report(seconds)
        if args.findings:
            with open(args.findings, "w") as handle:
                json.dump([dict(case=list(c), **r) for c, r in tally.findings], handle, indent=1)
        return 1 if tally.findings else 0
    finally:
        if not args.replay:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
