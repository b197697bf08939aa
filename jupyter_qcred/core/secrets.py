"""Every credential value of the user, as the providers read it from the SDKs' files, and exact-match redaction.

The leak guard (kernel output, saved notebooks, ``jupyter qcred scan``) needs the *values* the SDK files hold, not
their statuses: each provider lists them with :meth:`~jupyter_qcred.core.provider.Provider.secret_values` as
:class:`Secret` objects, which carry what a person may see instead (:meth:`Secret.label`: the provider, the
credential's name, the kind of value and its last four characters) and never show the value in a ``repr``.

:class:`SecretIndex` keeps them current for a long-lived process (a kernel calls it before every message): it
re-reads a provider only when one of its ``watched_paths()`` changed (inode, mtime, size), so a call costs a few
``stat`` calls; a file changed within the last two seconds is re-read on every call until it is older, because a
filesystem's clock ticks coarsely and two in-place writes of the same size within one tick look alike (git's "racily
clean" rule). It also keeps every value it saw earlier in this process (``recent``): an SDK object still holds a
rotated token in memory and may print it. Values that were current and disappeared are handed to
:class:`~jupyter_qcred.core.rotated.RotatedValues`, which remembers their hashes only.

Matching is exact substring only, so an ordinary hash or identifier never matches; values shorter than
:data:`MIN_LENGTH` characters are never indexed (a short value would match ordinary text). Besides the bare value,
which also covers the ``Bearer …`` and ``apiKey …`` header forms, :func:`encodings` gives the obvious encoded forms.
What is not caught: a value split across two writes (``write(v[:10]); flush(); write(v[10:])``), and encodings
other than those below (a value inside a larger base64 blob, hex, reversed...): the guard stops accidents, not a
person determined to print a token.

This module is imported in every kernel: it imports nothing of Jupyter, of any provider, nor ``typing``.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import os
import threading
import time

TYPE_CHECKING = False  # not ``typing``: imported in every kernel, see core/importhook.py
if TYPE_CHECKING:
    import re
    from collections.abc import Callable, Iterable

    from .provider import Provider
    from .rotated import RotatedValues

#: Values shorter than this are never indexed: they would match ordinary text.
MIN_LENGTH = 8
#: Values at least this long show their last four characters in a label (a shorter one would give too much away).
TAIL_LENGTH = 16
#: Forms are checked in groups sharing this many first characters (see ``SecretIndex._rebuild``).
PREFIX = 12
#: Texts at least this long are searched by probes (see ``_probe``).
LARGE = 1 << 16
#: A file whose mtime is this recent (ns) is re-read on every call (see the module docstring).
RACY_NS = 2_000_000_000


@dataclasses.dataclass(frozen=True)
class Secret:
    """One credential value a provider's SDK files hold, and how to name it without showing it."""

    value: str = dataclasses.field(repr=False)
    #: The provider's key ("ibm").
    provider: str
    #: The provider's title ("IBM Quantum").
    title: str
    #: The account or profile name.
    name: str
    #: What the value is: "key", "access token", "refresh token", "secret access key", "session token"...
    kind: str
    #: The file it was read from.
    path: str | None = None
    #: A user name the value is sent with as HTTP Basic auth (base64 of ``user:value`` is matched too).
    user: str | None = dataclasses.field(default=None, repr=False)

    def label(self) -> str:
        """What is shown instead of the value: ``<IBM Quantum key ‘name’ …abcd>`` (no tail for a short value)."""
        tail = f" …{self.value[-4:]}" if len(self.value) >= TAIL_LENGTH else ""
        return f"<{self.title} {self.kind} ‘{self.name}’{tail}>"


def _b64(data: str, urlsafe: bool = False) -> list[str]:
    """The base64 of ``data`` with its padding, then without (longest first, so the padding goes too)."""
    raw = data.encode("utf-8")
    encoded = (base64.urlsafe_b64encode(raw) if urlsafe else base64.b64encode(raw)).decode("ascii")
    return [encoded, encoded.rstrip("=")]


def encodings(secret: Secret) -> list[str]:
    """The encoded forms of ``secret`` matched besides its bare value (the bare value already covers the header
    forms ``Bearer v`` and ``apiKey v``).

    - standard and URL-safe base64 of the value, when it has at least :data:`TAIL_LENGTH` characters;
    - standard base64 of ``user:value`` (HTTP Basic auth) when the provider knows the user (:attr:`Secret.user`).

    Each comes with its padding and without (padded and unpadded text both match). A provider that knows another form
    its SDK uses lists it as a further :class:`Secret` whose value is that form.
    """
    forms: list[str] = []
    if len(secret.value) >= TAIL_LENGTH:
        forms += _b64(secret.value) + _b64(secret.value, urlsafe=True)
    if secret.user:
        forms += _b64(f"{secret.user}:{secret.value}")
    unique: list[str] = []
    for form in forms:
        if form not in unique and form != secret.value and len(form) >= MIN_LENGTH:
            unique.append(form)
    return unique


