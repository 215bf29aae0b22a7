"""Neighbourhoods, collapsed fan-outs, the subgraph a freeze keeps, and its DOT export."""

import re

import pytest

from core.analysis.graph_dot import quote, to_dot
from core.analysis.graph_model import GraphModel
from core import api
from core.analysis.subgraph import CUT, DOWN, OUTPUT, UP, collapsed_id, edge_labels, neighbourhood, whole_subgraph
from core.formats import protos
from core.formats.model import open_model
from core.freeze.plan import plan_freeze
from core.freeze.plan_graph import kept_graph
from tests.conftest import FIXTURE_NAMES, load_fixture


def graph(*specs):
    """GraphModel from ("name", "Op", [inputs]) triples."""
    graph_def = protos.GraphDef()
    for name, op, inputs in specs:
        node = graph_def.node.add(name=name, op=op)
        node.input.extend(inputs)
    return GraphModel(graph_def)


def chain(length):
    names = ["n%d" % i for i in range(length)]
    return graph(*[(n, "Identity", [names[i - 1]] if i else []) for i, n in enumerate(names)])


def test_hops_follow_inputs_up_and_consumers_down():
    model = chain(7)
    assert set(neighbourhood(model, "n3", hops=1).nodes) == {"n2", "n3", "n4"}
    assert set(neighbourhood(model, "n3", hops=2).nodes) == {"n1", "n2", "n3", "n4", "n5"}
    assert neighbourhood(model, "n3", hops=0).nodes == ["n3"]
    assert set(neighbourhood(model, "n0", hops=5).nodes) == {"n%d" % i for i in range(6)}


def test_no_sideways_steps_and_control_edges_count():
    model = graph(("x", "Placeholder", []), ("y", "Placeholder", []), ("a", "Add", ["x", "y"]),
                  ("b", "Relu", ["a"]), ("guard", "NoOp", []), ("c", "Identity", ["b", "^guard"]))
    sub = neighbourhood(model, "x", hops=3)
    assert set(sub.nodes) == {"x", "a", "b", "c"}  # y is an input of a consumer: not drawn
    up = neighbourhood(model, "c", hops=1)
    assert set(up.nodes) == {"b", "c", "guard"}
    kinds = dict(((e.source, e.target), e.kind) for e in up.edges)
    assert kinds == {("b", "c"): "data", ("guard", "c"): "control"}


def test_wide_concat_is_collapsed_then_expanded():
    specs = [("in%d" % i, "Placeholder", []) for i in range(300)]
    specs.append(("concat", "ConcatV2", ["in%d" % i for i in range(300)]))
    specs += [("use%d" % i, "Relu", ["concat"]) for i in range(20)]
    model = graph(*specs)
    sub = neighbourhood(model, "concat", hops=2, fanout=8)
    assert len(sub.nodes) == 1 + 7 + 7
    up, down = collapsed_id("concat", UP), collapsed_id("concat", DOWN)
    assert sorted(sub.collapsed) == sorted([up, down])
    assert len(sub.collapsed[up].names) == 293 and sub.collapsed[up].label == "+293 more"
    assert len(sub.collapsed[down].names) == 13
    assert any(e.source == up and e.target == "concat" and e.kind == "more" for e in sub.edges)
    wide = neighbourhood(model, "concat", hops=1, fanout=8, max_nodes=1000, expanded=[("concat", UP)])
    assert len(wide.nodes) == 1 + 300 + 7 and list(wide.collapsed) == [down]
    capped = neighbourhood(model, "concat", hops=1, fanout=8, max_nodes=50, expanded=[("concat", UP)])
    assert len(capped.nodes) == 50 and capped.truncated
    assert len(capped.collapsed[up].names) + len(capped.nodes) - 1 == 300  # the cap took every slot
    assert len(capped.collapsed[down].names) == 20


