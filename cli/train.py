"""`aedemo train` and `aedemo bench`."""
from __future__ import annotations

import click

from .draw import check_seed


# what --resume takes from the command line: aedemo.runfolder.RESUMABLE (not imported: it needs torch), plus
# where the run is and which device trains it
RESUME_OPTIONS = {"time_s", "steps", "save_every", "out", "resume", "device"}


def ignored_on_resume(ctx: click.Context) -> list[str]:
    """Options typed on the command line that --resume does not use (the run's own settings win)."""
    typed = [p for p in ctx.command.params if ctx.get_parameter_source(p.name) == click.core.ParameterSource.COMMANDLINE]
    return [p.opts[0] for p in typed if p.name not in RESUME_OPTIONS]


@click.command()
@click.option("--a", "a", default="blob", show_default=True, metavar="NAME", help="First identity (name or spec.json).")
@click.option("--b", "b", default="robot", show_default=True, metavar="NAME", help="Second identity.")
@click.option("--identity", "more", multiple=True, metavar="NAME", help="A further identity (repeatable).")
@click.option("--time", "time_s", type=float,
              help="Training budget in seconds [default: 60 unless --steps]; with both, whichever ends first.")
@click.option("--steps", type=int, help="Total steps of the run (with --resume: continue up to this).")
@click.option("--size", default=64, show_default=True, help="Frame size in pixels (32-128).")
@click.option("--crop", default=32, show_default=True, help="Aligned crop size the autoencoder sees.")
@click.option("--latent", default=32, show_default=True, help="Size of the shared code (bottleneck).")
@click.option("--width", default=24, show_default=True, help="Channels of the first conv layer (multiple of 8).")
@click.option("--batch", default=24, show_default=True, help="Images per identity per step.")
@click.option("--lr", default=2e-3, show_default=True, help="Adam learning rate.")
@click.option("--decay-at", default=800, show_default=True, metavar="STEP",
              help="From this step the learning rate falls to a tenth over 200 steps (0: never).")
@click.option("--warp/--no-warp", default=False, show_default=True, help="faceswap-style random warp on the encoder's input.")
@click.option("--encoders", type=click.Choice(["shared", "separate"]), default="shared", show_default=True,
              help="One shared encoder (the real thing) or one per identity (the ablation).")
@click.option("--pipeline", type=click.Choice(["aligned", "frame"]), default="aligned", show_default=True,
              help="aligned: extract, align, swap, paste back. frame: the autoencoder sees raw frames.")
@click.option("--feature-weight", default=20.0, show_default=True, help="Extra loss weight on eyes and mouth.")
@click.option("--precision", type=click.Choice(["auto", "bf16", "fp32"]), default="auto", show_default=True,
              help="bf16 autocast where the CPU/GPU supports it.")
@click.option("--seed", default=0, show_default=True, callback=check_seed, help="Same seed, same run.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto", show_default=True)
@click.option("--save-every", default=50, show_default=True, help="Steps between previews and checkpoints.")
@click.option("--out", type=click.Path(file_okay=False), help="Run folder [default: runs/A-B].")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its checkpoint.")
def train(a, b, more, time_s, steps, size, crop, latent, width, batch, lr, decay_at, warp, encoders, pipeline,
          feature_weight, precision, seed, device, save_every, out, resume):
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
    from aedemo.train import TrainConfig
    from aedemo.train import train as run_training

    if resume:
        ignored = ignored_on_resume(click.get_current_context())
        if ignored:
            click.echo(f"note: --resume continues with the run's saved settings; ignoring {', '.join(ignored)}", err=True)
    cfg = TrainConfig(a=a, b=b, more=tuple(more), size=size, crop=crop, latent=latent, width=width, batch=batch,
                      lr=lr, decay_at=decay_at, warp=warp, encoders=encoders, aligned=pipeline == "aligned",
                      feature_weight=feature_weight, precision=precision, seed=seed, device=device,
                      save_every=save_every, steps=steps, time=time_s)
    run = run_training(cfg, out=out, resume=resume, log=lambda message: click.echo(message, err=True))
    click.echo(f"the run is at step {run.step}; run folder: {run.path}", err=True)
    click.echo(f"next: aedemo swap {run.path}   or   aedemo evaluate {run.path}", err=True)
    click.echo(str(run.path))


@click.command()
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto", show_default=True)
@click.option("--quick", is_flag=True, help="Shorter measurements (less precise).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def bench(device, quick, as_json):
    """Measure this machine: renderer, training img/s, matmul peak and FLOP utilisation.

    \b
    Examples:
      aedemo bench
      aedemo bench --json > bench.json
    """
    import json

    from aedemo.bench import bench as measure
    from aedemo.bench import format_bench

    click.echo(f"measuring (about {5 if quick else 15} s)...", err=True)
    result = measure(device, quick=quick)
    click.echo(json.dumps(result, indent=2) if as_json else format_bench(result))
