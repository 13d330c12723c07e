"""Generative writers: a local `transformers` causal LM (configured path, offline) and an
OpenAI-compatible chat endpoint (the model access is nlp/chat.py). Both get the evidence of
commentary.writers.build_prompt and their output goes through the same claim check as the
extractive writer's."""

from __future__ import annotations

import os
from dataclasses import dataclass

from commentary.records import Statement
from commentary.writers import SectionBrief, build_prompt, parse_generated
from config.errors import ConfigError
from nlp.chat import EndpointChat, LocalChat, resolve_model_dir


@dataclass
class TransformersWriter(LocalChat):
    """A commentary writer over a local causal LM (safetensors or GGUF), greedy, CPU."""

    name: str = "transformers"

    @classmethod
    def from_settings(cls, settings) -> TransformersWriter:
        """From ``CommentarySettings`` (model_dir or model_package, gguf_file, max_new_tokens)."""
        path = resolve_model_dir(settings.model_dir, settings.model_package)
        if settings.gguf_file and not (path / settings.gguf_file).is_file():
            raise ConfigError(f"commentary.gguf_file {settings.gguf_file!r} not found in {path}")
        label = f"{path.name}/{settings.gguf_file}" if settings.gguf_file else path.name
        return cls(path, settings.gguf_file, settings.max_new_tokens, model=label)

    def write(self, query: str, brief: SectionBrief) -> list[Statement]:
        """Generate one section from the evidence; statements cite evidence keys."""
        if not brief.evidence:
            return []
        return parse_generated(self.complete(build_prompt(query, brief)), brief)


@dataclass
class OpenAIWriter(EndpointChat):
    """A commentary writer over an OpenAI-compatible ``/chat/completions`` endpoint."""

    name: str = "openai"

    @classmethod
    def from_settings(cls, settings) -> OpenAIWriter:
        """From ``CommentarySettings`` (endpoint, model, api_key_env, timeout_s)."""
        if not settings.endpoint.startswith(("http://", "https://")):
            raise ConfigError("commentary.endpoint must be an http(s) URL of an OpenAI-compatible "
                              f"API (e.g. http://127.0.0.1:8000/v1), not {settings.endpoint!r}")
        if not settings.model:
            raise ConfigError("commentary.model is empty: name the model the endpoint serves")
        return cls(settings.endpoint.rstrip("/"), settings.model,
                   os.environ.get(settings.api_key_env, ""), settings.timeout_s,
                   settings.max_new_tokens)

    def write(self, query: str, brief: SectionBrief) -> list[Statement]:
        """Generate one section from the evidence; statements cite evidence keys."""
        if not brief.evidence:
            return []
        return parse_generated(self.complete(build_prompt(query, brief)), brief)
