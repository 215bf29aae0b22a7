"""TensorFlow's protobuf messages, built at run time so that no TensorFlow is needed.

The schemas below are the fields of TensorFlow 1.x's ``.proto`` files that this
tool reads (graph, meta graph, checkpoint bundle, checkpoint state).  They are
registered in a private descriptor pool, so they never clash with the classes
TensorFlow registers when it is imported in the same process.  Fields that are
not listed survive parsing as unknown fields.
"""

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from core.formats.dtypes import DATA_TYPES, REF_OFFSET

_F = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    "double": _F.TYPE_DOUBLE, "float": _F.TYPE_FLOAT, "int64": _F.TYPE_INT64,
    "uint64": _F.TYPE_UINT64, "int32": _F.TYPE_INT32, "fixed32": _F.TYPE_FIXED32,
    "bool": _F.TYPE_BOOL, "string": _F.TYPE_STRING, "bytes": _F.TYPE_BYTES,
    "uint32": _F.TYPE_UINT32,
}


# message name -> list of (field name, number, type, label); type is a scalar
# name, ".tensorflow.Message", "enum:.tensorflow.Enum" or "map:KEY:VALUE".
# label: "" (optional), "repeated", "packed".  "oneof:NAME" as fifth element.
_MESSAGES = {
    "TensorShapeProto.Dim": [("size", 1, "int64"), ("name", 2, "string")],
    "TensorShapeProto": [("dim", 2, ".tensorflow.TensorShapeProto.Dim", "repeated"),
                         ("unknown_rank", 3, "bool")],
    "ResourceHandleProto": [("device", 1, "string"), ("container", 2, "string"),
                            ("name", 3, "string"), ("hash_code", 4, "uint64"),
                            ("maybe_type_name", 5, "string")],
    "TensorProto": [
        ("dtype", 1, "enum:.tensorflow.DataType"),
        ("tensor_shape", 2, ".tensorflow.TensorShapeProto"),
        ("version_number", 3, "int32"), ("tensor_content", 4, "bytes"),
        ("half_val", 13, "int32", "packed"), ("float_val", 5, "float", "packed"),
        ("double_val", 6, "double", "packed"), ("int_val", 7, "int32", "packed"),
        ("string_val", 8, "bytes", "repeated"), ("scomplex_val", 9, "float", "packed"),
        ("int64_val", 10, "int64", "packed"), ("bool_val", 11, "bool", "packed"),
        ("dcomplex_val", 12, "double", "packed"),
        ("resource_handle_val", 14, ".tensorflow.ResourceHandleProto", "repeated"),
        ("uint32_val", 16, "uint32", "packed"), ("uint64_val", 17, "uint64", "packed"),
    ],
    "AttrValue.ListValue": [
        ("s", 2, "bytes", "repeated"), ("i", 3, "int64", "packed"),
        ("f", 4, "float", "packed"), ("b", 5, "bool", "packed"),
        ("type", 6, "enum:.tensorflow.DataType", "packed"),
        ("shape", 7, ".tensorflow.TensorShapeProto", "repeated"),
        ("tensor", 8, ".tensorflow.TensorProto", "repeated"),
        ("func", 9, ".tensorflow.NameAttrList", "repeated"),
    ],
    "AttrValue": [
        ("s", 2, "bytes", "", "oneof:value"), ("i", 3, "int64", "", "oneof:value"),
        ("f", 4, "float", "", "oneof:value"), ("b", 5, "bool", "", "oneof:value"),
        ("type", 6, "enum:.tensorflow.DataType", "", "oneof:value"),
        ("shape", 7, ".tensorflow.TensorShapeProto", "", "oneof:value"),
        ("tensor", 8, ".tensorflow.TensorProto", "", "oneof:value"),
        ("list", 1, ".tensorflow.AttrValue.ListValue", "", "oneof:value"),
        ("func", 10, ".tensorflow.NameAttrList", "", "oneof:value"),
        ("placeholder", 9, "string", "", "oneof:value"),
    ],
    "NameAttrList": [("name", 1, "string"), ("attr", 2, "map:string:.tensorflow.AttrValue")],
    "NodeDef": [("name", 1, "string"), ("op", 2, "string"), ("input", 3, "string", "repeated"),
                ("device", 4, "string"), ("attr", 5, "map:string:.tensorflow.AttrValue"),
                ("experimental_debug_info", 6, ".tensorflow.NodeDef.ExperimentalDebugInfo")],
    "NodeDef.ExperimentalDebugInfo": [("original_node_names", 1, "string", "repeated"),
                                      ("original_func_names", 2, "string", "repeated")],
    "VersionDef": [("producer", 1, "int32"), ("min_consumer", 2, "int32"),
                   ("bad_consumers", 3, "int32", "packed")],
    # The op list is given in full (TF 2.x's FullTypeDef aside, whose enum names a text graph spells out):
    # TensorFlow's parser refuses a file whose damage is in a field a partial schema would skip as unknown
    # (an AttrDef's allowed_values).
    "OpDef.ArgDef": [("name", 1, "string"), ("description", 2, "string"),
                     ("type", 3, "enum:.tensorflow.DataType"), ("type_attr", 4, "string"),
                     ("number_attr", 5, "string"), ("type_list_attr", 6, "string"),
                     ("handle_data", 7, ".tensorflow.ResourceHandleProto.DtypeAndShape", "repeated"),
                     ("is_ref", 16, "bool")],
    "OpDef.AttrDef": [("name", 1, "string"), ("type", 2, "string"),
                      ("default_value", 3, ".tensorflow.AttrValue"), ("description", 4, "string"),
                      ("has_minimum", 5, "bool"), ("minimum", 6, "int64"),
                      ("allowed_values", 7, ".tensorflow.AttrValue")],
    "OpDef": [("name", 1, "string"), ("input_arg", 2, ".tensorflow.OpDef.ArgDef", "repeated"),
              ("output_arg", 3, ".tensorflow.OpDef.ArgDef", "repeated"),
              ("attr", 4, ".tensorflow.OpDef.AttrDef", "repeated"),
              ("summary", 5, "string"), ("description", 6, "string"),
              ("deprecation", 8, ".tensorflow.OpDeprecation"),
              ("is_aggregate", 16, "bool"), ("is_stateful", 17, "bool"), ("is_commutative", 18, "bool"),
              ("allows_uninitialized_input", 19, "bool"), ("control_output", 20, "string", "repeated"),
              ("is_distributed_communication", 21, "bool")],
    "OpDeprecation": [("version", 1, "int32"), ("explanation", 2, "string")],
    "ResourceHandleProto.DtypeAndShape": [("dtype", 1, "enum:.tensorflow.DataType"),
                                          ("shape", 2, ".tensorflow.TensorShapeProto")],

    "OpList": [("op", 1, ".tensorflow.OpDef", "repeated")],
    # The library in full too (tf.data and Defun write functions in TF 1.x graphs): damage inside a function
    # is refused by TensorFlow's parser, and so here.
    "FunctionDefLibrary": [("function", 1, ".tensorflow.FunctionDef", "repeated"),
                           ("gradient", 2, ".tensorflow.GradientDef", "repeated"),
                           ("registered_gradients", 3, ".tensorflow.RegisteredGradient", "repeated")],
    "FunctionDef": [("signature", 1, ".tensorflow.OpDef"), ("attr", 5, "map:string:.tensorflow.AttrValue"),
                    ("arg_attr", 7, "map:uint32:.tensorflow.FunctionDef.ArgAttrs"),
                    ("resource_arg_unique_id", 8, "map:uint32:uint32"),
                    ("node_def", 3, ".tensorflow.NodeDef", "repeated"), ("ret", 4, "map:string:string"),
                    ("control_ret", 6, "map:string:string")],
    "FunctionDef.ArgAttrs": [("attr", 1, "map:string:.tensorflow.AttrValue")],
    "GradientDef": [("function_name", 1, "string"), ("gradient_func", 2, "string")],
    "RegisteredGradient": [("gradient_func", 1, "string"), ("registered_op_type", 2, "string")],
    "GraphDef": [("node", 1, ".tensorflow.NodeDef", "repeated"),
                 ("versions", 4, ".tensorflow.VersionDef"), ("version", 3, "int32"),
                 ("library", 2, ".tensorflow.FunctionDefLibrary")],
    "Any": [("type_url", 1, "string"), ("value", 2, "bytes")],
    "MetaGraphDef.MetaInfoDef": [
        ("meta_graph_version", 1, "string"), ("stripped_op_list", 2, ".tensorflow.OpList"),
        ("any_info", 3, ".tensorflow.Any"), ("tags", 4, "string", "repeated"),
        ("tensorflow_version", 5, "string"), ("tensorflow_git_version", 6, "string"),
        ("stripped_default_attrs", 7, "bool"),
    ],
    "CollectionDef.NodeList": [("value", 1, "string", "repeated")],
    "CollectionDef.BytesList": [("value", 1, "bytes", "repeated")],
    "CollectionDef.Int64List": [("value", 1, "int64", "packed")],
    "CollectionDef.FloatList": [("value", 1, "float", "packed")],
    "CollectionDef.AnyList": [("value", 1, ".tensorflow.Any", "repeated")],
    "CollectionDef": [
        ("node_list", 1, ".tensorflow.CollectionDef.NodeList", "", "oneof:kind"),
        ("bytes_list", 2, ".tensorflow.CollectionDef.BytesList", "", "oneof:kind"),
        ("int64_list", 3, ".tensorflow.CollectionDef.Int64List", "", "oneof:kind"),
        ("float_list", 4, ".tensorflow.CollectionDef.FloatList", "", "oneof:kind"),
        ("any_list", 5, ".tensorflow.CollectionDef.AnyList", "", "oneof:kind"),
    ],
    "SaverDef": [("filename_tensor_name", 1, "string"), ("save_tensor_name", 2, "string"),
                 ("restore_op_name", 3, "string"), ("max_to_keep", 4, "int32"),
                 ("sharded", 5, "bool"), ("keep_checkpoint_every_n_hours", 6, "float"),
                 ("version", 7, "int32")],
    "TensorInfo": [("name", 1, "string"), ("dtype", 2, "enum:.tensorflow.DataType"),
                   ("tensor_shape", 3, ".tensorflow.TensorShapeProto")],
    "SignatureDef": [("inputs", 1, "map:string:.tensorflow.TensorInfo"),
                     ("outputs", 2, "map:string:.tensorflow.TensorInfo"),
                     ("method_name", 3, "string")],
    "MetaGraphDef": [
        ("meta_info_def", 1, ".tensorflow.MetaGraphDef.MetaInfoDef"),
        ("graph_def", 2, ".tensorflow.GraphDef"),
        ("saver_def", 3, ".tensorflow.SaverDef"),
        ("collection_def", 4, "map:string:.tensorflow.CollectionDef"),
        ("signature_def", 5, "map:string:.tensorflow.SignatureDef"),
        ("asset_file_def", 6, ".tensorflow.AssetFileDef", "repeated"),
    ],
    "AssetFileDef": [("tensor_info", 1, ".tensorflow.TensorInfo"), ("filename", 2, "string")],
    "SavedModel": [("saved_model_schema_version", 1, "int64"),
                   ("meta_graphs", 2, ".tensorflow.MetaGraphDef", "repeated")],
    "CheckpointState": [("model_checkpoint_path", 1, "string"),
                        ("all_model_checkpoint_paths", 2, "string", "repeated")],
    "TensorSliceProto.Extent": [("start", 1, "int64"),
                                ("length", 2, "int64", "", "oneof:has_length")],
    "TensorSliceProto": [("extent", 1, ".tensorflow.TensorSliceProto.Extent", "repeated")],
    "BundleHeaderProto": [("num_shards", 1, "int32"), ("endianness", 2, "int32"),
                          ("version", 3, ".tensorflow.VersionDef")],
    "BundleEntryProto": [("dtype", 1, "enum:.tensorflow.DataType"),
                         ("shape", 2, ".tensorflow.TensorShapeProto"),
                         ("shard_id", 3, "int32"), ("offset", 4, "int64"),
                         ("size", 5, "int64"), ("crc32c", 6, "fixed32"),
                         ("slices", 7, ".tensorflow.TensorSliceProto", "repeated")],
    # V1 checkpoints (TensorSliceWriter tables).
    "SavedSliceMeta": [("name", 1, "string"), ("shape", 2, ".tensorflow.TensorShapeProto"),
                       ("type", 3, "enum:.tensorflow.DataType"),
                       ("slice", 4, ".tensorflow.TensorSliceProto", "repeated")],
    "SavedTensorSliceMeta": [("tensor", 1, ".tensorflow.SavedSliceMeta", "repeated"),
                             ("versions", 2, ".tensorflow.VersionDef")],
    "SavedSlice": [("name", 1, "string"), ("slice", 2, ".tensorflow.TensorSliceProto"),
                   ("data", 3, ".tensorflow.TensorProto")],
    "SavedTensorSlices": [("meta", 1, ".tensorflow.SavedTensorSliceMeta"),
                          ("data", 2, ".tensorflow.SavedSlice")],
}


