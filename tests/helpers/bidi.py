"""A minimal WebDriver BiDi client for firefox-esr (no geckodriver is packaged; Playwright
needs its own patched Firefox). Just the commands the tests use."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import websockets


class BidiError(RuntimeError):
    pass


class Firefox:
    """firefox-esr -headless driven over its built-in WebDriver BiDi endpoint."""

    def __init__(self, binary: str, profile: Path, home: Path, port: int, log: Path) -> None:
        env = {**os.environ, "HOME": str(home), "MOZ_CRASHREPORTER_DISABLE": "1"}
        self._log = open(log, "wb")  # closed in close()
        self.proc = subprocess.Popen(
            [binary, "-headless", "-no-remote", "-profile", str(profile), "--remote-debugging-port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        self.port = port
        self.ws: Any = None
        self._ids = itertools.count(1)

    async def start(self, timeout: float = 20.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                self.ws = await websockets.connect(f"ws://127.0.0.1:{self.port}/session", max_size=2**24)
                break
            except OSError:
                if self.proc.poll() is not None or loop.time() > deadline:
                    raise BidiError("firefox-esr did not open its WebDriver BiDi endpoint") from None
                await asyncio.sleep(0.1)
        await self.command("session.new", {"capabilities": {}})

    async def command(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        my_id = next(self._ids)
        await self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("id") != my_id:
                continue  # events: not subscribed to any, ignore
            if message.get("type") == "error":
                raise BidiError(f"{method}: {message.get('error')}: {message.get('message')}")
            return message["result"]

    async def contexts(self) -> list[dict[str, Any]]:
        return (await self.command("browsingContext.getTree", {}))["contexts"]

    async def wait_for_context(self, url_part: str, timeout: float = 10.0) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            for c in await self.contexts():
                if url_part in c["url"]:
                    return c["context"]
            await asyncio.sleep(0.1)
        raise BidiError(f"no browsing context with {url_part!r} in its URL")

    async def evaluate(self, context: str, expression: str) -> Any:
        """Evaluate (awaiting promises) and return the plain value (strings, numbers, booleans)."""
        result = await self.command(
            "script.evaluate", {"expression": expression, "target": {"context": context}, "awaitPromise": True}
        )
        if result.get("type") == "exception":
            raise BidiError(result["exceptionDetails"].get("text", "script exception"))
        return result["result"].get("value")

    async def wait_until(self, context: str, condition: str, value: str, timeout_ms: int = 10000) -> Any:
        """Wait for a JS *condition* to be truthy in *context*, then evaluate *value*."""
        return await self.evaluate(
            context,
            f"""new Promise((resolve, reject) => {{
                const start = Date.now();
                const t = setInterval(() => {{
                    try {{
                        if ({condition}) {{ clearInterval(t); resolve({value}); }}
                        else if (Date.now() - start > {timeout_ms}) {{ clearInterval(t); reject(new Error('timeout: {condition}')); }}
                    }} catch (e) {{}}
                }}, 50);
            }})""",
        )

    async def close(self) -> None:
        try:
            if self.ws is not None:
                try:
                    await asyncio.wait_for(self.command("session.end", {}), 2)
                except Exception:  # noqa: BLE001, S110 - the browser is being closed anyway
                    pass
                await self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self._log.close()
