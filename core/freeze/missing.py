"""Errors that name what is missing: the closest names, the variables a checkpoint lacks."""

from core.errors import ModelError, quote
from core.formats.saver_map import fallback_key


def suggest(name, names):
    """"; did you mean ..." with the closest of ``names`` to ``name`` ("" when none is close)."""
    import difflib  # only on an error: keeps a freeze's start-up short
    lowered = name.lower()
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    tail = lowered.rsplit("/", 1)[-1]
    for candidate in names:
        if len(close) >= 5:
            break
        if candidate not in close and tail and candidate.lower().endswith("/" + tail):
            close.append(candidate)
    return "; did you mean %s?" % ", ".join(quote(c) for c in close) if close else ""


def check_all_present(variable_nodes, sources, reader):
    """Raises one error naming every needed variable the checkpoint lacks, and what it does hold."""
    missing = []
    for node in variable_nodes:
        source = sources.get(node.name)
        key = source.key if source else fallback_key(node)
        if key not in reader:
            missing.append((node.name, key, source is None))
    if not missing:
        return
    total = len(variable_nodes)
    shown = ", ".join(name if name == key else "%s (key '%s')" % (name, key) for name, key, _ in missing[:8])
    if len(missing) > 8:
        shown += ", ... %d more" % (len(missing) - 8)
    if len(missing) == total:
        first_key = missing[0][1]
        raise ModelError("checkpoint %s has none of the %d variables these outputs need (missing: %s)%s; "
                         "a checkpoint of another model?" % (reader.prefix, total, shown,
                                                             suggest(first_key, reader.names())), reader.index_path)
    unsaved = [name for name, _, no_saver in missing if no_saver] if sources else []
    hint = ""
    if unsaved and len(unsaved) == len(missing):
        hint = "; the graph's saver does not save them (a tf.train.Saver created before these variables?)"
    else:
        hint = suggest(missing[0][1], reader.names())
    raise ModelError("checkpoint %s has %d of the %d variables these outputs need; missing: %s%s"
                     % (reader.prefix, total - len(missing), total, shown, hint), reader.index_path)
