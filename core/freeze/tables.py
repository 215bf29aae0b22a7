"""Lookup tables in a frozen graph: which init op must run, and vocabularies from asset files embedded."""

import io
import logging
import os

from core.formats import dtypes, protos
from core.formats.dtypes import DT_INT32, DT_INT64, DT_STRING
from core.formats.node_table import node_table
from core.freeze.graph_edits import GraphEdits
from core.freeze.node_defs import const_node
from core.names import node_name

log = logging.getLogger(__name__)

TABLE_OPS = frozenset(["HashTable", "HashTableV2", "MutableHashTable", "MutableHashTableV2",
                       "MutableHashTableOfTensors", "MutableHashTableOfTensorsV2", "MutableDenseHashTable",
                       "MutableDenseHashTableV2"])
INIT_OPS = frozenset(["InitializeTable", "InitializeTableV2", "InitializeTableFromTextFile",
                      "InitializeTableFromTextFileV2", "LookupTableImport", "LookupTableImportV2"])
_TEXT_FILE_OPS = frozenset(["InitializeTableFromTextFile", "InitializeTableFromTextFileV2"])
# A HashTable (an InitializableLookupTable) cannot import values before TF 2.x ("ImportValues not supported
# by InitializableLookupTable" in TF 1.4), but every release initialises it from the same keys and values.
_IMPORT_AS_INITIALIZE = {"LookupTableImport": "InitializeTable", "LookupTableImportV2": "InitializeTableV2"}
_INITIALIZABLE_TABLES = frozenset(["HashTable", "HashTableV2"])
_WHOLE_LINE = -2
_LINE_NUMBER = -1


def table_initializers(graph_def, tables):
    """(initializer names of ``tables``, the NoOps that group them such as init_all_tables)."""
    tables = set(tables)
    inits = [n.name for n in graph_def.node if n.op in INIT_OPS and n.input and node_name(n.input[0]) in tables]
    wanted = set("^" + name for name in inits)
    groups = [n.name for n in graph_def.node if n.op == "NoOp" and wanted and wanted <= set(n.input)]
    return inits, groups


def _used_tables(graph_def, keep):
    return [name for name in node_table(graph_def).named(TABLE_OPS) if name in keep]


def missing_initializers(graph_def, keep):
    """The nodes to keep as well so that the lookup tables among ``keep`` can be initialised: the NoOp
    that groups their initializers (init_all_tables) or else the initializers; [] when none is needed."""
    tables = _used_tables(graph_def, keep)
    if not tables:
        return []
    inits, groups = table_initializers(graph_def, tables)
    if not inits or any(name in keep for name in inits + groups):
        return []
    return groups[:1] or sorted(inits)


def table_note(graph_def, keep):
    """A sentence naming the op that initialises the kept lookup tables (run once after import)."""
    tables = _used_tables(graph_def, keep)
    if not tables:
        return None
    inits, groups = table_initializers(graph_def, tables)
    kept = [name for name in groups + sorted(inits) if name in keep]
    if not kept:
        return ("the outputs use %d lookup table(s) whose initializer is not in the graph: they must be "
                "filled before use" % len(tables))
    return ("the outputs use %d lookup table(s): the frozen graph keeps %s, which fills them; run it once "
            "after importing the graph" % (len(tables), kept[0] if kept[0] in groups else ", ".join(kept[:3])))


def _string_value(node):
    if node is None or node.op != "Const":
        return None
    values = dtypes.string_values(node.attr["value"].tensor)
    return values[0] if len(values) == 1 else None


def _column(line, number, index, delimiter, dtype):
    if index == _WHOLE_LINE:
        value = line
    elif index == _LINE_NUMBER:
        return number
    else:
        value = line.split(delimiter)[index]
    if dtype == DT_STRING:
        return value.encode("utf-8")
    return int(value) if dtype in (DT_INT32, DT_INT64) else float(value)


