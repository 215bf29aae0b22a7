"""The version check TensorFlow's checkpoint readers make on a bundle header or a V1 table's tensor list."""

from core.errors import ModelError

# Every TensorFlow release reads tensor bundles and V1 tables of version 1 (kTensorBundleVersion,
# TF_CHECKPOINT_VERSION) and accepts producers from 0 on.
CHECKPOINT_VERSION = 1


def check_versions(versions, what, path):
    """CheckVersions, as TensorFlow's checkpoint readers run it on a bundle header or a V1 table's meta.

    Raises:
        ModelError: a min_consumer above the version TensorFlow reads, a negative producer, or this
            version listed among the bad consumers.
    """
    if versions.min_consumer > CHECKPOINT_VERSION:
        raise ModelError("the %s says min_consumer %d: no TensorFlow reads it (its checkpoint readers are "
                         "version %d)" % (what, versions.min_consumer, CHECKPOINT_VERSION), path)
    if versions.producer < 0:
        raise ModelError("the %s says producer %d: no TensorFlow reads it" % (what, versions.producer), path)
    if CHECKPOINT_VERSION in versions.bad_consumers:
        raise ModelError("the %s lists version %d, TensorFlow's, among its bad consumers"
                         % (what, CHECKPOINT_VERSION), path)
