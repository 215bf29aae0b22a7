"""Searching node names: terms, globs, /regex/ and op:Type filters."""

import fnmatch
import re


class QueryError(ValueError):
    """A query that cannot be understood (e.g. a bad regular expression)."""


def _glob(pattern):
    return re.compile(fnmatch.translate(pattern), re.IGNORECASE)


def compile_query(text):
    """Turns a query into a predicate over (name, op).

    Syntax: whitespace-separated terms that must all match, case-insensitive:
    a plain term is a substring of the name; a term with * or ? is a glob on the
    full name or its last component; /regex/ is searched in the name; op:Type
    (globs allowed) filters by op type.

    Raises:
        QueryError: a malformed regular expression or an empty op: filter.
    """
    name_tests = []
    op_tests = []
    for term in text.split():
        if term.lower().startswith("op:"):
            pattern = term[3:]
            if not pattern:
                raise QueryError("op: needs an op type, e.g. op:Relu")
            if "*" in pattern or "?" in pattern:
                compiled = _glob(pattern)
                op_tests.append(lambda op, c=compiled: c.match(op) is not None)
            else:
                lowered = pattern.lower()
                op_tests.append(lambda op, p=lowered: op.lower() == p)
        elif len(term) > 2 and term.startswith("/") and term.endswith("/"):
            try:
                compiled = re.compile(term[1:-1], re.IGNORECASE)
            except re.error as exc:
                raise QueryError("bad regular expression %s: %s" % (term, exc))
            name_tests.append(lambda name, c=compiled: c.search(name) is not None)
        elif "*" in term or "?" in term:
            compiled = _glob(term)
            name_tests.append(lambda name, c=compiled: c.match(name) is not None
                              or c.match(name.rsplit("/", 1)[-1]) is not None)
        else:
            lowered = term.lower()
            name_tests.append(lambda name, t=lowered: t in name.lower())

    def matches(name, op):
        return all(t(name) for t in name_tests) and all(t(op) for t in op_tests)

    return matches


def search(names, ops, text, limit=None):
    """Names (in graph order) matching the query; an empty query matches nothing."""
    if not text.strip():
        return []
    terms = text.split()
    plain = [t.lower() for t in terms if not t.lower().startswith("op:") and "*" not in t and "?" not in t
             and not (len(t) > 2 and t.startswith("/") and t.endswith("/"))]
    predicate = compile_query(text)
    result = []
    if plain and len(plain) == len(terms):
        for name in names:  # fast path: substrings only
            lowered = name.lower()
            if all(t in lowered for t in plain):
                result.append(name)
                if limit is not None and len(result) >= limit:
                    break
        return result
    for name, op in zip(names, ops):
        if predicate(name, op):
            result.append(name)
            if limit is not None and len(result) >= limit:
                break
    return result
