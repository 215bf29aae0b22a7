"""The nodes that may be outputs: computed from an input's values, label-free, outside loops and bookkeeping."""

from core.analysis.evidence import (PREDICTION_OPS, cond_plumbing, loop_members, pipeline_label_reach,
                                    signatures, tensor_collections, value_reach)
from core.analysis.roles import (INFERENCE, INPUT, LOSS, UPDATE, TRAINING, SAVER, SUMMARY, INITIALIZER,
                                 LAYER_OPS, PLACEHOLDERS, same_scope)
from core.analysis.naming import authors_name
from core.formats.saver_map import VARIABLE_OPS
from core.names import node_name

_BOOKKEEPING = frozenset([TRAINING, SAVER, SUMMARY, INITIALIZER])
DEAD_END = frozenset(["Shape", "ShapeN", "Rank", "Size", "Const", "NoOp", "Assert", "Fill", "ZerosLike",
                      "OnesLike", "Range", "Placeholder", "PlaceholderWithDefault", "PlaceholderV2", "Print",
                      "Switch", "Enter", "NextIteration", "LoopCond", "Exit", "StopGradient",
                      "QueueEnqueueV2", "QueueEnqueueManyV2", "QueueEnqueue", "QueueEnqueueMany",
                      "TensorArrayV3", "TensorArrayScatterV3", "TensorArraySizeV3", "TensorArrayWriteV3",
                      "Assign", "AssignAdd", "AssignSub", "AssignVariableOp", "AssignAddVariableOp",
                      "VarIsInitializedOp", "IsVariableInitialized", "PrintV2", "StringFormat"])
PASS = frozenset(["Identity", "Reshape", "Squeeze", "ExpandDims", "Cast", "ToInt32", "ToInt64", "ToFloat",
                  "Snapshot", "Transpose"])
CLIPS = frozenset(["Minimum", "Maximum", "ClipByValue"])
COMPARISONS = frozenset(["Equal", "NotEqual", "InTopK", "InTopKV2"])
# What finishes a prediction without changing what it says (slim's Predictions/Reshape_1, a one_hot of
# the argmax, the int cast an accuracy compares).
_FOLLOW_ON = frozenset(["Reshape", "Identity", "Squeeze", "OneHot", "Cast", "ToInt32", "ToInt64"])
_PICKS = frozenset(["ArgMax", "ArgMin", "TopKV2", "Cast", "ToInt32", "ToInt64", "OneHot"])
_READS = frozenset(["Identity", "ReadVariableOp", "Snapshot"])


def reads_variable(model, i):
    """Whether node ``i`` is a variable's own read (`w/read`, a ReadVariableOp of a handle)."""
    return model.ops[i] in _READS and bool(model.data_in[i]) and model.ops[model.data_in[i][0][0]] in VARIABLE_OPS