@dataclasses.dataclass(frozen=True)
class TokenFormat:
    """A public token format of a cloud (``jupyter qcred scan``: tokens that are not the user's own), recognised
    by ``pattern`` and, when given, confirmed by ``check`` (a JWT's issuer, say)."""

    provider: str
    title: str
    #: What is found, for a person: "an IBM Cloud API key".
    description: str
    #: A regular expression; group 0 (or the group named ``token``) is the token.
    pattern: str
    check: Callable[[str], bool] | None = None


#: A JSON Web Token as it appears in text (header and payload are base64url JSON objects, so both start ``eyJ``).
JWT_PATTERN = r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"


def jwt_claims(token: str) -> dict[str, object] | None:
    """The payload of a JWT, decoded without checking its signature (to recognise its issuer), or None when
    ``token`` is not one."""
    import json

    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


def jwt_issuer_host(token: str) -> str | None:
    """The host of a JWT's ``iss`` claim (lower case), or None."""
    from urllib.parse import urlsplit

    claims = jwt_claims(token)
    issuer = claims.get("iss") if claims else None
    if not isinstance(issuer, str):
        return None
    try:
        return (urlsplit(issuer).hostname or "").lower() or None
    except ValueError:
        return None


def _signature(path: object) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)  # type: ignore[arg-type]
    except (OSError, ValueError):
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def _unique(secrets: Iterable[Secret]) -> list[Secret]:
    """Long enough values, each once (the first name wins: a token in two files, or in a hand-off's two entries)."""
    seen: set[str] = set()
    kept: list[Secret] = []
    for secret in secrets:
        if len(secret.value) >= MIN_LENGTH and secret.value not in seen:
            seen.add(secret.value)
            kept.append(secret)
    return kept


def _probe(form: str, crowded: frozenset[int]) -> str | None:
    """What to look for first in a large text, so that an absent form is ruled out fast: the longest part of
    ``form`` holding no character whose low six bits are in ``crowded`` (the text's own characters, sampled), when
    CPython's search moves faster with it than with the whole form; else None (look for the form itself).

    CPython searches a long text with a table of 64 slots indexed by the low six bits of the text's character at the
    end of the window, and moves the window by the needle's length when that character does not occur in the needle,
    by its distance from the needle's end otherwise. A part free of the text's characters moves by its whole length
    at every step; the whole form moves, on average over the text's characters, by what the table says. A key
    holding an ``x`` searched in ``print("x" * 10_000_000)`` moves by one: ten times slower than its clean part."""
    best, start = "", 0
    last: dict[int, int] = {}
    for end in range(len(form) + 1):
        if end < len(form):
            last[ord(form[end]) & 63] = end
        if end == len(form) or ord(form[end]) & 63 in crowded:
            if end - start > len(best):
                best = form[start:end]
            start = end + 1
    if len(best) < MIN_LENGTH or len(best) >= len(form) or not crowded:
        return None
    moves = [len(form) - 1 - last[c] if c in last else min(len(form), 255) for c in crowded]
    return best if len(best) > sum(moves) / len(moves) else None


class _Watched:
    """One provider's values and the file signatures they were read at."""

    __slots__ = ("paths", "provider", "racy_until", "signatures", "values")

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.paths: list[object] = []
        self.signatures: list[tuple[int, int, int] | None] | None = None
        self.values: list[Secret] = []
        self.racy_until = 0


