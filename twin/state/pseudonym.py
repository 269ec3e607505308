"""Pseudonymisation of people's identifiers and encryption of their names at rest.

One secret key per community (32 random bytes in a file readable by its owner only) gives two
keys: an HMAC-SHA256 key for identifiers (card numbers, face ids, plates become
``hmac(key, normalised token)``: the same person always maps to the same pseudonym, and
nobody without the key can test a guessed card number against the database), and a Fernet key
(AES-128-CBC with HMAC, from ``cryptography``) for names and plates, which only a role allowed
to see them gets decrypted.

The key lives apart from the databases (``$XDG_CONFIG_HOME/community-twin/keys/``, or the
file ``TWIN_PEOPLE_KEY`` names), so a copy of the event log alone reveals no name and no
identifier.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from twin.core.errors import InputError

KEY_BYTES = 32


def default_key_path(event_db: str | Path) -> Path:
    """The key of the community whose event log is ``event_db``: ``TWIN_PEOPLE_KEY`` or
    ``$XDG_CONFIG_HOME/community-twin/keys/<event log's name>-<hash of its path>.key``."""
    env = os.environ.get("TWIN_PEOPLE_KEY")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    resolved = str(Path(event_db).expanduser().resolve())
    tag = hashlib.sha256(resolved.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    stem = re.sub(r"[^\w.-]+", "-", Path(resolved).parent.name or "twin").strip("-.") or "twin"
    return Path(base) / "community-twin" / "keys" / f"{stem}-{tag}.key"


def normalise(token: str) -> str:
    """The form of an identifier that is hashed: trimmed, upper case, without spaces, dots
    and dashes (``"粤B 12345"``, ``"粤b-12345"`` -> ``"粤B12345"``)."""
    return re.sub(r"[\s.\-·_]+", "", token).upper()


class Pseudonymiser:
    """Keyed hashes and encryption with one community's key (thread-safe: no state changes)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a people key has {KEY_BYTES} bytes, not {len(key)}")
        self._hmac_key = hmac.new(key, b"twin-people-id", hashlib.sha256).digest()
        fkey = hmac.new(key, b"twin-people-name", hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(fkey))
        self.fingerprint = hmac.new(key, b"twin-people-fingerprint", hashlib.sha256).hexdigest()[
            :16
        ]
        """Names the key without revealing it (kept in the database to notice a changed key)."""

    @classmethod
    def open(cls, path: str | Path, create: bool = True) -> Pseudonymiser:
        """The key in ``path``; made (owner-only) when it does not exist and ``create``."""
        p = Path(path)
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            if not create:
                raise InputError(
                    p,
                    "does not exist: without the community's people key, names and identifiers "
                    "cannot be read.",
                    "Copy the key file from the machine that imported the register, or set "
                    "TWIN_PEOPLE_KEY to its path.",
                ) from None
            try:
                p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                key = secrets.token_bytes(KEY_BYTES)
                fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(key)
                return cls(key)
            except FileExistsError:  # another process made it meanwhile
                data = p.read_bytes()
            except OSError as exc:
                raise InputError(p, f"cannot be created ({exc.strerror}).") from None
        except OSError as exc:
            raise InputError(p, f"cannot be read ({exc.strerror}).") from None
        if len(data) != KEY_BYTES:
            raise InputError(
                p,
                f"is not a people key ({len(data)} bytes, a key has {KEY_BYTES}).",
                "Restore the original key file, or move this one away to start with a new key "
                "(import the register again afterwards).",
            )
        return cls(data)

    def pseudonym(self, token: str) -> str:
        """The keyed hash of an identifier (32 hex characters)."""
        digest = hmac.new(
            self._hmac_key, normalise(token).encode("utf-8", "surrogatepass"), hashlib.sha256
        )
        return digest.hexdigest()[:32]

    def encrypt(self, text: str) -> bytes | None:
        """``text`` encrypted (None for an empty text: nothing is stored)."""
        if not text:
            return None
        return self._fernet.encrypt(text.encode("utf-8", "surrogatepass"))

    def decrypt(self, blob: bytes | None) -> str:
        """The clear text of :meth:`encrypt`'s output ('' for None; '?' when it was encrypted
        with another key)."""
        if not blob:
            return ""
        try:
            return self._fernet.decrypt(bytes(blob)).decode("utf-8", "surrogatepass")
        except InvalidToken:
            return "?"
