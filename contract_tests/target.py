"""The target of a run, from the suite's options: where it is, whether it is the mock, which app
and which card images to send it. Every usage mistake of a run is reported at once, and a target
that cannot be reached stops the run before any check starts.

The options are the suite's own and carry a `--kyc-` prefix, so that they never collide with a
user's options. Each may also be set through an `IDCARD_MOCK_CONTRACT_*` environment variable,
which keeps a secret off the command line.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from contract_tests import SUITE_DIR

# The mock names itself at this path of its own admin surface; anything else is not the mock.
HEALTH_PATH = "/_mock/health"
MOCK_NAME = "idcard-mock"
DEFAULT_MAX_CALLS = 6
ENV_PREFIX = "IDCARD_MOCK_CONTRACT_"
PROBE_TIMEOUT_S = 5.0
# The app every mock accepts unless told otherwise, as `idcard-mock serve` prints it at start-up
# (README): used against a target that is the mock when no app is given.
DEVELOPMENT_APP = ("TIDA0001", "idcardmockdevelopmentsecret0000000000000000000000000000000000000")


@dataclass(frozen=True)
class PackEntry:
    """One entry of a fixture pack's manifest.json (schemas/fixture-manifest.json)."""

    id: str
    side: str
    code: str
    image: Path
    result: dict[str, Any] = field(default_factory=dict, repr=False)
    native_place: str | None = None

    def read(self) -> bytes:
        return self.image.read_bytes()


def read_pack(folder: Path) -> list[PackEntry]:
    """The entries of `folder/manifest.json`, image paths made absolute."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return [PackEntry(id=str(e["id"]), side=str(e["side"]), code=str(e["code"]),
                      image=(folder / e["image"]).resolve(), result=dict(e.get("result") or {}),
                      native_place=e.get("nativePlace"))
            for e in manifest["entries"]]


@dataclass
class Target:
    """The service a run points at, and what the run sends it."""

    base_url: str
    app_id: str
    secret: str = field(repr=False)
    is_mock: bool
    detected_by: str
    portrait_image: bytes = field(repr=False)
    emblem_image: bytes = field(repr=False)
    images_from: str
    pack: list[PackEntry] = field(repr=False)
    max_calls: int
    may_move_clock: bool

    @property
    def uses_pack_images(self) -> bool:
        return self.images_from.startswith("fixture pack")


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("kyc", "idcard-mock contract suite: the target")

    def env(name: str) -> str | None:
        return os.environ.get(ENV_PREFIX + name) or None

    group.addoption("--kyc-base-url", default=env("BASE_URL"), metavar="URL",
                    help="The service to test.")
    group.addoption("--kyc-app-id", default=env("APP_ID"), metavar="ID", help="The app id.")
    group.addoption("--kyc-secret", default=env("SECRET"), metavar="SECRET",
                    help=f"The app's secret; prefer the {ENV_PREFIX}SECRET environment variable.")
    group.addoption("--kyc-portrait-image", default=env("PORTRAIT_IMAGE"), metavar="FILE",
                    help="A photo of a card's portrait side.")
    group.addoption("--kyc-emblem-image", default=env("EMBLEM_IMAGE"), metavar="FILE",
                    help="A photo of a card's emblem side.")
    group.addoption("--kyc-fixtures", default=env("FIXTURES"), metavar="DIR",
                    help="A fixture pack the target knows (the mock's); its images are sent when "
                         "no photos are given. Default: the repository's fixtures/ in a checkout.")
    group.addoption("--kyc-max-calls", default=env("MAX_CALLS"), metavar="N",
                    help=f"Cap on billable OCR calls to a target that is not the mock "
                         f"(default {DEFAULT_MAX_CALLS}).")
    group.addoption("--kyc-target-is-mock", dest="kyc_target_kind", action="store_const",
                    const="mock", default=None, help="Treat the target as the mock (no probe).")
    group.addoption("--kyc-target-is-live", dest="kyc_target_kind", action="store_const",
                    const="live", help="Treat the target as the live service (no probe).")
    group.addoption("--kyc-may-move-clock", action="store_true", default=False,
                    help="The target is a mock this run owns: checks may move its clock.")


def probe(base_url: str) -> tuple[bool, bool]:
    """(reachable, names itself the mock) from one GET of the mock's health path. Any HTTP answer
    means the target is reachable; the mock answers JSON naming itself, with 200, or 403 when its
    admin surface refuses a caller that is not on loopback."""
    try:
        response = requests.get(base_url + HEALTH_PATH, timeout=PROBE_TIMEOUT_S)
    except requests.RequestException:
        return False, False
    if response.status_code not in (200, 403):
        return True, False
    try:
        body = response.json()
    except ValueError:
        return True, False
    return True, isinstance(body, dict) and body.get("service") == MOCK_NAME


def _default_pack_dir() -> Path | None:
    """The pack shipped beside the suite: `idcard_mock_data/fixtures` once installed, the
    checkout's `fixtures/` otherwise."""
    for folder in (SUITE_DIR.parent / "idcard_mock_data" / "fixtures", SUITE_DIR.parent / "fixtures"):
        if (folder / "manifest.json").is_file():
            return folder
    return None


