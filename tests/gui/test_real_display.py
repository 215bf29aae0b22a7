"""One test on a real X server (Xvfb, QT_QPA_PLATFORM=xcb): open, tick, freeze, verify in a child process."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from gui.platform_check import missing_libraries, package_of, xcb_problem
from tests.conftest import copy_fixture

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "real_display_script.py")

LDD_ON_A_FRESH_DEBIAN = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt5XcbQpa.so.5 => /x/PyQt5/Qt5/plugins/platforms/../../lib/libQt5XcbQpa.so.5 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-xinerama.so.0 => not found
\tlibxcb-icccm.so.4 => not found
"""


def test_missing_xcb_libraries_are_named_with_their_packages():
    missing = missing_libraries(LDD_ON_A_FRESH_DEBIAN)
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-xinerama.so.0"]
    assert [package_of(m) for m in missing] == ["libxcb-icccm4", "libxcb-keysyms1", "libxcb-xinerama0"]
    assert package_of("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert xcb_problem({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":1"}) is None  # not asked for xcb


def _start_xvfb():
    for number in range(90, 110):
        if os.path.exists("/tmp/.X11-unix/X%d" % number) or os.path.exists("/tmp/.X%d-lock" % number):
            continue
        server = subprocess.Popen(["Xvfb", ":%d" % number, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists("/tmp/.X11-unix/X%d" % number):
                return server, ":%d" % number
            if server.poll() is not None:
                break
            time.sleep(0.05)
        server.kill()
        server.wait()
    raise RuntimeError("no free X display number for Xvfb")


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="the Xvfb binary is not installed (apt-get install xvfb)")
def test_freeze_and_verify_on_a_real_x_server(tmp_path):
    pytest.importorskip("tensorflow")  # the verify child needs it; both test stacks have it
    fixture = copy_fixture("multi_head", tmp_path)
    server, display = _start_xvfb()
    try:
        env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=display)
        problem = xcb_problem(env)
        assert problem is None, problem
        out = tmp_path / "frozen.pb"
        done = subprocess.run([sys.executable, SCRIPT, fixture.folder, str(out), str(tmp_path / "settings.ini")],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    finally:
        server.terminate()
        server.wait()
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-3000:]
    assert out.exists() and out.stat().st_size > 1000
    result = json.loads(done.stdout.decode("utf-8").strip().splitlines()[-1])
    assert result["passed"] and sorted(result["checked"]) == sorted(fixture.outputs)
    assert result["table"] == ["ok"] * len(fixture.outputs)  # the dialog's table shows the child's report
