"""One test on a real X server (Xvfb, QT_QPA_PLATFORM=xcb): open, tick, freeze, verify in a child process."""

import json
import os
import subprocess
import sys
import time

from gui.platform_check import missing_libraries, package_of, xcb_problem
from tests.conftest import ROOT, copy_fixture, load_fixture
from tests.gui import xvfb
from tests.tf_runtime import tensorflow

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


def test_freeze_and_verify_on_a_real_x_server(tmp_path):
    tensorflow()  # the verify child needs it; both test stacks have it
    fixture = copy_fixture("multi_head", tmp_path)
    server, display = xvfb.start()
    try:
        env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=display)
        problem = xcb_problem(env)
        assert problem is None, problem
        out = tmp_path / "frozen.pb"
        done = subprocess.run([sys.executable, SCRIPT, fixture.folder, str(out), str(tmp_path / "settings.ini")],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    finally:
        xvfb.stop(server)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-3000:]
    assert out.exists() and out.stat().st_size > 1000
    result = json.loads(done.stdout.decode("utf-8").strip().splitlines()[-1])
    assert result["passed"] and sorted(result["checked"]) == sorted(fixture.outputs)
    assert result["table"] == ["ok"] * len(fixture.outputs)  # the dialog's table shows the child's report


def _window_titles(display):
    """The names of every X window on ``display`` whose name mentions tf1freeze (xdotool)."""
    env = dict(os.environ, DISPLAY=display)
    found = subprocess.run(["xdotool", "search", "--name", "tf1freeze"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
    titles = []
    for window_id in found.stdout.decode().split():
        name = subprocess.run(["xdotool", "getwindowname", window_id], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
        titles.append(name.stdout.decode("utf-8", "replace").strip())
    return titles


def test_main_py_path_opens_the_window_on_that_model(tmp_path):
    """`python main.py PATH`, as a user starts it, on a real X server: the window's title comes to name the
    model's folder and file (it does once the model is loaded); nothing is patched in the process."""
    xvfb.require("Xvfb", "xdotool")
    fixture = load_fixture("mlp")
    expected = "%s/%s — tf1freeze" % (os.path.basename(fixture.folder), os.path.basename(fixture.meta))
    server, display = xvfb.start()
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=display, XDG_CONFIG_HOME=str(tmp_path))
    child = subprocess.Popen([sys.executable, os.path.join(ROOT, "main.py"), fixture.folder], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    titles = []
    try:
        for _ in range(600):  # up to a minute for the start-up and the load
            titles = _window_titles(display)
            if expected in titles or child.poll() is not None:
                break
            time.sleep(0.1)
    finally:
        child.terminate()
        _, err = child.communicate(timeout=30)
        xvfb.stop(server)
    assert expected in titles, (titles, err.decode("utf-8", "replace")[-2000:])
    assert b"Traceback" not in err


TOUR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "real_display_tour.py")


def test_at_scale_factor_2_the_window_fits_and_no_slot_raises_on_a_real_x_server(tmp_path):
    """QT_SCALE_FACTOR=2 on a 1600x1000 screen: the window and its Freeze and Verify buttons are on screen; the
    dark theme, the frozen graph drawn and grouped by scope, the value viewer and an export run without an
    exception reaching Qt (which aborts a real program); a long temporary message is cut before the counts."""
    xvfb.require("Xvfb")
    server, display = xvfb.start("1600x1000")
    try:
        env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=display, QT_SCALE_FACTOR="2")
        export = tmp_path / "frozen.dot"
        done = subprocess.run([sys.executable, TOUR, load_fixture("multi_head").folder, str(tmp_path / "s.ini"),
                               str(export)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    finally:
        xvfb.stop(server)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-3000:]
    facts = json.loads(done.stdout.decode("utf-8").strip().splitlines()[-1])
    assert facts["scale"] == 2.0 and facts["errors"] == []
    assert all(facts["fits"].values()) and all(facts["fits_after"].values()), facts
    assert all(facts["status"].values()), facts  # a long temporary message cut with "…" before the counts
    assert facts["drawn"] > 10 and facts["grouped"] and facts["values"] > 0
    assert export.read_text().startswith("digraph") and "fillcolor" in export.read_text()
