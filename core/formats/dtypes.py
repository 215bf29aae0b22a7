"""TensorFlow's DataTypes: enum number, name, numpy type, item size, TensorProto value field, decoding.

The one place that knows them. Facts from TensorFlow's ``types.proto`` (numbers), ``types.cc``
(names), ``tensor.cc`` (``Tensor::FromProto``: which repeated field holds a dtype's values, how a
short list fills a tensor) and ``saved_tensor_slice_util.h`` (the field a V1 checkpoint slice uses).
Importing this module does not import numpy; the decoders that return arrays import it when called.
"""

DATA_TYPES = [
    ("DT_INVALID", 0), ("DT_FLOAT", 1), ("DT_DOUBLE", 2), ("DT_INT32", 3),
    ("DT_UINT8", 4), ("DT_INT16", 5), ("DT_INT8", 6), ("DT_STRING", 7),
    ("DT_COMPLEX64", 8), ("DT_INT64", 9), ("DT_BOOL", 10), ("DT_QINT8", 11),
    ("DT_QUINT8", 12), ("DT_QINT32", 13), ("DT_BFLOAT16", 14), ("DT_QINT16", 15),
    ("DT_QUINT16", 16), ("DT_UINT16", 17), ("DT_COMPLEX128", 18), ("DT_HALF", 19),
    ("DT_RESOURCE", 20), ("DT_VARIANT", 21), ("DT_UINT32", 22), ("DT_UINT64", 23),
]
(DT_INVALID, DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_STRING, DT_COMPLEX64, DT_INT64,
 DT_BOOL, DT_QINT8, DT_QUINT8, DT_QINT32, DT_BFLOAT16, DT_QINT16, DT_QUINT16, DT_UINT16, DT_COMPLEX128,
 DT_HALF, DT_RESOURCE, DT_VARIANT, DT_UINT32, DT_UINT64) = range(24)
REF_OFFSET = 100  # DT_FLOAT_REF is 101: a ref-typed edge of the same dtype
BY_ENUM_NAME = dict(DATA_TYPES)
ENUM_NAMES = dict((number, enum) for enum, number in DATA_TYPES)

# number -> (TensorFlow's name, numpy type code or None, bytes per element (0: variable), TensorProto
# value field, V1 checkpoint slice field or None when TensorFlow cannot restore it from a V1 file).
# bfloat16 and half keep their bit patterns in half_val; numpy holds bfloat16 as uint16 bits.
_TABLE = {
    DT_FLOAT: ("float32", "f4", 4, "float_val", "float_val"),
    DT_DOUBLE: ("float64", "f8", 8, "double_val", "double_val"),
    DT_INT32: ("int32", "i4", 4, "int_val", "int_val"),
    DT_UINT8: ("uint8", "u1", 1, "int_val", "int_val"),
    DT_INT16: ("int16", "i2", 2, "int_val", "int_val"),
    DT_INT8: ("int8", "i1", 1, "int_val", "int_val"),
    DT_STRING: ("string", None, 0, "string_val", "string_val"),
    DT_COMPLEX64: ("complex64", "c8", 8, "scomplex_val", "scomplex_val"),
    DT_INT64: ("int64", "i8", 8, "int64_val", "int64_val"),
    DT_BOOL: ("bool", "?", 1, "bool_val", "bool_val"),
    DT_QINT8: ("qint8", "i1", 1, "int_val", "int_val"),
    DT_QUINT8: ("quint8", "u1", 1, "int_val", "int_val"),
    DT_QINT32: ("qint32", "i4", 4, "int_val", "int_val"),
    DT_BFLOAT16: ("bfloat16", "u2", 2, "half_val", None),
    DT_QINT16: ("qint16", "i2", 2, "int_val", None),
    DT_QUINT16: ("quint16", "u2", 2, "int_val", "int_val"),
    DT_UINT16: ("uint16", "u2", 2, "int_val", "int_val"),
    DT_COMPLEX128: ("complex128", "c16", 16, "dcomplex_val", "dcomplex_val"),
    DT_HALF: ("float16", "f2", 2, "half_val", "half_val"),
    DT_RESOURCE: ("resource", None, 0, "resource_handle_val", None),
    DT_VARIANT: ("variant", None, 0, "variant_val", None),
    DT_UINT32: ("uint32", "u4", 4, "uint32_val", "uint32_val"),
    DT_UINT64: ("uint64", "u8", 8, "uint64_val", "uint64_val"),
}
_BY_NAME = dict((info[0], number) for number, info in _TABLE.items())
_BY_NAME.update({"float": DT_FLOAT, "double": DT_DOUBLE, "half": DT_HALF})
VALUE_FIELDS = frozenset(info[3] for info in _TABLE.values())
FLOATING = frozenset([DT_HALF, DT_BFLOAT16, DT_FLOAT, DT_DOUBLE])
_PAIRED = frozenset([DT_COMPLEX64, DT_COMPLEX128])  # two field values (real, imaginary) per element
_BITS = frozenset([DT_HALF, DT_BFLOAT16])  # field values are the 16-bit patterns
# The dtypes whose values numpy holds exactly as TensorFlow does (no bfloat16 bits, no quantized types).
NUMPY_EXACT = frozenset([DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_INT64, DT_BOOL, DT_UINT16,
                         DT_HALF, DT_UINT32, DT_UINT64])


