"""PTB recurrent search (Sec. 5.3, App. E): corpus, cell, Eq. (7) gate gradients, selection
of the final architecture, and resuming an interrupted trial."""

import pytest
import torch

from advnas import distribution, strategies
from advnas.config import ConfigError
from advnas.ptb import corpus, experiment, search as search_mod
from advnas.ptb.config import PTBConfig
from advnas.ptb.space import (EDGES, N_EDGES, OPS, ZERO, LanguageModel, arch_string, one_hot_gates,
                              paper_param_formula, parse_arch)
from advnas.runlist import notebook
from full_data import MIRROR, needs_mirror as needs_full_data

PTB_STRATEGIES = tuple(strategies.SPARSE)
needs_mirror = needs_full_data("ptb")


@pytest.fixture
def mirror(monkeypatch):
    monkeypatch.setenv("ADVNAS_DATA_DIR", str(MIRROR))


def tiny_corpus(n_train=3000, vocab=20, seed=0) -> corpus.Corpus:
    return experiment.tiny_corpus(n_train, vocab, seed)


def tiny_config(**changes) -> PTBConfig:
    base = dict(hidden=8, batch=4, bptt=5, search_epochs=3, epoch_tokens=120, retrain_epochs=2,
                retrain_epoch_tokens=80, eval_batch=2, curve_tokens=100, seeds=[0],
                strategy_options={"parsec": {"samples": 3}})
    return PTBConfig.from_dict({**base, **changes})


# Corpus -----------------------------------------------------------------------------------

@needs_mirror
def test_real_corpus_sizes_and_vocabulary(mirror):
    data = corpus.load()
    assert (data.train.numel(), data.valid.numel(), data.test.numel()) == (929_589, 73_760, 82_430)
    assert data.n_tokens == 10_000
    assert data.vocab[data.train[-1]] == corpus.EOS  # <eos> ends every line
    assert int(data.train.max()) == 9_999 and int(data.test.max()) < 10_000


@needs_mirror
def test_corrupted_corpus_is_refused_naming_file_and_checksum(tmp_path, monkeypatch):
    for split in corpus.SPLITS:
        (tmp_path / f"ptb.{split}.txt").write_bytes((MIRROR / "ptb" / f"ptb.{split}.txt").read_bytes())
    (tmp_path / "ptb.valid.txt").write_text("tampered\n")
    monkeypatch.delenv("ADVNAS_DATA_DIR", raising=False)
    monkeypatch.setenv("ADVNAS_PROJECT_DATA", str(tmp_path / "none"))
    from advnas.data import DataError
    with pytest.raises(DataError) as info:
        locate_ptb = corpus.load.__wrapped__ if hasattr(corpus.load, "__wrapped__") else corpus.load
        locate_ptb(tmp_path)
    message = str(info.value)
    assert "\n" not in message and "ptb.valid.txt" in message
    assert "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2" in message


def test_batchify_streams_start_at_offsets_and_chunks_shift_targets():
    tokens = torch.arange(103)
    data = corpus.batchify(tokens, 4)
    assert data.shape == (25, 4)
    assert data[0].tolist() == [0, 25, 50, 75] and data[:, 1].tolist() == list(range(25, 50))
    pieces = list(corpus.chunks(data, 10))
    assert [p[0].shape[0] for p in pieces] == [10, 10, 4] == [p[1].shape[0] for p in pieces]
    assert torch.equal(pieces[0][1], data[1:11]) and len(pieces) == corpus.n_chunks(data, 10)


def test_truncated_epochs_continue_through_the_streams():
    data = corpus.batchify(torch.arange(400), 4)  # 100 steps
    firsts = [[int(i[0, 0]) for i, _ in corpus.chunks(data, 10, limit_tokens=120, epoch=e)] for e in range(4)]
    assert firsts[0] == [0, 10, 20] and firsts[1] == [30, 40, 50]
    assert firsts[3] == [90, 0, 10]  # wraps around
    assert corpus.n_chunks(data, 10, 120) == 3


# The cell -----------------------------------------------------------------------------------

def test_arch_strings_round_trip_in_the_official_edge_order():
    assert EDGES == ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
    ops = [3, 3, 3, 3, 1, 3]
    assert arch_string(ops) == "|relu~0|+|relu~0|relu~1|+|relu~0|tanh~1|relu~2|"  # Fig. 6 (a)
    assert parse_arch(arch_string(ops)) == ops


