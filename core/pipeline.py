"""Opening a model for the fronts: path -> LoadedModel (opened, analysed on the way or when first asked).

Every long call takes ``progress`` (a callable ``(done, total, message)``; total 0 means
"busy, no fraction") and ``cancel`` (a callable returning True to stop) as keyword arguments.
"""

import gc
import logging

from core.errors import Cancelled

log = logging.getLogger(__name__)


class LoadedModel(object):
    """A model opened (and analysed, when asked for): the one model type of core.api.

    Attributes:
        model: core.formats.model.Model (location, graph, checkpoint reader).
        analysis: core.analysis.insight.GraphAnalysis (computed on first use when not given).
        variables: dict variable name -> core.analysis.variables.VariableInfo (likewise).
    """

    def __init__(self, model, analysis=None, variables=None):
        self.model = model
        self._analysis = analysis
        self._variables = variables

    @property
    def analysis(self):
        if self._analysis is None:
            from core.analysis.insight import analyze
            self._analysis = analyze(self.model.graph_def, self.model.meta_graph)
        return self._analysis

    @property
    def variables(self):
        if self._variables is None:
            from core.analysis.variables import list_variables
            found = list_variables(self.model.graph_def, self.model.meta_graph, self.model.checkpoint)
            self._variables = dict((v.name, v) for v in found)
        return self._variables

    @property
    def location(self):
        """core.formats.locate.ModelLocation of the opened model."""
        return self.model.location

    def variable_bytes(self):
        """dict variable name -> bytes in the checkpoint (variables the checkpoint holds)."""
        return dict((v.name, v.nbytes) for v in self.variables.values() if v.nbytes is not None)

    def close(self):
        self.model.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _stage(progress, cancel, done, message):
    if cancel is not None and cancel():
        raise Cancelled()
    if progress is not None:
        progress(done, 100, message)


class paused_gc(object):
    """Pauses the cyclic GC: a load (or a freeze) allocates millions of objects, and a full collection in
    the middle of it holds the GIL for a second or more in a big process (the window would freeze); the
    collections of a freeze of a 10^6-node chain took a second of its CPU time."""

    def __enter__(self):
        self._was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self._was:
            gc.enable()


def open_loaded(path, checkpoint=None, tags=None):
    """Opens the model at ``path`` without analysing it yet (a freeze needs no analysis): LoadedModel."""
    from core.formats.model import open_model
    with paused_gc():
        return LoadedModel(open_model(path, checkpoint=checkpoint, tags=tags))


def load(path, progress=None, cancel=None, checkpoint=None, tags=None):
    """Opens the model at ``path`` (any of its files or its folder) and analyses it.

    Returns:
        LoadedModel; close it (or use it as a context manager) when done.
    Raises:
        ModelError: naming the file and what is wrong.
        Cancelled: when ``cancel`` said so.
    """
    from core.analysis.insight import analyze
    from core.analysis.variables import list_variables
    from core.formats.model import open_model
    with paused_gc():
        _stage(progress, cancel, 0, "reading the model")
        model = open_model(path, checkpoint=checkpoint, tags=tags, progress=lambda message: _stage(
            progress, cancel, 20 if message.startswith("reading checkpoint") else 5, message))
        try:
            _stage(progress, cancel, 30, "indexing %d nodes" % len(model.graph_def.node))
            steps = {"finding roles": 45, "ranking outputs": 62}
            analysis = analyze(model.graph_def, model.meta_graph,
                               progress=lambda message: _stage(progress, cancel, steps.get(message, 50), message))
            _stage(progress, cancel, 75, "listing variables")
            variables = list_variables(model.graph_def, model.meta_graph, model.checkpoint)
            _stage(progress, cancel, 85, "building the scope tree")
            analysis.scope_tree  # built here, off the GUI thread
            _stage(progress, cancel, 100, "ready")
        except BaseException:
            model.close()
            raise
    return LoadedModel(model, analysis, dict((v.name, v) for v in variables))
