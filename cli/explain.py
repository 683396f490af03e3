"""`aedemo explain`: the layers, and what the shared code knows."""
from __future__ import annotations

import click


@click.command()
@click.argument("run", type=click.Path())
@click.option("--color-by", default="mouth_open", show_default=True, metavar="FACTOR",
              help="Pose factor that colours the right-hand PCA plot.")
@click.option("--n", "n", default=256, show_default=True, type=int, help="Held-out poses per character (20-4096).")
def explain(run, color_by, n):
    """Show the layers, their output shapes and parameters, and what the shared code knows.

    Writes RUN/latent_pca.png (the codes of held-out pictures, flattened by PCA, coloured by
    character and by a pose factor) and RUN/explain.json (the table and the linear probes:
    pose factors read from the code, R², versus the character read from the code, accuracy).

    \b
    Examples:
      aedemo explain runs/blob-robot
      aedemo explain runs/blob-robot --color-by smile
      aedemo explain runs/separate          # separate encoders: compare its probes with a shared run's
    """
    from aedemo.errors import UsageError
    from aedemo.explain import FIGURE_NAME, JSON_NAME, ExplainConfig, format_explain, write_explain
    from aedemo.folder import working_copy
    from aedemo.run import load_run

    if not 20 <= n <= 4096:
        raise UsageError(f"--n must be from 20 to 4096 poses, got {n}")
    cfg = ExplainConfig(n=n, color_by=color_by)
    loaded = load_run(working_copy(run, log=lambda line: click.echo(line, err=True)))
    click.echo(f"encoding {n} held-out poses per character...", err=True)
    info = write_explain(loaded, cfg)
    click.echo(format_explain(info))
    click.echo(f"\nfigure: {loaded.path / FIGURE_NAME}\ndata:   {loaded.path / JSON_NAME}")
    click.echo(f"next: aedemo report {loaded.path}", err=True)
