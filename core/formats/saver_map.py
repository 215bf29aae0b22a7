"""Which checkpoint key (and slice) restores which variable: the graph's savers, read from their restore ops.

As `import_meta_graph` + `Saver.restore` do, the saver that `saver_def.restore_op_name` names decides:
its restore op groups (through NoOps) the `Assign`s that copy each `RestoreV2`/`RestoreSlice`/`Restore`
output into a variable. A graph can hold several savers (a training `Saver()` beside an evaluation
`Saver(ema.variables_to_restore())`); each is listed by the name scope of its restore op.
"""

import collections

from core.errors import ModelError, quote
from core.formats import dtypes
from core.formats.node_table import node_table
from core.names import node_name, port_of

VARIABLE_OPS = frozenset(["Variable", "VariableV2", "VarHandleOp"])
_ASSIGN_OPS = frozenset(["Assign", "AssignVariableOp"])
_RESTORE_OPS = frozenset(["RestoreV2", "RestoreSlice", "Restore"])
_VALUE_KEEPING = frozenset(["Identity", "Snapshot", "StopGradient", "PreventGradient", "Cast"])
_TRACE_LIMIT = 64  # nodes looked at behind one Assign's value before giving up: no restore behind it


class VariableSource(collections.namedtuple("VariableSource", "key region via_saver")):
    """Where a variable's value lives in the checkpoint.

    key: the checkpoint tensor name.
    region: None for the whole tensor, else (full_shape, starts, lengths) of a partition.
    via_saver: True when read from the graph's restore ops, False for a name fallback.
    """


class Saver(object):
    """One saver of the graph.

    Attributes:
        name: the name scope of its restore op ("save", "save_1"), as `inspect` lists it.
        restore_op: the restore op's node name ("save/restore_all").
        sources: dict variable name -> VariableSource, for what it restores straight from a tensor.
        problems: dict variable name -> why its restored value cannot be told (a Neg between the
            restore tensor and the Assign, two Assigns of one variable, a slice spec TF cannot read).
        is_default: the saver `saver_def` names (or the graph's first, without a saver_def).
        restores_moving_averages: it restores some variable from one of its slots (a moving average).
    """

    def __init__(self, name, restore_op, sources, problems, is_default, restores_moving_averages):
        self.name = name
        self.restore_op = restore_op
        self.sources = sources
        self.problems = problems
        self.is_default = is_default
        self.restores_moving_averages = restores_moving_averages

    @property
    def variable_count(self):
        return len(set(self.sources) | set(self.problems))

    def __repr__(self):
        return "Saver(%s, %d variables%s)" % (self.name, self.variable_count, ", default" if self.is_default else "")


def parse_slice_spec(spec):
    """Parses a saver shape-and-slice string such as "30 8 10,10:0,8".

    Returns:
        None for "" (the whole tensor), else (full_shape, starts, lengths); a "-"
        extent means the whole dimension.
    Raises:
        ValueError: malformed spec.
    """
    spec = spec.strip()
    if not spec:
        return None
    parts = spec.split(" ")
    full_shape = [int(p) for p in parts[:-1]]
    extents = parts[-1].split(":")
    if len(extents) != len(full_shape):
        raise ValueError("slice %r does not match shape %r" % (parts[-1], full_shape))
    starts, lengths = [], []
    for extent, dim in zip(extents, full_shape):
        if extent == "-":
            starts.append(0)
            lengths.append(dim)
        else:
            start, length = extent.split(",")
            starts.append(int(start))
            lengths.append(int(length))
    return full_shape, starts, lengths


def fallback_key(node):
    """The checkpoint key TensorFlow's default saver would use for a variable node."""
    if node.op == "VarHandleOp":
        shared = node.attr["shared_name"].s.decode("utf-8") if "shared_name" in node.attr else ""
        return shared or node.name
    return node.name


_NO_OP = frozenset(["NoOp"])


class _Graph(object):
    """The nodes, the NoOps that group each node, and the decoded string lists of restore ops."""

    def __init__(self, graph_def):
        table = node_table(graph_def)
        self.nodes = table.nodes
        self.order = table.index
        self.groups = collections.defaultdict(list)
        for position in table.positions(_NO_OP):
            for inp in table.inputs(position):
                self.groups[node_name(inp)].append(table.names[position])
        self._strings = {}

    def strings(self, name):
        if name not in self._strings:
            node = self.nodes.get(name)
            ok = node is not None and node.op == "Const" and node.attr["value"].tensor.dtype == dtypes.DT_STRING
            self._strings[name] = dtypes.string_values(node.attr["value"].tensor) if ok else None
        return self._strings[name]


