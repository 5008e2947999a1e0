"""The `idcard-mock` command line."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from mock_server import limits, log_format, signing
from mock_server.api.paths import DASHBOARD_PATH
from mock_server.fixtures import DEFAULT_AS_OF, DEFAULT_INVALID_SHARE
from mock_server.private_files import PrivateFileError, create_private, read_private
from mock_server.recognizer import SIDES
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET, Settings, parse_app, parse_apps_file
from mock_server.store import DEFAULT_DB, is_database_url, open_store

if TYPE_CHECKING:
    from mock_server.fixtures.pack import FixturePack


def _apps(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> dict[str, str]:
    apps: dict[str, str] = {}
    for item in value:
        for text in item.split(","):  # the env variable takes a comma-separated list
            try:
                app_id, secret = parse_app(text.strip())
            except ValueError as error:
                raise click.BadParameter(str(error)) from None
            apps[app_id] = secret
    return apps


def _apps_file(ctx: click.Context, param: click.Parameter, value: str | None) -> dict[str, str]:
    if value is None:
        return {}
    try:
        return parse_apps_file(read_private(value))
    except PrivateFileError as error:
        raise click.BadParameter(str(error)) from None
    except ValueError as error:
        raise click.BadParameter(f"{value}: {error}") from None


def _merged_apps(*sources: dict[str, str]) -> dict[str, str]:
    apps: dict[str, str] = {}
    for source in sources:
        for app_id, secret in source.items():
            if apps.get(app_id, secret) != secret:
                raise click.BadParameter(f"app {app_id} is given twice with different secrets",
                                         param_hint="--app / --apps-file")
            apps[app_id] = secret
    return apps


@click.group(context_settings={"show_default": True})
@click.version_option(package_name="idcard-mock")
def main() -> None:
    """Local emulator and contract kit for the WeBank kyc ID-card OCR server API."""


@main.command()
@click.option(
    "--host", default="127.0.0.1", envvar="IDCARD_MOCK_HOST", help="Interface to bind (loopback unless told)."
)
@click.option("--port", default=8000, type=int, envvar="IDCARD_MOCK_PORT")
@click.option(
    "--db", default=DEFAULT_DB, envvar="IDCARD_MOCK_DB",
    help="SQLite file (':memory:' keeps nothing), or postgresql://USER:PASSWORD@HOST:PORT/DB "
    "for replicas sharing one mock.",
)
@click.option(
    "--app",
    "apps",
    multiple=True,
    callback=_apps,
    metavar="APPID:SECRET",
    envvar="IDCARD_MOCK_APPS",
    help="An app the mock accepts (repeatable). Default: the development app.",
)
@click.option(
    "--apps-file",
    "apps_from_file",
    callback=_apps_file,
    metavar="PATH",
    envvar="IDCARD_MOCK_APPS_FILE",
    help="A file of APPID:SECRET lines, readable by its owner only: keeps secrets out of the "
    "process list.",
)
@click.option(
    "--workers", default=2, type=click.IntRange(1, 64), envvar="IDCARD_MOCK_WORKERS", help="Server processes."
)
@click.option(
    "--strict/--no-strict",
    default=False,
    envvar="IDCARD_MOCK_STRICT",
    help="Check every response against schemas/.",
)
@click.option(
    "--default-side",
    type=click.Choice(SIDES),
    default="portrait",
    envvar="IDCARD_MOCK_DEFAULT_SIDE",
    help="Side of an image that names none and comes without cardType.",
)
@click.option(
    "--accept-data-url/--refuse-data-url",
    default=False,
    envvar="IDCARD_MOCK_ACCEPT_DATA_URL",
    help="Accept a data:image/...;base64, prefix on idcardStr.",
)
@click.option(
    "--admin-token",
    envvar="IDCARD_MOCK_ADMIN_TOKEN",
    default=None,
    help="Let non-loopback callers that carry this token use the /_mock/ admin surface.",
)
@click.option(
    "--fixtures",
    "fixture_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    envvar="IDCARD_MOCK_FIXTURES",
    help="A fixture pack whose images get exactly their manifest's answers (repeatable).",
)
@click.option(
    "--default-fixtures/--no-default-fixtures",
    default=True,
    envvar="IDCARD_MOCK_DEFAULT_FIXTURES",
    help="Also load the fixture pack shipped with the mock.",
)
@click.option(
    "--order-ttl",
    default=limits.ORDER_TTL,
    type=click.FloatRange(min=1),
    envvar="IDCARD_MOCK_ORDER_TTL",
    help="Seconds (on the mock's clock) orders and their images are kept for getOcrResult.",
)
@click.option(
    "--max-image-bytes",
    default=limits.MAX_IMAGE_BYTES,
    type=click.IntRange(min=0),
    envvar="IDCARD_MOCK_MAX_IMAGE_BYTES",
    help="Bytes orders may keep in all (images, plus 1 KiB a record); past it the oldest go.",
)
@click.option(
    "--log-format",
    "log_kind",
    type=click.Choice(log_format.FORMATS),
    default=log_format.TEXT,
    envvar=log_format.ENV,
    help="Log lines for people (text) or one JSON object per line for log pipelines (json).",
)
def serve(host, port, db, apps, apps_from_file, workers, strict, default_side, accept_data_url,
          fixture_dirs, default_fixtures, admin_token, order_ttl, max_image_bytes, log_kind) -> None:
    """Serve the mock on HOST:PORT (gunicorn, gevent workers)."""
    from mock_server import server

    if db == ":memory:" and workers > 1:
        raise click.BadParameter(
            "':memory:' cannot be shared by several workers; use --workers 1", param_hint="--db"
        )
    apps = _merged_apps(apps, apps_from_file)
    settings = Settings(
        apps=apps or {DEFAULT_APP_ID: DEFAULT_SECRET},
        db=db,
        strict=strict,
        default_side=default_side,
        accept_data_url=accept_data_url,
        fixture_dirs=tuple(fixture_dirs),
        default_fixtures=default_fixtures,
        admin_token=admin_token or None,
        order_ttl=order_ttl,
        max_image_bytes=max_image_bytes,
    )
    packs = _fixture_packs(settings)
    try:
        listener = server.bind(host, port)
    except server.PortInUse as error:
        click.echo(f"idcard-mock: {error}", err=True)
        sys.exit(1)
    port = listener.getsockname()[1]
    if db != ":memory:" and not is_database_url(db):
        create_private(db)  # tokens, tickets and images: 0600 from the first byte
    store = open_store(db)  # create (or migrate) the schema once, before the workers race to do it
    where = store.location()
    store.close()
    url = f"http://{host}:{port}"
    say = _announcer(log_kind)
    say(f"idcard-mock on {url}  db={where}  workers={workers}", url=url, db=where, workers=workers)
    say(f"  dashboard {url}{DASHBOARD_PATH}", dashboard=f"{url}{DASHBOARD_PATH}")
    for app_id, secret in settings.apps.items():
        shown = secret if (app_id, secret) == (DEFAULT_APP_ID, DEFAULT_SECRET) else "<given>"
        say(f"  app {app_id}  secret {shown}", app=app_id)
    for pack in packs:
        say(f"  fixtures {pack.directory}  ({len(pack.entries)} images)", fixtures=str(pack.directory),
            images=len(pack.entries))
    sys.stdout.flush()
    try:
        server.serve(settings, listener, workers, log_kind)
    finally:
        listener.close()


@main.command("health")
@click.option("--host", default="127.0.0.1", envvar="IDCARD_MOCK_HOST",
              help="Where the mock listens (0.0.0.0 and :: mean this host).")
@click.option("--port", default=8000, type=int, envvar="IDCARD_MOCK_PORT")
@click.option("--admin-token", envvar="IDCARD_MOCK_ADMIN_TOKEN", default=None,
              help="Sent when given, so the check also works from another host.")
@click.option("--timeout", default=3.0, type=click.FloatRange(min=0.1),
              help="Seconds to wait for the answer.")
def health_command(host, port, admin_token, timeout) -> None:
    """Ask a running mock's /_mock/health; exit 0 if it answers ok, 1 otherwise (a container's
    HEALTHCHECK)."""
    from mock_server.health_probe import probe

    healthy, line = probe(host, port, admin_token, timeout)
    click.echo(line, err=not healthy)
    sys.exit(0 if healthy else 1)


def _announcer(kind: str):
    """The start-up lines, in the log's format: text as printed, or one JSON object each (the
    development secret is printed on purpose, so these lines do not go through logsafe)."""
    if kind == log_format.TEXT:
        return lambda message, **_fields: click.echo(message)
    import logging

    startup = logging.getLogger("idcard_mock.startup")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(log_format.formatter(kind))
    startup.handlers[:] = [handler]
    startup.setLevel(logging.INFO)
    startup.propagate = False
    return lambda message, **fields: startup.info(message.strip(), extra=fields)


def _fixture_packs(settings: Settings) -> list[FixturePack]:
    """Load the packs once before the workers start, so a broken pack is a clear start-up error."""
    from mock_server.fixtures.generate import PackError
    from mock_server.fixtures.pack import load_packs

    try:
        return load_packs(settings)
    except PackError as error:
        raise click.BadParameter(str(error), param_hint="--fixtures") from None


@main.group()
def fixtures() -> None:
    """Fixture packs: seeded identities, card images and the exact answers the mock gives."""


@fixtures.command("generate")
@click.option("--count", required=True, type=click.IntRange(min=1), help="Entries (images) to write.")
@click.option("--seed", required=True, type=int, help="Same seed, same pack, on any day.")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="New or empty folder for manifest.json and images/.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=DEFAULT_AS_OF.isoformat(),
              help="Day the cards are valid on (never today, so packs do not drift).")
@click.option("--invalid-share", type=click.FloatRange(0.0, 1.0), default=DEFAULT_INVALID_SHARE,
              help="Share of entries that are invalid or recognised with warnings.")
def fixtures_generate(count, seed, out, as_of, invalid_share) -> None:
    """Write a fixture pack: OUT/manifest.json plus one JPEG per entry."""
    from mock_server.fixtures.generate import PackError, PackGenerator, write_pack
    from mock_server.fixtures.render import font_note

    note = font_note()
    if note:
        click.echo(f"warning: {note}", err=True)
    generator = PackGenerator(seed, as_of.date(), invalid_share)
    try:
        with click.progressbar(length=count, label="rendering", file=sys.stderr,
                               hidden=count <= 10) as bar:
            manifest = write_pack(out, count, generator, progress=bar.update)
    except PackError as error:
        raise click.ClickException(str(error)) from None
    failing = sum(1 for e in manifest["entries"] if e["code"] != "0")
    warned = sum(1 for e in manifest["entries"] if e["code"] == "0" and e["variant"] != "clean")
    click.echo(f"wrote {count} entries to {out} ({failing} failing, {warned} with warnings)")


@fixtures.command("lint")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
def fixtures_lint(folder) -> None:
    """Fail if the pack in FOLDER holds anything that looks like real personal data or a secret."""
    from mock_server.live.lint import lint

    findings = lint(folder)
    for finding in findings:
        click.echo(f"{folder}/{finding}", err=True)
    if findings:
        click.echo(f"{folder}: {len(findings)} findings; this pack must not be kept or shared",
                   err=True)
        sys.exit(1)
    click.echo(f"{folder}: no real-looking personal data, no raw images, no secrets")


@main.command("proxy")
@click.option("--upstream", required=True, metavar="URL",
              help="The service to forward to, e.g. https://kyc1.qcloud.com.")
@click.option("--record", "record_dir", type=click.Path(file_okay=False), default=None,
              help="Write a fixture pack of the traffic here (masked; a new or empty folder).")
@click.option("--keep-demographics", is_flag=True,
              help="Keep the region, birth date and sex of recorded ID numbers.")
@click.option("--keep-raw-images", is_flag=True,
              help="Also keep the real card images (0600) in DIR-raw-images/, outside the pack.")
@click.option("--host", default="127.0.0.1", help="Interface to bind (loopback unless told).")
@click.option("--port", default=8001, type=int)
@click.option("--timeout", default=30.0, type=click.FloatRange(min=0.1),
              help="Seconds to wait for the upstream's answer before answering 502.")
def proxy_command(upstream, record_dir, keep_demographics, keep_raw_images, host, port,
                  timeout) -> None:
    """Forward the four calls to UPSTREAM, judge its answers by the contract (docs/live.md)."""
    from mock_server.live.session import run_proxy

    sys.exit(run_proxy(upstream=upstream, record_dir=record_dir,
                       keep_demographics=keep_demographics, keep_raw_images=keep_raw_images,
                       host=host, port=port, timeout=timeout))


@main.command("drift")
@click.option("--pack", required=True, type=click.Path(exists=True, file_okay=False),
              help="A pack recorded by `idcard-mock proxy --record`.")
@click.option("--base-url", metavar="URL", default=None,
              help="A running mock that serves the pack. Default: one built in-process.")
@click.option("--app-id", default=None, help="The app to call a --base-url mock with.")
@click.option("--secret", default=None, envvar="IDCARD_MOCK_DRIFT_SECRET",
              help="Its secret (or IDCARD_MOCK_DRIFT_SECRET).")
@click.option("--allow", multiple=True, metavar="CALL:FIELD[:KIND]",
              help="A known difference that does not fail the run (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
@click.option("--markdown", is_flag=True, help="The report as a Markdown table.")
def drift_command(pack, base_url, app_id, secret, allow, as_json, markdown) -> None:
    """Replay a recorded pack against the mock; exit 1 where its answers differ from the live ones."""
    from pathlib import Path

    from mock_server.live import drift
    from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET

    if base_url:
        send = drift.http_sender(base_url)
        app_id, secret = app_id or DEFAULT_APP_ID, secret or DEFAULT_SECRET
    else:
        send, app_id, secret = drift.in_process_sender(Path(pack))
    report = drift.drift(pack, send, app_id=app_id, secret=secret, allow=allow)
    if as_json:
        click.echo(report.as_json())
    elif markdown:
        click.echo(report.markdown(), nl=False)
    else:
        click.echo(report.table())
    sys.exit(1 if report.drifted else 0)


class _SignGroup(click.Group):
    """`sign VALUES...` is `sign values VALUES...`, the form the command always had."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["values", *args]
        return super().parse_args(ctx, args)


