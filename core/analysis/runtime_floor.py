"""The runtime version floor of a graph: the oldest TensorFlow release that can load it, and why."""

import collections

from core.formats import dtypes
from core.formats.op_registry import load_registry

MAX_EXAMPLES = 3


class Requirement(object):
    """One thing a graph asks of the runtime: an op, an attr of an op, a dtype of an attr, a GraphDef version.

    Attributes:
        kind: "op", "attr", "dtype" or "graph_version".
        op, attr, value: what is asked ("" where not applicable; value is a dtype name for "dtype").
        nodes: names of the nodes asking (in graph order).
        droppable: for "attr": every node holds the producer's default, so the attr can be dropped.
        ok: list of bool per registry release: can that release satisfy it (dropping when droppable)?
    """

    def __init__(self, kind, op, attr="", value=""):
        self.kind = kind
        self.op = op
        self.attr = attr
        self.value = value
        self.nodes = []
        self.droppable = True
        self.ok = None
        self.strict_ok = None
        self.number = None

    def needs(self, releases, loose=False):
        """Label of the oldest release that has what it asks for (that can load it, if ``loose``), or None."""
        return _first(releases, self.ok if loose else self.strict_ok)

    def text(self, releases):
        needs = self.needs(releases)
        where = "%d node%s" % (len(self.nodes), "" if len(self.nodes) == 1 else "s")
        first = " (%s)" % ", ".join(self.nodes[:MAX_EXAMPLES]) if self.nodes else ""
        if self.kind == "op":
            what = "op %s" % self.op
        elif self.kind == "attr":
            what = "%s `%s`" % (self.op, self.attr) if self.attr else "%s attr '' (an entry without a name)" % self.op
        elif self.kind == "dtype":
            what = "%s `%s`=%s" % (self.op, self.attr, self.value)
        else:
            return "GraphDef versions %s need %s" % (self.value, needs or "a release newer than %s"
                                                     % releases[-1].label)
        if needs is None and not (self.kind == "attr" and self.droppable):
            known = self.kind != "op"
            return "%s is in no TensorFlow release %s..%s%s; %s%s" % (
                what, releases[0].label, releases[-1].label, "" if known else " (a contrib or custom op)",
                where, first)
        text = "%s needs %s; %s%s" % (what, needs or "a release newer than %s" % releases[-1].label, where, first)
        if not self.strict_ok[-1] and needs is not None:
            text += "; gone by %s" % releases[-1].label
        if self.kind == "attr" and self.droppable:
            text += "; at its default, so it can be dropped"
        return text

    def to_json(self, releases):
        return {"kind": self.kind, "op": self.op, "attr": self.attr, "value": self.value,
                "needs": self.needs(releases), "loads_from": self.needs(releases, loose=True), "nodes": len(self.nodes), "first_nodes": self.nodes[:MAX_EXAMPLES],
                "droppable": self.kind == "attr" and self.droppable, "text": self.text(releases)}


class Floor(object):
    """The version floor of a graph.

    Attributes:
        floor: label of the oldest release that loads it once default-valued attrs it lacks are dropped
            (what TF's importer does with a meta graph's op list, and what `freeze` does), or None.
        strict_floor: the same for the bytes as they are (a bare GraphDef through import_graph_def).
        requirements: the Requirements that some release cannot satisfy, highest need first.
        releases: the registry's releases.
    """

    def __init__(self, floor, strict_floor, requirements, releases):
        self.floor = floor
        self.strict_floor = strict_floor
        self.requirements = requirements
        self.releases = releases

    def reasons(self):
        return [r.text(self.releases) for r in self.requirements]

    def summary(self):
        """One line: "1.5 (Conv2D `dilations` ...)"; "any release" when nothing limits it."""
        if self.floor is None:
            head = "no TensorFlow release %s..%s can load it" % (self.releases[0].label, self.releases[-1].label)
        else:
            head = "TensorFlow >= %s" % self.floor
        if self.strict_floor != self.floor:
            head += " (>= %s with its default-valued new attrs kept)" % (self.strict_floor or "none")
        setting = [r for r in self.requirements if r.needs(self.releases, loose=True) in (self.floor, None)]
        if self.floor == self.releases[0].label:
            setting = []
        if setting:
            head += ": " + "; ".join(r.text(self.releases) for r in setting[:2])
        return head

    def to_json(self):
        return {"floor": self.floor, "strict_floor": self.strict_floor,
                "reasons": [r.to_json(self.releases) for r in self.requirements]}


def producer_defaults(meta_graph):
    """{op: {attr: default AttrValue}} from a meta graph's stripped_op_list (empty without one)."""
    result = {}
    if meta_graph is None or not meta_graph.HasField("meta_info_def"):
        return result
    for op_def in meta_graph.meta_info_def.stripped_op_list.op:
        result[op_def.name] = dict((a.name, a.default_value) for a in op_def.attr if a.HasField("default_value"))
    return result


def is_default(registry, op, attr, value, defaults):
    """Does AttrValue ``value`` equal the producer's default (else the newest registry default)?"""
    default = defaults.get(op, {}).get(attr) if defaults else None
    if default is None:
        history = registry.history(op)
        default = history.newest_default(attr) if history is not None else None
    return default is not None and default == value


