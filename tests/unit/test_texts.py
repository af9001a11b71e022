"""Core messages in two languages: a Text is its Indonesian string and carries English."""

from __future__ import annotations

import json
import pickle

from workflow.texts import Text
from workflow.texts import in_language


def test_text_is_the_indonesian_string() -> None:
    text = Text("baris 3: kolom 'nama' wajib diisi", "row 3: column 'nama' is required")
    assert text == "baris 3: kolom 'nama' wajib diisi" and isinstance(text, str)
    assert f"- {text}" == "- baris 3: kolom 'nama' wajib diisi"
    assert json.dumps([text]) == json.dumps(["baris 3: kolom 'nama' wajib diisi"])
    assert text.in_language("en") == "row 3: column 'nama' is required"
    assert text.in_language("id") == text


def test_text_survives_pickling() -> None:
    """Bulk export workers get messages through pickling."""
    copy = pickle.loads(pickle.dumps(Text("satu", "one")))  # noqa: S301 - our own bytes
    assert copy == "satu" and copy.en == "one"


def test_plain_strings_pass_through() -> None:
    assert in_language("Sudah diterjemahkan", "en") == "Sudah diterjemahkan"
    assert in_language(Text("dua", "two"), "en") == "two"
