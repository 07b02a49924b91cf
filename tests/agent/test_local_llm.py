"""The ``local`` backend for real: xllamacpp serves SmolLM2-135M on loopback, ChatOpenAI talks to it."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

from medbrain.agent.llm import LLMSettings, backend_description, make_chat_model
from medbrain.agent.local_server import LocalLLMServer, port_is_open, stop_all_local_servers
from medbrain.agent.toolcalls import FencedToolCallChatModel
from medbrain.errors import ConfigError

pytestmark = pytest.mark.llm_local

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_status(url: str, api_key: str | None = None) -> int:
    request = urllib.request.Request(url)
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with NO_PROXY.open(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture(scope="module")
def settings(smollm2_gguf: Path) -> LLMSettings:
    # One thread: steady on a shared 2-core machine (2 threads collapse when the CPU is busy).
    return LLMSettings(backend="local", gguf=str(smollm2_gguf), max_tokens=32, n_threads=1, n_ctx=2048)


@pytest.fixture(scope="module")
def local_model(settings: LLMSettings):
    model = make_chat_model(settings)
    yield model
    port = urlsplit(model.inner.openai_api_base).port
    stop_all_local_servers()
    assert not port_is_open("127.0.0.1", port), "the local LLM server still listens after stop"


def test_local_backend_is_chatopenai_on_loopback(local_model):
    assert isinstance(local_model, FencedToolCallChatModel)
    inner = local_model.inner
    assert isinstance(inner, ChatOpenAI)
    url = urlsplit(inner.openai_api_base)
    assert url.hostname == "127.0.0.1" and url.path == "/v1" and url.port
    assert http_status(f"http://127.0.0.1:{url.port}/health") == 200
    # Other local processes cannot use it without the per-process key.
    assert http_status(f"http://127.0.0.1:{url.port}/v1/models") == 401


def test_local_generation_returns_text(local_model):
    answer = local_model.invoke("Name one colour of the sky. Answer in one short sentence.")
    assert isinstance(answer, AIMessage)
    assert isinstance(answer.content, str) and answer.content.strip()
    assert 0 < answer.usage_metadata["output_tokens"] <= 32


def test_local_streaming_yields_chunks(local_model):
    chunks = list(local_model.stream("Count from one to five."))
    texts = [c.text for c in chunks if c.text]
    assert len(texts) >= 2
    assert "".join(texts).strip()


def test_local_model_with_tools_answers_a_message(local_model):
    @tool
    def measure(region: str) -> str:
        """Volume of a tumour region (WT, TC or ET) in mL."""
        return "12.07"

    answer = local_model.bind_tools([measure]).invoke("How large is the enhancing tumour (ET)?", max_tokens=48)
    assert isinstance(answer, AIMessage)
    assert answer.content or answer.tool_calls or answer.invalid_tool_calls
    assert all(call["name"] == "measure" for call in answer.tool_calls)


def test_factory_reuses_the_running_server(local_model, settings):
    again = make_chat_model(settings)
    assert again.inner.openai_api_base == local_model.inner.openai_api_base
    assert backend_description(settings)["gguf"] == "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_server_context_manager_starts_and_stops(smollm2_gguf):
    with LocalLLMServer(smollm2_gguf, n_threads=1, n_ctx=512, model_alias="smol") as server:
        port = server.port
        assert server.is_running and server.start_seconds is not None
        assert http_status(server.base_url + "/models", server.api_key) == 200
        assert server.start() is server  # idempotent
    assert not server.is_running
    assert not port_is_open("127.0.0.1", port)
    server.stop()  # idempotent


def test_unloadable_gguf_is_a_config_error(tmp_path, smollm2_gguf):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(smollm2_gguf.read_bytes()[:4096])  # right magic, truncated
    with pytest.raises(ConfigError, match="could not load"):
        LocalLLMServer(broken, n_threads=1, n_ctx=512).start()
