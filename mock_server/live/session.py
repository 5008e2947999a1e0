"""One run of `idcard-mock proxy`: bind, serve the proxy (gunicorn, one gevent worker, server.py),
and when it stops print the violation summary and finish the recording.

One worker process: the masker's memory of which real value became which synthetic one must be
one memory for the whole recording; gevent greenlets serve the connections concurrently. The
worker writes only masked data (the staged exchanges, synthetic images) and the violation log;
this process turns them into the pack after the worker has stopped.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

import click

from mock_server.fixtures.generate import PackError

from .recorder import Recorder, finish, upstream_label
from .violations import ViolationLog, format_summary

RAW_WARNING = (
    "WARNING: --keep-raw-images writes the REAL card images sent through the proxy (real people's "
    "faces, names and ID numbers) to {folder}. Files are 0600; delete them as soon as you can, "
    "never commit or share them. `idcard-mock fixtures lint` refuses any pack that holds them."
)


def run_proxy(*, upstream: str, record_dir: str | None, keep_demographics: bool,
              keep_raw_images: bool, host: str, port: int, timeout: float) -> int:
    from mock_server import server

    from .proxy import ProxyConfig, create_proxy_app

    if keep_raw_images and not record_dir:
        raise click.BadParameter("needs --record", param_hint="--keep-raw-images")
    state = Path(tempfile.mkdtemp(prefix="idcard-mock-proxy-"))  # 0700
    target = Path(record_dir) if record_dir else None
    staging = raw = None
    as_of = date.today()
    if target is not None:
        try:
            staging = Recorder.prepare(target, upstream=upstream_label(upstream),
                                       keep_demographics=keep_demographics)
        except PackError as error:
            raise click.ClickException(str(error)) from None
        if keep_raw_images:
            raw = target.parent / f"{target.name}-raw-images"
            click.secho(RAW_WARNING.format(folder=raw), fg="red", bold=True, err=True)
    config = ProxyConfig(upstream=upstream, state_dir=state, timeout=timeout,
                         record_staging=staging, keep_demographics=keep_demographics,
                         raw_dir=raw, as_of=as_of)
    try:
        listener = server.bind(host, port)
    except server.PortInUse as error:
        click.echo(f"idcard-mock: {error}", err=True)
        return 1
    bound = listener.getsockname()[1]
    click.echo(f"idcard-mock proxy on http://{host}:{bound} -> {upstream_label(upstream)}"
               + (f"  recording to {target}" if target else ""))
    sys.stdout.flush()
    me = os.getpid()
    try:
        server.serve_app(lambda: create_proxy_app(config), listener, workers=1)
    except (SystemExit, KeyboardInterrupt):
        if os.getpid() != me:  # the forked worker leaving: what follows is this process's job
            raise
    finally:
        listener.close()
    click.echo(format_summary(ViolationLog(state).summary()))
    shutil.rmtree(state, ignore_errors=True)
    if staging is not None and target is not None:
        try:
            manifest = finish(staging, target, as_of=as_of)
        except PackError as error:
            click.echo(f"idcard-mock: {error}", err=True)
            return 1
        click.echo(f"recorded {sum(c['count'] for c in manifest['recording']['calls'].values())} "
                   f"exchanges, {len(manifest['entries'])} pack entries, to {target}")
    return 0
