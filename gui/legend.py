"""The legend under the tree: what each star colour and mark means (wraps when the panel is narrow)."""

from PyQt5.QtWidgets import QLabel

from gui.colours import Colours
from gui.icons import TAIL_COLOURS

ENTRIES = [("Softmax", "Softmax"), ("Sigmoid", "Sigmoid"), ("BiasAdd", "BiasAdd (logits)"), ("Relu", "Relu"),
           ("other", "other")]


def legend_html(colours):
    stars = " &nbsp;".join("<span style='color:%s'>★</span>&nbsp;%s" % (TAIL_COLOURS[key], text)
                           for key, text in ENTRIES)
    return ("<b>★</b> candidate output, by its last op: %s &nbsp;·&nbsp; <span style='color:%s'>▶</span>&nbsp;input"
            " &nbsp;·&nbsp; <span style='color:%s'>training-only (dimmed)</span>"
            % (stars, colours.input.name(), colours.dim.name()))


class Legend(QLabel):
    """One wrapped line of coloured stars and words, colours from the palette and gui.icons."""

    def __init__(self, parent=None):
        super(Legend, self).__init__(parent)
        self.setObjectName("legend")
        self.setWordWrap(True)
        self.setText(legend_html(Colours(self.palette())))
        self.setToolTip("Stars mark the ranked candidate outputs; the top three rows are a stronger green. "
                        "Hover a node for the reasons.")
