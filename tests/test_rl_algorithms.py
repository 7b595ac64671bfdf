import math

import pytest
import torch

from rulepipe.rl.algorithms import (
    clipped_policy_loss,
    grpo_advantages,
    low_var_kl,
    masked_mean,
    reinforce_pp_advantages,
    token_logprobs,
)


def test_grpo_advantage_by_hand():
    rewards = torch.tensor([[1.0, 0.0, 0.5, 0.5], [1.0, 1.0, 1.0, 1.0]])
    adv = grpo_advantages(rewards)
    std = math.sqrt(((0.5**2) * 2) / 3)  # unbiased std of [1, 0, .5, .5]
    assert adv[0].tolist() == pytest.approx([0.5 / std, -0.5 / std, 0.0, 0.0], rel=1e-5)
    assert adv[1].tolist() == [0.0, 0.0, 0.0, 0.0]  # no signal from a constant group


def test_reinforce_pp_normalises_over_the_batch():
    rewards = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    plain = reinforce_pp_advantages(rewards, group_baseline=False)
    values = torch.tensor([1.0, 0.0, 1.0, 1.0])
    expected = (values - values.mean()) / values.std()
    assert plain.flatten().tolist() == pytest.approx(expected.tolist(), rel=1e-5)
    baseline = reinforce_pp_advantages(rewards, group_baseline=True)
    centred = torch.tensor([0.5, -0.5, 0.0, 0.0])
    assert baseline.flatten().tolist() == pytest.approx((centred / centred.std()).tolist(), rel=1e-5)


def test_low_var_kl_is_zero_at_equality_and_matches_k3():
    logp = torch.tensor([-1.0, -2.0])
    assert low_var_kl(logp, logp).tolist() == [0.0, 0.0]
    ref = torch.tensor([-1.5, -1.0])
    d = ref - logp
    assert low_var_kl(logp, ref).tolist() == pytest.approx((torch.exp(d) - d - 1).tolist())
    assert (low_var_kl(logp, ref) >= 0).all()


def test_clipped_loss_branches():
    mask = torch.ones(1, 1)
    old = torch.zeros(1, 1)
    # positive advantage, ratio above 1 + 0.3 -> clipped at 1.3
    loss, _ = clipped_policy_loss(torch.log(torch.tensor([[2.0]])), old, torch.tensor([1.0]), mask)
    assert loss.item() == pytest.approx(-1.3)
    # negative advantage, ratio 5 -> PPO would give 5, dual clip bounds at 3
    loss, _ = clipped_policy_loss(torch.log(torch.tensor([[5.0]])), old, torch.tensor([-1.0]), mask)
    assert loss.item() == pytest.approx(3.0)
    # negative advantage, ratio 0.5 -> max(0.5, 0.8) = 0.8
    loss, _ = clipped_policy_loss(torch.log(torch.tensor([[0.5]])), old, torch.tensor([-1.0]), mask)
    assert loss.item() == pytest.approx(0.8)
    # on-policy (ratio 1): the gradient is -A * grad logp
    logp = torch.zeros(1, 1, requires_grad=True)
    loss, _ = clipped_policy_loss(logp, old, torch.tensor([2.0]), mask)
    loss.backward()
    assert logp.grad.item() == pytest.approx(-2.0)


def test_token_mean_ignores_padding_and_logprobs_gather():
    values = torch.tensor([[1.0, 3.0, 100.0]])
    assert masked_mean(values, torch.tensor([[1.0, 1.0, 0.0]])).item() == 2.0
    logits = torch.tensor([[[0.0, math.log(3.0)]]])
    assert token_logprobs(logits, torch.tensor([[1]])).item() == pytest.approx(math.log(0.75))


def _advantages_on_rank(rank: int, world: int, port: int, rewards, out) -> None:
    import os
    from types import SimpleNamespace

    import torch.distributed as dist

    from rulepipe.rl.rebo import step_advantages

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    mine = rewards[rank * 2 : (rank + 1) * 2]  # each rank rolled out 2 of the step's 4 prompts
    for algorithm in ("grpo", "rpp"):
        got = step_advantages(algorithm, mine, SimpleNamespace(rank=rank, world=world))
        out.put((rank, algorithm, got.tolist()))
    dist.destroy_process_group()


def test_each_rank_gets_its_rows_of_the_whole_batch_advantages():
    """REINFORCE++ whitens over every rank's rewards: two ranks' shares equal the rows of the
    one-process computation (GRPO is per group, so the same either way)."""
    import socket

    import torch.multiprocessing as mp

    from rulepipe.rl.rebo import advantages_of

    rewards = torch.tensor([[0.0, 1.0, 0.5], [1.0, 1.0, 1.0], [0.0, 0.0, 0.5], [0.5, 1.0, 0.0]])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_advantages_on_rank, args=(r, 2, port, rewards, out)) for r in range(2)]
    for p in procs:
        p.start()
    got = {(rank, algorithm): value for rank, algorithm, value in (out.get(timeout=120) for _ in range(4))}
    for p in procs:
        p.join(timeout=60)
    for algorithm in ("grpo", "rpp"):
        whole = advantages_of(algorithm, rewards)
        for rank in range(2):
            torch.testing.assert_close(torch.tensor(got[rank, algorithm]), whole[rank * 2 : (rank + 1) * 2])
    # the batch statistics matter: rank 0's rows alone would be whitened differently
    assert not torch.allclose(advantages_of("rpp", rewards[:2]), advantages_of("rpp", rewards)[:2])
