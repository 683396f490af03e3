"""The model's shapes and wiring, and the extract/convert geometry, checked exactly."""
import pytest
import torch

from aedemo import IDENTITIES, render, sample_poses
from aedemo.align import (
    HEATMAP_SIGMA,
    Aligner,
    aligner_loss,
    crop,
    crop_geometry,
    fit_similarity,
    landmarks_in_frame,
    paste,
    soft_argmax,
)
from aedemo.model import ModelConfig, SwapAutoencoder
from aedemo.poses import HEAD_FACTORS, neutral_poses


def test_shapes_and_swap_uses_the_target_decoder():
    model = SwapAutoencoder(ModelConfig(crop=40, latent=16, width=8), ["blob", "robot"])
    x = torch.rand(5, 3, 40, 40)
    code = model.encode(x)
    assert code.shape == (5, 16)
    rgb, mask = model.decode_with_mask(code, "robot")
    assert rgb.shape == (5, 3, 40, 40) and mask.shape == (5, 1, 40, 40)
    assert torch.equal(model.decode(model.encode(x), "robot"), model.decoders["robot"](code)[0])
    assert not torch.equal(model.decode(code, "robot"), model.decode(code, "blob"))


def test_mask_loss_never_changes_the_picture_path():
    model = SwapAutoencoder(ModelConfig(crop=24, latent=8, width=8), ["blob", "robot"])
    _, mask = model(torch.rand(2, 3, 24, 24), "blob")
    mask.sum().backward()
    decoder = model.decoders["blob"]
    assert decoder.to_mask.weight.grad is not None
    assert all(p.grad is None for p in decoder.to_rgb.parameters())
    assert all(p.grad is None for p in model.encoder.parameters())


def test_separate_encoders_need_the_source():
    model = SwapAutoencoder(ModelConfig(crop=24, latent=8, width=8, encoders="separate"), ["blob", "robot"])
    with pytest.raises(ValueError):
        model.encode(torch.rand(1, 3, 24, 24))
    assert model.decode(model.encode(torch.rand(1, 3, 24, 24), "blob"), "robot").shape == (1, 3, 24, 24)


def test_similarity_fit_recovers_the_pose_exactly():
    poses = sample_poses(50, seed=2)
    head = {k: poses[k] for k in HEAD_FACTORS}
    fit = fit_similarity(landmarks_in_frame(head))
    for k in HEAD_FACTORS:
        assert torch.allclose(fit[k], head[k], atol=1e-4), k


def test_crop_is_upright_and_centred():
    """Cropping any pose with its true head pose gives (nearly) the same picture."""
    ids = [IDENTITIES["blob"], IDENTITIES["robot"]]
    geometry = crop_geometry(ids)
    poses = sample_poses(6, seed=3, fixed={"gaze_x": 0.0, "gaze_y": 0.0, "eye_open": 1.0, "mouth_open": 0.3,
                                           "smile": 0.0, "scale": 1.2})
    frames = render(ids[1], poses, size=128)
    crops = crop(frames, {k: poses[k] for k in HEAD_FACTORS}, geometry, 40)
    assert (crops - crops[:1]).abs().mean() < 0.03
    upright = crop(render(ids[1], neutral_poses(1, scale=1.2, mouth_open=0.3, smile=0.0), size=128),
                   {k: torch.tensor([v]) for k, v in {"x": 0.0, "y": 0.0, "scale": 1.2, "roll": 0.0}.items()},
                   geometry, 40)
    assert (crops.mean(0) - upright[0]).abs().mean() < 0.03


def test_paste_puts_a_crop_back_where_it_came_from():
    ids = [IDENTITIES["cat"], IDENTITIES["ghost"]]
    geometry = crop_geometry(ids)
    poses = sample_poses(4, seed=4)
    head = {k: poses[k] for k in HEAD_FACTORS}
    frames, masks = render(ids[0], poses, size=64, masks=True)
    crops = crop(frames, head, geometry, 96)
    background = torch.full_like(frames, 0.5)
    back = paste(background, crops, head, geometry)
    face = masks["face"] > 0.99
    assert (back - frames).abs()[face.expand_as(frames)].mean() < 0.03
    mask_crop = crop(masks["face"], head, geometry, 96)
    with_mask = paste(background, crops, head, geometry, mask=mask_crop)
    assert (with_mask - frames).abs()[face.expand_as(frames)].mean() < 0.03
    far = masks["face"].expand_as(frames) < 1e-3
    assert (with_mask - background)[far].abs().mean() < (back - background)[far].abs().mean()


def test_aligner_output_shapes_and_any_size():
    aligner = Aligner()
    for size in (32, 64, 96):
        head = aligner.estimate(torch.rand(2, 3, size, size))
        assert set(head) == set(HEAD_FACTORS) and all(v.shape == (2,) for v in head.values())


def test_aligner_loss_is_near_zero_for_a_blob_at_the_truth():
    points = torch.tensor([[[0.25, -0.5], [-0.3, 0.1]]])            # (1 image, 2 landmarks, x y)
    cells = (torch.arange(24) + 0.5) / 12 - 1                         # the heatmap's cell centres
    dist2 = (cells.view(1, 1, 1, 24) - points[..., 0, None, None]) ** 2 + (cells.view(1, 1, 24, 1) - points[..., 1, None, None]) ** 2
    blob = (-dist2 / (2 * HEATMAP_SIGMA ** 2)).flatten(2).log_softmax(-1).view(1, 2, 24, 24)
    flat = torch.zeros(1, 2, 24, 24).flatten(2).log_softmax(-1).view(1, 2, 24, 24)
    assert soft_argmax(blob.exp()).sub(points).abs().max() < 1e-3
    assert aligner_loss(blob, points).item() < 1e-3 < 1.0 < aligner_loss(flat, points).item()
