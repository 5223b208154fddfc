"""``flexisim dashboard``: serve the workshop dashboard from an install (no ``app.py`` needed).

Runs ``solara run flexisim.dashboard_app`` (the module, not a file path: run as a file, Solara
would put the package's own folder on ``sys.path``) in production mode, on 127.0.0.1 unless
told otherwise, without Solara's version check or usage telemetry. The process is replaced by
Solara's (on POSIX), so Ctrl-C or a signal stops the server itself.

The dashboard's packages (Solara, its offline assets, Mesa's visualisation) are the
``dashboard`` extra, not core dependencies: :func:`require_dashboard` names what is missing
and says ``install flexisim[dashboard]``; ``flexisim dashboard``, ``app.py`` and
``flexisim.dashboard_app`` call it before importing any of them.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import subprocess
import sys
from typing import Any

__all__ = ["APP_MODULE", "DASHBOARD_DISTRIBUTIONS", "DashboardMissing", "add_parser",
           "cmd_dashboard", "missing_dashboard", "require_dashboard", "solara_command"]

#: the importable app module Solara serves
APP_MODULE = "flexisim.dashboard_app"

#: the distributions of the ``dashboard`` extra (pyproject.toml) the dashboard imports:
#: Solara and its offline front end, the Vue 2 widgets, Mesa's chart libraries (mesa[rec])
DASHBOARD_DISTRIBUTIONS = ("solara", "solara-assets", "ipyvue", "ipyvuetify", "altair")

#: the one line that says what to do
INSTALL_HINT = ('install flexisim[dashboard] (pip install "flexisim[dashboard]", or '
                'pip install -e ".[dashboard]" in a checkout)')


class DashboardMissing(ImportError):
    """The dashboard's packages are not installed (an ImportError, so ``import app`` fails)."""


def missing_dashboard() -> list[str]:
    """The distributions of the dashboard extra not installed in this Python."""
    missing = []
    for name in DASHBOARD_DISTRIBUTIONS:
        try:
            importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def require_dashboard() -> None:
    """Raise :class:`DashboardMissing` naming the missing packages, unless all are there."""
    missing = missing_dashboard()
    if missing:
        raise DashboardMissing(f"the flexisim dashboard needs {', '.join(missing)}, not "
                               f"installed in this Python ({sys.executable}): {INSTALL_HINT}")


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (1-65535)")
    return value


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "dashboard", help="serve the workshop dashboard in the browser (Solara)",
        description="Serve the workshop dashboard (README, 'Workshop dashboard') with Solara in "
        "production mode, offline: no version check, no telemetry. Open the address it prints; "
        "Ctrl-C stops it.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 "
                   "for a room's network)")
    p.add_argument("--port", type=_port, default=8765, help="port (default 8765)")
    p.add_argument("--open", action="store_true", help="open the page in a browser")


def solara_command(host: str, port: int, open_browser: bool = False) -> list[str]:
    """The command line that serves the dashboard."""
    return [sys.executable, "-m", "solara", "run", APP_MODULE, "--host", host,
            "--port", str(port), "--production", "--no-check-version",
            "--open" if open_browser else "--no-open"]


def port_in_use(host: str, port: int) -> str | None:
    """Why the dashboard cannot listen on ``host:port``, or None when it can.

    Checked before Solara starts: Solara prints that it is starting and only then fails with
    "address already in use" -- and a browser pointed at the port would show whatever else
    is serving there.
    """
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"--host {host}: unknown address ({exc.strerror or exc})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # as a server binds (uvicorn): a port left in TIME_WAIT by a stopped one is free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (f"port {port} is already in use on {host} (another dashboard, or "
                        "another program); choose a free one with --port")
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def cmd_dashboard(args: argparse.Namespace) -> int:
    from flexisim.errors import UsageError

    try:
        require_dashboard()
    except DashboardMissing as exc:
        raise UsageError([f"dashboard: {exc}"]) from None
    problem = port_in_use(args.host, args.port)
    if problem:
        raise UsageError([f"dashboard: {problem}"])
    command = solara_command(args.host, args.port, args.open)
    # the browser tab's title before the page has rendered (Solara's own otherwise)
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    env.setdefault("SOLARA_THEME_TITLE", "flexisim")
    print(f"flexisim dashboard: http://{args.host}:{args.port}/ (Ctrl-C stops it)",
          file=sys.stderr, flush=True)
    if os.name == "posix":
        sys.stdout.flush()
        os.execve(sys.executable, command, env)  # does not return
    try:
        return subprocess.run(command, env=env, check=False).returncode
    except KeyboardInterrupt:
        return 130
