"""The graph view: layout in a worker, clicks, expanding "+k more", freeze mode, zoom, export, colours."""

import pytest

pytest.importorskip("PyQt5")

from PyQt5.QtCore import Qt  # noqa: E402
from PyQt5.QtGui import QColor, QImage, QPalette  # noqa: E402

from core.analysis.subgraph import collapsed_id, neighbourhood, UP  # noqa: E402
from core.formats import protos  # noqa: E402
from core import api  # noqa: E402
from tests.conftest import load_fixture  # noqa: E402


@pytest.fixture(scope="module")
def multi_head():
    fixture = load_fixture("multi_head")
    with api.load(fixture.meta) as loaded:
        yield fixture, loaded


def loaded_graph(tmp_path, graph_def):
    """A synthetic GraphDef written to a .pb and loaded as the window loads it."""
    path = str(tmp_path / "graph.pb")
    with open(path, "wb") as handle:
        handle.write(graph_def.SerializeToString())
    return api.load(path)


def plan_result(loaded, outputs, **options):
    from gui.plan_watch import PlanResult
    session = api.FreezeSession(outputs, **options)
    request = session.request()
    return PlanResult(session.key(with_target=False), request, api.plan(loaded, request))


@pytest.fixture
def view(qtbot):
    from gui.app import create_application
    from gui.graph_view import GraphView
    create_application()
    widget = GraphView()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    yield widget
    widget.wait_for_workers()


def draw(qtbot, view, call, *args):
    with qtbot.waitSignal(view.layout_ready, timeout=20000):
        call(*args)


def click(qtbot, view, name):
    item = view.items[name]
    view.canvas.centerOn(item)
    pos = view.canvas.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseClick(view.canvas.viewport(), Qt.LeftButton, pos=pos)


def test_neighbourhood_click_and_hops(qtbot, view, multi_head):
    fixture, loaded = multi_head
    analysis = loaded.analysis
    center = fixture.outputs[0]
    view.set_model(loaded)
    draw(qtbot, view, view.show_node, center)
    expected = neighbourhood(analysis.graph, center, hops=2)
    assert set(view.items) == set(expected.ids())
    assert view.items[center].isSelected()
    other = analysis.graph.data_inputs(center)[0][0]
    with qtbot.waitSignal(view.node_activated, timeout=5000) as blocker:
        click(qtbot, view, other)
    assert blocker.args == [other]
    assert view.items[other].isSelected()
    draw(qtbot, view, view.hops.setValue, 4)
    assert set(view.items) == set(neighbourhood(analysis.graph, center, hops=4).ids())
    before = view.canvas.transform().m11()
    view.canvas.setFocus()
    qtbot.keyClick(view.canvas, Qt.Key_Minus)
    assert view.canvas.transform().m11() < before


def test_collapsed_fan_in_expands_on_click(qtbot, view, tmp_path):
    graph_def = protos.GraphDef()
    for i in range(20):
        node = graph_def.node.add(name="in%d" % i, op="Placeholder")
        node.attr["dtype"].type = 1
    concat = graph_def.node.add(name="concat", op="ConcatV2")
    concat.input.extend(["in%d" % i for i in range(20)])
    graph_def.node.add(name="out", op="Softmax").input.append("concat")
    view.set_model(loaded_graph(tmp_path, graph_def))
    draw(qtbot, view, view.show_node, "concat")
    more = collapsed_id("concat", UP)
    assert more in view.items and len(view.items) == 1 + 7 + 1 + 1
    draw(qtbot, view, click, qtbot, view, more)
    assert more not in view.items and set("in%d" % i for i in range(20)) <= set(view.items)


