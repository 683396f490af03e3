"""`aedemo train`: train a shared encoder and one decoder per character."""
from __future__ import annotations

import shlex

import click

from .options import ignored_on_resume, train_options


def expression_line(path) -> str:
    """When the swap first carried the expression, read from the run's log."""
    from aedemo.lesson.charts import EXPRESSION_BAR, read_log, time_to_expression

    rows = read_log(path / "log.csv") if (path / "log.csv").exists() else []
    first = time_to_expression(rows)
    if first:
        return (f"time to expression: {first['seconds']:.1f} s (step {first['step']:.0f}), when the swap first beat "
                f"the best expression-blind baseline by {EXPRESSION_BAR:g} dB in eyes+mouth both ways")
    best = max((row["margin_db"] for row in rows if "margin_db" in row), default=None)
    return ("expression not carried over yet: " + (f"best margin {best:+.1f} dB" if best is not None else "no margin logged")
            + f" against the {EXPRESSION_BAR:g} dB it takes; train longer with --resume")


@click.command()
@train_options
@click.option("--out", type=click.Path(file_okay=False), help="Run folder [default: runs/A-B].")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its checkpoint.")
def train(out, resume, **settings):
    """Train a shared encoder and one decoder per identity.

    Every step renders fresh poses; a preview grid, a log row and a checkpoint are written
    every --save-every steps. Ctrl-C saves and stops (exit 130).

    \b
    The run folder gets: config.json (every setting and the command that
    reproduces the run), checkpoint.pt (the latest weights), checkpoint.best.pt
    (the lowest training loss so far), log.csv and loss.png (losses and held-out
    PSNR), preview/ (a grid every --save-every steps) and timelapse.gif.

    \b
    Examples:
      aedemo train --a blob --b robot --time 60
      aedemo train --a cat --b ghost --steps 500 --out runs/cat-ghost
      aedemo train --out runs/cat-ghost --resume --steps 1000
      aedemo train --encoders separate --time 30 --out runs/separate     # why sharing matters
      aedemo train --pipeline frame --time 60 --out runs/no-align        # why alignment matters
    """
    from aedemo.config import TrainConfig
    from aedemo.train import train as run_training

    if resume:
        ignored = ignored_on_resume(click.get_current_context())
        if ignored:
            click.echo(f"note: --resume continues with the run's saved settings; ignoring {', '.join(ignored)}",
                       err=True)
    run = run_training(TrainConfig(**settings), out=out, resume=resume, log=lambda line: click.echo(line, err=True))
    click.echo(f"the run is at step {run.step}; run folder: {run.path}", err=True)
    click.echo(expression_line(run.path), err=True)
    where = shlex.quote(str(run.path))
    click.echo(f"next: aedemo swap {where}   or   aedemo evaluate {where}; then aedemo report {where} makes its "
               "lesson page", err=True)
    click.echo(str(run.path))
