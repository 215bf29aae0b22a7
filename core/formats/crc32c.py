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


try:
    import crc32c as _fast

    def value(data, crc=0):
        """CRC-32C of ``data``, continuing from ``crc``."""
        return _fast.crc32c(data, crc)

    FAST = True
except ImportError:  # pragma: no cover - exercised by the fallback test
    value = _python_value
    FAST = False
    log.warning("the crc32c package is not installed: checksums are computed in pure Python (slow)")

python_value = _python_value


def mask(crc):
    """TensorFlow/LevelDB's masked CRC: rotate right by 15 bits and add a constant."""
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def unmask(masked):
    """Inverse of mask()."""
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF
