"""Const values as numpy arrays and back, through core/formats/dtypes.py and core/freeze/node_defs.py."""

import numpy as np

from core.formats import dtypes, protos
from core.freeze.node_defs import content_const



def const_value(node):
    """The numpy value of a Const node, or None when its dtype has no exact numpy form."""
    tensor = node.attr["value"].tensor
    if tensor.dtype not in dtypes.NUMPY_EXACT:
        return None
    try:
        return dtypes.proto_values(tensor).astype(numpy_type(tensor.dtype))
    except ValueError:
        return None


def datatype_of(array):
    """The DataType number of a numpy array (None when TensorFlow has no exact equivalent)."""
    return dtypes.from_numpy(np.asarray(array).dtype)


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
    return dtypes.numpy_dtype(dtype).newbyteorder("=") if dtype in dtypes.NUMPY_EXACT else None
