"""Reading TensorFlow V2 checkpoints (tensor bundles: `.index` + `.data-*` shards) without TensorFlow."""

import collections
import logging
import os
import struct

import numpy as np

from core.formats import crc32c
from core.formats import protos
from core.errors import ModelError
from core.formats.sstable import read_table
from core.formats.wire import read_varint

log = logging.getLogger(__name__)

DT_STRING = 7
DT_BFLOAT16 = 14
_NUMPY = {
    1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 5: np.int16, 6: np.int8,
    8: np.complex64, 9: np.int64, 10: np.bool_, 11: np.int8, 12: np.uint8, 13: np.int32,
    14: np.uint16, 15: np.int16, 16: np.uint16, 17: np.uint16, 18: np.complex128,
    19: np.float16, 22: np.uint32, 23: np.uint64,
}


class TensorEntry(collections.namedtuple("TensorEntry", "name dtype shape nbytes partitioned")):
    """One tensor listed in a checkpoint. nbytes: bytes of its stored data (all slices)."""


def numpy_dtype(dtype):
    """The numpy dtype holding a TensorFlow DataType (bfloat16 as uint16 bit patterns).

    Raises:
        ModelError: for types with no numpy equivalent (resource, variant).
    """
    if dtype == DT_STRING:
        return np.dtype(object)
    if dtype not in _NUMPY:
        raise ModelError("tensors of type %s cannot be read" % protos.dtype_name(dtype))
    return np.dtype(_NUMPY[dtype]).newbyteorder("<")


def _count(shape):
    total = 1
    for dim in shape:
        total *= dim
    return total


# --- OrderedCode, as TensorFlow encodes the keys of a partitioned tensor's slices -------

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


def _extents(slice_proto, shape):
    result = []
    for extent, dim in zip(slice_proto.extent, shape):
        if extent.WhichOneof("has_length") is None:
            result.append((0, -1))
        else:
            result.append((extent.start, extent.length))
    for _ in range(len(slice_proto.extent), len(shape)):
        result.append((0, -1))
    return result


def _region(extents, shape):
    starts = [s for s, _ in extents]
    lengths = [dim if length < 0 else length for (_, length), dim in zip(extents, shape)]
    return starts, lengths