def base(dtype):
    """The dtype without its ref flag (DT_FLOAT_REF -> DT_FLOAT)."""
    return dtype - REF_OFFSET if dtype > REF_OFFSET else dtype


def is_ref(dtype):
    return dtype > REF_OFFSET


def is_valid(dtype):
    """True for a DataType number TensorFlow defines (ref types included, DT_INVALID not)."""
    return base(dtype) in _TABLE


def name(dtype):
    """TensorFlow's short name: "float32" for DT_FLOAT, "int64_ref" for DT_INT64_REF, "dtype99" otherwise."""
    info = _TABLE.get(base(dtype))
    if info is None:
        return "invalid" if dtype == DT_INVALID else "dtype%d" % dtype
    return info[0] + ("_ref" if is_ref(dtype) else "")


def from_name(text):
    """The DataType number of a name ("float32", "float", "DT_FLOAT"), or None."""
    if text in BY_ENUM_NAME:
        return BY_ENUM_NAME[text]
    return _BY_NAME.get(text)


def _column(dtype, column):
    info = _TABLE.get(base(dtype))
    return info[column] if info is not None else None


def itemsize(dtype):
    """Bytes per element as a tensor stores it (0 for strings, resources, variants); None when invalid."""
    return _column(dtype, 2)


def numpy_code(dtype):
    """The numpy type code ("f4") of a dtype with fixed-size elements, or None."""
    return _column(dtype, 1)


def numpy_dtype(dtype):
    """The numpy dtype holding a TensorFlow dtype (little-endian; strings as objects; bfloat16 as uint16 bits).

    Raises:
        ValueError: for dtypes numpy cannot hold (resource, variant, invalid numbers).
    """
    import numpy as np
    if dtype == DT_STRING:
        return np.dtype(object)
    code = numpy_code(dtype)
    if code is None:
        raise ValueError("tensors of type %s cannot be read" % name(dtype))
    return np.dtype(code).newbyteorder("<")


def from_numpy(np_dtype):
    """The DataType number of a numpy dtype that TensorFlow holds exactly (NUMPY_EXACT), else None."""
    import numpy as np
    wanted = np.dtype(np_dtype).newbyteorder("=")
    for number in sorted(NUMPY_EXACT):
        if numpy_dtype(number).newbyteorder("=") == wanted:
            return number
    return None


def value_field(dtype):
    """The TensorProto repeated field that holds a dtype's values ("float_val"), or None."""
    return _column(dtype, 3)


def slice_field(dtype):
    """The TensorProto field a V1 checkpoint slice of this dtype is read from, or None when TF cannot."""
    return _column(dtype, 4)


def field_count(tensor, dtype):
    """How many elements the dtype's typed field of ``tensor`` holds (complex: pairs)."""
    field = value_field(dtype)
    if field is None:
        return 0
    count = len(getattr(tensor, field))
    return count // 2 if base(dtype) in _PAIRED else count


def shape_dims(shape_proto):
    """A TensorShapeProto's dims as a list of ints."""
    return [int(d.size) for d in shape_proto.dim]


def known_dims(shape_proto):
    """A TensorShapeProto's dims when all are known, else None (unknown rank or a -1 dimension)."""
    if shape_proto.unknown_rank or any(d.size < 0 for d in shape_proto.dim):
        return None
    return shape_dims(shape_proto)


def element_count(dims):
    total = 1
    for dim in dims:
        total *= dim
    return total


def typed_values(tensor, dtype=None):
    """The values in the dtype's typed field as a Python list (no numpy; half/bfloat16 as bit patterns,
    complex as (real, imaginary) pairs merged to complex numbers; strings as bytes)."""
    dtype = base(tensor.dtype if dtype is None else dtype)
    field = value_field(dtype)
    if field is None:
        return []
    values = list(getattr(tensor, field))
    if dtype in _PAIRED:
        values = [complex(values[i], values[i + 1]) for i in range(0, len(values) - 1, 2)]
    elif dtype == DT_BOOL:
        values = [bool(v) for v in values]
    return values


def scalar_value(tensor):
    """The Python value of a scalar TensorProto as TensorFlow reads it (content first, then the typed
    field, an empty one meaning zero), or None when it is no scalar or cannot be read."""
    if tensor.tensor_shape.dim or tensor.tensor_shape.unknown_rank or not is_valid(tensor.dtype):
        return None
    dtype = base(tensor.dtype)
    if dtype == DT_STRING or (not tensor.tensor_content and dtype not in _BITS):
        values = typed_values(tensor, dtype)
        if values:
            return values[0]
        if dtype == DT_STRING:
            return b""
        return False if dtype == DT_BOOL else (0.0 if dtype in FLOATING else 0)
    try:
        value = proto_values(tensor).reshape(-1)[0]
    except ValueError:
        return None
    return bool(value) if dtype == DT_BOOL else value.item()


