"""Deciding what a path the user gave is: checkpoint files, a state file, a folder or a graph."""

import logging
import os
import re

from google.protobuf import text_format

from core.formats import protos
from core.formats.files import is_regular, mtime, present, read_regular
from core.errors import ModelError, quote
from core.formats.saved_model import SAVED_MODEL_FILES, saved_model_file, variables_prefix
from core.formats.v1_checkpoint import is_v1_checkpoint, strip_shard_suffix

log = logging.getLogger(__name__)

_DATA_RE = re.compile(r"^(.*)\.data-\d{5}-of-\d{5}$")
GRAPH_EXTENSIONS = (".pb", ".pbtxt", ".graphdef")
ESTIMATOR_GRAPH = "graph.pbtxt"
SUPPORTED = ".meta, .index, .data-*, the 'checkpoint' file, .pb, .pbtxt or a folder"

MAX_STATE_FILE = 1 << 24  # a state file names a few checkpoints: a few KB
CHECKPOINT = "checkpoint"   # meta graph + checkpoint: can be inspected and frozen
META_ONLY = "meta"          # meta graph without a checkpoint: can be inspected
GRAPH = "graph"             # a GraphDef (.pb/.pbtxt): can be inspected and pruned


class ModelLocation(object):
    """Where the pieces of one model are on disk.

    Attributes:
        kind: CHECKPOINT, META_ONLY or GRAPH.
        path: the path the user gave.
        meta_path: the `.meta` file, or None.
        prefix: the checkpoint prefix (`.../model.ckpt`), or None.
        graph_path: the GraphDef file for GRAPH, or an Estimator model_dir's graph.pbtxt used
            with the checkpoint when it has no .meta; else None.
        saved_model_path: the saved_model.pb/.pbtxt of a SavedModel, or None.
        notes: sentences about choices made (which of several checkpoints, missing pieces).
    """

    def __init__(self, kind, path, meta_path=None, prefix=None, graph_path=None, notes=None,
                 saved_model_path=None):
        self.kind = kind
        self.saved_model_path = saved_model_path
        self.path = path
        self.meta_path = meta_path
        self.prefix = prefix
        self.graph_path = graph_path
        self.notes = list(notes or [])

    @property
    def model_file(self):
        """The file the graph is read from."""
        return self.meta_path or self.saved_model_path or self.graph_path

    @property
    def folder(self):
        return os.path.dirname(os.path.abspath(self.model_file or self.prefix or self.path))

    def __repr__(self):
        return "ModelLocation(%s, meta=%r, prefix=%r, graph=%r)" % (
            self.kind, self.meta_path, self.prefix, self.graph_path)


def has_checkpoint(prefix):
    """True when ``prefix`` names a V2 (`.index`) or V1 (single table file or shards) checkpoint."""
    return present(prefix + ".index") or (
        not prefix.endswith((".meta",) + GRAPH_EXTENSIONS) and (os.path.isfile(prefix) or is_v1_checkpoint(prefix)))


def checkpoint_prefix(path):
    """The checkpoint prefix behind a prefix, `.index`, `.meta`, `.data-*` shard or V1 shard path."""
    path = os.path.expanduser(path)
    match = _DATA_RE.match(path)
    if match:
        return match.group(1)
    for suffix in (".index", ".meta"):
        if path.endswith(suffix):
            return path[:-len(suffix)]
    return strip_shard_suffix(path)


def locate(path):
    """Finds the model a path refers to.

    Args:
        path: a `.meta`, `.index`, `.data-*` shard, checkpoint prefix, `checkpoint`
            state file, `.pb`/`.pbtxt` GraphDef, or a folder holding any of these.
    Returns:
        ModelLocation.
    Raises:
        ModelError: nothing usable there, naming the path.
    """
    path = os.path.expanduser(path)
    if os.path.isdir(path):
        return _locate_in_folder(path)
    name = os.path.basename(path)
    if not present(path):
        if present(path + ".index") or present(path + ".meta"):
            return _from_prefix(path, path)
        raise ModelError("no such file or folder", path)
    if name == "checkpoint":
        return _from_state_file(path, path)
    if name.endswith(".meta"):
        return _from_prefix(path[:-len(".meta")], path)
    if name.endswith(".index"):
        return _from_prefix(path[:-len(".index")], path)
    match = _DATA_RE.match(path)
    if match:
        return _from_prefix(match.group(1), path)
    if name.endswith(GRAPH_EXTENSIONS):
        if name in SAVED_MODEL_FILES:
            return _saved_model(path, path)
        state_path = os.path.join(os.path.dirname(os.path.abspath(path)), "checkpoint")
        if name == ESTIMATOR_GRAPH and os.path.isfile(state_path):
            return _model_dir_graph(path, state_path)
        return ModelLocation(GRAPH, path, graph_path=path)
    if present(path + ".meta") or present(path + ".index"):
        return _from_prefix(path, path)
    if strip_shard_suffix(path) != path:
        return _from_prefix(strip_shard_suffix(path), path)
    raise ModelError("not a TensorFlow model file (expected %s)" % SUPPORTED, path)


def _saved_model(path, given):
    """A SavedModel: its meta graph (chosen by tags when opened) and variables/variables."""
    prefix = variables_prefix(path)
    if has_checkpoint(prefix):
        return ModelLocation(CHECKPOINT, given, prefix=prefix, saved_model_path=path)
    return ModelLocation(GRAPH, given, saved_model_path=path,
                         notes=["this SavedModel has no variables/ checkpoint: only a graph without "
                                "variables can be frozen"])


