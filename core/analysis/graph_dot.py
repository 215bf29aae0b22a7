"""Graphviz DOT text of a subgraph: boxes with op and name, shapes on data edges, dashed control edges."""

from core.analysis.roles import INPUT, SWITCH, TRAINING_INPUT, TRAINING_ONLY, VARIABLE
from core.analysis.subgraph import CENTER, CUT, FIXED, OUTPUT, edge_labels

_MARK_STYLE = {
    CENTER: 'penwidth=2, color="#1a56b0"',
    OUTPUT: 'penwidth=2, color="#1e8e3e"',
    CUT: 'style="rounded,dashed", color="#e37400"',
    FIXED: 'style="rounded,dashed", color="#7b1fa2"',
}


# The window's light-theme fills (gui/graph_items.py): candidates green, inputs blue, variables brown.
_FAMILY_FILL = {"candidate": "#d5ebdb", "input": "#d6e0f0", "variable": "#e9e1de", "training": "#f1f1f1"}


def family(role, is_candidate):
    """The colour family of a node: "candidate", "input", "variable", "training" or ""."""
    if is_candidate:
        return "candidate"
    if role in (INPUT, SWITCH):
        return "input"
    if role == VARIABLE:
        return "variable"
    if role in TRAINING_ONLY or role == TRAINING_INPUT:
        return "training"
    return ""


def quote(text):
    """A DOT double-quoted string: backslashes, quotes and line breaks escaped."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"%s"' % text.replace("\r", "").replace("\n", "\\n")


def to_dot(subgraph, model, title="subgraph", roles=None, candidates=()):
    """The subgraph as a DOT digraph (one line per node and per edge), filled with the window's colours.

    Args:
        subgraph: core.analysis.subgraph.Subgraph.
        model: core.analysis.graph_model.GraphModel it was taken from.
        title: the graph's name.
        roles: dict node name -> role (fills inputs and variables); candidates: candidate output names.
    Returns:
        str.
    """
    lines = ["digraph %s {" % quote(title), "  rankdir=TB;",
             '  node [shape=box, style=rounded, fontname="Helvetica"];']
    for name in subgraph.nodes:
        styles = [_MARK_STYLE.get(subgraph.marks.get(name))]
        fill = _FAMILY_FILL.get(family((roles or {}).get(name), name in candidates))
        if fill:
            styles.append('fillcolor="%s"' % fill)
            if "style=" not in (styles[0] or ""):
                styles.append('style="rounded,filled"')
            else:
                styles[0] = styles[0].replace('style="rounded,', 'style="rounded,filled,')
        if (roles or {}).get(name) in TRAINING_ONLY:
            styles.append('fontcolor="#777777"')
        style = ", ".join(s for s in styles if s)
        label = quote("%s\n%s" % (model.op(name), name))
        lines.append("  %s [label=%s%s];" % (quote(name), label, ", " + style if style else ""))
    for pid in sorted(subgraph.collapsed):
        group = subgraph.collapsed[pid]
        lines.append("  %s [label=%s, style=dotted];" % (quote(pid), quote(group.label)))
    labels = edge_labels(model, subgraph)
    for edge in subgraph.edges:
        attrs = []
        if edge.kind == "control":
            attrs.append("style=dashed")
        elif edge.kind == "more":
            attrs.append("style=dotted")
        else:
            text = labels.get((edge.source, edge.port))
            if edge.port:
                text = ":%d %s" % (edge.port, text or "")
            if text:
                attrs.append("label=%s" % quote(text.strip()))
        lines.append("  %s -> %s%s;" % (quote(edge.source), quote(edge.target),
                                         " [%s]" % ", ".join(attrs) if attrs else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"
