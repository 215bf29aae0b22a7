"""Planning a freeze: prune to the outputs, turn variables into constants, rewrite ref ops.

Semantics follow TensorFlow's ``convert_variables_to_constants``: breadth-first
extraction from the outputs over data and control inputs, nodes kept in their
original order, variables replaced by Consts of their dtype and checkpoint
value. Every other kept node is copied as the exact bytes it had in the source,
except for the rewrites listed in ``NodePlan.reason``.
"""

import logging
import re

from google.protobuf import message as pb_message

from core.errors import ModelError, quote
from core.formats.node_table import node_table
from core.formats.saver_map import VARIABLE_OPS, restoring_nodes
from core.freeze.graph_checks import check_kept_nodes
from core.freeze.graph_edits import GraphEdits
from core.freeze.init_guards import CHECK_OPS, initialized_checks
from core.freeze.missing import suggest
from core.freeze.node_bytes import RawNode, filter_colocation
from core.freeze.keep_search import reachable
from core.freeze.loop_frames import check_frames
from core.freeze.node_rewrites import REWRITTEN_OPS, copied_as_is, gather_axis_nodes, plan_node, resource_dtypes
from core.freeze.plan_nodes import NodePlan, SourceNodes
from core.freeze.tables import embed_vocabularies, hash_table_imports, missing_initializers, table_note
from core.freeze.variable_shapes import check_variable_shapes
from core.freeze.variable_values import variable_values
from core.names import node_name

log = logging.getLogger(__name__)

class FreezePlan(object):
    """What a freeze will write: nodes in order plus the GraphDef's library and versions."""

    def __init__(self, model, outputs, nodes, tail_fields, nodes_before, notes, runtime=None, initialized=()):
        self.model = model
        self.initialized = list(initialized)
        self.runtime = runtime
        self.outputs = outputs
        self.nodes = nodes
        self.tail_fields = tail_fields
        self.nodes_before = nodes_before
        self.notes = notes

    @property
    def variables(self):
        return [n.variable for n in self.nodes if n.kind == "const"]


def resolve_outputs(graph_def, outputs, path=None):
    """Turns user-given output names ("name", "name:0", "^name") into node names.

    Raises:
        ModelError: no outputs, or an unknown name (with the closest names in the graph).
    """
    table = node_table(graph_def)
    known = table.index
    result = []
    for raw in outputs:
        raw = raw.strip()
        if not raw:
            continue
        name = node_name(raw)
        if name not in known:
            raise ModelError("output %s is not in the graph%s" % (quote(raw), suggest(name, table.names)), path)
        if name not in result:
            result.append(name)
    if not result:
        raise ModelError("no output names given", path)
    return result


def check_output_ports(outputs, nodes, path=None):
    """Refuses an output "name:k" whose node has no output k (counted from its OpDef, else `_output_shapes`)."""
    from core.formats.op_registry import load_registry
    registry = None
    for raw in outputs:
        raw = raw.strip()
        name = node_name(raw)
        if raw.startswith("^") or len(raw) == len(name) or name not in nodes:
            continue
        port = int(raw[len(name) + 1:])
        node = nodes[name]
        registry = registry or load_registry()
        history = registry.history(node.op)
        spec = history.spec_for(len(history.present) - 1) if history is not None else None
        if spec is not None:
            count = spec.output_count(node)
        elif "_output_shapes" in node.attr:
            count = len(node.attr["_output_shapes"].list.shape)
        else:
            continue
        if port >= count:
            raise ModelError("output %s: node %s (%s) has %d output(s), so no output %d"
                             % (quote(raw), quote(name), node.op, count, port), path)


def _source_edits(model, given):
    """The edits of every freeze (axis Consts, initialised-checks, SavedModel vocabularies), then ``given``.

    Returns:
        (all edits, the vocabulary edits alone).
    """
    graph_def = model.graph_def
    edits = gather_axis_nodes(graph_def).merge(initialized_checks(graph_def)).merge(hash_table_imports(graph_def))
    vocabularies = GraphEdits()
    if getattr(model.location, "saved_model_path", None):
        vocabularies = embed_vocabularies(graph_def, model.location.folder)
        edits.replaced.update(vocabularies.replaced)
        edits.added.extend(vocabularies.added)
    return edits.merge(given or GraphEdits()), vocabularies


