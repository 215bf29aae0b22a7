"""A cycle in the nodes a freeze keeps is refused with the cycle itself named, not a node downstream of it."""

import pytest

from core.errors import ModelError
from core.formats.model import open_model
from core.formats import protos
from core.freeze.stage import plan_and_write


def _identity(graph, name, source):
    node = graph.node.add(name=name, op="Identity", input=[source])
    node.attr["T"].type = 1


def test_the_error_names_the_cycle_and_not_what_waits_on_it(tmp_path):
    graph = protos.GraphDef()
    graph.node.add(name="x", op="Placeholder").attr["dtype"].type = 1
    _identity(graph, "a", "c")
    _identity(graph, "b", "a")
    _identity(graph, "c", "b")
    _identity(graph, "z_after", "c")  # waits on the cycle, sorts after it
    path = str(tmp_path / "cycle.pb")
    with open(path, "wb") as handle:
        handle.write(graph.SerializeToString())
    destination = tmp_path / "out.pb"
    with open_model(path) as model:
        with pytest.raises(ModelError) as caught:
            plan_and_write(model, ["z_after"], str(destination))
    text = str(caught.value)
    assert "form a cycle" in text and "\n" not in text
    cycle = text.split("cycle: ")[1].split(" (corrupt")[0].split(" -> ")
    assert len(cycle) == 4 and cycle[0] == cycle[-1], text
    assert sorted(name.strip("'") for name in cycle[:3]) == ["a", "b", "c"], text
    assert not destination.exists()
