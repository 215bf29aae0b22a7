"""CRC-32C (Castagnoli), as LevelDB tables and TensorFlow checkpoints store it, and its masking."""

import logging

log = logging.getLogger(__name__)

_POLY = 0x82F63B78
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)

_MASK_DELTA = 0xA282EAD8


def _python_value(data, crc=0):
    crc ^= 0xFFFFFFFF
    table = _TABLE
    for byte in bytearray(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _load_extension():
    """The `crc32c` package's C extension, loaded without the package's __init__ (which imports
    importlib.metadata and a CLI: a third of a small freeze's start-up); the plain import otherwise.

    The direct load relies on where the pinned releases (requirements.txt) keep the extension
    (``crc32c/_crc32c*.so``); when it is not there the package is imported, and the log says so.

    Returns:
        (module with ``crc32c(data, crc)``, "extension" or "package").
    Raises:
        ImportError: the package is not installed.
    """
    import glob
    import importlib.machinery
    import importlib.util
    import os
    try:
        spec = importlib.util.find_spec("crc32c")
        folder = list(spec.submodule_search_locations or [])[0] if spec is not None else None
        suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
        paths = [p for p in glob.glob(os.path.join(folder, "_crc32c*")) if p.endswith(suffixes)] if folder else []
        if paths:
            loader = importlib.machinery.ExtensionFileLoader("crc32c._crc32c", paths[0])
            module = importlib.util.module_from_spec(importlib.util.spec_from_loader("crc32c._crc32c", loader))
            loader.exec_module(module)
            return module, "extension"
        if folder:
            log.info("the crc32c package in %s has no _crc32c extension file: importing the whole package", folder)
    except (ImportError, OSError, IndexError, AttributeError) as exc:
        log.info("loading the crc32c extension directly failed (%s): importing the whole package", exc)
    import crc32c
    return crc32c, "package"


try:
    _fast, SOURCE = _load_extension()

    def value(data, crc=0):
        """CRC-32C of ``data``, continuing from ``crc``."""
        return _fast.crc32c(data, crc)

except ImportError:
    value = _python_value
    SOURCE = "python"
    log.warning("the crc32c package is not installed: checksums are computed in pure Python (slow)")

python_value = _python_value


def mask(crc):
    """TensorFlow/LevelDB's masked CRC: rotate right by 15 bits and add a constant."""
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def unmask(masked):
    """Inverse of mask()."""
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF
