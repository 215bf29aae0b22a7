"""Snappy-compressed table blocks (LevelDB block type 1), checked against cramjam's snappy (a real encoder and
decoder): real compressor output, hand-made streams of every tag kind, damage named."""

import os
import random
import struct

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from core.errors import ModelError
from core.formats import crc32c, snappy
from core.formats.sstable import MAGIC, parse_table
from core.formats.wire import encode_varint
from tests.strict import missing

try:
    import cramjam
except ImportError:  # requirements-dev.txt installs it on both stacks
    cramjam = None


@pytest.fixture
def real():
    """cramjam's snappy: the oracle."""
    if cramjam is None:
        missing("cramjam, the snappy oracle (pip install -r requirements-dev.txt)")
    return cramjam.snappy


def _compress(real, data):
    return bytes(real.compress_raw(data))


def _theirs(real, stream):
    """cramjam's decoding of ``stream``: its bytes, or None when it refuses the stream."""
    try:
        return bytes(real.decompress_raw(stream))
    except cramjam.DecompressionError:
        return None


def _ours(stream):
    try:
        return snappy.python_decompress(stream)
    except ValueError:
        return None


def _inputs():
    rng = random.Random(7)
    words = [b"kernel", b"bias", b"gradients/", b"Adam", b"\x00\x00\x80?"]
    text = b"".join(rng.choice(words) for _ in range(40000))
    return {"empty": b"", "one byte": b"x", "random 100 kB (long literals)": os.urandom(100000),
            "runs (overlapping copies)": b"a" * 5000 + b"ab" * 3000 + b"abc" * 2000,
            "words 300 kB (several 64 kB fragments)": text, "floats": struct.pack("<4000f", *range(4000))}


@pytest.mark.parametrize("name", sorted(_inputs()))
def test_the_python_decoder_reads_real_snappy_output(real, name):
    data = _inputs()[name]
    stream = _compress(real, data)
    assert snappy.python_decompress(stream) == data
    assert snappy.decompress(stream) == data


def _literal_tag(size):
    """The tag bytes of a literal of ``size`` bytes: in the tag up to 60, else 1-4 length bytes after it."""
    if size <= 60:
        return bytes(bytearray([(size - 1) << 2]))
    extra = ((size - 1).bit_length() + 7) // 8
    return bytes(bytearray([(59 + extra) << 2])) + (size - 1).to_bytes(extra, "little")


def _copy(kind, offset, length):
    if kind == 1:
        return bytes(bytearray([1 | ((length - 4) << 2) | ((offset >> 8) << 5), offset & 0xFF]))
    return bytes(bytearray([kind | ((length - 1) << 2)])) + offset.to_bytes(2 if kind == 2 else 4, "little")


def _stream(*parts):
    """A raw snappy stream of ``parts`` (bytes for a literal, (kind, offset, length) for a copy)."""
    size, body = 0, b""
    for part in parts:
        if isinstance(part, bytes):
            body += _literal_tag(len(part)) + part
            size += len(part)
        else:
            body += _copy(*part)
            size += part[2]
    return encode_varint(size) + body


HANDMADE = {
    "literal in the tag (60 bytes)": (b"L" * 60,),
    "literal with a 1-byte length (61, 256)": (b"a" * 61, b"b" * 256),
    "literal with a 2-byte length (65536)": (os.urandom(65536),),
    "literal with a 3-byte length (65537)": (os.urandom(65537),),
    "literal with a 4-byte length (16 MiB + 1)": (b"\x01" * (1 << 24) + b"!",),
    "1-byte-offset copies (offset 2047, overlap)": (os.urandom(2047), (1, 2047, 11), (1, 1, 4)),
    "2-byte-offset copies (offset 65535, 64 long)": (os.urandom(65535), (2, 65535, 64), (2, 3, 64)),
    "4-byte-offset copies (offset 70000, small offsets too)": (os.urandom(70000), (3, 70000, 64), (3, 5, 33),
                                                               (3, 1, 7)),
}


