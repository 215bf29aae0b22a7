"""Evidence a graph file carries about its outputs: signatures, collections, loops, cond plumbing, value flow."""

import collections

from core.names import node_name

_STANDARD_COLLECTIONS = frozenset([
    "variables", "trainable_variables", "local_variables", "model_variables", "moving_average_variables",
    "global_step", "train_op", "losses", "regularization_losses", "summaries", "update_ops", "saveable_objects",
    "savers", "queue_runners", "table_initializer", "asset_filepaths", "init_op", "local_init_op", "ready_op",
    "ready_for_local_init_op", "summary_op", "cond_context", "while_context", "metric_variables",
    "concatenated_variables", "resources", "local_resources", "trainable_resource_variables", "iterators",
    "_SUMMARY_WRITER_V2", "eval_step",
])
SHAPE_QUERIES = frozenset(["Shape", "ShapeN", "Size", "Rank", "TensorArraySizeV3", "TensorArraySizeV2"])
PREDICTION_OPS = frozenset(["Softmax", "Sigmoid", "ArgMax", "TopKV2", "LogSoftmax", "CTCBeamSearchDecoder",
                            "CTCGreedyDecoder", "ArgMin"])
SOURCE_PORTS_OPS = frozenset(["IteratorGetNext", "QueueDequeueV2", "QueueDequeueManyV2", "QueueDequeueUpToV2",
                              "QueueDequeue", "QueueDequeueMany", "QueueDequeueUpTo", "ParseExample",
                              "ParseSingleExample"])


class Signature(collections.namedtuple("Signature", "name inputs outputs")):
    """A SavedModel signature: inputs/outputs as lists of (key, tensor name)."""


def signatures(meta_graph):
    """The MetaGraphDef's signature_def entries, sorted by name (empty without a meta graph)."""
    if meta_graph is None or not hasattr(meta_graph, "signature_def"):
        return []
    result = []
    for name in sorted(meta_graph.signature_def):
        sig = meta_graph.signature_def[name]
        result.append(Signature(name, sorted((k, v.name) for k, v in sig.inputs.items()),
                                sorted((k, v.name) for k, v in sig.outputs.items())))
    return result


def tensor_collections(meta_graph, position):
    """Node index -> sorted names of the non-standard collections holding one of its tensors
    (authors `tf.add_to_collection('pred', y)` their prediction op)."""
    found = collections.defaultdict(set)
    if meta_graph is None:
        return {}
    for key in sorted(meta_graph.collection_def):
        if key in _STANDARD_COLLECTIONS or key.startswith(("_", "cond_context", "while_context")):
            continue
        collection = meta_graph.collection_def[key]
        if collection.WhichOneof("kind") != "node_list":
            continue
        for value in collection.node_list.value:
            index = position.get(node_name(value))
            if index is not None:
                found[index].add(key)
    return dict((i, sorted(keys)) for i, keys in found.items())


def loop_members(model):
    """Indexes of the nodes inside while loops: reached from an Enter without leaving by an Exit."""
    inside = set()
    stack = [i for i, op in enumerate(model.ops) if op in ("Enter", "RefEnter")]
    while stack:
        i = stack.pop()
        if i in inside:
            continue
        inside.add(i)
        for d in model.data_out[i]:
            if model.ops[d] not in ("Exit", "RefExit") and d not in inside:
                stack.append(d)
    return inside


def cond_plumbing(model):
    """Indexes of a cond's bookkeeping: predicates only used as Switch predicates (pred_id) and the
    pivots (switch_t/switch_f: Identity of a Switch of the predicate on itself)."""
    result = set()
    for i, op in enumerate(model.ops):
        outs = model.data_out[i]
        if outs and all(model.ops[d] in ("Switch", "RefSwitch") and len(model.data_in[d]) > 1
                        and model.data_in[d][1][0] == i and model.data_in[d][0][0] != i for d in outs):
            result.add(i)
        elif op == "Identity" and model.data_in[i]:
            s = model.data_in[i][0][0]
            ins = model.data_in[s]
            if model.ops[s] in ("Switch", "RefSwitch") and len(ins) > 1 and ins[0][0] == ins[1][0]:
                result.add(i)
            elif not outs and any(model.ops[d] in ("Switch", "RefSwitch") and len(model.data_in[d]) > 1
                                  and model.data_in[d][1][0] == s for d in model.data_out[s]):
                result.add(i)  # a cond's pred_id nothing reads (tf.case)
        elif op in ("Switch", "RefSwitch") and len(model.data_in[i]) > 1 \
                and model.data_in[i][0][0] == model.data_in[i][1][0]:
            result.add(i)
    return result