class CheckpointReader(object):
    """A V2 checkpoint opened for reading; never writes to any of its files.

    Attributes:
        prefix: the checkpoint prefix.
        index_path: the `.index` file.
        data_paths: the `.data-K-of-N` shard paths.
    """

    version = 2

    def __init__(self, prefix):
        self.prefix = prefix
        self.index_path = prefix + ".index"
        self._entries = {}
        self._slices = {}
        self._files = {}
        header = None
        for key, value in read_table(self.index_path):
            entry = protos.BundleEntryProto() if key else protos.BundleHeaderProto()
            try:
                entry.ParseFromString(value)
            except Exception as exc:  # protobuf raises DecodeError or RuntimeError by backend
                raise ModelError("corrupt entry for '%s' (%s)" % (key.decode("utf-8", "replace"), exc),
                                 self.index_path)
            if not key:
                header = entry
            elif key[:1] == b"\x00":
                self._slices[key] = entry
            else:
                self._entries[key.decode("utf-8")] = entry
        if header is None:
            raise ModelError("not a V2 checkpoint index (no bundle header)", self.index_path)
        if header.endianness != 0:
            raise ModelError("big-endian checkpoints are not supported", self.index_path)
        shards = max(1, header.num_shards)
        self.data_paths = ["%s.data-%05d-of-%05d" % (prefix, i, shards) for i in range(shards)]

    # -- listing ----------------------------------------------------------------------
    def names(self):
        """Sorted tensor names (slice keys and the header hidden)."""
        return sorted(self._entries)

    def __contains__(self, name):
        return name in self._entries

    def _proto(self, name):
        proto = self._entries.get(name)
        if proto is None:
            raise ModelError("checkpoint has no tensor '%s'" % name, self.index_path)
        return proto

    def entry(self, name):
        """TensorEntry of ``name``."""
        proto = self._proto(name)
        shape = tuple(int(d.size) for d in proto.shape.dim)
        if proto.slices:
            nbytes = sum(self._slice_proto(name, proto, s).size for s in proto.slices)
        else:
            nbytes = proto.size
        return TensorEntry(name, proto.dtype, shape, nbytes, bool(proto.slices))

    def _slice_proto(self, name, proto, slice_proto):
        shape = [d.size for d in proto.shape.dim]
        key = slice_key(name, _extents(slice_proto, shape))
        found = self._slices.get(key)
        if found is None:
            raise ModelError("slice %s of tensor '%s' is listed but not stored"
                             % (_extents(slice_proto, shape), name), self.index_path)
        return found

    # -- raw access ---------------------------------------------------------------------
    def _file(self, shard):
        if shard >= len(self.data_paths):
            raise ModelError("entry points at shard %d of %d" % (shard, len(self.data_paths)), self.index_path)
        handle = self._files.get(shard)
        if handle is None:
            path = self.data_paths[shard]
            try:
                handle = open(path, "rb")
            except IOError as exc:
                if not os.path.exists(path):
                    raise ModelError("checkpoint data shard is missing (the .index beside it lists it)", path)
                raise ModelError("cannot read: %s" % (exc.strerror or exc), path)
            self._files[shard] = handle
        return handle

    def _check_extent(self, name, proto):
        handle = self._file(proto.shard_id)
        size = os.fstat(handle.fileno()).st_size
        if proto.offset + proto.size > size:
            raise ModelError("truncated: tensor '%s' needs bytes %d..%d but the file has %d"
                             % (name, proto.offset, proto.offset + proto.size, size),
                             self.data_paths[proto.shard_id])
        return handle

    def _iter_stored(self, name, proto, chunk_size, check=True):
        handle = self._check_extent(name, proto)
        handle.seek(proto.offset)
        remaining = proto.size
        crc = 0
        while remaining > 0:
            chunk = handle.read(min(chunk_size, remaining))
            if not chunk:
                raise ModelError("truncated while reading tensor '%s'" % name, self.data_paths[proto.shard_id])
            if check:
                crc = crc32c.value(chunk, crc)
            remaining -= len(chunk)
            if remaining == 0 and check:
                self._check_crc(name, proto, crc)
            yield chunk
        if proto.size == 0 and check:
            self._check_crc(name, proto, crc)

    def _check_crc(self, name, proto, crc):
        if crc32c.mask(crc) != proto.crc32c:
            raise ModelError("crc32c mismatch for tensor '%s': the checkpoint data is corrupt" % name,
                             self.data_paths[proto.shard_id])

    def _read_stored(self, name, proto, dtype=None):
        # A string tensor's checksum covers its lengths as uint64s, not as the stored varints.
        is_string = (proto.dtype if dtype is None else dtype) == DT_STRING
        return b"".join(self._iter_stored(name, proto, 1 << 26, check=not is_string))

    def _decode(self, name, proto, data, shape):
        if proto.dtype == DT_STRING:
            return self._decode_strings(name, proto, data, shape)
        dtype = numpy_dtype(proto.dtype)
        expected = _count(shape) * dtype.itemsize
        if len(data) != expected:
            raise ModelError("tensor '%s' has %d bytes, expected %d for shape %s"
                             % (name, len(data), expected, list(shape)), self.data_paths[proto.shard_id])
        return np.frombuffer(data, dtype=dtype).reshape(shape).copy()

    def _decode_strings(self, name, proto, data, shape):
        count = _count(shape)
        pos = 0
        lengths = []
        try:
            for _ in range(count):
                length, pos = read_varint(data, pos)
                lengths.append(length)
        except ValueError:
            raise ModelError("corrupt string tensor '%s'" % name, self.data_paths[proto.shard_id])
        # TF (1.4 and 2.x alike) checksums each length as a uint32, then the masked length checksum.
        crc = crc32c.value(b"".join(struct.pack("<I", length & 0xFFFFFFFF) for length in lengths))
        if data[pos:pos + 4] != struct.pack("<I", crc32c.mask(crc)):
            raise ModelError("crc32c mismatch in the lengths of string tensor '%s': the checkpoint data is corrupt"
                             % name, self.data_paths[proto.shard_id])
        crc = crc32c.value(data[pos:pos + 4], crc)
        pos += 4
        values = []
        for length in lengths:
            values.append(data[pos:pos + length])
            pos += length
        if pos != len(data):
            raise ModelError("corrupt string tensor '%s' (length mismatch)" % name,
                             self.data_paths[proto.shard_id])
        crc = crc32c.value(data[pos - sum(lengths):pos], crc)
        self._check_crc(name, proto, crc)
        array = np.empty(count, dtype=object)
        array[:] = values
        return array.reshape(shape)

    # -- public reads -------------------------------------------------------------------
    def read(self, name):
        """The whole tensor as numpy (strings: object array of bytes; bfloat16: uint16 bits)."""
        proto = self._proto(name)
        shape = tuple(int(d.size) for d in proto.shape.dim)
        if not proto.slices:
            return self._decode(name, proto, self._read_stored(name, proto), shape)
        full = np.empty(shape, dtype=numpy_dtype(proto.dtype))
        for slice_proto in proto.slices:
            part = self._slice_proto(name, proto, slice_proto)
            starts, lengths = _region(_extents(slice_proto, shape), shape)
            data = self._read_stored(name, part, proto.dtype)
            part_proto = protos.BundleEntryProto()
            part_proto.CopyFrom(part)
            part_proto.dtype = proto.dtype
            value = self._decode(name, part_proto, data, lengths)
            full[tuple(slice(s, s + l) for s, l in zip(starts, lengths))] = value
        return full

    def read_region(self, name, starts, lengths):
        """A sub-block of a tensor (a partition part), read directly when it is one stored slice."""
        proto = self._proto(name)
        shape = [int(d.size) for d in proto.shape.dim]
        for slice_proto in proto.slices:
            if _region(_extents(slice_proto, shape), shape) == (list(starts), list(lengths)):
                part = protos.BundleEntryProto()
                part.CopyFrom(self._slice_proto(name, proto, slice_proto))
                part.dtype = proto.dtype
                return self._decode(name, part, self._read_stored(name, part, proto.dtype), tuple(lengths))
        full = self.read(name)
        return full[tuple(slice(s, s + l) for s, l in zip(starts, lengths))].copy()

    def iter_bytes(self, name, chunk_size=1 << 24):
        """Yields the raw little-endian bytes of a whole, non-string tensor in chunks.

        The CRC is checked after the last chunk (ModelError naming tensor and shard).
        """
        proto = self._proto(name)
        if proto.slices or proto.dtype == DT_STRING:
            yield self.read(name).tobytes()
            return
        for chunk in self._iter_stored(name, proto, chunk_size):
            yield chunk

    def preview(self, name, count=10):
        """The first ``count`` values as Python numbers or strings, for display."""
        entry = self.entry(name)
        if entry.nbytes > (64 << 20):
            proto = self._proto(name)
            if not proto.slices and proto.dtype != DT_STRING:
                dtype = numpy_dtype(proto.dtype)
                handle = self._check_extent(name, proto)
                handle.seek(proto.offset)
                flat = np.frombuffer(handle.read(count * dtype.itemsize), dtype=dtype)
                return _display(flat, proto.dtype)
        flat = self.read(name).ravel()[:count]
        return _display(flat, entry.dtype)

    def close(self):
        for handle in self._files.values():
            handle.close()
        self._files = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _display(flat, dtype):
    if dtype == DT_BFLOAT16:
        flat = (flat.astype(np.uint32) << 16).view(np.float32)
    values = []
    for value in flat.tolist():
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        values.append(value)
    return values


def open_checkpoint(prefix):
    """Opens the checkpoint at ``prefix``: V2 (`.index`) or V1 (a single table file).

    Raises:
        ModelError: naming the file when it is missing or unreadable.
    """
    if os.path.isfile(prefix + ".index"):
        return CheckpointReader(prefix)
    from core.formats.v1_checkpoint import V1CheckpointReader, is_v1_checkpoint
    if is_v1_checkpoint(prefix):
        return V1CheckpointReader(prefix)
    if os.path.isfile(prefix):
        raise ModelError("not a TensorFlow checkpoint (no .index beside it, and not a V1 checkpoint)", prefix)
    raise ModelError("no checkpoint here (looked for %s.index)" % os.path.basename(prefix), prefix)
