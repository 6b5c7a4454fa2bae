"""A municipality's logo for the letterhead: a PNG re-encoded or an SVG reduced to drawing.

What an admin uploads is printed on every slip and letter and served to every browser of
the portal, so nothing of the upload is kept as it came: a PNG is decoded and written anew
(no text chunks, no trailing data), an SVG goes through svg-hush, which keeps what draws and
drops scripts, event handlers, foreign objects and links to elsewhere.
"""

from __future__ import annotations

import io
import warnings

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError
from py_svg_hush import filter_svg

LOGO_MAX_BYTES = 200_000
LOGO_MAX_PIXELS = 2000
PNG, SVG = "image/png", "image/svg+xml"
_SVG_ROOT = "{http://www.w3.org/2000/svg}svg"


class LogoError(ValueError):
    """The upload cannot be a logo; the message says why, in Dutch."""


def clean_logo(data: bytes) -> tuple[bytes, str]:
    """The sanitised logo and its media type, or LogoError."""
    if not data:
        raise LogoError(_("Het bestand is leeg."))
    if len(data) > LOGO_MAX_BYTES:
        raise LogoError(
            _("Het logo mag ten hoogste %(kb)d kB groot zijn.", kb=LOGO_MAX_BYTES // 1000)
        )
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _clean_png(data), PNG
    return _clean_svg(data), SVG


def _clean_png(data: bytes) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if max(image.size) > LOGO_MAX_PIXELS:
                    raise LogoError(
                        _(
                            "Het logo mag ten hoogste %(px)d beeldpunten breed en hoog zijn.",
                            px=LOGO_MAX_PIXELS,
                        )
                    )
                image.load()
                out = io.BytesIO()
                image.save(out, format="PNG", optimize=True)
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise LogoError(_("Dit is geen leesbaar PNG-bestand.")) from exc
    return out.getvalue()


def _clean_svg(data: bytes) -> bytes:
    # Read first without entities or network (an entity bomb never reaches svg-hush).
    try:
        root = fromstring(data, forbid_dtd=True)
        cleaned: bytes = filter_svg(data, None)
    except (ValueError, ParseError, DefusedXmlException) as exc:
        raise LogoError(_("Kies een PNG- of SVG-bestand.")) from exc
    if root.tag != _SVG_ROOT or len(cleaned) > LOGO_MAX_BYTES:
        raise LogoError(_("Kies een PNG- of SVG-bestand."))
    return cleaned
