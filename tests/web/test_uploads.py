"""Upload file names: whatever the client sends, the file stays in its folder."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from astrolens.web.uploads import safe_filename


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=300)))
def test_safe_filename_cannot_leave_its_folder(name):
    safe = safe_filename(name)
    assert 0 < len(safe) <= 120
    assert "/" not in safe and "\\" not in safe
    assert not safe.startswith(".")
    folder = Path("/srv/uploads")
    assert (folder / safe).resolve().parent == folder


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,60}\.(fits|csv|fits\.gz)", fullmatch=True))
def test_plain_names_are_kept(name):
    assert safe_filename(name) == name
    assert safe_filename(f"C:\\Users\\me\\{name}") == name
    assert safe_filename(f"../../{name}") == name
