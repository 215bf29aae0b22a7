"""The deploy tests need the deploy Python (requirements-deploy.txt): CI builds .venv-deploy; locally run
``python3 -m venv .venv-deploy && .venv-deploy/bin/pip install -r requirements-deploy.txt`` (or point
$TF1FREEZE_DEPLOY_PYTHON at a Python that has them), then ``python -m pytest tests/deploy``. Without it
they fail, saying so: they are never skipped."""

import os
import subprocess

import pytest

from core.deploy.children import deploy_python, install_line, missing_modules


@pytest.fixture(scope="session")
def deploy_python_path():
    python = deploy_python()
    missing = sorted(set(m for modules in missing_modules(python).values() for m in modules))
    if missing:
        pytest.fail("the deploy tests need the converters in the deploy Python: " + install_line(missing, python))
    return python


def _purelib(python):
    return subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   universal_newlines=True).strip()


def python_lacking(deploy_python, folder, prefixes):
    """A real Python with the deploy Python's packages except those whose site-packages entries start with
    one of ``prefixes`` (a module and its distribution: "cv2", "opencv_python"): a venv in ``folder``
    whose site-packages links every other entry of the deploy Python's."""
    subprocess.check_call([deploy_python, "-m", "venv", "--without-pip", folder])
    python = os.path.join(folder, "bin", "python")
    source, target = _purelib(deploy_python), _purelib(python)
    for name in os.listdir(source):
        if name.lower().startswith(tuple(prefixes)) or os.path.exists(os.path.join(target, name)):
            continue
        os.symlink(os.path.join(source, name), os.path.join(target, name))
    return python
