"""A reader of standard output that goes away (`main.py inspect M | head -1`) ends every command quietly.

The commands run as subprocesses writing into a real pipe: one whose reading end is closed before the
command starts (so its first write meets EPIPE, whatever the size of its output), and a shell pipeline
into `head -1` as a user types it. Each must print nothing on stderr, exit 0 or 141 (the status of a tool
SIGPIPE ended), and still do its work: a frozen graph is written as with an open stdout.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT, copy_fixture
from tests.tf_runtime import assert_close, run_frozen

MAIN = os.path.join(ROOT, "main.py")
QUIET = (0, 141)


def run_into_closed_pipe(*args):
    """Runs main.py with stdout a pipe nobody reads: (exit code, stderr text)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([sys.executable, MAIN] + [str(a) for a in args], stdout=write_end,
                                stderr=subprocess.PIPE, cwd=ROOT, timeout=300)
    finally:
        os.close(write_end)
    return result.returncode, result.stderr.decode("utf-8", "replace")


@pytest.mark.parametrize("command", [["inspect"], ["inspect", "--json"], ["--help"]])
def test_inspect_into_a_closed_pipe_is_quiet(tmp_path, command):
    fixture = copy_fixture("lstm", tmp_path)
    args = command + ([] if command == ["--help"] else [fixture.folder])
    code, err = run_into_closed_pipe(*args)
    assert err == "" and code in QUIET, (code, err)


def test_freeze_into_a_closed_pipe_still_writes_the_graph(tmp_path):
    fixture = copy_fixture("lstm", tmp_path)
    frozen = tmp_path / "frozen.pb"
    code, err = run_into_closed_pipe("freeze", fixture.folder, "--outputs", ",".join(fixture.outputs), "-o", frozen)
    assert err == "" and code in QUIET, (code, err)
    values = run_frozen(frozen.read_bytes(), fixture.feeds, fixture.outputs)
    for name in fixture.outputs:
        assert_close(values[name], fixture.expected[name])
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_verify_into_a_closed_pipe_is_quiet(tmp_path):
    fixture = copy_fixture("mlp", tmp_path)
    frozen = tmp_path / "frozen.pb"
    outputs = ",".join(fixture.outputs)
    assert subprocess.run([sys.executable, MAIN, "freeze", fixture.folder, "--outputs", outputs, "-o", str(frozen)],
                          stdout=subprocess.DEVNULL, cwd=ROOT, timeout=300).returncode == 0
    feeds = tmp_path / "feeds.npz"
    np.savez(str(feeds), **dict(("in:" + k, v) for k, v in fixture.feeds.items()))
    code, err = run_into_closed_pipe("verify", fixture.folder, frozen, "--inputs", feeds)
    lines = [line for line in err.splitlines() if not line.startswith("progress: ")]
    assert lines == [] and code in QUIET, (code, err)


def test_inspect_piped_into_head_prints_its_first_line_only(tmp_path):
    fixture = copy_fixture("lstm", tmp_path)
    status = tmp_path / "status"
    errors = tmp_path / "stderr"
    script = '{ "$0" "$1" inspect "$2" 2>"$3"; echo $? >"$4"; } | head -1'
    result = subprocess.run(["sh", "-c", script, sys.executable, MAIN, fixture.folder, str(errors), str(status)],
                            stdout=subprocess.PIPE, cwd=ROOT, timeout=300)
    assert result.returncode == 0
    first = result.stdout.decode("utf-8").splitlines()
    assert len(first) == 1 and first[0].startswith(fixture.folder), first
    assert errors.read_text() == ""
    assert int(status.read_text()) in QUIET
