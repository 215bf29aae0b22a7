"""The while-loop frames TensorFlow's executor assigns before it runs a graph (BuildControlFlowInfo).

An Enter starts the frame its `frame_name` attr names, inside the frame of its input; an Exit's consumers
are back in the outer frame; every other node is in the frame of its inputs. The executor refuses a graph
where a node's inputs come from different frames ("has inputs from different frames"), or an Enter has no
frame name, on every run whatever is fed: a damaged `frame_name` or a rewired edge. TF's graphs never
have one, so a graph without an Enter costs a scan of the op table and nothing more.
"""

import collections

from core.errors import ModelError, quote

_ENTERS = frozenset(["Enter", "RefEnter"])
_EXITS = frozenset(["Exit", "RefExit"])
_ROOT = ("", None)  # a frame: (its name, the frame it is in)


def check_frames(kept, path=None):
    """Refuses a freeze whose kept nodes TensorFlow's executor would refuse to run over their frames.

    Args:
        kept: core.freeze.plan.KeptNodes (keep, sources, op(), nodes).
    Raises:
        ModelError: naming the node, its two inputs and their frames.
    """
    if not any(name in kept.keep for name in kept.table.named(_ENTERS)):
        return
    keep, sources = sorted(kept.keep), kept.sources  # in name order: the same node is named on every run
    consumers = collections.defaultdict(list)
    for name in keep:
        for source in sources[name]:
            consumers[source].append(name)
    frames, reached_from = {}, {}
    ready = [name for name in keep if not sources[name]]
    for name in ready:
        frames[name] = _ROOT
    while ready:
        current = ready.pop()
        frame = frames[current]
        if kept.op(current) in _EXITS:
            frame = frame[1] or _ROOT
        for out in consumers[current]:
            visited = out in frames
            if not visited:
                reached_from[out] = current
                ready.append(out)
            if kept.op(out) in _ENTERS:
                if visited:
                    _same(out, current, frame, reached_from[out], frames[out][1], path)
                else:
                    frames[out] = (_frame_name(kept.nodes[out], path), frame)
            elif visited:
                _same(out, current, frame, reached_from[out], frames[out], path)
            else:
                frames[out] = frame


def _frame_name(node, path):
    name = node.attr["frame_name"].s.decode("utf-8", "replace") if "frame_name" in node.attr else ""
    if not name:
        raise ModelError("node %s (%s) has no frame name: TensorFlow's executor refuses to run the graph"
                         % (quote(node.name), node.op), path)
    return name


def _same(node, current, frame, first, first_frame, path):
    if frame[0] != first_frame[0]:
        raise ModelError("node %s has inputs from different while-loop frames: %s is in frame %s, %s in frame %s "
                         "(a damaged Enter frame_name or edge?): TensorFlow's executor refuses to run the graph"
                         % (quote(node), quote(current), quote(frame[0]), quote(first), quote(first_frame[0])), path)
