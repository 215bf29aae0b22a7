"""The NodeDefs a freeze builds itself: Consts (from values, or streamed tensor bytes) and Placeholders."""

from core.formats import dtypes, protos
from core.formats.wire import length_field, length_header, varint_field


def _field_values(dtype, values):
    """Python values as the dtype's TensorProto field stores them."""
    if dtype in (dtypes.DT_HALF, dtypes.DT_BFLOAT16):
        import numpy as np
        if dtype == dtypes.DT_HALF:
            return [int(b) for b in np.asarray(values, dtype=np.float16).view(np.uint16).ravel()]
        bits = np.asarray(values, dtype=np.float32).view(np.uint32) >> 16
        return [int(b) for b in bits.ravel()]
    if dtype in (dtypes.DT_COMPLEX64, dtypes.DT_COMPLEX128):
        pairs = []
        for value in values:
            pairs.extend([complex(value).real, complex(value).imag])
        return pairs
    if dtype == dtypes.DT_STRING:
        return [v if isinstance(v, bytes) else str(v).encode("utf-8") for v in values]
    if dtype == dtypes.DT_BOOL:
        return [bool(v) for v in values]
    if dtype in dtypes.FLOATING:
        return [float(v) for v in values]
    return [int(v) for v in values]


def const_node(name, dtype, values, shape=None):
    """A Const NodeDef whose value holds ``values`` in the dtype's typed field.

    Args:
        name: the node name.
        dtype: a DataType number.
        values: one Python value (a scalar) or a flat sequence.
        shape: the tensor's dims; default [] for one value, [len(values)] for a sequence.
    Returns:
        protos.NodeDef.
    """
    scalar = not isinstance(values, (list, tuple))
    values = [values] if scalar else list(values)
    if shape is None:
        shape = [] if scalar else [len(values)]
    node = protos.NodeDef()
    node.name = name
    node.op = "Const"
    node.attr["dtype"].type = dtype
    tensor = node.attr["value"].tensor
    tensor.dtype = dtype
    for size in shape:
        tensor.tensor_shape.dim.add().size = size
    if values:
        getattr(tensor, dtypes.value_field(dtype)).extend(_field_values(dtype, values))
    return node


def placeholder_node(name, dtype, shape):
    """A Placeholder NodeDef of ``dtype``; ``shape`` is a list of dims (-1 unknown) or None (any rank)."""
    node = protos.NodeDef()
    node.name = name
    node.op = "Placeholder"
    node.attr["dtype"].type = dtype
    target = node.attr["shape"].shape
    if shape is None:
        target.unknown_rank = True
    else:
        for size in shape:
            target.dim.add().size = size
    return node


def _shape_message(shape):
    return b"".join(length_field(2, varint_field(1, d) if d else b"") for d in shape)


def const_header(name, dtype, shape, payload_len, device=""):
    """The bytes of a Const NodeDef up to its tensor_content payload.

    The payload (the tensor's raw little-endian bytes) is the last thing in the message, so a writer
    can stream it after this header. Fields are in the order protobuf serializes them (attrs sorted).

    Returns:
        (header bytes, total NodeDef length).
    """
    tensor_head = varint_field(1, dtype) + length_field(2, _shape_message(shape))
    if payload_len:
        tensor_head += length_header(4, payload_len)
    tensor_len = len(tensor_head) + payload_len
    attr_value_head = length_header(8, tensor_len)
    attr_value_len = len(attr_value_head) + tensor_len
    entry_head = length_field(1, b"value") + length_header(2, attr_value_len)
    entry_len = len(entry_head) + attr_value_len
    dtype_entry = length_field(1, b"dtype") + length_field(2, varint_field(6, dtype))
    node_head = length_field(1, name.encode("utf-8")) + length_field(2, b"Const")
    if device:
        node_head += length_field(4, device.encode("utf-8"))
    node_head += length_field(5, dtype_entry) + length_header(5, entry_len)
    header = node_head + entry_head + attr_value_head + tensor_head
    return header, len(header) + payload_len


def content_const(name, dtype, shape, payload, device=""):
    """The serialized Const NodeDef whose tensor_content is ``payload`` (raw little-endian bytes)."""
    header, _ = const_header(name, dtype, shape, len(payload), device)
    return header + payload
