"""Serving the app: gunicorn with gevent workers, N processes, each serving every connection on a
greenlet of its own.

Why this model (figures in docs/performance.md): a greenlet waiting on a socket costs a few
kilobytes and no worker, so idle connections, keep-alive connections and clients trickling a body
a byte a second stall nobody; gunicorn supplies the process management (graceful stop, workers
restarted when they die) and hands each request its socket, which the transport-fault scenarios
need (a reset is a real TCP RST).

What this module adds to gunicorn:
- one listening socket, bound here before gunicorn starts and handed to it, so that a port in use
  is one clear line at once (not five retries), and `--port 0` reports the port the system chose;
- workers that die with the server: each asks the kernel for SIGKILL when its parent dies
  (PR_SET_PDEATHSIG), so a `kill -9` of the server's PID leaves nothing holding the port;
- SIGTERM: gunicorn stops accepting and lets requests in flight finish within DRAIN_SECONDS.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

import gevent
from gunicorn import sock as gunicorn_sock
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from mock_server import log_format, logsafe
from mock_server.app import create_app
from mock_server.settings import Settings

# Requests in flight get this long to finish after SIGTERM.
DRAIN_SECONDS = 8
# A kept-alive connection with no new request for this long is closed.
KEEPALIVE_SECONDS = 5
# Connections one worker serves at once (idle ones included).
CONNECTIONS_PER_WORKER = 1000
BACKLOG = 1024
_PR_SET_PDEATHSIG = 1

log = logging.getLogger("idcard_mock")


class PortInUse(Exception):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            f"port {port} on {host} is already in use: stop what holds it, or choose another "
            "port with --port or IDCARD_MOCK_PORT"
        )


def bind(host: str, port: int) -> socket.socket:
    """The listening socket (SO_REUSEADDR, as every server sets it, and no SO_REUSEPORT: a second
    server on the same port is refused, never silently given half the connections)."""
    try:
        listener = socket.create_server((host, port), backlog=BACKLOG)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortInUse(host, port) from None
        raise
    # Accepted connections inherit TCP_NODELAY: an answer's head and body go out at once instead
    # of the body waiting for the client's delayed ACK (40 ms on Linux).
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.set_inheritable(True)
    return listener


def die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when `parent`, the process that forked it, dies
    (Linux); if it died already, go now. The parent's PID is given, not guessed: in a container
    the server is PID 1, the PID an orphan would be handed to elsewhere."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def configure_logging(kind: str = log_format.TEXT) -> None:
    """The mock's log (access lines, faults) on standard output, one line (or JSON object) each."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(log_format.formatter(kind))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False


class GunicornServer(BaseApplication):
    """gunicorn, serving on a socket bound beforehand; each worker builds its own app (and its own
    database connection) after the fork."""

    def __init__(self, app_factory: Callable[[], Any], listener: socket.socket,
                 options: dict[str, Any]) -> None:
        self._app_factory = app_factory
        self._listener = listener
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)
        # gunicorn 25 and newer open a control socket, by default one path for every server of the
        # user (~/.gunicorn/gunicorn.ctl); the mock has no use for it.
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    def load(self):
        return _taking_turns(self._app_factory())

    def run(self) -> None:
        arbiter = Arbiter(self)
        # gunicorn closes the sockets it is given when it stops: give it its own descriptor.
        fd = os.dup(self._listener.fileno())
        arbiter.LISTENERS = gunicorn_sock.create_sockets(self.cfg, arbiter.log, [fd])
        arbiter.run()


def _taking_turns(app: Callable[..., Any]) -> Callable[..., Any]:
    """Each request first yields to the worker's other connections. A greenlet whose client sends
    its next request at once finds the data ready and would never yield, starving the rest of the
    worker's connections for hundreds of milliseconds under load."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        gevent.sleep(0)
        return app(environ, start_response)

    return wsgi


def _post_fork(kind: str) -> Callable[[Arbiter, Any], None]:
    def post_fork(server: Arbiter, _worker: Any) -> None:
        die_with_parent(server.pid)
        configure_logging(kind)

    return post_fork


def serve(settings: Settings, listener: socket.socket, workers: int,
          log_kind: str = log_format.TEXT) -> None:
    """Serve the mock until SIGINT or SIGTERM on `listener` (from `bind`), logging in `log_kind`
    (log_format.py)."""
    serve_app(lambda: create_app(settings), listener, workers, log_kind)


def serve_app(app_factory: Callable[[], Any], listener: socket.socket, workers: int,
              log_kind: str = log_format.TEXT) -> None:
    """Serve the WSGI app each worker builds with `app_factory` (after the fork) until SIGINT or
    SIGTERM on `listener`: the mock, or the live proxy (live/proxy.py)."""
    logsafe.install("gunicorn.error", "gunicorn.access", "idcard_mock", "idcard_mock.access",
                    "mock_server", "urllib3", "requests")
    host, port = listener.getsockname()[:2]
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gevent",
        "worker_connections": CONNECTIONS_PER_WORKER,
        "backlog": BACKLOG,
        "keepalive": KEEPALIVE_SECONDS,
        # A worker that stops answering its heartbeat this long is replaced; a 20 MB body on a
        # slow link only holds its own greenlet, never the worker.
        "timeout": 120,
        "graceful_timeout": DRAIN_SECONDS,
        "post_fork": _post_fork(log_kind),
        # Access lines come from the app (api/access_log.py); gunicorn logs only its own events.
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "logconfig_dict": log_format.gunicorn_config(log_kind),
    }
    GunicornServer(app_factory, listener, options).run()
