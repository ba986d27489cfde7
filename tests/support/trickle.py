"""A real HTTP server on loopback that answers every request one byte at a time and never finishes:
what a per-socket-read timeout cannot end (each byte comes well within it)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Trickle: " + b"z" * 10_000


@contextmanager
def trickling_server(interval: float = 0.1, give_up: float = 30.0) -> Iterator[str]:
    """Serve at the yielded ``http://127.0.0.1:PORT``: each connection gets a byte every ``interval``
    seconds; after ``give_up`` seconds it is closed (so a client without a total deadline fails
    differently instead of hanging the test run)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)  # accept() wakes up to see ``stop``
    stop = threading.Event()

    def trickle(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)  # the request (headers and a small body arrive together on loopback)
            for index in range(int(give_up / interval)):
                if stop.wait(interval):
                    return
                try:
                    conn.sendall(ANSWER[index : index + 1])
                except OSError:
                    return  # the client gave up

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            threading.Thread(target=trickle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()
