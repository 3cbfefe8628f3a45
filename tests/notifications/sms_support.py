"""Real local servers for the SMS and web push tests: an HTTP server in a thread on a free port that records
every request and answers as the test scripts it. TwilioServer speaks Twilio's Messages API; PushService is a
Web Push service, and Browser holds what a browser keeps for a push subscription (a real P-256 key pair and
auth secret), so a test can decrypt what was pushed. Also: an event with SMS, push and in-app templates."""

from __future__ import annotations

import base64
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import http_ece
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from notifications import registry
from notifications.choices import Channel
from notifications.registry import DefaultTemplate

EVENT = "tests.outage.started"
registry.register(
    EVENT,
    "A test outage (SMS, push and in-app tests)",
    payload=("area", "eta"),
    channels=(Channel.SMS,),
    templates={
        Channel.SMS: DefaultTemplate(text="Outage in {{ area }}. Back by {{ eta }}."),
        Channel.PUSH: DefaultTemplate(subject="Outage in {{ area }}", text="Service is back by {{ eta }}."),
        Channel.INAPP: DefaultTemplate(subject="Outage in {{ area }}", text="Service is back by {{ eta }}."),
    },
)
CONTEXT = {"area": "Lekki Phase 1", "eta": "18:00"}

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "test-auth-token-0123456789"
FROM = "+15005550006"
GOOD_NUMBER = "+2348031234567"


@dataclass
class Answer:
    status: int = 201
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (timeouts)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode(), keep_blank_values=True)

    @property
    def basic_auth(self) -> tuple[str, str]:
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        assert scheme.lower() == "basic", self.headers
        user, _, password = base64.b64decode(value).decode().partition(":")
        return user, password


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """What a browser keeps for one push subscription: its P-256 key pair and auth secret."""

    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.keys = {"p256dh": b64url(public), "auth": b64url(self.auth)}

    def decrypt(self, body: bytes) -> dict:
        return orjson.loads(
            http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")
        )


class LocalServer:
    """`with LocalServer() as server:` — `server.url`; `server.answer(Answer(503), ...)` queues answers (then
    `default()` answers); `server.requests` lists what arrived, in order."""

    def __init__(self):
        self.requests: list[Received] = []
        self._answers: list[Answer] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                received = Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with owner._lock:
                    owner.requests.append(received)
                    answer = owner._answers.pop(0) if owner._answers else owner.default(received)
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                    pass

            do_GET = do_DELETE = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def default(self, received: Received) -> Answer:
        return Answer()

    def answer(self, *answers: Answer) -> None:
        with self._lock:
            self._answers.extend(answers)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class TwilioServer(LocalServer):
    """Twilio's Messages API: a 201 with a new message sid per message, as Twilio answers."""

    def __init__(self):
        super().__init__()
        self.sent = 0

    def default(self, received: Received) -> Answer:
        self.sent += 1
        sid = f"SM{self.sent:032x}"
        body = {"sid": sid, "status": "queued", "to": received.form.get("To", [""])[0], "account_sid": ACCOUNT_SID}
        return Answer(201, orjson.dumps(body), {"Content-Type": "application/json"})

    @staticmethod
    def error(status: int, code: int, message: str) -> Answer:
        body = {
            "code": code,
            "message": message,
            "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
        }
        return Answer(status, orjson.dumps(body), {"Content-Type": "application/json"})


@contextmanager
def twilio_configured(settings):
    """A Twilio-compatible API on a local port, and the settings that send SMS to it (give it pytest-django's
    `settings` fixture)."""
    with TwilioServer() as server:
        settings.SMS_PROVIDER = "twilio"
        settings.SMS_API_URL = server.url
        settings.SMS_ACCOUNT_SID = ACCOUNT_SID
        settings.SMS_AUTH_TOKEN = AUTH_TOKEN
        settings.SMS_FROM = FROM
        yield server


class PushService(LocalServer):
    """A Web Push service: 201 with the message's Location, as push services answer."""

    def default(self, received: Received) -> Answer:
        return Answer(201, b"", {"Location": f"{self.url}/messages/{len(self.requests)}"})
