"""The source graph checked as TensorFlow's `import_meta_graph` checks it: every node, the ones a freeze drops too.

One damaged node anywhere (an initializer, the optimizer) makes TensorFlow refuse the whole file, so the
freeze refuses it too, naming the node; it applies only the rules TensorFlow's importer applies to a node it
imports but does not run (measured on TF 1.4.0 and 2.x: tests/core/test_source_graph_checks.py).
"""

import itertools
import re

from core.errors import ModelError, quote
from core.formats import dtypes
from core.freeze.import_checks import _Refusal, _arg_types, _fail, check_types
from core.names import node_name, port_of

# TensorFlow's _VALID_OP_NAME_REGEX of any release ('>' is allowed since 2.x): what a node the freeze drops
# must match for TensorFlow to import the file at all.
_ANY_RELEASE_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*\Z")


def check_source_graph(table, checked, registry, path=None):
    """Refuses a source graph that TensorFlow would not import, though the freeze does not keep the bad node.

    TensorFlow's `import_meta_graph` imports every node, so one damaged node anywhere (an initializer, the
    optimizer) makes the whole file fail. Every source node must pass the rules TensorFlow's importer applies
    to a node it does not run (a valid name, required attrs present, type attrs valid and allowed, the input
    count its OpDef gives, inputs whose ports exist and whose dtypes fit) for at least one shipped release
    that has its op; an op no release has is not checked (custom ops).

    Args:
        table: the source graph's core.formats.node_table.NodeTable.
        checked: what check_importable returned (None when it did not run): the nodes it checked as the
            source has them, against the target release, are not checked again.
        registry: the OpRegistry.
    Raises:
        ModelError: "the graph is damaged: node 'x' (Op) ...".
    """
    names, index = table.names, table.index
    if checked is None:
        positions = range(len(names))
    else:  # the nodes the freeze drops (filterfalse: a C loop over 10^6 names), and those it changes
        dropped = itertools.filterfalse(checked.plans.__contains__, names)
        positions = sorted(set(index[n] for n in itertools.chain(dropped, checked.unchecked) if n in index))
    source = _SourceGraph(table, registry)
    for position in positions:
        try:
            source.check(position)
        except _Refusal as exc:
            raise ModelError("the graph is damaged: %s: TensorFlow would not import this file" % exc, path)


class _SourceGraph(object):
    """The source graph's nodes checked as TensorFlow's importer checks a node it imports: its own rules
    (for some release that has its op), then its data inputs' ports and dtypes against their sources'."""

    def __init__(self, table, registry):
        self.names, self.index, self.nodes = table.names, table.index, table.graph_def.node
        self.registry = registry
        self.by_key = {}  # (op, data input count, attrs) -> (input dtypes, output dtypes) that passed
        self.by_position = {}

    def check(self, position):
        name, node = self.names[position], self.nodes[position]
        if not _ANY_RELEASE_NAME.match(name):
            _fail(name, node.op, "the name is not a valid TensorFlow node name")
        if "_class" in node.attr:  # TensorFlow's importer decodes every colocation entry (TF 1.4 and 2.x)
            for entry in node.attr["_class"].list.s:
                try:
                    entry.decode("utf-8")
                except UnicodeDecodeError:
                    _fail(name, node.op, "its colocation attr '_class' holds %r, which is not UTF-8" % entry)
        types = self.types(position)
        if not types:
            return
        inputs = [t for t in node.input if t[:1] != "^"]
        for at, text in enumerate(inputs):
            source, port = (text, 0) if ":" not in text else (node_name(text), port_of(text))
            found = self.index.get(source)
            if found is None:
                continue  # graph_io refuses a dangling input
            outputs = self.types(found)
            if not outputs:
                continue
            outputs = outputs[1]
            if port >= len(outputs):
                _fail(name, node.op, "input %d reads %s, but %s (%s) has %d output(s)"
                      % (at, quote(text), quote(source), self.nodes[found].op, len(outputs)))
            have, want = outputs[port], types[0][at]
            if have != want and (want > dtypes.REF_OFFSET or dtypes.base(have) != want):
                _fail(name, node.op, "input %d is %s from %s, but the op needs %s there"
                      % (at, dtypes.name(have), quote(text), dtypes.name(want)))

    def types(self, position):
        """(input dtypes, output dtypes) of the source node at ``position`` by the newest OpDef of its op whose
        rules it passes; False for an op no release has. Raises _Refusal when no OpDef's rules pass."""
        found = self.by_position.get(position)
        if found is not None:
            return found
        node = self.nodes[position]
        history = self.registry.history(node.op)
        if history is None:
            self.by_position[position] = False
            return False
        attrs = node.attr
        key = (node.op, len([t for t in node.input if t[:1] != "^"]))
        key += tuple(sorted((k, attrs[k].SerializeToString()) for k in attrs if k[:1] != "_"))
        found = self.by_key.get(key)
        if found is None:
            found = self.by_key[key] = _types_of_some_release(node, history, key[1])
        self.by_position[position] = found
        return found


def _types_of_some_release(node, history, data):
    first = None
    tried = set()
    for index in range(len(history.present) - 1, -1, -1):
        if not history.present[index]:
            continue
        spec = history.spec(index)
        signature = _spec_signature(spec)
        if signature in tried:
            continue
        tried.add(signature)
        try:
            effective = _imported_attrs(node, spec)
            inputs = _arg_types(spec.inputs, effective, node)
            if data != len(inputs):
                _fail(node.name, node.op, "it has %d data input(s), its OpDef expects %d" % (data, len(inputs)))
            return inputs, _arg_types(spec.outputs, effective, node)
        except _Refusal as exc:
            first = first or str(exc)
    raise _Refusal(first)


def _imported_attrs(node, spec):
    """{attr: AttrValue} as TensorFlow's importer reads a node it imports but does not run: required attrs
    present, type attrs holding a valid, allowed type. (An attr the OpDef lacks, a non-type attr of another kind, or
    a string outside its allowed values is imported by TF 1.4 in a node nothing runs: not refused here.)"""
    attrs = {}
    for key, spec_attr in spec.attrs.items():
        if key not in node.attr:
            if not spec_attr.has_default:
                _fail(node.name, node.op, "required attr %s is missing" % quote(key))
            attrs[key] = spec_attr.default
            continue
        value = node.attr[key]
        attrs[key] = value
        declared, kind = spec_attr.type, value.WhichOneof("value")
        if declared == "type" and kind != "type":  # TensorFlow cannot make the node's dtypes
            _fail(node.name, node.op, "attr %s holds %s, its OpDef declares type"
                  % (quote(key), "no value" if kind is None else "a " + kind))
        if declared == "type":
            items = [value.type]
        elif declared == "list(type)" and kind == "list":
            items = list(value.list.type)
        else:
            continue
        check_types(node, key, items, spec_attr)
    return attrs


def _spec_signature(spec):
    """What the structural rules read of an OpSpec (releases often share one OpDef)."""
    return id(spec) if spec is None else (tuple((k, a.type, a.has_default, a.allowed_types, a.allowed_strings)
                                                for k, a in spec.attrs.items()),
                                          tuple(spec.inputs))
