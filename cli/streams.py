"""Standard streams whose reader may go away (`main.py inspect M | head -1`): the command ends quietly."""

import errno
import os
import signal
import sys

#: The exit status a shell reports for a tool that SIGPIPE ended (128 + SIGPIPE).
CLOSED_STATUS = 128 + getattr(signal, "SIGPIPE", 13)


class GuardedStream(object):
    """A text stream that turns "the reader went away" into silence instead of an exception.

    Python ignores SIGPIPE, so a write to a pipe nobody reads raises BrokenPipeError where a C tool
    would simply die. The first such write marks the stream closed and points its file descriptor at
    the null device, so later writes (and the interpreter's last flush) cost nothing and say nothing,
    and the command finishes what it was doing (a frozen graph still gets written and verified).

    Args:
        stream: the stream to guard (``sys.stdout`` or ``sys.stderr``).
    """

    def __init__(self, stream):
        self.stream = stream
        self.closed_by_reader = False

    def write(self, text):
        if self.closed_by_reader:
            return len(text)
        try:
            return self.stream.write(text)
        except OSError as exc:
            self._reader_gone(exc)
            return len(text)

    def flush(self):
        if self.closed_by_reader:
            return
        try:
            self.stream.flush()
        except OSError as exc:
            self._reader_gone(exc)

    def _reader_gone(self, exc):
        if exc.errno != errno.EPIPE:
            raise exc
        self.closed_by_reader = True
        try:
            descriptor = self.stream.fileno()
        except (AttributeError, OSError, ValueError):
            return
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, descriptor)
        finally:
            os.close(null)

    def __getattr__(self, name):
        return getattr(self.stream, name)


class guarded_streams(object):
    """Context manager: ``sys.stdout`` and ``sys.stderr`` guarded while a command runs.

    ``stdout_closed`` tells afterwards whether the reader of standard output went away.
    """

    def __enter__(self):
        self.saved = sys.stdout, sys.stderr
        self.stdout, self.stderr = GuardedStream(sys.stdout), GuardedStream(sys.stderr)
        sys.stdout, sys.stderr = self.stdout, self.stderr
        return self

    @property
    def stdout_closed(self):
        return self.stdout.closed_by_reader

    def __exit__(self, *exc_info):
        self.stdout.flush()
        self.stderr.flush()
        if sys.stdout is self.stdout:
            sys.stdout = self.saved[0]
        if sys.stderr is self.stderr:
            sys.stderr = self.saved[1]
        return False
