"""Const values as numpy arrays and back, through core/formats/dtypes.py and core/freeze/node_defs.py."""

import numpy as np

from core.formats import dtypes, protos
from core.freeze.node_defs import content_const

# DataType numbers whose values numpy holds exactly as TensorFlow does (no bfloat16, no quantized types).
_EXACT = (1, 2, 3, 4, 5, 6, 9, 10, 17, 19, 22, 23)
_BY_NUMPY = dict((dtypes.numpy_dtype(d).newbyteorder("="), d) for d in _EXACT)


def const_value(node):
    """The numpy value of a Const node, or None when its dtype has no exact numpy form."""
    tensor = node.attr["value"].tensor
    if tensor.dtype not in _EXACT:
        return None
    try:
        return dtypes.proto_values(tensor).astype(numpy_type(tensor.dtype))
    except ValueError:
        return None


def datatype_of(array):
    """The DataType number of a numpy array (None when TensorFlow has no exact equivalent)."""
    return _BY_NUMPY.get(np.asarray(array).dtype.newbyteorder("="))


def const_node(name, array, dtype=None):
    """A Const NodeDef holding ``array`` (little-endian tensor_content), dtype its DataType number."""
    array = np.asarray(array)
    dtype = dtype if dtype is not None else datatype_of(array)
    payload = np.ascontiguousarray(array.astype(dtypes.numpy_dtype(dtype))).tobytes()
    node = protos.NodeDef()
    node.ParseFromString(content_const(name, dtype, [int(d) for d in array.shape], payload))
    return node


def numpy_type(dtype):
    """The numpy type of a DataType number (native byte order), or None."""
    return dtypes.numpy_dtype(dtype).newbyteorder("=") if dtype in _EXACT else None