def test_gate_gradient_of_a_one_hot_architecture_is_eq7_and_zero_op_gets_zero():
    torch.manual_seed(0)
    model = LanguageModel(12, 6, 0.0, 0.1).double()
    inputs, targets = torch.randint(12, (4, 3)), torch.randint(12, (4, 3))
    ops = [1, 3, ZERO, 0, 2, 3]
    gates = one_hot_gates(ops).double().requires_grad_(True)
    h0 = torch.zeros(3, 6, dtype=torch.double)
    loss, _ = model(inputs, targets, h0, gates[None])
    (g,) = torch.autograd.grad(loss.sum(), gates)
    # Eq. (7): the gradient of the selected gate is <dL/dy_i, O^j(x)> summed over time and streams.
    # Check by perturbing the gate of edge 4 (selected op 2): L(1 + eps) - L(1 - eps).
    eps = 1e-6
    for e in (0, 4):
        bumped = [gates.detach().clone() for _ in range(2)]
        bumped[0][e, ops[e]] += eps
        bumped[1][e, ops[e]] -= eps
        diff = (model(inputs, targets, h0, bumped[0][None])[0] - model(inputs, targets, h0, bumped[1][None])[0]) / (2 * eps)
        assert g[e, ops[e]].item() == pytest.approx(diff.item(), rel=1e-5, abs=1e-9)
    assert g[2].abs().sum() == 0  # a zero op outputs zero; its gate gradient is zero (no other op computed)
    assert (g[[0, 1, 3, 4, 5]].abs() > 0).sum() == 5  # only the selected op of each edge


def test_zero_op_edge_outputs_exactly_zero():
    torch.manual_seed(0)
    model = LanguageModel(12, 5, 0.0, 0.1)
    cell = model.cell
    x = torch.randn(2, 5)
    y = cell._edge(x, torch.randn(2, 10), [torch.tensor(0.0)] * 4 + [torch.tensor(1.0)], [])
    assert torch.equal(y, torch.zeros_like(y))


def test_stacked_architectures_equal_separate_forwards():
    """PARSEC evaluates K architectures on one minibatch: the stacked loss of each equals
    its own forward."""
    torch.manual_seed(1)
    model = LanguageModel(10, 4, 0.0, 0.1)
    inputs, targets = torch.randint(10, (3, 2)), torch.randint(10, (3, 2))
    gates = torch.stack([one_hot_gates([o, (o + 1) % 5, 4, 0, 1, o]) for o in range(3)])
    h0 = torch.randn(2, 4)
    stacked, _ = model(inputs, targets, h0.repeat(3, 1), gates)
    alone = torch.cat([model(inputs, targets, h0, g[None])[0] for g in gates])
    assert torch.allclose(stacked, alone, atol=1e-6)


def test_parameter_count_counts_what_the_network_uses():
    model = LanguageModel(10_000, 300, 0.5, 0.1)
    all_used = [3, 3, 3, 3, 1, 3]
    assert model.used_parameters(all_used) == 2 * 10_000 * 300 + 10_000 + 4 * 300 ** 2 + 6 * 2 * 300 ** 2
    with_zero = [3, 3, ZERO, 3, 1, 3]
    assert model.used_parameters(all_used) - model.used_parameters(with_zero) == 2 * 300 ** 2
    assert paper_param_formula(all_used) == pytest.approx(7.44)  # the paper's AdvantageNAS row
    assert paper_param_formula([0] * 6) == pytest.approx(6.36)


# Search -------------------------------------------------------------------------------------

def test_config_defaults_are_the_papers_and_unknown_keys_raise():
    cfg = PTBConfig()
    assert (cfg.hidden, cfg.batch, cfg.bptt, cfg.search_epochs, cfg.retrain_epochs) == (300, 256, 35, 30, 100)
    assert (cfg.w_lr, cfg.w_clip, cfg.theta_lr, cfg.theta_clip, cfg.beta1) == (20.0, 0.25, 3e-3, 1.0, 0.9)
    assert len(cfg.seeds) == 5 and cfg.strategies == PTB_STRATEGIES
    assert cfg.options_for("proxyless")["pair"] == "mean"  # decision 8
    assert notebook("ptb").resolve("paper") == cfg
    assert len(notebook("ptb").resolve("cpu").seeds) >= 2
    with pytest.raises(ConfigError, match="unknown parameter 'hiden'"):
        PTBConfig.from_dict({"hiden": 3})
    with pytest.raises(ConfigError, match="strategies must be"):
        PTBConfig.from_dict({"strategies": ["enas"]})


def test_final_architecture_rule_per_strategy_as_the_paper():
    rules = {n: strategies.strategy_class(n).properties.final for n in PTB_STRATEGIES}
    assert rules == {"reinforce": "process_best", "gdas": "process_best", "parsec": "argmax",
                     "proxyless": "argmax", "advantage": "argmax"}