def _read_vocabulary(node, path, types):
    """(keys, values) a text-file initializer reads from ``path``, or None when not readable."""
    key_index = node.attr["key_index"].i
    value_index = node.attr["value_index"].i
    delimiter = node.attr["delimiter"].s.decode("utf-8") if "delimiter" in node.attr else "\t"
    limit = node.attr["vocab_size"].i if "vocab_size" in node.attr else -1
    keys, values = [], []
    with io.open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if 0 <= limit <= number:
                break
            line = line.rstrip("\r\n")
            keys.append(_column(line, number, key_index, delimiter, types[0]))
            values.append(_column(line, number, value_index, delimiter, types[1]))
    return keys, values


def hash_table_imports(graph_def):
    """Rewrites the LookupTableImport(V2) that fills a HashTable (what TF 2.x's KeyValueTensorInitializer
    writes) as InitializeTable(V2) of the same keys and values, which every release runs.

    Returns:
        GraphEdits (empty when there is nothing to rewrite).
    """
    edits = GraphEdits()
    graph = node_table(graph_def)
    imports = [n for n in graph.of_ops(_IMPORT_AS_INITIALIZE) if len(n.input) >= 3]
    if not imports:
        return edits
    nodes = graph.nodes
    for node in imports:
        table = nodes.get(node_name(node.input[0]))
        if table is None or table.op not in _INITIALIZABLE_TABLES:
            continue
        replacement = protos.NodeDef(name=node.name, op=_IMPORT_AS_INITIALIZE[node.op], input=list(node.input),
                                     device=node.device)
        replacement.attr["Tkey"].CopyFrom(node.attr["Tin"])
        replacement.attr["Tval"].CopyFrom(node.attr["Tout"])
        for key in node.attr:
            if key.startswith("_"):
                replacement.attr[key].CopyFrom(node.attr[key])
        edits.replaced[node.name] = replacement
        edits.reasons[node.name] = "%s -> %s (a HashTable is initialised, not imported into)" % (
            node.op, replacement.op)
    return edits


def embed_vocabularies(graph_def, folder):
    """Turns text-file table initializers reading files in ``folder``/assets into InitializeTable(V2) of Consts.

    Args:
        graph_def: protos.GraphDef.
        folder: the SavedModel folder (asset file names are looked up in ``folder``/assets).
    Returns:
        GraphEdits (empty when there is nothing to embed).
    """
    edits = GraphEdits()
    graph = node_table(graph_def)
    nodes = graph.nodes
    for node in sorted(graph.of_ops(_TEXT_FILE_OPS), key=lambda n: n.name):
        if len(node.input) < 2:
            continue
        table = nodes.get(node_name(node.input[0]))
        filename = _string_value(nodes.get(node_name(node.input[1])))
        if table is None or not filename or "key_dtype" not in table.attr:
            continue
        path = os.path.join(folder, "assets", os.path.basename(filename))
        if not os.path.isfile(path):
            continue
        types = (table.attr["key_dtype"].type, table.attr["value_dtype"].type)
        try:
            keys, values = _read_vocabulary(node, path, types)
        except (IOError, ValueError, IndexError, KeyError) as exc:
            log.info("vocabulary %s not embedded: %s", path, exc)
            continue
        key_const = const_node(node.name + "/embedded_keys", types[0], keys)
        value_const = const_node(node.name + "/embedded_values", types[1], values)
        replacement = protos.NodeDef()
        replacement.name = node.name
        replacement.op = "InitializeTableV2" if node.op.endswith("V2") else "InitializeTable"
        replacement.input.extend([node.input[0], key_const.name, value_const.name])
        replacement.input.extend(i for i in node.input[2:] if i.startswith("^"))
        replacement.attr["Tkey"].type = types[0]
        replacement.attr["Tval"].type = types[1]
        edits.replaced[node.name] = replacement
        edits.added.extend([key_const, value_const])
        edits.notes.append("vocabulary %s (%d entries) embedded for %s" % (os.path.basename(path), len(keys),
                                                                          table.name))
    return edits
