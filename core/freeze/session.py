"""The freeze being prepared: outputs, cuts, fixed values and options, with listeners (no Qt).

The window binds its widgets to one FreezeSession (ticks, checkboxes, the target combo and the
input cuts write into it and redraw from it), the command line builds one from its arguments, and
the graph view and the live floor read it, so none of them can disagree with the freeze it makes.
"""

import contextlib
import logging

from core.freeze.request import FreezeRequest

log = logging.getLogger(__name__)

OPTIONS = ("inference", "keep_devices", "target_tf", "saver", "init_missing")
FIELDS = ("outputs", "input_cuts", "values") + OPTIONS


class FreezeSession(object):
    """Everything a freeze needs but the destination, and who wants to hear when it changes.

    Attributes (read them; change them through the setters so listeners hear of it):
        outputs: output names in the order they were chosen.
        input_cuts: tensor names ("node:port") the freeze replaces by placeholders.
        values: dict placeholder name -> value (Python value or text) the freeze fixes.
        inference, keep_devices, target_tf, saver, init_missing: as in core.freeze.request.FreezeRequest.
    """

    def __init__(self, outputs=(), input_cuts=(), values=None, inference=False, keep_devices=False,
                 target_tf=None, saver=None, init_missing=False):
        self.outputs = []
        self.input_cuts = []
        self.values = {}
        self.inference = bool(inference)
        self.keep_devices = bool(keep_devices)
        self.target_tf = target_tf
        self.saver = saver
        self.init_missing = bool(init_missing)
        self._listeners = []
        self._held = None
        for name in outputs:
            self._add(self.outputs, name)
        for tensor in input_cuts:
            self._add(self.input_cuts, tensor)
        self.values.update(values or {})

    @staticmethod
    def _add(items, item):
        if item not in items:
            items.append(item)
            return True
        return False

    # -- listeners ------------------------------------------------------------------------
    def subscribe(self, callback):
        """Calls ``callback(changed)`` after every change (``changed``: frozenset of FIELDS names).

        Returns:
            A function that unsubscribes the callback.
        """
        self._listeners.append(callback)
        return lambda: callback in self._listeners and self._listeners.remove(callback)

    def _changed(self, *fields):
        if self._held is not None:
            self._held.update(fields)
            return
        changed = frozenset(fields)
        for callback in list(self._listeners):
            callback(changed)

    @contextlib.contextmanager
    def batch(self):
        """Groups several changes into one notification (sent when the outermost batch ends)."""
        outer = self._held is None
        if outer:
            self._held = set()
        try:
            yield self
        finally:
            if outer:
                held, self._held = self._held, None
                if held:
                    self._changed(*held)

    # -- outputs --------------------------------------------------------------------------
    def is_output(self, name):
        return name in self.outputs

    def set_output(self, name, chosen=True):
        """Adds (``chosen``) or removes one output; nothing happens when it already is so."""
        if chosen and self._add(self.outputs, name):
            self._changed("outputs")
        elif not chosen and name in self.outputs:
            self.outputs.remove(name)
            self._changed("outputs")

    def set_outputs(self, names):
        """Makes ``names`` the outputs, keeping the order of those already chosen."""
        names = list(names)
        kept = [n for n in self.outputs if n in names]
        new = kept + [n for n in names if n not in kept]
        unique = []
        for name in new:
            self._add(unique, name)
        if unique != self.outputs:
            self.outputs = unique
            self._changed("outputs")

    # -- input cuts and fixed values ------------------------------------------------------
    def set_cut(self, tensor, cut=True):
        """Adds or removes an input cut ("node:port")."""
        if cut and self._add(self.input_cuts, tensor):
            self._changed("input_cuts")
        elif not cut and tensor in self.input_cuts:
            self.input_cuts.remove(tensor)
            self._changed("input_cuts")

    def set_cuts(self, tensors):
        tensors = list(tensors)
        if tensors != self.input_cuts:
            self.input_cuts = []
            for tensor in tensors:
                self._add(self.input_cuts, tensor)
            self._changed("input_cuts")

    def set_value(self, name, value):
        """Fixes placeholder ``name`` to ``value``; None removes the fixed value."""
        if value is None:
            if name in self.values:
                del self.values[name]
                self._changed("values")
        elif self.values.get(name, object()) != value:
            self.values[name] = value
            self._changed("values")

    # -- options --------------------------------------------------------------------------
    def set_option(self, name, value):
        """Sets one of OPTIONS ("inference", "keep_devices", "target_tf", "saver", "init_missing")."""
        if name not in OPTIONS:
            raise AttributeError("a freeze has no option %r" % name)
        if name in ("inference", "keep_devices", "init_missing"):
            value = bool(value)
        if getattr(self, name) != value:
            setattr(self, name, value)
            self._changed(name)

    def clear(self):
        """Forgets the outputs, cuts, values and saver (a new model); keeps the other options."""
        with self.batch():
            self.set_outputs([])
            self.set_cuts([])
            for name in list(self.values):
                self.set_value(name, None)
            self.set_option("saver", None)

    # -- what it describes ----------------------------------------------------------------
    def request(self, destination=None):
        """The FreezeRequest of this session, writing to ``destination`` (None: beside the model)."""
        return FreezeRequest(self.outputs, destination=destination, values=self.values, inference=self.inference,
                             keep_devices=self.keep_devices, input_cuts=self.input_cuts, target_tf=self.target_tf,
                             saver=self.saver, init_missing=self.init_missing)

    def key(self, with_target=True):
        """A hashable value equal for two sessions that make the same freeze (``with_target`` False: the same
        nodes, whichever release they are checked against)."""
        return (tuple(self.outputs), tuple(self.input_cuts), tuple(sorted((k, repr(v)) for k, v in self.values.items())),
                self.inference, self.keep_devices, self.target_tf if with_target else None, self.saver,
                self.init_missing)

    def __repr__(self):
        return "FreezeSession(%s)" % ", ".join("%s=%r" % (k, getattr(self, k)) for k in FIELDS)
