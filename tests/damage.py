"""Building damaged checkpoints and graphs at test time: a table writer and index rewriting."""

import os
import struct

from core.formats import crc32c, protos
from core.formats.sstable import MAGIC, read_table
from core.formats.wire import encode_varint


def _block(entries):
    body = b""
    restarts = []
    for key, value in entries:
        restarts.append(len(body))
        body += encode_varint(0) + encode_varint(len(key)) + encode_varint(len(value)) + key + value
    restarts = restarts or [0]
    body += b"".join(struct.pack("<I", r) for r in restarts) + struct.pack("<I", len(restarts))
    return body


def _with_trailer(block):
    crc = crc32c.mask(crc32c.value(block + b"\x00"))
    return block + b"\x00" + struct.pack("<I", crc)


def table_bytes(items):
    """A LevelDB-style table holding ``items`` (list of (key bytes, value bytes)) as given.

    Keys are written in the given order (pass them unsorted to build a damaged table).
    """
    data = _block(items)
    out = _with_trailer(data)
    handle = encode_varint(0) + encode_varint(len(data))
    last = items[-1][0] if items else b""
    meta = _block([])
    meta_at = len(out)
    out += _with_trailer(meta)
    index = _block([(last + b"\xff", handle)])
    index_at = len(out)
    out += _with_trailer(index)
    footer = encode_varint(meta_at) + encode_varint(len(meta)) + encode_varint(index_at) + encode_varint(len(index))
    footer += b"\x00" * (40 - len(footer)) + struct.pack("<Q", MAGIC)
    return out + footer


def read_index(prefix):
    """[(key, parsed proto)] of a checkpoint's `.index` (header first)."""
    result = []
    for key, value in read_table(prefix + ".index"):
        proto = protos.BundleEntryProto() if key else protos.BundleHeaderProto()
        proto.ParseFromString(value)
        result.append((key, proto))
    return result


def write_index(prefix, entries, sort=True):
    """Writes ``entries`` ([(key, proto)]) as the checkpoint's `.index`."""
    items = [(key, proto.SerializeToString()) for key, proto in entries]
    if sort:
        items.sort(key=lambda item: item[0])
    with open(prefix + ".index", "wb") as handle:
        handle.write(table_bytes(items))


def edit_entry(prefix, name, edit):
    """Applies ``edit(proto)`` to the index entry of tensor ``name`` and writes the index back."""
    entries = read_index(prefix)
    key = name if isinstance(name, bytes) else name.encode("utf-8")
    for entry_key, proto in entries:
        if entry_key == key:
            edit(proto)
            break
    else:
        raise KeyError(name)
    write_index(prefix, entries)


def data_path(prefix, shard=0, shards=1):
    return "%s.data-%05d-of-%05d" % (prefix, shard, shards)


def stored_bytes(prefix, proto):
    with open(data_path(prefix, proto.shard_id), "rb") as handle:
        handle.seek(proto.offset)
        return handle.read(proto.size)


def masked_crc(data):
    return crc32c.mask(crc32c.value(data))


def file_size(path):
    return os.path.getsize(path)


# -- whole-file damage and special files -------------------------------------------------------

def truncate(path, keep=0.5):
    """Keeps the first ``keep`` fraction of the file."""
    with open(path, "rb") as handle:
        data = handle.read()
    with open(path, "wb") as handle:
        handle.write(data[:int(len(data) * keep)])


def garble(path):
    """Replaces every byte of the file by a deterministic pattern (same size)."""
    size = os.path.getsize(path)
    with open(path, "wb") as handle:
        handle.write(bytes(bytearray((i * 131 + 7) % 251 for i in range(size))))


def flip_tenths(path):
    """Flips one byte in every tenth of the file, so every large tensor is hit."""
    with open(path, "r+b") as handle:
        data = bytearray(handle.read())
        for tenth in range(1, 10):
            data[len(data) * tenth // 10] ^= 0x5A
        handle.seek(0)
        handle.write(bytes(data))


def replace_by_fifo(path):
    os.remove(path)
    os.mkfifo(path)


def replace_by_link(path, target):
    os.remove(path)
    os.symlink(target, path)


def replace_by_link_loop(path):
    """``path`` -> ``path``.loop -> ``path``: opening either fails with ELOOP."""
    os.remove(path)
    os.symlink(os.path.basename(path) + ".loop", path)
    os.symlink(os.path.basename(path), path + ".loop")


def replace_by_folder(path):
    os.remove(path)
    os.mkdir(path)


def snapshot(folder):
    """What is in ``folder``, for "input files never modified": a digest per regular file, the
    target of each symbolic link and the type of anything else (never opened: a FIFO would block)."""
    import hashlib
    import stat
    found = {}
    for base, folders, files in os.walk(str(folder)):
        for name in files + [f for f in folders if os.path.islink(os.path.join(base, f))]:
            path = os.path.join(base, name)
            mode = os.lstat(path).st_mode
            key = os.path.relpath(path, str(folder))
            if stat.S_ISLNK(mode):
                found[key] = ("link", os.readlink(path))
            elif stat.S_ISREG(mode):
                with open(path, "rb") as handle:
                    found[key] = ("file", hashlib.sha256(handle.read()).hexdigest())
            else:
                found[key] = ("special", stat.S_IFMT(mode))
    return found


def edit_meta(meta_path, edit):
    """Applies ``edit(MetaGraphDef)`` to a binary `.meta` and writes it back."""
    meta = protos.MetaGraphDef()
    with open(meta_path, "rb") as handle:
        meta.ParseFromString(handle.read())
    edit(meta)
    with open(meta_path, "wb") as handle:
        handle.write(meta.SerializeToString())


def nodes_of(meta):
    return dict((n.name, n) for n in meta.graph_def.node)
