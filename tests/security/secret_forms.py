"""Random secrets and every form they can be written in, computed with the standard library's own
encoders (not with the redaction's patterns), so a form the redaction misses is caught."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

from hypothesis import strategies as st

# what a careless message, log line or URL does to text: escapes, quotes, encodings
NASTY = "\r\n\t\x01\x1b\x7f'\"\\%+ /&=?#é€😀\u2028\xa0*"


def _usable(secret: str) -> bool:
    # the environment holds neither NUL nor lone surrogates; surrounding whitespace is stripped
    return len(secret) >= 8 and secret == secret.strip()


SECRETS = st.text(
    alphabet=st.one_of(
        st.sampled_from(NASTY),
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    ),
    min_size=8,
    max_size=32,
).filter(_usable)

HEADER_SAFE_SECRETS = st.text(
    alphabet=st.one_of(
        st.sampled_from("'\"\\%+ /&=?#*"), st.characters(min_codepoint=0x21, max_codepoint=0x7E)
    ),
    min_size=8,
    max_size=32,
).filter(_usable)


def written_forms(secret: str) -> set[str]:
    """The secret raw, in a Python repr or ascii() (of the text or of its UTF-8 bytes), JSON-escaped
    (ASCII or not), URL-encoded (path, query, form), and a repr of its JSON form."""
    forms = {
        secret,
        repr(secret)[1:-1],
        ascii(secret)[1:-1],
        repr(secret.encode("utf-8"))[2:-1],
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(json.dumps(secret))[2:-2],
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        quote_plus(secret, safe=""),
    }
    return {form for form in forms if form}


def leaks(secret: str, texts: list[str]) -> list[str]:
    """Each text that holds a form of ``secret``, shortened to the place it appears."""
    found = []
    for text in texts:
        for form in written_forms(secret):
            at = text.find(form)
            if at >= 0:
                found.append(f"{form!r} in …{text[max(0, at - 80) : at + len(form) + 80]!r}…")
    return found
