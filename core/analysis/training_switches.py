"""Training switches: is_training / keep_prob placeholders with defaults, and parsing values for them."""

import collections
import re


from core.formats import dtypes
from core.formats.dtypes import DT_BOOL
from core.errors import ModelError
from core.names import node_name

_SWITCH_NAME = re.compile(r"(^|/|_)(is_?training|training|train|phase|mode|keep_?prob|dropout|drop_?rate|rate)"
                          r"(_\d+)?$", re.IGNORECASE)


class SwitchInfo(collections.namedtuple("SwitchInfo", "name dtype default")):
    """A placeholder that turns training behaviour on or off. default: Python value or None."""


def const_value(node):
    """A scalar Const's Python value, or None."""
    if node is None or node.op != "Const" or "value" not in node.attr:
        return None
    return dtypes.scalar_value(node.attr["value"].tensor)


def _is_scalar(node):
    if "shape" not in node.attr:
        return True
    shape = node.attr["shape"].shape
    return not shape.unknown_rank and not shape.dim


def find_training_switches(graph_def):
    """Placeholders that switch training behaviour: boolean ones (with or without a default)
    and scalar keep_prob/rate-style PlaceholderWithDefault.

    Returns:
        list of SwitchInfo in graph order.
    """
    placeholders = [n for n in graph_def.node if n.op in ("PlaceholderWithDefault", "Placeholder")]
    if not placeholders:
        return []
    nodes = dict((n.name, n) for n in graph_def.node) if any(
        n.op == "PlaceholderWithDefault" for n in placeholders) else {}
    result = []
    for node in placeholders:
        dtype = node.attr["dtype"].type
        named = bool(_SWITCH_NAME.search(node.name))
        if node.op == "PlaceholderWithDefault":
            if dtype != DT_BOOL and not (named and _is_scalar(node)):
                continue
            default = const_value(nodes.get(node_name(node.input[0]))) if node.input else None
        else:
            if not (dtype == DT_BOOL and named and _is_scalar(node)):
                continue
            default = None
        result.append(SwitchInfo(node.name, dtypes.name(dtype), default))
    return result


def parse_switch_value(text, dtype):
    """Parses a --set value for a switch of ``dtype`` ("bool", "float32", ...).

    Raises:
        ModelError: the text does not fit the dtype.
    """
    lowered = text.strip().lower()
    if dtype == "bool":
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise ModelError("'%s' is not a boolean (use true or false)" % text)
    try:
        if dtype.startswith(("int", "uint")):
            return int(lowered)
        return float(lowered)
    except ValueError:
        raise ModelError("'%s' is not a %s value" % (text, dtype))