def _model_dir_graph(graph_path, state_path):
    """An Estimator model_dir's graph.pbtxt chosen by the user: with the newest checkpoint there."""
    try:
        location = _from_state_file(state_path, graph_path)
    except ModelError as exc:
        log.info("graph.pbtxt without a usable checkpoint: %s", exc)
        return ModelLocation(GRAPH, graph_path, graph_path=graph_path)
    if location.kind == CHECKPOINT:
        location.meta_path = None
        location.graph_path = graph_path
    return location


def _from_prefix(prefix, given):
    meta = prefix + ".meta"
    notes = []
    folder = os.path.dirname(os.path.abspath(prefix))
    if os.path.basename(folder) == "variables" and saved_model_file(os.path.dirname(folder)):
        return _saved_model(saved_model_file(os.path.dirname(folder)), given)
    graph = os.path.join(folder, ESTIMATOR_GRAPH)
    if not present(meta) and is_regular(graph) and has_checkpoint(prefix):
        notes.append("no %s.meta: using the model_dir's %s (restore ops found by the saver's naming)"
                     % (os.path.basename(prefix), ESTIMATOR_GRAPH))
        return ModelLocation(CHECKPOINT, given, prefix=prefix, graph_path=graph, notes=notes)
    if not present(meta):
        meta = _sibling_meta(prefix, notes)
    if meta is None:
        raise ModelError("no .meta graph beside this checkpoint (looked for %s.meta): the graph "
                         "is needed to inspect or freeze it" % os.path.basename(prefix), given)
    if has_checkpoint(prefix):
        return ModelLocation(CHECKPOINT, given, meta_path=meta, prefix=prefix, notes=notes)
    notes.append("no checkpoint beside %s: it can be inspected but not frozen"
                 % os.path.basename(meta))
    return ModelLocation(META_ONLY, given, meta_path=meta, notes=notes)


def _sibling_meta(prefix, notes):
    """A checkpoint saved with write_meta_graph=False uses the newest .meta in its folder."""
    folder = os.path.dirname(os.path.abspath(prefix))
    metas = [os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".meta")]
    if not metas:
        return None
    metas.sort(key=mtime)
    chosen = metas[-1]
    notes.append("using the graph in %s for checkpoint %s" % (os.path.basename(chosen),
                                                              os.path.basename(prefix)))
    return chosen


def read_state_file(path):
    """Parses a `checkpoint` state file.

    Returns:
        protos.CheckpointState.
    Raises:
        ModelError: the file is not a checkpoint state text proto.
    """
    data = read_regular(path, limit=MAX_STATE_FILE, what="checkpoint state file")
    try:
        return text_format.Parse(data.decode("utf-8"), protos.CheckpointState())
    except Exception as exc:  # noqa: BLE001 - ParseError, UnicodeDecodeError, RecursionError by version
        raise ModelError("not a checkpoint state file (%s)" % quote(exc, 200), path)


def _state_candidates(state_path):
    """Prefixes a state file names, newest first, resolved by base name beside it."""
    state = read_state_file(state_path)
    folder = os.path.dirname(os.path.abspath(state_path))
    named = list(state.all_model_checkpoint_paths)
    if state.model_checkpoint_path:
        named.append(state.model_checkpoint_path)
    result = []
    for recorded in reversed(named):
        base = strip_shard_suffix(re.split(r"[\\/]", recorded)[-1])
        prefix = os.path.join(folder, base)
        if prefix not in result:
            result.append(prefix)
    return state, result


def _from_state_file(state_path, given):
    state, prefixes = _state_candidates(state_path)
    for prefix in prefixes:
        if has_checkpoint(prefix):
            location = _from_prefix(prefix, given)
            recorded = state.model_checkpoint_path
            if os.path.basename(prefix) != re.split(r"[\\/]", recorded)[-1]:
                location.notes.append("the newest checkpoint %s is missing; using %s"
                                      % (recorded, os.path.basename(prefix)))
            elif recorded != prefix:
                location.notes.append("the checkpoint state file names %s; using %s beside it"
                                      % (recorded, os.path.basename(prefix)))
            return location
    raise ModelError("the checkpoint it names (%s) is not in this folder"
                     % (state.model_checkpoint_path or "nothing"), state_path)


def _locate_in_folder(folder):
    if saved_model_file(folder):
        return _saved_model(saved_model_file(folder), folder)
    state_path = os.path.join(folder, "checkpoint")
    if os.path.isfile(state_path):
        try:
            return _from_state_file(state_path, folder)
        except ModelError as exc:
            log.info("state file not usable, scanning the folder: %s", exc)
    names = sorted(os.listdir(folder))
    indexes = [os.path.join(folder, n[:-len(".index")]) for n in names if n.endswith(".index")]
    indexes = [p for p in indexes if present(p + ".meta")] or indexes
    if indexes:
        indexes.sort(key=lambda p: mtime(p + ".index"))
        location = _from_prefix(indexes[-1], folder)
        if len(indexes) > 1:
            location.notes.append("%d checkpoints in the folder; using the newest, %s"
                                  % (len(indexes), os.path.basename(indexes[-1])))
        return location
    metas = [os.path.join(folder, n) for n in names if n.endswith(".meta")]
    if metas:
        metas.sort(key=mtime)
        return _from_prefix(metas[-1][:-len(".meta")], folder)
    graphs = [os.path.join(folder, n) for n in names
              if n.endswith(GRAPH_EXTENSIONS) and n not in SAVED_MODEL_FILES]
    if graphs:
        graphs.sort(key=mtime)
        location = ModelLocation(GRAPH, folder, graph_path=graphs[-1])
        if len(graphs) > 1:
            location.notes.append("%d graphs in the folder; using the newest, %s"
                                  % (len(graphs), os.path.basename(graphs[-1])))
        return location
    raise ModelError("no TensorFlow model in this folder (looked for a checkpoint state file, "
                     "*.index, *.meta, *.pb and *.pbtxt)", folder)
