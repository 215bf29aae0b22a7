"""Whether a node carries a name its authors gave it, or the default name TensorFlow made from its op."""

import re

_SUFFIX = re.compile(r"_\d+$")
_ALIASES = {
    "Cast": ("ToInt32", "ToInt64", "ToFloat", "ToDouble", "ToBool", "Cast"),
    "RealDiv": ("truediv", "div"), "Div": ("div", "truediv"), "AddV2": ("add",), "Add": ("add",),
    "Sub": ("sub",), "Mul": ("mul",), "ConcatV2": ("concat",), "Pack": ("stack", "packed"),
    "Transpose": ("transpose",), "Maximum": ("clip_by_value", "Maximum"), "Minimum": ("Minimum",),
    "Identity": ("Identity", "read", "Snapshot"), "Unpack": ("unstack",), "GatherV2": ("GatherV2", "embedding_lookup"),
    "Tensordot": ("Tensordot",), "ArgMax": ("ArgMax", "argmax"), "Squeeze": ("Squeeze",),
    "Select": ("Select", "where"), "Neg": ("Neg",), "Merge": ("Merge",),
}


def _snake(op):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", op).lower()


def authors_name(name, op):
    """True when the last part of ``name`` is not a name TensorFlow makes up for ``op``
    (`output`, `probs`, `final_layer` are; `add_3`, `Softmax`, `ArgMax_1`, `dense/BiasAdd` are not)."""
    short = _SUFFIX.sub("", name.rsplit("/", 1)[-1])
    defaults = set([op, op.lower(), _snake(op)]) | set(_ALIASES.get(op, ()))
    if short in defaults or short.lower() in defaults:
        return False
    return not short.startswith(("Variable", "Placeholder", "Const", "Tensordot", "ExpandDims"))
