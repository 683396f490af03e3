"""Options shared by several commands, and `aedemo train`'s options made from aedemo.config.

    @click.command()
    @train_options                      # one click option per TrainConfig field that has one
    def train(out, resume, **settings):
        cfg = TrainConfig(**settings)
"""
from __future__ import annotations

from dataclasses import fields

import click

from aedemo.config import RESUMABLE, TrainConfig, option_name

TYPES = {"str": str, "int": int, "float": float, "bool": bool}
RESUME_OPTIONS = {*RESUMABLE, "out", "resume", "device"}  # what --resume takes from the command line


def check_seed(ctx, param, value: int) -> int:
    """A seed must fit the random generator: a whole number from 0 to 2**63 - 1."""
    if not 0 <= value < 2**63:
        raise click.BadParameter(f"must be from 0 to {2**63 - 1}, got {value}")
    return value


def pipeline_is_aligned(ctx, param, value: str) -> bool:
    """--pipeline aligned|frame as the config's `aligned`."""
    return value == "aligned"


def train_option(f) -> click.Option:
    """The click option of one TrainConfig field, with the field's default and help."""
    meta, default = f.metadata, TrainConfig.__dataclass_fields__[f.name].default
    args = dict(help=meta["help"], **meta["click"])
    if "choices" in args:
        args["type"] = click.Choice(args.pop("choices"))
    if f.name == "more":
        args["multiple"] = True
    elif f.name == "aligned":
        args.update(default="aligned", show_default=True, callback=pipeline_is_aligned)
    elif default is not None:
        args.update(default=default, show_default=True)
    else:
        args["type"] = TYPES[f.type.replace(" | None", "")]
    if f.name == "seed":
        args["callback"] = check_seed
    return click.option(option_name(f), f.name, **args)


def train_options(command):
    """Decorate a command with every TrainConfig option, in the config's order."""
    for f in reversed([f for f in fields(TrainConfig) if option_name(f)]):
        command = train_option(f)(command)
    return command


def ignored_on_resume(ctx: click.Context) -> list[str]:
    """Options typed on the command line that --resume does not use (the run's own settings win)."""
    typed = [p for p in ctx.command.params
             if ctx.get_parameter_source(p.name) == click.core.ParameterSource.COMMANDLINE]
    return [p.opts[0] for p in typed if p.name not in RESUME_OPTIONS]