@main.group("sign", cls=_SignGroup)
def sign_group() -> None:
    """Compute a sign (`sign VALUES...`) or explain why one does not verify (`sign explain`)."""


@sign_group.command("values")
@click.argument("values", nargs=-1, required=True)
def sign_command(values: tuple[str, ...]) -> None:
    """Print the sign of VALUES: SHA-1 of the sorted, concatenated values, uppercase hex."""
    click.echo(signing.sign(values))


def _pairs(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for item in value:
        key, sep, rest = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}")
        pairs.append((key, rest))
    return pairs


@sign_group.command("explain")
@click.option("--app-id", required=True)
@click.option("--order-no", required=True)
@click.option("--nonce", required=True)
@click.option("--version", "version_", default="1.0.0")
@click.option("--ticket", required=True, help="The SIGN ticket the sign should have used.")
@click.option("--sign", "given", required=True, help="The sign to explain.")
@click.option("--user-id", default=None, help="The request's userId, if it sent one.")
@click.option("--field", "fields", multiple=True, callback=_pairs, metavar="KEY=VALUE",
              help="Another request field the client may have signed (repeatable).")
@click.option("--nonce-ticket", multiple=True, help="A NONCE ticket the client had (repeatable).")
@click.option("--expired-ticket", multiple=True, help="An expired SIGN ticket (repeatable).")
@click.option("--previous", multiple=True, callback=_pairs, metavar="ORDERNO=NONCE",
              help="An earlier request's orderNo and nonce (repeatable).")
