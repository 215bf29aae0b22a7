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


def checkpoint_key(node, saver):
    """The key a variable is restored from: through the saver, else (no saver in the graph) its name;
    None when the graph's saver does not restore it."""
    if saver is None:
        return fallback_key(node)
    source = saver.sources.get(node.name)
    return source.key if source is not None else None


def missing_variables(variable_nodes, saver, reader):
    """The variables nothing restores: (name, key or None) for each the saver skips or the checkpoint lacks."""
    missing = []
    for node in variable_nodes:
        key = checkpoint_key(node, saver)
        if key is None or reader is None or key not in reader:
            missing.append((node.name, key))
    return missing


def refuse_missing(missing, total, saver, reader, hint=""):
    """Raises one error naming every needed variable nothing restores, and what the checkpoint does hold."""
    def shown_name(name, key):
        return name if key is None or name == key else "%s (key '%s')" % (name, key)
    shown = ", ".join(shown_name(name, key) for name, key in missing[:8])
    if len(missing) > 8:
        shown += ", ... %d more" % (len(missing) - 8)
    keys = [key for _, key in missing if key is not None]
    if len(missing) == total and keys:
        raise ModelError("checkpoint %s has none of the %d variables these outputs need (missing: %s)%s; "
                         "a checkpoint of another model?%s" % (reader.prefix, total, shown,
                                                               suggest(keys[0], reader.names()), hint),
                         reader.index_path)
    unsaved = [name for name, key in missing if key is None]
    if unsaved and len(unsaved) == len(missing):
        reason = ("; saver %s does not restore them (a tf.train.Saver created before these variables, or for "
                  "some of them only?)" % quote(saver.name))
    else:
        reason = suggest(keys[0], reader.names()) if keys else ""
    raise ModelError("checkpoint %s has %d of the %d variables these outputs need; missing: %s%s%s"
                     % (reader.prefix, total - len(missing), total, shown, reason, hint), reader.index_path)
