"""The `newsdesk` command: a thin layer that checks arguments and calls plain functions.

Exit codes mean something (scripts and schedulers act on them):
0 everything read was stored; 1 some inputs failed but others were stored;
2 usage error (including a `--db` file that is not a store); 3 nothing could be read or
analysed at all; 4 newsdesk could not run as set up (a bad setting or actor file, a
missing model or extra, a store from a newer newsdesk); 5 the disk filled up (free space
and re-run: the run resumes after the last article stored). One line `error: ...` says
what to fix, and -vv adds the traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from newsdesk import __version__, settings
from newsdesk.errors import (
    DiskFullError,
    MissingExtraError,
    NewsdeskError,
    NotAStoreError,
    StoreMissingError,
    printable,
    shown,
)
from newsdesk.models import InputError

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_NOTHING, EXIT_ERROR, EXIT_DISK_FULL = 0, 1, 2, 3, 4, 5
log = logging.getLogger(__name__)

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: settings.get("db"),
    show_default="newsdesk.db",
    help="SQLite store (created if missing; env NEWSDESK_DB).",
)


def out_option(*, required: bool, help: str) -> Callable[[Any], Any]:
    """`--out DIR`, the folder of the output files, shared by the commands that write them."""
    return click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                        required=required, default=None, help=help)


class _ErrorBoundary(click.Group):
    """Where every command's domain errors meet the user: one line and exit 4 (2 for a
    `--db` that is not a store, 5 for a full disk).

    A `NewsdeskError` is something the user can fix, so a traceback (and exit 1, which
    means "some inputs failed") would mislead scripts and people alike. Errors that are
    not domain errors are bugs and keep their traceback.
    """

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except NewsdeskError as exc:
            log.debug("%s", type(exc).__name__, exc_info=True)
            click.echo(f"error: {printable(' '.join(str(exc).splitlines()))}", err=True)
            if isinstance(exc, DiskFullError):
                ctx.exit(EXIT_DISK_FULL)
            ctx.exit(EXIT_USAGE if isinstance(exc, NotAStoreError) else EXIT_ERROR)


@click.group(cls=_ErrorBoundary, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsdesk")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """Turn news reports about armed conflict into a sourced record of incidents and claims.

    Example:

        newsdesk analyze examples/raqqa-2017 --out out/
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    settings.check()  # a bad value stops here, before any work, not halfway through


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@out_option(required=True, help="Folder for articles.jsonl, places.jsonl, ..., report.html.")
@db_option
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where the per-article stage runs.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that analyse (default: one per core from 200 reports, else one; "
    "Dask: single-threaded workers of a local cluster, default one per core).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="tcp://HOST:8786",
    help="Dask: address of an existing scheduler instead of a local cluster.",
)
@click.option("--parquet/--no-parquet", default=None,
              help="Also write the record tables as Parquet (default: from 5,000 articles).")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary.")
def analyze(
    inputs: tuple[str, ...],
    out_dir: Path,
    db_path: Path,
    executor: str,
    workers: int | None,
    scheduler: str | None,
    parquet: bool | None,
    quiet: bool,
) -> None:
    """Read reports, analyse them, store them and write the output files.

    INPUTS are files (HTML, text, JSON Lines, WARC, RSS/Atom, any of them gzipped),
    folders, globs, or - for standard input. Bad inputs are reported one line each and
    the rest of the batch goes on.

    Example:

        newsdesk analyze examples/raqqa-2017 'feeds/*.xml.gz' --out out/ --db desk.db
    """
    from newsdesk.startup import long_lived

    with long_lived():  # spaCy's and newsdesk's modules live as long as the process
        from newsdesk.pipeline import run

    if executor == "local" and scheduler:
        raise click.UsageError("--scheduler applies to --executor dask")

    def report_error(err: InputError) -> None:
        click.echo(f"error: {shown(err.source)}: {printable(err.reason)}", err=True)

    given = click.get_current_context().get_parameter_source("db_path")
    if not db_path.exists() and given is not ParameterSource.COMMANDLINE:
        # a store made where the user did not ask for one must not go unnoticed
        click.echo(f"no --db given: creating the store {db_path.resolve()} "
                   "(set --db or NEWSDESK_DB to keep it elsewhere)", err=True)
    summary = run(
        list(inputs),
        out_dir=out_dir,
        db_path=db_path,
        executor=executor,  # type: ignore[arg-type]
        workers=workers,
        scheduler=scheduler,
        parquet=parquet,
        progress=not quiet,
        stdin=sys.stdin.buffer,
        on_error=report_error,
    )
    if not quiet:
        read_any = summary.stored + summary.unchanged + summary.duplicates
        wrote = (f"wrote {out_dir}/ (open {out_dir}/report.html)" if read_any
                 else f"nothing read: {out_dir}/ left as it was")
        click.echo(f"{summary.line()}\n{wrote}; store {db_path}", err=True)
    if summary.stored + summary.unchanged + summary.duplicates == 0:
        sys.exit(EXIT_NOTHING)
    sys.exit(EXIT_PARTIAL if summary.failed else EXIT_OK)


