"""Python side of api_host.mjs: one long-lived node process, JSON lines both ways."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

HOST = Path(__file__).with_name("api_host.mjs")


class BridgeError(RuntimeError):
    pass


class ApiBridge:
    def __init__(self) -> None:
        node = shutil.which("node")
        if not node:
            raise BridgeError("node is not installed")
        self.proc = subprocess.Popen([node, "--no-warnings", str(HOST)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1)

    def ask(self, msg: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise BridgeError(f"api_host.mjs exited (rc={self.proc.poll()})")
        out = json.loads(line)
        if "fatal" in out:
            raise BridgeError(out["fatal"])
        return out

    def new(self, start: dict[str, Any], valid: dict[str, Any] | None = None) -> None:
        self.ask({"op": "new", "start": start, "valid": valid})

    def call(self, fn: str, *args: str) -> tuple[str | None, str]:
        r = self.ask({"op": "call", "fn": fn, "args": list(args)})
        return r.get("result"), str(r.get("error"))

    def terminate(self) -> dict[str, Any]:
        return self.ask({"op": "terminate"})

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # Our ends of the pipes too: an open one is a ResourceWarning, an error in the tests.
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe:
                pipe.close()

    def __enter__(self) -> ApiBridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
