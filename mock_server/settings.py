"""Everything a server instance is configured with, and the documented development defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from mock_server import limits
from mock_server.fixtures import DEFAULT_AS_OF
from mock_server.recognizer import PORTRAIT
from mock_server.store import DEFAULT_DB

# The development app every fresh `idcard-mock serve` accepts (printed at start-up, in the README).
DEFAULT_APP_ID = "TIDA0001"
DEFAULT_SECRET = "idcardmockdevelopmentsecret0000000000000000000000000000000000000"


def parse_app(text: str) -> tuple[str, str]:
    """`APPID:SECRET` → (app_id, secret)."""
    app_id, sep, secret = text.partition(":")
    if not sep or not app_id or not secret:
        raise ValueError(f"expected APPID:SECRET, got {text!r}")
    return app_id, secret


def parse_apps_file(text: str) -> dict[str, str]:
    """An apps file: one `APPID:SECRET` a line; blank lines and lines starting with # are skipped."""
    apps: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            app_id, secret = parse_app(line)
        except ValueError:
            raise ValueError(f"line {number}: expected APPID:SECRET") from None
        apps[app_id] = secret
    return apps


@dataclass(frozen=True)
class Settings:
    apps: dict[str, str] = field(default_factory=lambda: {DEFAULT_APP_ID: DEFAULT_SECRET})
    db: str = DEFAULT_DB
    # Validate every response against schemas/ before sending it (on in the project's tests).
    strict: bool = False
    # Side assumed for an image that neither names its side nor comes with cardType.
    default_side: str = PORTRAIT
    # Accept a `data:image/...;base64,` prefix on idcardStr (the vendor is assumed not to).
    accept_data_url: bool = False
    # The day synthetic people are generated "as of": fixed, so an image's person never changes.
    identity_as_of: date = DEFAULT_AS_OF
    # Fixture pack folders whose images are answered exactly from their manifests (first wins).
    fixture_dirs: tuple[str, ...] = ()
    # Also load the pack shipped with the mock (after fixture_dirs).
    default_fixtures: bool = True
    # With a token, the /_mock/ admin surface also answers non-loopback callers that carry it.
    admin_token: str | None = None
    # Orders and their images are kept this many seconds on the mock's clock ...
    order_ttl: float = limits.ORDER_TTL
    # ... and hold at most this many bytes in all (images plus a fixed cost per record).
    max_image_bytes: int = limits.MAX_IMAGE_BYTES
