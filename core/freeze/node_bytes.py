"""Editing one serialized NodeDef field by field, keeping every other byte as it was."""

from core.formats import protos
from core.formats.wire import LENGTH, iter_fields, length_field

NAME, OP, INPUT, DEVICE, ATTR = 1, 2, 3, 4, 5


class RawNode(object):
    """A NodeDef held as its serialized fields, for byte-faithful edits.

    Fields the editor does not touch are written back exactly as read, in the
    same order. Attr map entries are kept as raw entries keyed by name.

    Raises:
        ValueError: the bytes are not a NodeDef (bad varints, groups, wrong wire types).
    """

    def __init__(self, data):
        self._fields = []  # (number, raw bytes of the whole field)
        self.changed = False
        data = bytes(data)
        for number, wire_type, field_start, _, end in iter_fields(data):
            if number in (NAME, OP, INPUT, DEVICE, ATTR) and wire_type != LENGTH:
                raise ValueError("NodeDef field %d has wire type %d" % (number, wire_type))
            self._fields.append((number, data[field_start:end]))
        self._source = data
        for _ in self.attr_entries():
            pass

    def to_bytes(self):
        """The node's serialized bytes: the source bytes when nothing changed."""
        if not self.changed:
            return self._source
        return b"".join(raw for _, raw in self._fields)

    def _payload(self, raw):
        """The payload of one stored field (``raw`` is its tag, length and payload)."""
        _, _, _, start, end = next(iter_fields(raw))
        return raw[start:end]

    def attr_entries(self):
        """Yields (key, raw AttrValue bytes) for each attr entry in order."""
        for number, raw in self._fields:
            if number == ATTR:
                key, value = self._split_entry(self._payload(raw))
                yield key, value

    def _split_entry(self, entry):
        """(key, raw AttrValue) of a map entry; the last of repeated fields wins, others are skipped."""
        found = dict((number, (wire_type, entry[start:end])) for number, wire_type, _, start, end in iter_fields(entry))
        for number in (1, 2):
            if found.get(number, (LENGTH,))[0] != LENGTH:
                raise ValueError("attr entry field %d has wire type %d" % (number, found[number][0]))
        return found.get(1, (LENGTH, b""))[1].decode("utf-8"), found.get(2, (LENGTH, b""))[1]

    def has_field(self, number):
        return any(n == number for n, _ in self._fields)

    def set_op(self, op):
        self._replace_scalar(OP, op.encode("utf-8"))

    def clear_device(self):
        if self.has_field(DEVICE):
            self._fields = [(n, raw) for n, raw in self._fields if n != DEVICE]
            self.changed = True

    def set_inputs(self, inputs):
        """Replaces the input list, written where the first input was (or after the op)."""
        new = [(INPUT, length_field(INPUT, name.encode("utf-8"))) for name in inputs]
        fields, placed = [], False
        for number, raw in self._fields:
            if number == INPUT:
                if not placed:
                    fields.extend(new)
                    placed = True
                continue
            fields.append((number, raw))
        if not placed:
            at = max([i + 1 for i, (n, _) in enumerate(fields) if n in (NAME, OP)] or [0])
            fields[at:at] = new
        self._fields = fields
        self.changed = True

    def set_attr(self, key, value_bytes):
        """Sets attr ``key`` to serialized AttrValue bytes; None removes it."""
        fields, placed = [], False
        for number, raw in self._fields:
            if number == ATTR and self._split_entry(self._payload(raw))[0] == key:
                if value_bytes is not None and not placed:
                    fields.append((ATTR, _attr_field(key, value_bytes)))
                    placed = True
                continue
            fields.append((number, raw))
        if value_bytes is not None and not placed:
            fields.append((ATTR, _attr_field(key, value_bytes)))
        self._fields = fields
        self.changed = True

    def keep_attrs(self, allowed):
        """Drops every attr whose key is not in ``allowed`` and does not start with "_"."""
        for key, _ in list(self.attr_entries()):
            if key not in allowed and not key.startswith("_"):
                self.set_attr(key, None)

    def rename_attr(self, old, new):
        for key, value in list(self.attr_entries()):
            if key == old:
                self.set_attr(old, None)
                self.set_attr(new, value)

    def _replace_scalar(self, number, payload):
        self._fields = [(n, length_field(number, payload) if n == number else raw)
                        for n, raw in self._fields]
        if not self.has_field(number):
            self._fields.insert(1 if number == OP else len(self._fields), (number, length_field(number, payload)))
        self.changed = True


def _attr_field(key, value_bytes):
    entry = length_field(1, key.encode("utf-8")) + length_field(2, value_bytes)
    return length_field(ATTR, entry)


def filter_colocation(raw_node, keep):
    """Drops `_class` "loc:@NODE" entries whose NODE is not in ``keep``.

    Returns:
        the names dropped (empty when the attr was left alone).
    """
    for key, value in raw_node.attr_entries():
        if key != "_class":
            continue
        attr = protos.AttrValue.FromString(value)
        entries = list(attr.list.s)
        kept = [s for s in entries if not s.startswith(b"loc:@") or s[5:].decode("utf-8", "replace") in keep]
        if len(kept) == len(entries):
            return []
        dropped = [s[5:].decode("utf-8", "replace") for s in entries if s not in kept]
        if kept:
            del attr.list.s[:]
            attr.list.s.extend(kept)
            raw_node.set_attr("_class", attr.SerializeToString())
        else:
            raw_node.set_attr("_class", None)
        return dropped
    return []


