"""The shared report helpers (advnas/report.py, advnas/cells.py) and the chapters' verdicts,
on small hand-made tables: each verdict follows the numbers (it flips when they flip)."""

import dataclasses
import math
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from advnas import cells, report, strategies  # noqa: E402
from advnas.nb201 import report as nb201  # noqa: E402
from advnas.ptb import report as ptb  # noqa: E402
from advnas.runlist import RUNLIST  # noqa: E402
from advnas.toy import report as toy  # noqa: E402
from advnas.verdict import Verdict  # noqa: E402

PROPOSED = strategies.PROPOSED


def fake_run(profile="cpu", device="cpu (x86_64, 2 cores, 1 threads)", commit="abc", wall=60.0, summary=None):
    info = {"profile": profile, "device": device, "torch": "2.0", "git_commit": commit, "wall_time_s": wall}
    return SimpleNamespace(info=info, summary=summary or {})


# Shared helpers ------------------------------------------------------------------------------

def test_mean_spread_is_the_population_std_and_skips_missing_values():
    mean, spread = report.mean_spread([1.0, 2.0, None, 4.0])
    assert mean == pytest.approx(7 / 3) and spread == pytest.approx(np.std([1.0, 2.0, 4.0]))
    assert report.pm(pd.Series([93.0, 94.0])) == "93.50 ± 0.50"
    assert report.pm([1.0, 2.0], digits=3) == "1.500 ± 0.500"
    assert report.pm([None]) == "–" and all(math.isnan(v) for v in report.mean_spread([]))


def test_labels_and_order_come_from_the_registry_with_baselines_last():
    assert report.label(PROPOSED) == strategies.STRATEGIES[PROPOSED].label == report.proposed_label()
    assert report.label("plain") == "plain"
    assert report.order(["random", PROPOSED, "plain", "darts", PROPOSED]) == ["darts", PROPOSED, "random", "plain"]
    frame = pd.DataFrame({"strategy": ["random", PROPOSED, "gdas", PROPOSED], "seed": [0, 1, 0, 0]})
    assert list(report.ordered(frame).seed) == [0, 1, 0, 0]
    assert list(report.ordered(frame).strategy) == ["gdas", PROPOSED, PROPOSED, "random"]


def test_rivals_are_the_papers_sets_per_experiment():
    sparse = ["proxyless", "parsec", "gdas", "reinforce"]  # Tables 2, 3 and 4: every other SP-NAS
    assert {e: report.rivals(e) for e in ("toy", "nb201", "zero_op", "ptb", "dense")} == {
        "toy": ["parsec", "gdas", "reinforce"],  # Fig. 1: REINFORCE, PARSEC, GDAS (one-hot)
        "nb201": sparse, "zero_op": sparse, "ptb": sparse,
        "dense": ["darts", "snas", "nasp"]}  # App. G
    assert report.rivals("nb201") == [n for n in strategies.SPARSE if n != PROPOSED]
    assert all(PROPOSED not in r and "random" not in r for r in map(report.rivals, report.paper.RIVALS))
    assert report.rivals("nb201", ["gdas", "darts"]) == ["gdas"]
    with pytest.raises(ValueError, match="experiment must be one of toy, nb201"):
        report.rivals("cifar")


def test_only_a_strategy_whose_theta_moves_is_a_searcher():
    assert not report.learns_theta("random") and report.learns_theta(PROPOSED) and report.learns_theta("plain")
    frame = pd.DataFrame({"strategy": ["random", PROPOSED, "plain"]})
    assert list(report.searchers(frame).strategy) == [PROPOSED, "plain"]
    assert report.searchers(frame.iloc[:0]).empty


def test_the_proposed_method_is_highlighted():
    assert report.line_style(PROPOSED)["lw"] > report.line_style("gdas")["lw"]
    assert report.line_style(PROPOSED)["color"] == "black" and "color" not in report.line_style("gdas")


