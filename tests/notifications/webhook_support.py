"""A real webhook receiver for the tests: an HTTP server in a thread on a free port that verifies every request's
signature with the `standardwebhooks` library, records what it got and answers as the test scripts it."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (timeouts)
    before: object = None  # a callable run (in the server's thread) before answering


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: dict[str, bool]  # secret -> whether standardwebhooks verified the request with it
    payload: dict | None  # the body as standardwebhooks returned it once verified


class Receiver:
    """`with Receiver(secrets=[...]) as receiver:` — `receiver.url`; `receiver.answer(Answer(500), ...)` queues
    answers (then 200 "ok" by default); `receiver.requests` lists what arrived. Every request is checked against
    every secret in `receiver.secrets` (mutable: add one after a rotation)."""

    def __init__(self, secrets=()):
        self.secrets: list[str] = list(secrets)
        self.requests: list[Received] = []
        self._answers: list[Answer] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like a real receiver

            def setup(self):
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm holds the body back
                # until the client's delayed ACK (40 ms per request on keep-alive connections).
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {key.lower(): value for key, value in self.headers.items()}
                verified, payload = {}, None
                for secret in receiver.secrets:
                    try:
                        payload = Webhook(secret).verify(body, headers)
                    except WebhookVerificationError:
                        verified[secret] = False
                    else:
                        verified[secret] = True
                with receiver._lock:
                    receiver.requests.append(Received(self.path, headers, body, verified, payload))
                    answer = receiver._answers.pop(0) if receiver._answers else Answer()
                if answer.before is not None:
                    answer.before()
                if answer.delay:
                    time.sleep(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST

            def log_message(self, *args):  # quiet
                pass

        class Server(ThreadingHTTPServer):
            # socketserver's listen backlog is 5: a fan-out opens dozens of connections at once, and a full
            # accept queue answers some with a reset (a failed attempt the test never meant to cause).
            request_queue_size = 256

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        # A short poll interval: shutdown() waits for it, and every test stops a receiver.
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def answer(self, *answers: Answer) -> None:
        with self._lock:
            self._answers.extend(answers)

    def posts(self, path: str = "/hooks") -> list[Received]:
        return [request for request in self.requests if request.path == path]

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def fake_dns(monkeypatch, answers: dict[str, list[str] | callable]) -> None:
    """Answer DNS lookups of the names in `answers` (a list of addresses, or a function returning one per
    lookup, for rebinding); every other name resolves as usual."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name in answers:
            addresses = answers[name]() if callable(answers[name]) else answers[name]
            results = []
            for address in addresses:
                results.extend(real(address, port, *args, **kwargs))
            return results
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


class SlowServer:
    """A receiver that misbehaves in time, on raw sockets: to each request it sends `answer` at once, then one
    byte of `drip` every `every` seconds (none if `every` is None), and hangs up after `lasts` seconds. A
    receiver trickling its status line or headers (`answer=b"HTTP/1.1 200 OK\\r\\nX-Slow: "`) or its body
    (complete headers with a large Content-Length) never trips a per-read timeout; only a deadline ends it.
    `with SlowServer(...) as server:` — `server.url`; `server.requests` holds each request's raw head."""

    def __init__(self, answer: bytes, *, drip: bytes = b"a", every: float | None = 0.1, lasts: float = 10.0):
        self.answer_bytes, self.drip, self.every, self.lasts = answer, drip, every, lasts
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(self.lasts)
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    request += chunk
                head, _, body = request.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                while len(body) < length:
                    body += connection.recv(65536)
                self.requests.append(head)
                connection.sendall(self.answer_bytes)
                ends = time.monotonic() + self.lasts
                while time.monotonic() < ends and not self._stop.is_set():
                    if self.every is None:
                        time.sleep(0.02)
                        continue
                    time.sleep(self.every)
                    connection.sendall(self.drip)
            except OSError:  # the client gave up and hung up: what the tests want
                return

    def __enter__(self) -> SlowServer:
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._listener.close()
        self._thread.join(1)


HEADERS_TRICKLE = b"HTTP/1.1 200 OK\r\nX-Slow: "  # a header line that never ends
BODY_TRICKLE = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n"  # a body that never ends
