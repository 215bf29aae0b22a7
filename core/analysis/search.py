"""Searching node names: terms, globs, /regex/ and op:Type filters, fast on 100k-node graphs."""

import bisect
import fnmatch
import re


class QueryError(ValueError):
    """A query that cannot be understood (e.g. a bad regular expression)."""


_GLOB_CHARS = re.compile(r"[*?\[]")


def _is_regex(term):
    return len(term) > 2 and term.startswith("/") and term.endswith("/")


def _glob(pattern):
    return re.compile(fnmatch.translate(pattern), re.IGNORECASE)


def _longest_literal(pattern):
    """The longest run of a glob without wildcards, lower-cased ("" when none)."""
    parts = re.split(r"\*|\?|\[[^\]]*\]", pattern)
    return max(parts, key=len).lower() if parts else ""


def _regex_literal(pattern):
    """The longest run of plain characters every match of ``pattern`` must contain, lower-cased.

    Conservative: patterns with alternation or groups give "" (no prefilter)."""
    if "|" in pattern or "(" in pattern:
        return ""
    runs, run, i = [], "", 0
    while i < len(pattern):
        char = pattern[i]
        if char in "*?+{":
            run = run[:-1]
            runs.append(run)
            run = ""
            if char == "{":
                close = pattern.find("}", i)
                i = close if close > 0 else i
        elif char == "\\" or char == "[" or char in ".^$":
            runs.append(run)
            run = ""
            if char == "\\":
                i += 1
            elif char == "[":
                close = pattern.find("]", i + 2)
                i = close if close > 0 else len(pattern)
        else:
            run += char
        i += 1
    runs.append(run)
    return max(runs, key=len).lower()


class _Term(object):
    """One parsed term: kind "text", "glob", "regex" or "op", with a test on (name, lowered name, op)."""

    __slots__ = ("kind", "text", "compiled")

    def __init__(self, kind, text, compiled=None):
        self.kind = kind
        self.text = text
        self.compiled = compiled

    def test(self, name, lowered, op):
        if self.kind == "text":
            return self.text in lowered
        if self.kind == "op":
            return self.compiled(op)
        if self.kind == "regex":
            return self.compiled.search(name) is not None
        return self.compiled.match(name) is not None or self.compiled.match(name.rsplit("/", 1)[-1]) is not None


def _parse(text):
    terms = []
    for term in text.split():
        if term.lower().startswith("op:"):
            pattern = term[3:]
            if not pattern:
                raise QueryError("op: needs an op type, e.g. op:Relu")
            if _GLOB_CHARS.search(pattern):
                compiled = _glob(pattern)
                terms.append(_Term("op", pattern, lambda op, c=compiled: c.match(op) is not None))
            else:
                lowered = pattern.lower()
                terms.append(_Term("op", pattern, lambda op, p=lowered: op.lower() == p))
        elif _is_regex(term):
            try:
                compiled = re.compile(term[1:-1], re.IGNORECASE)
            except re.error as exc:
                raise QueryError("bad regular expression %s: %s" % (term, exc))
            terms.append(_Term("regex", term, compiled))
        elif _GLOB_CHARS.search(term):
            terms.append(_Term("glob", term, _glob(term)))
        else:
            terms.append(_Term("text", term.lower()))
    return terms


def compile_query(text):
    """Turns a query into a predicate over (name, op).

    Syntax: whitespace-separated terms that must all match, case-insensitive:
    a plain term is a substring of the name; a term with * or ? is a glob on the
    full name or on its last component; /regex/ is searched in the name (re.search);
    op:Type (globs allowed, op:Conv*) filters by op type.

    Args:
        text: the query.
    Returns:
        function (name, op) -> bool; an empty query matches nothing.
    Raises:
        QueryError: a malformed regular expression or an empty op: filter.
    """
    terms = _parse(text)

    def matches(name, op):
        if not terms:
            return False
        lowered = name.lower()
        return all(t.test(name, lowered, op) for t in terms)

    return matches


