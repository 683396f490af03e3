"""The `aedemo` command: one group, one subcommand per step of the lesson.

    aedemo identities --sheet sheet.png
    aedemo render cat --set mouth_open=1 -o cat.png
    aedemo train --a blob --b robot --time 60

Commands import the library (and torch) only when they run, so `aedemo --help` is instant.
Errors a user can cause print one line and exit 2 (usage) or 1 (runtime); Ctrl-C exits 130.
"""
from __future__ import annotations

import sys
import traceback

import click

from aedemo import __version__
from aedemo.errors import AedemoError, Interrupted


class AedemoGroup(click.Group):
    """A click group that turns every error into one line and an exit code."""

    def main(self, args=None, prog_name=None, **extra):
        args = list(sys.argv[1:] if args is None else args) or ["--help"]  # bare `aedemo`: the help, not an error
        debug = "--debug" in args
        extra.pop("standalone_mode", None)
        try:
            super().main(args=args, prog_name=prog_name or "aedemo", standalone_mode=False, **extra)
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except click.ClickException as e:
            click.echo(f"error: {e.format_message()} (see '{self.failing_command(e, args)} --help')", err=True)
            sys.exit(e.exit_code)
        except (click.exceptions.Abort, KeyboardInterrupt):
            click.echo("interrupted", err=True)
            sys.exit(130)
        except AedemoError as e:
            if debug:
                traceback.print_exc()
            click.echo(f"{e}" if isinstance(e, Interrupted) else f"error: {e}", err=True)
            sys.exit(e.exit_code)
        except Exception as e:  # noqa: BLE001 -- a bug, not the user's fault: one line unless --debug
            if debug:
                traceback.print_exc()
            click.echo(f"error: unexpected {type(e).__name__}: {e} (run with --debug to see where)", err=True)
            sys.exit(1)
        sys.exit(0)

    def failing_command(self, error: click.ClickException, args: list[str]) -> str:
        """The command whose --help explains the error (click does not always say which)."""
        if getattr(error, "ctx", None):
            return error.ctx.command_path
        return " ".join(["aedemo", *[a for a in args if a in self.commands][:1]])


@click.group(cls=AedemoGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="aedemo")
@click.option("--debug", is_flag=True, help="Show a full traceback when something fails.")
def cli(debug):
    """Learn how the classic face swap works, on cartoon characters.

    One shared encoder, one decoder per character: encode A, decode with B's decoder, and B
    makes A's face. Every swap is scored against the true swap, which only synthetic data has.

    \b
    Quick start:
      aedemo identities                      # meet the characters
      aedemo demo                            # the whole lesson in ~2 minutes -> report.html
      aedemo train --a blob --b robot --time 60
      aedemo swap runs/blob-robot --motion talk
    """


def main():
    """Console entry point."""
    cli.main()


from . import ablate, bench, demo, detect, evaluate, explain, identities, play, render, report, swap, train  # click

for command in (identities.identities, render.render, train.train, bench.bench, swap.swap, evaluate.evaluate,
                detect.detect, explain.explain, report.report, demo.demo, ablate.ablate, play.play):
    cli.add_command(command)
