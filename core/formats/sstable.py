"""Reading LevelDB-style sorted tables: TensorFlow's checkpoint `.index` files (and V1 checkpoints)."""

import os
import struct

from core.formats import crc32c
from core.formats.files import open_regular, read_regular
from core.errors import ModelError, quote
from core.formats.wire import read_varint

MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
TRAILER_SIZE = 5


def _handle(buf, pos, path):
    try:
        offset, pos = read_varint(buf, pos)
        size, pos = read_varint(buf, pos)
    except ValueError:
        raise ModelError("corrupt table footer (bad block handle)", path)
    return offset, size, pos


def _block(data, offset, size, path, what):
    end = offset + size + TRAILER_SIZE
    if end > len(data):
        raise ModelError("truncated: the %s block ends at byte %d but the file has %d bytes"
                         % (what, end, len(data)), path)
    contents = data[offset:offset + size]
    block_type = data[offset + size]
    stored = struct.unpack("<I", data[offset + size + 1:end])[0]
    actual = crc32c.value(data[offset:offset + size + 1])
    if crc32c.unmask(stored) != actual:
        raise ModelError("corrupt: checksum mismatch in the %s block at byte %d" % (what, offset), path)
    if block_type == 1:
        from core.formats import snappy
        try:
            return snappy.decompress(contents)
        except (ValueError, IndexError) as exc:
            raise ModelError("corrupt snappy-compressed %s block at byte %d (%s)" % (what, offset, exc), path)
    if block_type != 0:
        raise ModelError("corrupt: unknown block type %d" % block_type, path)
    return contents


def _entries(block, path):
    """Yields (key, value) of one block, undoing LevelDB's key prefix compression."""
    if len(block) < 4:
        raise ModelError("corrupt: block shorter than its restart count", path)
    num_restarts = struct.unpack("<I", block[-4:])[0]
    limit = len(block) - 4 - 4 * num_restarts
    if limit < 0:
        raise ModelError("corrupt: bad restart count %d" % num_restarts, path)
    pos = 0
    key = b""
    try:
        while pos < limit:
            shared, pos = read_varint(block, pos)
            non_shared, pos = read_varint(block, pos)
            value_len, pos = read_varint(block, pos)
            if shared > len(key) or pos + non_shared + value_len > limit:
                raise ValueError("entry out of bounds")
            key = key[:shared] + block[pos:pos + non_shared]
            pos += non_shared
            yield key, block[pos:pos + value_len]
            pos += value_len
    except ValueError as exc:
        raise ModelError("corrupt table block (%s)" % exc, path)
    # (An entry never ends past ``limit``: the loop stops exactly there.)


def read_table(path):
    """Reads every (key, value) of a table, in key order, checking block checksums.

    Returns:
        list of (key bytes, value bytes).
    Raises:
        ModelError: naming ``path`` when the file is missing, truncated or corrupt.
    """
    return parse_table(read_regular(path), path)


def parse_table(data, path):
    """Like read_table() on bytes already in memory."""
    if len(data) < FOOTER_SIZE:
        raise ModelError("truncated: a table footer needs %d bytes, the file has %d"
                         % (FOOTER_SIZE, len(data)), path)
    footer = data[-FOOTER_SIZE:]
    if struct.unpack("<Q", footer[-8:])[0] != MAGIC:
        raise ModelError("not a TensorFlow checkpoint index (bad magic number; truncated or another "
                         "kind of file?)", path)
    _, _, pos = _handle(footer, 0, path)
    index_offset, index_size, _ = _handle(footer, pos, path)
    index = _block(data, index_offset, index_size, path, "index")
    result = []
    for _, handle in _entries(index, path):
        offset, size, _ = _handle(handle, 0, path)
        result.extend(_entries(_block(data, offset, size, path, "data"), path))
    for i in range(1, len(result)):
        if result[i][0] <= result[i - 1][0]:
            raise ModelError("corrupt: the table's keys are out of order or repeated at %s"
                             % quote(result[i][0]), path)
    return result


def is_table(path):
    """True when the file is a regular file ending with the table magic number."""
    try:
        handle, size = open_regular(path)
    except ModelError:
        return False
    with handle:
        if size < FOOTER_SIZE:
            return False
        try:
            handle.seek(size - 8)
            return struct.unpack("<Q", handle.read(8))[0] == MAGIC
        except (IOError, OSError, struct.error):
            return False
