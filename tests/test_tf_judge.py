"""The judge of frozen graphs (tests/tf_judge.py), the campaign's and the cases' oracle, on real TensorFlow.

A frozen graph that fails at run is unloadable, except when TensorFlow's own restore of the same files
imports, restores and then fails at run with the same error: the graph then behaves as TensorFlow's
restore does (a wiring or a feed only the values show). Here the input placeholder's shape is made
unknown (its attr and its recorded `_output_shapes`), so nothing before the run knows its width, and a
feed of the wrong width fails in MatMul's kernel."""

import numpy as np

from core import api
from core.formats import protos
from tests import damage
from tests.conftest import copy_fixture
from tests.tf_judge import CORRECT, SAME_RUN_ERROR, UNLOADABLE, judge_freeze
from tests.tf_runtime import tensorflow

tensorflow()


def _unknown_input_shape(meta):
    node = damage.nodes_of(meta)["input"]
    node.attr["shape"].shape.Clear()
    node.attr["shape"].shape.unknown_rank = True
    del node.attr["_output_shapes"]


def _frozen_mlp_of_unknown_width(tmp_path):
    fixture = copy_fixture("mlp", tmp_path)
    damage.edit_meta(fixture.meta, _unknown_input_shape)
    destination = str(tmp_path / "frozen.pb")
    with api.open_model(fixture.folder) as loaded:
        api.freeze(loaded, api.FreezeRequest(fixture.outputs, destination=destination))
    return fixture, destination


def _narrow(feeds):
    return dict((k, v[:, :783]) for k, v in feeds.items())


def test_same_run_error_as_tensorflows_restore(tmp_path, judge):
    fixture, pb = _frozen_mlp_of_unknown_width(tmp_path)
    verdict, why = judge_freeze(judge, fixture.meta, fixture.prefix, fixture.outputs, _narrow(fixture.feeds), pb)
    assert verdict == SAME_RUN_ERROR, why
    assert "at run: InvalidArgumentError" in why and "784" in why, why
    verdict, why = judge_freeze(judge, fixture.meta, fixture.prefix, fixture.outputs, fixture.feeds, pb)
    assert verdict == CORRECT, why


def _unimportable(pb):
    graph = protos.GraphDef()
    with open(pb, "rb") as handle:
        graph.ParseFromString(handle.read())
    [node for node in graph.node if node.name == "output/BiasAdd"][0].op = "NoSuchOp"
    with open(pb, "wb") as handle:
        handle.write(graph.SerializeToString())


def test_graph_tensorflow_cannot_import_is_unloadable_whatever_the_source_does(tmp_path, judge):
    fixture, pb = _frozen_mlp_of_unknown_width(tmp_path)
    _unimportable(pb)
    for feeds in (_narrow(fixture.feeds), fixture.feeds):
        verdict, why = judge_freeze(judge, fixture.meta, fixture.prefix, fixture.outputs, feeds, pb)
        assert verdict == UNLOADABLE and "NoSuchOp" in why, why


def test_run_error_the_source_does_not_have_is_unloadable(tmp_path, judge):
    """Our graph fails at run where TensorFlow's restore computes the outputs: unloadable, not the same error."""
    fixture, pb = _frozen_mlp_of_unknown_width(tmp_path)
    graph = protos.GraphDef()
    with open(pb, "rb") as handle:
        graph.ParseFromString(handle.read())
    kernel = [node for node in graph.node if node.name == "output/kernel"][0]
    kernel.op, kernel.input[:] = "Placeholder", []
    kernel.attr.pop("value")
    with open(pb, "wb") as handle:
        handle.write(graph.SerializeToString())
    verdict, why = judge_freeze(judge, fixture.meta, fixture.prefix, fixture.outputs, fixture.feeds, pb)
    assert verdict == UNLOADABLE and "at run: " in why, why
    assert np.asarray(fixture.feeds["input"]).shape[1] == 784


def test_string_feeds_are_saved_without_pickle(tmp_path):
    """A cut string tensor's value comes back from TensorFlow as an object array of bytes; the judge writes it
    as a bytes array (numpy 2's pickles of object arrays do not load in the TF 1.4 judge's numpy 1.16)."""
    from tests.tf_judge import _portable
    value = np.array([b"hello", b"", b"gr\xc3\xbc\xc3\x9f"], dtype=object)
    path = str(tmp_path / "feeds.npy")
    np.save(path, _portable(value), allow_pickle=False)
    loaded = np.load(path, allow_pickle=False)
    assert loaded.tolist() == value.tolist() and loaded.dtype.kind == "S"
    with_nul = np.array([b"a\x00"], dtype=object)  # bytes arrays drop trailing NULs: kept as it is
    assert _portable(with_nul) is with_nul
