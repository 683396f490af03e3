"""Training: one shared encoder, one decoder per character, each decoder redrawing its own.

    aedemo train --a blob --b robot --time 60           # the default recipe, about a minute
    aedemo train --a blob --b robot --steps 400 --out runs/x
    aedemo train --out runs/x --steps 800 --resume       # continue the same run to step 800

    from aedemo.config import TrainConfig
    from aedemo.train import train
    run = train(TrainConfig(a="blob", b="robot", time=60), out="runs/blob-robot")

Every step (train_step):
  1. Render and crop a batch of each character (aedemo.data). To save time a step renders only
     a quarter of a batch of new poses into a pool of recent renders and draws its batch from
     the pool, so each frame is seen about four times. The crop is cut at the character's true
     head pose plus a little random error, like the aligner's errors: the autoencoder never
     trains on the aligner's output, only on crops like it.
  2. The shared encoder turns every crop into a code (with --warp, from a randomly bent copy of
     the crop); each character's decoder redraws its own clean crop from its own codes. The loss is the pixel error, weighted up on the eyes and
     mouth, plus the error of the decoder's mask (where the character is).
  3. The aligner learns to find five landmarks in whole frames; at swap time it places the crop.
     It starts from the aligner aedemo ships, trained on many characters (aedemo.prealign).
  4. One backward pass and one Adam step for all of it.

Training never swaps. Because the encoder is shared and every decoder must draw from its
codes, the code learns to carry what the characters share (the expression), so after training
B's decoder can draw A's code: the swap. Every `save_every` steps a log row with the held-out swap PSNR, a preview grid and a
checkpoint are written (aedemo.folder). Ctrl-C saves and stops.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from .adversary import Adversary, new_adversary
from .align import aligner_loss
from .checkpoint import restore, save_checkpoint
from .config import TrainConfig
from .data import make_batch, new_pools
from .errors import Interrupted, UsageError
from .folder import RunFolder
from .identities import Identity, identity_from_dict
from .lesson.preview import heldout_scores, preview_grid, preview_title
from .metrics import edge_loss
from .pipeline import Pipeline, build_pipeline
from .poses import make_generator
from .prealign import load_pretrained_aligner
from .run import Run, load_run
from .speed import adam, autocast, autocast_dtype, pick_device
from .watch import Interval, Watch

AUTOENCODER_BETAS = (0.5, 0.999)  # Adam's momentum as faceswap sets it: leaves the early mean face sooner
ALIGNER_LR_FACTOR = 2.0  # the aligner's learning rate relative to --lr (with Adam's usual momentum)
ALIGNER_FRAMES = 16      # frames per character the aligner learns from each step
MASK_WEIGHT = 0.1        # weight of the mask's error beside the picture's
DECAY_STEPS = 200        # from cfg.decay_at on, the learning rate falls over this many steps...
DECAY_FLOOR = 0.1        # ...to this share of itself


@dataclass
class TrainState:
    """Everything that changes while a run trains; a checkpoint holds all of it."""

    cfg: TrainConfig
    identities: dict[str, Identity]   # name -> character, in the run's order
    pipeline: Pipeline                # model, aligner and crop geometry
    optimizer: torch.optim.Adam
    base_lrs: list[float]             # each parameter group's learning rate before decay
    gen: torch.Generator              # the one random generator: poses, picks, jitter, warps
    pools: dict | None = None         # recent renders per character (aedemo.data), made at the first step
    step: int = 0
    elapsed: float = 0.0              # seconds trained, as of the last save
    threads: list = field(default_factory=list)  # [step, threads] at every change of the CPU thread count
    best_loss: float = math.inf       # lowest mean autoencoder loss of an interval so far (aligner's left out)
    adversary: Adversary | None = None  # with --gan: the patch critics and their optimiser (aedemo.adversary)


def new_state(cfg: TrainConfig, device: torch.device) -> TrainState:
    """A run at step 0: fresh weights from the seed, the optimiser and the random generator."""
    pipeline = build_pipeline(cfg, device)
    if pipeline.aligner is not None and cfg.aligner_start == "pretrained":
        load_pretrained_aligner(pipeline.aligner)
    groups = [{"params": list(pipeline.model.parameters()), "lr": cfg.lr, "betas": AUTOENCODER_BETAS}]
    if pipeline.aligner is not None:
        groups.append({"params": list(pipeline.aligner.parameters()), "lr": ALIGNER_LR_FACTOR * cfg.lr})
    identities = {n: identity_from_dict(s) for n, s in cfg.identities.items()}
    return TrainState(cfg, identities, pipeline, adam(groups, device), [g["lr"] for g in groups],
                      make_generator(cfg.seed), adversary=new_adversary(cfg, list(identities), device))


def train(cfg: TrainConfig, out: str | None = None, resume: bool = False, progress: bool = True, log=None) -> Run:
    """Train a run into the folder `out` and return it loaded; `log` gets the messages for the user."""
    folder = RunFolder.open(cfg, out, resume)  # checks the settings; with --resume they come from config.json
    cfg, device = folder.cfg, pick_device(folder.cfg.device)
    state = new_state(cfg, device)
    if resume:
        restore(state, folder.checkpoint)
        folder.trim_log(state.step)
    else:
        folder.write_config(0, [], finished=False)
    if cfg.steps is not None and state.step >= cfg.steps:
        raise UsageError(f"the run is already at step {state.step}; give a larger --steps to continue")
    if log:
        log(f"training {' and '.join(state.identities)} from step {state.step} {budget_words(cfg)} on "
            f"{device.type}; previews and log.csv every {cfg.save_every} steps in {folder.path}")
    dtype = autocast_dtype(cfg.precision, device)
    watch = Watch(cfg, state.step, state.elapsed, device, progress, log, threads=state.threads)
    try:
        while not watch.budget_spent(state.step):
            losses = train_step(state, dtype)
            watch.step_done(state.step, losses)
            if state.step % cfg.save_every == 0:
                save(state, folder, watch.interval())
    except KeyboardInterrupt:
        stop_interrupted(state, folder, watch)
    finally:
        watch.close()
    last = watch.interval()
    if last:
        save(state, folder, last)
    folder.finish(state.step, state.threads)
    return load_run(folder.path, device=device)


def train_step(state: TrainState, dtype: torch.dtype | None) -> dict[str, float]:
    """One optimisation step on a new batch; returns the losses."""
    cfg, model, aligner, device = state.cfg, state.pipeline.model, state.pipeline.aligner, state.pipeline.device
    if state.pools is None:  # the first step renders a whole pool
        state.pools = new_pools(state.identities, cfg, device, state.gen)
    batch = make_batch(state.pools, cfg, state.gen, state.pipeline.geometry, state.step)  # step: which renders to renew
    losses, judged, adversary = {}, {}, state.adversary
    with autocast(device, dtype):
        total = 0.0
        for name, b in batch.items():
            drawn, mask = model(b["input"], name)  # the crop redrawn by its own character's decoder
            loss = (b["weight"] * (drawn.float() - b["target"]).pow(2)).mean() / b["weight"].mean()
            loss = loss + MASK_WEIGHT * (mask.float() - b["mask"]).pow(2).mean()
            if cfg.edge_weight:  # --edge-weight: the edges' error too
                loss = loss + cfg.edge_weight * edge_loss(drawn, b["target"])
            losses[f"loss_{name}"] = loss
            total = total + loss
            if adversary is not None and adversary.active(state.step):  # --gan: the critic judges the drawing too
                judged[name] = (b["target"], drawn.detach())
                total = total + adversary.decoder_loss(drawn, name)
        if aligner is not None:
            frames = torch.cat([b["frames"][:ALIGNER_FRAMES] for b in batch.values()])
            truth = torch.cat([b["landmarks"][:ALIGNER_FRAMES] for b in batch.values()])
            losses["loss_align"] = aligner_loss(aligner.heatmaps(frames), truth)
            total = total + losses["loss_align"]
    state.optimizer.zero_grad(set_to_none=True)
    total.backward()
    factor = lr_factor(cfg, state.step)
    for group, lr in zip(state.optimizer.param_groups, state.base_lrs):
        group["lr"] = lr * factor
    state.optimizer.step()
    if adversary is not None:  # then the critics learn from the same crops (a zero before they start)
        losses["loss_critic"] = adversary.step(judged) if judged else torch.zeros(())
    state.step += 1
    return {k: float(v.detach()) for k, v in losses.items()}


def lr_factor(cfg: TrainConfig, step: int) -> float:
    """How much of its learning rate step `step` uses: 1, then falling linearly to DECAY_FLOOR."""
    if not cfg.decay_at or step < cfg.decay_at:
        return 1.0
    return max(DECAY_FLOOR, 1.0 - (1.0 - DECAY_FLOOR) * (step - cfg.decay_at) / DECAY_STEPS)


def save(state: TrainState, folder: RunFolder, interval: Interval, preview: bool = True) -> None:
    """A log row and a preview grid (both on held-out poses), then the checkpoint, and a copy of it
    as checkpoint.best.pt when this interval's loss beat every earlier one."""
    state.elapsed = interval.elapsed
    if preview:
        scores = heldout_scores(state.pipeline, folder.heldout_pairs(state.identities))
        folder.append_log({"step": state.step, "seconds": round(interval.elapsed, 2),
                           "img_per_s": round(interval.img_per_s, 1), "loss": round(interval.loss, 6),
                           **{k: round(v, 6) for k, v in interval.losses.items()},
                           **{k: round(v, 3) for k, v in scores.items()}})
        title = preview_title(state.step, scores)
        folder.save_preview(preview_grid(state.pipeline, state.identities, title=title), state.step)
    save_checkpoint(folder.checkpoint, state, best_loss=min(state.best_loss, interval.loss))
    if interval.loss < state.best_loss:
        state.best_loss = interval.loss
        save_checkpoint(folder.path / "checkpoint.best.pt", state, best_loss=interval.loss)


def stop_interrupted(state: TrainState, folder: RunFolder, watch: Watch) -> None:
    """Ctrl-C: save the steps done since the last save, and stop with a line saying how to go on."""
    watch.close()
    last = watch.interval()
    if last:
        save(state, folder, last, preview=False)
    if folder.checkpoint.exists():
        folder.finish(state.step, state.threads, finished=False)
    else:
        raise Interrupted(f"interrupted before the first step ended; no checkpoint was saved in {folder.path}, "
                           "so the same command starts the run again") from None
    left = watch.time_left()
    budget = f"--time {max(1, math.ceil(left))}" if left is not None else f"--steps {state.cfg.steps}"
    raise Interrupted(f"interrupted at step {state.step}; saved {folder.checkpoint}. Continue "
                       f"with: aedemo train --out {folder.path} --resume {budget}") from None


def budget_words(cfg: TrainConfig) -> str:
    """The budget as words: 'for 60 s', 'until step 400', or both."""
    return " or ".join(x for x in (cfg.time and f"for {cfg.time:g} s", cfg.steps and f"until step {cfg.steps}") if x)
