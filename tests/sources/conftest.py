"""A real HTTP source on 127.0.0.1 with scripted answers, and fast retry settings."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.enterprises.models import Enterprise
from app.extensions import db
from app.sources import services

TOKEN = "tok-SECRET-8f3a2c9d7e6b5a41"


@dataclass
class Answer:
    status: int = 200
    body: bytes | dict | None = None
    delay: float = 0.0
    headers: dict = field(default_factory=dict)


@dataclass
class SeenRequest:
    path: str
    query: dict[str, str]
    authorization: str | None


class SourceServer:
    """`script(request, n)` decides each answer; `n` counts requests from 1."""

    def __init__(self):
        self.requests: list[SeenRequest] = []
        self.script: Callable[[SeenRequest, int], Answer] = lambda req, n: Answer(
            body={"records": [], "next_page": None}
        )
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                seen = SeenRequest(parts.path, query, self.headers.get("Authorization"))
                with server._lock:
                    server.requests.append(seen)
                    n = len(server.requests)
                answer = server.script(seen, n)
                if answer.delay:
                    time.sleep(answer.delay)
                body = answer.body
                if isinstance(body, dict):
                    body = json.dumps(body, ensure_ascii=False).encode()
                body = body or b""
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = SourceServer()
    yield srv
    srv.close()


@pytest.fixture(autouse=True)
def fast_retries(app, monkeypatch):
    """Short timeouts and tiny backoff so failure tests stay fast."""
    monkeypatch.setitem(app.config, "SOURCES_RETRIES", 2)
    monkeypatch.setitem(app.config, "SOURCES_BACKOFF_FACTOR", 0.01)
    monkeypatch.setitem(app.config, "SOURCES_CONNECT_TIMEOUT", 1.0)


@dataclass
class IngestCall:
    source: str
    origin: str
    label: str | None


@pytest.fixture
def ingest(monkeypatch):
    """Records each call to app.ingest (source, origin, label); the real path runs."""
    calls: list[IngestCall] = []
    real = services.ingest_records

    def recording(source, records, *, origin, user_id=None, label=None):
        calls.append(IngestCall(source, origin, label))
        return real(source, records, origin=origin, user_id=user_id, label=label)

    monkeypatch.setattr(services, "ingest_records", recording)
    return calls


def enterprise_record(factories, n: int) -> dict:
    return {
        "uscc": factories.uscc(),
        "name": f"拉取测试企业{n}有限公司",
        "established_on": "2016-03-01",
        "region_code": "610113",
        "industry_code": "C",
        "scale": "small",
    }


def paged(pages: list[list[dict]]) -> Callable[[SeenRequest, int], Answer]:
    """Serve `pages` by the `page` query parameter (1-based)."""

    def script(req: SeenRequest, n: int) -> Answer:
        page = int(req.query.get("page", "1"))
        next_page = page + 1 if page < len(pages) else None
        return Answer(body={"records": pages[page - 1], "next_page": next_page})

    return script


def registry_count(usccs) -> int:
    return len(list(db.session.scalars(select(Enterprise).where(Enterprise.uscc.in_(usccs)))))
