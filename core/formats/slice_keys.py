"""TensorFlow's checkpoint key of one tensor slice: the OrderedCode of its name and extents."""

import struct


_HEADER_BITS = [(0, 0), (0x80, 0), (0xC0, 0), (0xE0, 0), (0xF0, 0), (0xF8, 0), (0xFC, 0),
                (0xFE, 0), (0xFF, 0), (0xFF, 0x80), (0xFF, 0xC0)]


def _num_increasing(value):
    data = bytearray()
    while value > 0:
        data.insert(0, value & 0xFF)
        value >>= 8
    return bytes(bytearray([len(data)]) + data)


def _signed_num_increasing(value):
    x = ~value if value < 0 else value
    if x < 64:
        return bytes(bytearray([(0x80 ^ value) & 0xFF]))
    bits = x.bit_length()
    length = (bits + 7) // 7
    raw = bytearray(struct.pack(">q", value))
    sign = 0xFF if value < 0 else 0
    raw = bytearray([sign, sign]) + raw
    out = raw[len(raw) - length:]
    out[0] ^= _HEADER_BITS[length][0]
    out[1] ^= _HEADER_BITS[length][1]
    return bytes(out)


def slice_key(name, extents):
    """TensorFlow's checkpoint key of one slice: EncodeTensorNameSlice(name, slice).

    Args:
        name: the full tensor's name.
        extents: list of (start, length) per dimension; length -1 means the whole dimension.
    """
    escaped = bytearray()
    for byte in bytearray(name.encode("utf-8")):
        if byte == 0:
            escaped += b"\x00\xff"
        elif byte == 0xFF:
            escaped += b"\xff\x00"
        else:
            escaped.append(byte)
    key = _num_increasing(0) + bytes(escaped) + b"\x00\x01" + _num_increasing(len(extents))
    for start, length in extents:
        key += _signed_num_increasing(start) + _signed_num_increasing(length)
    return key