def _trace(graph, tensor):
    """What feeds an Assign's value: (restore node, port, ops on the way) or None when no restore op does.

    Ops on the way are the nodes between that are not value-keeping (an Identity is, a Neg is not),
    and every other restore tensor found (a value mixed from two)."""
    restores, between = [], []
    stack, seen = [tensor], set()
    while stack and len(seen) < _TRACE_LIMIT:
        current = stack.pop()
        name = node_name(current)
        node = graph.nodes.get(name)
        if node is None or (name, port_of(current)) in seen:
            continue
        seen.add((name, port_of(current)))
        if node.op in _RESTORE_OPS:
            restores.append((node, port_of(current)))
            continue
        data = [i for i in node.input if not i.startswith("^")]
        if not _keeps_value(node) or len(data) != 1:
            between.append(node)
        stack.extend(data)
    if not restores:
        return None
    return restores[0][0], restores[0][1], between + [r for r, _ in restores[1:]]


def _keeps_value(node):
    if node.op not in _VALUE_KEEPING:
        return False
    return node.op != "Cast" or node.attr["SrcT"].type == node.attr["DstT"].type


def _source(graph, restore, port):
    """VariableSource of output ``port`` of a restore op, or the text of why it cannot be read."""
    if len(restore.input) < 2:
        return "restore op %s has no tensor names" % quote(restore.name)
    names = graph.strings(node_name(restore.input[1]))
    if not names:
        return "the tensor names of restore op %s are not a string Const" % quote(restore.name)
    index = port if len(names) > 1 else 0
    if index >= len(names):
        return "restore op %s has no output %d (%d tensor names)" % (quote(restore.name), port, len(names))
    region = None
    if len(restore.input) > 2:
        specs = graph.strings(node_name(restore.input[2]))
        if specs and index < len(specs):
            try:
                region = parse_slice_spec(specs[index])
            except ValueError:
                return "restore op %s has the unreadable slice spec %s" % (quote(restore.name), quote(specs[index]))
    return VariableSource(names[index], region, True)


def _restore_assigns(graph, restore_op):
    """The Assign-like nodes a restore op runs, found through the NoOps that group them."""
    start = graph.nodes.get(restore_op)
    if start is None:
        return []
    found, queue, seen = [], collections.deque([start]), set([start.name])
    while queue:
        node = queue.popleft()
        if node.op in _ASSIGN_OPS:
            found.append(node)
            continue
        if node is not start and node.op != "NoOp":
            continue
        for inp in node.input:
            name = node_name(inp)
            if name not in seen and name in graph.nodes:
                seen.add(name)
                queue.append(graph.nodes[name])
    return found


def _read_saver(graph, name, restore_op, is_default, assigns=None):
    """A Saver from the Assigns its restore op runs (or ``assigns`` that no NoOp groups)."""
    sources, problems, keys = {}, {}, set()
    for assign in _restore_assigns(graph, restore_op) if assigns is None else assigns:
        if len(assign.input) < 2:
            continue
        target = graph.nodes.get(node_name(assign.input[0]))
        traced = _trace(graph, assign.input[1])
        if target is None or target.op not in VARIABLE_OPS or traced is None:
            continue
        restore, port, between = traced
        source = _source(graph, restore, port)
        if between:
            source = ("restored through %s from %s:%d: its value is not the checkpoint tensor's, and freezing "
                      "would guess it" % (", ".join("%s (%s)" % (quote(n.name), n.op) for n in between[:3]),
                                          restore.name, port))
        if target.name in sources and source != sources[target.name]:
            source = "restored twice by saver %s (%s)" % (quote(name), quote(assign.name))
        if isinstance(source, VariableSource):
            sources[target.name] = source
            keys.add(source.key)
        else:
            sources.pop(target.name, None)
            problems[target.name] = source
    averages = any(source.key != target and source.key.startswith(target + "/") and source.key in graph.nodes
                   and graph.nodes[source.key].op in VARIABLE_OPS for target, source in sources.items())
    return Saver(name, restore_op, sources, problems, is_default, averages)


def _top_groups(graph, assigns):
    """The NoOps at the top of the groups holding ``assigns`` (restore_all, not restore_shard), and the
    assigns that no NoOp groups, by name scope."""
    tops, seen, loose = [], set(), collections.OrderedDict()
    queue = collections.deque(a.name for a in assigns)
    while queue:
        name = queue.popleft()
        parents = [g for g in graph.groups.get(name, ()) if g not in seen]
        for group in parents:
            seen.add(group)
            queue.append(group)
        if not graph.groups.get(name):
            if graph.nodes[name].op == "NoOp":
                tops.append(name)
            else:
                loose.setdefault(_scope(name), []).append(graph.nodes[name])
    return sorted(set(tops), key=graph.order.get), loose


