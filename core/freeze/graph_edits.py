"""Edits a freeze applies on top of the source graph: replaced nodes and rewired tensors."""


class GraphEdits(object):
    """A set of changes for the freezer to apply while it copies nodes.

    replaced: node name -> NodeDef (protos.NodeDef) written instead of the source node.
    added: NodeDefs that do not exist in the source (written before their first consumer).
    rewired: tensor name ("node:port", port always explicit) -> tensor name that every
        consumer reads instead.  Control inputs ("^node") are never rewired.
    notes: human-readable lines describing what was changed, for the freeze report.
    reasons: replaced node name -> why (for the report's rewrites; default "replaced (inference mode)").
    kept_notes: (node name, note when the frozen graph has that node, note when the outputs do not reach it):
        an input cut's Placeholder exists only when the outputs read the cut tensor.
    """

    def __init__(self):
        self.replaced = {}
        self.added = []
        self.rewired = {}
        self.notes = []
        self.reasons = {}
        self.kept_notes = []

    def merge(self, other):
        """Adds another GraphEdits' changes to this one (the other wins on conflicts)."""
        self.replaced.update(other.replaced)
        self.added.extend(other.added)
        self.rewired.update(other.rewired)
        self.notes.extend(other.notes)
        self.reasons.update(other.reasons)
        self.kept_notes.extend(other.kept_notes)
        return self

    def __bool__(self):
        return bool(self.replaced or self.added or self.rewired)

    __nonzero__ = __bool__
