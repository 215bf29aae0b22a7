"""A layered (Sugiyama-style) layout: layers, dummy nodes, barycenter ordering, coordinates."""

NODE_HEIGHT = 40.0
LAYER_GAP = 44.0
NODE_GAP = 18.0
DUMMY_WIDTH = 8.0
SWEEPS = 4
TRANSPOSE_ROUNDS = 4
COORDINATE_ROUNDS = 4
BACK_EDGE_OPS = frozenset(["NextIteration", "RefNextIteration"])


class Layout(object):
    """Positions in abstract units (y grows downward, inputs above their consumers).

    Attributes:
        boxes: dict id -> (x, y, width, height), the top-left corner and size of each box.
        paths: one list of (x, y) points per input edge, from its source to its target
            (empty for a self loop).
        layers: list of lists of ids, top to bottom, left to right (dummies left out).
        width, height: the extent of the drawing (boxes start at 0, 0).
    """

    def __init__(self, boxes, paths, layers, width, height):
        self.boxes = boxes
        self.paths = paths
        self.layers = layers
        self.width = width
        self.height = height


def _break_cycles(count, succ):
    """Pairs (u, v) of ``succ`` that close a cycle, found by an iterative depth-first search."""
    state = [0] * count  # 0 new, 1 on the stack, 2 done
    back = set()
    for root in range(count):
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, iter(succ[root]))]
        while stack:
            node, children = stack[-1]
            advanced = False
            for child in children:
                if state[child] == 1:
                    back.add((node, child))
                elif state[child] == 0:
                    state[child] = 1
                    stack.append((child, iter(succ[child])))
                    advanced = True
                    break
            if not advanced:
                state[node] = 2
                stack.pop()
    return back


def _layers(count, succ, pred):
    """Longest-path layers (sources on top); then nodes with no more inputs than consumers are pulled
    down next to their consumers, so weights and their reads do not hang from the top layer."""
    indegree = [len(p) for p in pred]
    order = [v for v in range(count) if not indegree[v]]
    layer = [0] * count
    k = 0
    while k < len(order):
        u = order[k]
        k += 1
        below = layer[u] + 1
        for v in succ[u]:
            if layer[v] < below:
                layer[v] = below
            indegree[v] -= 1
            if not indegree[v]:
                order.append(v)
    for v in reversed(order):  # consumers first: a variable's read moves, then the variable
        if succ[v] and len(pred[v]) <= len(succ[v]):
            layer[v] = max(layer[v], min(layer[w] for w in succ[v]) - 1)
    return layer


def _count_crossings(upper_pos, lower_pos, pairs):
    """Crossings between two adjacent layers for edges ``pairs`` (u in upper, v in lower)."""
    ends = [lower_pos[v] for _, v in sorted(pairs, key=lambda p: (upper_pos[p[0]], lower_pos[p[1]]))]
    size = max(ends) + 2 if ends else 1
    tree = [0] * (size + 1)
    crossings = 0
    for seen, end in enumerate(ends):
        i = end + 1
        not_greater = 0
        while i > 0:
            not_greater += tree[i]
            i -= i & -i
        crossings += seen - not_greater
        i = end + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
    return crossings


def _pair_crossings(u, v, pos, near):
    """Crossings between the edges of ``u`` and ``v`` to one neighbouring layer when u is left of v."""
    return sum(1 for a in near[u] for b in near[v] if pos[a] > pos[b])


def _transpose(rows, pos, succ, pred):
    """Swaps neighbours in a layer while that lowers the crossings with both adjacent layers."""
    for _ in range(TRANSPOSE_ROUNDS):
        improved = False
        for row in rows:
            for i in range(len(row) - 1):
                u, v = row[i], row[i + 1]
                now = _pair_crossings(u, v, pos, pred) + _pair_crossings(u, v, pos, succ)
                swapped = _pair_crossings(v, u, pos, pred) + _pair_crossings(v, u, pos, succ)
                if swapped < now:
                    row[i], row[i + 1] = v, u
                    pos[u], pos[v] = i + 1, i
                    improved = True
        if not improved:
            return


