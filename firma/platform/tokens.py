"""Bearer secrets: 256-bit random values handed out once and stored only as SHA-256 hashes."""
import hashlib
import hmac
import secrets

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def new_token() -> str:
    """A fresh 256-bit URL-safe secret."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The SHA-256 under which a secret is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two strings."""
    return hmac.compare_digest(a.encode(), b.encode())


def new_public_code() -> str:
    """A short verification code printed on every page, e.g. FRM-7KQ2-M9XD."""
    body = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"FRM-{body[:4]}-{body[4:]}"


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of bytes (documents, evidence files)."""
    return hashlib.sha256(data).hexdigest()
