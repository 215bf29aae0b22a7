"""Reading TensorFlow V2 checkpoints (tensor bundles: `.index` + `.data-*` shards) without TensorFlow."""

import collections
import logging
import os
import struct

from core.formats import crc32c
from core.formats import dtypes, protos
from core.errors import ModelError, quote
from core.formats.files import open_regular, present
from core.formats.checkpoint_versions import check_versions
from core.formats.dtypes import DT_BFLOAT16, DT_STRING
from core.formats.slice_keys import slice_key
from core.formats.sstable import read_table
from core.formats.wire import read_varint

log = logging.getLogger(__name__)

class TensorEntry(collections.namedtuple("TensorEntry", "name dtype shape nbytes partitioned")):
    """One tensor listed in a checkpoint. nbytes: bytes of its stored data (all slices)."""


MAX_SLICES = 1 << 14


def _stored_itemsize(dtype, path):
    """Bytes per element of a dtype a bundle can store (0 for strings); ModelError for the others."""
    if dtype == DT_STRING:
        return 0
    if dtypes.numpy_code(dtype) is None:
        raise ModelError("tensors of type %s cannot be read" % dtypes.name(dtype), path)
    return dtypes.itemsize(dtype)


def _numpy_dtype(dtype, path):
    try:
        return dtypes.numpy_dtype(dtype)
    except ValueError as exc:
        raise ModelError(str(exc), path)