def _camel(name):
    return "".join(part.capitalize() for part in name.split("_")) + "Entry"


def _fill_field(field, name, number, kind, label):
    field.name = name
    field.number = number
    field.json_name = name
    field.label = _F.LABEL_REPEATED if label in ("repeated", "packed") else _F.LABEL_OPTIONAL
    if kind in _SCALARS:
        field.type = _SCALARS[kind]
    elif kind.startswith("enum:"):
        field.type = _F.TYPE_ENUM
        field.type_name = kind[len("enum:"):]
    else:
        field.type = _F.TYPE_MESSAGE
        field.type_name = kind


def _build_file():
    fdp = descriptor_pb2.FileDescriptorProto()
    fdp.name = "tf1freeze/tensorflow_subset.proto"
    fdp.package = "tensorflow"
    fdp.syntax = "proto3"
    enum = fdp.enum_type.add()
    enum.name = "DataType"
    for name, number in DATA_TYPES:
        enum.value.add(name=name, number=number)
    for name, number in DATA_TYPES[1:]:
        enum.value.add(name=name + "_REF", number=number + REF_OFFSET)
    by_path = {}
    for path in _MESSAGES:  # parents are listed after their nested types
        pass
    for path in sorted(_MESSAGES, key=lambda p: p.count(".")):
        parts = path.split(".")
        if len(parts) == 1:
            msg = fdp.message_type.add()
        else:
            msg = by_path[".".join(parts[:-1])].nested_type.add()
        msg.name = parts[-1]
        by_path[path] = msg
    for path, fields in _MESSAGES.items():
        msg = by_path[path]
        oneofs = []
        for spec in fields:
            name, number, kind = spec[:3]
            label = spec[3] if len(spec) > 3 else ""
            field = msg.field.add()
            if kind.startswith("map:"):
                _, key_kind, value_kind = kind.split(":", 2)
                entry = msg.nested_type.add()
                entry.name = _camel(name)
                entry.options.map_entry = True
                _fill_field(entry.field.add(), "key", 1, key_kind, "")
                _fill_field(entry.field.add(), "value", 2, value_kind, "")
                _fill_field(field, name, number, ".tensorflow.%s.%s" % (path, entry.name), "repeated")
            else:
                _fill_field(field, name, number, kind, label)
            if len(spec) > 4:
                oneof = spec[4].split(":", 1)[1]
                if oneof not in oneofs:
                    oneofs.append(oneof)
                    msg.oneof_decl.add(name=oneof)
                field.oneof_index = oneofs.index(oneof)
    return fdp


