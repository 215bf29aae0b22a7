"""Sending a real SIGTERM to a freeze that is writing, and checking it leaves nothing behind."""

import os
import signal
import subprocess
import sys

from tests.conftest import ROOT, load_fixture


def assert_sigterm_leaves_nothing(tmp_path, script_template):
    """Runs ``script_template`` (formatted with root, folder, outputs, destination; it prints "writing"
    once the temporary file exists, then stalls), sends SIGTERM, and checks the output folder is empty."""
    fixture = load_fixture("mlp")
    out = tmp_path / "out"
    out.mkdir()
    script = script_template % dict(root=ROOT, folder=fixture.folder, outputs=fixture.outputs,
                                    destination=str(out / "frozen.pb"))
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert child.stdout.readline() == b"writing\n"
        assert [n for n in os.listdir(str(out)) if n.endswith(".tmp")]
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=30) == -signal.SIGTERM
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    assert os.listdir(str(out)) == []
