"""Writing a planned frozen graph to disk: streamed, size-checked, renamed into place when complete."""

import collections
import logging
import os
import tempfile
import time

import numpy as np

from core.formats import protos
from core.errors import Cancelled, ModelError
from core.formats.wire import length_field, length_header, varint_field

log = logging.getLogger(__name__)

MAX_GRAPH_BYTES = (1 << 31) - 1
DT_STRING = 7


class FreezeReport(collections.namedtuple(
        "FreezeReport", "destination outputs nodes_before nodes_after variables_converted "
                        "bytes_written seconds notes rewrites fixed runtime")):
    """What a freeze did. rewrites: list of (node, reason) for nodes that differ from the source;
    fixed: dict placeholder name -> the value it was fixed to (filled by core.pipeline);
    runtime: core.freeze.runtime_target.RuntimeFit when a target TensorFlow was given, else None."""


FreezeReport.__new__.__defaults__ = ({}, None)


def _shape_message(shape):
    return b"".join(length_field(2, varint_field(1, d) if d else b"") for d in shape)


def const_header(name, dtype, shape, payload_len, device=""):
    """The bytes of a Const NodeDef up to its tensor_content payload.

    The payload (the tensor's raw little-endian bytes) is the last thing in the
    message, so a writer can stream it after this header.

    Returns:
        (header bytes, total NodeDef length).
    """
    tensor_head = varint_field(1, dtype) + length_field(2, _shape_message(shape))
    if payload_len:
        tensor_head += length_header(4, payload_len)
    tensor_len = len(tensor_head) + payload_len
    attr_value_head = length_header(8, tensor_len)
    attr_value_len = len(attr_value_head) + tensor_len
    entry_head = length_field(1, b"value") + length_header(2, attr_value_len)
    entry_len = len(entry_head) + attr_value_len
    dtype_entry = length_field(1, b"dtype") + length_field(2, varint_field(6, dtype))
    node_head = length_field(1, name.encode("utf-8")) + length_field(2, b"Const")
    if device:
        node_head += length_field(4, device.encode("utf-8"))
    node_head += length_field(5, dtype_entry) + length_header(5, entry_len)
    header = node_head + entry_head + attr_value_head + tensor_head
    return header, len(header) + payload_len


def _small_const(variable, reader):
    """A Const whose value must be materialised (partition parts, strings)."""
    if variable.region is not None:
        _, starts, lengths = variable.region
        value = reader.read_region(variable.key, starts, lengths)
    else:
        value = reader.read(variable.key)
    if variable.dtype == DT_STRING:
        tensor = protos.TensorProto()
        tensor.dtype = DT_STRING
        for dim in variable.shape:
            tensor.tensor_shape.dim.add().size = dim
        tensor.string_val.extend(np.asarray(value, dtype=object).ravel().tolist())
        node = protos.NodeDef()
        node.name = variable.name
        node.op = "Const"
        node.attr["dtype"].type = DT_STRING
        node.attr["value"].tensor.CopyFrom(tensor)
        return node.SerializeToString()
    payload = np.ascontiguousarray(value).tobytes()
    header, _ = const_header(variable.name, variable.dtype, variable.shape, len(payload))
    return header + payload


class _Piece(object):
    """One node's bytes to write: ready bytes, or a header plus a streamed checkpoint tensor."""

    def __init__(self, plan_node, data=None, header=None, length=0):
        self.node = plan_node
        self.data = data
        self.header = header
        self.length = length


def _pieces(plan):
    reader = plan.model.checkpoint
    pieces = []
    for node in plan.nodes:
        if node.kind != "const":
            pieces.append(_Piece(node, data=bytes(node.data), length=len(node.data)))
            continue
        variable = node.variable
        if variable.region is None and variable.dtype != DT_STRING:
            header, length = const_header(variable.name, variable.dtype, variable.shape,
                                          variable.nbytes, node.device)
            pieces.append(_Piece(node, header=header, length=length))
        else:
            data = _small_const(variable, reader)
            pieces.append(_Piece(node, data=data, length=len(data)))
    return pieces


def planned_size(plan):
    """The exact size in bytes of the frozen GraphDef the plan describes."""
    return sum(len(length_header(1, p.length)) + p.length for p in _pieces(plan)) + len(plan.tail_fields)


def check_destination(destination, input_files):
    """Refuses destinations that are folders, unwritable, or one of the input files.

    Raises:
        ModelError: naming the destination.
    """
    destination = os.path.abspath(destination)
    if os.path.isdir(destination):
        raise ModelError("is a folder; give a file name for the frozen graph", destination)
    real = os.path.realpath(destination)
    for path in input_files:
        if path and os.path.exists(path) and os.path.realpath(path) == real:
            raise ModelError("is one of the model's input files; choose another name", destination)
    folder = os.path.dirname(destination)
    if not os.path.isdir(folder):
        raise ModelError("folder does not exist", folder)
    if not os.access(folder, os.W_OK):
        raise ModelError("folder is not writable", folder)


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
    total = sum(len(length_header(1, p.length)) + p.length for p in pieces) + len(plan.tail_fields)
    if total > MAX_GRAPH_BYTES:
        raise ModelError("the frozen graph would be %s, over protobuf's 2 GiB limit: nobody could "
                         "write or read it; choose fewer outputs or keep the weights outside the graph"
                         % _human(total), destination)
    reader = plan.model.checkpoint
    folder, base = os.path.split(destination)
    try:
        handle = tempfile.NamedTemporaryFile(dir=folder, prefix="." + base + ".", suffix=".tmp",
                                             delete=False)
    except (IOError, OSError) as exc:
        raise ModelError("cannot write here: %s" % (exc.strerror or exc), folder)
    done = 0
    try:
        with handle:
            for piece in pieces:
                if cancel is not None and cancel():
                    raise Cancelled()
                handle.write(length_header(1, piece.length))
                if piece.data is not None:
                    handle.write(piece.data)
                    done += piece.length
                else:
                    handle.write(piece.header)
                    for chunk in reader.iter_bytes(piece.node.variable.key):
                        if cancel is not None and cancel():
                            raise Cancelled()
                        handle.write(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(done, total, piece.node.name)
                if progress is not None:
                    progress(done, total, piece.node.name)
            handle.write(plan.tail_fields)
        # Complete before it gets its name: readers never see a partial graph. (No fsync:
        # it doubled the wide benchmark's time, and TensorFlow's own freezer does none.)
        os.replace(handle.name, destination)
    except (IOError, OSError) as exc:
        _remove(handle.name)
        raise ModelError("cannot write: %s" % (exc.strerror or exc), destination)
    except BaseException:
        _remove(handle.name)
        raise
    written = os.path.getsize(destination)
    rewrites = [(n.name, n.reason) for n in plan.nodes if n.kind != "copy"]
    report = FreezeReport(destination, list(plan.outputs), plan.nodes_before, len(plan.nodes),
                          len(plan.variables), written, time.time() - started, list(plan.notes),
                          rewrites, runtime=plan.runtime)
    log.info("froze %d -> %d nodes, %d variables, %d bytes in %.2fs to %s", report.nodes_before,
             report.nodes_after, report.variables_converted, written, report.seconds, destination)
    return report


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
