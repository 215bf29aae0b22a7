"""The layering rules: core never imports Qt, and reading or freezing never imports TensorFlow; core's
modules and functions stay small, and dtypes and Const/Placeholder NodeDefs each have one owner."""

import ast
import os
import re
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


# -- the size and ownership rules of core/ (issue 20's "Done when"), checked on the sources ------------------

MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 70


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _relative(path):
    return os.path.relpath(path, ROOT).replace(os.sep, "/")


def test_no_core_module_is_over_450_lines():
    long = dict((_relative(p), len(_read(p).splitlines())) for p in _core_sources())
    assert len(long) > 20
    assert dict((p, n) for p, n in long.items() if n > MAX_MODULE_LINES) == {}


def _last_line(node):
    """The node's last line: end_lineno (Python 3.8+); on 3.6 the last line any of its descendants starts on."""
    end = getattr(node, "end_lineno", None)
    if end is not None:
        return end
    return max(getattr(child, "lineno", node.lineno) for child in ast.walk(node))


def test_no_core_function_is_over_70_lines():
    long = []
    for path in _core_sources():
        for node in ast.walk(ast.parse(_read(path), path)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = _last_line(node) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append("%s:%d %s (%d lines)" % (_relative(path), node.lineno, node.name, lines))
    assert long == []


def test_every_core_module_starts_with_a_one_line_docstring():
    for path in _core_sources():
        docstring = ast.get_docstring(ast.parse(_read(path), path), clean=False)
        if os.path.basename(path) == "__init__.py" and docstring is None:
            continue
        assert docstring and docstring.split("\n")[0].strip(), _relative(path)


_DTYPES_MODULE = "core/formats/dtypes.py"
_SCHEMA_MODULE = "core/formats/protos.py"  # the TensorProto message itself names its fields
_DT_NUMBER = re.compile(r"\bDT_[A-Z0-9_]+\b[\w, ]*=\s*\(?\s*\d")
_VALUE_FIELD = re.compile(r"[\"'](?:half|float|double|int|int64|bool|string|scomplex|dcomplex|uint32|uint64|"
                          r"resource_handle|variant)_val[\"']")
_NAME_TO_NUMPY = re.compile(r"[\"'](?:float|int|uint|complex)\d+[\"']\s*:\s*(?:np|numpy)\.")


def test_one_module_owns_the_dtypes():
    """DataType numbers, value fields and name -> numpy tables live in core/formats/dtypes.py only."""
    found = []
    for path in _core_sources():
        where = _relative(path)
        if where in (_DTYPES_MODULE, _SCHEMA_MODULE):
            continue
        for number, line in enumerate(_read(path).splitlines(), 1):
            if _DT_NUMBER.search(line) or _VALUE_FIELD.search(line) or _NAME_TO_NUMPY.search(line):
                found.append("%s:%d %s" % (where, number, line.strip()))
    assert found == []


_NODE_DEFS_MODULE = "core/freeze/node_defs.py"
_BUILDS_CONST_OR_PLACEHOLDER = re.compile(r"\.op\s*=\s*[\"'](?:Const|Placeholder)[\"']|b[\"']Const[\"']|"
                                          r"NodeDef\([^)]*op\s*=\s*[\"'](?:Const|Placeholder)[\"']")


def test_one_module_builds_const_and_placeholder_nodedefs():
    found = []
    for path in _core_sources():
        if _relative(path) == _NODE_DEFS_MODULE:
            continue
        for number, line in enumerate(_read(path).splitlines(), 1):
            if _BUILDS_CONST_OR_PLACEHOLDER.search(line):
                found.append("%s:%d %s" % (_relative(path), number, line.strip()))
    assert found == []
