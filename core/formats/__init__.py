"""Reading TensorFlow's files: locating a model, tables, checkpoints, graphs, the saver's map."""
