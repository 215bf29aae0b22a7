"""Writing a planned frozen graph to disk: streamed, size-checked, renamed into place when complete."""

import atexit
import binascii
import collections
import contextlib
import logging
import os
import signal
import stat
import threading
import time


from core.formats.files import kind_of
from core.errors import Cancelled, ModelError
from core.formats.dtypes import DT_STRING
from core.formats.wire import length_header
from core.freeze.node_defs import const_header, const_node, content_const
from core.freeze.plan_nodes import SourceRun, SourceSlice

log = logging.getLogger(__name__)

MAX_GRAPH_BYTES = (1 << 31) - 1


class FreezeReport(collections.namedtuple(
        "FreezeReport", "destination outputs nodes_before nodes_after variables_converted "
                        "bytes_written seconds notes rewrites fixed runtime initialized")):
    """What a freeze did. rewrites: list of (node, reason) for nodes that differ from the source;
    fixed: dict placeholder name -> the value it was fixed to (filled by core.freeze.stage);
    runtime: core.freeze.runtime_target.RuntimeFit when a target TensorFlow was given, else None;
    initialized: (variable, "zeros"/"ones"/"constant") for each variable given its initializer's value."""


FreezeReport.__new__.__defaults__ = ({}, None, ())


def _small_const(variable, reader, device=""):
    """A Const whose value must be materialised (partition parts, strings)."""
    import numpy as np
    if variable.initial is not None:
        value = variable.initial.array
    elif variable.region is not None:
        _, starts, lengths = variable.region
        value = reader.read_region(variable.key, starts, lengths)
    else:
        value = reader.read(variable.key)
    if variable.dtype == DT_STRING:
        values = np.asarray(value, dtype=object).ravel().tolist()
        node = const_node(variable.name, DT_STRING, values, variable.shape)
        node.device = device
        return node.SerializeToString()
    return content_const(variable.name, variable.dtype, variable.shape, np.ascontiguousarray(value).tobytes(),
                         device)


class _Piece(object):
    """One node's bytes to write: ready bytes, or a header plus a streamed checkpoint tensor.

    ``head`` is the GraphDef field header (tag and length) the node's bytes follow.
    """

    __slots__ = ("node", "data", "header", "length", "head")

    def __init__(self, plan_node, data=None, header=None, length=0):
        self.node = plan_node
        self.data = data
        self.header = header
        self.length = length
        self.head = _HEADS.get(length) or _head(length)


_HEADS = {}  # length -> GraphDef node field header: nodes of a graph come in few sizes


def _head(length):
    head = length_header(1, length)
    if len(_HEADS) < 4096:
        _HEADS[length] = head
    return head


def _pieces(plan):
    """What to write, node by node: a SourceSlice for consecutive nodes copied from the source file (one
    object for a run of them), a node's NodePlan when its bytes are ready, else a _Piece (a variable's
    Const: header plus streamed or materialised value)."""
    reader = plan.model.checkpoint
    pieces = []
    run = SourceRun(_HEADS.get, _head)
    for node in plan.nodes:
        if node.kind != "const":
            if not run.take(node, pieces):
                run.close(pieces)
                pieces.append(node)
            continue
        run.close(pieces)
        variable = node.variable
        if variable.region is None and variable.dtype != DT_STRING and variable.initial is None:
            header, length = const_header(variable.name, variable.dtype, variable.shape,
                                          variable.nbytes, node.device)
            pieces.append(_Piece(node, header=header, length=length))
        else:
            data = _small_const(variable, reader, node.device)
            pieces.append(_Piece(node, data=data, length=len(data)))
    run.close(pieces)
    return pieces


def planned_size(plan):
    """The exact size in bytes of the frozen GraphDef the plan describes."""
    return _total(_pieces(plan), plan)


def _total(pieces, plan):
    total = len(plan.tail_fields)
    for piece in pieces:
        kind = type(piece)
        if kind is SourceSlice:
            total += len(piece.data)
        elif kind is _Piece:
            total += len(piece.head) + piece.length
        else:
            length = piece.nbytes
            total += len(_HEADS.get(length) or _head(length)) + length
    return total


def check_destination(destination, input_files):
    """Refuses destinations that exist and are not regular files, unwritable ones, or input files.

    Raises:
        ModelError: naming the destination.
    """
    destination = os.path.abspath(destination)
    _refuse_special(destination)
    real = os.path.realpath(destination)
    for path in input_files:
        if path and os.path.exists(path) and os.path.realpath(path) == real:
            raise ModelError("is one of the model's input files; choose another name", destination)
    folder = os.path.dirname(destination)
    if not os.path.isdir(folder):
        raise ModelError("folder does not exist", folder)
    if not os.access(folder, os.W_OK):
        raise ModelError("folder is not writable", folder)


