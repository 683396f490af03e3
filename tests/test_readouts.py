"""Readouts: trained on clean renders only, they must read clean held-out renders well
(identity >= 99 %, every factor R^2 >= 0.95), work for custom identities, and be cached."""
from types import SimpleNamespace

import pytest
import torch

from aedemo.cache import fingerprint, load_or_train
from aedemo.data import heldout_poses
from aedemo.identities import IDENTITIES, identity_from_dict
from aedemo.poses import sample_poses
from aedemo.readouts import ReadoutConfig, accuracy, below_bar, good_enough, new_readouts, read, readout_config
from aedemo.renderer import render

PIP = identity_from_dict({"name": "pip", "head": "round", "skin": [90, 200, 250], "extras": ["antenna"]})


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def trained(tmp_path_factory, one_thread):
    """Readouts for a built-in and a custom character at 64 px, trained once."""
    run = SimpleNamespace(identities={"blob": IDENTITIES["blob"], "pip": PIP}, config=SimpleNamespace(size=64),
                          path=tmp_path_factory.mktemp("run"), device=torch.device("cpu"))
    return run, load_or_train(run)


def test_readouts_meet_their_own_bar(trained):
    run, net = trained
    acc = accuracy(net, run.identities)
    assert acc["identity_accuracy"] >= 0.99
    for name, score in acc["factors"].items():
        assert score["r2"] >= 0.95, (name, score)
    assert good_enough(acc)


def test_readouts_are_cached(trained, monkeypatch):
    run, net = trained
    path = run.path / "readouts.pt"
    saved = torch.load(path, weights_only=True)
    assert saved["fingerprint"] == fingerprint(run.identities, 64, ReadoutConfig())

    def no_training(*args, **kwargs):
        raise AssertionError("the cached readouts were trained again")

    monkeypatch.setattr("aedemo.readouts.train", no_training)
    again = load_or_train(run)
    images = render(PIP, sample_poses(8, seed=5), size=64)
    assert torch.equal(read(net, images)["factors"]["roll"], read(again, images)["factors"]["roll"])


def test_cache_key_follows_identities_and_size():
    ids = {"blob": IDENTITIES["blob"], "pip": PIP}
    key = fingerprint(ids, 64, ReadoutConfig())
    assert key != fingerprint(ids, 32, ReadoutConfig())
    assert key != fingerprint({"blob": IDENTITIES["blob"], "robot": IDENTITIES["robot"]}, 64, ReadoutConfig())
    assert key != fingerprint(ids, 64, ReadoutConfig(seed=1))


def test_identity_readout_tells_characters_apart(trained):
    net = trained[1]
    poses = heldout_poses(16)
    assert (read(net, render(PIP, poses, size=64))["identity"] == 1).all()
    assert (read(net, render("blob", poses, size=64))["identity"] == 0).all()


def test_damaged_or_stale_cache_is_retrained(tmp_path, monkeypatch):
    sizes = []

    def fake_train(identities, size, cfg, device):
        sizes.append(size)
        return new_readouts(list(identities), size, cfg)

    monkeypatch.setattr("aedemo.readouts.train", fake_train)
    run = SimpleNamespace(identities={"blob": IDENTITIES["blob"], "pip": PIP}, config=SimpleNamespace(size=32),
                          path=tmp_path, device=torch.device("cpu"))
    (tmp_path / "readouts.pt").write_bytes(b"not a checkpoint")
    messages = []
    load_or_train(run, log=messages.append)
    assert sizes == [32] and "damaged" in messages[0]
    load_or_train(run)
    assert sizes == [32]
    run.config.size = 48
    load_or_train(run)
    assert sizes == [32, 48]


def test_the_lesson_pair_ships_its_readouts(tmp_path):
    """blob and robot at 64 px, the demo's pair, need no readout training on a new machine."""
    from aedemo.cache import SHIPPED
    pair = {"blob": IDENTITIES["blob"], "robot": IDENTITIES["robot"]}
    assert (SHIPPED / f"readouts-{fingerprint(pair, 64, ReadoutConfig())}.pt").exists()
    run = SimpleNamespace(identities=pair, config=SimpleNamespace(size=64), path=tmp_path, device=torch.device("cpu"))
    said = []
    load_or_train(run, log=said.append)
    assert "using the readouts kept in" in said[0] and (tmp_path / "readouts.pt").exists()


def test_longer_readout_training_is_a_new_cache(tmp_path, monkeypatch):
    steps = []

    def fake_train(identities, size, cfg, device):
        steps.append(cfg.steps)
        return new_readouts(list(identities), size, cfg)

    monkeypatch.setattr("aedemo.readouts.train", fake_train)
    run = SimpleNamespace(identities={"blob": IDENTITIES["blob"], "pip": PIP}, config=SimpleNamespace(size=32),
                          path=tmp_path, device=torch.device("cpu"))
    load_or_train(run, readout_config(600))
    load_or_train(run, readout_config(600))
    load_or_train(run, readout_config())
    assert steps == [600, ReadoutConfig().steps]   # the second call found the cache


def test_below_bar_names_each_readout_that_missed():
    factors = {"gaze_y": {"r2": 0.894}, "smile": {"r2": 0.99}}
    assert below_bar({"identity_accuracy": 1.0, "factors": factors}) == ["gaze_y"]
    assert below_bar({"identity_accuracy": 0.9, "factors": factors}) == ["identity", "gaze_y"]
    assert good_enough({"identity_accuracy": 1.0, "factors": {"smile": {"r2": 0.95}}})
