"""ThreadGuard: a timed run moves to one thread when the CPU is shared, and only then."""
import math

import pytest
import torch

from aedemo.speed import RETRY, WINDOW, WINDOW_SECONDS, ThreadGuard


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def feed(guard, *window_means):
    """Report a window of steps at each mean time (fewer when slow, as the guard closes them);
    return the messages."""
    said = []
    for mean in window_means:
        steps = 1 if guard.windows == 0 else min(WINDOW, max(2, math.ceil(WINDOW_SECONDS / mean)))
        said += [guard.step_took(mean) for _ in range(steps)]
    return [m for m in said if m]


def test_a_free_cpu_keeps_its_threads(two_threads):
    guard = ThreadGuard(enabled=True)
    assert feed(guard, 0.1, 0.04) == [] and torch.get_num_threads() == 1  # the one-thread trial
    assert feed(guard, 0.06, 0.04, 0.05, 0.1) == [] and torch.get_num_threads() == 2


def test_a_cpu_busy_from_the_start_moves_to_one_thread(two_threads):
    guard = ThreadGuard(enabled=True)
    said = feed(guard, 2.0, 1.8, 0.058)
    assert len(said) == 1 and "1800 ms on 2 threads and 58 ms on one" in said[0]
    assert feed(guard, 0.06, 0.06) == [] and torch.get_num_threads() == 1
    guard.restore()
    assert torch.get_num_threads() == 2


def test_a_cpu_that_becomes_busy_moves_to_one_thread(two_threads):
    guard = ThreadGuard(enabled=True)
    assert feed(guard, 0.1, 0.04, 0.06, 0.04) == []
    said = feed(guard, 0.5)
    assert len(said) == 1 and "500 ms on 2 threads" in said[0] and torch.get_num_threads() == 1


def test_one_thread_tries_all_threads_again_now_and_then(two_threads):
    guard = ThreadGuard(enabled=True)
    assert len(feed(guard, 0.1, 1.8, 0.06)) == 1                          # busy: one thread
    assert feed(guard, *[0.06] * (RETRY - 1)) == [] and torch.get_num_threads() == 2   # the next window tries two
    assert feed(guard, 1.8) == [] and torch.get_num_threads() == 1          # still busy: back to one
    assert feed(guard, *[0.06] * (RETRY - 1)) == [] and torch.get_num_threads() == 2
    said = feed(guard, 0.04)                                                # the CPU is free again
    assert said == ["the CPU is free again: training goes back to 2 threads"] and torch.get_num_threads() == 2
    assert feed(guard, 0.04, 0.05) == [] and torch.get_num_threads() == 2


def test_a_steps_run_never_changes_threads(two_threads):
    guard = ThreadGuard(enabled=False)
    assert feed(guard, 0.1, 0.04, 2.0, 3.0) == [] and torch.get_num_threads() == 2


def test_a_timed_run_leaves_the_thread_count_as_it_was(two_threads, tmp_path, monkeypatch):
    from aedemo.train import TrainConfig, train
    said = []
    monkeypatch.setattr("aedemo.speed.SLOWDOWN", 0.0)  # any window counts as slow: the guard must act
    cfg = TrainConfig(size=32, crop=24, batch=4, width=8, latent=8, save_every=50, time=30.0, steps=40)
    train(cfg, out=tmp_path / "run", progress=False, log=said.append)
    assert any("goes on with one thread" in line for line in said)
    assert torch.get_num_threads() == 2
