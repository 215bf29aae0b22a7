"""Several copies of one model in a graph (notebook re-runs, evaluation and target networks)."""

import re

from core.analysis.roles import SAVER
from core.formats.saver_map import VARIABLE_OPS

_WORK_LIMIT = 20000000
_SUFFIX = re.compile(r"_\d+$")


def ancestry_facts(model, indexes):
    """For each index: (number of nodes it depends on over data edges, frozenset of its variables).

    Returns {} when the walk would be too costly on a huge graph.
    """
    if len(indexes) * len(model) > _WORK_LIMIT:
        return {}
    result = {}
    for i in indexes:
        seen = set([i])
        stack = [i]
        variables = set()
        while stack:
            n = stack.pop()
            if model.ops[n] in VARIABLE_OPS:
                variables.add(n)
                continue
            for s, _ in model.data_in[n]:
                if s not in seen:
                    seen.add(s)
                    stack.append(s)
        result[i] = (len(seen), frozenset(variables))
    return result


def _variable_shapes(model, variables):
    shapes = []
    for v in variables:
        node = model.graph_def.node[v]
        dims = tuple(int(d.size) for d in node.attr["shape"].shape.dim) if "shape" in node.attr else ()
        shapes.append(dims)
    return tuple(sorted(shapes))


def saved_variables(model, roles):
    """Variables the saver restores (all of them when there is no saver)."""
    saved = set()
    any_saver = False
    for i, op in enumerate(model.ops):
        if op not in VARIABLE_OPS:
            continue
        for d in model.data_out[i]:
            if roles.role[d] == SAVER:
                any_saver = True
                saved.add(i)
                break
    return saved if any_saver else None


def copy_groups(model, roles, facts, trained=(), trained_variables=()):
    """Groups of candidates that are copies of one computation with their own weights.

    Candidates the same code made (same op, same local name but for a `_N` suffix, same variable
    shapes) are copies: with other variables (a
    re-run notebook cell, a target network) the saver's latest copy is preferred; sharing their
    variables, the first copy no loss consumes (``trained``: indexes a loss consumes). A copy whose variables
    an optimizer trains (``trained_variables``) is preferred to one nobody trains (a target network).
    Returns:
        list of (preferred index, sorted list of all indexes in the group).
    """
    groups = {}
    for i, (_, variables) in facts.items():
        if not variables:
            continue
        local = _SUFFIX.sub("", model.names[i].rsplit("/", 1)[-1])
        key = (model.ops[i], local, _variable_shapes(model, variables))
        groups.setdefault(key, []).append(i)
    saved = saved_variables(model, roles)
    result = []
    for key in sorted(groups, key=lambda k: min(groups[k])):
        members = groups[key]
        distinct = set(facts[i][1] for i in members)
        if len(members) < 2:
            continue
        if len(distinct) < 2:
            # Copies sharing their weights (training, test, validation towers on their own inputs):
            # the training copy is the one a loss consumes; prefer the first of the others.
            others = [i for i in members if i not in trained] or members
            result.append((min(others), sorted(members)))
            continue

        def preference(i):
            variables = facts[i][1]
            in_saver = saved is None or variables <= saved
            return (bool(variables & trained_variables) if trained_variables else False, in_saver,
                    max(variables), i)
        best = max(members, key=preference)
        result.append((best, sorted(members)))
    return result