@pytest.mark.parametrize("name", strategies.names("sparse", paper_only=False))
def test_every_strategy_searches_and_picks_its_final_architecture(name):
    search = search_mod.make_search(tiny_config(), name, 0, tiny_corpus())
    search.run(progress=False)
    result, theta = search.summary(), search.theta.detach()
    assert torch.isfinite(theta).all()
    moved = not torch.equal(theta, distribution.init_theta(N_EDGES, len(OPS)))
    assert moved == strategies.STRATEGIES[name].learns_theta  # theta moved, except for random search
    assert parse_arch(result["argmax_arch"]) == theta.argmax(-1).tolist()
    one_hot = strategies.STRATEGIES[name].properties.hot == "1-hot"
    assert (result["process_best_arch"] is not None) == one_hot
    if one_hot:  # the best so far only improves, on training chunks (never the validation text)
        best = [r["process_best_loss"] for r in search.rows]
        assert best == sorted(best, reverse=True)
    rule = strategies.STRATEGIES[name].properties.final
    assert result["final_arch"] == result[f"{rule}_arch"]
    assert [r["epoch"] for r in search.rows] == [1, 2, 3]


def test_advantage_uses_the_zero_op_treatment():
    search = search_mod.make_search(tiny_config(), "advantage", 0, tiny_corpus())
    assert search.strategy.zero_op == ZERO == OPS.index("zero") and search.strategy.keeps_statistics


def test_proxyless_averages_its_pair_in_the_recurrent_cell():
    search = search_mod.make_search(tiny_config(), "proxyless", 0, tiny_corpus())
    draw = search.strategy.draw(search.theta, 0)
    assert torch.equal(draw.gates.sum(-1), torch.ones(N_EDGES))  # two gates of 1/2 per edge


def test_killed_trial_resumes_from_its_checkpoint_without_losing_epochs(results_dir, monkeypatch):
    data = tiny_corpus()
    monkeypatch.setattr(experiment.corpus, "load", lambda path=None, dataset="ptb": data)
    cfg = tiny_config()
    from advnas.store import ResultsStore

    store = ResultsStore()
    whole = store.run("ptb", "smoke", "whole", cfg.run_config("advantage", 0),
                      lambda ctx: experiment.trial(cfg, "advantage", 0, ctx), "ptb")

    class Killed(Exception):
        pass

    seen = []

    def kill(phase, epoch, at=("search", 2)):
        seen.append((phase, epoch))
        if (phase, epoch) == at:
            raise Killed

    config = cfg.run_config("advantage", 0)
    with pytest.raises(Killed):
        store.run("ptb", "smoke", "killed", config, lambda ctx: experiment.trial(cfg, "advantage", 0, ctx, kill),
                  "ptb")
    folder = store.folder("ptb", "smoke", "killed", config)
    assert (folder / "checkpoint.pt").exists() and not (folder / "summary.json").exists()
    resumed = store.run("ptb", "smoke", "killed", config,
                        lambda ctx: experiment.trial(cfg, "advantage", 0, ctx, kill), "ptb")
    # Epochs 1 and 2 were not redone: the resumed run went on with epoch 3.
    assert seen[:3] == [("search", 1), ("search", 2), ("search", 3)]
    assert seen.count(("search", 1)) == 1
    for key in ("arch", "argmax", "process_best", "theta", "val_ppl", "test_ppl", "params"):
        assert resumed.summary[key] == whole.summary[key], key
    cols = ["phase", "epoch", "train_loss", "val_loss_argmax"]
    assert resumed.metrics[cols].equals(whole.metrics[cols])
    assert not (folder / "checkpoint.pt").exists()


def test_kill_during_retraining_resumes_there(results_dir, monkeypatch):
    data = tiny_corpus()
    monkeypatch.setattr(experiment.corpus, "load", lambda path=None, dataset="ptb": data)
    cfg = tiny_config(search_epochs=1)
    whole_metrics, whole = experiment.trial(cfg, "gdas", 0)
    from advnas.store import ResultsStore

    calls = []

    def kill(phase, epoch):
        calls.append((phase, epoch))
        if (phase, epoch) == ("retrain", 1) and calls.count(("retrain", 1)) == 1:
            raise RuntimeError("killed")

    store, config = ResultsStore(), cfg.run_config("gdas", 0)
    with pytest.raises(RuntimeError):
        store.run("ptb", "smoke", "k", config, lambda ctx: experiment.trial(cfg, "gdas", 0, ctx, kill),
                  "ptb")
    run = store.run("ptb", "smoke", "k", config, lambda ctx: experiment.trial(cfg, "gdas", 0, ctx, kill),
                    "ptb")
    assert calls == [("search", 1), ("retrain", 1), ("retrain", 2)]
    assert run.summary["test_ppl"] == whole["test_ppl"] and run.summary["arch"] == whole["arch"]
