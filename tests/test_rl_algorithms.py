import math

import pytest
import torch

from rulepipe.rl.algorithms import (
    clipped_policy_loss,
    gae,
    grpo_advantages,
    low_var_kl,
    masked_mean,
    reinforce_pp_advantages,
    reinforce_pp_baseline_advantages,
    token_logprobs,
    value_loss,
    whitening,
)


def test_grpo_advantage_by_hand():
    rewards = torch.tensor([[1.0, 0.0, 0.5, 0.5], [1.0, 1.0, 1.0, 1.0]])
    adv = grpo_advantages(rewards)
    std = math.sqrt(((0.5**2) * 2) / 3)  # unbiased std of [1, 0, .5, .5]
    assert adv[0].tolist() == pytest.approx([0.5 / std, -0.5 / std, 0.0, 0.0], rel=1e-5)
    assert adv[1].tolist() == [0.0, 0.0, 0.0, 0.0]  # no signal from a constant group


def test_reinforce_pp_is_the_release_token_whitened_reward_without_baseline():
    """rpp: rewards [[1, 0], [1, 1]] with lengths [[2, 1], [1, 4]]: 8 response tokens with
    values 1,1 | 0 | 1 | 1,1,1,1 -> mean 7/8, unbiased var (7 * (1/8)^2 + (7/8)^2) / 7 = 1/8."""
    rewards = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    lengths = torch.tensor([[2, 1], [1, 4]])
    adv = reinforce_pp_advantages(rewards, lengths)
    std = math.sqrt(1 / 8 + 1e-8)
    assert adv.flatten().tolist() == pytest.approx([1 / 8 / std, -7 / 8 / std, 1 / 8 / std, 1 / 8 / std], rel=1e-5)
    # a group whose rewards are all equal still gets a signal (it has none under GRPO)
    assert adv[1].abs().sum() > 0 and grpo_advantages(rewards)[1].abs().sum() == 0
    # longer responses weigh more: the same rewards with other lengths whiten differently
    assert not torch.allclose(adv, reinforce_pp_advantages(rewards, torch.ones_like(lengths)))


def test_reinforce_pp_baseline_subtracts_the_group_mean_then_whitens_sequences():
    rewards = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    centred = torch.tensor([0.5, -0.5, 0.0, 0.0])
    expected = (centred - centred.mean()) / (centred.std() + 1e-6)
    assert reinforce_pp_baseline_advantages(rewards).flatten().tolist() == pytest.approx(expected.tolist(), rel=1e-5)
    assert reinforce_pp_baseline_advantages(rewards)[1].tolist() == [0.0, 0.0]


def test_gae_by_hand_and_whitened_over_tokens():
    """Two responses of 3 and 2 tokens (right-padded), reward on the last token, gamma 0.9,
    lambda 0.5: delta_t = r_t + 0.9 V_{t+1} - V_t, A_t = delta_t + 0.45 A_{t+1}."""
    values = torch.tensor([[0.5, 0.2, 0.4], [0.1, 0.3, 9.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    rewards = torch.tensor([[0.0, 0.0, 1.0], [0.0, 0.5, 0.0]])
    adv, ret = gae(rewards, values, mask, gamma=0.9, lam=0.5)
    a2 = 1.0 - 0.4
    a1 = (0.9 * 0.4 - 0.2) + 0.45 * a2
    a0 = (0.9 * 0.2 - 0.5) + 0.45 * a1
    b1 = 0.5 - 0.3  # the padded position's value (9.0) is never used
    b0 = (0.9 * 0.3 - 0.1) + 0.45 * b1
    assert adv.flatten().tolist() == pytest.approx([a0, a1, a2, b0, b1, 0.0], abs=1e-6)
    assert ret.flatten().tolist() == pytest.approx([a0 + 0.5, a1 + 0.2, a2 + 0.4, b0 + 0.1, b1 + 0.3, 0.0], abs=1e-6)
    # gamma = lambda = 1 (the release): A_t = R - V_t
    adv1, _ = gae(rewards, values, mask)
    assert adv1[0].tolist() == pytest.approx([0.5, 0.8, 0.6], abs=1e-6)
    kept = torch.tensor([a0, a1, a2, b0, b1], dtype=torch.float64)
    mean, scale = whitening(5, kept.sum().item(), (kept**2).sum().item())  # sums that add up across ranks
    assert mean == pytest.approx(kept.mean().item())
    assert scale == pytest.approx((kept.var(unbiased=True).item() + 1e-8) ** -0.5)


def test_value_loss_clips_the_prediction_around_the_rollout_value():
    mask = torch.ones(1, 2)
    returns = torch.tensor([[1.0, 0.0]])
    old = torch.tensor([[0.0, 0.0]])
    # prediction 2.0 vs return 1.0: unclipped error 1, clipped to 0.5 -> error 0.25; max = 1
    # prediction -1.0 vs return 0.0: unclipped 1, clipped -0.5 -> 0.25; max = 1
    loss = value_loss(torch.tensor([[2.0, -1.0]]), returns, old, mask, clip=0.5)
    assert loss.item() == pytest.approx(0.5 * (1.0 + 1.0) / 2)
    # a prediction that moved past the return: clipping keeps the larger error (pessimistic)
    loss = value_loss(torch.tensor([[0.9, 0.0]]), returns, old, mask, clip=0.5)
    assert loss.item() == pytest.approx(0.5 * ((0.5 - 1.0) ** 2 + 0.0) / 2)


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


LENGTHS = [3, 1, 2, 5, 4, 1, 2, 2, 6, 1, 3, 2]  # response tokens of the step's 12 rollouts


def _advantages_on_rank(rank: int, world: int, port: int, rewards, out) -> None:
    import os
    from types import SimpleNamespace

    import torch.distributed as dist

    from rulepipe.rl.rebo import step_advantages

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    mine = rewards[rank * 2 : (rank + 1) * 2]  # each rank rolled out 2 of the step's 4 prompts
    samples = [SimpleNamespace(completion=[0] * length) for length in LENGTHS[rank * 6 : (rank + 1) * 6]]
    for algorithm in ("grpo", "rpp", "rpp-baseline"):
        got = step_advantages(algorithm, mine, samples, SimpleNamespace(rank=rank, world=world))
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
    got = {(rank, algorithm): value for rank, algorithm, value in (out.get(timeout=120) for _ in range(6))}
    for p in procs:
        p.join(timeout=60)
    lengths = torch.tensor(LENGTHS).view(4, 3)
    for algorithm in ("grpo", "rpp", "rpp-baseline"):
        whole = advantages_of(algorithm, rewards, lengths)
        for rank in range(2):
            torch.testing.assert_close(torch.tensor(got[rank, algorithm]), whole[rank * 2 : (rank + 1) * 2])
    # the batch statistics matter: rank 0's rows alone would be whitened differently
    assert not torch.allclose(
        advantages_of("rpp", rewards[:2], lengths[:2]), advantages_of("rpp", rewards, lengths)[:2]
    )
