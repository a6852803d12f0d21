"""A small client for yaml-language-server over stdio (tests/test_editor.py).

The server is found as $YAML_LANGUAGE_SERVER, on PATH, or in
$XDG_CACHE_HOME/configurator-node/node_modules/.bin (where `.ci/setup`
installs it with npm); `server_command()` is None when it is not there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from queue import Empty, Queue
from typing import Any

NODE_PREFIX = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "configurator-node"


def server_command() -> list[str] | None:
    for candidate in (os.environ.get("YAML_LANGUAGE_SERVER"),
                      shutil.which("yaml-language-server"),
                      str(NODE_PREFIX / "node_modules" / ".bin" / "yaml-language-server")):
        if candidate and Path(candidate).is_file() and shutil.which("node"):
            return [candidate, "--stdio"]
    return None


class Client:
    """One yaml-language-server process; requests answered in order, notifications queued."""

    def __init__(self, command: list[str]):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        self.messages: Queue = Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            self.messages.put(json.loads(stream.read(length)))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 30) -> Any:
        self.next_id += 1
        ident = self.next_id
        self.send({"id": ident, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == ident and "method" not in m, timeout)["result"]

    def wait(self, match, timeout: float = 30) -> dict[str, Any]:
        """The next message `match` accepts; the server's own requests are answered."""
        end = time.monotonic() + timeout
        while True:
            try:
                message = self.messages.get(timeout=max(0.01, end - time.monotonic()))
            except Empty:
                raise TimeoutError("yaml-language-server did not answer") from None
            if "method" in message and "id" in message:  # a request to us (configuration...)
                items = message.get("params", {}).get("items", [])
                self.send({"id": message["id"], "result": [self.settings] * len(items)
                           if message["method"] == "workspace/configuration" else None})
            if match(message):
                return message

    settings: dict[str, Any] = {"validate": True, "completion": True, "hover": True,
                                "schemaStore": {"enable": False}}

    def start(self, root: Path) -> None:
        self.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(),
                                    "capabilities": {"textDocument": {
                                        "completion": {"completionItem": {}},
                                        "publishDiagnostics": {}}},
                                    "workspaceFolders": [{"uri": root.as_uri(),
                                                          "name": "w"}]})
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": {"yaml": self.settings}})

    def open(self, path: Path) -> list[dict[str, Any]]:
        """Open a document; its diagnostics."""
        uri = path.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": 1,
            "text": path.read_text(encoding="utf-8")}})
        found = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                          and m["params"]["uri"] == uri)
        return found["params"]["diagnostics"]

    def completion(self, path: Path, line: int, character: int) -> list[str]:
        result = self.request("textDocument/completion", {
            "textDocument": {"uri": path.as_uri()},
            "position": {"line": line, "character": character}})
        items = result.get("items", []) if isinstance(result, dict) else result or []
        return [item["label"] for item in items]

    def hover(self, path: Path, line: int, character: int) -> str:
        result = self.request("textDocument/hover", {
            "textDocument": {"uri": path.as_uri()},
            "position": {"line": line, "character": character}})
        return (result or {}).get("contents", {}).get("value", "") if result else ""

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=5)
            self.notify("exit", None)
        except (TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
