"""Importing TensorFlow for a verification, quietly: its C++ and Python logging kept off stderr."""

import logging
import os
import sys
import warnings

from core.errors import ModelError


class VerifyUnavailable(ModelError):
    """TensorFlow is not importable here."""


def tensorflow_available():
    """True when TensorFlow can be imported (without importing it twice)."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"] is not None
    try:
        import importlib.util
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


def install_hint():
    if sys.version_info[:2] <= (3, 6):
        return "pip install tensorflow==1.4.0"
    return "pip install tensorflow-cpu"


def _quiet_environment():
    """Before the import: TensorFlow's C++ logging off (info, warnings and errors it recovers from; a fatal
    error still ends the process), and oneDNN's start-up notice with it. A user's own setting wins."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # oneDNN announces itself at INFO level whatever TF_CPP_MIN_LOG_LEVEL says; without it both graphs
    # run the same reference kernels, which suits a comparison.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def _quiet_python_logging(tf):
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    legacy = getattr(tf, "logging", None)
    if legacy is not None and hasattr(legacy, "set_verbosity"):
        legacy.set_verbosity(legacy.ERROR)
    try:
        from absl import logging as absl_logging
        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:
        pass


def load_tensorflow():
    """(tf, tf.compat.v1) — or (tf, tf) for TensorFlow 1.x — with its logging silenced.

    Raises:
        VerifyUnavailable: TensorFlow is not installed (the message says how to install it).
    """
    _quiet_environment()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import tensorflow as tf
    except ImportError as exc:
        raise VerifyUnavailable("verification needs TensorFlow, which is not installed here (%s); install it with "
                                "'%s' — everything else works without it" % (exc, install_hint()))
    _quiet_python_logging(tf)
    if hasattr(tf, "compat") and hasattr(tf.compat, "v1"):
        return tf, tf.compat.v1
    return tf, tf
