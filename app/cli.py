"""The `ceplan` command: migrate, seed, serve."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from app.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from app.domain.catalogue import Catalogue

cli = typer.Typer(
    help="ceplan: corrective-exercise plans from movement assessments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@cli.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the database (CEPLAN_DATABASE_URL) to the latest schema."""
    from app.db.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    typer.echo(f"database migrated to {revision}")


@cli.command()
def seed(
    seed_dir: Annotated[Path | None, typer.Option(help="Folder of seed YAML files (default: CEPLAN_SEED_DIR).")] = None,
) -> None:
    """Load seed/ into the database: upsert by slug, print what was added and changed. Safe to repeat."""
    from app.db.seed_files import SeedError
    from app.services.setup import seed as run_seed

    settings = get_settings()
    try:
        report = run_seed(settings.database_url, seed_dir or Path(settings.seed_dir))
    except SeedError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    for line in report.lines():
        typer.echo(line)
    typer.echo("catalogue updated" if report.touched else "nothing to change")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", envvar="PORT")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (they share the database).")] = 1,
) -> None:
    """Serve the API. On the SQLite default the database is migrated and seeded first, so nothing else is needed."""
    import os

    import uvicorn

    from app.logs import configure_logging
    from app.server import PROTOCOL
    from app.services.setup import prepare_database

    settings = get_settings()
    if settings.should_auto_migrate:
        # Once, here, before the workers start: never once per worker.
        for line in prepare_database(settings.database_url, Path(settings.seed_dir)).lines():
            typer.echo(line)
    os.environ["CEPLAN_AUTO_MIGRATE"] = "false"
    get_settings.cache_clear()  # the app, imported next in this process, must see the change
    configure_logging(settings.log_level, access_log=settings.access_log)
    # log_config=None: uvicorn keeps our JSON logging instead of installing its own handlers. The protocol reads
    # the head and body timeouts, the head size and the connection cap from the settings itself (uvicorn has no
    # options for them; its limit_concurrency answers 503 only once a request arrives).
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=settings.access_log,
        # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise; only the configured proxies.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies,
        http=PROTOCOL,
        timeout_keep_alive=settings.keep_alive_seconds,
        ws="none",  # no WebSocket route: an upgrade request is a plain request, not two log lines and a 403
    )


@cli.command()
def plan(
    file: Annotated[
        typer.FileText, typer.Argument(help="A plan request as JSON (the body of POST /v1/plans); - for stdin.")
    ] = "-",  # type: ignore[assignment]
) -> None:
    """Print the plan for a request, exactly as POST /v1/plans answers it, without a server."""
    from pydantic import ValidationError

    from app.domain.errors import DomainError
    from app.schemas.plan import PlanRequest
    from app.services.plans import make_plan
    from app.services.problems import domain_problem, pydantic_problem

    catalogue = _load_catalogue()
    try:
        content, _status = make_plan(catalogue, PlanRequest.model_validate_json(file.read()))
    except ValidationError as error:
        _fail(pydantic_problem(error).model_dump_json(exclude_none=True))
    except DomainError as error:
        _fail(domain_problem(error).model_dump_json(exclude_none=True))
    typer.echo(content.decode())


def _fail(problem_json: str) -> NoReturn:
    typer.echo(problem_json)
    raise typer.Exit(1)


def _load_catalogue() -> "Catalogue":
    from app.db.engine import make_engine
    from app.services.setup import prepare_database
    from app.services.snapshot import CatalogueStore

    settings = get_settings()
    if settings.should_auto_migrate:
        prepare_database(settings.database_url, Path(settings.seed_dir))
    engine = make_engine(settings.database_url)
    try:
        return CatalogueStore(engine).refresh(force=True).shared
    finally:
        engine.dispose()


@cli.command()
def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the spec.")] = Path("openapi/openapi.json"),
    check: Annotated[bool, typer.Option("--check", help="Only compare: exit 1 if the file differs.")] = False,
) -> None:
    """Write the OpenAPI contract the app serves to openapi/openapi.json (the committed, reviewed copy)."""
    from app.api.contract import render_openapi

    rendered = render_openapi()
    if check:
        if not output.is_file() or output.read_text(encoding="utf-8") != rendered:
            typer.echo(f"{output} differs from what the app serves: run `ceplan openapi`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{output} is up to date")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(rendered, encoding="utf-8")
    typer.echo(f"wrote {output}")


apikey = typer.Typer(
    help="Create and revoke API keys. A key is shown once; only its hash is stored.", no_args_is_help=True
)
cli.add_typer(apikey, name="apikey")


def _engine() -> "Engine":
    from app.db.engine import make_engine

    return make_engine(get_settings().database_url)


@apikey.command("create")
def apikey_create(
    tenant: Annotated[
        str,
        typer.Option(help="The gym or app the key belongs to (created if new): a slug such as acme_gym, not shared."),
    ],
    read_only: Annotated[bool, typer.Option("--read-only", help="The key may read but not write.")] = False,
) -> None:
    """Create a key for a tenant and print it once: store it now, it cannot be shown again."""
    from app.errors import InvalidInput
    from app.services.accounts import create_key

    try:
        issued = create_key(_engine(), tenant, read_only=read_only)
    except InvalidInput as error:
        typer.echo(f"error: {error.detail}", err=True)
        raise typer.Exit(1) from error
    typer.echo(issued.key)
    typer.echo(
        f"tenant {issued.tenant}, prefix {issued.prefix}, {'read-only' if read_only else 'read-write'}", err=True
    )


@apikey.command("revoke")
def apikey_revoke(prefix: Annotated[str, typer.Argument(help="The key's prefix (the part after `cep_`).")]) -> None:
    """Revoke a key at once: later requests with it get 401."""
    from app.services.accounts import revoke_key

    if not revoke_key(_engine(), prefix):
        typer.echo(f"no active key with prefix {prefix}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {prefix}")


@apikey.command("list")
def apikey_list() -> None:
    """List keys by prefix and tenant (never the secrets)."""
    from app.services.accounts import list_keys

    for prefix, tenant, read_only, revoked_at in list_keys(_engine()):
        state = f"revoked {revoked_at}" if revoked_at else "active"
        typer.echo(f"{prefix}\t{tenant}\t{'read-only' if read_only else 'read-write'}\t{state}")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
