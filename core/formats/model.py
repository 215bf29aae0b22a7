"""One opened model: where it is, its graph and its checkpoint reader."""

import logging
import os

from core.formats import graph_io
from core.formats.locate import CHECKPOINT, GRAPH, locate

log = logging.getLogger(__name__)


class Model(object):
    """A model opened from any path the user gave.

    Attributes:
        location: core.formats.locate.ModelLocation.
        graph: core.formats.graph_io.LoadedGraph.
        checkpoint: the checkpoint reader (core.formats.bundle.CheckpointReader API) or None.
    """

    def __init__(self, location, graph, checkpoint=None):
        self.location = location
        self.graph = graph
        self.checkpoint = checkpoint

    @property
    def path(self):
        return self.location.path

    @property
    def graph_def(self):
        return self.graph.graph_def

    @property
    def meta_graph(self):
        return self.graph.meta_graph

    @property
    def can_freeze(self):
        return self.checkpoint is not None or self.location.kind == GRAPH

    def default_output_path(self):
        """`frozen_model.pb` in the checkpoint's (or graph's) folder."""
        return os.path.join(self.location.folder, "frozen_model.pb")

    def input_files(self):
        """Every file the model was read from; a freeze never writes over any of them."""
        files = [self.location.meta_path, self.location.graph_path]
        if os.path.isfile(os.path.join(self.location.folder, "checkpoint")):
            files.append(os.path.join(self.location.folder, "checkpoint"))
        if self.checkpoint is not None:
            files.append(getattr(self.checkpoint, "index_path", None))
            files.extend(getattr(self.checkpoint, "data_paths", []) or [])
            files.append(self.checkpoint.prefix)
        return [f for f in files if f]

    def close(self):
        if self.checkpoint is not None:
            self.checkpoint.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_model(path, progress=None):
    """Opens a model from any of its files or its folder.

    Args:
        path: see core.formats.locate.locate.
        progress: optional callable(message) told about each step.
    Returns:
        Model.
    Raises:
        ModelError: naming the file and what is wrong.
    """
    location = locate(path)
    for note in location.notes:
        log.info("%s", note)
    if progress is not None:
        progress("reading %s" % os.path.basename(location.model_file))
    graph = graph_io.load_any(location.model_file)
    checkpoint = None
    if location.kind == CHECKPOINT:
        from core.formats.bundle import open_checkpoint
        if progress is not None:
            progress("reading checkpoint %s" % os.path.basename(location.prefix))
        checkpoint = open_checkpoint(location.prefix)
    return Model(location, graph, checkpoint)
