"""Benchmark: a 100k-node graph in the window — time from drop to interactive, event-loop gaps
while loading, and how long each search keystroke blocks the GUI thread.

Usage: QT_QPA_PLATFORM=offscreen python bench/bench_gui.py [--nodes 100000]
"""

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100000)
    args = parser.parse_args()
    from PyQt5.QtCore import QEventLoop, QMimeData, QPoint, QSettings, Qt, QTimer, QUrl
    from PyQt5.QtGui import QDropEvent
    from gui.app import create_application
    from gui.main_window import MainWindow
    from tests.synthetic_graphs import write_chain_graph
    app = create_application()
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "big.pb")
    write_chain_graph(path, args.nodes)
    window = MainWindow(QSettings(os.path.join(folder, "s.ini"), QSettings.IniFormat))
    window.show()
    gaps, last = [], [time.time()]

    def tick():
        now = time.time()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(5)
    loop = QEventLoop()
    window.model_loaded.connect(loop.quit)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(path)])
    started = time.time()
    window.dropEvent(QDropEvent(QPoint(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))
    loop.exec_()
    interactive = time.time() - started
    timer.stop()
    keystrokes = []
    for text in ["o", "op", "op_", "op_9", "op_99", "op_999", "op:Relu", "op:Relu block_5", "/op_1\\d{4}$/"]:
        window.search.setText(text)
        t = time.time()
        window.apply_search()  # what the debounce timer runs once typing pauses
        app.processEvents()
        keystrokes.append((text, time.time() - t, window.match_label.text()))
    print("nodes: %d" % args.nodes)
    print("drop -> interactive: %.2f s; longest event-loop gap while loading: %.0f ms (timer every 5 ms)"
          % (interactive, 1000 * max(gaps or [0])))
    for text, seconds, label in keystrokes:
        print("search %-20r blocks the GUI thread %6.1f ms  (%s)" % (text, 1000 * seconds, label))
    window.close()


if __name__ == "__main__":
    main()