def test_freeze_mode_draws_the_plan_and_marks_outputs(qtbot, view, multi_head):
    fixture, loaded = multi_head
    analysis = loaded.analysis
    view.set_model(loaded)
    result = plan_result(loaded, fixture.outputs)
    draw(qtbot, view, view.show_plan, result, True)
    assert view.freeze_button.isChecked() and not view.hops.isEnabled()
    assert set(view.items) == set(n.name for n in result.plan.nodes)
    assert all(view.picture.subgraph.marks[name] == "output" for name in fixture.outputs)
    assert "exactly what the freeze writes" in view.status.text()
    second = fixture.outputs[1]
    view.show_node(second)  # freeze mode: selects, no new layout
    assert view.items[second].isSelected() and view.picture.request[0] == "frozen"
    draw(qtbot, view, view.neighbourhood_button.setChecked, True)
    assert set(view.items) == set(neighbourhood(analysis.graph, second, hops=2).ids())


def test_export_svg_png_dot(qtbot, view, multi_head, tmp_path):
    fixture, loaded = multi_head
    center = fixture.outputs[0]
    view.set_model(loaded)
    draw(qtbot, view, view.show_node, center)
    for ext in ("svg", "png", "dot"):
        view.export(str(tmp_path / ("graph." + ext)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.dot", "graph.png", "graph.svg"]
    svg = (tmp_path / "graph.svg").read_text()
    assert svg.count("<text") >= len(view.items) and "class_probs" in svg
    image = QImage(str(tmp_path / "graph.png"))
    assert not image.isNull() and image.width() > 100 and image.height() > 100
    dot = (tmp_path / "graph.dot").read_text()
    assert dot.startswith("digraph") and ('"%s" [label=' % center) in dot
    with pytest.raises(ValueError):
        view.export(str(tmp_path / "graph.bmp"))


def _contrast(a, b):
    def luminance(c):
        parts = [(v / 255.0) for v in (c.red(), c.green(), c.blue())]
        parts = [p / 12.92 if p <= 0.03928 else ((p + 0.055) / 1.055) ** 2.4 for p in parts]
        return 0.2126 * parts[0] + 0.7152 * parts[1] + 0.0722 * parts[2]
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("base,text", [("#ffffff", "#000000"), ("#1e1e1e", "#e8e8e8")])
def test_colours_readable_on_light_and_dark(qtbot, base, text):
    from gui.graph_items import Colours
    palette = QPalette()
    palette.setColor(QPalette.Base, QColor(base))
    palette.setColor(QPalette.Text, QColor(text))
    colours = Colours(palette)
    for family in ("candidate", "input", "variable", ""):
        assert _contrast(colours.fills.get(family, colours.fill), colours.text) > 7
    assert _contrast(colours.fill, colours.dim) > 2.5
    assert _contrast(colours.base, colours.edge) > 2.5
    assert len(set(c.name() for c in colours.fills.values())) == 3


def test_big_freeze_is_capped_and_a_placeholder_continues_as_neighbourhood(qtbot, view, monkeypatch, tmp_path):
    import gui.graph_view
    monkeypatch.setattr(gui.graph_view, "FREEZE_DRAW_CAP", 5)
    graph_def = protos.GraphDef()
    graph_def.node.add(name="n0", op="Placeholder").attr["dtype"].type = 1
    for i in range(1, 20):
        relu = graph_def.node.add(name="n%d" % i, op="Relu")
        relu.input.append("n%d" % (i - 1))
        relu.attr["T"].type = 1
    loaded = loaded_graph(tmp_path, graph_def)
    view.set_model(loaded)
    draw(qtbot, view, view.show_plan, plan_result(loaded, ["n19"]), True)
    assert "5 of the frozen graph's 20 nodes drawn" in view.status.text()
    more = collapsed_id("n15", UP)
    assert sorted(view.items) == sorted(["n15", "n16", "n17", "n18", "n19", more])
    draw(qtbot, view, click, qtbot, view, more)
    assert view.neighbourhood_button.isChecked() and view.picture.request[1] == "n15"
    assert {"n13", "n14", "n15", "n16", "n17"} == set(view.items)