class FloorCollector(object):
    """Accumulates the requirements of nodes one by one; ``floor()`` gives the result."""

    def __init__(self, defaults=None, registry=None):
        self.registry = registry or load_registry()
        self.defaults = defaults or {}
        self._reqs = collections.OrderedDict()
        self._ops = {}

    def _req(self, key, *args):
        req = self._reqs.get(key)
        if req is None:
            req = self._reqs[key] = Requirement(*args)
        return req

    def _op_entry(self, op):
        """(op Requirement, varying attr names, every attr name, OpHistory or None) of an op, made once."""
        entry = self._ops.get(op)
        if entry is None:
            history = self.registry.history(op)
            varying, known = (history.varying(), set(history.attrs())) if history is not None else (set(), set())
            entry = self._ops[op] = (self._req(("op", op), "op", op), varying, known, history)
        return entry

    def reads_attrs(self, op):
        """Whether ``add`` calls its ``attrs`` for nodes of ``op`` (the op has attrs that vary by release)."""
        entry = self._ops.get(op) or self._op_entry(op)
        return bool(entry[1])

    def add(self, name, op, attrs):
        """Adds one node: ``attrs`` is a callable returning (key, AttrValue) pairs (called only if needed)."""
        entry = self._ops.get(op) or self._op_entry(op)
        entry[0].nodes.append(name)
        if entry[1]:
            self._add_attrs(name, op, entry, attrs())

    def _add_attrs(self, name, op, entry, pairs):
        _, varying, known, history = entry
        for key, value in pairs:
            if key.startswith("_") or (key not in varying and key in known):
                continue
            req = self._req(("attr", op, key), "attr", op, key)
            req.nodes.append(name)
            if req.droppable and not is_default(self.registry, op, key, value, self.defaults):
                req.droppable = False
            kind = value.WhichOneof("value")
            if key in known and kind in ("type", "list"):
                for dtype in ([value.type] if kind == "type" else value.list.type):
                    dtype_req = self._req(("dtype", op, key, dtype), "dtype", op, key, dtypes.name(dtype))
                    dtype_req.number = dtype
                    dtype_req.nodes.append(name)

    def add_graph_def(self, graph_def, names=None):
        """Adds every node of ``graph_def`` (only those in ``names`` when given) and its GraphDef versions."""
        for node in graph_def.node:
            if names is not None and node.name not in names:
                continue
            op = node.op
            entry = self._ops.get(op) or self._op_entry(op)
            entry[0].nodes.append(node.name)
            if entry[1]:
                self._add_attrs(node.name, op, entry, node.attr.items())
        versions = graph_def.versions
        if versions.min_consumer or versions.bad_consumers:
            req = self._req(("graph_version",), "graph_version", "", "",
                            "min_consumer %d" % versions.min_consumer)
            req.ok = [r.graph_def_version >= versions.min_consumer
                      and r.graph_def_version not in versions.bad_consumers for r in self.registry.releases]

    def _resolve(self, req, strict):
        if req.kind == "graph_version":
            return req.ok
        history = self.registry.history(req.op)
        if history is None:
            return [False] * len(self.registry.releases)
        if req.kind == "op":
            return list(history.present)
        specs = history.attrs().get(req.attr) or [None] * len(history.present)
        if req.kind == "attr":
            return [p and (s is not None or (req.droppable and not strict)) for p, s in zip(history.present, specs)]
        return [p and (s is None or s.allowed_types is None or req.number in s.allowed_types)
                for p, s in zip(history.present, specs)]

    def _limits(self, req):
        """Does some release fail ``req`` for a reason of its own (not just for lacking the op)?"""
        if req.kind in ("op", "graph_version"):
            return not all(req.strict_ok)
        history = self.registry.history(req.op)
        return any(present and not good for present, good in zip(history.present, req.strict_ok))

    def floor(self):
        """The Floor of everything added."""
        releases = self.registry.releases
        loose = [True] * len(releases)
        strict = [True] * len(releases)
        limiting = []
        for req in self._reqs.values():
            req.ok = self._resolve(req, strict=False)
            req.strict_ok = self._resolve(req, strict=True)
            loose = [a and b for a, b in zip(loose, req.ok)]
            strict = [a and b for a, b in zip(strict, req.strict_ok)]
            if self._limits(req):
                limiting.append(req)
        order = dict((r.label, r.index) for r in releases)
        limiting.sort(key=lambda r: (-order.get(r.needs(releases, loose=True), len(releases)),
                                     -order.get(r.needs(releases), len(releases)), r.kind, r.op, r.attr))
        return Floor(_first(releases, loose), _first(releases, strict), limiting, releases)


def _first(releases, flags):
    """The first release of the last unbroken run of releases that satisfy ``flags`` (None if none does).

    E.g. Conv2D on float64 loads in 1.0-1.1 and again from 1.5 on: its floor is 1.5, not 1.0.
    """
    last = None
    for index in range(len(flags) - 1, -1, -1):
        if flags[index]:
            last = index
        elif last is not None:
            break
    return None if last is None else releases[last].label


def graph_floor(graph_def, meta_graph=None, names=None):
    """The Floor of ``graph_def`` (only the nodes in ``names`` when given).

    Defaults come from the meta graph's stripped_op_list when there is one, else from the registry.
    """
    collector = FloorCollector(producer_defaults(meta_graph))
    collector.add_graph_def(graph_def, names)
    return collector.floor()
