"""Input cuts: a tensor becomes a Placeholder of its dtype and shape, and what fed it is pruned."""

import collections
import logging

from core.analysis.input_pipeline import op_defs, tensor_dtype, tensor_shape
from core.errors import ModelError, quote
from core.formats import dtypes
from core.freeze.graph_edits import GraphEdits
from core.freeze.missing import suggest as _suggest
from core.freeze.node_defs import placeholder_node
from core.names import node_name

log = logging.getLogger(__name__)


class Cut(collections.namedtuple("Cut", "tensor placeholder dtype shape")):
    """One input cut: the tensor ("node:port"), the Placeholder's name, dtype number, shape (None: any)."""


def parse_tensor(text):
    """"node", "node:0" or "node:3" -> (node, port)."""
    text = text.strip()
    name = node_name(text)
    if len(text) > len(name):
        return name, int(text[len(name) + 1:])
    return name, 0


def placeholder_name(node, port, taken=()):
    """TF's strip_unused convention: a cut at NODE:0 is named NODE; other ports NODE_port<k>."""
    if port == 0:
        return node
    name = "%s_port%d" % (node, port)
    while name in taken:
        name += "_cut"
    return name


def loop_frames(graph_def, names):
    """{name: (frame name, its Enter node)} for those of ``names`` inside a while loop's frame: reached from
    an Enter through data or control edges before the loop's Exit (whose output is outside again)."""
    wanted = set(names)
    consumers = collections.defaultdict(list)
    enters = []
    for node in graph_def.node:
        if node.op in ("Enter", "RefEnter"):
            enters.append(node)
        for text in node.input:
            consumers[node_name(text)].append(node)
    found = {}
    for enter in enters:
        frame = enter.attr["frame_name"].s.decode("utf-8", "replace") if "frame_name" in enter.attr else "?"
        queue, seen = collections.deque([enter]), set([enter.name])
        while queue:
            node = queue.popleft()
            if node.name in wanted and node.op not in ("Exit", "RefExit"):
                found.setdefault(node.name, (frame, enter.name))
            if node.op in ("Exit", "RefExit"):
                continue
            for consumer in consumers.get(node.name, ()):
                if consumer.name not in seen:
                    seen.add(consumer.name)
                    queue.append(consumer)
    return found


def _refuse_loop_cuts(graph_def, cuts, path):
    inside = loop_frames(graph_def, [parse_tensor(c.tensor)[0] for c in cuts])
    for cut in cuts:
        name = parse_tensor(cut.tensor)[0]
        if name in inside:
            frame, enter = inside[name]
            raise ModelError("input cut %s is inside the while loop %s (entered at %s): its value changes on every "
                             "iteration and a Placeholder outside the loop cannot feed the loop's body; cut "
                             "before the loop, at what feeds its Enter nodes" % (quote(cut.tensor), quote(frame),
                                                                                 quote(enter)), path)


_SWITCHES = frozenset(["Switch", "RefSwitch"])
_MERGES = frozenset(["Merge", "RefMerge"])
_LOOP_ENDS = frozenset(["Exit", "RefExit", "NextIteration", "RefNextIteration"])


def cond_switch(nodes, name):
    """The Switch whose untaken branch leaves node ``name``'s outputs dead, or None when they are always live.

    TensorFlow's executor marks a Switch's untaken output dead; every node reading a dead tensor (data
    or control) is dead in turn, except a Merge, which is live when one input is. So a node is inside a
    tf.cond branch when, walking its inputs back, a Switch is met before as many Merges as Switches have
    been crossed: each Merge crossed on the way opens one cond, each Switch after that closes one. A
    loop's Exit (or NextIteration) ends the walk: its output is live, and loops are judged by ``loop_frames``.

    Args:
        nodes: name -> NodeDef; name: the node.
    """
    depth = {name: 0}
    stack = [name]
    while stack:
        current = stack.pop()
        node = nodes.get(current)
        if node is None:
            continue
        level = depth[current]
        if node.op in _SWITCHES:
            if level == 0:
                return current
            level -= 1
        elif node.op in _MERGES:
            level += 1
        elif node.op in _LOOP_ENDS:
            continue
        for text in node.input:
            source = node_name(text)
            if level < depth.get(source, level + 1):
                depth[source] = level
                stack.append(source)
    return None


def _refuse_cond_cuts(graph_def, cuts, path):
    nodes = dict((n.name, n) for n in graph_def.node)
    for cut in cuts:
        switch = cond_switch(nodes, parse_tensor(cut.tensor)[0])
        if switch is not None:
            raise ModelError("input cut %s is inside a branch of a tf.cond (after the Switch %s): its value exists "
                             "only when that branch runs, and a Placeholder there would feed the cond's Merge on "
                             "every run; cut before the Switch or after the cond's Merge"
                             % (quote(cut.tensor), quote(switch)), path)


