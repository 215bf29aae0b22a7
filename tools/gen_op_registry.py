"""Generate resources/op_registry/ from the op registries of real TensorFlow releases."""
# Usage:
#   python tools/gen_op_registry.py install [VERSION ...]   # throwaway venvs under /tmp/tfopreg/
#   python tools/gen_op_registry.py dump [VERSION ...]      # one OpList JSON per release
#   python tools/gen_op_registry.py build                   # compact base + per-release differences
#   python tools/gen_op_registry.py stateful PYTHON ...     # resources/op_registry/stateful.txt from these TFs
# Each release is installed from the package registry into its own venv (never into the project's venvs),
# imported, and asked for every op registered in its C++ runtime (TF_GetAllOpList), which includes ops
# whose Python wrappers are not loaded.  The result is facts about TensorFlow; the format is ours.
import argparse
import concurrent.futures
import gzip
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.environ.get("TFOPREG_WORK", "/tmp/tfopreg")
OUT_DIR = os.path.join(ROOT, "resources", "op_registry")
PYENV = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE, universal_newlines=True).stdout.strip() \
    if os.environ.get("PYENV_ROOT") is None else os.environ["PYENV_ROOT"]

# (release label, pip requirement, pyenv python, extra pins)
OLD_PINS = ["numpy<1.17", "protobuf<3.20"]
RELEASES = [
    ("1.0", "tensorflow==1.0.1", "3.6.15", OLD_PINS),
    ("1.1", "tensorflow==1.1.0", "3.6.15", OLD_PINS),
    ("1.2", "tensorflow==1.2.1", "3.6.15", OLD_PINS),
    ("1.3", "tensorflow==1.3.0", "3.6.15", OLD_PINS),
    ("1.4", "tensorflow==1.4.0", "3.6.15", OLD_PINS),
    ("1.5", "tensorflow==1.5.1", "3.6.15", OLD_PINS),
    ("1.6", "tensorflow==1.6.0", "3.6.15", OLD_PINS),
    ("1.7", "tensorflow==1.7.1", "3.6.15", OLD_PINS),
    ("1.8", "tensorflow==1.8.0", "3.6.15", OLD_PINS),
    ("1.9", "tensorflow==1.9.0", "3.6.15", OLD_PINS),
    ("1.10", "tensorflow==1.10.1", "3.6.15", OLD_PINS),
    ("1.11", "tensorflow==1.11.0", "3.6.15", OLD_PINS),
    ("1.12", "tensorflow==1.12.3", "3.6.15", OLD_PINS),
    ("1.13", "tensorflow==1.13.2", "3.7.16", ["numpy<1.17", "protobuf<3.20"]),
    ("1.14", "tensorflow==1.14.0", "3.7.16", ["numpy<1.17", "protobuf<3.20"]),
    ("1.15", "tensorflow==1.15.5", "3.7.16", ["numpy<1.19", "protobuf<3.20", "h5py<3"]),
    ("2", "tensorflow-cpu", "3.11.7", []),
]
BY_LABEL = {r[0]: r for r in RELEASES}


def venv_dir(label):
    return os.path.join(WORK, "venv-" + label)


def venv_python(label):
    return os.path.join(venv_dir(label), "bin", "python")


