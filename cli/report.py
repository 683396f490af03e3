"""`aedemo report`: the lesson page of a run."""
from __future__ import annotations

import click


@click.command()
@click.argument("run", type=click.Path())
def report(run):
    """Rebuild RUN/report.html, the lesson page, from what the run folder holds.

    One self-contained file that works offline; sections whose files are missing say which
    command makes them.

    \b
    Examples:
      aedemo report runs/blob-robot
    """
    from aedemo.folder import working_copy
    from aedemo.lesson.report import write_report

    path = write_report(working_copy(run, log=lambda line: click.echo(line, err=True)))
    click.echo(f"wrote {path}", err=True)
    click.echo(str(path))
