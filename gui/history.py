"""Back/Forward navigation history: every node the user went to, by link, tree click or search."""


class History(object):
    """A browser-like list of node names with a cursor.

    Visiting a name after going back drops the forward part; visiting the current name again is a no-op.
    """

    def __init__(self):
        self.names = []
        self.at = -1

    def clear(self):
        self.names = []
        self.at = -1

    def visit(self, name):
        if 0 <= self.at < len(self.names) and self.names[self.at] == name:
            return
        del self.names[self.at + 1:]
        self.names.append(name)
        self.at = len(self.names) - 1

    @property
    def can_back(self):
        return self.at > 0

    @property
    def can_forward(self):
        return 0 <= self.at < len(self.names) - 1

    def back(self):
        """The previous name (the cursor moves), or None at the start."""
        if not self.can_back:
            return None
        self.at -= 1
        return self.names[self.at]

    def forward(self):
        """The next name (the cursor moves), or None at the end."""
        if not self.can_forward:
            return None
        self.at += 1
        return self.names[self.at]
