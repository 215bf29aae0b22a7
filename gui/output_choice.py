"""Choosing what to freeze: suggested outputs, a typed or pasted list, the saver, missing variables."""

import re

from core import api
from core.api import ModelError


def use_suggested(window):
    """Ticks exactly the suggested outputs (api.suggested_outputs) and opens their scopes."""
    if window.loaded is None:
        return []
    chosen = api.suggested_outputs(window.loaded)
    if not chosen:
        return []
    window.session.set_outputs(chosen)
    for name in chosen:
        window.navigator.expand_to(name)
    window.statusBar().showMessage("Suggested outputs ticked: %s" % ", ".join(chosen), 5000)
    return chosen


def parse_list(text):
    """'a, b:0 c' -> ['a', 'b:0', 'c']: names separated by commas or white space, as --outputs takes them."""
    return [part for part in re.split(r"[,\s]+", text.strip()) if part]


def type_outputs(window, text):
    """Ticks exactly the outputs named in ``text``; an unknown name is refused in one line with the closest
    names, and nothing changes. Returns the node names ticked (None when refused)."""
    if window.loaded is None:
        return None
    names = parse_list(text)
    try:
        resolved = api.resolve_outputs(window.loaded, names) if names else []
    except ModelError as exc:
        window.notice.show_message("Cannot use these outputs: %s" % exc.message, "error")
        return None
    window.notice.clear()
    window.session.set_outputs(resolved)
    for name in resolved:
        window.navigator.expand_to(name)
    return resolved


def bind_saver(combo, signals):
    """The saver combo writes the session's saver ("" in the combo is the meta graph's own: None)."""
    session = signals.session
    combo.currentIndexChanged.connect(lambda _: session.set_option("saver", combo.currentData() or None))

    def redraw(changed):
        if "saver" in changed:
            index = combo.findData(session.saver or "")
            if index >= 0 and index != combo.currentIndex():
                combo.blockSignals(True)
                combo.setCurrentIndex(index)
                combo.blockSignals(False)
    signals.changed.connect(redraw)


def model_options(window, facts):
    """The options that depend on the model (api.ModelFacts): its savers, the variables its checkpoint lacks,
    the input-pipeline tensors worth cutting at."""
    window.pipeline_cuts = [s.name for s in facts.suggested_cuts]
    window.outputs.set_pipeline(facts.suggested_cuts)
    window.outputs.set_savers(facts.savers, window.session.saver)
    window.outputs.set_missing([])


def show_missing(window, result):
    """Offers "Initialise N missing variables" when the planned outputs need variables nothing restores."""
    missing = result.missing if result is not None else []
    if missing or not window.session.init_missing:
        window.outputs.set_missing(missing)


def use_pipeline_cuts(window):
    """Cuts at every suggested input-pipeline tensor (the row under the outputs), keeping the other cuts."""
    with window.session.batch():
        for tensor in window.pipeline_cuts:
            window.session.set_cut(tensor, True)
    window.statusBar().showMessage("Cut at %s" % ", ".join(window.pipeline_cuts), 5000)
