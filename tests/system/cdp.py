"""Debian's chromium, headless, driven over the Chrome DevTools Protocol with Debian's
python3-websockets: what the live view's browser test and its benchmark need of a
browser, and no more.

    async with cdp.Browser(width=1400, height=1000) as browser:
        page = browser.page
        await page.goto(url)
        value = await page.evaluate("document.title")

The browser runs with a private profile in a temporary directory, asks the system for
a free debugging port (--remote-debugging-port=0) and writes it to DevToolsActivePort
there; the client talks to the page's own WebSocket. On the way out, normal or not, the
browser and every process it started are stopped and the profile is removed. Inside
the launcher (PMU_WORKDIR) the profile lives in its work directory, so that even a
killed test leaves nothing behind the launcher does not remove.

websockets 10 (Debian 12) has only the asyncio client, hence the async interface; run
a test with cdp.run(main()) so that SIGTERM (ctest's timeout) also cleans up.
"""
import asyncio
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets

CHROMIUM = "/usr/bin/chromium"
# No sandbox (the tests run as root), no GPU, nothing the browser would fetch for itself
# (a lab network has no internet, and the test counts every request the page makes).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-extensions", "--no-proxy-server", "--mute-audio"]
START_TIMEOUT_S = 30
CALL_TIMEOUT_S = 30


class CdpError(Exception):
    """The browser could not start, answered a command with an error, or a script on the
    page threw."""


def run(main):
    """Runs a coroutine; SIGTERM and SIGINT cancel it, so that `async with Browser` still
    stops the browser and removes its profile, and then end the process with the
    signal's conventional status (128 + its number)."""
    caught = []

    async def guarded():
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda sig=sig: (caught.append(sig), task.cancel()))
        return await main

    try:
        return asyncio.run(guarded())
    except asyncio.CancelledError:
        if not caught:
            raise
        print(f"cdp: stopped by signal {caught[0]}; browser stopped, profile removed", file=sys.stderr)
        sys.exit(128 + caught[0])