def value_reach(model, sources, blocked):
    """Bit masks of which sources reach each node through values (not through shape queries)."""
    masks = model.reach_masks(sources, blocked, stop_ops=SHAPE_QUERIES)
    # Shape queries carry no values: drop them once their flag has been recorded for skipping.
    for i in list(masks):
        if model.ops[i] in SHAPE_QUERIES and i not in sources:
            del masks[i]
    return masks


def is_dropout_rate(model, i):
    """Whether placeholder ``i`` sets a dropout: it feeds (within three steps) a Floor or a comparison
    with random values. Returns "keep_prob" (inference value 1.0), "rate" (0.0) or None."""
    frontier = [(d, 1, False) for d in model.data_out[i]]
    seen = set()
    while frontier:
        d, depth, flipped = frontier.pop()
        if d in seen:
            continue
        seen.add(d)
        op = model.ops[d]
        if op == "Floor":
            return "rate" if flipped else "keep_prob"
        if op in ("GreaterEqual", "Greater") and any(_random(model, s) for s, _ in model.data_in[d]):
            return "keep_prob" if flipped else "rate"
        if depth < 4 and op in ("Add", "AddV2", "Sub", "Identity", "Cast", "RealDiv", "Mul", "Reshape", "Enter"):
            flip = flipped != (op == "Sub")
            frontier.extend((e, depth + 1, flip) for e in model.data_out[d])
    return None


def _random(model, i, depth=0):
    op = model.ops[i]
    if op.startswith("Random"):
        return True
    if depth < 3 and op in ("Add", "AddV2", "Mul", "Identity"):
        return any(_random(model, s, depth + 1) for s, _ in model.data_in[i])
    return False


def used_ports(model, i):
    """The output ports of node ``i`` consumed anywhere in the graph (sorted)."""
    ports = set()
    for d in set(model.data_out[i]):
        for s, p in model.data_in[d]:
            if s == i:
                ports.add(p)
    return sorted(ports)


# Ops that mix an input with the model's weights: values reaching one of them feed the model.
WEIGHTED_OPS = frozenset(["MatMul", "BatchMatMul", "BatchMatMulV2", "Conv2D", "Conv3D", "DepthwiseConv2dNative",
                          "Conv2DBackpropInput", "BiasAdd", "Conv1D", "SparseTensorDenseMatMul",
                          "SparseSegmentSum", "SparseSegmentMean", "SparseSegmentSqrtN", "ResourceGather",
                          "Gather", "GatherV2", "LookupTableFindV2", "LookupTableFind", "StringToHashBucketFast"])


def _port_reach(model, source, port, blocked):
    seen = set()
    stack = [d for d in set(model.data_out[source]) if any(s == source and p == port for s, p in model.data_in[d])]
    while stack:
        i = stack.pop()
        if i in seen or i in blocked:
            continue
        seen.add(i)
        if model.ops[i] in SHAPE_QUERIES:
            continue
        stack.extend(d for d in model.data_out[i] if d not in seen)
    return seen


def pipeline_label_reach(model, sources, blocked):
    """Nodes reached by the label ports of input-pipeline ops (an Estimator's IteratorGetNext or
    DequeueMany yields features and labels together): a port whose values never meet a weighted op
    is a label, unless every port would be."""
    labelled = set()
    for source in sources:
        if model.ops[source] not in SOURCE_PORTS_OPS:
            continue
        ports = used_ports(model, source)
        if len(ports) < 2:
            continue
        reach = dict((p, _port_reach(model, source, p, blocked)) for p in ports)
        labels = [p for p in ports if not any(model.ops[i] in WEIGHTED_OPS for i in reach[p])]
        if len(labels) == len(ports):
            continue
        for p in labels:
            labelled |= reach[p]
    return labelled
