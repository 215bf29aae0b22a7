"""Tensor and node names as graphs write them: "node", "node:port", "^node"."""


def tensor_name(name):
    """Normalises a tensor reference to "node:port" ("a" -> "a:0", "a:1" stays)."""
    if name.startswith("^"):
        return name
    node, _, port = name.partition(":")
    return "%s:%s" % (node, port or "0")


def node_name(name):
    """The node a graph input refers to: strips a leading "^" and a ":port" suffix."""
    if name.startswith("^"):
        name = name[1:]
    colon = name.rfind(":")
    if colon > 0 and name[colon + 1:].isdigit():
        return name[:colon]
    return name


def port_of(name):
    """The output port a graph input refers to: 0 for "node", 3 for "node:3" (control inputs: -1)."""
    if name.startswith("^"):
        return -1
    colon = name.rfind(":")
    if colon > 0 and name[colon + 1:].isdigit():
        return int(name[colon + 1:])
    return 0
