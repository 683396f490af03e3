"""`aedemo train`: train a shared encoder and one decoder per character."""
from __future__ import annotations

import shlex

import click

from .options import ignored_on_resume, train_options

CAST_REPLACES = ("a", "b", "more")  # the settings --cast fills in


def cast_names(text: str) -> list[str]:
    """--cast all|NAME,NAME,...: the characters in order; one line if it cannot be a cast."""
    from aedemo.errors import UsageError
    from aedemo.identities import IDENTITIES

    names = list(IDENTITIES) if text.strip().lower() == "all" else [n.strip() for n in text.split(",") if n.strip()]
    if len(names) < 2:
        raise UsageError(f"--cast needs at least two characters, got {len(names)}: {text!r:.60}")
    seen = [n.lower() for n in names]
    twice = next((n for i, n in enumerate(names) if seen.index(n.lower()) != i), None)
    if twice is not None:
        raise UsageError(f"--cast names {twice!r} twice; a swap needs different characters")
    return names


def cast_settings(ctx: click.Context, cast: str | None, settings: dict) -> dict:
    """The settings with a, b and more filled from --cast (refused beside --a, --b or --identity)."""
    if cast is None:
        return settings
    from aedemo.errors import UsageError

    typed = [p.opts[0] for p in ctx.command.params if p.name in CAST_REPLACES
             and ctx.get_parameter_source(p.name) == click.core.ParameterSource.COMMANDLINE]
    if typed:
        raise UsageError(f"--cast gives every character; drop {', '.join(typed)} or drop --cast")
    first, second, *more = cast_names(cast)
    return {**settings, "a": first, "b": second, "more": tuple(more)}


def expression_line(path, characters: int = 2) -> str:
    """When the swap first carried the expression, read from the run's log (for a cast: every pair's)."""
    from aedemo.lesson.charts import EXPRESSION_BAR, read_log, time_to_expression

    rows = read_log(path / "log.csv") if (path / "log.csv").exists() else []
    first = time_to_expression(rows)
    if first:
        return (f"time to expression: {first['seconds']:.1f} s (step {first['step']:.0f}), when the swap first beat "
                f"the best expression-blind baseline by {EXPRESSION_BAR:g} dB in eyes+mouth "
                + ("both ways" if characters == 2 else "in every ordered pair"))
    best = max((row["margin_db"] for row in rows if "margin_db" in row), default=None)
    return ("expression not carried over yet: " + (f"best margin {best:+.1f} dB" if best is not None else "no margin logged")
            + f" against the {EXPRESSION_BAR:g} dB it takes; train longer with --resume")


@click.command()
@train_options
@click.option("--cast", metavar="NAMES", help="Every character at once instead of --a/--b/--identity: 'all' (the "
              "built-in cast) or a comma-separated list of names and spec files.")
@click.option("--out", type=click.Path(file_okay=False), help="Run folder [default: runs/A-B].")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its checkpoint.")
def train(out, resume, cast, **settings):
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
      aedemo train --cast blob,robot,cat,ghost --time 120 --out runs/cast4   # any to any
      aedemo train --out runs/cat-ghost --resume --steps 1000
      aedemo train --encoders separate --time 30 --out runs/separate     # why sharing matters
      aedemo train --pipeline frame --time 60 --out runs/no-align        # why alignment matters
    """
    from aedemo.config import TrainConfig
    from aedemo.train import train as run_training

    settings = cast_settings(click.get_current_context(), cast, settings)
    if resume:
        ignored = ignored_on_resume(click.get_current_context())
        if ignored:
            click.echo(f"note: --resume continues with the run's saved settings; ignoring {', '.join(ignored)}",
                       err=True)
    run = run_training(TrainConfig(**settings), out=out, resume=resume, log=lambda line: click.echo(line, err=True))
    click.echo(f"the run is at step {run.step}; run folder: {run.path}", err=True)
    click.echo(expression_line(run.path, len(run.identities)), err=True)
    where = shlex.quote(str(run.path))
    click.echo(f"next: aedemo swap {where}   or   aedemo evaluate {where}; then aedemo report {where} makes its "
               "lesson page", err=True)
    click.echo(str(run.path))
