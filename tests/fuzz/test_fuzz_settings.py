"""Fuzz `radar.toml` (`config.settings.load_settings` with RADAR_CONFIG pointing at it):
broken TOML, bytes that are not UTF-8, and every known key given values of the wrong type,
out of range or hostile. The settings load, or a ConfigError names the file and the reason."""

from __future__ import annotations

import json
import math
import os
from contextlib import contextmanager

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from config.settings import Settings, load_settings
from tests.fuzz.contract import attempt
from tests.fuzz.hostile import hostile_text, raw_bytes


def _keys(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every setting's dotted path, nested models walked."""
    keys = []
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            keys += _keys(kind, (*prefix, name))
        else:
            keys.append((*prefix, name))
    return keys


KEYS = _keys(Settings)


def _literal(value: object) -> str:
    """A TOML literal for a generated value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_literal(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string


toml_values = st.recursive(
    st.one_of(st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(), hostile_text,
              st.sampled_from(["", "Mars/Olympus", "127.0.0.1", "0.0.0.0", "../../etc/passwd",
                               "zh-TW", "xx", "/dev/null", "\u2028", "12:99", "-1"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(hostile_text, inner, max_size=3)),
    max_leaves=6,
)


@st.composite
def toml_files(draw) -> bytes:
    """A radar.toml: known keys with hostile values, maybe broken afterwards."""
    lines = []
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=6, unique=True)):
        lines.append(f"{'.'.join(json.dumps(k) for k in key)} = {_literal(draw(toml_values))}")
    text = "\n".join(lines)
    how = draw(st.integers(0, 5))
    if how == 0:
        text = text[: draw(st.integers(0, len(text)))]
    elif how == 1:
        text += "\n" + draw(hostile_text)
    elif how == 2:
        text += "\n[crawl]\n[crawl]\n"  # a table defined twice
    return text.encode("utf-8", "surrogatepass")


@contextmanager
def config_file(path):
    """RADAR_CONFIG pointing at `path` for the duration."""
    old = os.environ.get("RADAR_CONFIG")
    os.environ["RADAR_CONFIG"] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("RADAR_CONFIG", None)
        else:
            os.environ["RADAR_CONFIG"] = old


@pytest.fixture(scope="module")
def toml_path(tmp_path_factory):
    """Where each example's radar.toml is written."""
    return tmp_path_factory.mktemp("fuzz-settings") / "radar.toml"


@settings(deadline=2000)
@example(body=b"[crawl]\ntimeout_s = 5\n[web]\nport = 8765\n")
@example(body=b"[digest]\nhour = 'seven'\n")
@given(body=st.one_of(toml_files(), raw_bytes, hostile_text.map(str.encode)))
def test_radar_toml_loads_or_is_a_config_error_naming_the_file(toml_path, body):
    toml_path.write_bytes(body)
    with config_file(toml_path):
        got = attempt("settings.load_settings", load_settings)
    if isinstance(got, Exception):
        assert str(toml_path) in str(got) or "radar.toml" in str(got), got
        return
    assert isinstance(got, Settings)
