"""The layering rules: core never imports Qt, and reading or freezing never imports TensorFlow."""

import os
import subprocess
import sys

from tests.conftest import ROOT, load_fixture

PROBE = r'''
import sys, importlib, pkgutil
for blocked in ("PyQt5", "tensorflow"):
    sys.modules[blocked] = None  # any import of them now raises ImportError
sys.path.insert(0, ROOT)
import core
for info in pkgutil.walk_packages(core.__path__, "core."):
    importlib.import_module(info.name)
from core import api
loaded = api.load(FIXTURE)
api.freeze(loaded, api.FreezeRequest(OUTPUTS, destination=DESTINATION, inference=True))
assert loaded.analysis.candidates
print("ok")
'''


def test_core_imports_neither_qt_nor_tensorflow(tmp_path):
    fixture = load_fixture("cnn_bn")
    code = (PROBE.replace("ROOT", repr(ROOT)).replace("FIXTURE", repr(fixture.folder))
            .replace("OUTPUTS", repr(fixture.outputs)).replace("DESTINATION", repr(str(tmp_path / "f.pb"))))
    result = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == "ok"


def _core_sources():
    top = os.path.join(ROOT, "core")
    for folder, _, files in os.walk(top):
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(folder, name)


def test_core_sources_do_not_mention_qt():
    sources = list(_core_sources())
    assert len(sources) > 20
    for path in sources:
        with open(path) as handle:
            source = handle.read()
        assert "PyQt5" not in source and "QtCore" not in source, path