def sign_explain(app_id, order_no, nonce, version_, ticket, given, user_id, fields, nonce_ticket,
                 expired_ticket, previous) -> None:
    """Recompute the common signing mistakes until one reproduces SIGN; exit 0 if it is correct."""
    from mock_server import explain

    request = explain.SignedRequest(app_id, order_no, nonce, version_, given, user_id, dict(fields))
    tickets = [explain.TicketCandidate(ticket)]
    tickets += [explain.TicketCandidate(t, "nonce-ticket") for t in nonce_ticket]
    tickets += [explain.TicketCandidate(t, "expired-ticket") for t in expired_ticket]
    diagnosis = explain.diagnose(request, tickets, previous)
    expected = signing.request_sign(app_id, order_no, nonce, version_, ticket)
    click.echo(explain.report(request, diagnosis, expected))
    sys.exit(0 if diagnosis.correct else 1)


@main.command("scenarios")
@click.option("--markdown", is_flag=True, help="As a Markdown table.")
def scenarios_command(markdown: bool) -> None:
    """List the scenarios (X-Mock-Scenario, POST /_mock/scenarios/next, image markers)."""
    from mock_server import scenarios

    if markdown:
        click.echo(scenarios.markdown_table(), nl=False)
    else:
        for s in scenarios.CATALOGUE_SCENARIOS.values():
            click.echo(f"{s.name:<32} {s.code or '-':<9} {s.description}")


