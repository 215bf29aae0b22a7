"""Snappy block decompression in pure Python (LevelDB tables may compress their blocks with it)."""

from core.formats.wire import read_varint


def decompress(data):
    """Decompresses one raw snappy block (no framing).

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
        if kind == 0:  # literal
            size = tag >> 2
            if size >= 60:
                extra = size - 59
                size = int.from_bytes(bytes(data[pos:pos + extra]), "little")
                pos += extra
            size += 1
            if pos + size > end:
                raise ValueError("literal runs past the end")
            out += data[pos:pos + size]
            pos += size
            continue
        if kind == 1:
            size = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | data[pos]
            pos += 1
        else:
            width = 2 if kind == 2 else 4
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
    if len(out) != length:
        raise ValueError("decompressed %d bytes, expected %d" % (len(out), length))
    return bytes(out)
