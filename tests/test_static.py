"""The vendored browser libraries are the files we recorded."""

import hashlib
import re
from pathlib import Path

from portal.templating import HTMX_FILE

STATIC = Path(__file__).resolve().parent.parent / "static"


def test_htmx_is_the_pinned_release():
    content = (STATIC / HTMX_FILE).read_bytes()
    assert hashlib.sha256(content).hexdigest() == (
        "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
    )
    assert b'version:"2.0.11"' in content


def test_pages_load_htmx_from_our_own_static_folder(client):
    html = client.get("/login").get_data(as_text=True)
    assert f'src="/static/{HTMX_FILE}"' in html
    assert "://" not in html.split("<body")[0].replace("http-equiv", "")


def test_the_vendored_icons_are_the_recorded_lucide_files_with_their_licence():
    folder = STATIC / "vendor" / "lucide-1.62.0"
    assert "ISC License" in (folder / "LICENSE").read_text()
    recorded = dict(
        reversed(line.split("  ")) for line in (folder / "SHA256SUMS").read_text().splitlines()
    )
    for name, digest in recorded.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    css = (STATIC / "portal.css").read_text()
    used = set(re.findall(r'url\("vendor/lucide-1\.62\.0/(icons/[a-z-]+\.svg)"\)', css))
    assert len(used) == 9
    assert used <= set(recorded)  # every icon the stylesheet draws is a recorded file


def test_icons_stand_next_to_a_word_and_are_hidden_from_screen_readers(client, world):
    from selectolax.parser import HTMLParser

    client.login(world.toeleider.email)
    page = HTMLParser(client.get("/queue/").get_data(as_text=True))
    icons = page.css(".icon")
    assert len(icons) >= 5
    for icon in icons:
        assert icon.attributes.get("aria-hidden") == "true"
        assert icon.parent.text(strip=True)  # a word beside it
