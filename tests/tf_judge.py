"""TensorFlow as a judge in its own process: the oracle (tests/tf_oracle.py) behind a pipe.

TensorFlow aborts the whole process on some damaged checkpoints (a CHECK failure in its
reader), so neither a test run nor the campaign asks it in-process. `Judge` starts this file
under a Python with TensorFlow and sends one JSON request per line; when TensorFlow dies or
hangs on a request, the judge is restarted and the request answered as refused (TensorFlow did
not give a result for those files). Requests:
  {"ask": "oracle" | "oracle-needed", "model": PATH, "prefix": PREFIX|null, "feeds": NPZ, "outputs": [...]}
  {"ask": "frozen", "model": PB, "feeds": NPZ|null, "outputs": [...]}
Answer: {"values": NPZ written beside the request's feeds, or null, "how": text}.
"""

import json
import os
import select
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class Judge(object):
    """A TensorFlow process answering oracle and frozen-graph questions.

    Args:
        python: the interpreter with TensorFlow (1.4 on the legacy stack, 2.x on the current one).
        timeout: seconds a request may take before TensorFlow is taken to hang on it.
    """

    def __init__(self, python=sys.executable, timeout=120.0):
        self.python = python
        self.timeout = timeout
        self.child = None
        self.work = tempfile.mkdtemp(prefix="tf-judge-")
        self.count = 0
        self.restarts = 0

    def _start(self):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT)
        self.child = subprocess.Popen([self.python, os.path.abspath(__file__), "--serve"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)

    def close(self):
        if self.child is not None:
            self.child.kill()
            self.child.wait()
            self.child.stdin.close()
            self.child.stdout.close()
            self.child = None
        import shutil
        shutil.rmtree(self.work, ignore_errors=True)

    def _feeds_file(self, feeds):
        import numpy as np
        self.count += 1
        path = os.path.join(self.work, "feeds-%d.npz" % self.count)
        np.savez(path, **dict(("in:" + k, _portable(np.asarray(v))) for k, v in feeds.items()))
        return path

    def ask(self, ask, model, outputs, feeds, prefix=None):
        """(dict output -> numpy array, how) or (None, why TensorFlow gave no values)."""
        import numpy as np
        if self.child is None or self.child.poll() is not None:
            self._start()
        request = {"ask": ask, "model": model, "prefix": prefix, "outputs": list(outputs),
                   "feeds": self._feeds_file(feeds)}
        self.child.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
        self.child.stdin.flush()
        line = self._read_line()
        os.remove(request["feeds"])
        if line is None:
            return None, "TensorFlow died or hung on these files (its process was restarted)"
        answer = json.loads(line.decode("utf-8"))
        if answer["values"] is None:
            return None, answer["how"]
        with np.load(answer["values"], allow_pickle=True) as data:
            values = dict((name, data["out%d" % i]) for i, name in enumerate(outputs))
        os.remove(answer["values"])
        return values, answer["how"]

    def _read_line(self):
        deadline = time.time() + self.timeout
        stream = self.child.stdout
        while time.time() < deadline:
            ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.time()))
            if ready:
                line = stream.readline()
                if line:
                    return line
                break
        self.child.kill()
        self.child.wait()
        self.child = None
        self.restarts += 1
        return None

    def oracle(self, model, prefix, outputs, feeds):
        """TensorFlow's restore of the whole saver, else of what the outputs read (tests/tf_oracle.py)."""
        values, how = self.ask("oracle", model, outputs, feeds, prefix)
        if values is not None or not model.endswith(".meta") or how.startswith(RUN_FAILED):
            return values, how
        narrow, narrow_how = self.ask("oracle-needed", model, outputs, feeds, prefix)
        if narrow is not None:
            return narrow, narrow_how
        return None, "%s | the outputs' part: %s" % (how, narrow_how)

    def frozen(self, pb, outputs, feeds):
        return self.ask("frozen", pb, outputs, feeds)


def _portable(array):
    """A string tensor's value (an object array of bytes, as TensorFlow returns it) as a bytes array: numpy 2
    pickles object arrays with references numpy 1.16 (the TF 1.4 judge's) cannot load."""
    import numpy as np
    if array.dtype != object or not all(isinstance(v, bytes) and not v.endswith(b"\0") for v in array.flat):
        return array
    return np.array(array.tolist(), dtype=bytes).reshape(array.shape)


