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
        self._finish(self.root)

    def _make(self, path):
        """Creates the scope node at ``path`` and any missing parents."""
        parent_path, _, leaf = path.rpartition("/")
        parent = self._by_path.get(parent_path)
        if parent is None:
            parent = self._make(parent_path)
        node = ScopeNode(leaf, path, parent)
        parent._index[leaf] = node
        parent.children.append(node)
        self._by_path[path] = node
        return node

    def _finish(self, root):
        """Sorts scopes before ops (each in graph order), numbers rows, counts ops below each node."""
        order = []
        stack = [root]
        while stack:
            node = stack.pop()
            order.append(node)
            if node.children:
                node.children.sort(key=lambda c: 0 if c.children else 1)
                for row, child in enumerate(node.children):
                    child.row = row
                stack.extend(node.children)
        for node in reversed(order):
            node.count = (1 if node.op_name is not None else 0) + sum(c.count for c in node.children)

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
