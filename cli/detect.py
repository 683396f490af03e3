"""`aedemo detect`: train a swap detector on a run's swaps and see what fools it."""
from __future__ import annotations

import click


@click.command()
@click.argument("run", type=click.Path())
@click.option("--time", "time_s", default=20.0, show_default=True, type=float,
              help="Seconds to train the detector; the robust one trains on for half as long again.")
@click.option("--against", "other", type=click.Path(), metavar="OTHER_RUN",
              help="Also score the detectors on another run's swaps (same frame size).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON instead of a table.")
def detect(run, time_s, other, as_json):
    """Train a detector to tell swaps from true renders, then launder the pictures to fool it.

    The detector learns from pairs: a swap, and the true render of the same character in the
    same pose. It is scored (ROC AUC and accuracy) on held-out poses, clean and after blur,
    halving the size, JPEG and noise. A robust detector goes on training on laundered pictures
    and is scored the same way. Writes RUN/detect.json, RUN/detect.png (where the detector
    looks, beside where the swap is wrong) and RUN/detector.pt (reused when run again with
    the same settings).

    \b
    Examples:
      aedemo detect samples/blob-robot
      aedemo detect runs/blob-robot --time 40 --json > detect.json
      aedemo detect runs/blob-robot --against runs/separate   # swaps made another way: caught?
    """
    import json

    from aedemo.detect import DetectConfig, format_table
    from aedemo.detect import detect as run_detect
    from aedemo.errors import UsageError
    from aedemo.folder import working_copy
    from aedemo.run import load_run

    if not 0 < time_s <= 3600:
        raise UsageError(f"--time must be a positive number of seconds, at most 3600, got {time_s:g}")
    loaded = load_run(working_copy(run, log=lambda line: click.echo(line, err=True)))
    against = load_run(other) if other else None
    result = run_detect(loaded, DetectConfig(time=time_s), against=against, log=lambda m: click.echo(m, err=True))
    click.echo(f"wrote {loaded.path / 'detect.json'} and detect.png", err=True)
    click.echo(json.dumps(result, indent=2) if as_json else format_table(result))
