"""Before Qt starts: name the system libraries its xcb plugin lacks (fresh machines), instead of Qt's abort."""

import importlib.util
import os
import re
import subprocess
import sys

# Debian/Ubuntu packages of the libraries PyQt5's libqxcb.so links to (from `ldd libqxcb.so`).
PACKAGES = {
    "libxcb-icccm.so.4": "libxcb-icccm4", "libxcb-image.so.0": "libxcb-image0", "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0", "libxcb-sync.so.1": "libxcb-sync1", "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0", "libxcb-xkb.so.1": "libxcb-xkb1", "libxcb.so.1": "libxcb1",
    "libxcb-util.so.1": "libxcb-util1", "libxcb-cursor.so.0": "libxcb-cursor0", "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6", "libXext.so.6": "libxext6", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0", "libGL.so.1": "libgl1", "libEGL.so.1": "libegl1",
    "libGLX.so.0": "libglx0", "libGLdispatch.so.0": "libglvnd0", "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6", "libdbus-1.so.3": "libdbus-1-3", "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0", "libpng16.so.16": "libpng16-16", "libexpat.so.1": "libexpat1",
}
# The line the README gives, for a fresh Debian 12 / Ubuntu 22.04.
APT_PACKAGES = ("libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 "
                "libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 libgl1 libegl1 libfontconfig1 libdbus-1-3")


def package_of(soname):
    """The Debian package of a library's soname (the policy's naming rule when not listed)."""
    if soname in PACKAGES:
        return PACKAGES[soname]
    match = re.match(r"lib(.+)\.so\.(\d+)", soname)
    if not match:
        return soname
    name, version = match.group(1).lower(), match.group(2)
    return "lib%s%s%s" % (name, "-" if name[-1].isdigit() else "", version)


def missing_libraries(ldd_output):
    """Sonames that `ldd` reports as "not found", in order, once each."""
    found = []
    for line in ldd_output.splitlines():
        match = re.match(r"\s*(\S+)\s+=>\s+not found", line)
        if match and match.group(1) not in found:
            found.append(match.group(1))
    return found


def xcb_plugin():
    """The path of PyQt5's libqxcb.so, or None."""
    spec = importlib.util.find_spec("PyQt5")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = list(spec.submodule_search_locations)[0]
    for qt in ("Qt5", "Qt"):
        path = os.path.join(root, qt, "plugins", "platforms", "libqxcb.so")
        if os.path.isfile(path):
            return path
    return None


def xcb_problem(environ=None):
    """One line naming the missing libraries and the apt-get command, or None when Qt's xcb plugin can load.

    Checked only where it matters: Linux, a DISPLAY, and QT_QPA_PLATFORM unset or xcb.
    """
    environ = os.environ if environ is None else environ
    if not sys.platform.startswith("linux") or not environ.get("DISPLAY"):
        return None
    if environ.get("QT_QPA_PLATFORM", "xcb").split(":")[0] != "xcb":
        return None
    plugin = xcb_plugin()
    if plugin is None:
        return None
    try:
        output = subprocess.run(["ldd", plugin], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                universal_newlines=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    missing = missing_libraries(output)
    if not missing:
        return None
    packages = []
    for soname in missing:
        package = package_of(soname)
        if package not in packages:
            packages.append(package)
    return ("error: the window cannot start: Qt's xcb platform plugin needs %s, missing on this machine; install "
            "them with: sudo apt-get install -y %s" % (", ".join(missing), " ".join(packages)))