_POOL = descriptor_pool.DescriptorPool()
_POOL.AddSerializedFile(_build_file().SerializeToString())


def _message_class(full_name):
    descriptor = _POOL.FindMessageTypeByName(full_name)
    get_class = getattr(message_factory, "GetMessageClass", None)
    if get_class is not None:
        return get_class(descriptor)
    return message_factory.MessageFactory(_POOL).GetPrototype(descriptor)


GraphDef = _message_class("tensorflow.GraphDef")
NodeDef = _message_class("tensorflow.NodeDef")
AttrValue = _message_class("tensorflow.AttrValue")
TensorProto = _message_class("tensorflow.TensorProto")
TensorShapeProto = _message_class("tensorflow.TensorShapeProto")
MetaGraphDef = _message_class("tensorflow.MetaGraphDef")
CollectionDef = _message_class("tensorflow.CollectionDef")
CheckpointState = _message_class("tensorflow.CheckpointState")
TensorSliceProto = _message_class("tensorflow.TensorSliceProto")
BundleHeaderProto = _message_class("tensorflow.BundleHeaderProto")
BundleEntryProto = _message_class("tensorflow.BundleEntryProto")
SavedTensorSlices = _message_class("tensorflow.SavedTensorSlices")
SavedModel = _message_class("tensorflow.SavedModel")
AssetFileDef = _message_class("tensorflow.AssetFileDef")
OpDef = _message_class("tensorflow.OpDef")
