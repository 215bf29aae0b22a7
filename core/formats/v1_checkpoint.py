"""Reading TensorFlow V1 checkpoints (TensorSliceWriter tables of SavedTensorSlices) without TensorFlow."""

import glob
import logging
import os
import re


from core.errors import ModelError
from core.formats import dtypes, protos
from core.formats.bundle import TensorEntry, check_tiling
from core.formats.checkpoint_versions import check_versions
from core.formats.dtypes import DT_STRING
from core.formats.slice_keys import slice_key
from core.formats.sstable import is_table, read_table

log = logging.getLogger(__name__)

_SHARD_RE = re.compile(r"-[0-9?]{5}-of-[0-9?]{5}$")


def strip_shard_suffix(prefix):
    """`model.ckpt-?????-of-00002` (as a V1 state file names it) -> `model.ckpt`."""
    return _SHARD_RE.sub("", prefix)


def v1_files(prefix):
    """The V1 table files of ``prefix``: the single file, or its `-NNNNN-of-NNNNN` shards, sorted.

    Returns an empty list when there is none.
    """
    prefix = strip_shard_suffix(prefix)
    if os.path.isfile(prefix) and is_table(prefix):
        return [prefix]
    shards = sorted(p for p in glob.glob(glob.escape(prefix) + "-[0-9]*-of-[0-9]*")
                    if _SHARD_RE.search(p) and is_table(p))
    return shards


def is_v1_checkpoint(prefix):
    return bool(v1_files(prefix))


def _count(shape):
    total = 1
    for dim in shape:
        total *= dim
    return total


def _extents(slice_proto, rank):
    """(start, length) per dimension; (0, -1) for a whole dimension (TensorSlice's kFullExtent)."""
    result = []
    for extent in slice_proto.extent:
        if extent.WhichOneof("has_length") is None:
            result.append((0, -1))
        else:
            result.append((int(extent.start), int(extent.length)))
    result.extend([(0, -1)] * (rank - len(result)))
    return result


def _region(extents, shape):
    starts = [s for s, _ in extents]
    lengths = [dim if length < 0 else length for (_, length), dim in zip(extents, shape)]
    return starts, lengths


class _Tensor(object):
    def __init__(self, name, dtype, shape):
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.slices = []  # (extents, file path)


