"""The core's public API: the one module the CLI and the window import.

Heavy modules (numpy, protobuf messages, TensorFlow) load only when a call needs them,
so a front that only parses arguments starts fast.
"""

import os

# Role names of nodes (cheap to import: no numpy, no protobuf).
from core.analysis.roles import (CONSTANT, INFERENCE, INPUT, LOSS, SWITCH, TRAINING, TRAINING_INPUT,  # noqa: F401
                                 TRAINING_ONLY, VARIABLE)
from core.analysis.search import QueryError
from core.analysis.subgraph import CENTER, CUT, FIXED, OUTPUT  # noqa: F401  (graph view marks)
from core.errors import Cancelled, ModelError
from core.deploy.request import TARGETS as DEPLOY_TARGETS, DeployRequest
from core.freeze.request import FreezeRequest
from core.freeze.session import FreezeSession
from core.model_views import (constant_values, counts_text, has_node, has_values, node_details,  # noqa: F401
                              node_names, node_op, node_role, node_roles, node_shape, op_types, output_candidates,
                              output_heads, output_ports, resolve_outputs, scope_path, scope_tree, search,
                              suggested_outputs, tensor_values, training_only_names)
from core.pipeline import LoadedModel

__all__ = [
    "Cancelled", "ModelError", "FreezeRequest", "LoadedModel", "load", "open_model", "freeze", "plan", "fixed_values",
    "planned_size", "human_size", "locate", "supported_files", "dtype_name", "shape_text",
    "output_shapes", "verify", "tensorflow_available", "install_hint", "graph_ends", "QueryError", "install_signal_cleanup",
    "graph_picture", "picture_dot", "suggest_cuts", "signature_cuts",
    "runtime_floor", "plan_floor", "DEFAULT_TARGET_TF", "target_releases", "dropped_checkpoint",
    "saved_model_tag_sets", "savers", "missing_variables", "suggested_outputs", "output_heads",
    "DeployRequest", "DEPLOY_TARGETS", "deploy", "deploy_readiness", "parse_shape",
    "FreezeSession", "freeze_picture", "colour_family", "has_node", "node_op", "node_role",
    "node_names", "op_types", "output_ports", "node_shape", "resolve_outputs", "scope_path", "search",
    "counts_text", "constant_values", "has_values", "tensor_values", "ModelFacts", "model_facts",
    "VERSION", "training_only_names", "output_candidates", "node_details", "scope_tree", "node_roles",
]


def load(path, progress=None, cancel=None, checkpoint=None, tags=None):
    """Opens and analyses a model: core.pipeline.LoadedModel (see core.pipeline.load).

    checkpoint: a checkpoint prefix to pair with the graph; tags: SavedModel meta graph tags.
    """
    from core import pipeline
    return pipeline.load(path, progress=progress, cancel=cancel, checkpoint=checkpoint, tags=tags)


def open_model(path, checkpoint=None, tags=None):
    """Opens a model without analysing it yet (a freeze needs no analysis): a LoadedModel whose
    ``analysis`` and ``variables`` are computed when first used."""
    from core import pipeline
    return pipeline.open_loaded(path, checkpoint=checkpoint, tags=tags)


# The read-only views of a LoadedModel for the fronts (they never walk the analysis themselves) live in
# core/model_views.py and are imported above.
VERSION = "0.3"


class ModelFacts(object):
    """What the window shows about a model beside its tree, gathered off the GUI thread (model_facts).

    Attributes:
        suggested_cuts: SuggestedCut list (input-pipeline tensors); counts: the status bar's counts line;
        savers: the savers() list.
    """

    def __init__(self, suggested_cuts, counts, saver_list, training_only=frozenset()):
        self.suggested_cuts = suggested_cuts
        self.counts = counts
        self.savers = saver_list
        self.training_only = training_only


def model_facts(loaded, progress=None, cancel=None):
    """The ModelFacts of a loaded model (whole-graph walks: call it where blocking does not matter)."""
    return ModelFacts(suggest_cuts(loaded), counts_text(loaded), savers(loaded), training_only_names(loaded))


def suggest_cuts(loaded):
    """Input-pipeline tensors (iterators, dequeues, decoders) to cut at: SuggestedCut list (only the pipeline ops
    are visited, through the analysed graph's adjacency)."""
    from core.analysis.input_pipeline import suggest_cuts as _suggest
    return _suggest(loaded.model.graph_def, loaded.model.meta_graph, loaded.analysis.graph)


