"""The PyQt5 window over core: item models, panels and background workers."""
