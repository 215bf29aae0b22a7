"""Mutation test: damaged copies of the fixtures either fail with one clean line or freeze correctly.

A fixed seed damages the .index/.data/.meta of a few fixtures (tests/mutators.py: byte flips,
truncation, overwrites, and index entries or graph nodes edited and written back with valid
checksums). For every case: a ModelError whose text is one line, or a .pb byte-equal to the
clean freeze; a .pb that differs (a .meta mutation changed the graph) must run in TensorFlow
and give what TensorFlow gives on the damaged checkpoint itself (or, when TensorFlow refuses
that checkpoint, the clean outputs).
"""

import os
import random
import shutil

import numpy as np
import pytest

from core.errors import ModelError
from core.formats.model import open_model
from core.freeze.stage import plan_and_write
from tests.conftest import copy_fixture, load_fixture
from tests.mutators import mutate
from tests.tf_runtime import assert_close, run_frozen, tf1

FIXTURES = ("mlp", "partitioned", "dtypes", "custom_saver_keys")
CASES_PER_FIXTURE = 40
SEED = 20240612


def _run_checkpoint(fixture, prefix):
    """The outputs TensorFlow computes from a (damaged) checkpoint, or None if it refuses it."""
    tf = tf1()
    try:
        with tf.Graph().as_default() as graph:
            saver = tf.train.import_meta_graph(prefix + ".meta", clear_devices=True)
            with tf.Session(graph=graph) as session:
                saver.restore(session, prefix)
                feeds = dict((graph.get_tensor_by_name(k + ":0"), v) for k, v in fixture.feeds.items())
                values = session.run([o + ":0" for o in fixture.outputs], feeds)
    except Exception:  # noqa: BLE001 - TensorFlow refusing the damaged checkpoint is an outcome
        return None
    return dict(zip(fixture.outputs, values))


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("clean"))
    result = {}
    for name in FIXTURES:
        fixture = load_fixture(name)
        destination = os.path.join(folder, name + ".pb")
        with open_model(fixture.folder) as model:
            plan_and_write(model, fixture.outputs, destination)
        with open(destination, "rb") as handle:
            result[name] = handle.read()
    return result


@pytest.mark.parametrize("name", FIXTURES)
def test_mutated_checkpoints_keep_the_contract(tmp_path, clean, name):
    rng = random.Random("%d-%s" % (SEED, name))
    outcomes = {"error": 0, "identical": 0, "changed": 0}
    for case in range(CASES_PER_FIXTURE):
        folder = tmp_path / str(case)
        fixture = copy_fixture(name, folder)
        what = mutate(rng, fixture.prefix)
        destination = str(folder / "out.pb")
        try:
            with open_model(fixture.folder) as model:
                plan_and_write(model, fixture.outputs, destination)
        except ModelError as exc:
            text = "error: %s" % exc
            assert "\n" not in text and "\r" not in text and len(text) < 1200, (what, text)
            assert not os.path.exists(destination), what
            outcomes["error"] += 1
            shutil.rmtree(str(folder))
            continue
        with open(destination, "rb") as handle:
            pb = handle.read()
        if pb == clean[name]:
            outcomes["identical"] += 1
        else:
            outcomes["changed"] += 1
            assert "meta" in what.split(" ")[0], "the checkpoint's damage changed the graph: %s" % what
            ours = run_frozen(pb, fixture.feeds, fixture.outputs)
            theirs = _run_checkpoint(fixture, fixture.prefix) or fixture.expected
            for output in fixture.outputs:
                expected = theirs[output]
                assert_close(ours[output], np.asarray(expected), rtol=1e-5, atol=1e-6)
        shutil.rmtree(str(folder))
    assert sum(outcomes.values()) == CASES_PER_FIXTURE
    assert outcomes["error"] and outcomes["identical"], outcomes