def signature_cuts(loaded, signature):
    """The inputs of a signature that are not placeholders: the cuts freezing it needs."""
    from core.freeze.input_cuts import signature_cuts as _cuts
    return _cuts(loaded.model.graph_def, signature)


def freeze(loaded, request, progress=None, cancel=None):
    """Runs a FreezeRequest on a LoadedModel: plans it and writes the `.pb`.

    Returns core.freeze.writer.FreezeReport (see core.freeze.stage.freeze_request).
    """
    from core.freeze.stage import freeze_request
    from core.pipeline import paused_gc
    with paused_gc():
        return freeze_request(loaded.model, request, progress=progress, cancel=cancel)


def savers(loaded):
    """The graph's savers in graph order (core.formats.saver_map.Saver: ``name``, ``variable_count``,
    ``restores_moving_averages``, ``is_default``); FreezeRequest.saver takes a ``name``."""
    from core.formats.saver_map import find_savers
    return find_savers(loaded.model.graph_def, loaded.model.meta_graph)


def missing_variables(loaded, request):
    """The variables the request's outputs need that nothing restores, for the window's "initialise
    missing variables" option: MissingVariable list (``name``, ``key``, ``initializer`` ("zeros", "ones",
    "constant", or None when only TensorFlow can compute it), ``reason``); empty when none is missing."""
    from core.freeze.stage import missing_variables as _missing
    return _missing(loaded.model, request)


def plan(loaded, request, cancel=None):
    """The FreezePlan of a request, nothing written (see core.freeze.stage.plan_request)."""
    from core.freeze.stage import plan_request
    from core.pipeline import paused_gc
    with paused_gc():
        return plan_request(loaded.model, request, cancel=cancel)


def fixed_values(loaded, request):
    """dict placeholder -> value that a request fixes (see core.freeze.stage.fixed_values)."""
    from core.freeze.stage import fixed_values as _values
    return _values(loaded.model, request)


DEFAULT_TARGET_TF = "1.4"


def runtime_floor(loaded):
    """core.analysis.runtime_floor.Floor of a model's whole graph (producer defaults from its meta graph)."""
    from core.analysis.runtime_floor import graph_floor
    return graph_floor(loaded.model.graph_def, loaded.model.meta_graph)


def plan_floor(freeze_plan):
    """The TensorFlow version floor of what a plan writes (see core.freeze.runtime_target.plan_floor)."""
    from core.freeze.runtime_target import plan_floor as _floor
    return _floor(freeze_plan)


def target_releases():
    """Labels of the TensorFlow releases a freeze can target, oldest first ("1.0" ... "1.15", "2")."""
    from core.formats.op_registry import load_registry
    return load_registry().labels()


def dropped_checkpoint(path):
    """The checkpoint prefix a path names (a prefix, `.index`, `.data-*` or V1 file), else None."""
    from core.formats.locate import GRAPH_EXTENSIONS, checkpoint_prefix, has_checkpoint
    if path.endswith((".meta",) + GRAPH_EXTENSIONS) or os.path.isdir(path):
        return None
    prefix = checkpoint_prefix(path)
    return prefix if has_checkpoint(prefix) else None


def saved_model_tag_sets(path):
    """The tag sets (sorted tuples) of the SavedModel ``path`` opens, or [] when it is no SavedModel."""
    from core.formats.saved_model import tag_sets
    try:
        location = locate(path)
    except ModelError:
        return []
    if not location.saved_model_path:
        return []
    return tag_sets(location.saved_model_path)


def planned_size(freeze_plan):
    """The exact size in bytes of the `.pb` a plan writes."""
    from core.freeze.writer import planned_size as _size
    return _size(freeze_plan)


def human_size(size):
    """'1.2 MB'-style text of a byte count."""
    from core.freeze.writer import human_size as _human
    return _human(size)


def locate(path):
    """What a path is (core.formats.locate.ModelLocation); ModelError when it is no model."""
    from core.formats.locate import locate as _locate
    return _locate(path)


def supported_files():
    """The file patterns the Open dialog offers."""
    from core.formats.locate import SUPPORTED
    return SUPPORTED


def dtype_name(dtype):
    """'float32' for DT_FLOAT (an enum number)."""
    from core.formats.dtypes import name
    return name(dtype)


def shape_text(shape):
    """'[?,28,28]' for a shape list (None or -1 unknown)."""
    from core.analysis.node_details import shape_text as _text
    return _text(shape)


def output_shapes(node):
    """The shapes a NodeDef's `_output_shapes` records (list per port, None unknown)."""
    from core.analysis.candidates import output_shapes as _shapes
    return _shapes(node)