def test_the_frozen_picture_marks_cuts_and_stops_there():
    fixture = load_fixture("cnn_bn")
    with api.load(fixture.folder) as loaded:
        request = api.FreezeSession(fixture.outputs, ["classifier/flatten:0"], inference=True).request()
        picture = api.freeze_picture(loaded, api.plan(loaded, request), request)
    nodes = set(picture.subgraph.nodes)
    assert picture.subgraph.marks == {"probs": OUTPUT, "classifier/flatten": CUT}
    assert not any(n.startswith("features/") for n in nodes) and "images" not in nodes


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_the_frozen_picture_is_what_plan_freeze_keeps_and_a_cap_keeps_the_nearest(name):
    fixture = load_fixture(name)
    model = open_model(fixture.meta)
    try:
        plan = plan_freeze(model, fixture.outputs)
        whole = kept_graph(plan)
        capped = kept_graph(plan, max_nodes=5)
    finally:
        model.close()
    assert [n.name for n in whole.graph_def.node] == [n.name for n in plan.nodes] and not whole.hidden
    drawn = set(n.name for n in capped.graph_def.node)
    assert len(drawn) == min(5, len(plan.nodes)) and set(plan.outputs[:5]) <= drawn  # every output drawn first
    by_name = dict((n.name, n) for n in whole.graph_def.node)
    for anchor, rest in capped.hidden.items():  # each hidden input is a real input the cap left out
        inputs = set(i.lstrip("^").split(":")[0] for i in by_name[anchor].input)
        assert anchor in drawn and set(rest) <= inputs - drawn
    sub = whole_subgraph(GraphModel(capped.graph_def), capped.hidden)
    assert set(sub.nodes) == drawn and len(sub.collapsed) == len(capped.hidden)


def test_edge_labels_are_output_shapes():
    fixture = load_fixture("cnn_bn")
    model = open_model(fixture.meta)
    try:
        graph_model = GraphModel(model.graph_def)
        sub = neighbourhood(graph_model, "probs", hops=2)
        labels = edge_labels(graph_model, sub)
    finally:
        model.close()
    logits = [e for e in sub.edges if e.target == "probs" and e.kind == "data"][0]
    assert re.match(r"^\[\?,\d+\]$", labels[(logits.source, 0)])


_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(->)|([\[\]=,;{}])|([A-Za-z_0-9.#]+)|(\s+)')


def parse_dot(text):
    """A tiny DOT reader: (node ids, [(source, target)]) of the statements of one digraph."""
    tokens = []
    for match in _TOKEN.finditer(text):
        if match.group(1) is not None:
            tokens.append(("id", re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1),
                                        match.group(1))))
        elif match.group(5) is None:
            tokens.append(("sym", match.group(0)))
    assert "".join(m.group(0) for m in _TOKEN.finditer(text)) == text  # nothing unreadable
    nodes, edges, statement, depth = [], [], [], 0
    for kind, value in tokens[3:]:  # skip `digraph "title" {`
        if value == "[":
            depth += 1
        elif value == "]":
            depth -= 1
        elif depth == 0 and value in (";", "}"):
            ids = [v for k, v in statement if k == "id"]
            if len(statement) >= 3 and statement[1][1] == "->":
                edges.append((ids[0], ids[1]))
            elif ids and statement[0][0] == "id":
                nodes.append(ids[0])
            statement = []
        elif depth == 0:
            statement.append((kind, value))
    return nodes, edges


def test_dot_round_trips_names_and_edges():
    model = graph(("in", "Placeholder", []), ('we"ird\\name', "Relu", ["in"]), ("x", "Identity", ['we"ird\\name']),
                  ("guard", "NoOp", []), ("y", "Add", ["x", "in", "^guard"]))
    for fanout in (3, 2):
        sub = neighbourhood(model, "y", hops=2, fanout=fanout)
        text = to_dot(sub, model, title="n")
        nodes, edges = parse_dot(text)
        assert nodes == sub.nodes + sorted(sub.collapsed)
        assert edges == [(e.source, e.target) for e in sub.edges]
        assert len(text.splitlines()) == 3 + len(nodes) + len(edges) + 1
    assert nodes == ['we"ird\\name', "x", "y", collapsed_id("y", UP)]
    text = to_dot(neighbourhood(model, "y", hops=2, fanout=3), model)
    assert quote('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert 'style=dashed' in [l for l in text.splitlines() if '"guard" ->' in l][0]


def test_a_capped_frozen_picture_keeps_the_nodes_nearest_the_output(tmp_path):
    graph_def = protos.GraphDef()
    graph_def.node.add(name="n0", op="Placeholder").attr["dtype"].type = 1
    for i in range(1, 50):
        relu = graph_def.node.add(name="n%d" % i, op="Relu")
        relu.input.append("n%d" % (i - 1))
        relu.attr["T"].type = 1
    (tmp_path / "chain.pb").write_bytes(graph_def.SerializeToString())
    with api.load(str(tmp_path / "chain.pb")) as loaded:
        names = api.node_names(loaded)
        request = api.FreezeSession([names[-1]]).request()
        picture = api.freeze_picture(loaded, api.plan(loaded, request), request, max_nodes=10)
    assert picture.subgraph.nodes == names[40:] and picture.total == 50
    assert list(picture.subgraph.collapsed) == [collapsed_id(names[40], UP)]
    assert picture.subgraph.collapsed[collapsed_id(names[40], UP)].names == [names[39]]