def install(label):
    """Create the throwaway venv for one release and pip-install it; returns (label, ok, tail of log)."""
    _, req, pyver, pins = BY_LABEL[label]
    base = os.path.join(PYENV, "versions", pyver, "bin", "python")
    env = dict(os.environ, PIP_FIND_LINKS="", PIP_CONFIG_FILE="/dev/null")
    log = os.path.join(WORK, "install-%s.log" % label)
    if os.path.exists(os.path.join(venv_dir(label), ".done")):
        return label, True, "already installed"
    with open(log, "w") as fh:
        cmds = [[base, "-m", "venv", "--clear", venv_dir(label)],
                [venv_python(label), "-m", "pip", "install", "-q", "pip<22" if pyver.startswith("3.6") else "pip"],
                [venv_python(label), "-m", "pip", "install", "-q", "--prefer-binary", req] + pins]
        for cmd in cmds:
            rc = subprocess.call(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
            if rc:
                break
    ok = rc == 0
    if ok:
        open(os.path.join(venv_dir(label), ".done"), "w").close()
    with open(log) as fh:
        return label, ok, fh.read()[-600:]


DUMP_SCRIPT = r'''
import json, sys
import tensorflow as tf
from tensorflow.core.framework import op_def_pb2
from tensorflow.python.framework import versions
from google.protobuf import json_format
source = "TF_GetAllOpList"
try:  # TF 1.2 and later 1.x
    from tensorflow.python import pywrap_tensorflow as c_api
    c_api.TF_GetAllOpList
except (ImportError, AttributeError):
    try:  # TF 2.x
        from tensorflow.python.client import pywrap_tf_session as c_api
    except ImportError:  # TF 1.0, 1.1: no C API call; every gen_*_ops module registers its ops
        c_api = None
ops = op_def_pb2.OpList()
if c_api is not None:
    ops.ParseFromString(bytes(c_api.TF_GetBuffer(c_api.TF_GetAllOpList())))
else:
    import importlib, pkgutil
    ops_package = importlib.import_module("tensorflow.python.ops")
    from tensorflow.python.framework import op_def_registry
    for info in pkgutil.iter_modules(ops_package.__path__):
        if info[1].startswith("gen_"):
            importlib.import_module("tensorflow.python.ops." + info[1])
    for name, op in sorted(op_def_registry.get_registered_ops().items()):
        ops.op.add().CopyFrom(op)
    source = "op_def_registry"
sys.stdout.write(json.dumps({
    "version": versions.__version__, "source": source, "graph_def_version": versions.GRAPH_DEF_VERSION,
    "min_consumer": versions.GRAPH_DEF_VERSION_MIN_CONSUMER,
    "min_producer": versions.GRAPH_DEF_VERSION_MIN_PRODUCER,
    "ops": [json_format.MessageToDict(o, preserving_proto_field_name=True) for o in ops.op]}))
'''


def dump(label):
    """Run the release's interpreter and write its full OpList as JSON to WORK/ops-LABEL.json."""
    out = os.path.join(WORK, "ops-%s.json" % label)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([venv_python(label), "-c", DUMP_SCRIPT], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, cwd="/tmp")
    if proc.returncode:
        return label, False, proc.stderr.decode(errors="replace")[-800:]
    with open(out, "wb") as fh:
        fh.write(proc.stdout)
    doc = json.loads(proc.stdout.decode())
    return label, True, "%s: %d ops (%s)" % (doc["version"], len(doc["ops"]), doc["source"])


def _arg(arg):
    spec = arg.get("type_attr") or arg.get("type_list_attr") or arg.get("type", "DT_INVALID")
    if arg.get("number_attr"):
        spec = arg["number_attr"] + "*" + spec
    return [arg["name"], ("&" if arg.get("is_ref") else "") + spec]


def compact(op):
    """One OpDef as {"i": inputs, "o": outputs, "a": attrs}: [name, type] args, [name, type, default, allowed]."""
    attrs = []
    for attr in op.get("attr", []):
        allowed = attr.get("allowed_values", {}).get("list")
        attrs.append([attr["name"], attr["type"], attr.get("default_value"), allowed])
    return {"i": [_arg(a) for a in op.get("input_arg", [])],
            "o": [_arg(a) for a in op.get("output_arg", [])], "a": attrs}


def _varying(name, per_release):
    """Attrs of op ``name`` whose presence or allowed dtypes differ between the releases that have it."""
    defs = [ops[name] for ops in per_release if name in ops]
    names = set(a[0] for d in defs for a in d["a"])
    result = set()
    for attr in names:
        seen = set()
        for op_def in defs:
            entry = [a for a in op_def["a"] if a[0] == attr]
            seen.add(json.dumps(entry[0][3], sort_keys=True) if entry else None)
        if len(seen) > 1:
            result.add(attr)
    return result


def build():
    """Writes resources/op_registry/registry.txt.gz.

    Line 1: JSON list of the releases (label, version, GraphDef versions). Every other line:
    ``OpName<TAB>presence<TAB>varying<TAB>[[first release index, compact OpDef or null], ...]``:
    presence has one 0/1 per release, varying lists the attrs whose presence or allowed dtypes differ
    between the releases that have the op, and the list gives the op's definition from each release
    on where it changed (null: the release lacks the op). A reader decodes only the ops a graph uses,
    and the definitions only of ops with varying attrs.
    """
    releases, per_release = [], []
    for label, _, _, _ in RELEASES:
        source = os.path.join(WORK, "ops-%s.json" % label)
        if not os.path.exists(source):
            print("warning: no dump of %s, left out" % label)
            continue
        with open(source) as fh:
            doc = json.load(fh)
        per_release.append(dict((op["name"], compact(op)) for op in doc["ops"]))
        releases.append({"label": label, "version": doc["version"],
                         "graph_def_version": doc["graph_def_version"],
                         "min_consumer": doc["min_consumer"], "min_producer": doc["min_producer"]})
    lines = [json.dumps(releases, sort_keys=True, separators=(",", ":"))]
    changes = [0] * len(releases)
    for name in sorted(set().union(*per_release)):
        history, last = [], "unset"
        for index, ops in enumerate(per_release):
            op_def = ops.get(name)
            if op_def != last:
                history.append([index, op_def])
                changes[index] += 1
                last = op_def
        present = "".join("1" if name in ops else "0" for ops in per_release)
        lines.append("\t".join([name, present, ",".join(sorted(_varying(name, per_release))),
                                json.dumps(history, sort_keys=True, separators=(",", ":"))]))
    text = "\n".join(lines) + "\n"
    os.makedirs(OUT_DIR, exist_ok=True)
    out = os.path.join(OUT_DIR, "registry.txt.gz")
    with open(out, "wb") as fh:
        # mtime=0 keeps the file identical when nothing changed
        with gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=9, mtime=0) as gz:
            gz.write(text.encode("utf-8"))
    for rel, count, ops in zip(releases, changes, per_release):
        print("%-5s %-8s %5d ops, %4d changed" % (rel["label"], rel["version"], len(ops), count))
    print("wrote %s (%d bytes, %d bytes of text)" % (out, os.path.getsize(out), len(text)))


