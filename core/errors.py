"""The one exception type core raises for bad input, naming the file and what is wrong."""


class ModelError(Exception):
    """A user-facing failure: unreadable file, wrong name, failed freeze.

    Args:
        message: one sentence saying what is wrong.
        path: the file or folder concerned, if any; it is put in front of the message.
    """

    def __init__(self, message, path=None):
        self.message = message
        self.path = path
        text = "%s: %s" % (path, message) if path else message
        super(ModelError, self).__init__(text)


class Cancelled(Exception):
    """Raised inside a long core operation when its cancel check says stop."""
