"""Protobuf wire-format primitives: varints and field scanning over raw bytes.

The freezer copies untouched NodeDefs as the exact bytes they had in the source
file; these helpers find those bytes and build the few messages it writes itself.
"""

import struct

from core.errors import ModelError

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


def read_varint(buf, pos):
    """Decodes a varint at ``pos``.

    Returns:
        (value, position after the varint).
    Raises:
        ValueError: the varint runs past the end or is longer than 10 bytes.
    """
    result = 0
    shift = 0
    end = len(buf)
    while True:
        if pos >= end or shift > 63:
            raise ValueError("bad varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def encode_varint(value):
    """Encodes a non-negative integer (or a negative int64, as ten bytes) as a varint."""
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def iter_fields(buf, start=0, end=None):
    """Yields (field number, wire type, field start, value start, value end) for each field.

    For LENGTH fields the value span is the payload; for the others it is the raw
    encoded value. ``buf`` is bytes or a memoryview. Raises ValueError on garbage.
    """
    if end is None:
        end = len(buf)
    pos = start
    while pos < end:
        field_start = pos
        key, pos = read_varint(buf, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == VARINT:
            _, value_end = read_varint(buf, pos)
        elif wire_type == LENGTH:
            length, pos = read_varint(buf, pos)
            value_end = pos + length
        elif wire_type == FIXED64:
            value_end = pos + 8
        elif wire_type == FIXED32:
            value_end = pos + 4
        else:
            raise ValueError("unsupported wire type %d" % wire_type)
        if value_end > end or number == 0:
            raise ValueError("field runs past the end of its message")
        yield number, wire_type, field_start, pos, value_end
        pos = value_end


def length_field(number, payload):
    """Encodes a length-delimited field (bytes, string or sub-message)."""
    return encode_varint((number << 3) | LENGTH) + encode_varint(len(payload)) + payload


def length_header(number, length):
    """The tag and length of a length-delimited field whose payload is written separately."""
    return encode_varint((number << 3) | LENGTH) + encode_varint(length)


def varint_field(number, value):
    """Encodes a varint field (int, enum, bool)."""
    return encode_varint(number << 3) + encode_varint(value)


def fixed32(value):
    """Little-endian uint32."""
    return struct.pack("<I", value)


def message_spans(buf, field_number, path, what):
    """Returns [(start, end)] of every length-delimited ``field_number`` at the top level.

    Raises:
        ModelError: naming ``path`` when the bytes are not a valid message.
    """
    spans = []
    try:
        for number, wire_type, _, start, end in iter_fields(buf):
            if number == field_number and wire_type == LENGTH:
                spans.append((start, end))
    except ValueError as exc:
        raise ModelError("not a valid %s (%s; truncated or corrupt?)" % (what, exc), path)
    return spans
