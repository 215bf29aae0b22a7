"""The window's actions, menus and toolbar."""

from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QAction, QActionGroup

from gui.theme import THEMES


def _action(window, text, slot, shortcut=None, checkable=False, tip=None):
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setCheckable(checkable)
    if tip:
        action.setStatusTip(tip)
    action.triggered.connect(slot)
    return action


def build(window):
    """Creates the window's actions (as attributes of ``window``), menus and toolbar."""
    window.open_action = _action(window, "&Open…", window.opener.open_dialog, QKeySequence.Open,
                             tip="Open a checkpoint file, a frozen graph, or a folder")
    window.open_folder_action = _action(window, "Open &Folder…", window.opener.open_folder_dialog, "Ctrl+Shift+O",
                             tip="Open the folder a checkpoint is in")
    window.freeze_action = _action(window, "&Freeze…", window.freeze, QKeySequence.Save,
                             tip="Freeze the ticked outputs into a .pb")
    from gui import deploy_panel
    window.deploy_action = _action(window, "&Deploy…", lambda: deploy_panel.open_for(window), "Ctrl+D",
                                   tip="Convert the ticked outputs for TFLite, ONNX, OpenVINO, OpenCV and prove each")
    window.quit_action = _action(window, "&Quit", window.quit, QKeySequence.Quit)
    window.find_action = _action(window, "&Find", window.focus_search, QKeySequence.Find)
    window.copy_outputs_action = _action(window, "Copy &outputs", window.copy_outputs, "Ctrl+Shift+C",
                             tip="Copy the ticked outputs as a comma-separated list")
    window.suggest_action = _action(window, "Use &suggested outputs", window.use_suggested_outputs, "Ctrl+Shift+S")
    window.paste_outputs_action = _action(window, "&Type or paste outputs…", window.type_outputs, "Ctrl+Shift+V",
                                          tip="Give the outputs as --outputs takes them: a comma-separated list")
    window.signature_action = _action(window, "Use si&gnature outputs", lambda: window.use_signature_outputs(),
                                      tip="Tick the selected SavedModel signature's outputs and cut at its inputs")
    window.training_action = _action(window, "Show &training ops", window.refilter, checkable=True)
    window.training_action.setChecked(True)
    window.log_action = window.log_dock.toggleViewAction()
    window.log_action.setText("&Log panel")
    window.log_action.setShortcut(QKeySequence("Ctrl+L"))
    window.back_action = _action(window, "&Back", window.back, "Alt+Left")
    window.forward_action = _action(window, "&Forward", window.forward, "Alt+Right")
    window.about_action = _action(window, "&About", window._about)
    menu = window.menuBar()
    file_menu = menu.addMenu("&File")
    file_menu.addAction(window.open_action)
    file_menu.addAction(window.open_folder_action)
    window.recent_menu = file_menu.addMenu("Open &Recent")
    file_menu.addAction(window.freeze_action)
    file_menu.addAction(window.deploy_action)
    file_menu.addSeparator()
    file_menu.addAction(window.quit_action)
    edit_menu = menu.addMenu("&Edit")
    for action in (window.find_action, window.copy_outputs_action, window.paste_outputs_action,
                   window.suggest_action, window.signature_action):
        edit_menu.addAction(action)
    window.view_menu = menu.addMenu("&View")
    window.view_menu.addAction(window.training_action)
    window.view_menu.addAction(window.log_action)
    _theme_menu(window, window.view_menu.addMenu("&Theme"))
    go_menu = menu.addMenu("&Go")
    go_menu.addAction(window.back_action)
    go_menu.addAction(window.forward_action)
    menu.addMenu("&Help").addAction(window.about_action)
    toolbar = window.addToolBar("Main")
    toolbar.setMovable(False)
    toolbar.setObjectName("main")
    for action in (window.open_action, window.freeze_action, window.back_action, window.forward_action):
        toolbar.addAction(action)


def _theme_menu(window, menu):
    """View › Theme: follow the system, light, dark (one checked; remembered)."""
    group = QActionGroup(window)
    window.theme_actions = {}
    for name, text in THEMES:
        action = QAction(text, window)
        action.setCheckable(True)
        action.triggered.connect(lambda _=False, n=name: window.set_theme(n))
        group.addAction(action)
        menu.addAction(action)
        window.theme_actions[name] = action
