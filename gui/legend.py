"""The legend under the tree: what each star colour and mark means (entries never break inside)."""

from PyQt5.QtCore import QEvent
from PyQt5.QtWidgets import QLabel

from gui.colours import Colours, is_dark
from gui.icons import tail_colour

ENTRIES = [("Softmax", "Softmax"), ("Sigmoid", "Sigmoid"), ("BiasAdd", "BiasAdd"), ("Relu", "Relu"),
           ("other", "other")]


def _entry(html):
    return "<span style='white-space:nowrap'>%s</span>" % html


def legend_html(colours, dark=False):
    """The legend's rich text: a star per output tail, the input mark, the dimmed training-only text."""
    entries = [_entry("<b>★</b> output candidates by last op:")]
    entries += [_entry("<span style='color:%s'>★</span>%s" % (tail_colour(key, dark).name(), text))
                for key, text in ENTRIES]
    entries.append(_entry("· <span style='color:%s'>▶</span>input" % colours.input.name()))
    entries.append(_entry("· <span style='color:%s'>dimmed: training&#8209;only</span>" % colours.dim.name()))
    return " ".join(entries)


class Legend(QLabel):
    """One line of coloured stars and words (two on a narrow tree), colours from the palette and gui.icons."""

    def __init__(self, parent=None):
        super(Legend, self).__init__(parent)
        self.setObjectName("legend")
        self.setWordWrap(True)
        self.setToolTip("Stars mark the ranked candidate outputs; the top three rows are a stronger green. "
                        "Hover a node for the reasons.")
        self.refresh()

    def refresh(self):
        self.setText(legend_html(Colours(self.palette()), is_dark(self.palette())))

    def changeEvent(self, event):
        if event.type() == QEvent.PaletteChange:
            self.refresh()
        super(Legend, self).changeEvent(event)
