"""Entry point of a deploy child: reads a job, runs it, writes its result JSON (never a traceback)."""

import json
import logging
import os
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def _task(name):
    if name == "available":  # asked of any Python, also one without numpy: imports nothing but the finder
        from core.deploy.child.runtimes import available_job
        return available_job
    from core.deploy.child import reference, runtimes
    if name == "reference":
        return reference.run_job
    if name == "target":
        return runtimes.run_job
    raise ValueError("unknown deploy task %r" % name)


def main(argv):
    with open(argv[1]) as handle:
        job = json.load(handle)
    logging.basicConfig(level=logging.ERROR)
    try:
        result = _task(job["task"])(job)
    except Exception as exc:  # the parent shows one line; the traceback is kept for --verbose
        result = {"error": "%s: %s" % (type(exc).__name__, " ".join(str(exc).split())[:400]),
                  "traceback": traceback.format_exc()}
    with open(job["result"], "w") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
