"""Mutation campaign (run by hand, not in CI): freezes thousands of damaged copies of the fixtures.

Each case copies one fixture checkpoint, damages it (tests/mutators.py: raw byte edits of the
.index/.data/.meta, or structured edits of index entries and graph nodes written back with
valid checksums), and freezes it in a forked child through the same core calls the CLI makes
(api.open_model + api.freeze for `freeze`; api.load, which analyses, for `inspect` and the
window), with a per-case timeout and the child's peak RSS read from wait4().

Contract per case: a ModelError whose text is one line, or a .pb equal to the clean freeze
(byte for byte; when a .meta mutation changed the graph, every variable Const equal to the
clean freeze's). Prints the counts; the exit code is 1 when any case broke the contract.

Usage: python tools/mutation_campaign.py [--cases 10000] [--jobs 2] [--seed 1]
           [--fixtures ../shared/fixtures/tf1.4] [--timeout 20] [--findings DIR]
       python tools/mutation_campaign.py --replay FIXTURE:SEED   (one case, in process, verbose)
"""

import argparse
import collections
import json
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core import api  # noqa: E402
from core.errors import ModelError  # noqa: E402
from core.formats import protos  # noqa: E402
from core.freeze.plan import plan_freeze  # noqa: E402
from tests.mutators import mutate  # noqa: E402

RSS_LIMIT_MB = 1024
KEEP_CHANGED = [0]
TF_CHECK = r'''
import glob, json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
sys.path.insert(0, sys.argv[1])
from tests.tf_runtime import run_frozen
failed = 0
paths = sorted(glob.glob(os.path.join(sys.argv[2], "*.pb")))
for path in paths:
    fixture = os.path.basename(path).rsplit("-", 1)[0]
    folder = os.path.join(sys.argv[3], fixture)
    spec = json.load(open(os.path.join(folder, "spec.json")))
    data = np.load(os.path.join(folder, "io.npz"))
    feeds = dict((k[3:], data[k]) for k in data.files if k.startswith("in:"))
    try:
        run_frozen(open(path, "rb").read(), feeds, spec["outputs"])
    except Exception as exc:
        failed += 1
        print("UNLOADABLE %s: %s" % (os.path.basename(path), str(exc).splitlines()[0][:200]))
print("TF ran %d of %d changed graphs" % (len(paths) - failed, len(paths)))
'''
BAD = ("WRONG .pb with success", "hang", "over 1 GB", "internal error", "multi-line error", "crashed")


class Clean(object):
    """A fixture's clean freeze: the .pb bytes and its variable Consts' tensors."""

    def __init__(self, folder, work):
        with open(os.path.join(folder, "spec.json")) as handle:
            spec = json.load(handle)
        self.name = os.path.basename(folder)
        self.folder = folder
        self.outputs = spec["outputs"]
        destination = os.path.join(work, self.name + ".clean.pb")
        with api.open_model(folder) as model:
            variables = [v.name for v in plan_freeze(model, self.outputs).variables]
            api.freeze(model, api.FreezeRequest(self.outputs, destination))
        with open(destination, "rb") as handle:
            self.pb = handle.read()
        self.consts = _tensors(self.pb, variables)


def _tensors(pb, names):
    graph = protos.GraphDef()
    graph.ParseFromString(pb)
    wanted = set(names)
    return dict((n.name, n.attr["value"].tensor.SerializeToString()) for n in graph.node
                if n.name in wanted and n.op == "Const")


def run_case(clean, seed, work):
    """Damages a copy of ``clean``'s fixture with Random(seed) and freezes it; returns a dict."""
    rng = random.Random(seed)
    folder = os.path.join(work, "case-%s-%d" % (clean.name, seed))
    shutil.copytree(clean.folder, folder)
    try:
        description = mutate(rng, os.path.join(folder, "model.ckpt"))
        destination = os.path.join(folder, "out.pb")
        inspected = _guarded(lambda: api.load(folder).close())  # what `inspect` and the window do
        if inspected is not None and inspected["result"] != "clean error":
            inspected["what"] = description + " (inspect)"
            return inspected

        def run_freeze():  # what `main.py freeze` does
            with api.open_model(folder) as model:
                api.freeze(model, api.FreezeRequest(clean.outputs, destination))
        failed = _guarded(run_freeze)
        if failed is not None:
            failed["what"] = description
            return failed
        with open(destination, "rb") as handle:
            pb = handle.read()
        verdict = _judge(clean, pb, description)
        keep = os.path.join(work, "changed")
        if verdict.startswith("correct .pb (graph") and len(os.listdir(keep)) < KEEP_CHANGED[0]:
            shutil.copy(destination, os.path.join(keep, "%s-%d.pb" % (clean.name, seed)))
        return dict(result=verdict, what=description)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _guarded(call):
    """None when ``call`` succeeds, else the failure as a result dict."""
    try:
        call()
    except ModelError as exc:
        text = "error: %s" % exc
        result = "multi-line error" if "\n" in text or "\r" in text else "clean error"
        return dict(result=result, message=text[:300], length=len(text))
    except Exception as exc:  # noqa: BLE001 - what the campaign is looking for
        where = traceback.extract_tb(sys.exc_info()[2])[-1]
        return dict(result="internal error", message="%s: %s at %s:%d" % (
            type(exc).__name__, str(exc)[:200], os.path.basename(where[0]), where[1]))
    return None


