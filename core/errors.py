"""The one exception type core raises for bad input, naming the file and what is wrong."""

MAX_MESSAGE = 600


def quote(text, limit=120):
    """A file-supplied string made safe for a one-line message: quoted, escaped, truncated.

    Args:
        text: str or bytes (bytes that are not UTF-8 are shown as escapes).
        limit: characters of ``text`` kept before "...".
    Returns:
        the text in single quotes with control characters, quotes and backslashes escaped.
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        text = bytes(text[:limit * 4]).decode("utf-8", "backslashreplace")
    elif not isinstance(text, str):
        text = str(text)
    cut = len(text) > limit
    text = text[:limit]
    out = []
    for char in text:
        code = ord(char)
        if char == "\\" or char == "'":
            out.append("\\" + char)
        elif code < 32 or code == 127 or 0x80 <= code < 0xA0 or code in (0x2028, 0x2029):
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, "\\x%02x" % code if code < 256
                                                                   else "\\u%04x" % code))
        else:
            out.append(char)
    return "'%s'%s" % ("".join(out), "..." if cut else "")


def one_line(text, limit=MAX_MESSAGE):
    """Control characters escaped and the length capped, so a message stays on one line."""
    text = str(text)
    if len(text) > limit:
        text = text[:limit] + "..."
    if any(ord(c) < 32 or c in "\x7f\u2028\u2029\x85" for c in text):
        text = "".join(c if ord(c) >= 32 and c not in "\x7f\u2028\u2029\x85"
                       else "\\x%02x" % ord(c) if ord(c) < 256 else "\\u%04x" % ord(c) for c in text)
    return text


class ModelError(Exception):
    """A user-facing failure: unreadable file, wrong name, failed freeze.

    The text is always one line of bounded length, whatever strings the file held.

    Args:
        message: one sentence saying what is wrong (quote file-supplied strings with quote()).
        path: the file or folder concerned, if any; it is put in front of the message.
    """

    def __init__(self, message, path=None):
        self.message = one_line(message)
        self.path = path
        text = "%s: %s" % (one_line(path, 400), self.message) if path else self.message
        super(ModelError, self).__init__(text)


class Cancelled(Exception):
    """Raised inside a long core operation when its cancel check says stop."""
