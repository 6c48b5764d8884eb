"""The `ceplan` command: migrate, seed, serve."""

from pathlib import Path
from typing import Annotated

import typer

from app.config import get_settings

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
) -> None:
    """Serve the API. On the SQLite default the database is migrated and seeded first, so nothing else is needed."""
    import uvicorn

    uvicorn.run("app.main:app", host=host, port=port, log_level=get_settings().log_level.lower())


def main() -> None:
    cli()
