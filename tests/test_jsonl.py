"""config.jsonl: the one JSON-lines input reader."""

import json

import pytest

from config.errors import BadInputError
from config.jsonl import read_jsonl


def test_values_with_their_line_numbers_blank_lines_skipped(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps({"id": "a"}) + "\n\n  \n" + json.dumps([1, 2]) + "\n",
                    encoding="utf-8")
    assert read_jsonl(path) == [(1, {"id": "a"}), (4, [1, 2])]


def test_a_line_separator_inside_a_string_does_not_split_the_line(tmp_path):
    # json.dumps(ensure_ascii=False) leaves U+2028 raw; str.splitlines would cut the line there
    path = tmp_path / "zh.jsonl"
    row = {"id": "z", "text": "第一段\u2028第二段"}
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    assert read_jsonl(path) == [(1, row)]


def test_bad_lines_and_unreadable_files_name_the_problem(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\nnot json\n', encoding="utf-8")
    with pytest.raises(BadInputError, match=r"bad.jsonl:2: not JSON"):
        read_jsonl(bad)
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"text": "caf\xe9"}\n')
    with pytest.raises(BadInputError, match="cannot read"):
        read_jsonl(latin)
    with pytest.raises(BadInputError, match="cannot read"):
        read_jsonl(tmp_path / "missing.jsonl")