def _notes(graph_def, edits, vocabularies, keep, index):
    """The report's notes: the edits', embedded vocabularies and guards that are kept, tables to initialise."""
    notes = list(edits.notes)
    notes.extend(kept if name in keep else dropped for name, kept, dropped in edits.kept_notes)
    notes.extend(note for name, note in zip(sorted(vocabularies.replaced), vocabularies.notes) if name in keep)
    guards = [n for n in node_table(graph_def).named(CHECK_OPS) if n in keep]
    if guards:
        notes.append("%d initialised-check(s) of frozen variables made true (%s)"
                     % (len(guards), ", ".join(sorted(guards)[:3])))
    table = table_note(graph_def, keep)
    if table:
        notes.append(table)
    return notes


class KeptNodes(object):
    """What a freeze keeps before any value is read: the nodes the outputs need, with the edits applied.

    Attributes:
        outputs: the resolved output node names; keep: kept node names; parent: kept name -> the kept
        node that led the search to it; sources: kept name -> the names it reads in the frozen graph;
        nodes: name -> NodeDef (source, replaced and added); index: source name -> position;
        edits, vocabularies: the GraphEdits applied (all, and the embedded vocabularies alone).
    """

    def __init__(self, model, outputs, edits, vocabularies, cancel=None):
        graph_def = model.graph_def
        path = model.location.model_file
        self.edits, self.vocabularies = edits, vocabularies
        self.outputs = resolve_outputs(graph_def, outputs, path)
        self.table = table = node_table(graph_def)
        self.index = table.index
        self.nodes = table.nodes
        if edits.added or edits.replaced:  # the edited nodes win over the source's
            overlay = dict((n.name, n) for n in edits.added)
            overlay.update(edits.replaced)
            self.nodes = table.nodes.with_overlay(overlay)
        check_output_ports(outputs, self.nodes, path)
        self.keep, self.parent, self.sources, self.in_order = reachable(self.outputs, self.nodes, edits, path, table)
        initializers = missing_initializers(graph_def, self.keep)
        if initializers:  # a deployable graph can fill its lookup tables
            self.keep, self.parent, self.sources, self.in_order = reachable(self.outputs + initializers, self.nodes,
                                                                            edits, path, table)
        if cancel is not None and cancel():
            from core.errors import Cancelled
            raise Cancelled()

    def op(self, name):
        """The op of kept node ``name`` (read from the table for an unedited source node)."""
        position = self.index.get(name)
        if position is None or name in self.edits.replaced:
            return self.nodes[name].op
        return self.table.ops[position]

    def variable_nodes(self):
        """The source variable nodes kept (those an edit replaced aside), in graph order."""
        return [self.nodes[n] for n in self.table.named(VARIABLE_OPS) if n in self.keep and n not in self.edits.replaced]


def kept_nodes(model, outputs, edits=None, cancel=None):
    """KeptNodes of a freeze of ``outputs`` with ``edits`` (plus the edits every freeze makes)."""
    all_edits, vocabularies = _source_edits(model, edits)
    return KeptNodes(model, outputs, all_edits, vocabularies, cancel)


