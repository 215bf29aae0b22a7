"""The name-scope tree (scopes -> ops) that the window's tree model wraps lazily."""


class ScopeNode(object):
    """A scope, an op, or both (an op whose name is also a scope, like `dense/kernel`).

    Attributes:
        name: last path component.
        full_path: the full scope path ("model/heads").
        op_name: the node name when this is an op, else None.
        children: child ScopeNodes, scopes first then ops, each in graph order.
        parent: the parent ScopeNode (None for the root).
        count: number of ops at or below this node.
    """

    __slots__ = ("name", "full_path", "op_name", "children", "parent", "count", "_index", "row")

    def __init__(self, name, full_path, parent):
        self.name = name
        self.full_path = full_path
        self.parent = parent
        self.op_name = None
        self.children = []
        self.count = 0
        self._index = {}
        self.row = 0

    def __repr__(self):
        return "ScopeNode(%r, op=%r, %d children)" % (self.full_path, self.op_name, len(self.children))

    def child(self, name):
        return self._index.get(name)


class ScopeTree(object):
    """Name scopes of a graph as a tree, built in one pass over the node names."""

    def __init__(self, names):
        self.root = ScopeNode("", "", None)
        by_path = self._by_path = {"": self.root}
        for name in names:
            node = by_path.get(name)
            if node is None:
                node = self._make(name)
            node.op_name = name
        self._finish()

    def _make(self, path):
        """Creates the ScopeNode at ``path`` and any missing parents."""
        by_path = self._by_path
        missing = []
        while path not in by_path:
            missing.append(path)
            path = path.rpartition("/")[0]
        parent = by_path[path]
        for full in reversed(missing):
            child = ScopeNode(full.rpartition("/")[2], full, parent)
            parent._index[child.name] = child
            parent.children.append(child)
            by_path[full] = child
            parent = child
        return parent

    def _finish(self):
        """Counts ops at or below each node (post-order) and puts scopes before ops."""
        order = []
        stack = [self.root]
        while stack:
            node = stack.pop()
            order.append(node)
            stack.extend(node.children)
        for node in reversed(order):
            count = 1 if node.op_name is not None else 0
            if node.children:
                for child in node.children:
                    count += child.count
                node.children.sort(key=lambda c: 0 if c.children else 1)
                for row, child in enumerate(node.children):
                    child.row = row
            node.count = count

    def node(self, path):
        """The ScopeNode at ``path`` (an op name or a scope), or None."""
        return self._by_path.get(path)

    def children(self, path):
        node = self._by_path.get(path)
        return list(node.children) if node is not None else []

    def node_count(self, path):
        node = self._by_path.get(path)
        return node.count if node is not None else 0

    def path_of(self, op_name):
        """ScopeNodes from the root's child down to the op, for "expand to this node"."""
        node = self._by_path.get(op_name)
        chain = []
        while node is not None and node is not self.root:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))