def _order(rows, succ, pred):
    """Barycenter sweeps down and up, each followed by swaps of neighbours that remove crossings; keeps the
    ordering with the fewest crossings."""
    pos = {}
    for row in rows:
        for i, v in enumerate(row):
            pos[v] = i
    pairs = [[(u, v) for u in rows[k] for v in succ[u]] for k in range(len(rows) - 1)]

    def crossings():
        return sum(_count_crossings(pos, pos, p) for p in pairs if p)

    best = crossings()
    best_rows = [list(r) for r in rows]
    for sweep in range(SWEEPS):
        if not best:
            break
        for direction in (pred, succ):
            indexes = range(1, len(rows)) if direction is pred else range(len(rows) - 2, -1, -1)
            for k in indexes:
                row = rows[k]
                keys = {}
                for v in row:
                    near = direction[v]
                    keys[v] = sum(pos[w] for w in near) / float(len(near)) if near else pos[v]
                row.sort(key=keys.__getitem__)
                for i, v in enumerate(row):
                    pos[v] = i
        _transpose(rows, pos, succ, pred)
        now = crossings()
        if now < best:
            best = now
            best_rows = [list(r) for r in rows]
    for row in best_rows:
        for i, v in enumerate(row):
            pos[v] = i
    return best_rows


def _place_row(row, width, desired, x):
    """Centres as close as possible to ``desired`` keeping order and gaps (pool adjacent violators)."""
    offsets = [0.0]
    for i in range(1, len(row)):
        offsets.append(offsets[-1] + (width[row[i - 1]] + width[row[i]]) / 2.0 + NODE_GAP)
    blocks = []  # [sum, count]
    for i, v in enumerate(row):
        blocks.append([desired[v] - offsets[i], 1])
        while len(blocks) > 1 and blocks[-2][0] * blocks[-1][1] > blocks[-1][0] * blocks[-2][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    i = 0
    for total, count in blocks:
        mean = total / count
        for _ in range(count):
            x[row[i]] = mean + offsets[i]
            i += 1


def _coordinates(rows, width, succ, pred):
    """x of every centre: packed rows, then rounds of pulls toward the neighbours' mean."""
    x = [0.0] * len(width)
    for row in rows:
        left = 0.0
        for v in row:
            x[v] = left + width[v] / 2.0
            left += width[v] + NODE_GAP
        shift = left / 2.0
        for v in row:
            x[v] -= shift
    both = [p + s for p, s in zip(pred, succ)]
    plan = [pred, succ] * COORDINATE_ROUNDS + [both]
    for near in plan:
        indexes = range(len(rows)) if near is not succ else range(len(rows) - 1, -1, -1)
        for k in indexes:
            desired = {}
            for v in rows[k]:
                around = near[v]
                desired[v] = sum(x[w] for w in around) / len(around) if around else x[v]
            _place_row(rows[k], width, desired, x)
    return x


def layered_layout(ids, edges, widths, back_edges=(), height=NODE_HEIGHT):
    """Lays out a directed graph in layers, each edge pointing down.

    Args:
        ids: node ids (hashable), in a preferred left-to-right order.
        edges: list of (source id, target id).
        widths: dict id -> box width.
        back_edges: indexes into ``edges`` to draw upward (while-loop NextIteration edges);
            any other cycle is broken where a depth-first search closes it.
        height: box height.
    Returns:
        Layout.
    """
    index = dict((v, i) for i, v in enumerate(ids))
    count = len(ids)
    back = set(back_edges)
    ranked = []  # per edge: (u, v, flipped) or None for a self loop
    for k, (s, t) in enumerate(edges):
        u, v = index[s], index[t]
        ranked.append(None if u == v else ((v, u, True) if k in back else (u, v, False)))
    succ = [[] for _ in range(count)]
    pairs = set(r[:2] for r in ranked if r is not None)
    for u, v in sorted(pairs):
        succ[u].append(v)
    cycles = _break_cycles(count, succ)
    if cycles:
        ranked = [None if r is None else ((r[1], r[0], not r[2]) if r[:2] in cycles else r) for r in ranked]
        pairs = set(r[:2] for r in ranked if r is not None)
    return _finish(ids, ranked, pairs, [float(widths[v]) for v in ids], height)


def _finish(ids, ranked, pairs, width, height):
    count = len(ids)
    succ = [[] for _ in range(count)]
    pred = [[] for _ in range(count)]
    for u, v in sorted(pairs):
        succ[u].append(v)
        pred[v].append(u)
    layer = _layers(count, succ, pred)
    top = min(layer) if layer else 0
    layer = [l - top for l in layer]
    chains = {}
    for u, v in sorted(pairs):
        chain = [u]
        for l in range(layer[u] + 1, layer[v]):
            dummy = len(width)
            width.append(DUMMY_WIDTH)
            layer.append(l)
            succ.append([])
            pred.append([chain[-1]])
            chain.append(dummy)
        chain.append(v)
        if len(chain) > 2:
            succ[u].remove(v)
            pred[v].remove(u)
            succ[u].append(chain[1])
            for a, b in zip(chain[1:], chain[2:]):
                succ[a].append(b)
            pred[v].append(chain[-2])
        chains[(u, v)] = chain
    rows = [[] for _ in range(max(layer) + 1 if layer else 0)]
    for v, l in enumerate(layer):
        rows[l].append(v)
    rows = _order(rows, succ, pred)
    x = _coordinates(rows, width, succ, pred)
    left = min(x[v] - width[v] / 2.0 for v in range(len(width))) if width else 0.0
    step = height + LAYER_GAP
    boxes = {}
    for v in range(count):
        boxes[ids[v]] = (x[v] - width[v] / 2.0 - left, layer[v] * step, width[v], height)
    paths = []
    for r in ranked:
        if r is None:
            paths.append([])
            continue
        chain = chains[r[:2]]
        points = [(x[chain[0]] - left, layer[chain[0]] * step + height)]
        for d in chain[1:-1]:
            points.append((x[d] - left, layer[d] * step + height / 2.0))
        points.append((x[chain[-1]] - left, layer[chain[-1]] * step))
        if r[2]:
            points.reverse()
        paths.append(points)
    right = max(b[0] + b[2] for b in boxes.values()) if boxes else 0.0
    layers = [[ids[v] for v in row if v < count] for row in rows]
    return Layout(boxes, paths, layers, right, len(rows) * step - LAYER_GAP if rows else 0.0)


def label_width(op, name, char_width=7.0, max_chars=30, padding=16.0):
    """The box width for the op type and the (elided) name, in abstract units."""
    chars = min(max_chars, max(len(op), len(name), 6))
    return chars * char_width + padding


def layout_subgraph(subgraph, model, char_width=7.0, max_chars=30):
    """Lays out a core.analysis.subgraph.Subgraph of ``model`` (a GraphModel).

    Edges leaving a NextIteration node are the back edges of while loops: drawn upward.
    """
    ids = subgraph.ids()
    widths = {}
    for name in subgraph.nodes:
        widths[name] = label_width(model.op(name), name, char_width, max_chars)
    for pid, group in subgraph.collapsed.items():
        widths[pid] = label_width("", group.label, char_width, max_chars)
    for gid, group in subgraph.groups.items():
        widths[gid] = label_width("", group.label, char_width, max_chars) + 12
    pairs = [(e.source, e.target) for e in subgraph.edges]
    back = [k for k, e in enumerate(subgraph.edges)
            if e.source in model.position and model.op(e.source) in BACK_EDGE_OPS]
    return layered_layout(ids, pairs, widths, back)