class SecretIndex:
    """The credential values of ``providers``, kept current, and exact-match redaction (see the module docstring).

    Thread-safe: a kernel sends from its main thread and its IOPub thread.
    """

    def __init__(self, providers: Iterable[Provider], rotated: RotatedValues | None = None) -> None:
        self._watched = [_Watched(provider) for provider in providers]
        self._rotated = rotated
        #: Values seen earlier in this process that the files no longer hold (still redacted).
        self.recent: list[Secret] = []
        self._lock = threading.RLock()
        self._forms: list[tuple[str, Secret]] = []
        self._groups: list[tuple[str, list[tuple[str, Secret]]]] = []
        self._stems: list[tuple[str, list[tuple[str, Secret]]]] = []
        self._regex: dict[tuple[str, ...], re.Pattern[str]] = {}

    def _changed(self, watched: _Watched, now: int) -> bool:
        if watched.signatures is None or now < watched.racy_until:
            return True
        return [_signature(path) for path in watched.paths] != watched.signatures

    def _reread(self, watched: _Watched, now: int) -> bool:
        """Read the provider's values again; whether they changed. A provider that fails (a file being rewritten in
        place, a provider bug) keeps its old values and is tried again on every call for the next two seconds, then
        whenever its files change."""
        provider = watched.provider
        try:
            paths: list[object] = list(provider.watched_paths())
        except Exception:
            paths = watched.paths
        signatures = [_signature(path) for path in paths]
        watched.paths, watched.signatures = paths, signatures
        try:
            values = _unique(provider.secret_values())
        except Exception:
            watched.racy_until = now + RACY_NS
            return False
        newest = max((sig[1] for sig in signatures if sig is not None), default=0)
        watched.racy_until = newest + RACY_NS if now - newest < RACY_NS else 0
        old, watched.values = watched.values, values
        kept = {secret.value for secret in values}
        gone = [secret for secret in old if secret.value not in kept]
        if gone:
            known = {secret.value for secret in self.recent}
            self.recent += [secret for secret in gone if secret.value not in known]
            if self._rotated is not None:
                # a read-only home: redaction matters more than the memory of rotations
                with contextlib.suppress(Exception):
                    self._rotated.record(gone)
        return old != values

    def current(self) -> list[Secret]:
        """The values the SDK files hold now, re-reading only the providers whose files changed."""
        with self._lock:
            now = time.time_ns()
            changed = False
            for watched in self._watched:
                if self._changed(watched, now) and self._reread(watched, now):
                    changed = True
            if changed or (not self._forms and any(w.values for w in self._watched)):
                self._rebuild()
            return [secret for watched in self._watched for secret in watched.values]

    def known(self) -> list[Secret]:
        """Every value matched: the current ones (re-read if their files changed) and the recent ones."""
        current = self.current()
        return current + [secret for secret in self.recent if secret not in current]

    def _rebuild(self) -> None:
        """Every form of every known value, longest first (so a value inside a longer form is never half-matched),
        and the forms grouped by their first :data:`PREFIX` characters: one ``in`` check per group rules out every
        form of it (JWTs share their header, a padded base64 form starts with the unpadded one)."""
        forms: dict[str, Secret] = {}
        current = [secret for watched in self._watched for secret in watched.values]
        for secret in current + self.recent:
            for form in [secret.value, *encodings(secret)]:
                forms.setdefault(form, secret)
        ordered = sorted(forms.items(), key=lambda item: -len(item[0]))
        groups: dict[str, list[tuple[str, Secret]]] = {}
        for form, secret in ordered:
            groups.setdefault(form[:PREFIX], []).append((form, secret))
        stems: dict[str, list[tuple[str, Secret]]] = {}
        for form, secret in ordered:
            stems.setdefault(form.rstrip("="), []).append((form, secret))
        self._forms = ordered
        self._groups = list(groups.items())
        self._stems = list(stems.items())
        self._regex.clear()

    def _present(self, text: str, refresh: bool) -> list[tuple[str, Secret]]:
        if refresh:
            self.current()
        if len(text) >= LARGE:
            return self._present_large(text)
        present: list[tuple[str, Secret]] = []
        for prefix, forms in self._groups:
            if prefix in text:
                present += [(form, secret) for form, secret in forms if form in text]
        return present

    def _present_large(self, text: str) -> list[tuple[str, Secret]]:
        """The forms in a large text, each first looked for by a part of it that CPython's search skips over
        quickly in this text (see :func:`_probe`): a form whose part is absent is absent."""
        step = len(text) // 8
        sample = "".join(text[i * step : i * step + 512] for i in range(8)) + text[-512:]
        crowded = frozenset(ord(char) & 63 for char in set(sample))
        present: list[tuple[str, Secret]] = []
        for stem, forms in self._stems:  # a padded base64 form is only looked for when its unpadded stem is there
            probe = _probe(stem, crowded)
            if (probe is None or probe in text) and stem in text:
                present += [(form, secret) for form, secret in forms if form == stem or form in text]
        return present

    def _pattern(self, present: list[tuple[str, Secret]]) -> re.Pattern[str]:
        key = tuple(form for form, _ in present)
        pattern = self._regex.get(key)
        if pattern is None:
            import re

            pattern = re.compile("|".join(re.escape(form) for form in key))
            if len(self._regex) > 64:
                self._regex.clear()
            self._regex[key] = pattern
        return pattern

    def find(self, text: str, *, refresh: bool = True) -> list[tuple[Secret, int, int]]:
        """Every occurrence of a known value or one of its encodings in ``text``: (secret, start, end), in order.
        ``refresh=False`` skips checking the files (a caller that just called :meth:`current` for many strings)."""
        present = self._present(text, refresh)
        if not present:
            return []
        by_form = dict(present)
        return [(by_form[m.group()], m.start(), m.end()) for m in self._pattern(present).finditer(text)]

    def redact(self, text: str, *, refresh: bool = True, html: bool = False) -> tuple[str, list[Secret]]:
        """``text`` with every known value and encoding replaced by its secret's label, and the secrets found
        (each once, in order of first occurrence). Plain ``in`` checks first: text holding no value is returned as
        it is, without a regular expression. ``refresh`` as for :meth:`find`; ``html``: the labels are escaped
        (``&lt;…&gt;``), for HTML, SVG and Markdown, where a bare ``<…>`` would be taken for a tag and hidden."""
        present = self._present(text, refresh)
        if not present:
            return text, []
        by_form = dict(present)
        found: list[Secret] = []

        def label(match: re.Match[str]) -> str:
            secret = by_form[match.group()]
            if secret not in found:
                found.append(secret)
            return secret.label().replace("<", "&lt;").replace(">", "&gt;") if html else secret.label()

        return self._pattern(present).sub(label, text), found