def _scope(restore_op):
    return restore_op.rsplit("/", 1)[0] if "/" in restore_op else restore_op


def find_savers(graph_def, meta_graph=None):
    """The graph's savers in graph order, the one ``saver_def`` names marked default.

    Returns:
        list of Saver (empty when no restore op feeds a variable).
    """
    graph = _Graph(graph_def)
    candidates = [graph.nodes[name] for name in node_table(graph_def).named(_ASSIGN_OPS)]
    assigns = [n for n in candidates if len(n.input) >= 2 and _trace(graph, n.input[1]) is not None]
    tops, loose = _top_groups(graph, assigns)
    named = _saver_def_op(meta_graph)
    if named and named in graph.nodes and named not in tops:
        tops.append(named)
    default = named if named in tops else (tops[0] if tops else None)
    savers, names = [], set()
    for top in tops:
        name = _scope(top) if _scope(top) not in names else top
        names.add(name)
        savers.append(_read_saver(graph, name, top, top == default))
    for scope, members in loose.items():
        name = scope if scope not in names else members[0].name
        names.add(name)
        savers.append(_read_saver(graph, name, None, default is None and not savers, members))
    # The saver saver_def names stays even when it restores nothing (its restore op an Assign-less
    # tensor): `sess.run(restore_op_name)` then initialises no variable, and nothing may guess them.
    return [s for s in savers if s.variable_count or (named is not None and s.restore_op == named)]


def _saver_def_problem(meta_graph):
    """Why TensorFlow's Saver refuses the meta graph's saver_def (Saver._check_saver_def), or None."""
    if meta_graph is None or not meta_graph.HasField("saver_def"):
        return None
    for field in ("save_tensor_name", "restore_op_name"):
        if not getattr(meta_graph.saver_def, field):
            return "has no %s" % field
    return None


def _saver_def_op(meta_graph):
    if meta_graph is None or not meta_graph.HasField("saver_def"):
        return None
    return node_name(meta_graph.saver_def.restore_op_name) or None


def choose_saver(graph_def, meta_graph=None, name=None, path=None):
    """The saver that maps variables for a freeze: ``name`` (a saver name or its restore op), else the default.

    Returns:
        Saver, or None when the graph holds no saver (variables are then found by name).
    Raises:
        ModelError: no saver of that name (the message lists them), or a saver_def naming a node the
            graph lacks.
    """
    savers = find_savers(graph_def, meta_graph)
    if name is None:
        problem = _saver_def_problem(meta_graph)
        if problem is not None:
            raise ModelError("the meta graph's saver_def %s, so TensorFlow's import_meta_graph cannot restore it%s"
                             % (problem, " (choose a saver with --saver: %s)" % ", ".join(s.name for s in savers)
                                if savers else ""), path)
        named = _saver_def_op(meta_graph)
        if named and named not in node_table(graph_def).index and savers:
            raise ModelError("the meta graph's saver_def names restore op %s, which is not in the graph "
                             "(choose a saver with --saver: %s)" % (quote(named), ", ".join(s.name for s in savers)),
                             path)
        for saver in savers:
            if saver.is_default:
                return saver
        return None
    for saver in savers:
        if name in (saver.name, saver.restore_op):
            return saver
    raise ModelError("no saver %s in the graph; it has %s" % (
        quote(name), ", ".join(s.name for s in savers) or "none"), path)


def variable_sources(graph_def, meta_graph=None, saver=None):
    """Maps variable node names to their checkpoint source through a saver's restore ops (the default
    one unless ``saver`` names another); variables it does not restore are left out.

    Returns:
        dict variable name -> VariableSource.
    """
    chosen = choose_saver(graph_def, meta_graph, saver)
    return dict(chosen.sources) if chosen is not None else {}


def restoring_nodes(graph_def, meta_graph, saver_name, variables):
    """The nodes TensorFlow runs to restore ``variables`` through the chosen saver: each variable's
    Assign under the saver's restore op and everything that Assign reads (data and control inputs).

    Returns:
        set of node names (empty without a saver, or for a saver whose Assigns no NoOp groups).
    """
    chosen = choose_saver(graph_def, meta_graph, saver_name)
    if chosen is None or chosen.restore_op is None or not variables:
        return set()
    graph = _Graph(graph_def)
    wanted = set(variables)
    assigns = [a.name for a in _restore_assigns(graph, chosen.restore_op)
               if a.input and node_name(a.input[0]) in wanted]
    found, stack = set(assigns), list(assigns)
    while stack:
        for text in graph.nodes[stack.pop()].input:
            name = node_name(text)
            if name not in found and name in graph.nodes:
                found.add(name)
                stack.append(name)
    return found
