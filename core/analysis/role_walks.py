"""Graph walks the role assignment is made of: collections, exclusive marking, absorbing, reach, labels."""

import collections

from core.analysis.evidence import is_dropout_rate
from core.formats.wire import iter_fields
from core.names import node_name

_FOLLOWERS = frozenset(["Identity", "Shape", "ShapeN", "Size", "Rank"])


def collection_names(meta_graph, key):
    if meta_graph is None or key not in meta_graph.collection_def:
        return []
    collection = meta_graph.collection_def[key]
    kind = collection.WhichOneof("kind")
    if kind == "node_list":
        return [node_name(v) for v in collection.node_list.value]
    names = []
    if kind == "bytes_list":  # VariableDef / other protos: field 1 is a tensor name
        for raw in collection.bytes_list.value:
            try:
                for number, wire, _, start, end in iter_fields(raw):
                    if number == 1 and wire == 2:
                        names.append(node_name(raw[start:end].decode("utf-8", "replace")))
                        break
            except ValueError:
                continue
    return names


def mark_exclusive(model, roots, new_role, role, protected):
    """Gives ``new_role`` to roots and to nodes consumed only by nodes already given it."""
    pending = {}
    stack = [r for r in set(roots) if r not in protected]
    done = set(stack)
    while stack:
        i = stack.pop()
        role[i] = new_role
        for s in set(s for s, _ in model.data_in[i]) | set(model.control_in[i]):
            left = pending.get(s)
            if left is None:
                left = len(set(model.data_out[s]) | set(model.control_out[s]))
            pending[s] = left = left - 1
            if left == 0 and s not in done and s not in protected:
                done.add(s)
                stack.append(s)


def same_scope(name, other):
    """Whether two nodes were made in one non-root name scope (one nested in the other's)."""
    scope = name.rpartition("/")[0]
    if not scope:
        return False
    other_scope = other.rpartition("/")[0]
    return (scope == other_scope or other_scope.startswith(scope + "/")
            or (bool(other_scope) and scope.startswith(other_scope + "/")))


def ancestors(model, roots):
    """Indexes of the roots and everything they depend on (data and control edges)."""
    return model.ancestor_indexes(roots)


def absorb(model, members, new_role, role, settled, allow):
    """Gives ``new_role`` to the inputs of ``members`` (transitively) whose every consumer is a member
    or has a ``settled`` role, when ``allow(input, consumer)`` says so.

    Returns:
        set of the indexes absorbed.
    """
    members = set(members)
    absorbed = set()
    stack = list(members)
    while stack:
        i = stack.pop()
        for s in set(s for s, _ in model.data_in[i]) | set(model.control_in[i]):
            if s in members or not allow(s, i):
                continue
            consumers = set(model.data_out[s]) | set(model.control_out[s])
            # A read or a shape query that nothing else uses goes along with its input.
            dangling = [d for d in consumers if d not in members and role[d] not in settled
                        and model.ops[d] in _FOLLOWERS
                        and all(c in members or role[c] in settled for c in model.data_out[d])
                        and all(c in members or role[c] in settled for c in model.control_out[d])]
            if all(d in members or role[d] in settled for d in consumers.difference(dangling)):
                for d in [s] + dangling:
                    members.add(d)
                    absorbed.add(d)
                    role[d] = new_role
                stack.append(s)
    return absorbed


def parameterised(model, variables, blocked):
    """Nodes computed (over data edges) from a variable."""
    seen = set()
    stack = list(variables)
    while stack:
        i = stack.pop()
        for d in model.data_out[i]:
            if d not in seen and d not in blocked:
                seen.add(d)
                stack.append(d)
    return seen


def find_labels(model, placeholders, reach, has_params):
    """Placeholders that meet the others only where the others already went through parameters."""
    if len(placeholders) < 2:
        return set()
    bit_of = dict((p, 1 << b) for b, p in enumerate(placeholders))
    label_votes = collections.Counter()
    input_votes = collections.Counter()
    for i, bits in reach.items():
        if bits & (bits - 1) == 0:
            continue  # reached by one source only: not a meeting point
        sides = [(s, reach.get(s, 0)) for s, _ in model.data_in[i]]
        for p in placeholders:
            flag = bit_of[p]
            if not bits & flag:
                continue
            mine = [s for s, b in sides if b & flag and b == flag]
            others = [s for s, b in sides if b and not b & flag]
            if not mine or not others:
                continue
            mine_params = any(s in has_params for s in mine)
            others_params = any(s in has_params for s in others)
            if others_params and not mine_params:
                label_votes[p] += 1
            elif mine_params:
                input_votes[p] += 1
    feeds_layers = _feeding_layers(model, placeholders, reach)
    return set(p for p in placeholders if label_votes[p] and not input_votes[p] and p not in feeds_layers
               and not is_dropout_rate(model, p))


# A placeholder whose values reach one of these feeds the model (a sequence length, a keep_prob, a
# decoder's teacher-forced targets): never a label.
_WEIGHTED_OPS = frozenset(["MatMul", "BatchMatMul", "BatchMatMulV2", "Conv2D", "Conv3D", "DepthwiseConv2dNative",
                           "Conv2DBackpropInput", "BiasAdd", "Conv1D"])


def _feeding_layers(model, placeholders, reach):
    """Placeholders whose values reach a weighted layer op."""
    bits = 0
    for i, mask in reach.items():
        if model.ops[i] in _WEIGHTED_OPS:
            bits |= mask
    return set(p for b, p in enumerate(placeholders) if bits & (1 << b))


def depths(model, inputs, inference):
    depth = dict((i, 0) for i in inputs)
    queue = collections.deque(inputs)
    while queue:
        i = queue.popleft()
        for d in model.data_out[i]:
            if d in inference and d not in depth:
                depth[d] = depth[i] + 1
                queue.append(d)
    return depth
