"""Const values as numpy arrays and back (a minimal dtype table until core/formats/dtypes.py lands)."""

import numpy as np

from core.formats import protos
from core.formats.bundle import numpy_dtype
from core.formats.v1_checkpoint import tensor_proto_values

# DataType numbers whose values numpy holds exactly as TensorFlow does (no bfloat16, no quantized types).
_NUMPY_TYPES = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 5: np.int16, 6: np.int8, 9: np.int64,
                10: np.bool_, 17: np.uint16, 19: np.float16, 22: np.uint32, 23: np.uint64}
_BY_NUMPY = dict((np.dtype(v), k) for k, v in _NUMPY_TYPES.items())
DT_STRING = 7


def const_value(node):
    """The numpy value of a Const node, or None when its dtype has no exact numpy form."""
    tensor = node.attr["value"].tensor
    if tensor.dtype not in _NUMPY_TYPES:
        return None
    shape = [int(d.size) for d in tensor.tensor_shape.dim]
    count = int(np.prod(shape)) if shape else 1
    if not tensor.tensor_content:
        values = tensor_proto_values(tensor, tensor.dtype, [min(1, count)] if count else [0], node.name)
        # A TensorProto with fewer values than its shape repeats the last one (TF's MakeNdarray).
        return np.broadcast_to(values.reshape(-1)[-1:] if count else values, [count]).reshape(shape).copy()
    return tensor_proto_values(tensor, tensor.dtype, shape, node.name).copy()


def datatype_of(array):
    """The DataType number of a numpy array (None when TensorFlow has no exact equivalent)."""
    return _BY_NUMPY.get(np.asarray(array).dtype)


def const_node(name, array, dtype=None):
    """A Const NodeDef holding ``array`` (little-endian tensor_content), dtype its DataType number."""
    array = np.asarray(array)
    dtype = dtype if dtype is not None else datatype_of(array)
    node = protos.NodeDef()
    node.name = name
    node.op = "Const"
    node.attr["dtype"].type = dtype
    tensor = node.attr["value"].tensor
    tensor.dtype = dtype
    for size in array.shape:
        tensor.tensor_shape.dim.add().size = int(size)
    if array.size:
        tensor.tensor_content = np.ascontiguousarray(array.astype(numpy_dtype(dtype))).tobytes()
    return node


def numpy_type(dtype):
    """The numpy type of a DataType number, or None."""
    return _NUMPY_TYPES.get(dtype)
