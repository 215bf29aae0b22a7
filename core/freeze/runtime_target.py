"""Fitting a freeze plan to a target TensorFlow release: drop new default-valued attrs, refuse the rest."""

import collections
import logging

from google.protobuf import message as pb_message

from core.analysis.runtime_floor import FloorCollector, is_default, producer_defaults
from core.errors import ModelError, quote
from core.formats import protos
from core.formats.op_registry import load_registry
from core.formats.wire import iter_fields
from core.freeze.node_bytes import RawNode

log = logging.getLogger(__name__)


class RuntimeFit(object):
    """What fitting a plan to its target did.

    Attributes:
        target: the target release's label ("1.4"), or None when no target was asked for.
        dropped: {(op, attr): node count} of default-valued attrs removed.
        floor: core.analysis.runtime_floor.Floor of the result.
    """

    def __init__(self, target, dropped, floor):
        self.target = target
        self.dropped = dropped
        self.floor = floor

    def lines(self):
        """Report lines: the result's floor and each kind of dropped attr."""
        result = ["runs on: %s" % self.floor.summary()]
        for (op, attr), count in sorted(self.dropped.items()):
            result.append("dropped %s `%s` at its default on %d node%s (TensorFlow %s lacks it)"
                          % (op, attr, count, "" if count == 1 else "s", self.target))
        return result


def target_release(text):
    """The registry release of a --target-tf value; ModelError for an unknown one."""
    try:
        return load_registry().release(text)
    except ValueError as exc:
        raise ModelError(str(exc))


def node_op(data):
    """The op of a serialized NodeDef (field 2), read without parsing the rest."""
    for number, _, _, start, end in iter_fields(data):
        if number == 2:
            return bytes(data[start:end]).decode("utf-8")
    return ""


def _attr_values(plan, path=None):
    """A callable giving the (key, AttrValue) pairs of a planned node: its bytes are read only if called."""
    def pairs():
        try:
            return [(key, protos.AttrValue.FromString(value)) for key, value in RawNode(plan.data).attr_entries()]
        except (ValueError, pb_message.DecodeError) as exc:
            raise ModelError("node %s: its attrs are not valid (%s)" % (quote(plan.name), quote(exc)), path)
    return pairs


def fit_plan(plan_nodes, target, meta_graph=None, path=None, source_nodes=None):
    """Drops from ``plan_nodes`` the attrs ``target`` lacks that hold their default; refuses the rest.

    Args:
        plan_nodes: the plan's NodePlans (edited in place: dropped attrs make a "copy" an "edit").
        target: a release label or version string ("1.4"); None only measures the floor.
        meta_graph: the source meta graph, whose stripped_op_list gives the producer's defaults.
        path: the model file, for the error message.
        source_nodes: optional {name: NodeDef} of the source, to read a copied node's op without parsing.
    Returns:
        RuntimeFit.
    Raises:
        ModelError: an op the target lacks, or an attr it lacks holding a non-default value.
    """
    registry = load_registry()
    release = target_release(target) if target is not None else None
    defaults = producer_defaults(meta_graph)
    dropped = collections.Counter()
    collector = FloorCollector(defaults, registry)
    droppable = {}  # op -> its OpHistory when the target lacks some of its attrs, else None
    source_op = _source_op(source_nodes)
    reads_attrs = {}  # op -> whether the floor reads its nodes' attrs (most ops: no closure per node)
    for plan in plan_nodes:
        if plan.kind == "const":
            collector.add(plan.name, "Const", _no_attrs)
            continue
        try:
            op = source_op(plan.name) if plan.kind == "copy" else None
            if op is None:
                op = node_op(plan.data)
            if op not in droppable:
                history = registry.history(op)
                droppable[op] = history if (release is not None and history is not None
                                            and history.present[release.index] and history.varying()) else None
            if droppable[op] is not None:
                _drop_defaults(plan, op, droppable[op], release, registry, defaults, dropped)
        except (ValueError, pb_message.DecodeError) as exc:
            raise ModelError("node %s cannot be rewritten: its bytes are not a valid NodeDef (%s)"
                             % (quote(plan.name), quote(exc)), path)
        reads = reads_attrs.get(op)
        if reads is None:
            reads = reads_attrs[op] = collector.reads_attrs(op)
        collector.add(plan.name, op, _attr_values(plan, path) if reads else _no_attrs)
    floor = collector.floor()
    fit = RuntimeFit(release.label if release else None, dict(dropped), floor)
    if release is not None:
        _refuse_unloadable(floor, release, registry, path)
    return fit


def _no_attrs():
    return ()


def _source_op(source_nodes):
    """name -> the op of that source node, None when ``source_nodes`` does not hold it."""
    if source_nodes is None:
        return lambda name: None
    op_sources = getattr(source_nodes, "op_sources", None)
    if op_sources is not None:  # a core.formats.node_table.Nodes: ops read from the table
        overlay, index, ops = op_sources()

        def read(name):
            found = overlay.get(name)
            if found is not None:
                return found.op
            position = index.get(name)
            return ops[position] if position is not None else None
        return read

    def fetch(name):
        node = source_nodes.get(name)
        return node.op if node is not None else None
    return fetch


def plan_floor(plan):
    """The Floor of what a FreezePlan writes (its target's, when it was fitted to one)."""
    if plan.runtime is not None:
        return plan.runtime.floor
    # The ops are read from the planned bytes: a "copy" may be an input cut's Placeholder that took
    # the name of the node it replaces, so the source graph's node of that name is not its op.
    return fit_plan(plan.nodes, None, plan.model.meta_graph).floor


def _drop_defaults(plan, op, history, release, registry, defaults, dropped):
    raw = RawNode(plan.data)
    specs = history.attrs()
    removed = []
    for key, value in list(raw.attr_entries()):
        if key.startswith("_") or key not in history.varying():
            continue
        if specs[key][release.index] is None and is_default(registry, op, key,
                                                            protos.AttrValue.FromString(value), defaults):
            raw.set_attr(key, None)
            removed.append(key)
            dropped[(op, key)] += 1
    if removed:
        plan.data = raw.to_bytes()
        plan.kind = "edit" if plan.kind == "copy" else plan.kind
        note = "default %s dropped (TF %s lacks it)" % (", ".join(removed), release.label)
        plan.reason = "; ".join(r for r in (plan.reason, note) if r)


def _refuse_unloadable(floor, release, registry, path):
    releases = registry.releases
    blocking = [r for r in floor.requirements if not r.ok[release.index]]
    if not blocking:
        return
    if floor.floor is None:
        need = "no TensorFlow release %s..%s can load the result" % (releases[0].label, releases[-1].label)
        advice = "choose outputs that avoid it"
    else:
        need = "the result needs TensorFlow %s" % floor.floor
        advice = "freeze with --target-tf %s or later" % floor.floor
    raise ModelError("cannot freeze for TensorFlow %s: %s (%s); %s"
                     % (release.label, need, "; ".join(r.text(releases) for r in blocking[:3]), advice), path)
