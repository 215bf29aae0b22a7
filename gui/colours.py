"""Colours derived from the QPalette, so every highlight stays readable in light and dark themes."""

from PyQt5.QtGui import QColor, QPalette
from PyQt5.QtWidgets import QApplication

# Hues that carry a meaning; their strength is adapted to the palette's base colour.
GREEN = QColor("#1e8e3e")
RED = QColor("#d93025")
BLUE = QColor("#1a73e8")


def mix(first, second, share):
    """``share`` of ``first`` over ``second`` (0..1), as an opaque QColor."""
    keep = 1.0 - share
    return QColor(int(first.red() * share + second.red() * keep),
                  int(first.green() * share + second.green() * keep),
                  int(first.blue() * share + second.blue() * keep))


def is_dark(palette=None):
    palette = palette or QApplication.palette()
    return palette.color(QPalette.Base).lightness() < 128


def _tint(hue, palette, light_share, dark_share):
    base = palette.color(QPalette.Base)
    return mix(hue, base, dark_share if base.lightness() < 128 else light_share)


class Colours(object):
    """The window's role colours for one palette.

    Attributes: dark (a dark palette); QColors: match, candidate, top_candidate (backgrounds); input, dim, text (foregrounds);
    good, bad, info (notice and verdict backgrounds) with good_text, bad_text, info_text.
    """

    def __init__(self, palette=None):
        palette = palette or QApplication.palette()
        text = palette.color(QPalette.Text)
        base = palette.color(QPalette.Base)
        self.text = text
        self.dark = base.lightness() < 128
        self.match = mix(palette.color(QPalette.Highlight), base, 0.35)
        self.candidate = _tint(GREEN, palette, 0.10, 0.22)
        self.top_candidate = _tint(GREEN, palette, 0.22, 0.38)
        link = palette.color(QPalette.Link)
        self.input = link if abs(link.lightness() - base.lightness()) > 90 else mix(text, BLUE, 0.5)
        self.dim = mix(text, base, 0.55)
        self.good = _tint(GREEN, palette, 0.14, 0.35)
        self.bad = _tint(RED, palette, 0.14, 0.35)
        self.info = _tint(BLUE, palette, 0.12, 0.30)
        self.good_text = self.bad_text = self.info_text = text

    def css(self, kind):
        """A style sheet for a notice of ``kind`` ("error", "info", "good")."""
        background = {"error": self.bad, "good": self.good}.get(kind, self.info)
        return "background:%s;color:%s;padding:6px;border-radius:4px" % (background.name(), self.text.name())


def contrast(first, second):
    """WCAG contrast ratio of two colours (1..21)."""
    def luminance(colour):
        channels = []
        for value in (colour.redF(), colour.greenF(), colour.blueF()):
            channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)
