"""Opening the files of a model: regular files only, never blocking, reads bounded by the real size.

A FIFO, a device node (`/dev/zero`), a socket or a folder where a model file should be is refused
by its type before it is opened (opening a FIFO would wait for a writer for ever, and a device can
be read for ever); symbolic links are followed, and a loop of them is one clean error.
"""

import errno
import os
import stat

from core.errors import ModelError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def kind_of(mode):
    """What a file of st_mode ``mode`` is, in words ("a FIFO (named pipe)"), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, words in _KINDS:
        if test(mode):
            return words
    return "not a regular file"


def os_error(exc, path, verb="read"):
    """The ModelError for an OSError met on ``path`` (a symlink loop, a missing file, no permission)."""
    if exc.errno == errno.ELOOP:
        return ModelError("cannot %s: a loop of symbolic links" % verb, path)
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return ModelError("cannot %s: a symbolic link to a file that does not exist" % verb, path)
    if exc.errno == errno.ENOENT:
        return ModelError("cannot %s: no such file" % verb, path)
    return ModelError("cannot %s: %s" % (verb, exc.strerror or exc), path)


def _refuse_kind(mode, path):
    kind = kind_of(mode)
    if kind is not None:
        raise ModelError("is %s, not a regular file" % kind, path)


def check_regular(path):
    """The os.stat of ``path`` (links followed) when it is a regular file; never opens it.

    Raises:
        ModelError: a FIFO, device, socket or folder; a symlink loop; missing or unreadable.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        raise os_error(exc, path)
    _refuse_kind(info.st_mode, path)
    return info


def open_regular(path):
    """Opens a regular file for binary reading.

    The type is checked before opening and again on the open descriptor (the file could have
    been swapped in between); the open never blocks.

    Returns:
        (file object, size in bytes at opening).
    Raises:
        ModelError: as check_regular().
    """
    check_regular(path)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise os_error(exc, path)
    try:
        info = os.fstat(fd)
        _refuse_kind(info.st_mode, path)
        return os.fdopen(fd, "rb"), info.st_size
    except BaseException:
        os.close(fd)
        raise


def read_regular(path, limit=None, what="file"):
    """The bytes of a regular file, never more than its size when opened.

    Args:
        limit: refuse a file larger than this many bytes (None: no limit).
        what: what the file should be, for the message ("checkpoint state file").
    Raises:
        ModelError: as open_regular(); over ``limit``; a read error.
    """
    handle, size = open_regular(path)
    with handle:
        if limit is not None and size > limit:
            raise ModelError("not a %s (over %d bytes)" % (what, limit), path)
        try:
            return handle.read(size)
        except (IOError, OSError) as exc:
            raise os_error(exc, path)


def is_regular(path):
    """True when ``path`` (links followed) is a regular file; False for anything else or an error."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def present(path):
    """True when something is at ``path``, even a broken link or a link loop (that a read will name)."""
    return os.path.lexists(path)


def mtime(path):
    """Modification time for sorting candidates: of the target, else of the link, else 0."""
    for call in (os.stat, os.lstat):
        try:
            return call(path).st_mtime
        except (OSError, ValueError):
            continue
    return 0.0
