"""FreezeSession: the freeze being prepared, its listeners, its request; what the freeze keeps is what it writes."""

import pytest

from core import api
from core.formats import protos
from tests.conftest import load_fixture


def test_listeners_hear_each_change_once_and_batches_once():
    session = api.FreezeSession()
    heard = []
    unsubscribe = session.subscribe(heard.append)
    session.set_output("a")
    session.set_output("a")  # no change, no call
    session.set_outputs(["b", "a"])  # kept order: a first, then b
    assert session.outputs == ["a", "b"]
    session.set_cut("x:1")
    session.set_value("keep_prob", 1.0)
    session.set_option("inference", True)
    assert heard == [frozenset(["outputs"])] * 2 + [frozenset(["input_cuts"]), frozenset(["values"]),
                                                     frozenset(["inference"])]
    del heard[:]
    with session.batch():
        session.set_outputs([])
        session.set_cuts([])
        session.set_option("saver", "save_1")
    assert heard == [frozenset(["outputs", "input_cuts", "saver"])]
    unsubscribe()
    session.set_output("c")
    assert len(heard) == 1
    with pytest.raises(AttributeError):
        session.set_option("destination", "x.pb")


def test_request_carries_every_field_and_keys_tell_freezes_apart():
    session = api.FreezeSession(["y"], ["IteratorGetNext:1"], {"keep_prob": "1.0"}, inference=True,
                                keep_devices=True, target_tf="1.4", saver="save_1", init_missing=True)
    request = session.request("out.pb")
    assert (request.outputs, request.input_cuts, request.values, request.inference, request.keep_devices,
            request.target_tf, request.saver, request.init_missing, request.destination) == (
        ["y"], ["IteratorGetNext:1"], {"keep_prob": "1.0"}, True, True, "1.4", "save_1", True, "out.pb")
    other = api.FreezeSession(["y"], ["IteratorGetNext:1"], {"keep_prob": "1.0"}, inference=True,
                              keep_devices=True, target_tf="1.15", saver="save_1", init_missing=True)
    assert other.key() != session.key() and other.key(with_target=False) == session.key(with_target=False)
    session.clear()
    assert (session.outputs, session.input_cuts, session.values, session.saver) == ([], [], {}, None)
    assert session.inference and session.target_tf == "1.4"  # options outlive a model


def test_the_command_line_builds_its_request_through_a_session():
    from cli import build_parser
    from cli.freeze_cmd import request_from
    args = build_parser().parse_args(["freeze", "m", "--outputs", "y", "--inference", "--set", "p=1",
                                      "--keep-devices", "-o", "o.pb", "--target-tf", "1.5"])
    request = request_from(args, ["y"], ["c:0"])
    expected = api.FreezeSession(["y"], ["c:0"], {"p": "1"}, inference=True, keep_devices=True,
                                 target_tf="1.5").request("o.pb")
    assert repr(request) == repr(expected)


@pytest.mark.parametrize("inference", [True, False])
def test_what_the_freeze_keeps_is_the_written_graph(tmp_path, inference):
    fixture = load_fixture("cnn_bn")
    with api.load(fixture.folder) as loaded:
        request = api.FreezeSession(fixture.outputs, inference=inference).request(str(tmp_path / "f.pb"))
        picture = api.freeze_picture(loaded, api.plan(loaded, request), request)
        api.freeze(loaded, request)
    written = protos.GraphDef()
    with open(request.destination, "rb") as handle:
        written.ParseFromString(handle.read())
    assert set(picture.subgraph.nodes) == set(n.name for n in written.node)
    assert picture.total == len(written.node) == (38 if inference else 71)
    assert picture.subgraph.marks == dict((o, "output") for o in fixture.outputs)
    edges = set((e.source, e.target) for e in picture.subgraph.edges if e.kind == "data")
    assert edges == set((inp.split(":")[0], n.name) for n in written.node for inp in n.input
                        if not inp.startswith("^"))
