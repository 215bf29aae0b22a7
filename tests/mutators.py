"""Deterministic damage to a checkpoint folder: raw byte mutations and structured index/graph edits.

Shared by tests/core/test_mutations.py and tools/mutation_campaign.py. Every mutation
takes a random.Random and the folder's prefix and returns a short description.
"""

import os

from core.formats import protos
from core.formats.wire import encode_varint, length_field
from tests import damage

FILES = (".index", ".data-00000-of-00001", ".meta", "checkpoint")


def _bytes(path):
    with open(path, "rb") as handle:
        return bytearray(handle.read())


def _write(path, data):
    with open(path, "wb") as handle:
        handle.write(bytes(data))


def _raw(rng, path):
    data = _bytes(path)
    kind = rng.choice(["flip", "flip", "set", "truncate", "delete", "insert", "duplicate", "varint"])
    if not data:
        kind = "insert"
    at = rng.randrange(len(data) or 1)
    if kind == "flip":
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(data))
            data[pos] ^= 1 << rng.randrange(8)
    elif kind == "set":
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.choice([0, 0xFF, 0x7F, 0x80, rng.randrange(256)])
    elif kind == "truncate":
        del data[at:]
    elif kind == "delete":
        del data[at:at + rng.randint(1, 64)]
    elif kind == "insert":
        data[at:at] = bytearray(rng.randrange(256) for _ in range(rng.randint(1, 32)))
    elif kind == "duplicate":
        chunk = data[at:at + rng.randint(1, 256)]
        data[at:at] = chunk
    else:
        data[at:at + 1] = encode_varint(rng.choice([1 << 31, 1 << 40, (1 << 64) - 1, 1 << 62]))
    _write(path, data)
    return "%s %s at %d" % (os.path.basename(path).split(".", 1)[-1], kind, at)  # e.g. "ckpt.meta flip at 9"


def _edit_entry(rng, proto, is_header):
    if is_header:
        field = rng.choice(["num_shards", "endianness"])
        setattr(proto, field, rng.choice([0, -1, 2, 7, (1 << 31) - 1, -(1 << 31)]))
        return field
    field = rng.choice(["size", "offset", "shard_id", "dtype", "shape", "slices", "crc32c"])
    if field == "size":
        proto.size = rng.choice([-1, 0, proto.size - 4, proto.size + 4, proto.size * 2, 1 << 62])
    elif field == "offset":
        proto.offset = rng.choice([-1, -proto.size - 1, proto.offset + 4, proto.offset - 4, 1 << 62])
    elif field == "shard_id":
        proto.shard_id = rng.choice([-1, 1, 2, (1 << 31) - 1])
    elif field == "dtype":
        proto.dtype = rng.choice([0, 1, 2, 3, 7, 9, 10, 14, 19, 20, 21, 30])
    elif field == "shape":
        dims = proto.shape.dim
        choice = rng.randrange(4)
        if choice == 0 and len(dims):
            dims[rng.randrange(len(dims))].size = rng.choice([-1, 0, 1, 3, 1 << 40])
        elif choice == 1:
            dims.add().size = rng.choice([1, 2])
        elif choice == 2 and len(dims):
            del dims[rng.randrange(len(dims))]
        else:
            proto.shape.unknown_rank = True
    elif field == "slices":
        if not proto.slices:
            extent = proto.slices.add().extent.add()
            extent.start, extent.length = 0, rng.choice([1, 2])
        else:
            choice = rng.randrange(4)
            index = rng.randrange(len(proto.slices))
            if choice == 0:
                del proto.slices[index]
            elif choice == 1:
                proto.slices.add().CopyFrom(proto.slices[index])
            elif choice == 2:
                proto.slices[index].extent[0].start += rng.choice([-20, -1, 1, 5, 25])
            else:
                proto.slices[index].extent[0].length = rng.choice([0, 1, 11, 40, -5])
    else:
        proto.crc32c ^= 1 << rng.randrange(32)
    return field


def _structured_index(rng, prefix):
    """Edits one entry of the index and writes it back with valid checksums."""
    entries = damage.read_index(prefix)
    choice = rng.randrange(10)
    if choice == 0:
        at = rng.randrange(len(entries))
        key, proto = entries[at]
        entries.append((key + rng.choice([b"\xff", b"\x80x", b"\n", b"'"]), proto))
        damage.write_index(prefix, entries)
        return "index key added after %r" % key
    if choice == 1 and len(entries) > 2:
        at = rng.randrange(1, len(entries))
        key = entries.pop(at)[0]
        damage.write_index(prefix, entries)
        return "index entry %r removed" % key
    at = rng.randrange(len(entries))
    key, proto = entries[at]
    field = _edit_entry(rng, proto, not key)
    damage.write_index(prefix, entries)
    return "index entry %r: %s" % (key, field)


def _structured_meta(rng, path):
    """Edits the binary MetaGraphDef's graph: duplicates, cycles, odd names, odd wire types."""
    meta = protos.MetaGraphDef()
    meta.ParseFromString(bytes(_bytes(path)))
    nodes = meta.graph_def.node
    choice = rng.randrange(6)
    node = nodes[rng.randrange(len(nodes))]
    tail = b""
    if choice == 0:
        nodes.add().CopyFrom(node)
        what = "node %r duplicated" % node.name
    elif choice == 1:
        identities = [n for n in nodes if n.op == "Identity" and n.input]
        if identities:
            node = rng.choice(identities)
            node.input[0] = node.name
        what = "identity cycle at %r" % node.name
    elif choice == 2:
        node.name = node.name + rng.choice(["\n", "\r\n\x1b[2J", "\u2028", "'"]) + "x" * rng.choice([1, 300])
        what = "node renamed"
    elif choice == 3:
        node.op = rng.choice(["", "NoSuchOp", node.op + "\n"])
        what = "op of %r changed" % node.name
    else:
        raw = rng.choice([encode_varint(5 << 3) + encode_varint(3),
                          encode_varint((9 << 3) | 3) + encode_varint((9 << 3) | 4),
                          encode_varint((5 << 3) | 1) + b"\x00" * 8])
        index = list(nodes).index(node)
        body = b"".join(length_field(1, n.SerializeToString() + (raw if i == index else b""))
                        for i, n in enumerate(nodes))
        rest = protos.GraphDef()
        rest.CopyFrom(meta.graph_def)
        del rest.node[:]
        meta.ClearField("graph_def")
        tail = length_field(2, body + rest.SerializeToString())
        what = "node %r gets a field with wire type %d" % (node.name, raw[0] & 7)
    _write(path, meta.SerializeToString() + tail)
    return "meta " + what


def mutate(rng, prefix):
    """Applies one random mutation to the checkpoint at ``prefix``; returns its description."""
    kind = rng.random()
    if kind < 0.35:
        return _structured_index(rng, prefix)
    if kind < 0.5:
        return _structured_meta(rng, prefix + ".meta")
    suffix = rng.choice(FILES)
    if suffix == "checkpoint":  # the state file beside the checkpoint
        return _raw(rng, os.path.join(os.path.dirname(prefix), suffix))
    return _raw(rng, prefix + suffix)
