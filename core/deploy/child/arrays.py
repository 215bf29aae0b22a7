"""Named arrays through a job's files: an .npz of positional arrays plus their names in the job JSON."""

import numpy as np


def save_arrays(path, named):
    """Writes a list of (name, array) to ``path`` (.npz); returns the names in order."""
    names = [name for name, _ in named]
    np.savez(path, *[np.asarray(value) for _, value in named])
    return names


def load_arrays(path, names):
    """The list of (name, array) save_arrays wrote."""
    with np.load(path, allow_pickle=True) as data:
        return [(name, data["arr_%d" % i]) for i, name in enumerate(names)]
