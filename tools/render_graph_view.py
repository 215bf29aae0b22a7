"""Renders the graph view of a model's node to a PNG offscreen, to look at it without a display.

Usage: python tools/render_graph_view.py MODEL OUT.png [--node NAME] [--hops N] [--freeze [--fixed NAME] [--cut TENSOR]] [--dark]
"""

import argparse
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _dark(app):
    from PyQt5.QtGui import QColor, QPalette
    palette = QPalette()
    for role, colour in ((QPalette.Window, "#2b2b2b"), (QPalette.Base, "#1e1e1e"), (QPalette.Text, "#e8e8e8"),
                         (QPalette.WindowText, "#e8e8e8"), (QPalette.Button, "#3a3a3a"),
                         (QPalette.ButtonText, "#e8e8e8"), (QPalette.Highlight, "#3d8ee6")):
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("out")
    parser.add_argument("--node", help="the node to centre on (default: the best candidate output)")
    parser.add_argument("--hops", type=int, default=2)
    parser.add_argument("--freeze", action="store_true", help="draw what the freeze of the suggested outputs keeps")
    parser.add_argument("--fixed", action="append", default=[], help="a placeholder fixed (freeze mode)")
    parser.add_argument("--cut", action="append", default=[], help="a tensor cut into an input (freeze mode)")
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--size", default="1200x800")
    args = parser.parse_args()
    from PyQt5.QtCore import QEventLoop, QTimer
    from gui.app import create_application
    from gui.graph_view import GraphView
    from core import api
    app = create_application()
    if args.dark:
        _dark(app)
    model = api.load(args.model)
    analysis = model.analysis
    view = GraphView()
    width, height = (int(v) for v in args.size.split("x"))
    view.resize(width, height)
    view.show()
    view.set_analysis(analysis)
    view.hops.setValue(args.hops)
    loop = QEventLoop()
    view.layout_ready.connect(loop.quit)
    QTimer.singleShot(60000, loop.quit)
    if args.freeze:
        view.show_freeze([c.name for c in analysis.candidates[:3]], args.cut, args.fixed)
    else:
        view.show_node(args.node or analysis.candidates[0].name)
    loop.exec_()
    app.processEvents()
    view.grab().save(args.out)
    view.wait_for_workers()
    model.close()
    print("%s: %s" % (args.out, view.status.text()))


if __name__ == "__main__":
    main()