def string_values(tensor):
    """The string_val entries of a string TensorProto, decoded as UTF-8 (invalid bytes replaced)."""
    return [s.decode("utf-8", "replace") for s in tensor.string_val]


def proto_problem(tensor, dtype=None, limit_bytes=None):
    """Why TensorFlow's Tensor::FromProto would refuse ``tensor`` (as a Const's value), or None.

    Args:
        tensor: a TensorProto.
        dtype: the dtype it must have (a Const's ``dtype`` attr), or None.
        limit_bytes: refuse a tensor whose elements would take more bytes than this once materialised.
    """
    if not is_valid(tensor.dtype) or is_ref(tensor.dtype):
        return "its value tensor has the invalid type %s" % name(tensor.dtype)
    if dtype is not None and tensor.dtype != dtype:
        return "it is declared %s but its value tensor is %s" % (name(dtype), name(tensor.dtype))
    if tensor.tensor_shape.unknown_rank:
        return "its value tensor has an unknown rank"
    dims = shape_dims(tensor.tensor_shape)
    if any(d < 0 for d in dims):
        return "its value tensor has the negative dimension in shape %s" % dims
    if len(dims) > 254:
        return "its value tensor has %d dimensions (TensorFlow allows 254)" % len(dims)
    count = element_count(dims)
    size = itemsize(tensor.dtype) or 1
    if limit_bytes is not None and count * size > limit_bytes:
        return "its value tensor of shape %s would take %d bytes in memory" % (dims, count * size)
    if tensor.tensor_content and itemsize(tensor.dtype):
        if len(tensor.tensor_content) != count * itemsize(tensor.dtype):
            return ("its value tensor holds %d bytes of data for %d %s values"
                    % (len(tensor.tensor_content), count, name(tensor.dtype)))
    return None


def proto_values(tensor, dims=None):
    """A TensorProto's values as numpy, read as TensorFlow's Tensor::FromProto reads them.

    tensor_content when it is there (its size must match), else the dtype's typed field: fewer values
    than elements repeat the last one, none means zeros, more are cut off.

    Args:
        tensor: a TensorProto.
        dims: the shape to read it as (default: its own tensor_shape).
    Raises:
        ValueError: a type numpy cannot hold, or tensor_content of the wrong size.
    """
    import numpy as np
    dtype = base(tensor.dtype)
    dims = shape_dims(tensor.tensor_shape) if dims is None else list(dims)
    count = element_count(dims)
    target = numpy_dtype(dtype)
    if tensor.tensor_content and dtype != DT_STRING:
        if len(tensor.tensor_content) != count * target.itemsize:
            raise ValueError("%d bytes of %s data for %d values" % (len(tensor.tensor_content), name(dtype), count))
        return np.frombuffer(tensor.tensor_content, dtype=target).reshape(dims).copy()
    values = typed_values(tensor, dtype)
    array = _as_array(values, dtype, target)
    if array.size == 0:
        filled = np.zeros(count, dtype=target) if dtype != DT_STRING else np.full(count, b"", dtype=object)
    elif array.size >= count:
        filled = array[:count]
    else:
        filled = np.concatenate([array, np.repeat(array[-1:], count - array.size)])
    return filled.reshape(dims)


def slice_values(tensor, dtype, count):
    """The values of one V1 checkpoint slice, read as TensorFlow's TensorSliceReader reads them.

    TensorFlow copies the dtype's typed field only (tensor_content is never read) and needs exactly
    ``count`` values there.

    Returns:
        a flat numpy array of ``count`` values.
    Raises:
        ValueError: TensorFlow cannot restore this dtype from a V1 checkpoint, or the field holds
            another number of values (values in another field, or in tensor_content).
    """
    import numpy as np
    field = slice_field(dtype)
    if field is None:
        raise ValueError("TensorFlow cannot restore %s tensors from a V1 checkpoint" % name(dtype))
    found = field_count(tensor, dtype)
    if found != count:
        elsewhere = [f for f in sorted(VALUE_FIELDS) if f != field and len(getattr(tensor, f, ()))]
        if tensor.tensor_content:
            elsewhere.append("tensor_content")
        where = " (it has values in %s, which TensorFlow does not read for %s)" % (
            ", ".join(elsewhere), name(dtype)) if elsewhere else ""
        raise ValueError("holds %d values in %s, expected %d%s" % (found, field, count, where))
    target = numpy_dtype(dtype)
    return _as_array(typed_values(tensor, dtype), dtype, target) if count else np.zeros(0, dtype=target)


def _as_array(values, dtype, target):
    import numpy as np
    if dtype == DT_STRING:
        array = np.empty(len(values), dtype=object)
        array[:] = values
        return array
    if dtype in _BITS:
        return np.array(values, dtype=np.int64).astype(np.uint16).view(target)
    if not values:
        return np.zeros(0, dtype=target)
    return np.array(values).astype(target)
