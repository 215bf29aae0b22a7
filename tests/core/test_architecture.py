"""The layering rules: core never imports Qt, and reading or freezing never imports TensorFlow."""

import os
import pkgutil
import subprocess
import sys

from tests.conftest import ROOT, load_fixture

PROBE = r'''
import sys, importlib, pkgutil
for blocked in ("PyQt5", "tensorflow"):
    sys.modules[blocked] = None  # any import of them now raises ImportError
sys.path.insert(0, ROOT)
import core
for info in pkgutil.iter_modules(core.__path__):
    importlib.import_module("core." + info.name)
from core.model import open_model
from core.freezer import freeze
model = open_model(FIXTURE)
freeze(model, OUTPUTS, DESTINATION)
analysis = model.analysis()
assert analysis.candidates
print("ok")
'''


def test_core_imports_neither_qt_nor_tensorflow(tmp_path):
    fixture = load_fixture("cnn_bn")
    code = (PROBE.replace("ROOT", repr(ROOT)).replace("FIXTURE", repr(fixture.folder))
            .replace("OUTPUTS", repr(fixture.outputs)).replace("DESTINATION", repr(str(tmp_path / "f.pb"))))
    result = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == "ok"


def test_core_sources_do_not_mention_qt():
    import core
    for info in pkgutil.iter_modules(core.__path__):
        with open(os.path.join(core.__path__[0], info.name + ".py")) as handle:
            source = handle.read()
        assert "PyQt5" not in source and "QtCore" not in source, info.name
