"""aedemo: how the classic face swap works, shown on cartoon characters.

    import aedemo
    poses = aedemo.sample_poses(8, seed=0)
    images = aedemo.render("blob", poses)
    run = aedemo.load_run("samples/blob-robot")    # the small pretrained run that ships with aedemo
    swapped = run.swap(images, to="robot")
    truth = aedemo.render("robot", poses)           # the true swap, to score it against

Names are loaded on first use, so `import aedemo` (and `aedemo --help`) stays fast and does
not import torch until something needs it.

To read how the swap works, in this order:
    identities.py, poses.py, renderer.py   the characters, their poses, and drawing them
    model.py                               one shared encoder, one decoder per character
    align.py, pipeline.py                  find the face, crop it, swap it, paste it back
    prealign.py                            the aligner every run starts from, trained once
    data.py, train.py                      how the model learns (config.py: every setting)
    run.py                                 a trained run, ready to swap
    metrics.py, evaluate.py                every swap scored against the true swap
Around them: speed.py (what makes training fast), watch.py (progress and the clock), folder.py
and checkpoint.py (what a run keeps on disk), readouts.py and explain.py (what the networks
know), ablate.py and demo.py (the whole lesson), lesson/ (the pictures and the report page), and
play.py, playapi.py, playground.py, livetrain.py and web/ (the live playground, `aedemo play`).
"""
import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "IDENTITIES": "identities", "Identity": "identities", "get_identity": "identities",
    "load_spec": "identities", "SpecError": "identities",
    "FACTORS": "poses", "sample_poses": "poses", "neutral_poses": "poses", "motion": "poses", "MOTIONS": "poses",
    "render": "renderer", "load_run": "run", "grid": "lesson.images", "to_pil": "lesson.images",
    "AedemoError": "errors", "UsageError": "errors", "RunError": "errors",
}
__all__ = [
    "FACTORS",
    "IDENTITIES",
    "MOTIONS",
    "AedemoError",
    "Identity",
    "RunError",
    "SpecError",
    "UsageError",
    "__version__",
    "get_identity",
    "grid",
    "load_run",
    "load_spec",
    "motion",
    "neutral_poses",
    "render",
    "sample_poses",
    "to_pil",
]


def __getattr__(name):
    """Import the module that defines `name` the first time it is asked for."""
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'aedemo' has no attribute {name!r}")


def __dir__():
    """The public names, so help(aedemo) and tab completion list them."""
    return sorted(__all__)