def _refuse_special(destination):
    """The rename would replace a FIFO, device, socket, folder or symbolic link by a regular file."""
    try:
        mode = os.lstat(destination).st_mode
    except OSError:
        return
    if stat.S_ISDIR(mode):
        raise ModelError("is a folder; give a file name for the frozen graph", destination)
    if stat.S_ISLNK(mode):
        raise ModelError("is a symbolic link; give the file it points to, or another name", destination)
    kind = kind_of(mode)
    if kind is not None:
        raise ModelError("is %s, not a regular file; give another name for the frozen graph" % kind,
                         destination)


def write_plan(plan, destination, progress=None, cancel=None, started=None):
    """Writes the frozen graph: to a temporary file beside ``destination``, then renamed.

    Args:
        plan: core.freeze.plan.FreezePlan.
        destination: the `.pb` path.
        progress: optional callable(done_bytes, total_bytes, message).
        cancel: optional callable returning True to stop (nothing is left behind).
        started: time.time() when the whole freeze began (for the report), default now.
    Returns:
        FreezeReport.
    Raises:
        ModelError: too large for protobuf, unwritable destination, checkpoint errors.
        Cancelled: when ``cancel`` said so.
    """
    started = time.time() if started is None else started
    destination = os.path.abspath(destination)
    check_destination(destination, plan.model.input_files())
    pieces = _pieces(plan)
    total = _total(pieces, plan)
    if total > MAX_GRAPH_BYTES:
        raise ModelError("the frozen graph would be %s, over protobuf's 2 GiB limit: nobody could "
                         "write or read it; choose fewer outputs or keep the weights outside the graph"
                         % _human(total), destination)
    reader = plan.model.checkpoint
    temp_path, handle = _create_temporary(destination)
    try:
        with _removed_on_signal(temp_path), handle:
            _write_pieces(handle, pieces, reader, total, progress, cancel)
            handle.write(plan.tail_fields)
            handle.close()
            _keep_mode(destination, temp_path)
            # Complete before it gets its name: readers never see a partial graph. (No fsync:
            # it doubled the wide benchmark's time, and TensorFlow's own freezer does none.)
            os.replace(temp_path, destination)
    except (IOError, OSError) as exc:
        _remove(temp_path)
        raise ModelError("cannot write: %s" % (exc.strerror or exc), destination)
    except BaseException:
        _remove(temp_path)
        raise
    return _report(plan, destination, started)


_BATCH_BYTES = 1 << 20


def _write_pieces(handle, pieces, reader, total, progress, cancel):
    """Streams the nodes: small ones from memory in batches of about 1 MB (a 10^6-node graph is not
    10^6 writes and progress reports), runs of nodes copied from the source file as slices of its bytes
    (1 MB at a time), variables' payloads chunk by chunk from the checkpoint."""
    done = 0
    batch, size = [], 0
    for piece in pieces:
        kind = type(piece)
        if kind is SourceSlice:
            if len(piece.data) < _BATCH_BYTES - size:
                batch.append(piece.data)
                size += len(piece.data)
                continue
            if batch:
                done = _flush(handle, batch, done, total, piece.name, progress, cancel)
                batch, size = [], 0
            for at in range(0, len(piece.data), _BATCH_BYTES):
                done = _flush(handle, [piece.data[at:at + _BATCH_BYTES]], done, total, piece.name, progress, cancel)
            continue
        if kind is not _Piece or piece.data is not None:
            data = piece.data
            head = _HEADS.get(len(data)) or _head(len(data))
            batch.append(head)
            batch.append(data)
            size += len(head) + len(data)
            if size < _BATCH_BYTES:
                continue
            done = _flush(handle, batch, done, total, _name(piece), progress, cancel)
            batch, size = [], 0
            continue
        batch.append(piece.head)
        batch.append(piece.header)
        done = _flush(handle, batch, done, total, piece.node.name, progress, cancel)
        batch, size = [], 0
        for chunk in reader.iter_bytes(piece.node.variable.key):
            if cancel is not None and cancel():
                raise Cancelled()
            handle.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total, piece.node.name)
    if batch:
        _flush(handle, batch, done, total, _name(pieces[-1]), progress, cancel)


def _name(piece):
    return piece.node.name if type(piece) is _Piece else piece.name  # a NodePlan's, a SourceSlice's