class Pool(object):
    """Facts about the candidate outputs of one graph.

    Attributes:
        members: set of indexes that may be outputs.
        consumed_by_loss: index -> "loss" or "metric": what outside the pool consumes it.
        collections: index -> collection names holding it.
        signature: index -> signature name (SavedModel signature_def outputs).
        value_masks: index -> bit mask of the inputs whose values reach it.
    """

    def __init__(self, model, roles, meta_graph=None):
        self.model = model
        self.roles = roles
        role = roles.role
        blocked = set(i for i, r in enumerate(role) if r in _BOOKKEEPING)
        sources = list(roles.inputs)
        self.value_masks = value_reach(model, sources, blocked) if sources else {}
        label_bits = 0
        for bit, p in enumerate(roles.placeholders):
            if p in roles.labels:
                label_bits |= 1 << bit
        self.label_bits = label_bits
        self.pipeline_labels = pipeline_label_reach(model, sources, blocked)
        self.loops = loop_members(model)
        plumbing = cond_plumbing(model)
        if sources:
            reached = self.value_masks
        else:  # a graph without inputs: what the inference part computes
            reached = dict((i, 1) for i in roles.inference)
        members = set()
        for i in reached:
            if role[i] in _BOOKKEEPING or role[i] == INPUT or model.ops[i] in DEAD_END:
                continue
            if self._label_side(i) or i in self.loops or i in plumbing:
                continue
            if role[i] in (LOSS, UPDATE) and not self._model_side_of_loss(i):
                continue
            if model.ops[i] in PLACEHOLDERS or reads_variable(model, i):
                continue
            members.add(i)
        self.weight_only = self._weight_only_ends(reached, plumbing)
        members |= self.weight_only
        self.members = members
        self.collections = dict((i, keys) for i, keys in tensor_collections(meta_graph, model.position).items())
        self.signature = {}
        self.signature_inputs = {}
        for sig in signatures(meta_graph):
            for _, tensor in sig.outputs:
                index = model.position.get(node_name(tensor))
                if index is not None and index not in self.signature:
                    self.signature[index] = sig.name
            for _, tensor in sig.inputs:
                self.signature_inputs.setdefault(tensor, sig.name)
        self.plumbing = self._loss_plumbing()
        self.members -= self.plumbing
        self.consumed_by_loss = self._loss_frontier()

    def _weight_only_ends(self, reached, plumbing):
        """Ends computed from the weights alone (no input) that are not a loss or a regularizer term:
        in an inference graph they are outputs too (ranked below what the inputs compute)."""
        model, role = self.model, self.roles.role
        regularizers = set()
        for i in self.roles.has_params:
            if model.ops[i] == "L2Loss" or "regulariz" in model.names[i].lower():
                regularizers.add(i)
        result = set()
        for i in sorted(self.roles.has_params | self.roles.inference):
            if i in reached or i in self.roles.mask or model.data_out[i] or role[i] not in (INFERENCE, "other", "constant"):
                continue
            if model.ops[i] in DEAD_END or reads_variable(model, i) or i in self.loops or i in plumbing:
                continue
            if i in regularizers or any(s in regularizers for s, _ in model.data_in[i]):
                continue
            result.add(i)
        return result

    def _loss_arithmetic(self, i):
        """Only the loss uses it and it is no layer: no weight read, no layer op, no prediction behind
        a cast (a GAN's sigmoid cross-entropy against ones_like, which no label placeholder marks)."""
        model = self.model
        if model.ops[i] in PASS:
            return False  # a reshape of the model's result for the loss is still that result
        if model.ops[i] in LAYER_OPS or any(reads_variable(model, s) for s, _ in model.data_in[i]):
            return False
        j = i
        for _ in range(3):
            if model.ops[j] not in PASS or not model.data_in[j]:
                break
            j = model.data_in[j][0][0]
        return model.ops[j] not in PREDICTION_OPS and model.ops[j] not in LAYER_OPS

    def _label_side(self, i):
        return bool(self.roles.mask.get(i, 0) & self.label_bits) or i in self.pipeline_labels

    def _model_side_of_loss(self, i):
        """A loss/metric node that is still a prediction: an argmax/softmax (or its cast) the metric
        compares, or a per-example value nothing consumes (a loss the authors fetch as a score)."""
        model = self.model
        j = i
        hops = 0
        while model.ops[j] in PASS and model.data_in[j] and hops < 3:
            j = model.data_in[j][0][0]
            hops += 1
        if model.ops[j] in PREDICTION_OPS:
            # ... unless the metric made it in its own name scope (keras' metrics/acc/ArgMax).
            consumers = [d for d in model.data_out[i] if self.roles.role[d] in (LOSS, UPDATE)]
            return not consumers or not all(same_scope(model.names[i], model.names[d]) for d in consumers)
        if model.data_out[i] or model.control_out[i]:
            return False
        node = model.graph_def.node[i]
        shapes = node.attr["_output_shapes"].list.shape if "_output_shapes" in node.attr else []
        return bool(shapes) and not shapes[0].unknown_rank and len(shapes[0].dim) > 0

    def _is_loss_side(self, d):
        role = self.roles.role[d]
        return d in self.plumbing or (d not in self.members and (role in (LOSS, UPDATE) or self._label_side(d)))

    def _loss_plumbing(self):
        """Pool nodes made inside the name scope of the loss or metric that consumes them (the
        logistic loss's `Select` of the logits, `xentropy/Reshape`): the loss's own computation."""
        model = self.model
        plumbing = set()
        stack = [i for i in self.members]
        while stack:
            i = stack.pop()
            if i in plumbing:
                continue
            scope = model.names[i].rpartition("/")[0]
            users = [d for d in set(model.data_out[i]) if d in plumbing or self.roles.role[d] in (LOSS, UPDATE)]
            if not users or any(d in self.members and d not in plumbing for d in model.data_out[i]):
                continue
            if self._loss_arithmetic(i) or scope and all(
                    scope == model.names[d].rpartition("/")[0]
                    or scope.startswith(model.names[d].rpartition("/")[0] + "/") for d in users):
                plumbing.add(i)
                stack.extend(s for s, _ in model.data_in[i] if s in self.members)
        return plumbing

    def _loss_frontier(self):
        """Pool nodes a loss or a metric consumes, and the nodes before them through casts and clips."""
        model = self.model
        frontier = {}
        for i in sorted(self.members):
            kinds = set()
            for d in model.data_out[i]:
                if self._is_loss_side(d):
                    kinds.add("metric" if model.ops[d] in COMPARISONS else "loss")
            if kinds:
                frontier[i] = "metric" if "metric" in kinds else "loss"
        # softmax -> clip_by_value -> log loss: the softmax is what the loss consumes.
        for i in list(frontier):
            j = i
            hops = 0
            while model.ops[j] in CLIPS and model.data_in[j] and hops < 3:
                j = model.data_in[j][0][0]
                hops += 1
                if j in self.members and j not in frontier:
                    frontier[j] = frontier[i]
        return frontier

    def ends(self):
        """Pool nodes that no other pool node consumes."""
        model = self.model
        return set(i for i in self.members if not any(d in self.members for d in model.data_out[i]))

    def prediction_siblings(self):
        """Softmax/Sigmoid/ArgMax... of the tensor the loss consumes (the predictions beside the logits),
        index -> the logits' index."""
        model = self.model
        result = {}
        roots = self._frontier_roots()
        for i in sorted(self.members):
            if model.ops[i] not in PREDICTION_OPS or not model.data_in[i]:
                continue
            j = self._loss_input_near(i, roots)
            if j is not None:
                result[self._through_reshapes(i)] = j
        return result

    def _frontier_roots(self):
        """Each node the loss consumes, and what it reshapes/casts (node -> the frontier node)."""
        model = self.model
        roots = {}
        for f in self.consumed_by_loss:
            j = f
            roots.setdefault(j, f)
            for _ in range(3):
                if model.ops[j] not in PASS or not model.data_in[j]:
                    break
                j = model.data_in[j][0][0]
                roots.setdefault(j, f)
        return roots

    def _loss_input_near(self, i, roots):
        """The loss input the prediction op ``i`` is computed from within three steps (softmax(logits),
        argmax(concat(zeros, logits))), or None."""
        model = self.model
        frontier = [(s, 1) for s, _ in model.data_in[i]]
        seen = set()
        while frontier:
            j, depth = frontier.pop(0)
            if j in seen:
                continue
            seen.add(j)
            if j in roots and roots[j] != i:
                return roots[j]
            if depth < 3 and j in self.members:
                frontier.extend((s, depth + 1) for s, _ in model.data_in[j])
        return None

    def _through_reshapes(self, i):
        """The last of a chain of reshapes an end finishes (slim's Predictions/Softmax -> Reshape_1)."""
        model = self.model
        for _ in range(3):
            if authors_name(model.names[i], model.ops[i]):
                break  # the authors named this one: what follows is someone else's (a metric's cast)
            users = [d for d in set(model.data_out[i]) if d in self.members]
            if len(users) != 1 or model.ops[users[0]] not in _FOLLOW_ON:
                break
            if self.roles.role[users[0]] in (LOSS, UPDATE) and \
                    not any(model.ops[d] in COMPARISONS for d in model.data_out[users[0]]):
                break
            i = users[0]
        return i

    def judged_outputs(self):
        """Outputs of one network that another network only judges (a GAN's generator feeding its
        discriminator, whose every result goes to a loss): index -> (its scope, the judge's scope)."""
        if getattr(self, "_judged", None) is None:
            self._judged = self._judge_outputs()
        return self._judged

    def _judge_outputs(self):
        model = self.model
        ends_by_scope = set(_top_scope(model.names[e]) for e in self.ends() if e not in self.consumed_by_loss)
        with_variables = set(_top_scope(model.names[v]) for v in range(len(model)) if model.ops[v] in VARIABLE_OPS)
        applied_twice = self._shared_weight_scopes()
        result = {}
        for i in sorted(self.members):
            own = _top_scope(model.names[i])
            if not own or own not in with_variables:
                continue
            users = [d for d in set(model.data_out[i]) if d in self.members]
            if not users or any(_top_scope(model.names[d]) == own for d in users):
                continue
            judges = set(_top_scope(model.names[d]) for d in users)
            if all(j and j in applied_twice and j not in ends_by_scope for j in judges) and own not in applied_twice:
                result[i] = (own, sorted(judges)[0])
        return result

    def _shared_weight_scopes(self):
        """Top scopes whose weights are applied more than once (a discriminator run on real and on
        generated data)."""
        model, role = self.model, self.roles.role
        scopes = set()
        for v, op in enumerate(model.ops):
            if op not in VARIABLE_OPS:
                continue
            users = set()
            for r in model.data_out[v]:
                targets = model.data_out[r] if reads_variable(model, r) else [r]
                users.update(d for d in targets if d in self.members or role[d] in (LOSS, UPDATE))
            if len(users) >= 2:
                scopes.add(_top_scope(model.names[v]))
        scopes.discard("")
        return scopes

    def candidate_set(self):
        """Indexes worth ranking: ends, what the loss/metrics consume, prediction siblings, collection
        members and signature outputs."""
        chosen = self.ends() | set(self.consumed_by_loss) | set(self.prediction_siblings())
        chosen |= set(i for i in self.collections if i in self.members or i in self.roles.inference)
        chosen |= set(self.signature)
        chosen |= set(self.judged_outputs())
        # A prediction op feeding only casts/argmaxes on their way to a chosen node (softmax -> argmax).
        model = self.model
        for i in sorted(self.members - chosen):
            if model.ops[i] in PREDICTION_OPS and any(d in chosen and model.ops[d] in _PICKS
                                                      for d in model.data_out[i]):
                chosen.add(i)
        return chosen


def _top_scope(name):
    return name.split("/", 1)[0] if "/" in name else ""
