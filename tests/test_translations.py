"""The catalogue template holds every UI text, so that translators of other languages get all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def test_messages_pot_is_current(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "--no-location",
            "-o",
            str(fresh),
            "portal",
            "templates",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as f:
        extracted = {m.id for m in read_po(f) if m.id}
    with (ROOT / "portal" / "translations" / "messages.pot").open("rb") as f:
        committed = {m.id for m in read_po(f) if m.id}
    missing = sorted(str(m) for m in extracted - committed)
    assert not missing, f"run `make messages`; missing from messages.pot: {missing[:5]}"