class SearchIndex(object):
    """Names and ops of a graph prepared once (lower-cased names, nodes by op type) for fast queries."""

    def __init__(self, names, ops):
        self.names = names
        self.ops = ops
        self.lowered = [n.lower() for n in names]
        by_op = {}
        for i, op in enumerate(ops):
            by_op.setdefault(op, []).append(i)
        self.by_op = by_op
        self._blob = None
        self._starts = None

    def _blob_hits(self, compiled):
        """Indexes of names where ``compiled`` (MULTILINE over the lower-cased names) finds a match."""
        if self._blob is None:
            self._blob = "\n".join(self.lowered)
            starts, position = [], 0
            for name in self.lowered:
                starts.append(position)
                position += len(name) + 1
            self._starts = starts
        hits = []
        last = -1
        starts = self._starts
        for match in compiled.finditer(self._blob):
            index = bisect.bisect_right(starts, match.start()) - 1
            if index != last:
                hits.append(index)
                last = index
        return hits

    def _generate(self, terms):
        """A superset of the hits (sorted indexes) from the cheapest term, and the terms left to check."""
        ops = [t for t in terms if t.kind == "op"]
        if ops:
            term = ops[0]
            hits = sorted(i for op, indexes in self.by_op.items() if term.compiled(op) for i in indexes)
            return hits, [t for t in terms if t is not term]
        texts = sorted((t for t in terms if t.kind == "text"), key=lambda t: -len(t.text))
        if texts:
            term = texts[0]
            needle = term.text
            return [i for i, s in enumerate(self.lowered) if needle in s], [t for t in terms if t is not term]
        globs = [t for t in terms if t.kind == "glob"]
        if globs:
            # A glob that ends in plain text matches names (or last components) ending in it.
            suffixes = [re.split(r"\*|\?|\[[^\]]*\]", t.text)[-1].lower() for t in globs]
            suffix = max(suffixes, key=len)
            if suffix:
                return [i for i, s in enumerate(self.lowered) if s.endswith(suffix)], terms
            literal = max((_longest_literal(t.text) for t in globs), key=len)
            if literal:
                return [i for i, s in enumerate(self.lowered) if literal in s], terms
            return list(range(len(self.names))), terms
        regex = terms[0]
        literal = _regex_literal(regex.compiled.pattern)
        if len(literal) >= 2:
            return [i for i, s in enumerate(self.lowered) if literal in s], terms
        try:
            compiled = re.compile(regex.compiled.pattern, re.IGNORECASE | re.MULTILINE)
            return self._blob_hits(compiled), terms
        except re.error:
            return list(range(len(self.names))), terms

    def search(self, text, limit=None):
        """Names (in graph order) matching the query (see compile_query); an empty query matches nothing.

        Args:
            text: the query.
            limit: at most this many names, or None for all.
        Returns:
            list of node names.
        Raises:
            QueryError: a malformed query.
        """
        terms = _parse(text)
        if not terms:
            return []
        # A glob of stars alone matches every name.
        terms = [t for t in terms if not (t.kind == "glob" and not t.text.strip("*"))] or [_Term("text", "")]
        candidates, checks = self._generate(terms)
        names, lowered, ops = self.names, self.lowered, self.ops
        if not checks:
            return [names[i] for i in (candidates if limit is None else candidates[:limit])]
        result = []
        for i in candidates:
            if all(t.test(names[i], lowered[i], ops[i]) for t in checks):
                result.append(names[i])
                if limit is not None and len(result) >= limit:
                    break
        return result


def search(names, ops, text, limit=None):
    """Names (in graph order) matching the query; builds a SearchIndex for one query.

    Args:
        names: node names in graph order.
        ops: their op types.
        text: the query (see compile_query).
        limit: at most this many names, or None.
    Returns:
        list of node names.
    """
    return SearchIndex(names, ops).search(text, limit)
