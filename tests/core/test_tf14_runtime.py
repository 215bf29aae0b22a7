"""The promise of the product on the current stack: a graph frozen here (no TensorFlow 1.4 in sight) loads and
runs in TensorFlow 1.4.0 and gives the outputs TensorFlow 1.4 recorded when it wrote the fixture.

TensorFlow 1.4.0 runs in the Python that TF1FREEZE_TF14_PYTHON names (.ci/run sets it to .venv36/bin/python);
without it the tests skip, and fail under TF1FREEZE_STRICT=1.
"""

import json
import os
import subprocess

import numpy as np
import pytest

from core import api
from tests.conftest import FIXTURE_NAMES, load_fixture
from tests.strict import missing
from tests.tf_runtime import assert_close

TF14_VARIABLE = "TF1FREEZE_TF14_PYTHON"

RUN = r'''
import json, sys
import numpy as np
import tensorflow as tf
assert tf.__version__ == "1.4.0", tf.__version__
frozen, feeds_path, outputs, results = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
graph_def = tf.GraphDef()
with open(frozen, "rb") as handle:
    graph_def.ParseFromString(handle.read())
feeds = np.load(feeds_path)
with tf.Graph().as_default() as graph:
    tf.import_graph_def(graph_def, name="")
    tensor = lambda name: graph.get_tensor_by_name(name if ":" in name else name + ":0")
    with tf.Session() as session:
        values = session.run([tensor(o) for o in outputs], dict((tensor(k), feeds[k]) for k in feeds.files))
np.savez(results, **dict(("out%d" % i, v) for i, v in enumerate(values)))
'''


@pytest.fixture(scope="module")
def tf14_python():
    python = os.environ.get(TF14_VARIABLE)
    if not python:
        missing("a Python with TensorFlow 1.4.0 named by %s (.ci/run sets it to .venv36/bin/python)" % TF14_VARIABLE)
    return python


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_a_graph_frozen_here_runs_in_tensorflow_1_4(tmp_path, tf14_python, name):
    fixture = load_fixture(name)
    frozen = str(tmp_path / "frozen.pb")
    with api.load(fixture.folder) as loaded:
        api.freeze(loaded, api.FreezeRequest(fixture.outputs, destination=frozen, target_tf="1.4"))
    feeds = str(tmp_path / "feeds.npz")
    np.savez(feeds, **fixture.feeds)
    results = str(tmp_path / "results.npz")
    child = subprocess.run([tf14_python, "-c", RUN, frozen, feeds, json.dumps(fixture.outputs), results],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
                           timeout=300)
    assert child.returncode == 0, child.stderr.decode("utf-8", "replace")[-3000:]
    values = np.load(results)
    for i, output in enumerate(fixture.outputs):
        assert_close(values["out%d" % i], fixture.expected[output])
