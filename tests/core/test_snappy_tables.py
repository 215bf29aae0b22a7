"""Snappy-compressed table blocks (LevelDB block type 1): decompressed in pure Python, damage named."""

import struct

import pytest

from core.errors import ModelError
from core.formats import crc32c, snappy
from core.formats.sstable import MAGIC, parse_table
from core.formats.wire import encode_varint


def _literal(data):
    assert 0 < len(data) <= 60
    return bytes(bytearray([(len(data) - 1) << 2])) + data


def _copy1(offset, length):
    assert 4 <= length <= 11 and offset < 2048
    return bytes(bytearray([1 | ((length - 4) << 2) | ((offset >> 8) << 5), offset & 0xFF]))


def _copy2(offset, length):
    return bytes(bytearray([2 | ((length - 1) << 2)])) + struct.pack("<H", offset)


def test_literals_and_copies_including_overlaps():
    stream = encode_varint(17) + _literal(b"abc") + _copy1(3, 6) + _copy2(1, 5) + _literal(b"xyz")
    assert snappy.decompress(stream) == b"abcabcabc" + b"ccccc" + b"xyz"
    with pytest.raises(ValueError):
        snappy.decompress(encode_varint(9) + _literal(b"abc") + _copy1(9, 6))
    with pytest.raises(ValueError):
        snappy.decompress(encode_varint(5) + _literal(b"abc"))


def _block(entries):
    body = b""
    for key, value in entries:
        body += encode_varint(0) + encode_varint(len(key)) + encode_varint(len(value)) + key + value
    return body + struct.pack("<II", 0, 1)


def _with_trailer(contents, block_type):
    crc = crc32c.mask(crc32c.value(contents + bytes(bytearray([block_type]))))
    return contents + bytes(bytearray([block_type])) + struct.pack("<I", crc)


def _table(entries, compress, extra_length=0):
    raw = _block(entries)
    contents = encode_varint(len(raw) + extra_length) + b"".join(_literal(raw[i:i + 60]) for i in range(0, len(raw), 60)) \
        if compress else raw
    data = _with_trailer(contents, 1 if compress else 0)
    handle = encode_varint(0) + encode_varint(len(contents))
    index = _block([(entries[-1][0], handle)])
    index_offset = len(data)
    data += _with_trailer(index, 0)
    footer = encode_varint(0) + encode_varint(0) + encode_varint(index_offset) + encode_varint(len(index))
    footer += b"\x00" * (40 - len(footer)) + struct.pack("<Q", MAGIC)
    return data + footer


def test_a_table_with_a_snappy_block_reads_like_an_uncompressed_one():
    entries = [(b"", b"header" * 30), (b"a/kernel", b"\x01\x02" * 50), (b"b", b"v")]
    assert parse_table(_table(entries, False), "t") == entries
    assert parse_table(_table(entries, True), "t") == entries


def test_a_corrupt_snappy_block_is_named():
    with pytest.raises(ModelError) as info:
        parse_table(_table([(b"k", b"value")], True, extra_length=3), "damaged.ckpt")
    assert "snappy" in str(info.value) and "damaged.ckpt" in str(info.value)