@pytest.mark.parametrize("name", sorted(HANDMADE))
def test_every_tag_kind_decodes_as_cramjam_decodes_it(real, name):
    """Real compressors never write 4-byte offsets or literals over 64 kB (they work in 64 kB fragments),
    but the format allows them: hand-made streams, with cramjam's decoding as the expected result."""
    stream = _stream(*HANDMADE[name])
    expected = _theirs(real, stream)
    assert expected is not None, "cramjam refused the hand-made stream"
    assert snappy.python_decompress(stream) == expected
    assert snappy.decompress(stream) == expected


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(max_size=3000), cut=st.integers(0, 3000), flips=st.lists(st.tuples(st.integers(0, 3000),
                                                                                        st.integers(1, 255)),
                                                                              max_size=3))
def test_damaged_real_streams_are_refused_or_read_exactly_as_cramjam_does(data, cut, flips):
    if cramjam is None:
        missing("cramjam, the snappy oracle (pip install -r requirements-dev.txt)")
    stream = bytearray(_compress(cramjam.snappy, data * 3))
    for where, mask in flips:
        if stream:
            stream[where % len(stream)] ^= mask
    stream = bytes(stream[:cut] if cut < len(stream) else stream)
    assert _ours(stream) == _theirs(cramjam.snappy, stream)


def test_corrupt_streams_raise_value_error():
    for stream in (encode_varint(9) + _literal_tag(3) + b"abc" + _copy(1, 9, 6),  # offset before the start
                   encode_varint(5) + _literal_tag(3) + b"abc",  # shorter than announced
                   encode_varint(3) + _literal_tag(3) + b"abc" + _copy(1, 1, 4),  # longer than announced
                   encode_varint(8) + _literal_tag(3) + b"abc" + b"\x02\x01",  # copy offset cut short
                   encode_varint(70) + b"\xf0\x45"):  # literal length cut short
        with pytest.raises(ValueError):
            snappy.python_decompress(stream)
        with pytest.raises(ValueError):
            snappy.decompress(stream)


def _block(entries):
    body = b""
    for key, value in entries:
        body += encode_varint(0) + encode_varint(len(key)) + encode_varint(len(value)) + key + value
    return body + struct.pack("<II", 0, 1)


def _with_trailer(contents, block_type):
    crc = crc32c.mask(crc32c.value(contents + bytes(bytearray([block_type]))))
    return contents + bytes(bytearray([block_type])) + struct.pack("<I", crc)


def _table(entries, compress=None):
    """A one-block table; ``compress`` (raw block -> snappy stream) makes it a snappy block."""
    raw = _block(entries)
    contents = compress(raw) if compress else raw
    data = _with_trailer(contents, 1 if compress else 0)
    handle = encode_varint(0) + encode_varint(len(contents))
    index = _block([(entries[-1][0], handle)])
    index_offset = len(data)
    data += _with_trailer(index, 0)
    footer = encode_varint(0) + encode_varint(0) + encode_varint(index_offset) + encode_varint(len(index))
    footer += b"\x00" * (40 - len(footer)) + struct.pack("<Q", MAGIC)
    return data + footer


def test_a_table_with_a_snappy_block_reads_like_an_uncompressed_one(real):
    entries = [(b"", b"header" * 30), (b"a/kernel", b"\x01\x02" * 50), (b"b", b"v")]
    assert parse_table(_table(entries), "t") == entries
    assert parse_table(_table(entries, lambda raw: _compress(real, raw)), "t") == entries


def test_a_corrupt_snappy_block_is_named(real):
    with pytest.raises(ModelError) as info:
        parse_table(_table([(b"k", b"value")], lambda raw: encode_varint(len(raw) + 3) + _compress(real, raw)[1:]),
                    "damaged.ckpt")
    assert "snappy" in str(info.value) and "damaged.ckpt" in str(info.value)


def test_without_cramjam_tables_are_read_in_pure_python(real, monkeypatch):
    entries = [(b"", b"h"), (b"k", b"value" * 40)]
    monkeypatch.setattr(snappy, "_FAST", [None])
    assert parse_table(_table(entries, lambda raw: _compress(real, raw)), "t") == entries
