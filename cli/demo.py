"""`aedemo demo`: the whole lesson in one command."""
from __future__ import annotations

import click


@click.command()
@click.option("--out", default="runs/demo", show_default=True, type=click.Path(file_okay=False),
              help="Run folder (a taken folder gets -2, -3, ...).")
@click.option("--time", "time_s", default=60.0, show_default=True, type=float, help="Training budget in seconds.")
@click.option("--a", "a", default="blob", show_default=True, metavar="NAME", help="First identity.")
@click.option("--b", "b", default="robot", show_default=True, metavar="NAME", help="Second identity.")
@click.option("--ablation-time", default=10.0, show_default=True, type=float, help="Seconds per ablation variant.")
@click.option("--detect-time", default=6.0, show_default=True, type=float,
              help="Seconds to train the swap detector (the robust one trains half as long again).")
@click.option("--resume", is_flag=True, help="Finish the lesson in --out: keep what is done, train for the time "
              "left, make what is missing (with nothing there, start it).")
def demo(out, time_s, a, b, ablation_time, detect_time, resume):
    """The whole lesson end to end: train, score, animate, explain, ablate, detect -> report.html.

    About 2 minutes on a free 2-core laptop CPU with the defaults (one of them training);
    much longer while another program keeps the CPU busy.

    \b
    Examples:
      aedemo demo
      aedemo demo --a cat --b ghost --time 120 --out runs/cat-ghost-lesson
      aedemo demo --out runs/cat-ghost-lesson --resume      # after Ctrl-C: finish it
    """
    from aedemo.demo import demo as run_demo
    from aedemo.errors import UsageError

    if not 0 < time_s <= 24 * 3600 or not 0 < ablation_time <= 3600 or not 0 < detect_time <= 3600:
        raise UsageError("--time, --ablation-time and --detect-time must be positive numbers of seconds")
    result = run_demo(out, time_s, a, b, ablation_seconds=ablation_time, log=lambda m: click.echo(m, err=True),
                      resume=resume, detect_seconds=detect_time)
    click.echo(f"done in {result['seconds']:.0f} s", err=True)
    for line in result["summary"]:
        click.echo(line, err=True)
    click.echo(str(result["report"]))
