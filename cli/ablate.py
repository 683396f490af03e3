"""`aedemo ablate`: what each ingredient of the recipe is worth."""
from __future__ import annotations

import click


@click.command()
@click.option("--time", "time_s", default=20.0, show_default=True, type=float, help="Training seconds per variant.")
@click.option("--out", default="runs/ablation", show_default=True, type=click.Path(file_okay=False),
              help="Where the variants go; a trained run folder gets them in RUN/ablation/, as `aedemo demo` does, "
              "and its lesson page shows them.")
@click.option("--a", "a", default="blob", show_default=True, metavar="NAME")
@click.option("--b", "b", default="robot", show_default=True, metavar="NAME")
@click.option("--variant", "variants", multiple=True, metavar="NAME",
              help="Only these variants: shared, separate, no-align, warp, latent-4, gan (repeatable).")
def ablate(time_s, out, a, b, variants):
    """Train variants of the recipe with equal budgets and compare their swaps.

    \b
    Examples:
      aedemo ablate --time 20
      aedemo ablate --variant shared --variant separate --time 30 --out runs/why-share
      aedemo ablate --variant shared --variant gan --time 60 --out runs/gan   # sharper with a critic?
      aedemo ablate --out runs/blob-robot --time 10 --variant shared --variant separate --variant no-align
    """
    from pathlib import Path

    from aedemo.ablate import VARIANTS, ablate_run, format_ablation
    from aedemo.ablate import ablate as run_ablation
    from aedemo.errors import UsageError
    from aedemo.folder import read_config
    from aedemo.identities import closest_names

    for v in variants:
        if v not in VARIANTS:
            raise UsageError(f"unknown variant {v!r}{closest_names(v, VARIANTS)} (variants: {', '.join(VARIANTS)})")
    if not 0 < time_s <= 3600:
        raise UsageError("--time must be a positive number of seconds (at most 3600)")
    if (Path(out) / "ablation.json").exists():
        raise UsageError(f"{out} already holds an ablation; choose another --out")
    def log(message: str) -> None:
        click.echo(message, err=True)

    chosen = variants or tuple(VARIANTS)
    if (Path(out) / "config.json").exists():  # a trained run: ablate its characters and recipe
        base = read_config(Path(out))
        given = {n for n in ("a", "b") if click.get_current_context().get_parameter_source(n).name != "DEFAULT"}
        if given and [a, b] != [base.a, base.b]:
            raise UsageError(f"{out} holds a run of {' and '.join(base.names())}; leave out --a and --b to ablate "
                             "it, or choose another --out")
        table = ablate_run(out, time_s, chosen, base=base, log=log)
        click.echo(format_ablation(table))
        click.echo(f"wrote {Path(out) / 'ablation'} and copied ablation.json and ablation.png into {out}; "
                   f"next: aedemo report {out}", err=True)
        return
    table = run_ablation(time_s, out, a, b, variants=chosen, log=log)
    click.echo(format_ablation(table))
    click.echo(f"wrote {Path(out) / 'ablation.json'} and ablation.png", err=True)
