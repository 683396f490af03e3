"""`aedemo play`: the live playground, a local web page served by the standard library.

    aedemo play                                      # the pretrained sample, opened in the browser
    aedemo play runs/blob-robot --port 0 --no-browser
    aedemo play --train --a blob --b robot --time 60

    from aedemo.play import make_server
    server = make_server(Playground(run), "127.0.0.1", 0)    # listening; server.serve_forever() answers
    latency = swap_latency(Playground(run))                  # p50/p95 ms of GET /swap.png over HTTP

One thread per connection (ThreadingHTTPServer); the page keeps at most one request in flight,
over one kept-alive connection. What each address answers is in aedemo.playapi: a bad query
is a 400 with one line of text, any other path a 404, and a failure a 500 with one line, here
and on the terminal; no traceback ever.
"""
from __future__ import annotations

import errno
import http.client
import os
import socket
import sys
import threading
import time
import webbrowser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import torch

from .errors import Interrupted, RunError, UsageError
from .playapi import POLICY, answer, not_found, read_page
from .playground import NotReady
from .poses import sample_poses

REQUEST_THREADS = 1      # torch threads for a one-frame request: splitting so little work over more threads
                         # costs more than it saves, and one never waits for a core another program holds


class Handler(BaseHTTPRequestHandler):
    """One request: a page file, a picture or a JSON answer; every error one line of text."""

    protocol_version = "HTTP/1.1"   # keep-alive: a drag sends all its frames over one connection
    timeout = 30                    # seconds an idle connection is kept

    def setup(self):
        """Send each answer as soon as it is written: a kept-alive connection otherwise waits for the
        client's delayed acknowledgement (40 ms) before the body leaves (Nagle's algorithm)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        """What the Server header says."""
        return "aedemo"

    def do_GET(self):
        """Answer a GET."""
        self.respond(send_body=True)

    def do_HEAD(self):
        """Answer a HEAD: the headers a GET would get."""
        self.respond(send_body=False)

    def respond(self, send_body: bool) -> None:
        """Route the request and reply; no exception ever reaches the client or the terminal."""
        try:
            status, kind, body = self.route()
        except UsageError as e:
            status, kind, body = 400, "text/plain", f"{one_line(e)}\n".encode()
        except NotReady as e:
            status, kind, body = 503, "text/plain", f"{e}\n".encode()
        except Exception as e:  # noqa: BLE001 -- a bug: one line for the client and one for the terminal
            sys.stderr.write(f"aedemo play: {self.command} {self.path[:80]!r} failed: "
                             f"{type(e).__name__}: {one_line(e)}\n")
            status, kind, body = 500, "text/plain", f"internal error: {type(e).__name__}\n".encode()
        self.reply(status, kind, body, send_body)

    def route(self) -> tuple[int, str, bytes]:
        """The answer to this request (only exact, known paths are answered)."""
        if not self.path.startswith("/"):
            return not_found()
        parts = urlsplit(self.path)
        return answer(self.server, parts.path, parts.query)

    def reply(self, status: int, kind: str, body: bytes, send_body: bool) -> None:
        """Send one answer; a client that went away (a stale request it dropped) is fine."""
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind + ("; charset=utf-8" if kind.startswith("text/") else ""))
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            if kind == "text/html":
                self.send_header("Content-Security-Policy", POLICY)
            self.end_headers()
            if send_body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def send_error(self, code, message=None, explain=None):
        """Errors http.server finds itself (a malformed request line, an unknown method): one line too."""
        self.close_connection = True
        self.reply(code, "text/plain", f"{code} {message or self.responses.get(code, ('error',))[0]}\n".encode(),
                   self.command != "HEAD")

    def log_message(self, format, *args):
        """Requests are not logged: a drag makes dozens a second."""


def one_line(error: Exception) -> str:
    """An error's message on one line."""
    return " ".join(str(error).split()) or type(error).__name__


class PlayServer(ThreadingHTTPServer):
    """The playground's server: one thread per connection, the playground and the page in memory."""

    daemon_threads = True

    def __init__(self, address, ground, folder: Path | None, job=None):
        self.ground, self.folder, self.job = ground, folder, job
        self.bench = None          # a queue while a bench waits for the page's frame rate (aedemo.browser)
        self.page = read_page()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)

    def handle_error(self, request, client_address):
        """A connection that broke mid-request: nothing to show (http.server would print a traceback)."""


def make_server(ground, host: str = "127.0.0.1", port: int = 0, folder: Path | None = None, job=None) -> PlayServer:
    """A server for the playground, listening but not yet serving; one line if it cannot listen."""
    folder = folder or (job.folder if job else ground.run.path)
    try:
        return PlayServer((host, port), ground, Path(folder), job)
    except socket.gaierror:
        raise UsageError(f"--host {host}: no such address on this machine") from None
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise RunError(f"port {port} is in use (another aedemo play?): choose one with --port N, or --port 0 "
                           "for any free port") from None
        if e.errno == errno.EACCES:
            raise UsageError(f"--port {port} needs administrator rights here: choose one above 1023") from None
        raise UsageError(f"cannot listen on {host} port {port}: {e.strerror or e}") from None


def address(server: PlayServer) -> str:
    """The page's address, as a browser on this machine reaches it."""
    host, port = server.server_address[:2]
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def open_browser(url: str, log) -> None:
    """Open the page in the desktop's browser, if there is a desktop (never a text browser in the terminal)."""
    if sys.platform in ("darwin", "win32") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    else:
        log("no desktop to open a browser on: open the address above in one")


def use_request_threads() -> None:
    """Give torch the thread count the playground's one-frame requests run best with."""
    torch.set_num_threads(REQUEST_THREADS)


def serve(ground, host: str, port: int, browser: bool = True, job=None, log=print) -> None:
    """Serve the playground until Ctrl-C (then Interrupted, exit 130), with live training if `job`."""
    use_request_threads()
    server = make_server(ground, host, port, job=job)
    try:
        if job is not None:
            job.start(ground, log)
        url = address(server)
        if host not in ("127.0.0.1", "localhost", "::1"):
            log(f"note: listening on {host}: anyone who can reach this machine can open the page")
        run = ground.run
        what = (f"{run.path} (step {run.step}: {', '.join(run.identities)})" if job is None
                else f"training into {job.folder}")
        log(f"aedemo play: {what} at {url}  (Ctrl-C stops)")
        if browser:
            open_browser(url, log)
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        raise Interrupted("interrupted") from None
    finally:
        server.server_close()
        if job is not None:
            job.stop()


def swap_latency(ground, requests: int = 200, seed: int = 0) -> dict:
    """Milliseconds per GET /swap.png of a random pose, end to end over HTTP on one kept-alive
    connection (as the page makes them), on a server started here; after 10 unmeasured requests."""
    threads = torch.get_num_threads()
    use_request_threads()
    server = make_server(ground, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gen = torch.Generator().manual_seed(seed)
    times = []
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=60)
        for i in range(requests + 10):
            pose = {k: f"{float(v):.4f}" for k, v in sample_poses(1, rng=gen).items()}
            start = time.perf_counter()
            connection.request("GET", "/swap.png?" + urlencode(pose))
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RunError(f"/swap.png answered {response.status} while measuring")
            if i >= 10:
                times.append(1000 * (time.perf_counter() - start))
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
        torch.set_num_threads(threads)
    times.sort()
    return {"requests": requests, "p50_ms": times[len(times) // 2], "p95_ms": times[int(0.95 * (len(times) - 1))],
            "threads": REQUEST_THREADS}
