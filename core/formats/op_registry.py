"""The op registries of real TensorFlow releases (resources/op_registry), loaded once and indexed by op."""

import base64
import collections
import gzip
import json
import logging
import os
import re
import threading

from google.protobuf import json_format

from core.formats import dtypes, protos

log = logging.getLogger(__name__)

REGISTRY_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                             "resources", "op_registry", "registry.txt.gz")
_LOCK = threading.Lock()
_CACHE = {}


class Release(object):
    """One TensorFlow release of the registry: label ("1.4", "2"), exact version, GraphDef version range."""

    def __init__(self, index, label, version, graph_def_version, min_consumer, min_producer):
        self.index = index
        self.label = label
        self.version = version
        self.graph_def_version = graph_def_version
        self.min_consumer = min_consumer
        self.min_producer = min_producer

    def __repr__(self):
        return "Release(%s)" % self.label


class AttrSpec(object):
    """An attr of one release's OpDef: type, default AttrValue (or None), allowed dtypes and strings (or None)."""

    def __init__(self, entry):
        self.name, self.type, self._default_json, allowed = entry
        self.allowed_types = None
        self.allowed_strings = None
        if allowed is not None and "type" in allowed and self.type in ("type", "list(type)"):
            self.allowed_types = frozenset(dtypes.BY_ENUM_NAME[t] for t in allowed["type"]
                                           if t in dtypes.BY_ENUM_NAME)
        if allowed is not None and "s" in allowed and self.type in ("string", "list(string)"):
            self.allowed_strings = frozenset(base64.b64decode(v) for v in allowed["s"])
        self._default = None

    @property
    def has_default(self):
        return self._default_json is not None

    @property
    def default(self):
        """The default as an AttrValue (parsed on first use), or None."""
        if self._default is None and self._default_json is not None:
            try:
                self._default = json_format.ParseDict(self._default_json, protos.AttrValue())
            except json_format.ParseError as exc:  # a field or dtype our schema lacks
                log.debug("default of %s not understood: %s", self.name, exc)
                self._default_json = None
        return self._default


class ArgSpec(collections.namedtuple("ArgSpec", "name dtype type_attr list_attr number_attr is_ref")):
    """One input or output of an OpDef: a fixed ``dtype``, or the attr holding its type (``type_attr``) or
    types (``list_attr``), repeated ``number_attr`` times; ``is_ref`` for a ref edge."""


def _arg_spec(entry, attr_types):
    name, spec = entry
    is_ref = spec.startswith("&")
    spec = spec.lstrip("&")
    number = None
    if "*" in spec:
        number, spec = spec.split("*", 1)
    if spec.startswith("DT_"):
        return ArgSpec(name, dtypes.BY_ENUM_NAME.get(spec, dtypes.DT_INVALID), None, None, number, is_ref)
    if attr_types.get(spec) == "list(type)":
        return ArgSpec(name, None, None, spec, number, is_ref)
    return ArgSpec(name, None, spec, None, number, is_ref)


class OpSpec(object):
    """One op as one release defines it, for checking NodeDefs as TensorFlow's ValidateNodeDef does.

    Attributes:
        name: the op; attrs: {name: AttrSpec} in OpDef order; inputs, outputs: lists of ArgSpec.
    """

    def __init__(self, name, compact):
        self.name = name
        self.attrs = collections.OrderedDict((entry[0], AttrSpec(entry)) for entry in compact.get("a", []))
        types = dict((name, spec.type) for name, spec in self.attrs.items())
        self.inputs = [_arg_spec(entry, types) for entry in compact.get("i", [])]
        self.outputs = [_arg_spec(entry, types) for entry in compact.get("o", [])]

    def output_count(self, node):
        """How many outputs a NodeDef of this op has (its number and type-list attrs, or their defaults)."""
        total = 0
        for arg in self.outputs:
            attr = arg.list_attr or arg.number_attr
            if attr is None:
                total += 1
                continue
            value = node.attr[attr] if attr in node.attr else self.attrs[attr].default if attr in self.attrs else None
            if value is not None:
                total += len(value.list.type) if arg.list_attr else value.i
        return total

    @classmethod
    def from_op_def(cls, op_def):
        """An OpSpec of a protos.OpDef (a library function's signature)."""
        def arg(a):
            spec = a.type_attr or a.type_list_attr or dtypes.ENUM_NAMES.get(dtypes.base(a.type), "DT_INVALID")
            return [a.name, ("&" if a.is_ref else "") + (a.number_attr + "*" if a.number_attr else "") + spec]
        compact = {"a": [[a.name, a.type, None, None] for a in op_def.attr],
                   "i": [arg(a) for a in op_def.input_arg], "o": [arg(a) for a in op_def.output_arg]}
        return cls(op_def.name, compact)


