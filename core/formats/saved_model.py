"""SavedModel folders: choosing a MetaGraphDef by tags, its signatures, assets and init ops."""

import collections
import logging
import os

from google.protobuf import message as pb_message
from google.protobuf import text_format

from core.errors import ModelError
from core.formats import dtypes, protos
from core.formats.files import present, read_regular
from core.formats.graph_io import LoadedGraph, check_graph
from core.formats.wire import message_spans
from core.names import node_name

log = logging.getLogger(__name__)

SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")
DEFAULT_TAGS = ("serve",)
INIT_OP_COLLECTIONS = ("saved_model_main_op", "main_op", "legacy_init_op")
_INIT_SIGNATURE = "__saved_model_init_op"


class TensorSpec(collections.namedtuple("TensorSpec", "key tensor dtype shape")):
    """One signature input or output: its key, tensor name, dtype name and shape (None: unknown rank)."""


class Signature(collections.namedtuple("Signature", "name method inputs outputs")):
    """A SignatureDef: name, method_name and TensorSpec lists (sorted by key)."""

    @property
    def output_nodes(self):
        result = []
        for spec in self.outputs:
            if node_name(spec.tensor) not in result:
                result.append(node_name(spec.tensor))
        return result


class Asset(collections.namedtuple("Asset", "tensor filename path")):
    """A file the graph reads through ``tensor`` (a string Const); ``path`` in assets/ or None."""


def saved_model_file(folder):
    """The saved_model.pb (or .pbtxt) in ``folder``, or None."""
    for name in SAVED_MODEL_FILES:
        path = os.path.join(folder, name)
        if present(path):
            return path
    return None


def variables_prefix(path):
    """The checkpoint prefix of the SavedModel whose saved_model.pb is ``path``."""
    return os.path.join(os.path.dirname(os.path.abspath(path)), "variables", "variables")


def parse_tags(tags):
    """"serve,gpu" or a sequence -> sorted tuple of tags; None stays None."""
    if tags is None:
        return None
    if isinstance(tags, str):
        tags = tags.split(",")
    return tuple(sorted(t.strip() for t in tags if t.strip()))


def _tag_text(tags):
    return ",".join(tags) if tags else "(no tags)"


def _choose(saved, tags, path):
    tag_sets = [tuple(sorted(m.meta_info_def.tags)) for m in saved.meta_graphs]
    if not tag_sets:
        raise ModelError("this SavedModel holds no meta graph", path)
    wanted = parse_tags(tags)
    if wanted is not None:
        if wanted in tag_sets:
            return tag_sets.index(wanted)
        raise ModelError("no meta graph with tags '%s'; it has: %s"
                         % (_tag_text(wanted), "; ".join(_tag_text(t) for t in tag_sets)), path)
    if DEFAULT_TAGS in tag_sets:
        return tag_sets.index(DEFAULT_TAGS)
    if len(tag_sets) == 1:
        return 0
    raise ModelError("several meta graphs and none tagged 'serve': choose one with --tag (%s)"
                     % "; ".join(_tag_text(t) for t in tag_sets), path)


def load_saved_model(path, tags=None):
    """Reads a saved_model.pb/.pbtxt and picks a MetaGraphDef.

    Args:
        path: the saved_model.pb or .pbtxt.
        tags: None (``serve``, or the only meta graph), a comma list or a sequence of tags.
    Returns:
        (LoadedGraph with meta_graph set, tuple of the chosen tags).
    Raises:
        ModelError: unreadable, not a SavedModel, or no meta graph with those tags.
    """
    data = read_regular(path)
    saved = protos.SavedModel()
    try:
        if path.endswith(".pbtxt"):
            text_format.Parse(data.decode("utf-8"), saved, allow_unknown_field=True)
        else:
            saved.ParseFromString(data)
    except (pb_message.DecodeError, RuntimeError, ValueError, UnicodeDecodeError,
            text_format.ParseError) as exc:
        raise ModelError("not a valid SavedModel (%s; truncated or corrupt?)" % exc, path)
    index = _choose(saved, tags, path)
    meta = saved.meta_graphs[index]
    chosen = tuple(sorted(meta.meta_info_def.tags))
    if path.endswith(".pbtxt"):
        loaded = LoadedGraph(path, meta.graph_def, meta)
    else:
        start, end = message_spans(data, 2, path, "SavedModel")[index]
        spans = message_spans(memoryview(data)[start:end], 2, path, "MetaGraphDef")
        if len(spans) != 1:
            raise ModelError("meta graph %d holds %d graphs" % (index, len(spans)), path)
        loaded = LoadedGraph(path, meta.graph_def, meta, data, (start + spans[0][0], start + spans[0][1]))
    if not meta.graph_def.node:
        raise ModelError("the meta graph tagged '%s' has no nodes" % _tag_text(chosen), path)
    check_graph(meta.graph_def, path)
    return loaded, chosen


