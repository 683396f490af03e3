"""`aedemo evaluate`: score the swaps against the true swaps and their baselines."""
from __future__ import annotations

import click


@click.command()
@click.argument("run", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON instead of a table.")
@click.option("--readout-steps", type=click.IntRange(1, 100_000), metavar="N",
              help="Train the readout networks for N steps instead of their default (more: they read more reliably).")
def evaluate(run, as_json, readout_steps):
    """Score every swap against the true swap, beside baselines; write RUN/metrics.json.

    For each ordered pair of the run's characters, on fixed held-out poses: PSNR and SSIM
    (whole image and eyes+mouth) of the swap and of four baselines (copy the input, mean
    image, and two that know the head pose but not the expression), how much the swap's
    face varies with expression, and what small readout networks read from it. With three or
    more characters, a line per pair and a heat map of the margins (RUN/pairs.png) follow.

    \b
    Examples:
      aedemo evaluate runs/blob-robot
      aedemo evaluate runs/blob-robot --json > metrics.json
      aedemo evaluate runs/blob-robot --readout-steps 600   # readouts that read more reliably
      aedemo evaluate runs/cast4      # a cast: also one line per pair and RUN/pairs.png
    """
    import json

    from aedemo.evaluate import EvalConfig, format_table
    from aedemo.evaluate import evaluate as run_evaluation
    from aedemo.folder import working_copy
    from aedemo.run import load_run

    loaded = load_run(working_copy(run, log=lambda line: click.echo(line, err=True)))
    metrics = run_evaluation(loaded, EvalConfig(readout_steps=readout_steps),
                             log=lambda message: click.echo(message, err=True))
    click.echo(f"wrote {loaded.path / 'metrics.json'}", err=True)
    click.echo(json.dumps(metrics, indent=2) if as_json else format_table(metrics))
    if len(metrics["identities"]) > 2:
        from aedemo.lesson.pairs import format_pairs, format_reasons, write_margin_map

        heat_map = write_margin_map(metrics, loaded.path / "pairs.png")
        click.echo(f"wrote {heat_map}: the margin of every pair", err=True)
        if not as_json:
            click.echo("\n" + format_pairs(metrics) + "\n\n" + format_reasons(metrics))