CORRECT, UNLOADABLE, REFUSED, DIFFERS = "correct", "unloadable", "refused by TensorFlow", "differs"
SAME_RUN_ERROR = "fails at run as TensorFlow's restore does"
RUN_FAILED = "at run: "  # tests/tf_oracle.py's mark of a kernel's error (the graph was accepted)


def judge_freeze(judge, meta, prefix, outputs, feeds, pb, fixed=None, cuts=()):
    """Whether a frozen graph is right: it runs in TensorFlow and gives what TensorFlow computes from
    the same files (``meta``, ``prefix``), with the same fixed values and input cuts.

    Args:
        outputs: the outputs frozen (tensor or node names; "^name" is the node).
        feeds: placeholder -> value for the source graph; fixed: placeholder -> value a --set fixed
            (fed to TensorFlow's source graph, absent from the frozen one); cuts: tensors an --inputs
            cut replaced (TensorFlow's values of them are fed to the cut placeholders, named NODE for
            port 0 and NODE_portK for port K).
    Returns:
        (CORRECT, UNLOADABLE, REFUSED, DIFFERS or SAME_RUN_ERROR, a sentence saying why).
        SAME_RUN_ERROR: TensorFlow imports and restores the same files, then a kernel fails on
        these feeds (a damaged wiring only the values show), and our .pb imports and fails with
        that same error: it behaves as TensorFlow's restore does.
    """
    from core.formats import protos
    from tests import tf_oracle
    outputs = [o[1:] if o.startswith("^") else o for o in outputs]
    fixed = dict(fixed or {})
    source_feeds = dict(feeds)
    source_feeds.update(fixed)
    expected, how = judge.oracle(meta, prefix, outputs + list(cuts), source_feeds)
    with open(pb, "rb") as handle:
        present = set(n.name for n in protos.GraphDef.FromString(handle.read()).node)
    frozen_feeds = dict((k, v) for k, v in feeds.items() if k in present and k not in fixed)
    for tensor in (cuts if expected is not None else ()):
        node, _, port = tensor.partition(":")
        frozen_feeds[node if port in ("", "0") else "%s_port%s" % (node, port)] = expected[tensor]
    actual, refusal = judge.frozen(pb, outputs, frozen_feeds)
    if actual is None and expected is None and refusal.startswith(RUN_FAILED) and refusal == how:
        return SAME_RUN_ERROR, "our .pb and TensorFlow's restore both fail %s" % refusal
    if actual is None:
        return UNLOADABLE, "our .pb: %s" % refusal
    if expected is None:
        return REFUSED, "TensorFlow refuses the same files: %s" % how
    found = tf_oracle.differences(actual, dict((o, expected[o]) for o in outputs))
    if found:
        return DIFFERS, "differs from TensorFlow's %s: %s" % (how, "; ".join(found)[:300])
    return CORRECT, how


def _serve():
    """Answers requests from stdin; TensorFlow's own prints go to stderr, answers to the real stdout."""
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    import numpy as np
    from tests import tf_oracle
    for line in sys.stdin:
        request = json.loads(line)
        with np.load(request["feeds"], allow_pickle=True) as data:
            feeds = dict((k[3:], data[k]) for k in data.files)
        outputs = request["outputs"]
        try:
            if request["ask"].startswith("oracle"):
                values, how = tf_oracle.model_outputs(request["model"], request["prefix"], feeds, outputs,
                                                      only_needed=request["ask"] == "oracle-needed")
            else:
                values, how = tf_oracle.frozen_outputs(request["model"], feeds, outputs)
        except Exception as exc:  # noqa: BLE001 - anything TensorFlow raises is a refusal
            values, how = None, tf_oracle.first_line(exc)
        path = None
        if values is not None:
            path = request["feeds"][:-len(".npz")] + "-out.npz"
            np.savez(path, **dict(("out%d" % i, np.asarray(values[name])) for i, name in enumerate(outputs)))
        answers.write(json.dumps({"values": path, "how": how}) + "\n")
        answers.flush()


if __name__ == "__main__":
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    if sys.argv[1:] == ["--serve"]:
        _serve()