class OpHistory(object):
    """One op across the releases: which releases have it, and its compact OpDef per release (decoded lazily)."""

    def __init__(self, name, present, varying, raw_changes, count):
        self.name = name
        self.present = [flag == "1" for flag in present]
        self._varying = set(v for v in varying.split(",") if v)
        self._raw = raw_changes
        self._count = count
        self._changes = None
        self._attrs = None
        self._specs = {}

    @property
    def defs(self):
        """The compact OpDef per release (None where the release lacks the op)."""
        defs = [None] * self._count
        changes = self._decoded()
        for at, (start, op_def) in enumerate(changes):
            end = changes[at + 1][0] if at + 1 < len(changes) else self._count
            defs[start:end] = [op_def] * (end - start)
        return defs

    def _decoded(self):
        if self._changes is None:
            self._changes = json.loads(self._raw)
        return self._changes

    def spec(self, release_index):
        """The OpSpec of the op in one release (None when that release lacks it), compiled once."""
        if release_index not in self._specs:
            op_def = self.defs[release_index]
            self._specs[release_index] = OpSpec(self.name, op_def) if op_def is not None else None
        return self._specs[release_index]

    def spec_for(self, release_index):
        """The OpSpec of the release, else of the newest release that has the op."""
        if self.present[release_index]:
            return self.spec(release_index)
        return self.spec(len(self.present) - 1 - self.present[::-1].index(True))

    def first(self):
        """Index of the oldest release that has the op."""
        return self.present.index(True)

    def attrs(self):
        """{attr name: [AttrSpec or None per release]}."""
        if self._attrs is None:
            table = {}
            count = self._count
            changes = self._decoded()
            for at, (start, op_def) in enumerate(changes):
                end = changes[at + 1][0] if at + 1 < len(changes) else count
                for entry in (op_def or {}).get("a", []):
                    spec = AttrSpec(entry)
                    table.setdefault(entry[0], [None] * count)[start:end] = [spec] * (end - start)
            self._attrs = table
        return self._attrs

    def varying(self):
        """Attr names whose presence or allowed dtypes differ between releases that have the op."""
        return self._varying

    def newest_default(self, attr):
        """The default of ``attr`` in the newest release whose OpDef has it, or None."""
        for spec in reversed(self.attrs().get(attr, [])):
            if spec is not None:
                return spec.default
        return None


class OpRegistry(object):
    """Every release's ops. ``releases`` oldest first; ``history(op)`` gives an OpHistory or None."""

    def __init__(self, text):
        lines = text.split("\n")
        self.releases = [Release(i, r["label"], r["version"], r["graph_def_version"], r["min_consumer"],
                                 r["min_producer"]) for i, r in enumerate(json.loads(lines[0]))]
        self._raw = dict(line.split("\t", 1) for line in lines[1:] if line)
        self._histories = {}
        self._by_label = dict((r.label, r) for r in self.releases)

    def history(self, op):
        """The OpHistory of ``op`` (decoded on first use), or None when no release has it."""
        history = self._histories.get(op)
        if history is None:
            raw = self._raw.get(op)
            if raw is None:
                return None
            present, varying, changes = raw.split("\t")
            history = self._histories[op] = OpHistory(op, present, varying, changes, len(self.releases))
        return history

    def op_names(self):
        return sorted(self._raw)

    @property
    def newest(self):
        return self.releases[-1]

    def labels(self):
        return [r.label for r in self.releases]

    def input_args(self, op):
        """The inputs of ``op`` in the newest release that has it: list of (name, type spec) where a spec is
        ``T``, ``DT_FLOAT``, ``&T`` (a ref) or ``N*T`` (a list whose length attr is N); [] for an unknown op."""
        history = self.history(op)
        if history is None:
            return []
        for op_def in reversed(history.defs):
            if op_def is not None:
                return [tuple(arg) for arg in op_def.get("i", [])]
        return []

    def list_attrs(self, op):
        """Names of the ``list(type)`` attrs of ``op`` (a type-list input takes one tensor per listed type)."""
        return set(name for name, specs in self.history(op).attrs().items()
                   if any(spec is not None and spec.type == "list(type)" for spec in specs)) \
            if self.history(op) is not None else set()

    def release(self, text):
        """The release a user's version string names: "1.4", "1.4.0", "v1.15.5", "2", "2.16".

        Raises:
            ValueError: a version the registry does not cover (the message lists those it does).
        """
        match = re.match(r"^v?(\d+)(?:\.(\d+))?(?:\.\d+)?(?:[-.]?\w+)?$", str(text).strip())
        label = None
        if match:
            major, minor = match.group(1), match.group(2)
            label = major if major != "1" else (None if minor is None else "%s.%d" % (major, int(minor)))
        if label not in self._by_label:
            raise ValueError("unknown TensorFlow version '%s' (known: %s)" % (text, ", ".join(self.labels())))
        return self._by_label[label]


def load_registry(path=None):
    """The registry, read once per process (a few ms: ops are decoded when first asked for) and shared."""
    path = path or REGISTRY_PATH
    with _LOCK:
        registry = _CACHE.get(path)
        if registry is None:
            with gzip.open(path, "rb") as fh:
                registry = _CACHE[path] = OpRegistry(fh.read().decode("utf-8"))
        return registry


STATEFUL_PATH = os.path.join(os.path.dirname(REGISTRY_PATH), "stateful.txt")


def stateful_ops(path=None):
    """Names of the ops TensorFlow registers as stateful (OpDef.is_stateful: random ops, samplers, queues,
    iterators, variables, asserts, prints, summaries, file writes), read once (tools/gen_op_registry.py stateful)."""
    path = path or STATEFUL_PATH
    with _LOCK:
        names = _CACHE.get(path)
        if names is None:
            with open(path) as handle:
                names = _CACHE[path] = frozenset(line.strip() for line in handle
                                                 if line.strip() and not line.startswith("#"))
        return names
