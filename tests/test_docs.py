"""docs/architecture.md stays true: it names every module of core/, cli/ and gui/, and no module that is gone."""

import os
import re

from tests.conftest import ROOT

ARCHITECTURE = os.path.join(ROOT, "docs", "architecture.md")


def _modules():
    found = set()
    for package in ("core", "cli", "gui"):
        for base, folders, files in os.walk(os.path.join(ROOT, package)):
            folders[:] = [f for f in folders if f != "__pycache__"]
            for name in files:
                if name.endswith(".py") and name != "__init__.py":
                    found.add(os.path.relpath(os.path.join(base, name), ROOT).replace(os.sep, "/"))
    return found


def _named():
    with open(ARCHITECTURE, encoding="utf-8") as handle:
        text = handle.read()
    return set(re.findall(r"`((?:core|cli|gui)/[\w/]+\.py)`", text))


def test_the_module_map_names_every_module():
    missing = sorted(_modules() - _named())
    assert not missing, "docs/architecture.md does not name these modules: %s" % ", ".join(missing)


def test_the_module_map_names_no_module_that_is_gone():
    gone = sorted(m for m in _named() if not os.path.isfile(os.path.join(ROOT, m)))
    assert not gone, "docs/architecture.md names modules that do not exist: %s" % ", ".join(gone)


def test_the_readme_points_to_the_architecture_page():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        assert "docs/architecture.md" in handle.read()
