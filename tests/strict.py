"""What a test needs from the machine: skipped when absent, a failure under TF1FREEZE_STRICT=1 (CI)."""

import os

import pytest

STRICT_VARIABLE = "TF1FREEZE_STRICT"


def strict():
    """True when a missing tool must fail the run (CI's .ci/run sets TF1FREEZE_STRICT=1)."""
    return os.environ.get(STRICT_VARIABLE, "") not in ("", "0")


def missing(what):
    """Stops the current test (or, called at a module's top level, the whole module) because ``what`` (a
    sentence naming the tool and how to get it) is absent."""
    if strict():
        pytest.fail("%s is missing, and %s=1 makes that a failure" % (what, STRICT_VARIABLE), pytrace=False)
    pytest.skip("%s is missing" % what, allow_module_level=True)