@main.command()
@db_option
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0)
@click.option("-q", "--query", default=None, help="Full-text search over titles and texts.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def articles(db_path: Path, limit: int, offset: int, query: str | None, as_json: bool) -> None:
    """List the articles in the store.

    Example:

        newsdesk articles --db newsdesk.db -q Raqqa
    """
    from newsdesk.store import Store

    if not db_path.exists():
        raise StoreMissingError(f"no store at {db_path}; run `newsdesk analyze` first")
    with Store.open(db_path) as store:
        rows = store.articles(limit=limit, offset=offset, q=query)
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            dup = f"  (copy of {row['duplicate_of']})" if row.get("duplicate_of") else ""
            click.echo(
                f"{row['id']}  {row.get('published') or '----------'}  "
                f"{(row.get('outlet') or '?')[:18]:18}  {row.get('title') or ''}{dup}"
            )


@main.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@click.option(
    "--token",
    default=lambda: settings.get("token"),
    help="Token required for writes (review, upload); env NEWSDESK_TOKEN. "
    "Without one the desk is read-only.",
)
@click.option(
    "--tile-url",
    default=None,
    help="Online map tiles, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png "
    "(default: the bundled offline basemap).",
)
def serve(db_path: Path, host: str, port: int, token: str | None, tile_url: str | None) -> None:
    """Open the desk: stories, map, timeline, claims and incident review in a browser.

    Example:

        newsdesk serve --db newsdesk.db --token s3cret
    """
    try:
        from newsdesk.web import serve as serve_app
    except ImportError as exc:
        raise MissingExtraError.of("web", "the desk", exc) from exc
    click.echo(
        f"newsdesk desk on http://{host}:{port}/  (store {db_path}; "
        f"{'writes need the token' if token else 'read-only: no token set'})",
        err=True,
    )
    serve_app(db_path, host=host, port=port, token=token, tile_url=tile_url)


@main.group()
def gazetteer() -> None:
    """The offline GeoNames gazetteer (built on first use; build it ahead here)."""


@gazetteer.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def build(path: Path | None) -> None:
    """Index the place sources into SQLite at PATH (default: $NEWSDESK_DATA_DIR or the
    package's data folder), replacing any older index in one step; and derive the report
    map's basemap (`basemap.npz`) next to it.

    Example:

        newsdesk gazetteer build
    """
    from newsdesk.analyse.gazetteer import build as build_index
    from newsdesk.publish import basemap

    for out in (build_index(path), basemap.build(path and path.with_name("basemap.npz"))):
        click.echo(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@out_option(required=False,
            help="Folder for the output files, rewritten after each poll that stored reports.")
@click.option("--once", is_flag=True, help="Poll every source once, print a summary, exit 0.")
def watch(config: Path, db_path: Path, out_dir: Path | None, once: bool) -> None:
    """Follow the outlets in CONFIG: fetch new reports, analyse them, alert.

    CONFIG is a TOML file of [[source]] tables (feed, sitemap, urls, folder or site) and
    [[alert]] rules; see the README, "Following outlets". Without --once it polls each
    source when due until SIGINT/SIGTERM, finishing the report in hand first.

    Example:

        newsdesk watch sources.toml --db desk.db --out out/ --once
    """
    import signal
    import threading

    from newsdesk.watch.config import load_config
    from newsdesk.watch.runner import poll
    from newsdesk.watch.runner import watch as watch_forever

    cfg = load_config(config)

    def report(message: str) -> None:
        click.echo(f"error: {message}", err=True)

    if once:
        summary = poll(cfg, db_path, out_dir=out_dir, on_error=report)
        click.echo(summary.line())
        return
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        click.echo(f"{signal.Signals(signum).name}: stopping after the report in hand", err=True)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    click.echo(f"watching {len(cfg.sources)} sources from {config}; store {db_path}", err=True)
    watch_forever(cfg, db_path, out_dir=out_dir, stop=stop, on_poll=click.echo, on_error=report)


@main.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def sources(db_path: Path, as_json: bool) -> None:
    """Each watched source's health: last success, last error, reports found, next poll.

    Example:

        newsdesk sources --db desk.db
    """
    from newsdesk.store import Store
    from newsdesk.watch.state import source_health

    if not db_path.exists():
        raise click.ClickException(f"no store at {db_path}; run `newsdesk watch` first")
    with Store.open(db_path) as store:
        rows = source_health(store)
    if not rows and not as_json:
        click.echo("no sources watched yet; run `newsdesk watch CONFIG`", err=True)
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
            continue
        state = "ok" if not row["failures"] else f"failing ({row['failures']} in a row)"
        click.echo(
            f"{row['name']}  [{row['kind']}]  {state}; reports found {row['reports_found']}; "
            f"last success {row['last_success'] or 'never'}; next poll {row['next_poll'] or 'now'}"
        )
        if row["last_error"]:
            click.echo(f"    last error ({row['last_error_at']}): {row['last_error']}")


if __name__ == "__main__":
    main()
