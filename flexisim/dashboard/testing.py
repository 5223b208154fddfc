"""Drive the dashboard in a real browser: shared by tests/test_browser.py and
benchmarks/bench_dashboard.py (so the benchmark measures exactly what the tests check).

Needs the ``dev`` extra (Playwright) and Debian's Chromium at ``/usr/bin/chromium``
(``./test.sh`` installs it); Playwright's own browser download is never used.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
REPO = Path(__file__).resolve().parents[2]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: ``sitecustomize.py`` for a server under audit: Python imports it at start-up (it is put
#: first on ``PYTHONPATH``), in the server and in every process it spawns (the comparison's
#: pool), and it records each name look-up and each connection to a host that is not this
#: machine in the file ``$FLEXISIM_NET_AUDIT`` -- one line per event.
AUDIT_HOOK = """
import os, sys

_LOG = os.environ.get("FLEXISIM_NET_AUDIT")
_LOCAL = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::", ""}


def _text(host):
    return host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)


def _hook(event, args):
    if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
                 "socket.gethostbyaddr"):
        host = args[0]
    elif event in ("socket.connect", "socket.sendto"):
        address = args[1] if event == "socket.connect" else args[-1]
        if not isinstance(address, tuple):  # AF_UNIX: a path on this machine
            return
        host = address[0]
    else:
        return
    if host is None or _text(host) in _LOCAL:
        return
    with open(_LOG, "a") as log:
        log.write(f"{os.getpid()} {event} {_text(host)}\\n")


if _LOG:
    sys.addaudithook(_hook)
"""


@contextlib.contextmanager
def serve(port: int | None = None, timeout: float = 90.0, *, production: bool = True,
          solara_home: Path | None = None, audit: Path | None = None,
          env: dict[str, str] | None = None, tree: Path = REPO) -> Iterator[str]:
    """Run ``solara run app.py`` on localhost; yield its URL once it answers.

    Parameters
    ----------
    production : bool
        ``--production`` (the tests' default) or the README's development-mode command.
    solara_home : Path, optional
        A Solara home folder (``SOLARA_HOME``), e.g. an empty one: a machine's first start.
    audit : Path, optional
        Record every name look-up and outbound connection of the server (and of the
        processes it starts) in this file (:data:`AUDIT_HOOK`); the file exists, empty, when
        nothing left the machine.
    env : dict, optional
        The server's environment (default: this process's).
    tree : Path
        The checkout whose ``app.py`` is served, with the ``solara`` of its ``.venv`` (default:
        this one's, with this interpreter's); the benchmark serves another commit's this way.

    ``--no-check-version`` and the telemetry switch keep the *server* from calling out too
    (Solara otherwise asks pypi.org for its latest version and reports usage).
    """
    port = port or free_port()
    env = {**(os.environ if env is None else env), "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    if solara_home is not None:
        env["SOLARA_HOME"] = str(solara_home)
    if audit is not None:
        hook_dir = audit.parent / f"{audit.stem}-site"
        hook_dir.mkdir(parents=True, exist_ok=True)
        (hook_dir / "sitecustomize.py").write_text(AUDIT_HOOK)
        audit.write_text("")
        env["FLEXISIM_NET_AUDIT"] = str(audit)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(hook_dir), env.get("PYTHONPATH"))
                                            if p)
    solara = (Path(sys.executable).with_name("solara") if tree == REPO
              else tree / ".venv" / "bin" / "solara")
    log = open(REPO / ".pytest_cache" / f"solara-{port}.log", "w") if (
        REPO / ".pytest_cache").is_dir() else subprocess.DEVNULL
    mode = ["--production"] if production else []
    proc = subprocess.Popen([str(solara), "run", "app.py", "--port", str(port), "--host",
                             "127.0.0.1", *mode, "--no-check-version"],
                            cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while True:  # wait for the condition "the server answers", not for a guessed time
            if proc.poll() is not None:
                raise RuntimeError(f"solara run exited with status {proc.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"solara run did not answer on {url} within {timeout} s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log is not subprocess.DEVNULL:
            log.close()


def server_pid(url: str) -> int:
    """The process id of the ``solara run app.py`` serving ``url`` on this machine (Linux)."""
    from urllib.parse import urlparse

    port = str(urlparse(url).port)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"app.py" in args and b"--port" in args and port.encode() in args:
            return int(entry.name)
    raise LookupError(f"no solara server on port {port}")


def rss(pid: int) -> int:
    """A process's resident memory in bytes (``VmRSS`` of /proc/<pid>/status)."""
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                      headless=True)


#: JavaScript: the ECharts instances on the page, in page order (flexisim's chart widget keeps
#: each on its box as ``__flexisimChart``; solara's own keeps it on its Vue component).
_CHARTS_JS = "Array.from(document.querySelectorAll('.solara-echarts'))" \
             ".map(el => el.__flexisimChart || (el.__vue__ && el.__vue__.chart))" \
             ".filter(c => c)"

#: JavaScript: how many of the charts have drawn something (non-white pixels on their canvas).
#: The canvas holds the axes and the data (titles and legends are HTML, see echarts.py): an
#: empty chart at week 0 has a few hundred inked samples, a failed one none.
DRAWN_CHARTS_JS = """() => Array.from(document.querySelectorAll('.solara-echarts canvas'))
  .filter(c => {
    if (!c.width || !c.height) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 16) {
      if (d[i + 3] > 0 && (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200)) ink++;
    }
    return ink > 100;
  }).length"""

#: JavaScript: weeks shown by each chart (length of its x axis).
CHART_WEEKS_JS = f"""() => {_CHARTS_JS}.map(c => {{
  const x = c.getOption().xAxis; return x && x[0] && x[0].data ? x[0].data.length : 0; }})"""

#: JavaScript: click a button and wait until every live chart shows ``week`` weeks; return ms.
STEP_JS = f"""async ([label, week]) => {{
  const button = Array.from(document.querySelectorAll('button'))
    .find(b => b.innerText.trim().toLowerCase() === label.toLowerCase());
  const t0 = performance.now();
  button.click();
  const done = () => {{
    const charts = {_CHARTS_JS};
    return charts.length > 0 && charts.every(c => {{
      const x = c.getOption().xAxis; return x[0].data.length === week; }});
  }};
  while (!done()) await new Promise(r => requestAnimationFrame(r));
  // one more frame: the charts have painted what they were given
  await new Promise(r => requestAnimationFrame(r));
  return performance.now() - t0;
}}"""


def series_data(page: Any, chart: int, series: int) -> list[Any]:
    """The data of one series of one chart, as the browser has it."""
    return page.evaluate(f"() => {_CHARTS_JS}[{chart}].getOption().series[{series}].data")


def non_local_requests(urls: list[str]) -> list[str]:
    from urllib.parse import urlparse

    return [u for u in urls if urlparse(u).scheme not in ("data", "blob", "about")
            and urlparse(u).hostname not in LOCAL_HOSTS]
