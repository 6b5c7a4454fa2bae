"""The catalogue template holds every UI text, and the English catalogue translates each."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
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


ENGLISH = ROOT / "portal" / "translations" / "en" / "LC_MESSAGES"
# The placeholders a translation must keep: %(name)s for the screens, {name} for messages.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def test_every_text_has_an_english_translation_with_the_same_placeholders():
    english = _read(ENGLISH / "messages.po")
    untranslated, broken = [], []
    for message in _read(ROOT / "portal" / "translations" / "messages.pot"):
        if not message.id:
            continue
        translated = english.get(message.id)
        strings = translated.string if translated is not None else None
        forms = list(strings) if isinstance(strings, tuple | list) else [strings]
        if not all(forms) or message.fuzzy or (translated is not None and translated.fuzzy):
            untranslated.append(message.id)
            continue
        # English has Dutch's two plural forms: singular to singular, plural to plural.
        sources = list(message.id) if isinstance(message.id, tuple | list) else [message.id]
        for source, form in zip(sources, forms, strict=True):
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(form)):
                broken.append((message.id, form))
    assert not untranslated, f"translate in messages.po (en): {untranslated[:5]}"
    assert not broken, f"placeholders differ from the Dutch: {broken[:5]}"


def test_the_english_translations_are_not_the_dutch_copied():
    english = _read(ENGLISH / "messages.po")
    # Names and codes read the same in both languages.
    same_in_both = {
        "Onthaalportaal",
        "KPI",
        "KPI's",
        "Code",
        "Partner",
        "partner",
        "Filter",
        "Status",
        "Privacy",
        "Moment",
        "Agenda",
        "Contact",
        "Dossier",
        "E-mail",
        "e-mail",
        "Week",
        "sport",
        "Totaal",
    }
    copied = [
        m.id
        for m in english
        if m.id and isinstance(m.id, str) and m.string == m.id and m.id not in same_in_both
    ]
    assert len(copied) <= 12, copied


def test_the_compiled_catalogue_is_the_one_of_the_po_file():
    compiled = io.BytesIO()
    write_mo(compiled, _read(ENGLISH / "messages.po"))
    committed = (ENGLISH / "messages.mo").read_bytes()
    assert compiled.getvalue() == committed, "run `make messages` to compile messages.mo"
