"""`firma storage copy --to URL`: migrate an instance's stored files to another storage (e.g. disk → S3)."""
import click
from flask import current_app
from flask.cli import AppGroup

from firma.platform import storage
from firma.platform.storage.copy import copy_all

group = AppGroup("storage", help="Armazenamento de arquivos (disco local ou S3).")


@group.command("copy")
@click.option("--to", "target_url", required=True, help="file:///pasta ou s3://bucket/prefixo")
@click.option("--endpoint-url", default=None, help="S3 endpoint of the target (default: FIRMA_S3_ENDPOINT_URL)")
@click.option("--verbose", is_flag=True, help="One line per file.")
def copy_command(target_url: str, endpoint_url: str | None, verbose: bool) -> None:
    """Copy every stored file to TARGET, skipping identical ones; exit 1 if a name differs there."""
    source = storage.backend()
    target = storage.for_url(target_url, endpoint_url or current_app.config.get("S3_ENDPOINT_URL"))
    if target.url == source.url:
        raise click.UsageError(f"the target is this instance's own storage ({source.url})")
    progress = (lambda name, what: click.echo(f"{what}: {name}")) if verbose else (lambda name, what: None)
    try:
        report = copy_all(source, target, progress)
    except storage.StorageError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"copied {report.copied}, already there {report.skipped}, different there {len(report.conflicts)}"
               f" ({source.url} -> {target.url})")
    for name in report.conflicts:
        click.echo(f"different at the target, not overwritten: {name}", err=True)
    if report.conflicts:
        raise SystemExit(1)


def register(app) -> None:
    """Add the `storage` command group to the app's CLI."""
    app.cli.add_command(group)