def test_targets_and_claim_words():
    assert report.target_word(2.1, report.SEARCH_OVER_PLAIN_TARGET) == "met"
    assert report.target_word(2.3, report.SEARCH_OVER_PLAIN_TARGET) == "missed"
    assert report.target_word(3.5, report.DENSE_OVER_SPARSE_MEMORY_TARGET, at_least=True) == "met"
    assert report.target_text(report.DENSE_OVER_SPARSE_MEMORY_TARGET, at_least=True) == "≥ 3"
    assert report.claim(True) == "holds" and report.claim(False) == "does not hold"


def test_hardware_sentence_is_read_from_the_runs_provenance():
    one = report.hardware_sentence([fake_run(wall=187.34)])
    assert one == ("Profile `cpu`: computed without a GPU, on cpu (x86_64, 2 cores, 1 threads), torch 2.0, "
                   "commit `abc`, wall time 187.3 s.")
    many = report.hardware_sentence([fake_run(commit="b", wall=60), fake_run(commit="a", wall=120),
                                     fake_run(device="cuda (NVIDIA H200)", commit="a", wall=180)])
    assert many.startswith("Profile `cpu`: 3 runs computed on cpu (x86_64, 2 cores, 1 threads), cuda (NVIDIA H200)")
    assert "commits `a`, `b`" in many and many.endswith("6.0 min of wall time in all.")
    assert "cut-down `cpu` profile" in report.profile_note([fake_run()])
    assert "`paper` profile" in report.profile_note([fake_run(profile="paper", device="cuda (x)")])


def test_one_cell_drawing_labels_every_drawn_edge():
    style = cells.CellStyle(positions={0: (0, 0), 1: (1, 1), 2: (2, 0)}, short={"a": "op a"},
                            hidden=frozenset({"none"}), bends={(0, 2): 0.3})
    fig, ax = plt.subplots()
    cells.draw_cell(ax, [(0, 1, "a"), (1, 2, "b"), (0, 2, "none")], style, "t")
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("op a") == 1 and texts.count("b") == 1 and "none" not in texts
    assert len(ax.patches) == 2 and ax.get_title() == "t"
    plt.close(fig)


def test_both_chapters_draw_their_cells_with_the_shared_drawing():
    from advnas import paper

    fig, (a, b) = plt.subplots(1, 2)
    nb201.draw_cell(paper.FIG5_ARCH, a)
    ptb.draw_cell(b, paper.FIG6[PROPOSED][0])
    assert [t.get_text() for t in a.texts].count("conv 3×3") == 6
    assert len(b.patches) == 1 + 6 + 3  # input link, the 6 edges, the 3 links into h_t
    plt.close(fig)


# CIFAR-10 chapters ---------------------------------------------------------------------------

def nb201_summaries(ours: float, best_rival: float) -> pd.DataFrame:
    rows = []
    for name, acc in [(PROPOSED, ours), ("gdas", best_rival), ("reinforce", best_rival - 1), ("random", 99.0)]:
        for seed, noise in enumerate((0.0, 0.2, -0.1)):
            rows.append({"strategy": name, "seed": seed, "argmax_accuracy": acc + noise, "argmax_params_mb": 1.0,
                         "process_best_accuracy": acc - 0.5 + noise / 2, "process_best_params_mb": 1.0,
                         "final_accuracy": acc + noise})
    return pd.DataFrame(rows)


