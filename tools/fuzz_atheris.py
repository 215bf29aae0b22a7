"""Coverage-guided fuzzing of each parser with atheris (long runs by hand; tests never import this).

Targets: table (the LevelDB table reader), bundle (a checkpoint whose .index is the input, with
the mlp fixture's data shard), meta (a binary or text MetaGraphDef), pbtxt (a text GraphDef),
node (editing a serialized NodeDef), freeze (the mlp checkpoint with the input as its .meta,
frozen on its outputs). Any exception other than ModelError (ValueError for node, which the
freeze converts) is a finding: atheris stops and writes crash-* beside the corpus. A
ModelError that is not one short line is a finding too. Turn findings into regression
tests in tests/core/test_hostile_inputs.py.

Usage: python tools/fuzz_atheris.py TARGET [CORPUS_DIR] [-max_total_time=1800 ...libFuzzer flags]
The corpus folder (default fuzz-corpus/TARGET, not committed) is seeded from the fixtures.
"""

import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import atheris  # noqa: E402

with atheris.instrument_imports():
    from core.errors import ModelError
    from core.formats.bundle import CheckpointReader
    from core.formats.graph_io import load_graph_def, load_meta_graph
    from core.formats.model import open_model
    from core.formats.sstable import parse_table
    from core.freeze.node_bytes import RawNode, filter_colocation
    from core.freeze.stage import plan_and_write

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "tf1.4")
MLP = os.path.join(FIXTURES, "mlp")
WORK = tempfile.mkdtemp(prefix="fuzz-")


def _check(exc):
    text = str(exc)
    if "\n" in text or "\r" in text or len(text) > 1200:
        raise AssertionError("ModelError is not one short line: %r" % text[:300])


def _write(name, data):
    path = os.path.join(WORK, name)
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def fuzz_table(data):
    try:
        parse_table(data, "fuzz.index")
    except ModelError as exc:
        _check(exc)


def fuzz_bundle(data):
    prefix = os.path.join(WORK, "bundle", "model.ckpt")
    _write(os.path.join("bundle", "model.ckpt.index"), data)
    try:
        with CheckpointReader(prefix) as reader:
            for name in reader.names():
                for call in (reader.entry, reader.read, reader.preview,
                             lambda n: b"".join(reader.iter_bytes(n))):
                    try:
                        call(name)
                    except ModelError as exc:
                        _check(exc)
    except ModelError as exc:
        _check(exc)


def _load(loader, name, data):
    try:
        loaded = loader(_write(name, data))
        loaded.node_bytes()
        loaded.tail_fields()
    except ModelError as exc:
        _check(exc)


def fuzz_meta(data):
    _load(load_meta_graph, "fuzz.meta", data)


def fuzz_pbtxt(data):
    _load(load_graph_def, "fuzz.pbtxt", data)


def fuzz_node(data):
    try:
        raw = RawNode(data)
        raw.set_op("Identity")
        raw.clear_device()
        raw.keep_attrs(("T",))
        filter_colocation(raw, set(["a"]))
        raw.set_inputs(["a", "^b"])
        raw.to_bytes()
    except ValueError:
        pass
    except Exception as exc:  # protobuf's DecodeError from filter_colocation is a ValueError-like error
        if type(exc).__name__ != "DecodeError":
            raise


def fuzz_freeze(data):
    folder = os.path.join(WORK, "freeze")
    _write(os.path.join("freeze", "model.ckpt.meta"), data)
    try:
        with open_model(os.path.join(folder, "model.ckpt")) as model:
            plan_and_write(model, ["output/BiasAdd"], os.path.join(WORK, "out.pb"))
    except ModelError as exc:
        _check(exc)


TARGETS = {"table": fuzz_table, "bundle": fuzz_bundle, "meta": fuzz_meta, "pbtxt": fuzz_pbtxt,
           "node": fuzz_node, "freeze": fuzz_freeze}


def _seed(target, corpus):
    if os.listdir(corpus):
        return
    from core.formats.graph_io import load_meta_graph as load
    for name in sorted(os.listdir(FIXTURES)):
        prefix = os.path.join(FIXTURES, name, "model.ckpt")
        if target in ("table", "bundle"):
            shutil.copy(prefix + ".index", os.path.join(corpus, name + ".index"))
        elif target in ("meta", "freeze") and (target == "meta" or name == "mlp"):
            shutil.copy(prefix + ".meta", os.path.join(corpus, name + ".meta"))
        elif target == "pbtxt":
            from google.protobuf import text_format
            text = text_format.MessageToString(load(prefix + ".meta").graph_def)
            if len(text) < 100000:  # small seeds keep the text parser's runs fast
                with open(os.path.join(corpus, name + ".pbtxt"), "w") as handle:
                    handle.write(text)
        elif target == "node":
            for i, data in enumerate(load(prefix + ".meta").node_bytes()[:40]):
                with open(os.path.join(corpus, "%s-%d" % (name, i)), "wb") as handle:
                    handle.write(bytes(data))


def main(argv):
    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.stderr.write("usage: %s {%s} [CORPUS_DIR] [libFuzzer flags]\n" % (argv[0], ",".join(sorted(TARGETS))))
        return 2
    target = argv[1]
    rest = argv[2:]
    corpus = rest.pop(0) if rest and not rest[0].startswith("-") else os.path.join(ROOT, "fuzz-corpus", target)
    if not os.path.isdir(corpus):
        os.makedirs(corpus)
    _seed(target, corpus)
    os.makedirs(os.path.join(WORK, "bundle"))
    os.makedirs(os.path.join(WORK, "freeze"))
    for name in os.listdir(MLP):
        if name.startswith("model.ckpt.data") or name == "model.ckpt.index":
            shutil.copy(os.path.join(MLP, name), os.path.join(WORK, "freeze", name))
        if name.startswith("model.ckpt.data"):
            shutil.copy(os.path.join(MLP, name), os.path.join(WORK, "bundle", name))
    atheris.Setup([argv[0], corpus] + rest, TARGETS[target])
    try:
        atheris.Fuzz()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
