"""The Containerfile says what the project says elsewhere: its labels are pyproject's, its
environment names `idcard-mock serve` options, and nothing of one build machine is in it.
(tests/container builds and runs the image; these checks need no container engine.)"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import click

from mock_server.cli import health_command, serve

ROOT = Path(__file__).resolve().parents[1]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = (ROOT / "Containerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def pairs(keyword: str) -> dict[str, str]:
    """KEY=VALUE arguments of every `keyword` instruction of the last build stage (the image)."""
    found = instructions()
    last = max(i for i, (name, _) in enumerate(found) if name == "FROM")
    result = {}
    for name, rest in found[last:]:
        if name == keyword:
            result.update(item.split("=", 1) for item in shlex.split(rest))
    return result


def the(keyword: str) -> str:
    (value,) = [rest for name, rest in instructions() if name == keyword]
    return value


def serve_variables() -> dict[str, str]:
    """Each `idcard-mock serve` variable and its option."""
    return {option.envvar: option.opts[0] for option in serve.params if isinstance(option, click.Option)}


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_labels_are_the_projects_version_source_and_licence():
    labels = pairs("LABEL")
    assert labels["org.opencontainers.image.version"] == project()["version"]
    assert labels["org.opencontainers.image.source"] == project()["urls"]["Source"]
    assert labels["org.opencontainers.image.licenses"] == project()["license"]
    assert labels["org.opencontainers.image.title"] == project()["name"]


def test_the_base_is_a_build_argument_defaulting_to_slim_python():
    assert the("ARG") == "BASE=docker.io/library/python:3.12-slim"
    assert [rest.split()[0] for name, rest in instructions() if name == "FROM"] == ["${BASE}", "${BASE}"]


def test_it_serves_as_a_user_of_its_own_on_all_interfaces_with_the_database_on_the_volume():
    user = the("USER")
    assert user not in {"root", "0"} and not user.startswith("0:")
    env = pairs("ENV")
    assert env["IDCARD_MOCK_HOST"] == "0.0.0.0" and env["IDCARD_MOCK_PORT"] == the("EXPOSE")
    assert env["IDCARD_MOCK_DB"].startswith(the("VOLUME") + "/")
    assert shlex.split(the("ENTRYPOINT").replace(",", " ").strip("[]")) == ["idcard-mock"]
    assert shlex.split(the("CMD").replace(",", " ").strip("[]")) == ["serve"]


def test_every_idcard_mock_variable_it_sets_is_an_option_of_the_commands_it_runs():
    health = {option.envvar for option in health_command.params if isinstance(option, click.Option)}
    names = {name for name in pairs("ENV") if name.startswith("IDCARD_MOCK_")}
    assert names and names <= set(serve_variables()) | health
    assert {"IDCARD_MOCK_HOST", "IDCARD_MOCK_PORT", "IDCARD_MOCK_ADMIN_TOKEN"} <= health


def test_the_healthcheck_asks_the_mock():
    check = the("HEALTHCHECK")
    assert re.search(r'CMD \["idcard-mock", "health"\]$', check), check


def test_no_build_machine_settings_in_it():
    # Proxies, certificates and networks belong to the build command of a machine, not the file.
    text = (ROOT / "Containerfile").read_text(encoding="utf-8")
    for word in ("PIP_CERT", "PIP_INDEX_URL", "proxy", "--network", "ca-certificates.crt"):
        assert word.lower() not in text.lower(), word


def test_the_build_context_admits_what_it_copies():
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    admitted = {line[1:] for line in ignore if line.startswith("!")}
    copied = set()
    for name, rest in instructions():
        if name == "COPY" and not rest.startswith("--from"):
            copied.update(shlex.split(rest)[:-1])
    assert copied == admitted
    assert all((ROOT / path).exists() for path in copied)


def test_the_container_page_lists_every_variable_of_serve_and_the_images_values():
    text = (ROOT / "docs" / "container.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(IDCARD_MOCK_\w+)` \| `([^`]+)` \|", text, re.M))
    assert rows == serve_variables()
    for name, value in pairs("ENV").items():
        if name.startswith("IDCARD_MOCK_"):
            assert re.search(rf"^\| `{name}` \| `[^`]+` \| `{re.escape(value)}`", text, re.M), name