def nb201_metrics(entropies: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame([{"strategy": n, "seed": seed, "search_epoch": e, "epoch": e, "phase": "search",
                          "argmax_accuracy": 90.0 + e, "entropy": math.log(4) - e * drop * (1 + seed / 10)}
                         for n, drop in entropies.items() for e in (0, 1, 2) for seed in (0, 1, 2)])


def test_cifar_verdicts_are_paired_flip_with_the_numbers_and_keep_random_search_apart():
    metrics = nb201_metrics({PROPOSED: 0.1, "gdas": 0.01, "reinforce": 0.02, "random": 0.0})
    holds = nb201.verdicts(nb201_summaries(93.0, 92.0), metrics)
    assert holds[0].claim == "argmax: AdvantageNAS outperforms every SP-NAS (Table 2)" and holds[0].outcome == "holds"
    assert "against GDAS +1.00 [" in holds[0].evidence and "Random" not in holds[0].evidence  # no rival
    # the weakest comparison decides a claim that holds: GDAS, 1 point behind (REINFORCE is 2)
    assert holds[0].n == 3 and holds[0].estimate == pytest.approx(1.0) and holds[0].interval[0] > 0
    assert holds[2].claim == "AdvantageNAS beats random search at the same budget" and holds[2].kind == "fails"
    fails = nb201.verdicts(nb201_summaries(91.0, 92.0), metrics)
    assert fails[0].outcome == fails[1].outcome == "fails"
    assert fails[0].estimate == pytest.approx(-1.0) and fails[0].interval[1] < 0  # the first failing rival: GDAS
    assert holds[3].claim == "argmax is better than process best for every strategy" and holds[3].outcome == "holds"
    assert holds[-1].claim == "Fig. 4: AdvantageNAS's entropy falls faster than REINFORCE's, GDAS's and PARSEC's"
    assert holds[-1].outcome == "holds" and holds[-1].interval[1] < 0 and "below zero" in holds[-1].rule


def test_table2_shows_random_search_last_when_it_was_run():
    table = nb201.table2(nb201_summaries(93.0, 92.0))
    assert list(table.index) == ["GDAS", "REINFORCE", "AdvantageNAS", "Random search"]
    assert table.at["Random search", "argmax accuracy (paper)"] == "–"
    # theta never moves under random search: its argmax is a tie-break, shown as nothing
    assert table.at["Random search", "argmax accuracy [95 % CI]"] == "–"
    assert table.at["Random search", "argmax percentile"] == "–"
    assert table.at["Random search", "process best accuracy [95 % CI]"].startswith("98.5")


def test_random_search_is_left_out_of_the_argmax_claims_and_curves():
    summaries = nb201_summaries(93.0, 92.0)
    # the all-skip tie-break of an unmoved theta would fail "argmax beats process best"
    summaries.loc[summaries.strategy == "random", "argmax_accuracy"] = 50.0
    metrics = nb201_metrics({PROPOSED: 0.1, "gdas": 0.01, "reinforce": 0.02, "random": 0.0})
    verdict = next(v for v in nb201.verdicts(summaries, metrics) if "argmax is better than process best" in v.claim)
    assert verdict.outcome == "holds" and "Random" not in verdict.evidence
    assert "by 0.0220 to 0.2200 nats" in nb201.entropy_drop(metrics, 4, 100)  # not "by 0.0000": random search
    fig = nb201.figure2(metrics.assign(argmax_accuracy=metrics.argmax_accuracy.where(metrics.strategy != "random", 50.0)), "")
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["GDAS", "REINFORCE", "AdvantageNAS"]
    plt.close(fig)


def test_entropy_drop_says_when_the_claim_cannot_be_tested():
    small = nb201.entropy_drop(nb201_metrics({PROPOSED: 0.01, "gdas": 0.001}), 4, 100)
    assert "by 0.0022 to 0.0220 nats" in small and "cannot be tested" in small
    large = nb201.entropy_drop(nb201_metrics({PROPOSED: 0.1, "gdas": 0.001}), 4, 100)
    assert "cannot be tested" not in large


def zero_op_tables(ours_with: float, gdas_with: float):
    def rows(acc_ours, acc_gdas):
        return pd.DataFrame([{"strategy": n, "seed": 0, "argmax_accuracy": a, "argmax_params_mb": 1.0,
                              "process_best_accuracy": a, "process_best_params_mb": 1.0}
                             for n, a in [(PROPOSED, acc_ours), ("gdas", acc_gdas)]])
    with_zero = rows(ours_with, gdas_with)
    control = with_zero.iloc[:1].assign(label="AdvantageNAS without Eq. (9)", argmax_accuracy=50.0)
    return pd.concat([with_zero, control], ignore_index=True), rows(93.0, 92.0)


def test_zero_op_verdicts_compare_each_row_with_its_strategy_and_flip():
    tables = zero_op_tables(92.5, 80.0)
    lines = nb201.zero_op_change_lines(*tables)
    assert lines[0] == ("GDAS: argmax 80.00 % with `none` against 92.00 % without (mean change -12.00 points); "
                        "params 1.00 MB against 1.00 MB.")
    assert lines[2].startswith("AdvantageNAS without Eq. (9): argmax 50.00 % with `none` against 93.00 %")
    table4, cost, eq9 = nb201.zero_op_verdicts(*tables)
    assert table4.outcome == "inconclusive at n = 1"  # one seed: no interval, no verdict either way
    assert table4.n == 1 and table4.estimate == pytest.approx(12.5) and table4.interval is None
    assert cost.claim.startswith("App. F: adding `none` costs AdvantageNAS less accuracy")
    assert cost.estimate == pytest.approx(11.5)  # AdvantageNAS's change -0.5 minus GDAS's -12
    assert eq9.claim.startswith("App. F: Eq. (9)") and eq9.estimate == pytest.approx(42.5) and eq9.n == 1


def memory_run(dense: float, plain: float):
    peaks = {"reinforce": 110, PROPOSED: 105, "plain": 100}
    return SimpleNamespace(summary={
        "dense_over_sparse_median": dense, "darts_over_advantage": 4.0, "advantage_over_plain_max": plain,
        "advantage_over_plain_per_cell": {0: plain, 1: plain}, "device": "cpu", "method": "profiler",
        "peak_bytes": peaks})


def test_memory_verdict_meets_and_misses_its_named_targets():
    met = nb201.memory_verdict(memory_run(3.5, 1.05))
    assert "(target ≥ 3: met)" in met[0] and "(target ≤ 1.1: met)" in met[0]
    assert "peaks at 1.100× plain training and AdvantageNAS at 1.050×" in met[1]
    missed = nb201.memory_verdict(memory_run(2.5, 1.2))
    assert "(target ≥ 3: missed)" in missed[0] and "(target ≤ 1.1: missed)" in missed[0]


def test_speed_lines_say_within_or_above_the_target():
    def bench(ratio):
        return SimpleNamespace(summary={"sizes": {"small": {
            "median_seconds": {"plain_step": 1.0, "search_iteration": ratio, f"theta_step:{PROPOSED}": 1.0},
            "search_iteration_over_plain_step": {"median": ratio}}}})
    assert "takes 2.10 plain steps (within the 2.1 target)" in nb201.benchmark_lines(bench(2.1))
    assert "(above the 2.1 target)" in nb201.benchmark_lines(bench(2.5))


# PTB chapter --------------------------------------------------------------------------------

def ptb_runs(ours_val: float):
    values = {PROPOSED: ours_val, "gdas": 100.0, "reinforce": 110.0, "random": 50.0}
    noise = (0.0, 0.5, -0.3)
    return [fake_run(summary={"strategy": n, "seed": s, "val_ppl": v + noise[s], "test_ppl": v + 2 * noise[s]})
            for n, v in values.items() for s in (0, 1, 2)]


def test_ptb_verdicts_are_paired_flip_with_the_numbers_and_keep_random_search_apart():
    holds = ptb.verdicts(ptb_runs(90.0))
    assert holds[0].markdown().startswith(
        "**Sec. 5.3: AdvantageNAS has the lowest validation perplexity (Table 3): holds.**")
    assert "against GDAS -10.0 [" in holds[0].evidence and "Random" not in holds[0].evidence
    assert holds[0].n == 3 and holds[0].interval[1] < 0
    assert holds[-1].claim.endswith("beats random search at the same budget (test perplexity)")
    assert holds[-1].outcome == "fails"
    fails = ptb.verdicts(ptb_runs(105.0))
    assert fails[0].outcome == "fails"  # worse than GDAS in every pair
    without_ours = [r for r in ptb_runs(90.0) if r.summary["strategy"] != PROPOSED]
    assert ptb.verdicts(without_ours) == []  # no AdvantageNAS trial: no claim to test


def test_ptb_competitive_is_a_non_inferiority_margin_against_proxylessnas_paired_by_seed():
    def runs(ours_test):
        return pd.DataFrame([{"strategy": n, "seed": k, "test_ppl": v * (1 + 0.001 * k)}
                             for n, v in ((PROPOSED, ours_test), ("proxyless", 100.0)) for k in (0, 1, 2, 3)])
    within = ptb.competitive_verdict(runs(100.5))  # 0.5 % worse: within the margin
    assert within.outcome == "holds" and within.claim.endswith("(within 1%)")
    assert within.n == 4 and within.estimate == pytest.approx(0.005) and within.interval[1] < 0.01
    assert ptb.competitive_verdict(runs(103.0)).outcome == "fails"
    assert ptb.competitive_verdict(runs(100.0).query("strategy != 'proxyless'")) is None
    one = ptb.competitive_verdict(runs(100.5).query("seed == 0"))
    assert one.outcome == "inconclusive at n = 1" and one.interval is None
    assert "no interval (n = 1)" in one.evidence and "nan" not in one.markdown()


# Toy chapter --------------------------------------------------------------------------------

def recovery(ours: float, gdas: float) -> pd.DataFrame:
    values = {PROPOSED: ours, "reinforce": 500.0, "parsec": float("inf"), "gdas": gdas, "proxyless": 10.0,
              "darts": 50.0, "snas": 400.0, "nasp": 60.0}
    return pd.DataFrame({"strategy": [report.label(n) for n in values],
                         "median iterations to recovery": list(values.values())}).set_index("strategy")


def test_toy_verdict_flips_and_compares_with_the_one_hot_rivals_only():
    holds = toy.verdict(recovery(300.0, 400.0))
    assert "AdvantageNAS 300; PARSEC: never; GDAS: 400; REINFORCE: 500" in holds
    assert "faster than PARSEC, GDAS and REINFORCE holds in these runs." in holds  # not ProxylessNAS (10)
    assert "faster than AdvantageNAS: DARTS, NASP (the paper: all 3)." in holds
    fails = toy.verdict(recovery(300.0, 200.0))
    assert "does not hold in these runs against GDAS." in fails


def test_table1_shows_the_random_search_baseline_without_a_paper_row():
    table = toy.table1_beside_paper()
    assert list(table.index) == [strategies.STRATEGIES[n].label for n in strategies.STRATEGIES]
    assert table.at["Random search", "paper's Table 1 row"] == "–"
    assert table.drop(index="Random search").agrees.all()


def test_the_scorecard_collects_the_chapters_verdicts_with_their_section(monkeypatch):
    from advnas import scorecard

    def verdicts(cfg, profile):
        return [Verdict(claim="a claim", outcome="holds", evidence="evidence", rule="a rule",
                        comparison="a comparison")]

    monkeypatch.setattr(scorecard, "RUNLIST", {"nb201": dataclasses.replace(RUNLIST["nb201"], verdicts=verdicts)})
    frame = scorecard.table("smoke")
    assert list(frame.verdict) == ["holds"] and frame.section[0] == "[The CIFAR-10 cell search evaluated on NAS-Bench-201](03_nb201.ipynb)"


def test_the_scorecard_row_names_our_profile_and_the_number_of_trials():
    from advnas.scorecard import trials_text

    assert trials_text("cpu", 5) == "cpu, n = 5"
    assert trials_text("smoke", None) == "smoke"  # an exact computation, a benchmark's medians


def test_a_per_trial_table_shows_whole_cells_and_a_dash_where_no_value_exists():
    from advnas.report import shown

    cell = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    frame = pd.DataFrame({"arch": [cell, cell], "accuracy": [93.7612, float("nan")]})
    html = shown(frame).to_html()
    assert cell in html and "93.76" in html and "–" in html and "nan" not in html.lower()


def test_a_shown_table_writes_counts_whole_tiny_values_in_scientific_notation_and_infinity_in_words():
    from advnas.report import shown

    frame = pd.DataFrame({"calls": [454.0, float("nan")], "p": [3.5e-13, 0.5], "iterations": [30.0, float("inf")],
                          "ratio": [0.123456, 2.0], "arch": ["|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|", "x"]},
                         index=["AdvantageNAS", "AdvantageNAS"])  # a label repeats over trials
    html = shown(frame, 3, infinite="never").to_html()
    assert ">454<" in html and "3.500e-13" in html and "never" in html and ">30<" in html and "0.123" in html
    assert "nan" not in html.lower() and "inf" not in html.lower()
    assert "td.col4 {\n  overflow-wrap: anywhere;" in html  # the long architecture strings may wrap


def test_table_intervals_are_clipped_to_the_quantitys_range():
    from advnas.report import NON_NEGATIVE, PERCENT, ci, ci_sentence

    assert ci([80.0, 99.0, 99.5], 1, within=PERCENT).endswith(", 100.0]")
    assert ci([0.01, 0.02, 0.9], within=NON_NEGATIVE).startswith("0.31 [0.00, ")
    assert ci([float("nan")], within=PERCENT) == "–"
    assert ci_sentence([0.05, 0.06, 0.9], 3, within=(0.0, 1.386)).endswith("(95 % t interval clipped to [0.000, 1.386])")
    assert "clipped" not in ci_sentence([0.5, 0.6, 0.7], 3, within=(0.0, 1.386))


def test_a_provenance_box_over_several_runs_covers_them_all(monkeypatch):
    from pathlib import Path

    from advnas.notebook import provenance
    from advnas.store import Run

    folders = sorted(Path(__file__).parents[1].glob("results/ptb/cpu/*-s[01]-*"))[:2]
    runs = [Run.load(folder) for folder in folders]
    monkeypatch.setattr(Run, "is_stale", lambda self: self.folder == folders[0])
    text = provenance(runs).data
    assert "2 runs computed" in text and "Result folders under `results/ptb/cpu/`" in text
    assert ("recompute with `python -m advnas run ptb --profile cpu --recompute`, or under papermill "
            f"`papermill notebooks/04_ptb.ipynb OUT.ipynb -p profile cpu -p recompute True`): {folders[0].name}.") in text
    first, last = sorted(r.info["finished_at"] for r in runs)
    assert f"finished between {first} and {last}" in text


def test_a_stale_run_names_commands_that_recompute_it(monkeypatch):
    """The hint names the runner's flag and the chapter's recompute parameter under papermill; a
    benchmark, which no notebook computes, its script."""
    from pathlib import Path

    from advnas.notebook import provenance
    from advnas.store import Run

    root = Path(__file__).parents[1]
    monkeypatch.setattr(Run, "is_stale", lambda self: True)
    toy = provenance(Run.load(sorted(root.glob("results/toy/cpu/fig1-*"))[0])).data
    assert ("**stale**: the code that produces it has changed since; recompute with `python -m advnas run toy "
            "--profile cpu --recompute`, or under papermill `papermill notebooks/02_toy.ipynb "
            "OUT.ipynb -p profile cpu -p recompute True`") in toy
    bench = provenance(Run.load(sorted(root.glob("results/benchmarks/cpu/toy-speed-*"))[0])).data
    assert "recompute it with `python benchmarks/toy_speed.py --profile cpu --recompute`" in bench
    assert (root / "benchmarks" / "toy_speed.py").is_file()


def test_a_notebook_shows_table_cells_whole():
    from advnas.notebook import config_table, setup

    with pd.option_context("display.max_colwidth", 50):
        _, cfg = setup("nb201", {"profile": "paper", "In": []})
        html = config_table(cfg)._repr_html_()  # what a notebook displays
    assert "'reinforce', 'advantage']" in html.replace("&#x27;", "'")


def test_the_scorecard_marks_a_verdict_whose_stored_runs_are_stale(monkeypatch):
    """A row's evidence is the runs its source read through the store; a stale one marks it."""
    from pathlib import Path

    from advnas import scorecard
    from advnas.store import ResultsStore, Run

    root = Path(__file__).parents[1] / "results"
    stale_folder = sorted(root.glob("toy/cpu/fig1-*"))[0]
    monkeypatch.setattr(Run, "is_stale", lambda self: self.folder == stale_folder)

    def reads(experiment, name):
        def verdicts(cfg, profile):
            ResultsStore(root).latest(experiment, name, "cpu")
            return [Verdict(claim=f"a claim on {name}", outcome="holds", evidence="evidence", rule="r",
                            comparison="c")]
        return verdicts

    monkeypatch.setattr(scorecard, "RUNLIST", {
        "toy": dataclasses.replace(RUNLIST["toy"], verdicts=reads("toy", "fig1")),
        "theory": dataclasses.replace(RUNLIST["theory"], verdicts=reads("benchmarks", "memory"))})
    frame = scorecard.table("cpu")
    assert list(frame.stale) == [stale_folder.name, ""]
    shown = scorecard.summary_table(frame)
    assert list(shown.verdict) == ["holds (evidence stale: recompute)", "holds"]
    assert scorecard.counts(frame) == "2 hold, 0 fail, 0 inconclusive; 1 rests on stale stored runs"
    assert stale_folder.name in scorecard.evidence_list(frame)


def test_the_no_additional_cost_row_compares_with_reinforce_as_it_needs_it(monkeypatch):
    """Sec. 4.3: REINFORCE's θ step needs a forward pass only; the verdict is on that ratio, and
    the ratio against REINFORCE with a backward pass stands beside it with its own verdict."""
    from types import SimpleNamespace

    from advnas.cost import verdicts as cost
    from advnas.store import ResultsStore

    speed = SimpleNamespace(config={"settings": {"repeats": 7}}, summary={"sizes": {
        "C=8, cells/stage=1": {"advantage_over_reinforce": {"median": 9.0, "quartiles": [8.0, 10.0]},
                               "advantage_over_reinforce_with_backward": {"median": 9.0, "quartiles": [8.0, 10.0]}},
        "C=16, cells/stage=5": {"advantage_over_reinforce": {"median": 3.4, "quartiles": [3.2, 3.6]},
                                "advantage_over_reinforce_with_backward": {"median": 0.96, "quartiles": [0.9, 1.02]}}}})
    monkeypatch.setattr(ResultsStore, "latest", lambda self, experiment, name, profile:
                        speed if name == "nb201-speed" else None)
    (row,) = cost.stored_verdicts("cpu")
    assert row.outcome == "fails" and "median 3.400, quartiles 3.200–3.600 at C=16" in row.evidence
    assert "median 0.960, quartiles 0.900–1.020: holds." in row.evidence
    assert row.n is None  # neither ratio is inconclusive: the line states no n
    assert not row.priced  # a benchmark's repeats: no price of more search trials
    assert cost.ratio_verdict({"quartiles": [1.0, 1.1]}, 1.05, 7) == "inconclusive at n = 7"
    verdict = cost.theta_step_verdict(speed, "AdvantageNAS")
    assert verdict.estimate == 3.4 and verdict.interval == (3.2, 3.6)


def test_the_variance_row_follows_typically_with_its_stated_threshold(monkeypatch):
    """Sec. 4.4 says "typically": the row holds when the advantage is lower on at least
    theory.report.TYPICALLY of the edges in every regime, and names the shares and counts."""
    from types import SimpleNamespace

    from advnas.theory import experiment
    from advnas.theory import report as theory_report

    def fake(share_standard):
        metrics = pd.DataFrame(
            [{"part": "scaling", "quantity": "fraction_edges_lower", "regime": regime, "n_edges": 5,
              "instance": k, "step": float("nan"), "estimator": "advantage", "value": 1.0}
             for regime in ("centred", "standard") for k in range(4)]
            + [{"part": "theorem41", "quantity": "improvement", "regime": "", "n_edges": 3, "instance": 0,
                "step": 0.5, "estimator": "advantage", "value": 0.1}])
        summary = {"advantage_lower_fraction": {"centred": 1.0, "standard": share_standard},
                   "theorem42_bias": {"advantage": 0.0, "reinforce": 0.0, "advantage_first_order": 0.1},
                   "theorem41_min_slack": 0.01}
        return SimpleNamespace(summary=summary, metrics=metrics)

    cfg = RUNLIST["theory"].resolve("cpu")
    monkeypatch.setattr(experiment, "run", lambda cfg, profile: fake(0.95))
    verdict = theory_report.stored_verdicts(cfg, "cpu")[0]
    assert verdict.outcome == "holds" and "standard 95.0% (mean over 4 instances, 20 edge cases)" in verdict.evidence
    monkeypatch.setattr(experiment, "run", lambda cfg, profile: fake(theory_report.TYPICALLY - 0.01))
    assert theory_report.stored_verdicts(cfg, "cpu")[0].outcome == "fails"
