"""Sending a real SIGTERM (or SIGHUP, SIGQUIT) to a freeze that is writing, and checking it leaves nothing behind."""

import os
import signal
import subprocess
import sys

from tests.conftest import ROOT, load_fixture


def _no_core_dump():
    """SIGQUIT's default action dumps core: not in the test's folder."""
    import resource
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def assert_sigterm_leaves_nothing(tmp_path, script_template, signum=signal.SIGTERM):
    """Runs ``script_template`` (formatted with root, folder, outputs, destination; it prints "writing"
    once the temporary file exists, then stalls), sends ``signum``, and checks the child died of it
    and the output folder is empty."""
    fixture = load_fixture("mlp")
    out = tmp_path / "out"
    out.mkdir()
    script = script_template % dict(root=ROOT, folder=fixture.folder, outputs=fixture.outputs,
                                    destination=str(out / "frozen.pb"))
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             preexec_fn=_no_core_dump)
    try:
        assert child.stdout.readline() == b"writing\n"
        assert [n for n in os.listdir(str(out)) if n.endswith(".tmp")]
        child.send_signal(signum)
        assert child.wait(timeout=30) == -signum
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    assert os.listdir(str(out)) == []
