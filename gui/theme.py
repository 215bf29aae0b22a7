"""The window's theme: follow the system (the palette Qt started with), light or dark (Fusion palettes)."""

from PyQt5.QtGui import QColor, QPalette
from PyQt5.QtWidgets import QApplication, QStyleFactory

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


def apply_theme(name):
    """Applies theme ``name`` (SYSTEM, LIGHT or DARK) to the application; returns the name applied."""
    app = QApplication.instance()
    _remember_system(app)
    if name not in (LIGHT, DARK):
        if app.style().objectName() != _started_with["style"]:
            app.setStyle(QStyleFactory.create(_started_with["style"]))
        app.setPalette(_started_with["palette"])
        return SYSTEM
    fusion = QStyleFactory.create("Fusion")
    app.setStyle(fusion)
    app.setPalette(dark_palette() if name == DARK else fusion.standardPalette())
    return name