def verify(loaded, frozen_path, outputs, **options):
    """Runs checkpoint and frozen graph side by side: core.verify.runner.VerifyReport."""
    from core.verify.runner import verify as _verify
    return _verify(loaded.model, frozen_path, outputs, **options)


def tensorflow_available():
    from core.verify.runner import tensorflow_available as _available
    return _available()


def install_hint():
    from core.verify.runner import install_hint as _hint
    return _hint()


def graph_ends(path):
    """Nodes of a GraphDef file that nothing consumes (its default outputs)."""
    from core.analysis.graph_model import GraphModel
    from core.formats.graph_io import load_graph_def
    graph = GraphModel(load_graph_def(path).graph_def)
    return [graph.names[i] for i in range(len(graph)) if not graph.data_out[i] and not graph.control_out[i]
            and graph.ops[i] not in ("NoOp", "Const", "Placeholder")]


def graph_picture(analysis, request, **options):
    """A node's neighbourhood or what a freeze keeps, laid out for drawing (see
    core.analysis.graph_picture.graph_picture); what a freeze keeps is freeze_picture's."""
    from core.analysis.graph_picture import graph_picture as _picture
    return _picture(analysis, request, **options)


def freeze_picture(loaded, freeze_plan, request, key=None, char_width=7.0, max_nodes=None, scopes=None,
                   progress=None, cancel=None):
    """What a freeze writes, laid out for drawing: the nodes of ``freeze_plan`` (api.plan of ``request``),
    the outputs, input cuts and fixed placeholders marked (a core.analysis.graph_picture.Picture whose
    ``total`` is the frozen graph's node count; past ``max_nodes`` the rest is "+k more"; ``key`` names
    the freeze in the picture's request, e.g. FreezeSession.key(with_target=False))."""
    from core.analysis.graph_picture import frozen_picture
    from core.freeze.input_cuts import plan_cuts
    from core.freeze.plan_graph import kept_graph
    from core.names import node_name
    kept = kept_graph(freeze_plan, max_nodes)
    model = loaded.model
    present = set(n.name for n in kept.graph_def.node)
    marks = dict((name, FIXED) for name in fixed_values(loaded, request) if name in present)
    if request.input_cuts:
        for cut in plan_cuts(model.graph_def, request.input_cuts, model.meta_graph, model.location.model_file):
            if cut.placeholder in present:
                marks[cut.placeholder] = CUT
    marks.update((node_name(o), OUTPUT) for o in freeze_plan.outputs if node_name(o) in present)
    return frozen_picture(loaded.analysis, kept, marks, key, char_width=char_width, scopes=scopes, progress=progress,
                          cancel=cancel)


def colour_family(role, is_candidate):
    """How the window colours a node: "candidate", "input", "variable", "training" or ""."""
    from core.analysis.graph_dot import family
    return family(role, is_candidate)


def picture_dot(picture, analysis):
    """The Graphviz DOT text of a graph picture's subgraph."""
    from core.analysis.graph_picture import picture_dot as _dot
    return _dot(picture, analysis)


def install_signal_cleanup():
    """Makes SIGTERM, SIGHUP and SIGQUIT remove unfinished temporary `.pb` files, for a front whose
    freezes run in worker threads (Python handles signals in the main thread only). Returns False
    off the main thread."""
    from core.freeze.writer import install_signal_cleanup as _install
    return _install()


def deploy(loaded, request, progress=None, cancel=None):
    """Runs a DeployRequest on a LoadedModel: core.deploy.report.DeployReport (see core.deploy.run.deploy)."""
    from core.deploy.run import deploy as _deploy
    return _deploy(loaded.model, request, progress=progress, cancel=cancel)


def deploy_readiness(loaded, request):
    """dict target -> "" when the deploy Python has its packages and its converter takes every op and dtype
    of the graph a DeployRequest deploys, else the one-line reason deploy would refuse it with ("install X";
    shipped op-support data). The packages are looked up once per deploy Python in a small child (found, not
    imported); nothing is converted. Checked on the frozen-for-inference graph after the clean-ups, so what
    they remove is not held against a target."""
    from core.deploy.run import readiness
    return readiness(loaded.model, request)


def parse_shape(text):
    """"x=1,224,224,3" -> ("x", [1, 224, 224, 3]) (ModelError when it is no NAME=DIMS)."""
    from core.deploy.shapes import parse_shape as _parse
    return _parse(text)