def _flush(handle, batch, done, total, name, progress, cancel):
    """Writes the batched bytes; returns the bytes done. Cancel is asked before each write."""
    if cancel is not None and cancel():
        raise Cancelled()
    data = b"".join(batch)
    handle.write(data)
    done += len(data)
    if progress is not None:
        progress(done, total, name)
    return done


def _report(plan, destination, started):
    written = os.path.getsize(destination)
    rewrites = [(n.name, n.reason) for n in plan.nodes if n.kind != "copy"]
    report = FreezeReport(destination, list(plan.outputs), plan.nodes_before, len(plan.nodes),
                          len(plan.variables), written, time.time() - started, list(plan.notes),
                          rewrites, runtime=plan.runtime, initialized=list(plan.initialized))
    log.info("froze %d -> %d nodes, %d variables, %d bytes in %.2fs to %s", report.nodes_before,
             report.nodes_after, report.variables_converted, written, report.seconds, destination)
    return report


# -- the temporary file: name, mode, and removal on SIGTERM, SIGHUP, SIGQUIT ---------------------------------

_TEMP_EXTRA = len("..") + 8 + len(".tmp")
_PENDING = set()
_PENDING_LOCK = threading.Lock()
_HANDLERS = {}  # signal number -> the handler ours replaced


def _name_max(folder):
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, ValueError, OSError):
        return 255


def temporary_name(destination):
    """A hidden name beside ``destination`` that fits the file system's name limit (NAME_MAX).

    The destination's own name is shortened in the temporary name, never the destination.
    """
    folder, base = os.path.split(destination)
    room = max(1, _name_max(folder or ".") - _TEMP_EXTRA)
    encoded = base.encode("utf-8", "surrogateescape")
    if len(encoded) > room:
        base = encoded[:room].decode("utf-8", "ignore")
    token = binascii.hexlify(os.urandom(4)).decode("ascii")
    return os.path.join(folder, ".%s.%s.tmp" % (base, token))


def _create_temporary(destination):
    """Creates the temporary file with mode 0666 less the umask, as a normal write would."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        path = temporary_name(destination)
        try:
            fd = os.open(path, flags, 0o666)
        except FileExistsError:
            continue
        except (IOError, OSError) as exc:
            raise ModelError("cannot write here: %s" % (exc.strerror or exc), os.path.dirname(destination))
        return path, os.fdopen(fd, "wb")
    raise ModelError("cannot create a temporary file", os.path.dirname(destination))


def _keep_mode(destination, temp_path):
    """A graph written over an existing file keeps that file's permissions."""
    try:
        mode = os.stat(destination).st_mode & 0o7777
    except OSError:
        return
    os.chmod(temp_path, mode)


def _remove_pending():
    with _PENDING_LOCK:
        paths = list(_PENDING)
        _PENDING.clear()
    for path in paths:
        _remove(path)


# Signals that end a process by default and that a user or a session's end sends: the temporary
# file goes first (SIGINT raises KeyboardInterrupt, which the writer's own cleanup handles).
CLEANUP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGQUIT")
                        if hasattr(signal, name))


def _on_signal(signum, frame):
    """Removes unfinished temporary files, then does what the previous handler would."""
    _remove_pending()
    previous = _HANDLERS.get(signum)
    if callable(previous):
        previous(signum, frame)
        return
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def install_signal_cleanup():
    """Installs, from the main thread, SIGTERM/SIGHUP/SIGQUIT handlers that remove unfinished temporary files.

    A front end whose freezes run in worker threads (the window) calls this once at start:
    Python handles signals in the main thread only. A signal the process ignores (SIGHUP under
    nohup) stays ignored. Returns False off the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        return False
    for signum in CLEANUP_SIGNALS:
        current = signal.getsignal(signum)
        if current is _on_signal or current is None or current == signal.SIG_IGN:
            continue
        _HANDLERS[signum] = current
        signal.signal(signum, _on_signal)
    return True


def _restore_signals():
    for signum, previous in list(_HANDLERS.items()):
        signal.signal(signum, previous)
    _HANDLERS.clear()


@contextlib.contextmanager
def _removed_on_signal(path):
    """While writing ``path``: removed on those signals (handlers installed only in the main thread)."""
    with _PENDING_LOCK:
        _PENDING.add(path)
    installed_here = False
    if threading.current_thread() is threading.main_thread() and not _HANDLERS:
        installed_here = install_signal_cleanup()
    try:
        yield
    finally:
        with _PENDING_LOCK:
            _PENDING.discard(path)
        if installed_here:
            _restore_signals()


atexit.register(_remove_pending)


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _human(size):
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return ("%d %s" % (size, unit)) if unit == "bytes" else ("%.1f %s" % (size, unit))
        size /= 1024.0
    return str(size)


human_size = _human