def plan_freeze(model, outputs, keep_devices=False, edits=None, cancel=None, target_tf=None, saver=None,
                init_missing=False):
    """Decides every node of the frozen graph without reading any weight.

    Args:
        model: core.formats.model.Model.
        outputs: output names ("name" or "name:0").
        keep_devices: keep `device` fields (cleared by default, as freeze_graph does).
        edits: optional GraphEdits (inference mode) applied on top of the source.
        cancel: optional callable returning True to stop.
        target_tf: TensorFlow release the result must load in ("1.4"): attrs it lacks that hold their
            default are dropped, anything else it cannot load is refused. None: no check.
        saver: the saver whose restore ops map checkpoint keys (None: the one saver_def names).
        init_missing: variables nothing restores get their initializer's value when it is computable.
    Returns:
        FreezePlan (its ``runtime`` is a core.freeze.runtime_target.RuntimeFit when target_tf is given).
    Raises:
        ModelError: unknown outputs, missing or mismatched variables, ops that can't be frozen,
            a result the target release cannot load.
    """
    path = model.location.model_file
    kept = kept_nodes(model, outputs, _target_edits(model, target_tf, edits), cancel)
    _refuse_variable_updates(kept, target_tf)
    check_frames(kept, path)
    check_kept_nodes(model, kept.keep, kept.nodes, kept.sources, kept.index, kept.edits.replaced, path,
                     in_order=kept.in_order)
    variables = variable_values(model, kept.variable_nodes(), saver=saver, init_missing=init_missing)
    plans = _node_plans(model, kept, variables, keep_devices)
    notes = _notes(model.graph_def, kept.edits, kept.vocabularies, kept.keep, kept.index)
    initialized = sorted((v.name, v.initial.description) for v in variables.values() if v.initial is not None)
    if initialized:
        notes.append("%d variable(s) nothing restores took their initializer's value (--init-missing): %s"
                     % (len(initialized), ", ".join("%s (%s)" % item for item in initialized)))
    if saver is not None:
        notes.append("variables restored as saver %s restores them (--saver)" % quote(saver))
    tail = model.graph.tail_fields()
    restoring = restoring_nodes(model.graph_def, model.meta_graph, saver,
                                [v.name for v in variables.values() if v.via_saver])
    check_variable_shapes(model, variables, kept.keep, restoring, path)
    runtime = fit_and_check(plans, target_tf, model, tail, kept.nodes, restoring)
    return FreezePlan(model, kept.outputs, plans, tail, len(model.graph_def.node), notes,
                      runtime if target_tf is not None else None, initialized)


def _target_edits(model, target_tf, edits):
    """The rewrites the target release's kernels need (N-D softmax on 1.x), then the given edits."""
    from core.freeze.kernel_ranks import two_d_softmax_edits
    from core.freeze.runtime_target import target_release
    release = target_release(target_tf) if target_tf is not None else None
    return two_d_softmax_edits(model.graph_def, release).merge(edits or GraphEdits())


def fit_and_check(plans, target_tf, model, tail, source_nodes, restoring=()):
    """Fits the plan to its target release (or measures its floor) and checks the result imports there,
    and that the ``restoring`` nodes (the saver's, which give the values) import there too.

    Without a target the graph is checked, as written, against the oldest release that loads it so.

    Returns:
        core.freeze.runtime_target.RuntimeFit.
    """
    from core.formats.op_registry import load_registry
    from core.freeze.import_checks import check_importable, check_restoring
    from core.freeze.source_checks import check_source_graph
    from core.freeze.runtime_target import fit_plan, target_release
    path = model.location.model_file
    runtime = fit_plan(plans, target_tf, model.meta_graph, path, source_nodes)
    registry = load_registry()
    release = target_release(target_tf) if target_tf is not None else None
    if release is None and runtime.floor.strict_floor is not None:
        release = registry.release(runtime.floor.strict_floor)
    checked = None
    if release is not None:
        checked = check_importable(plans, release, registry, tail, source_nodes, path)
        if restoring and target_tf is not None:  # the frozen graph's own floor says nothing of the saver's nodes
            # TensorFlow's restore runs the saver's nodes and the variables they assign, in the release that
            # wrote them (a TF 2.x file is restored by 2.x, not by the 1.4 its frozen graph is for)
            variables = [n for n in checked.unchecked if checked.plans[n].kind == "const"]
            check_restoring(set(restoring).union(variables), _restoring_release(model.meta_graph, release, registry),
                            registry, node_table(model.graph_def).nodes, path)
    # TensorFlow imports every node of the file, the ones the freeze drops too
    check_source_graph(node_table(model.graph_def), checked, registry, path)
    return runtime


def _restoring_release(meta_graph, target, registry):
    """The release whose importer judges the saver's nodes: the one that wrote the file when the MetaGraphDef
    records it (meta_info_def.tensorflow_version) and it is newer than ``target``, else ``target``."""
    recorded = meta_graph.meta_info_def.tensorflow_version if meta_graph is not None else ""
    match = re.match(r"(\d+)\.(\d+)", recorded)
    if match is None:
        return target
    try:
        writer = registry.release("%s.%s" % match.groups())
    except ValueError:  # 0.x, or a release newer than the registry's
        return target if match.group(1) == "0" else registry.releases[-1]
    return writer if writer.index > target.index else target