@main.command("contract", context_settings={"ignore_unknown_options": True})
@click.option("--base-url", metavar="URL", envvar="IDCARD_MOCK_CONTRACT_BASE_URL",
              help="Service to test. Default: a mock started in-process on a free port.")
@click.option("--app-id", metavar="ID", envvar="IDCARD_MOCK_CONTRACT_APP_ID")
@click.option("--secret", metavar="SECRET", envvar="IDCARD_MOCK_CONTRACT_SECRET",
              help="App secret (or the IDCARD_MOCK_CONTRACT_SECRET environment variable).")
@click.option("--portrait-image", type=click.Path(exists=True, dir_okay=False),
              envvar="IDCARD_MOCK_CONTRACT_PORTRAIT_IMAGE",
              help="Portrait-side photo. Default: the fixture pack's (mock only).")
@click.option("--emblem-image", type=click.Path(exists=True, dir_okay=False),
              envvar="IDCARD_MOCK_CONTRACT_EMBLEM_IMAGE",
              help="Emblem-side photo; it must come back as the emblem side.")
@click.option("--junit-xml", type=click.Path(dir_okay=False), help="Write a JUnit XML report.")
@click.option("--max-calls", type=click.IntRange(0), envvar="IDCARD_MOCK_CONTRACT_MAX_CALLS",
              help="Cap on billable OCR calls against a target that is not the mock [default: 6].")
