"""The window's theme: follow the system (the palette Qt started with), light or dark (Fusion palettes)."""

from PyQt5.QtCore import QRectF
from PyQt5.QtGui import QColor, QPainter, QPalette, QPen
from PyQt5.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleFactory

SYSTEM, LIGHT, DARK = "system", "light", "dark"
THEMES = ((SYSTEM, "Follow the &system"), (LIGHT, "&Light"), (DARK, "&Dark"))
_DARK_COLOURS = {
    QPalette.Window: "#2b2b2b", QPalette.WindowText: "#e8eaed", QPalette.Base: "#1e1e1e",
    QPalette.AlternateBase: "#262626", QPalette.ToolTipBase: "#3c4043", QPalette.ToolTipText: "#e8eaed",
    QPalette.Text: "#e8eaed", QPalette.Button: "#353535", QPalette.ButtonText: "#e8eaed",
    QPalette.BrightText: "#ff6e6e", QPalette.Link: "#8ab4f8", QPalette.Highlight: "#2f65ca",
    QPalette.HighlightedText: "#ffffff", QPalette.Light: "#4a4a4a", QPalette.Midlight: "#3e3e3e",
    QPalette.Mid: "#5a5a5a", QPalette.Dark: "#161616", QPalette.Shadow: "#000000",
    QPalette.PlaceholderText: "#9aa0a6",
}
_DISABLED = {QPalette.WindowText: "#80868b", QPalette.Text: "#80868b", QPalette.ButtonText: "#80868b"}
_started_with = {}


class OutlinedIndicators(QProxyStyle):
    """Fusion with a visible outline around check boxes and radio buttons: on a dark palette Fusion draws
    them dark on dark (an unticked box was nearly invisible)."""

    _INDICATORS = (QStyle.PE_IndicatorCheckBox, QStyle.PE_IndicatorItemViewItemCheck, QStyle.PE_IndicatorRadioButton)

    def drawPrimitive(self, element, option, painter, widget=None):
        super(OutlinedIndicators, self).drawPrimitive(element, option, painter, widget)
        if element not in self._INDICATORS:
            return
        painter.save()
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QPen(option.palette.color(QPalette.Text).darker(150), 1.0))
        painter.setBrush(QColor(0, 0, 0, 0))
        rect = QRectF(option.rect).adjusted(1.5, 1.5, -1.5, -1.5)
        if element == QStyle.PE_IndicatorRadioButton:
            painter.drawEllipse(rect)
        else:
            painter.drawRoundedRect(rect, 2, 2)
        painter.restore()


def dark_palette():
    palette = QPalette()
    for role, colour in _DARK_COLOURS.items():
        palette.setColor(role, QColor(colour))
    for role, colour in _DISABLED.items():
        palette.setColor(QPalette.Disabled, role, QColor(colour))
    return palette


def _remember_system(app):
    if not _started_with:
        _started_with["style"] = app.style().objectName()
        _started_with["palette"] = QPalette(app.palette())


_applied = [SYSTEM]


def apply_theme(name):
    """Applies theme ``name`` (SYSTEM, LIGHT or DARK) to the application; returns the name applied. Nothing
    is redone when it is already the application's theme."""
    app = QApplication.instance()
    _remember_system(app)
    name = name if name in (LIGHT, DARK) else SYSTEM
    if name == _applied[0]:
        return name
    _applied[0] = name
    if name == SYSTEM:
        if app.style().objectName() != _started_with["style"]:
            app.setStyle(QStyleFactory.create(_started_with["style"]))
        app.setPalette(_started_with["palette"])
    else:
        fusion = OutlinedIndicators(QStyleFactory.create("Fusion")) if name == DARK else QStyleFactory.create("Fusion")
        app.setStyle(fusion)
        app.setPalette(dark_palette() if name == DARK else fusion.standardPalette())
    # Widgets polished under the application's style sheet keep their old palette until it is set again.
    sheet = app.styleSheet()
    if sheet:
        app.setStyleSheet("")
        app.setStyleSheet(sheet)
    return name
