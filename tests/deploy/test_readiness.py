"""Deploy's readiness and its run agree on a deploy Python that lacks packages: the same one line."""

import os

from core import api
from core.deploy.children import install_line
from tests.conftest import ROOT
from tests.deploy.conftest import python_lacking

EXAMPLE = os.path.join(ROOT, "resources", "example")
OUTPUTS = ["model/heads/class_probs"]


def test_a_python_without_tensorflow_gets_the_line_deploy_refuses_with(tmp_path, deploy_python_path):
    python = python_lacking(deploy_python_path, str(tmp_path / "bare"), ["tensorflow", "tf2onnx", "onnx",
                                                                           "openvino", "cv2", "opencv_python",
                                                                           "numpy"])
    request = api.DeployRequest(OUTPUTS, directory=str(tmp_path / "out"), python=python)
    with api.open_model(EXAMPLE) as loaded:
        ready = api.deploy_readiness(loaded, request)
        report = api.deploy(loaded, request)
    line = "no TensorFlow to prove it with: " + install_line(["tensorflow"], python)
    assert ready == dict((t, line) for t in api.DEPLOY_TARGETS)
    assert dict((t, (r.status, r.reason)) for t, r in report.targets.items()) == dict(
        (t, ("refused", line)) for t in api.DEPLOY_TARGETS)


def test_readiness_of_a_deploy_python_that_does_not_exist(tmp_path):
    request = api.DeployRequest(OUTPUTS, python=str(tmp_path / "nowhere" / "python"))
    with api.open_model(EXAMPLE) as loaded:
        ready = api.deploy_readiness(loaded, request)
    assert set(ready) == set(api.DEPLOY_TARGETS)
    assert all(r.startswith("the deploy Python %s does not exist" % request.python) for r in ready.values())