@click.option("--target-is-mock/--target-is-live", default=None, show_default=False,
              help="Say what the target is instead of probing its /_mock/health.")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def contract_command(base_url, app_id, secret, portrait_image, emblem_image, junit_xml, max_calls,
                     target_is_mock, pytest_args) -> None:
    """Run the contract suite against a target; exit status is pytest's (non-zero on any failure).

    Extra PYTEST_ARGS (after --) go to pytest, e.g. `-- -k ocr_result -v`. See docs/contract.md.
    """
    import os

    import pytest

    from contract_tests import SUITE_DIR

    # `-p idcard_mock` loads the plugin even where pytest's plugin autoload is disabled.
    args = [str(SUITE_DIR), "-p", "idcard_mock"]
    for flag, value in (("--kyc-base-url", base_url), ("--kyc-app-id", app_id),
                        ("--kyc-portrait-image", portrait_image),
                        ("--kyc-emblem-image", emblem_image), ("--junit-xml", junit_xml),
                        ("--kyc-max-calls", max_calls)):
        if value is not None:
            args += [flag, str(value)]
    if target_is_mock is not None:
        args.append("--kyc-target-is-mock" if target_is_mock else "--kyc-target-is-live")
    if secret is not None:
        # Through the environment, not argv: nothing that echoes arguments can show it.
        os.environ["IDCARD_MOCK_CONTRACT_SECRET"] = secret
    sys.exit(int(pytest.main(args + list(pytest_args))))


if __name__ == "__main__":
    main()
