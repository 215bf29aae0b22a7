"""Exporting the graph view's picture: SVG, PNG or Graphviz DOT (written under a temporary name)."""

import os

from PyQt5.QtCore import QRectF, QSize
from PyQt5.QtGui import QImage, QPainter

from core import api

MAX_PNG_SIDE = 12000
KINDS = {"svg": "SVG picture (*.svg)", "png": "PNG image (*.png)", "dot": "Graphviz DOT (*.dot *.gv)"}


def export_picture(path, picture, analysis, scene, background):
    """Writes ``picture`` (drawn in ``scene``) as SVG, PNG or DOT, chosen by the extension of ``path``.

    Raises:
        ValueError: an unknown extension; IOError/OSError: the file cannot be written.
    """
    kind = os.path.splitext(path)[1].lower().lstrip(".")
    temporary = "%s.part%s" % (path, os.path.splitext(path)[1])
    if kind in ("dot", "gv"):
        with open(temporary, "w") as handle:
            handle.write(api.picture_dot(picture, analysis))
    elif kind == "svg":
        _render_svg(temporary, scene, picture.title, background)
    elif kind == "png":
        _render_png(temporary, scene, background)
    else:
        raise ValueError("unknown export format: %s" % path)
    os.replace(temporary, path)


def _render_svg(path, scene, title, background):
    from PyQt5.QtSvg import QSvgGenerator
    rect = scene.sceneRect()
    generator = QSvgGenerator()
    generator.setFileName(path)
    generator.setSize(QSize(int(rect.width()), int(rect.height())))
    generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
    generator.setTitle(title)
    painter = QPainter(generator)
    painter.fillRect(QRectF(0, 0, rect.width(), rect.height()), background)
    scene.clearSelection()
    scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
    painter.end()


def _render_png(path, scene, background):
    rect = scene.sceneRect()
    scale = min(2.0, MAX_PNG_SIDE / max(rect.width(), rect.height(), 1.0))
    image = QImage(max(1, int(rect.width() * scale)), max(1, int(rect.height() * scale)), QImage.Format_ARGB32)
    image.fill(background)
    painter = QPainter(image)
    painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
    scene.render(painter, QRectF(0, 0, image.width(), image.height()), rect)
    painter.end()
    if not image.save(path, "PNG"):
        raise IOError("cannot write %s" % path)
