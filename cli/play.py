"""`aedemo play`: the live playground, a page in the browser served from this machine."""
from __future__ import annotations

import copy

import click

from .train import train as train_command

DEFAULT_PORT = 8421   # a fixed port, so a bookmark keeps working; 0 picks any free one


def hidden_copy(option: click.Parameter) -> click.Parameter:
    """One of `aedemo train`'s options, taken by `play --train` but not listed in play's help; its value
    is kept as typed (no callback turns it into a setting), to be passed on to `aedemo train`, which checks it."""
    option = copy.copy(option)
    option.hidden, option.callback = True, None
    return option


TRAIN_OPTIONS = [hidden_copy(p) for p in train_command.params]


def typed_train_options(ctx: click.Context) -> list[click.Option]:
    """The options of `aedemo train` typed on this command line."""
    return [p for p in TRAIN_OPTIONS if ctx.get_parameter_source(p.name) == click.core.ParameterSource.COMMANDLINE]


def as_arguments(ctx: click.Context, options: list[click.Option]) -> list[str]:
    """Typed options back as `aedemo train` arguments."""
    args = []
    for option in options:
        value = ctx.params[option.name]
        if option.is_flag and option.secondary_opts:
            args.append(option.opts[0] if value else option.secondary_opts[0])
        elif option.is_flag:
            args += [option.opts[0]] if value else []
        else:
            for item in value if option.multiple else [value]:
                args += [option.opts[0], str(item)]
    return args


@click.command()
@click.argument("run", required=False, type=click.Path())
@click.option("--train", "live", is_flag=True,
              help="Train a new run beside the page and watch it learn; takes every option of `aedemo train`.")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port to serve on; 0 = any free port.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets other machines open the page.")
@click.option("--no-browser", is_flag=True, help="Do not open a browser; just print the page's address.")
@click.pass_context
def play(ctx, run, live, port, host, no_browser, **train_options):
    """Play with a swap in the browser: pose sliders, the swap live beside the true swap.

    Serves a page from this machine (it works offline) and opens it: a slider for each
    pose factor, source | swap | true swap with the eyes+mouth PSNR of the frame, motion
    buttons, and the shared code with its main directions drawn by every decoder. Without
    RUN it plays the pretrained sample. With --train it trains a new run beside the page
    (into --out, default runs/A-B) and shows the newest preview and the curves at every
    save; the sliders drive each new checkpoint. Ctrl-C stops it (exit 130).

    \b
    Examples:
      aedemo play                                       # the pretrained sample
      aedemo play runs/blob-robot --no-browser          # print the address only
      aedemo play runs/blob-robot --port 0              # any free port
      aedemo play --train --a blob --b robot --time 60 --out runs/live

    \b
    Its pictures are also plain addresses, e.g. for slides:
      http://127.0.0.1:8421/swap.png?from=blob&to=robot&mouth_open=1
      http://127.0.0.1:8421/render.png?identity=robot&mouth_open=1
    """
    from pathlib import Path

    from aedemo.errors import UsageError

    typed = typed_train_options(ctx)
    if typed and not live:
        raise UsageError(f"{typed[0].opts[0]} is an option of --train (add --train, or see aedemo train --help)")
    if live and run is not None:
        raise UsageError("--train trains a new run into --out (default runs/A-B); RUN names one already trained")

    from aedemo import play as server
    from aedemo.playground import Playground

    server.use_request_threads()   # before loading: the code directions are found on one thread too

    def log(message: str) -> None:
        click.echo(message, err=True)

    if live:
        from aedemo.config import TrainConfig
        from aedemo.folder import default_path
        from aedemo.livetrain import TrainingJob

        out = train_options["out"]
        folder = Path(out) if out else default_path(TrainConfig(a=train_options["a"], b=train_options["b"]))
        job = TrainingJob(as_arguments(ctx, [p for p in typed if p.name != "out"]), folder)
        server.serve(Playground(), host, port, browser=not no_browser, job=job, log=log)
        return
    from aedemo.folder import shipped_sample
    from aedemo.run import load_run

    run = run if run is not None else shipped_sample()
    if run is None:
        raise UsageError("no RUN given, and the pretrained sample is not in this copy of aedemo: name a run "
                         "folder, or train one with --train")
    ground = Playground(load_run(run))
    server.serve(ground, host, port, browser=not no_browser, log=log)


play.params.extend(TRAIN_OPTIONS)