def _count(shape):
    total = 1
    for dim in shape:
        total *= dim
    return total


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
                raise ModelError("corrupt entry for %s (%s)" % (quote(key), quote(exc, 200)),
                                 self.index_path)
            if not key:
                header = entry
            elif key[:1] == b"\x00":
                self._slices[key] = entry
            else:
                try:
                    self._entries[key.decode("utf-8")] = entry
                except UnicodeDecodeError:
                    raise ModelError("corrupt: tensor name %s is not UTF-8" % quote(key), self.index_path)
        if header is None:
            raise ModelError("not a V2 checkpoint index (no bundle header)", self.index_path)
        if header.endianness != 0:
            raise ModelError("big-endian checkpoints are not supported", self.index_path)
        check_versions(header.version, "bundle header", self.index_path)
        self.data_paths = _shard_paths(prefix, header.num_shards, self.index_path)

    # -- listing ----------------------------------------------------------------------
    def names(self):
        """Sorted tensor names (slice keys and the header hidden)."""
        return sorted(self._entries)

    def __contains__(self, name):
        return name in self._entries

    def _proto(self, name):
        proto = self._entries.get(name)
        if proto is None:
            raise ModelError("checkpoint has no tensor %s" % quote(name), self.index_path)
        return proto

    def entry(self, name):
        """TensorEntry of ``name``, after checking the entry is consistent.

        Raises:
            ModelError: a size that disagrees with shape and dtype, a bad offset or shard,
                slices outside the tensor, overlapping or leaving a gap.
        """
        proto = self._proto(name)
        shape = self._shape(name, proto)
        if proto.slices:
            nbytes = sum(part.size for part in self._checked_slices(name, proto, shape))
        else:
            self._check_sizes(name, proto, shape)
            nbytes = proto.size
        return TensorEntry(name, proto.dtype, shape, nbytes, bool(proto.slices))

    def _shape(self, name, proto):
        shape = tuple(int(d.size) for d in proto.shape.dim)
        if any(d < 0 for d in shape):
            raise ModelError("corrupt: tensor %s has a negative dimension in shape %s"
                             % (quote(name), list(shape)), self.index_path)
        return shape

    def _check_sizes(self, name, proto, shape, dtype=None):
        """A stored entry's size, offset and shard against its shape and dtype."""
        dtype = proto.dtype if dtype is None else dtype
        size = _stored_itemsize(dtype, self.index_path)
        if proto.size < 0 or proto.offset < 0:
            raise ModelError("corrupt: invalid size %d or offset %d in the entry of tensor %s"
                             % (proto.size, proto.offset, quote(name)), self.index_path)
        if not 0 <= proto.shard_id < len(self.data_paths):
            raise ModelError("corrupt: tensor %s points at shard %d of %d"
                             % (quote(name), proto.shard_id, len(self.data_paths)), self.index_path)
        if dtype != DT_STRING:
            expected = _count(shape) * size
            if proto.size != expected:
                raise ModelError("corrupt: tensor %s has %d bytes, expected %d for %s of shape %s"
                                 % (quote(name), proto.size, expected, dtypes.name(dtype),
                                    list(shape)), self.index_path)

    def _checked_slices(self, name, proto, shape):
        """The stored entries of a partitioned tensor's slices, checked to tile it exactly."""
        if len(proto.slices) > MAX_SLICES:
            raise ModelError("corrupt: tensor %s lists %d slices" % (quote(name), len(proto.slices)),
                             self.index_path)
        parts, boxes = [], []
        for slice_proto in proto.slices:
            if len(slice_proto.extent) > len(shape):
                raise ModelError("corrupt: a slice of tensor %s has %d dimensions, the tensor %d"
                                 % (quote(name), len(slice_proto.extent), len(shape)), self.index_path)
            extents = _extents(slice_proto, shape)
            starts, lengths = _region(extents, shape)
            if any(s < 0 or l < 0 or s + l > d for s, l, d in zip(starts, lengths, shape)):
                raise ModelError("corrupt: slice %s of tensor %s lies outside its shape %s"
                                 % (extents, quote(name), list(shape)), self.index_path)
            part = self._slice_proto(name, proto, slice_proto)
            self._shape(name, part)  # TF's reader refuses a slice entry's invalid shape ("Invaid tensor shape")
            if part.dtype != proto.dtype:  # TF reads the slice as its own dtype, copies it as the tensor's
                raise ModelError("corrupt: a slice of tensor %s is stored as %s, the tensor is %s"
                                 % (quote(name), dtypes.name(part.dtype), dtypes.name(proto.dtype)), self.index_path)
            self._check_sizes(name, part, lengths, proto.dtype)
            parts.append(part)
            boxes.append((starts, lengths))
        check_tiling(name, shape, boxes, self.index_path)
        return parts

    def _slice_proto(self, name, proto, slice_proto):
        shape = [d.size for d in proto.shape.dim]
        key = slice_key(name, _extents(slice_proto, shape))
        found = self._slices.get(key)
        if found is None:
            raise ModelError("slice %s of tensor %s is listed but not stored"
                             % (_extents(slice_proto, shape), quote(name)), self.index_path)
        return found

    # -- raw access ---------------------------------------------------------------------
    def _file(self, shard):
        handle = self._files.get(shard)  # (the shard number was checked by _check_extent)
        if handle is None:
            path = self.data_paths[shard]
            if not present(path):
                raise ModelError("checkpoint data shard is missing (the .index beside it lists it)", path)
            handle = open_regular(path)[0]
            self._files[shard] = handle
        return handle

    def _check_extent(self, name, proto):
        if proto.size < 0 or proto.offset < 0 or not 0 <= proto.shard_id < len(self.data_paths):
            raise ModelError("corrupt: invalid size %d, offset %d or shard %d in the entry of tensor %s"
                             % (proto.size, proto.offset, proto.shard_id, quote(name)), self.index_path)
        handle = self._file(proto.shard_id)
        size = os.fstat(handle.fileno()).st_size
        if proto.offset + proto.size > size:
            raise ModelError("truncated: tensor %s needs bytes %d..%d but the file has %d"
                             % (quote(name), proto.offset, proto.offset + proto.size, size),
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
                raise ModelError("truncated while reading tensor %s" % quote(name),
                                 self.data_paths[proto.shard_id])
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
            raise ModelError("crc32c mismatch for tensor %s: the checkpoint data is corrupt" % quote(name),
                             self.data_paths[proto.shard_id])

    def _read_stored(self, name, proto, dtype=None):
        # A string tensor's checksum covers its lengths as uint64s, not as the stored varints.
        is_string = (proto.dtype if dtype is None else dtype) == DT_STRING
        return b"".join(self._iter_stored(name, proto, 1 << 26, check=not is_string))

    def _decode(self, name, proto, data, shape):
        import numpy as np
        if proto.dtype == DT_STRING:
            return self._decode_strings(name, proto, data, shape)
        dtype = _numpy_dtype(proto.dtype, self.index_path)
        expected = _count(shape) * dtype.itemsize
        if len(data) != expected:
            raise ModelError("tensor %s has %d bytes, expected %d for shape %s"
                             % (quote(name), len(data), expected, list(shape)), self.index_path)
        return np.frombuffer(data, dtype=dtype).reshape(shape).copy()

    def _decode_strings(self, name, proto, data, shape):
        import numpy as np
        count = _count(shape)
        pos = 0
        lengths = []
        try:
            for _ in range(count):
                length, pos = read_varint(data, pos)
                lengths.append(length)
        except ValueError:
            raise ModelError("corrupt string tensor %s" % quote(name), self.data_paths[proto.shard_id])
        # TF (1.4 and 2.x alike) checksums each length as a uint32, then the masked length checksum.
        crc = crc32c.value(b"".join(struct.pack("<I", length & 0xFFFFFFFF) for length in lengths))
        if data[pos:pos + 4] != struct.pack("<I", crc32c.mask(crc)):
            raise ModelError("crc32c mismatch in the lengths of string tensor %s: the checkpoint data is "
                             "corrupt" % quote(name), self.data_paths[proto.shard_id])
        crc = crc32c.value(data[pos:pos + 4], crc)
        pos += 4
        values = []
        for length in lengths:
            values.append(data[pos:pos + length])
            pos += length
        if pos != len(data):
            raise ModelError("corrupt string tensor %s (length mismatch)" % quote(name),
                             self.data_paths[proto.shard_id])
        crc = crc32c.value(data[pos - sum(lengths):pos], crc)
        self._check_crc(name, proto, crc)
        array = np.empty(count, dtype=object)
        array[:] = values
        return array.reshape(shape)

    # -- public reads -------------------------------------------------------------------
    def read(self, name):
        """The whole tensor as numpy (strings: object array of bytes; bfloat16: uint16 bits)."""
        import numpy as np
        proto = self._proto(name)
        shape = self._shape(name, proto)
        if not proto.slices:
            return self._decode(name, proto, self._read_stored(name, proto), shape)
        parts = self._checked_slices(name, proto, shape)
        full = np.empty(shape, dtype=_numpy_dtype(proto.dtype, self.index_path))
        for slice_proto, part in zip(proto.slices, parts):
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
        shape = list(self._shape(name, proto))
        if len(starts) != len(shape) or len(lengths) != len(shape) or any(
                s < 0 or l < 0 or s + l > d for s, l, d in zip(starts, lengths, shape)):
            raise ModelError("the saver reads region starts %s lengths %s of tensor %s, outside its shape %s"
                             % (list(starts), list(lengths), quote(name), shape), self.index_path)
        stored_slices = self._checked_slices(name, proto, shape) if proto.slices else []
        for slice_proto, stored in zip(proto.slices, stored_slices):
            if _region(_extents(slice_proto, shape), shape) == (list(starts), list(lengths)):
                part = protos.BundleEntryProto()
                part.CopyFrom(stored)
                part.dtype = proto.dtype
                return self._decode(name, part, self._read_stored(name, part, proto.dtype), tuple(lengths))
        full = self.read(name)
        return full[tuple(slice(s, s + l) for s, l in zip(starts, lengths))].copy()

    def iter_bytes(self, name, chunk_size=1 << 24):
        """Yields the raw little-endian bytes of a whole, non-string tensor in chunks.

        The entry's size is checked against its shape and dtype first, the CRC after the
        last chunk (ModelError naming tensor and shard).
        """
        proto = self._proto(name)
        if proto.slices or proto.dtype == DT_STRING:
            yield self.read(name).tobytes()
            return
        self._check_sizes(name, proto, self._shape(name, proto))
        for chunk in self._iter_stored(name, proto, chunk_size):
            yield chunk

    def preview(self, name, count=10):
        """The first ``count`` values as Python numbers or strings, for display."""
        import numpy as np
        entry = self.entry(name)
        proto = self._proto(name)
        if entry.nbytes > (64 << 20) and not proto.slices and proto.dtype != DT_STRING:
            dtype = _numpy_dtype(proto.dtype, self.index_path)  # a large plain tensor: its first values only
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


def _shard_paths(prefix, num_shards, index_path):
    """The data shard names the header announces, checked against the files present."""
    if num_shards < 1:
        raise ModelError("corrupt: the bundle header says %d data shards" % num_shards, index_path)
    if num_shards > 1:
        folder, base = os.path.split(os.path.abspath(prefix))
        suffix = "-of-%05d" % num_shards
        try:
            found = sum(1 for n in os.listdir(folder or ".")
                          if n.startswith(base + ".data-") and n.endswith(suffix))
        except OSError:
            found = 0
        if found < num_shards:
            raise ModelError("the bundle header says %d data shards but %d %s.data-*%s files are present "
                             "(missing shards, or a corrupt header)" % (num_shards, found, base, suffix),
                             index_path)
    return ["%s.data-%05d-of-%05d" % (prefix, i, num_shards) for i in range(num_shards)]


def check_tiling(name, shape, boxes, path):
    """Slices must cover every element of the tensor exactly once, as TensorFlow requires."""
    import numpy as np
    total = _count(shape)
    covered = sum(_count(lengths) for _, lengths in boxes)
    starts = np.array([b[0] for b in boxes], dtype=np.int64).reshape(len(boxes), len(shape))
    ends = starts + np.array([b[1] for b in boxes], dtype=np.int64).reshape(len(boxes), len(shape))
    for i in range(len(boxes) - 1):  # each box against those after it
        low = np.maximum(starts[i + 1:], starts[i])
        high = np.minimum(ends[i + 1:], ends[i])
        if np.all(low < high, axis=1).any():
            raise ModelError("corrupt: overlapping slices in tensor %s" % quote(name), path)
    if covered != total:
        raise ModelError("corrupt: the slices of tensor %s do not cover it (%d of %d elements)"
                         % (quote(name), covered, total), path)


def _display(flat, dtype):
    import numpy as np
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
    if present(prefix + ".index"):
        return CheckpointReader(prefix)
    from core.formats.v1_checkpoint import V1CheckpointReader, is_v1_checkpoint
    if is_v1_checkpoint(prefix):
        return V1CheckpointReader(prefix)
    if os.path.isfile(prefix):
        raise ModelError("not a TensorFlow checkpoint (no .index beside it, and not a V1 checkpoint)", prefix)
    raise ModelError("no checkpoint here (looked for %s.index)" % os.path.basename(prefix), prefix)
