"""The one generic test of the bad-input and hostile cases of tests/cases.py, each run as `main.py` runs.

Every row runs the command line in this process (cli.main: the exit code and stderr a user sees)
on a fresh copy. A refusal is exactly one `error: ` line naming the row's file and words, with
nothing written and the input files unchanged; a freeze is run in TensorFlow and compared with
what TensorFlow computes from the same (damaged) files (tests/tf_oracle.py), asked in a
TensorFlow process of its own (tests/tf_judge.py: TensorFlow aborts on some damaged checkpoints).
"""

import os

import pytest

import cli
from core.errors import ModelError
from core.formats.bundle import open_checkpoint
from tests import damage, tf_oracle
from tests.tf_judge import CORRECT, Judge, judge_freeze
from tests.cases import CASES, mutation_cases, reproducer_cases
from tests.conftest import copy_fixture


class _Run(object):
    """A case set up in ``tmp_path``: the model folder, the path given, outputs, feeds, oracle."""

    def __init__(self, case, tmp_path):
        self.model_dir = str(tmp_path / "model")
        self.out_dir = str(tmp_path / "out")
        os.mkdir(self.model_dir)
        os.mkdir(self.out_dir)
        self.fixture = None
        self.mutation = None
        if case.fixture:
            self.fixture = copy_fixture(case.fixture, self.model_dir)
            if case.damage is not None:
                case.damage(self.fixture)
            folder = self.fixture.folder
            self.path = os.path.join(folder, case.entry) if case.entry else folder
            self.outputs, self.feeds = self.fixture.outputs, self.fixture.feeds
            self.oracle, self.prefix = self.fixture.meta, self.fixture.prefix
            if case.mutate is not None:
                self._mutate(case)
        else:
            target = case.build(self.model_dir)
            self.path, self.outputs, self.feeds = target.path, target.outputs, target.feeds
            self.oracle, self.prefix = target.oracle, target.prefix
        if case.destination is not None:
            self.destination = case.destination(self.out_dir, self.fixture)
        elif self.mutation is not None and self.mutation.destination is not None:
            self.destination = self.mutation.destination
        else:
            self.destination = os.path.join(self.out_dir, "frozen.pb")

    def _mutate(self, case):
        from tests.structured_mutators import Subject
        subject = Subject(self.fixture.folder, self.outputs, self.feeds, out_dir=self.out_dir)
        self.mutation = mutation = case.mutate(subject)
        self.path = mutation.entry or self.path
        self.outputs = mutation.outputs or self.outputs

    def argv(self, case):
        args = list(case.args)
        if self.mutation is not None:
            args = ["--outputs", ",".join(self.outputs)] + self.mutation.args
        argv = [case.command, self.path] + args
        if case.command == "freeze":
            argv += ["-o", self.destination]
        return argv


def _check_error_line(err, names, words):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    line = lines[0]
    assert "Traceback" not in err and "internal error" not in line, line
    assert len(line) < 1200, line
    assert names in line, (names, line)
    for word in words:
        assert word in line, (word, line)


@pytest.fixture(scope="module")
def judge():
    judge = Judge()
    yield judge
    judge.close()


def _check_frozen(run, judge):
    if run.mutation is not None:
        assert not run.mutation.must_refuse, "exit 0, though %s" % run.mutation.must_refuse
        verdict, why = judge_freeze(judge, run.oracle, run.prefix, run.outputs, run.mutation.feeds(run.feeds),
                                    run.destination,
                                    run.mutation.fixed, run.mutation.cuts)
        assert verdict == CORRECT, why
        return
    expected, how = judge.oracle(run.oracle, run.prefix, run.outputs, run.feeds)
    assert expected is not None, "exit 0, but TensorFlow refuses the same files: %s" % how
    actual, refusal = judge.frozen(run.destination, run.outputs, run.feeds)
    assert actual is not None, "exit 0 with a .pb TensorFlow cannot run: %s" % refusal
    assert tf_oracle.differences(actual, expected) == [], how


def _check_reads(case, run):
    if not case.reads:
        return
    with open_checkpoint(run.prefix) as reader:
        for method, args, words in case.reads:
            with pytest.raises(ModelError) as info:
                result = getattr(reader, method)(*args)
                if method == "iter_bytes":
                    b"".join(result)
            _check_error_line("error: %s" % info.value, run.prefix, words)


@pytest.mark.parametrize("case", CASES + mutation_cases() + reproducer_cases(), ids=repr)
def test_case(case, tmp_path, capsys, judge):
    run = _Run(case, tmp_path)
    model_before = damage.snapshot(run.model_dir)
    out_before = damage.snapshot(run.out_dir)
    code = cli.main(run.argv(case))
    out, err = capsys.readouterr()
    assert damage.snapshot(run.model_dir) == model_before, "an input file was modified"
    if code != 0 and not case.frozen:
        assert code == 1, (code, err)
        if case.either:  # it names a file of the case: the model's, or the -o target
            _check_error_line(err, str(tmp_path), ())
        else:
            _check_error_line(err, case.names, case.error)
        assert damage.snapshot(run.out_dir) == out_before, "a refused freeze wrote something"
    else:
        assert code == 0 and not case.error, (code, out, err)
        if case.command == "freeze":
            if run.mutation is None:
                assert sorted(os.listdir(run.out_dir)) == ["frozen.pb"]
            assert not [n for n in os.listdir(run.out_dir) if n.endswith(".tmp")]
            assert os.path.isfile(run.destination)
            _check_frozen(run, judge)
    _check_reads(case, run)