class V1CheckpointReader(object):
    """A V1 checkpoint opened for reading; same API as core.formats.bundle.CheckpointReader.

    Attributes:
        prefix: the checkpoint prefix (without any shard suffix).
        index_path: the first table file (named in error messages).
        data_paths: every table file.
    """

    version = 1

    def __init__(self, prefix):
        self.prefix = strip_shard_suffix(prefix)
        self.data_paths = v1_files(self.prefix)
        if not self.data_paths:
            raise ModelError("no V1 checkpoint here (no table file named like this)", prefix)
        self.index_path = self.data_paths[0]
        self._tensors = {}
        self._values = {}  # encoded slice key -> (value bytes, path)
        for path in self.data_paths:
            self._load(path)

    def _load(self, path):
        meta = None
        for key, value in read_table(path):
            if key:
                self._values[bytes(key)] = (value, path)
                continue
            meta = protos.SavedTensorSlices()
            try:
                meta.ParseFromString(value)
            except Exception as exc:  # protobuf raises DecodeError or RuntimeError by backend
                raise ModelError("corrupt V1 checkpoint metadata (%s)" % exc, path)
        if meta is None or not meta.HasField("meta"):
            raise ModelError("not a V1 checkpoint (the table has no tensor list under the empty key)", path)
        check_versions(meta.meta.versions, "V1 checkpoint's tensor list", path)
        for item in meta.meta.tensor:
            shape = tuple(int(d.size) for d in item.shape.dim)
            tensor = self._tensors.get(item.name)
            if tensor is None:
                tensor = self._tensors[item.name] = _Tensor(item.name, int(item.type), shape)
            elif tensor.shape != shape or tensor.dtype != item.type:
                raise ModelError("tensor '%s' has another shape or type than in %s"
                                 % (item.name, os.path.basename(self.index_path)), path)
            for slice_proto in item.slice:
                tensor.slices.append((_extents(slice_proto, len(shape)), path))

    # -- listing ----------------------------------------------------------------------
    def names(self):
        return sorted(self._tensors)

    def __contains__(self, name):
        return name in self._tensors

    def _tensor(self, name):
        tensor = self._tensors.get(name)
        if tensor is None:
            raise ModelError("checkpoint has no tensor '%s'" % name, self.index_path)
        return tensor

    def entry(self, name):
        tensor = self._checked(self._tensor(name))
        partitioned = len(tensor.slices) != 1 or any(l >= 0 for _, l in tensor.slices[0][0])
        if tensor.dtype == DT_STRING:
            nbytes = sum(len(v) for _, v in self._slice_values(tensor))
        else:
            nbytes = _count(tensor.shape) * (dtypes.itemsize(tensor.dtype) or 0)
        return TensorEntry(name, tensor.dtype, tensor.shape, nbytes, partitioned)

    # -- reads ------------------------------------------------------------------------
    def _numpy_dtype(self, tensor):
        try:
            return dtypes.numpy_dtype(tensor.dtype)
        except ValueError as exc:
            raise ModelError("tensor '%s': %s" % (tensor.name, exc), self.index_path)

    def _checked(self, tensor):
        """The tensor, once its slices lie inside its shape and tile it exactly.

        TensorFlow's reader fills what no slice covers with whatever memory held, so a gap has no
        right value: it is refused, as in a V2 checkpoint.
        """
        boxes = []
        for extents, path in tensor.slices:
            starts, lengths = _region(extents, tensor.shape)
            if len(extents) != len(tensor.shape) or any(
                    st < 0 or ln < 0 or st + ln > d for st, ln, d in zip(starts, lengths, tensor.shape)):
                raise ModelError("corrupt: slice %s of tensor '%s' lies outside its shape %s"
                                 % (extents, tensor.name, list(tensor.shape)), path)
            boxes.append((starts, lengths))
        check_tiling(tensor.name, tensor.shape, boxes, self.index_path)
        return tensor

    def _slice_values(self, tensor):
        for extents, path in self._checked(tensor).slices:
            stored = self._values.get(slice_key(tensor.name, extents))
            if stored is None:
                raise ModelError("slice %s of tensor '%s' is listed but not stored" % (extents, tensor.name), path)
            yield extents, stored[0]

    def _decode_slice(self, tensor, extents, value):
        starts, lengths = _region(extents, tensor.shape)
        message = protos.SavedTensorSlices()
        path = self.index_path
        try:
            message.ParseFromString(value)
        except Exception as exc:
            raise ModelError("corrupt data of tensor '%s' (%s)" % (tensor.name, exc), path)
        try:
            array = dtypes.slice_values(message.data.data, tensor.dtype, _count(lengths))
        except ValueError as exc:
            raise ModelError("tensor '%s' (slice %s) %s" % (tensor.name, extents, exc), path)
        return starts, lengths, array.reshape(lengths)

    def read(self, name):
        """The whole tensor as numpy (strings: object array of bytes; bfloat16: uint16 bits)."""
        import numpy as np
        tensor = self._tensor(name)
        slices = list(self._slice_values(tensor))
        if len(slices) == 1:  # it covers the whole tensor (checked by _checked)
            return self._decode_slice(tensor, slices[0][0], slices[0][1])[2]
        full = np.zeros(tensor.shape, dtype=self._numpy_dtype(tensor))
        for extents, value in slices:
            starts, lengths, array = self._decode_slice(tensor, extents, value)
            full[tuple(slice(s, s + l) for s, l in zip(starts, lengths))] = array
        return full

    def read_region(self, name, starts, lengths):
        tensor = self._tensor(name)
        for extents, value in self._slice_values(tensor):
            if _region(extents, tensor.shape) == (list(starts), list(lengths)):
                return self._decode_slice(tensor, extents, value)[2]
        full = self.read(name)
        return full[tuple(slice(s, s + l) for s, l in zip(starts, lengths))].copy()

    def iter_bytes(self, name, chunk_size=1 << 24):
        """The raw little-endian bytes of a whole, non-string tensor (one chunk)."""
        import numpy as np
        yield np.ascontiguousarray(self.read(name)).tobytes()

    def preview(self, name, count=10):
        flat = self.read(name).ravel()[:count]  # (no bfloat16: TensorFlow cannot save it as V1)
        return [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in flat.tolist()]

    def close(self):
        """Nothing to release: the tables were read whole when opened."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
