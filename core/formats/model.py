"""One opened model: where it is, its graph and its checkpoint reader."""

import logging
import os

from core.formats import graph_io
from core.errors import ModelError
from core.formats.locate import CHECKPOINT, GRAPH, checkpoint_prefix, has_checkpoint, locate

log = logging.getLogger(__name__)


class Model(object):
    """A model opened from any path the user gave.

    Attributes:
        location: core.formats.locate.ModelLocation.
        graph: core.formats.graph_io.LoadedGraph.
        checkpoint: the checkpoint reader (core.formats.bundle.CheckpointReader API) or None.
        tags: the chosen SavedModel meta graph's tags (a tuple), or None.
    """

    def __init__(self, location, graph, checkpoint=None, tags=None):
        self.location = location
        self.graph = graph
        self.checkpoint = checkpoint
        self.tags = tags

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
    def signatures(self):
        """The meta graph's SignatureDefs: name -> core.formats.saved_model.Signature."""
        from core.formats.saved_model import signatures
        return signatures(self.meta_graph)

    def signature(self, name):
        """The signature ``name``; ModelError listing the others when there is none."""
        found = self.signatures
        if name not in found:
            raise ModelError("no signature '%s'; this model has: %s"
                             % (name, ", ".join(found) or "none"), self.location.model_file)
        return found[name]

    @property
    def assets(self):
        """Files the graph reads (SavedModel assets): core.formats.saved_model.Asset list."""
        from core.formats.saved_model import assets
        return assets(self.meta_graph, self.location.folder)

    @property
    def can_freeze(self):
        return self.checkpoint is not None or self.location.kind == GRAPH

    def default_output_path(self):
        """`frozen_model.pb` in the checkpoint's (or graph's) folder."""
        return os.path.join(self.location.folder, "frozen_model.pb")

    def input_files(self):
        """Every file the model was read from; a freeze never writes over any of them."""
        files = [self.location.meta_path, self.location.graph_path, self.location.saved_model_path]
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


def open_model(path, progress=None, checkpoint=None, tags=None):
    """Opens a model from any of its files or its folder.

    Args:
        path: see core.formats.locate.locate.
        progress: optional callable(message) told about each step.
        checkpoint: a checkpoint prefix (or any of its files) to pair with the graph at ``path``
            instead of the one found beside it.
        tags: SavedModel meta graph tags (comma list or sequence); default ``serve``.
    Returns:
        Model.
    Raises:
        ModelError: naming the file and what is wrong.
    """
    location = locate(path)
    if checkpoint is not None:
        pair_checkpoint(location, checkpoint)
    for note in location.notes:
        log.info("%s", note)
    if progress is not None:
        progress("reading %s" % os.path.basename(location.model_file))
    chosen = None
    if location.saved_model_path:
        from core.formats.saved_model import asset_notes, load_saved_model
        graph, chosen = load_saved_model(location.saved_model_path, tags)
        location.notes.extend(asset_notes(graph.meta_graph, location.folder))
    elif tags is not None:
        raise ModelError("--tag applies to SavedModels only; this is not one", location.model_file)
    else:
        graph = graph_io.load_any(location.model_file)
    reader = None
    if location.kind == CHECKPOINT:
        from core.formats.bundle import open_checkpoint
        if progress is not None:
            progress("reading checkpoint %s" % os.path.basename(location.prefix))
        reader = open_checkpoint(location.prefix)
    return Model(location, graph, reader, chosen)


def pair_checkpoint(location, checkpoint):
    """Uses the checkpoint at ``checkpoint`` (prefix, .index, .data-*, V1 file) with the located graph.

    Raises:
        ModelError: no checkpoint there.
    """
    prefix = checkpoint_prefix(checkpoint)
    if not has_checkpoint(prefix):
        raise ModelError("no checkpoint here (looked for %s.index or a V1 checkpoint file)"
                         % os.path.basename(prefix), checkpoint)
    if location.kind == GRAPH and not location.saved_model_path and location.graph_path \
            and location.path != location.folder and not location.meta_path:
        location.notes.append("pairing the GraphDef %s with checkpoint %s (restore ops found by the "
                              "saver's naming)" % (os.path.basename(location.graph_path), os.path.basename(prefix)))
    else:
        location.notes = [n for n in location.notes if not n.startswith("no checkpoint beside")]
        location.notes.append("using checkpoint %s" % os.path.basename(prefix))
    location.kind = CHECKPOINT
    location.prefix = prefix
