"""The live server the journeys run against survives clients that hang up mid-response."""

import gc
import socket
import struct
import sys
import time

import pytest

pytestmark = pytest.mark.browser


def _hang_up_on(port: int, path: str) -> None:
    """Ask for `path`, then reset the connection before reading the answer (RST, not FIN)."""
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        time.sleep(0.005)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_a_dropped_static_file_leaves_no_open_file_behind(own_server, monkeypatch):
    """Chromium cancels static files when it navigates; werkzeug alone leaves them unclosed."""
    _, base = own_server
    port = int(base.rsplit(":", 1)[1])
    unclosed = []
    monkeypatch.setattr(sys, "unraisablehook", unclosed.append)
    for _ in range(30):
        _hang_up_on(port, "/static/css/app.css")
    time.sleep(0.5)
    gc.collect()
    assert [str(u.exc_value) for u in unclosed] == []
