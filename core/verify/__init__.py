"""Proving a frozen graph against its checkpoint in TensorFlow."""
