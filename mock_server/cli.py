"""The `idcard-mock` command line."""

from __future__ import annotations

import sys

import click

from mock_server import signing
from mock_server.recognizer import SIDES
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET, Settings, parse_app
from mock_server.store import DEFAULT_DB, Store


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
    "--db", default=DEFAULT_DB, envvar="IDCARD_MOCK_DB", help="SQLite file; ':memory:' keeps nothing."
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
def serve(host, port, db, apps, workers, strict, default_side, accept_data_url) -> None:
    """Serve the mock on HOST:PORT with a production WSGI server."""
    from mock_server.server import serve as run

    if db == ":memory:" and workers > 1:
        raise click.BadParameter(
            "':memory:' cannot be shared by several workers; use --workers 1", param_hint="--db"
        )
    settings = Settings(
        apps=apps or {DEFAULT_APP_ID: DEFAULT_SECRET},
        db=db,
        strict=strict,
        default_side=default_side,
        accept_data_url=accept_data_url,
    )
    if db != ":memory:":
        Store(db).close()  # create the schema once, before the workers race to do it
    click.echo(f"idcard-mock on http://{host}:{port}  db={db}  workers={workers}")
    for app_id, secret in settings.apps.items():
        shown = secret if (app_id, secret) == (DEFAULT_APP_ID, DEFAULT_SECRET) else "<given>"
        click.echo(f"  app {app_id}  secret {shown}")
    sys.stdout.flush()
    run(settings, host, port, workers)


@main.command("sign")
@click.argument("values", nargs=-1, required=True)
def sign_command(values: tuple[str, ...]) -> None:
    """Print the sign of VALUES: SHA-1 of the sorted, concatenated values, uppercase hex."""
    click.echo(signing.sign(values))


if __name__ == "__main__":
    main()