STATEFUL_SCRIPT = r'''
import json, sys
import tensorflow as tf
from tensorflow.core.framework import op_def_pb2
try:
    from tensorflow.python import pywrap_tensorflow as c_api
    c_api.TF_GetAllOpList
except (ImportError, AttributeError):
    from tensorflow.python.client import pywrap_tf_session as c_api
ops = op_def_pb2.OpList()
ops.ParseFromString(bytes(c_api.TF_GetBuffer(c_api.TF_GetAllOpList())))
sys.stdout.write(json.dumps({"version": tf.__version__, "stateful": sorted(o.name for o in ops.op if o.is_stateful)}))
'''


def stateful(pythons):
    """Writes resources/op_registry/stateful.txt: the ops any of these TensorFlows registers as stateful
    (OpDef.is_stateful), one per line. The compact registry leaves the flag out; the ranking of outputs needs it."""
    names, versions = set(), []
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    for python in pythons:
        proc = subprocess.run([python, "-c", STATEFUL_SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env, cwd="/tmp")
        if proc.returncode:
            print("%s: %s" % (python, proc.stderr.decode(errors="replace")[-400:]))
            return False
        doc = json.loads(proc.stdout.decode())
        names.update(doc["stateful"])
        versions.append(doc["version"])
    out = os.path.join(OUT_DIR, "stateful.txt")
    with open(out, "w") as fh:
        fh.write("# ops registered with is_stateful in TensorFlow %s (tools/gen_op_registry.py stateful)\n"
                 % ", ".join(versions))
        fh.write("".join(name + "\n" for name in sorted(names)))
    print("wrote %s (%d ops)" % (out, len(names)))
    return True


def run_parallel(func, labels, workers):
    ok = True
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for label, good, info in pool.map(func, labels):
            ok &= good
            print("%-5s %s %s" % (label, "ok " if good else "FAIL", (info.strip().splitlines() or [""])[-1] if good else info),
                  flush=True)
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=["install", "dump", "build", "all", "stateful"])
    parser.add_argument("versions", nargs="*", help="release labels (default: all); for stateful: Pythons with TF")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    if args.step == "stateful":
        return 0 if stateful(args.versions or [venv_python(r[0]) for r in RELEASES]) else 1
    labels = args.versions or [r[0] for r in RELEASES]
    os.makedirs(WORK, exist_ok=True)
    ok = True
    if args.step in ("install", "all"):
        ok &= run_parallel(install, labels, args.jobs)
    if args.step in ("dump", "all"):
        ok &= run_parallel(dump, labels, 1)
    if args.step in ("build", "all"):
        build()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
