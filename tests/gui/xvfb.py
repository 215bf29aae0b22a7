"""A private X server (Xvfb) for the tests that need a real display; absent, the test skips (fails in CI)."""

import os
import shutil
import subprocess
import time

from tests.strict import missing


def require(*tools):
    """Stops the test unless every tool (Xvfb, xdotool) is on PATH."""
    for tool in tools:
        if shutil.which(tool) is None:
            missing("the %s binary (apt-get install %s)" % (tool, "xvfb" if tool == "Xvfb" else tool))


def start(size="1280x800"):
    """Starts Xvfb (a ``size`` screen, "WIDTHxHEIGHT") on a free display number; returns (process, ":N")."""
    require("Xvfb")
    for number in range(90, 110):
        if os.path.exists("/tmp/.X11-unix/X%d" % number) or os.path.exists("/tmp/.X%d-lock" % number):
            continue
        server = subprocess.Popen(["Xvfb", ":%d" % number, "-screen", "0", size + "x24", "-nolisten", "tcp"],
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


def stop(server):
    server.terminate()
    server.wait()
