"""A real HTTP server on loopback that answers each request with the next scripted bytes: for
what no well-behaved server sends (a connection closed while idle, a cut answer, a hostile body)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Script:
    """What the server sends for each request, in order: ``(answer bytes, close the connection after)``."""

    answers: list[tuple[bytes, bool]]
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    closed: threading.Event = field(default_factory=threading.Event)  # the server closed a connection
    delay: float = 0.0  # seconds before each answer


def answer(body: bytes, *headers: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in headers)
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body


@contextmanager
def scripted_server(script: Script) -> Iterator[str]:
    listener = socket.create_server(("127.0.0.1", 0))

    def serve(conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while script.answers:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                request, _, buffer = buffer.partition(b"\r\n\r\n")
                script.requests.append(request.split(b"\r\n")[0])
                reply, close = script.answers.pop(0)
                time.sleep(script.delay)
                conn.sendall(reply)
                if close:
                    conn.close()
                    script.closed.set()
                    return

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            script.connections += 1
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