def resolve(config: pytest.Config) -> Target:
    """The run's target; a `pytest.UsageError` listing every usage mistake at once."""
    option = config.option
    problems: list[str] = []
    base_url = (option.kyc_base_url or "").rstrip("/")
    app_id, secret, kind = option.kyc_app_id, option.kyc_secret, option.kyc_target_kind
    if not base_url:
        problems.append("no target: give --kyc-base-url URL (`idcard-mock contract` starts a mock "
                        "when given none)")
    if (app_id is None) != (secret is None):
        problems.append("give --kyc-app-id and --kyc-secret together")
    try:
        max_calls = int(option.kyc_max_calls) if option.kyc_max_calls else DEFAULT_MAX_CALLS
        if max_calls < 0:
            raise ValueError
    except ValueError:
        problems.append(f"--kyc-max-calls {option.kyc_max_calls!r} is not a count of calls")
        max_calls = DEFAULT_MAX_CALLS
    portrait_path, emblem_path = option.kyc_portrait_image, option.kyc_emblem_image
    if bool(portrait_path) != bool(emblem_path):
        problems.append("give --kyc-portrait-image and --kyc-emblem-image together")
    for path in (portrait_path, emblem_path):
        if path and not Path(path).is_file():
            problems.append(f"{path}: no such image file")
    pack_dir = Path(option.kyc_fixtures) if option.kyc_fixtures else _default_pack_dir()
    pack: list[PackEntry] = []
    if pack_dir is not None:
        try:
            pack = read_pack(pack_dir)
        except (OSError, ValueError, KeyError) as error:
            problems.append(f"--kyc-fixtures {pack_dir}: not a fixture pack ({error})")
    reachable, names_mock = probe(base_url) if base_url else (True, False)
    if not reachable:
        # Nothing else is worth saying about a target that cannot be reached.
        raise pytest.UsageError(f"the target {base_url} cannot be reached (no HTTP answer at "
                                f"{base_url}{HEALTH_PATH})")
    if kind is not None:
        is_mock, how = kind == "mock", f"--kyc-target-is-{kind}"
    else:
        is_mock = names_mock
        how = f"{HEALTH_PATH} answered" if names_mock else f"no mock answer at {HEALTH_PATH}"
    if base_url and app_id is None and not is_mock:
        problems.append("a target that is not the mock needs --kyc-app-id and --kyc-secret")
    front = next((e for e in pack if e.side == "portrait" and e.code == "0"), None)
    back = next((e for e in pack if e.side == "emblem" and e.code == "0"), None)
    portrait = emblem = b""
    images_from = ""
    if portrait_path and emblem_path:
        images_from = "--kyc-portrait-image / --kyc-emblem-image"
    elif base_url and not is_mock:
        problems.append("a target that is not the mock knows no fixture pack: pass "
                        "--kyc-portrait-image and --kyc-emblem-image (photos of a real card)")
    elif front is None or back is None:
        problems.append("no card images: pass --kyc-portrait-image and --kyc-emblem-image, or "
                        "--kyc-fixtures DIR")
    else:
        images_from = f"fixture pack ({front.id}, {back.id})"
    if problems:
        raise pytest.UsageError("\n".join(problems))
    if portrait_path and emblem_path:
        portrait, emblem = Path(portrait_path).read_bytes(), Path(emblem_path).read_bytes()
    else:
        assert front is not None and back is not None
        portrait, emblem = front.read(), back.read()
    if app_id is None:
        app_id, secret = DEVELOPMENT_APP
    return Target(base_url=base_url, app_id=app_id, secret=secret, is_mock=is_mock,
                  detected_by=how, portrait_image=portrait, emblem_image=emblem,
                  images_from=images_from, pack=pack, max_calls=max_calls,
                  may_move_clock=bool(option.kyc_may_move_clock) and is_mock)