def plan_cuts(graph_def, tensors, meta_graph=None, path=None):
    """Resolves the tensors to cut: their placeholder names, dtypes and shapes.

    Raises:
        ModelError: unknown node, port out of range, or a dtype that cannot be told.
    """
    nodes = dict((n.name, n) for n in graph_def.node)
    ops = op_defs(meta_graph)
    cuts = []
    seen = set()
    for text in tensors:
        if not text.strip():
            continue
        try:
            name, port = parse_tensor(text)
        except ValueError:
            raise ModelError("input cut '%s' is not a tensor name (NODE or NODE:PORT)" % text, path)
        node = nodes.get(name)
        if node is None:
            raise ModelError("input cut '%s' is not in the graph%s" % (text, _suggest(name, list(nodes))), path)
        if (name, port) in seen:
            continue
        seen.add((name, port))
        shapes = node.attr["_output_shapes"].list.shape if "_output_shapes" in node.attr else None
        if shapes is not None and port >= len(shapes):
            raise ModelError("input cut '%s': node '%s' (%s) has %d output(s)"
                             % (text, name, node.op, len(shapes)), path)
        dtype = tensor_dtype(node, port, ops)
        if not dtype:
            raise ModelError("input cut '%s': cannot tell the dtype of output %d of %s"
                             % (text, port, node.op), path)
        cuts.append(Cut("%s:%d" % (name, port), placeholder_name(name, port, nodes), dtype,
                        tensor_shape(node, port)))
    if cuts and any(n.op in ("Enter", "RefEnter") for n in graph_def.node):
        _refuse_loop_cuts(graph_def, cuts, path)
    if cuts and any(n.op in _SWITCHES for n in graph_def.node):
        _refuse_cond_cuts(graph_def, cuts, path)
    return cuts


def cut_inputs(graph_def, tensors, meta_graph=None, outputs=None, path=None):
    """Replaces each tensor by a Placeholder of its dtype and shape; what fed it is pruned.

    Args:
        graph_def: protos.GraphDef.
        tensors: tensor names ("node" or "node:port").
        meta_graph: optional MetaGraphDef (its stripped_op_list tells output dtypes).
        outputs: optional output names: checks that no other output of a replaced node is needed.
        path: the model file, for messages.
    Returns:
        GraphEdits for core.freeze.plan.freeze(edits=...); notes name each placeholder.
    Raises:
        ModelError: see plan_cuts; or an uncut output of a replaced node the outputs need.
    """
    edits = GraphEdits()
    cuts = plan_cuts(graph_def, tensors, meta_graph, path)
    for cut in cuts:
        node, port = parse_tensor(cut.tensor)
        placeholder = placeholder_node(cut.placeholder, cut.dtype, cut.shape)
        if port == 0:
            edits.replaced[node] = placeholder
        else:
            edits.added.append(placeholder)
            edits.rewired[cut.tensor] = cut.placeholder + ":0"
        shape = "unknown shape" if cut.shape is None else "[%s]" % ",".join(
            "?" if d < 0 else str(d) for d in cut.shape)
        edits.kept_notes.append((cut.placeholder, "input %s cut: Placeholder '%s' (%s %s)"
                                 % (cut.tensor, cut.placeholder, dtypes.name(cut.dtype), shape),
                                 "input %s cut: the outputs do not read it, so the frozen graph has no "
                                 "Placeholder '%s' for it" % (cut.tensor, cut.placeholder)))
    if outputs:
        _check_other_ports(graph_def, edits, outputs, path)
    return edits


def _check_other_ports(graph_def, edits, outputs, path):
    """A node replaced by a Placeholder has only output 0: no needed consumer may read another."""
    nodes = dict((n.name, n) for n in graph_def.node)
    queue = collections.deque(node_name(o) for o in outputs if node_name(o) in nodes)
    seen = set(queue)
    while queue:
        name = queue.popleft()
        if name in edits.replaced:
            continue
        for text in nodes[name].input:
            if not text.startswith("^") and ":" in text:
                source, port = parse_tensor(text)
                if source in edits.replaced and port > 0 and "%s:%d" % (source, port) not in edits.rewired:
                    raise ModelError("cutting at %s:0 makes '%s' a Placeholder, but '%s' also reads %s; "
                                     "cut %s too" % (source, source, name, text, text), path)
            target = edits.rewired.get(text if ":" in text else text + ":0")
            source = node_name(target or text)
            if source in nodes and source not in seen:
                seen.add(source)
                queue.append(source)


def signature_cuts(graph_def, signature):
    """A signature's inputs that are not placeholders (e.g. a Reshape a client feeds): cuts to make."""
    nodes = dict((n.name, n) for n in graph_def.node)
    result = []
    for spec in signature.inputs:
        node = nodes.get(node_name(spec.tensor))
        if node is not None and not node.op.startswith("Placeholder"):
            result.append(spec.tensor)
    return result
