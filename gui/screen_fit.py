"""Sizing the window to the screen it opens on, at any scale factor (QT_SCALE_FACTOR, HiDPI)."""

from PyQt5.QtCore import QRect
from PyQt5.QtGui import QGuiApplication

PREFERRED = (1280, 800)  # logical pixels, when the screen has room
SHARE = (0.92, 0.9)  # of the available geometry, otherwise


def available_geometry(widget):
    """The screen area (logical pixels, panels excluded) the widget is on, or the primary screen's."""
    handle = widget.windowHandle()
    screen = handle.screen() if handle is not None else None
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, *PREFERRED)


def fit_to_screen(window):
    """Resizes ``window`` to PREFERRED or a share of the available geometry, whichever is smaller, and centres
    it there; never larger than the screen, so its buttons stay reachable."""
    area = available_geometry(window)
    width = int(min(PREFERRED[0], area.width() * SHARE[0]))
    height = int(min(PREFERRED[1], area.height() * SHARE[1]))
    window.resize(width, height)
    window.move(area.x() + (area.width() - width) // 2, area.y() + (area.height() - height) // 2)
    return QRect(window.pos(), window.size())
