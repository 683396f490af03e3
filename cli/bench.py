"""`aedemo bench`: how fast this machine draws and trains."""
from __future__ import annotations

import click


@click.command()
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto", show_default=True)
@click.option("--quick", is_flag=True, help="Shorter measurements (less precise).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--chromium", metavar="PATH", help="The browser for the play motion's frame rate (default: "
              "$AEDEMO_CHROMIUM, else chromium, chromium-browser or google-chrome on the PATH).")
def bench(device, quick, as_json, chromium):
    """Measure this machine: renderer, training img/s, matmul peak, FLOP utilisation, play speed.

    \b
    Examples:
      aedemo bench
      aedemo bench --json > bench.json
    """
    import json

    from aedemo.bench import bench as measure
    from aedemo.bench import format_bench

    click.echo(f"measuring (about {10 if quick else 20} s)...", err=True)
    result = measure(device, quick=quick, chromium=chromium)
    click.echo(json.dumps(result, indent=2) if as_json else format_bench(result))
