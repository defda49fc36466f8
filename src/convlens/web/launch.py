"""Starting the web lens: pick a port, bind loopback, print one URL, run until Ctrl-C (or in a thread for notebooks)."""

from __future__ import annotations

import socket
import threading
import warnings
from pathlib import Path
from typing import Any

DEFAULT_PORT = 8765
LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK, preferred: int = DEFAULT_PORT) -> int:
    """``preferred`` when it can be bound on ``host``, else a free port the system picks."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise OSError(f"no free port on {host}.")


def allowed_hosts(host: str, port: int) -> tuple[str, ...]:
    """The ``Host`` header values the server answers: its own address (with and without the port)."""
    names = {host, f"{host}:{port}"}
    if host in (LOOPBACK, "localhost"):
        names |= {LOOPBACK, f"{LOOPBACK}:{port}", "localhost", f"localhost:{port}"}
    if host in ("0.0.0.0", "::"):
        names = {"*"}  # exposed deliberately: every name reaches it
    return tuple(sorted(names))


class Server:
    """A running web lens: ``url``, and ``stop()`` to end it (from any thread)."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        import uvicorn

        self.url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
        self._server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                                     timeout_graceful_shutdown=1))
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Serve in this thread until Ctrl-C."""
        self._server.run()

    def start(self) -> "Server":
        """Serve in a background thread; returns once the port accepts connections."""
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        while not self._server.started and self._thread.is_alive():
            self._thread.join(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5)


def make_server(model: Any = None, *, run_dir: str | Path | None = None, class_names: list[str] | None = None,
                host: str = LOOPBACK, port: int | None = None) -> Server:
    """A :class:`Server` for ``model`` (a model object, run folder, ``.keras`` file or zoo name) and/or a run folder.

    Example:
        >>> server = make_server("mnist-convnet", port=0).start()  # doctest: +SKIP
        >>> server.url  # doctest: +SKIP
        'http://127.0.0.1:8765/'
    """
    from .server import create_app

    samples_dir = run_dir
    if isinstance(model, (str, Path)):
        from ..cli.common import class_names_for, load_model_arg

        path = str(model)
        if run_dir is None and Path(path).is_dir():
            run_dir = path
        samples_dir = path if Path(path).is_dir() else Path(path).parent if Path(path).is_file() else None
        model = load_model_arg(path) if _has_model(path) else None
        if model is not None and class_names is None:
            class_names = class_names_for(path, int(model.output_shape[-1]))
    if host not in (LOOPBACK, "localhost"):
        warnings.warn(f"the web lens is exposed on {host}: anyone who can reach this address can use it.",
                      stacklevel=2)
    port = free_port(host, DEFAULT_PORT) if port is None else (port or free_port(host, 0))
    app = create_app(model, class_names, run_dir=run_dir, hosts=allowed_hosts(host, port), samples_dir=samples_dir)
    return Server(app, host, port)


def _has_model(path: str) -> bool:
    folder = Path(path)
    return not folder.is_dir() or (folder / "model.keras").is_file()


def serve(model: Any = None, *, run_dir: str | Path | None = None, host: str = LOOPBACK, port: int | None = None,
          open_browser: bool = False) -> Server:
    """Show ``model`` in the browser; inline in a Jupyter notebook, where the server runs in the background.

    Outside a notebook this prints the URL and serves until Ctrl-C.

    Example:
        >>> from convlens import lens, zoo
        >>> lens.serve(zoo.create("mnist-convnet"))  # doctest: +SKIP
        http://127.0.0.1:8765/
    """
    notebook = _in_notebook()
    server = make_server(model, run_dir=run_dir, host=host, port=port)
    if open_browser:
        import webbrowser

        threading.Timer(0.5, webbrowser.open, (server.url,)).start()
    if notebook:
        from IPython.display import IFrame, display

        server.start()
        display(IFrame(server.url, width="100%", height=720))
        return server
    print(server.url, flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    return server


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"
