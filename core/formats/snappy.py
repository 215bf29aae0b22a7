"""Snappy block decompression (LevelDB tables may compress their blocks with it): cramjam when installed,
else pure Python."""

import logging

from core.formats.wire import read_varint

log = logging.getLogger(__name__)
_FAST = []  # [cramjam module or None], filled on the first block: importing it costs ~20 ms


def _cramjam():
    if not _FAST:
        try:
            import cramjam
            _FAST.append(cramjam if hasattr(cramjam, "snappy") else None)
        except ImportError:
            _FAST.append(None)
        if _FAST[0] is None:
            log.info("cramjam is not installed: snappy blocks are decompressed in pure Python")
    return _FAST[0]


def decompress(data):
    """Decompresses one raw snappy block (no framing), with cramjam when it is installed.

    Raises:
        ValueError: corrupt input.
    """
    cramjam = _cramjam()
    if cramjam is None:
        return python_decompress(data)
    try:
        return bytes(cramjam.snappy.decompress_raw(bytes(data)))
    except cramjam.DecompressionError as exc:
        raise ValueError(str(exc))


def _literal(data, pos, tag, end):
    """The literal that ``tag`` starts: (its bytes, position after it)."""
    size = tag >> 2
    if size >= 60:
        extra = size - 59
        if pos + extra > end:
            raise ValueError("literal length runs past the end")
        size = int.from_bytes(bytes(data[pos:pos + extra]), "little")
        pos += extra
    size += 1
    if pos + size > end:
        raise ValueError("literal runs past the end")
    return data[pos:pos + size], pos + size


def python_decompress(data):
    """Decompresses one raw snappy block (no framing) in pure Python.

    Raises:
        ValueError: corrupt input.
    """
    data = memoryview(bytes(data))
    length, pos = read_varint(data, 0)
    out = bytearray()
    end = len(data)
    while pos < end:
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:
            literal, pos = _literal(data, pos, tag, end)
            out += literal
            continue
        if kind == 1:
            if pos + 1 > end:
                raise ValueError("copy runs past the end")
            size = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | data[pos]
            pos += 1
        else:
            width = 2 if kind == 2 else 4
            if pos + width > end:
                raise ValueError("copy runs past the end")
            size = (tag >> 2) + 1
            offset = int.from_bytes(bytes(data[pos:pos + width]), "little")
            pos += width
        if offset == 0 or offset > len(out):
            raise ValueError("copy offset %d out of range" % offset)
        start = len(out) - offset
        if offset >= size:
            out += out[start:start + size]
        else:
            for i in range(size):  # an overlapping copy repeats what it produces
                out.append(out[start + i])
        if len(out) > length:
            raise ValueError("decompressed more than the %d bytes announced" % length)
    if len(out) != length:
        raise ValueError("decompressed %d bytes, expected %d" % (len(out), length))
    return bytes(out)
