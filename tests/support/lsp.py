"""A small Language Server Protocol client over stdio, enough to ask a real server what an editor
shows: the diagnostics it publishes for an opened file, and the completions at a position.

Messages are JSON-RPC with ``Content-Length`` framing; a reader thread queues what the server
sends, and requests the server makes of the client (configuration, capability registration)
are answered so that it never waits on us.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

TIMEOUT_SECONDS = 60


class LanguageServer:
    def __init__(self, command: list[str], root: Path, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        self.next_id = 0
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()
        self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "capabilities": {
                    "workspace": {"configuration": True},
                    "textDocument": {
                        "completion": {"completionItem": {"snippetSupport": False}},
                        "publishDiagnostics": {},
                    },
                },
            },
        )
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": settings})

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.process.wait(timeout=10)
        except (OSError, TimeoutError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> LanguageServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the wire ---------------------------------------------------------------------------

    def _read(self, stream: IO[bytes]) -> None:
        while True:
            headers: dict[str, str] = {}
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
            self.messages.put(json.loads(body))

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        ident = self.next_id
        self._send({"id": ident, "method": method, "params": params})
        while True:
            message = self._next()
            if message.get("id") == ident and "method" not in message:
                assert "error" not in message, message["error"]
                return message.get("result")

    def _next(self, deadline: float | None = None) -> dict[str, Any]:
        """The next message from the server, after answering it if it is a request to us."""
        remaining = TIMEOUT_SECONDS if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            message = self.messages.get(timeout=remaining)
        except queue.Empty:
            raise TimeoutError("the language server did not answer") from None
        method = message.get("method")
        if method is not None and "id" in message:
            result: Any = None
            if method == "workspace/configuration":
                result = [
                    self.settings.get(item.get("section", ""), {}) for item in message["params"]["items"]
                ]
            self._send({"id": message["id"], "result": result})
        elif method == "textDocument/publishDiagnostics":
            self.diagnostics[message["params"]["uri"]] = message["params"]["diagnostics"]
        return message

    # -- what an editor does ----------------------------------------------------------------

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        self.diagnostics.pop(uri, None)
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}},
        )
        return uri

    def diagnostics_of(self, uri: str) -> list[dict[str, Any]]:
        """What the server publishes for ``uri`` once it has validated it."""
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while uri not in self.diagnostics:
            self._next(deadline)
        return self.diagnostics[uri]

    def completion_labels(self, uri: str, line: int, character: int) -> list[str]:
        result = self.request(
            "textDocument/completion",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
        )
        items = result.get("items", []) if isinstance(result, dict) else (result or [])
        return [str(item["label"]) for item in items]