def _shape(proto):
    if proto.unknown_rank:
        return None
    return [int(d.size) for d in proto.dim]


def _specs(mapping):
    return [TensorSpec(key, info.name, dtypes.name(info.dtype), _shape(info.tensor_shape))
            for key, info in sorted(mapping.items())]


def signatures(meta_graph):
    """The meta graph's SignatureDefs (the init-op pseudo signature left out).

    Returns:
        dict name -> Signature, in name order ("serving_default" first).
    """
    result = collections.OrderedDict()
    if meta_graph is None:
        return result
    names = sorted(meta_graph.signature_def, key=lambda n: (n != "serving_default", n))
    for name in names:
        if name == _INIT_SIGNATURE:
            continue
        sig = meta_graph.signature_def[name]
        result[name] = Signature(name, sig.method_name, _specs(sig.inputs), _specs(sig.outputs))
    return result


def assets(meta_graph, folder):
    """Files the graph reads (vocabularies of lookup tables), from asset_file_def or asset_filepaths."""
    if meta_graph is None:
        return []
    result = []
    seen = set()
    for item in meta_graph.asset_file_def:
        seen.add(item.tensor_info.name)
        result.append(Asset(item.tensor_info.name, item.filename, _asset_path(folder, item.filename)))
    collection = meta_graph.collection_def.get("asset_filepaths")
    if collection is not None and collection.WhichOneof("kind") == "node_list":
        nodes = dict((n.name, n) for n in meta_graph.graph_def.node)
        for tensor in collection.node_list.value:
            if tensor in seen:
                continue
            seen.add(tensor)
            node = nodes.get(node_name(tensor))
            values = dtypes.string_values(node.attr["value"].tensor) if node is not None else []
            filename = os.path.basename(values[0]) if values else ""
            result.append(Asset(tensor, filename, _asset_path(folder, filename)))
    return result


def _asset_path(folder, filename):
    if not folder or not filename:
        return None
    path = os.path.join(folder, "assets", filename)
    return path if os.path.isfile(path) else None


def init_ops(meta_graph):
    """Names of the ops a loader runs after restoring: main_op / legacy_init_op, else the table initializers."""
    if meta_graph is None:
        return []
    result = []
    for key in INIT_OP_COLLECTIONS:
        collection = meta_graph.collection_def.get(key)
        if collection is not None and collection.WhichOneof("kind") == "node_list":
            for name in collection.node_list.value:
                if node_name(name) not in result:
                    result.append(node_name(name))
    init = meta_graph.signature_def.get(_INIT_SIGNATURE) if meta_graph.signature_def else None
    if init is not None:
        for info in init.outputs.values():
            if node_name(info.name) not in result:
                result.append(node_name(info.name))
    collection = meta_graph.collection_def.get("table_initializer")
    if not result and collection is not None and collection.WhichOneof("kind") == "node_list":
        result = [node_name(name) for name in collection.node_list.value]
    return result


def asset_notes(meta_graph, folder):
    """Sentences for the user about assets and the init op that loads them into tables."""
    found = assets(meta_graph, folder)
    if not found:
        return []
    notes = ["asset %s (read through %s)%s" % (a.filename, a.tensor, "" if a.path else "; the file is missing")
             for a in found]
    ops = init_ops(meta_graph)
    if ops:
        notes.append("lookup tables are initialised from these assets: freeze with %s among the outputs "
                     "and run it once before the model (vocabularies found in assets/ are embedded)"
                     % ", ".join(ops))
    return notes


def tag_sets(path):
    """The tag sets of a saved_model.pb/.pbtxt's meta graphs (sorted tuples, in file order),
    read without parsing the graphs."""
    data = read_regular(path)
    if path.endswith(".pbtxt"):
        saved = protos.SavedModel()
        try:
            text_format.Parse(data.decode("utf-8"), saved, allow_unknown_field=True)
        except (text_format.ParseError, UnicodeDecodeError) as exc:
            raise ModelError("not a valid SavedModel (%s)" % exc, path)
        return [tuple(sorted(m.meta_info_def.tags)) for m in saved.meta_graphs]
    result = []
    view = memoryview(data)
    for start, end in message_spans(data, 2, path, "SavedModel"):
        info = protos.MetaGraphDef()
        for info_start, info_end in message_spans(view[start:end], 1, path, "MetaGraphDef"):
            info.meta_info_def.MergeFromString(bytes(view[start + info_start:start + info_end]))
        result.append(tuple(sorted(info.meta_info_def.tags)))
    return result
