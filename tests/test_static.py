"""The vendored browser libraries are the files we recorded."""

import hashlib
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
