"""Reading, analysing and freezing TensorFlow 1.x models without TensorFlow; never imports Qt."""
