"""Local users with scrypt password hashes, HMAC-signed session cookies and CSRF tokens.

Everything here is stdlib: a session is a small JSON payload signed with the server's key;
a CSRF token is an HMAC of the session's random id, so a form posted from another site
(which cannot read our cookie) never carries a valid token. A signature alone does not log
anyone in: web.sessions also checks the session against the sessions file (revoked at logout
or when its user leaves the config).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass

from config.errors import ConfigError
from config.settings import WebSettings

log = logging.getLogger(__name__)

_N, _R, _P = 2**14, 8, 1


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A storable scrypt hash: ``scrypt:N:r:p:<salt>:<hash>`` (base64url).

    Example:
        >>> hash_password("s3cret").startswith("scrypt:16384:8:1:")
        True
    """
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt:{_N}:{_R}:{_P}:{_b64(salt)}:{_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches a hash from `hash_password` (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split(":")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(_unb64(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, _unb64(digest))


_DUMMY_HASH = hash_password("not a password", salt=b"0" * 16)


def check_login(web: WebSettings, username: str, password: str) -> bool:
    """Whether a configured user gave the right password (unknown users cost the same time)."""
    stored = web.users.get(username)
    ok = verify_password(password, stored or _DUMMY_HASH)
    return ok and stored is not None


def validate_users(web: WebSettings) -> None:
    """Refuse to serve without users or with a user whose entry is not a scrypt hash.

    Raises:
        ConfigError: no users, or a plain-text / malformed password entry.
    """
    if not web.users:
        raise ConfigError(
            "web UI: no users configured; add `[web.users]` name = \"<hash>\" to radar.toml "
            "(make the hash with `radar hash-password`) or set RADAR_WEB__USERS='{\"name\": \"<hash>\"}'"
        )
    for name, stored in web.users.items():
        parts = stored.split(":")
        if len(parts) != 6 or parts[0] != "scrypt":
            raise ConfigError(f"web UI: user {name!r} has no scrypt hash (use `radar hash-password`)")


def secret_key(web: WebSettings) -> bytes:
    """The signing key from the env var `web.secret_key_env`, else a random per-process key."""
    value = os.environ.get(web.secret_key_env, "")
    if value:
        return value.encode("utf-8")
    log.warning("%s is not set: a random session key is used (logins end on restart)",
                web.secret_key_env)
    return secrets.token_bytes(32)


@dataclass(frozen=True)
class Session:
    """A browser session: a random id (anonymous until login) and the user, if logged in."""

    sid: str
    user: str | None
    expires: float


def new_session(user: str | None, hours: float) -> Session:
    """A fresh session with a new random id (a new id at login prevents session fixation)."""
    return Session(secrets.token_urlsafe(18), user, time.time() + hours * 3600)


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def encode_session(key: bytes, session: Session) -> str:
    """The cookie value of a session: payload.signature."""
    body = json.dumps({"s": session.sid, "u": session.user, "e": int(session.expires)},
                      separators=(",", ":"))
    payload = _b64(body.encode("utf-8"))
    return f"{payload}.{_sign(key, payload)}"


def decode_session(key: bytes, value: str | None, now: float | None = None) -> Session | None:
    """The session in a cookie, or None when it is missing, tampered with or expired."""
    if not value or "." not in value:
        return None
    payload, sig = value.rsplit(".", 1)
    try:
        if not hmac.compare_digest(sig, _sign(key, payload)):
            return None
        data = json.loads(_unb64(payload))
        session = Session(str(data["s"]), data["u"], float(data["e"]))
    except (ValueError, KeyError, TypeError, UnicodeError):
        return None
    if session.expires < (now if now is not None else time.time()):
        return None
    return session


def csrf_token(key: bytes, session: Session) -> str:
    """The CSRF token of a session (put in every form as the `csrf` field)."""
    return _sign(key, "csrf:" + session.sid)


def csrf_ok(key: bytes, session: Session, token: str | None) -> bool:
    """Whether a posted token belongs to this session."""
    return bool(token) and hmac.compare_digest(str(token), csrf_token(key, session))