class Page:
    """One page target: commands, events, and the few operations the tests use."""

    def __init__(self, ws):
        self._ws = ws
        self._next_id = 0
        self._pending = {}
        self._listeners = {}
        self._tasks = set()
        self._reader = asyncio.create_task(self._read())

    # ---- protocol ---------------------------------------------------------------------

    async def send(self, method, **params):
        """Sends a command and returns its result; raises CdpError on an error answer."""
        if self._reader.done():
            raise CdpError(f"{method}: the DevTools connection is closed")
        self._next_id += 1
        ident = self._next_id
        answer = asyncio.get_running_loop().create_future()
        self._pending[ident] = answer
        await self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        try:
            reply = await asyncio.wait_for(answer, CALL_TIMEOUT_S)
        finally:
            self._pending.pop(ident, None)
        if "error" in reply:
            raise CdpError(f"{method}: {reply['error'].get('message')} ({reply['error'].get('data', '')})")
        return reply.get("result", {})

    def on(self, event, callback):
        """Calls callback(params) for every `event` (e.g. "Runtime.consoleAPICalled"),
        from the reader: it must not wait for an answer itself (see spawn)."""
        self._listeners.setdefault(event, []).append(callback)

    def spawn(self, coro):
        """Runs a coroutine beside the reader (a listener that must send a command)."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read(self):
        try:
            async for raw in self._ws:
                message = json.loads(raw)
                if "id" in message:
                    answer = self._pending.get(message["id"])
                    if answer and not answer.done():
                        answer.set_result(message)
                    continue
                for callback in self._listeners.get(message.get("method"), ()):
                    callback(message.get("params", {}))
        except websockets.ConnectionClosed:
            pass
        finally:
            for answer in self._pending.values():
                if not answer.done():
                    answer.set_exception(CdpError("the browser closed the DevTools connection"))

    async def close(self):
        self._reader.cancel()
        for task in list(self._tasks):
            task.cancel()
        await self._ws.close()

    # ---- operations -------------------------------------------------------------------

    async def evaluate(self, expression):
        """The value of a JavaScript expression on the page (promises awaited); raises
        CdpError with the page's message when it throws."""
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CdpError(f"{expression[:80]}: {details.get('exception', {}).get('description') or details['text']}")
        return result["result"].get("value")

    async def wait_for(self, what, expression, timeout_s, poll_s=0.05):
        """Evaluates `expression` until it is truthy; returns that value. Raises CdpError
        naming `what` after timeout_s."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise CdpError(f"{what}: not within {timeout_s * 1000:.0f} ms")
            await asyncio.sleep(poll_s)

    async def goto(self, url, timeout_s=CALL_TIMEOUT_S):
        """Navigates and waits for the load event."""
        loaded = asyncio.get_running_loop().create_future()
        self.on("Page.loadEventFired", lambda _: loaded.done() or loaded.set_result(True))
        result = await self.send("Page.navigate", url=url)
        if result.get("errorText"):
            raise CdpError(f"loading {url}: {result['errorText']}")
        await asyncio.wait_for(loaded, timeout_s)

    async def screenshot(self, path):
        """The whole page, beyond the viewport, as PNG."""
        size = (await self.send("Page.getLayoutMetrics"))["cssContentSize"]
        shot = await self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                               clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    def collect_errors(self):
        """A list that fills with every error the page reports: console.error and
        console.assert, uncaught exceptions, and the browser's own error log entries
        (a failed load, a refused WebSocket). Needs Runtime and Log enabled."""
        errors = []
        self.on("Runtime.consoleAPICalled", lambda p: p["type"] in ("error", "assert") and errors.append(
            " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))))
        self.on("Runtime.exceptionThrown", lambda p: errors.append(
            p["exceptionDetails"].get("exception", {}).get("description") or p["exceptionDetails"]["text"]))
        self.on("Log.entryAdded", lambda p: p["entry"]["level"] == "error" and errors.append(
            f"{p['entry']['text']} {p['entry'].get('url', '')}".strip()))
        return errors

    async def allow_only(self, *prefixes):
        """Lets the page fetch only URLs that start with one of `prefixes` and fails every
        other request; returns the list the refused URLs (and any WebSocket opened
        elsewhere) are added to."""
        refused = []

        def paused(p):
            url = p["request"]["url"]
            if url.startswith(prefixes):
                self.spawn(self.send("Fetch.continueRequest", requestId=p["requestId"]))
            else:
                refused.append(url)
                self.spawn(self.send("Fetch.failRequest", requestId=p["requestId"], errorReason="BlockedByClient"))

        self.on("Fetch.requestPaused", paused)
        self.on("Network.webSocketCreated", lambda p: p["url"].startswith(prefixes) or refused.append(p["url"]))
        await self.send("Fetch.enable", patterns=[{"urlPattern": "*"}])
        return refused


class Browser:
    """Debian's chromium, headless, with a private profile and one page (self.page)."""

    def __init__(self, width=1400, height=1000):
        self.width, self.height = width, height
        self.process = None
        self.page = None
        self._profile = None

    async def __aenter__(self):
        try:
            await self._start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc):
        await self.close()

    async def _start(self):
        workdir = os.environ.get("PMU_WORKDIR")
        self._profile = tempfile.mkdtemp(prefix="chromium-", dir=workdir if workdir and os.path.isdir(workdir) else None)
        self._log = open(os.path.join(self._profile, "chromium.log"), "wb")
        # A session of its own: the browser's helpers (zygote, renderers, GPU, network
        # service) share its process group, so one signal reaches them all.
        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self._profile}", "--remote-debugging-port=0",
             f"--window-size={self.width},{self.height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            # Its other temporary files (the profile lock's socket) go in the profile too.
            env={**os.environ, "TMPDIR": self._profile})
        port = await self._debugging_port()
        target = await self._page_target(port)
        ws = await websockets.connect(target["webSocketDebuggerUrl"], max_size=None, ping_interval=None)
        self.page = Page(ws)
        await self.page.send("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                             deviceScaleFactor=1, mobile=False)

    async def _debugging_port(self):
        active = os.path.join(self._profile, "DevToolsActivePort")
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise CdpError(f"chromium exited with status {self.process.returncode} at start:\n{self.log_tail()}")
            try:
                with open(active) as f:
                    port = f.readline().strip()
                if port.isdigit():
                    return int(port)
            except FileNotFoundError:
                pass
            if time.monotonic() > deadline:
                raise CdpError(f"chromium wrote no {active} within {START_TIMEOUT_S} s:\n{self.log_tail()}")
            await asyncio.sleep(0.05)

    async def _page_target(self, port):
        """The page chromium opened at start (about:blank), from the DevTools HTTP list."""
        # Straight to the browser's loopback port, whatever proxy the environment names.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            with opener.open(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page" and "webSocketDebuggerUrl" in t]
            if pages:
                return pages[0]
            if time.monotonic() > deadline:
                raise CdpError(f"chromium on port {port} listed no page within {START_TIMEOUT_S} s")
            await asyncio.sleep(0.05)

    def log_tail(self, lines=20):
        try:
            with open(os.path.join(self._profile, "chromium.log"), "rb") as f:
                return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no chromium log)"

    async def close(self):
        """Stops the browser and every process of its group, then removes the profile.
        Safe to call more than once and after a failed start."""
        closing = False
        if self.page:
            page, self.page = self.page, None
            try:
                # Asked first, the browser shuts down as it would for a user.
                await asyncio.wait_for(page.send("Browser.close"), 5)
            except (CdpError, asyncio.TimeoutError, OSError, websockets.WebSocketException):
                pass
            closing = True
            try:
                await asyncio.wait_for(page.close(), 5)
            except (asyncio.TimeoutError, OSError, websockets.WebSocketException):
                pass
        if self.process:
            process, self.process = self.process, None
            await asyncio.get_running_loop().run_in_executor(None, stop_group, process, closing)
            self._log.close()
        if self._profile:
            profile, self._profile = self._profile, None
            remove_tree(profile)


def stop_group(process, closing, grace_s=5):
    """Gives a closing browser grace_s to exit, then SIGTERM to its process group, and
    SIGKILL to what is left after grace_s more."""
    try:
        if closing:
            process.wait(grace_s)
    except subprocess.TimeoutExpired:
        pass
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(grace_s)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    # Helpers can outlive the browser process by a moment; none may outlive the test.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
    deadline = time.monotonic() + grace_s
    while group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def remove_tree(path):
    """rmtree, again for a moment if a dying helper still wrote into it."""
    for _ in range(20):
        try:
            shutil.rmtree(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)
    shutil.rmtree(path)
