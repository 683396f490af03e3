"""`aedemo swap`: animate a swap beside the true swap."""
from __future__ import annotations

import click

MOTIONS = ("talk", "nod", "blink", "look", "tour")  # aedemo.poses.MOTIONS, without importing torch


@click.command()
@click.argument("run", type=click.Path())
@click.option("--from", "source", metavar="NAME",
              help="Character whose motion is copied [default: the run's first, or the first that is not --to].")
@click.option("--to", "target", metavar="NAME",
              help="Character drawn in its place [default: the first of the run's others].")
@click.option("--motion", type=click.Choice(MOTIONS), default="talk", show_default=True,
              help="What the source does: talk, nod, blink, look around, or all of it (tour).")
@click.option("--matrix", is_flag=True, help="Every character copies the source, one column each "
              "[default output: RUN/matrix.gif].")
@click.option("--frames", default=24, show_default=True, type=int, help="Frames in the animation (2-240).")
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Output .gif (or .png for a still grid) "
              "[default: RUN/swap.gif].")
def swap(run, source, target, motion, matrix, frames, out):
    """Animate a swap: the source moving | the swap | the true swap.

    The swapped column is tagged "synthetic", and the file's metadata says it is a synthetic
    image made by aedemo.

    \b
    Examples:
      aedemo swap runs/blob-robot                        # blob talks, robot copies it
      aedemo swap runs/blob-robot --from robot --to blob --motion blink -o blink.gif
      aedemo swap runs/blob-robot --motion tour --frames 48 -o tour.gif
      aedemo swap runs/blob-robot --motion nod -o nod.png   # a still grid, one row per frame
      aedemo swap runs/cast4 --matrix --motion talk         # the whole cast copies blob
    """
    from pathlib import Path

    from aedemo.errors import UsageError
    from aedemo.files import output_path
    from aedemo.folder import working_copy
    from aedemo.lesson.animate import pick_pair, write_swap
    from aedemo.run import load_run

    if not 2 <= frames <= 240:
        raise UsageError(f"--frames must be from 2 to 240, got {frames}")
    if matrix and target is not None:
        raise UsageError("--matrix draws every character; drop --to")
    loaded = load_run(working_copy(run, log=lambda line: click.echo(line, err=True)))
    if matrix:
        write_cast(loaded, out, source, motion, frames)
        return
    source, target = pick_pair(loaded, source, target)
    path = output_path(Path(out) if out else loaded.path / "swap.gif", {".gif": "animation", ".png": "still grid"})
    write_swap(loaded, path, source, target, motion, frames)
    what = (f"{target} copies it" if source != target else
            f"{source}'s own decoder redraws it: a reconstruction, not a swap")
    click.echo(f"wrote {path}: {source} {motion}s, {what} ({frames} frames)", err=True)
    click.echo(str(path))


def write_cast(loaded, out, source, motion, frames):
    """Write the swap matrix of a run: the source, and every character copying it."""
    from pathlib import Path

    from aedemo.files import output_path
    from aedemo.lesson.matrix import write_matrix

    source = loaded.identity(source, option="--from") if source else next(iter(loaded.identities))
    path = output_path(Path(out) if out else loaded.path / "matrix.gif", {".gif": "animation", ".png": "still grid"})
    write_matrix(loaded, path, source, motion, frames)
    click.echo(f"wrote {path}: {source} {motion}s, all {len(loaded.identities)} characters copy it "
               f"({frames} frames)", err=True)
    click.echo(str(path))
