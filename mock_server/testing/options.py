"""How a test's mock is configured: the keywords of `mock_kyc(...)`, of the marker
`@pytest.mark.idcard_mock(...)` and, under `idcard_mock_` names, of the ini file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET, Settings
from mock_server.testing.hosts import VENDOR_HOSTS, host_name

KEYWORDS = ("apps", "fixtures", "default_fixtures", "strict", "hosts")


@dataclass(frozen=True)
class MockOptions:
    # appId -> secret; the first is `kyc.app_id`. The development app unless given.
    apps: Mapping[str, str] = field(default_factory=lambda: {DEFAULT_APP_ID: DEFAULT_SECRET})
    # Fixture pack folders answered exactly (first wins), before the default pack.
    fixtures: tuple[str, ...] = ()
    default_fixtures: bool = True
    # Check every answer against schemas/; an answer that breaks them fails the test.
    strict: bool = True
    # Hosts intercepted besides the vendor's (mock_kyc and idcard_mock_kyc only).
    hosts: tuple[str, ...] = ()

    @classmethod
    def of(cls, base: MockOptions | None = None, *, relative_to: Path | None = None,
           **given: Any) -> MockOptions:
        """`base` with the keywords given; checks their names and types, and resolves relative
        fixture paths against `relative_to`."""
        unknown = sorted(set(given) - set(KEYWORDS))
        if unknown:
            raise TypeError(f"unknown option {', '.join(unknown)}; options are {', '.join(KEYWORDS)}")
        changes: dict[str, Any] = {}
        if "apps" in given:
            apps = dict(given["apps"] or {})
            if not apps or not all(isinstance(k, str) and isinstance(v, str) and k and v
                                   for k, v in apps.items()):
                raise TypeError("apps must map at least one appId to its secret, both strings")
            changes["apps"] = apps
        if "fixtures" in given:
            changes["fixtures"] = tuple(_path(p, relative_to) for p in _sequence(given["fixtures"]))
        if "hosts" in given:
            changes["hosts"] = tuple(host_name(h) for h in _sequence(given["hosts"]))
        for flag in ("default_fixtures", "strict"):
            if flag in given:
                if not isinstance(given[flag], bool):
                    raise TypeError(f"{flag} must be True or False")
                changes[flag] = given[flag]
        return replace(base or cls(), **changes)

    @property
    def intercepted_hosts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*VENDOR_HOSTS, *self.hosts)))

    def settings(self) -> Settings:
        """A private, in-memory mock."""
        return Settings(apps=dict(self.apps), db=":memory:", strict=self.strict,
                        fixture_dirs=self.fixtures, default_fixtures=self.default_fixtures)


def _sequence(value: Any) -> Iterable[Any]:
    if isinstance(value, str | Path):
        return (value,)
    return tuple(value or ())


def _path(value: Any, relative_to: Path | None) -> str:
    path = Path(value)
    if not path.is_absolute() and relative_to is not None:
        path = relative_to / path
    return str(path)