def _judge(clean, pb, description):
    if pb == clean.pb:
        return "correct .pb (identical)"
    if not description.startswith(("meta", ".meta", "meta ")) and ".meta" not in description.split(" ")[0]:
        return "WRONG .pb with success"
    try:
        consts = _tensors(pb, clean.consts)
    except Exception:  # noqa: BLE001 - an unparsable .pb is wrong
        return "WRONG .pb with success"
    if any(consts.get(name, value) != value for name, value in clean.consts.items()):
        return "WRONG .pb with success"
    return "correct .pb (graph changed by the .meta mutation, variable values equal)"


def _child(clean, seed, work, write_fd):
    try:
        limit = 4 << 30
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass
    try:
        result = run_case(clean, seed, work)
    except BaseException as exc:  # noqa: BLE001 - e.g. MemoryError in the mutator itself
        result = dict(result="internal error", what="?", message="%s: %s" % (type(exc).__name__, exc))
    with os.fdopen(write_fd, "wb") as handle:
        handle.write(json.dumps(result).encode("utf-8"))
    os._exit(0)


def _collect(running, timeout, block):
    """Reaps finished children; kills those past ``timeout``. Yields (case, result)."""
    for pid in list(running):
        case, read_fd, started = running[pid]
        done, status, usage = os.wait4(pid, 0 if block else os.WNOHANG)
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
        yield case, result


def campaign(cleans, cases, jobs, seed, timeout, work):
    rng = random.Random(seed)
    plan = [(rng.choice(cleans), rng.randrange(1 << 30)) for _ in range(cases)]
    running = {}
    counts = collections.Counter()
    by_kind = collections.defaultdict(collections.Counter)
    findings = []
    peak = [0.0, 0.0]
    started = time.time()
    for number, (clean, case_seed) in enumerate(plan):
        while len(running) >= jobs:
            _tally(_collect(running, timeout, False), counts, by_kind, findings, peak)
            if len(running) >= jobs:
                time.sleep(0.002)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child(clean, case_seed, work, write_fd)
        os.close(write_fd)
        running[pid] = ((clean.name, case_seed), read_fd, time.time())
        if number and number % 1000 == 0:
            sys.stderr.write("%d cases, %.0f s\n" % (number, time.time() - started))
    while running:
        _tally(_collect(running, timeout, False), counts, by_kind, findings, peak)
        time.sleep(0.002)
    return counts, by_kind, findings, peak, time.time() - started


def _tally(results, counts, by_kind, findings, peak):
    for case, result in results:
        counts[result["result"]] += 1
        kind = result.get("what", "?").split(" ")[0]
        by_kind[kind][result["result"]] += 1
        peak[0] = max(peak[0], result["rss_mb"])
        peak[1] = max(peak[1], result["seconds"])
        if result["result"] in BAD:
            findings.append((case, result))


def _report(counts, by_kind, findings, peak, seconds, cases):
    out = sys.stdout
    out.write("%d cases in %.0f s; peak child RSS %.0f MB; slowest case %.1f s\n"
              % (cases, seconds, peak[0], peak[1]))
    labels = ["clean error", "correct .pb (identical)",
              "correct .pb (graph changed by the .meta mutation, variable values equal)"] + list(BAD)
    for label in labels:
        out.write("  %-75s %6d\n" % (label, counts.get(label, 0)))
    out.write("by mutated file/kind:\n")
    for kind in sorted(by_kind):
        out.write("  %-8s %s\n" % (kind, dict(by_kind[kind])))
    for (fixture, seed), result in findings[:40]:
        out.write("FINDING %s:%d %s | %s | %s\n" % (fixture, seed, result["result"], result.get("what"),
                                                 result.get("message", "")))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixtures", default=os.path.join(ROOT, "..", "..", "shared", "fixtures", "tf1.4"))
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--replay", metavar="FIXTURE:SEED")
    parser.add_argument("--tf-check", type=int, default=0, metavar="N",
                        help="keep up to N graphs a .meta mutation changed and run them in TensorFlow "
                             "(with --tf-python) at the end")
    parser.add_argument("--tf-python", default=sys.executable)
    args = parser.parse_args(argv)
    fixtures = os.path.abspath(args.fixtures)
    if not os.path.isdir(fixtures):
        fixtures = os.path.join(ROOT, "tests", "fixtures", "tf1.4")
    work = tempfile.mkdtemp(prefix="mutation-campaign-")
    os.mkdir(os.path.join(work, "changed"))
    KEEP_CHANGED[0] = args.tf_check
    try:
        names = sorted(n for n in os.listdir(fixtures) if os.path.isfile(os.path.join(fixtures, n, "spec.json")))
        cleans = [Clean(os.path.join(fixtures, n), work) for n in names]
        if args.replay:
            name, seed = args.replay.split(":")
            clean = [c for c in cleans if c.name == name][0]
            print(json.dumps(run_case(clean, int(seed), work), indent=1))
            return 0
        sys.stderr.write("fixtures: %s (%s)\n" % (fixtures, ", ".join(names)))
        counts, by_kind, findings, peak, seconds = campaign(cleans, args.cases, args.jobs, args.seed,
                                                             args.timeout, work)
        _report(counts, by_kind, findings, peak, seconds, args.cases)
        if args.tf_check:
            import subprocess
            sys.stdout.flush()
            subprocess.call([args.tf_python, "-c", TF_CHECK, ROOT, os.path.join(work, "changed"), fixtures])
        return 1 if findings else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