def _node_plans(model, kept, variables, keep_devices):
    """The NodePlans in source order, added nodes before the kept node that led to them."""
    keep, table, edits = kept.keep, kept.table, kept.edits
    ops, names = table.ops, table.names
    resource_dtype = resource_dtypes(keep, kept.nodes, variables)
    graph = model.graph
    source = SourceNodes(graph, kept.index)
    messages = model.graph_def.node
    plans = []
    new_nodes = _place_added(edits, keep, kept.parent)
    # A node is copied as it is unless its op is rewritten, an edit touches it, or it has a device (cleared)
    # or a colocation (filtered): bytes holding neither a device tag nor "_class" have neither, so most
    # nodes of a big graph are decided without reading their NodeDef. (Any byte 0x22 may begin a device
    # field's tag, 0xa2 when the tag is written as an overlong varint.)
    suspects = graph.nodes_holding((b"_class",) + (() if keep_devices else (b"\x22", b"\xa2")))
    plain = not edits.rewired and suspects is not None
    suspects = set(suspects or ())
    replaced = edits.replaced
    for position in table.kept_positions(keep):
        name = names[position]
        if new_nodes:
            for extra in new_nodes.pop(name, []):
                plans.append(NodePlan(extra.name, "new", _finish_new(extra, keep, keep_devices), reason="added"))
        if name in variables:
            plans.append(NodePlan(name, "const", variable=variables[name], reason="variable -> Const",
                                  device=kept.nodes[name].device if keep_devices else ""))
            continue
        op = ops[position]
        if plain and op not in REWRITTEN_OPS and position not in suspects and name not in replaced \
                and name not in resource_dtype:
            plans.append(NodePlan(name, "copy", None, None, "", "", source))
            continue
        node = messages[position]
        if copied_as_is(node, op, name, edits, keep_devices, resource_dtype):
            plans.append(NodePlan(name, "copy", source=source))
            continue
        try:
            kind, data, reason = plan_node(node, graph.node_data(position), edits, keep, keep_devices,
                                           resource_dtype)
        except (ValueError, pb_message.DecodeError) as exc:
            raise ModelError("node %s cannot be rewritten: its bytes are not a valid NodeDef (%s)"
                             % (quote(name), quote(exc)), model.location.model_file)
        plans.append(NodePlan(name, kind, data, reason=reason))
    for leftovers in new_nodes.values():
        for extra in leftovers:
            plans.append(NodePlan(extra.name, "new", _finish_new(extra, keep, keep_devices), reason="added"))
    return plans


_CLASS = b"_class"


def _refuse_variable_updates(kept, target_tf):
    from core.formats.op_registry import load_registry
    from core.freeze.runtime_target import target_release
    from core.freeze.variable_updates import ops_taking_variables, refuse_variable_updates
    registry = load_registry()
    release = target_release(target_tf) if target_tf is not None else registry.newest
    edits = kept.edits
    edited = list(edits.added) + list(edits.replaced.values())
    acting = ops_taking_variables(set(kept.table.ops) | set(n.op for n in edited), registry, release)
    if not acting:  # distinct ops, not every kept node, are tested
        return
    suspects = kept.table.named(acting) + [n.name for n in edited if n.op in acting]
    refuse_variable_updates([n for n in sorted(set(suspects)) if n in kept.keep], kept.nodes, kept.parent,
                            registry, release)


def _place_added(edits, keep, parent):
    """Extra nodes go right before the kept node that led the search to them."""
    placed = {}
    for node in edits.added:
        if node.name in keep:
            placed.setdefault(parent.get(node.name), []).append(node)
    return placed


def _finish_new(node, keep, keep_devices):
    raw = RawNode(node.SerializeToString())
    if not keep_devices:
        raw.clear_device()
    filter_colocation(raw, keep)
    return raw.to_bytes()
