"""The deploy tests need the deploy Python (requirements-deploy.txt): CI builds .venv-deploy; locally run
``python3 -m venv .venv-deploy && .venv-deploy/bin/pip install -r requirements-deploy.txt`` (or point
$TF1FREEZE_DEPLOY_PYTHON at a Python that has them), then ``python -m pytest tests/deploy``. Without it
they fail, saying so: they are never skipped."""

import pytest

from core.deploy.children import deploy_python, install_line, missing_modules


@pytest.fixture(scope="session")
def deploy_python_path():
    python = deploy_python()
    missing = sorted(set(m for modules in missing_modules(python).values() for m in modules))
    if missing:
        pytest.fail("the deploy tests need the converters in the deploy Python: " + install_line(missing, python))
    return python
