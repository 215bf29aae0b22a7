"""The name-scope tree (scopes -> ops) that the window's tree model wraps lazily."""


class ScopeNode(object):
    """A scope, an op, or both (an op whose name is also a scope, like `dense/kernel`).

    Attributes:
        name: last path component.
        full_path: the full scope path ("model/heads"), made on request from a name below it.
        op_name: the node name when this is an op, else None.
        children: child ScopeNodes, scopes first then ops, each in graph order.
        parent: the parent ScopeNode (None for the root).
        count: number of ops at or below this node.
    """

    __slots__ = ("name", "op_name", "children", "parent", "count", "_index", "row", "_source", "_end")

    def __init__(self, name, parent, source, end):
        self.name = name
        self.parent = parent
        self.op_name = None
        self.children = []
        self.count = 0
        self._index = {}
        self.row = 0
        # The path is source[:end] of an op name at or below: a node keeps no path string of its
        # own, so memory stays linear in the names' length however deep the scopes go.
        self._source = source
        self._end = end

    @property
    def full_path(self):
        return self._source[:self._end]

    def __repr__(self):
        return "ScopeNode(%r, op=%r, %d children)" % (self.full_path, self.op_name, len(self.children))

    def child(self, name):
        return self._index.get(name)


class ScopeTree(object):
    """Name scopes of a graph as a tree, built in one pass over the node names.

    Time and memory are linear in the total length of the names (a name 100k scopes deep costs
    100k small nodes, not 100k path strings).
    """

    def __init__(self, names):
        self.root = ScopeNode("", None, "", 0)
        self._ops = {}
        for name in names:
            node = self._make(name)
            node.op_name = name
            self._ops[name] = node
        self._finish()

    def _make(self, path):
        """The ScopeNode at ``path``, created with any missing parents."""
        node = self.root
        start = 0
        while True:
            end = path.find("/", start)
            if end < 0:
                end = len(path)
            component = path[start:end]
            child = node._index.get(component)
            if child is None:
                child = ScopeNode(component, node, path, end)
                node._index[component] = child
                node.children.append(child)
            node = child
            if end == len(path):
                return node
            start = end + 1

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

    def _find(self, path):
        found = self._ops.get(path)
        if found is not None or not path:
            return found if path else self.root
        node = self.root
        for component in path.split("/"):
            node = node._index.get(component)
            if node is None:
                return None
        return node

    def node(self, path):
        """The ScopeNode at ``path`` (an op name or a scope), or None."""
        return self._find(path)

    def children(self, path):
        node = self._find(path)
        return list(node.children) if node is not None else []

    def node_count(self, path):
        node = self._find(path)
        return node.count if node is not None else 0

    def path_of(self, op_name):
        """ScopeNodes from the root's child down to the op, for "expand to this node"."""
        node = self._find(op_name)
        chain = []
        while node is not None and node is not self.root:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))
