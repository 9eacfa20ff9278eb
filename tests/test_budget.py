"""The compute budget of the cpu searches: runs side by side are counted once."""

from datetime import datetime, timedelta

from advnas import budget
from advnas.report import changed_settings
from advnas.runlist import notebook

T0 = datetime(2026, 1, 1)


def _iv(start_min: float, end_min: float) -> budget.Interval:
    return budget.Interval(T0 + timedelta(minutes=start_min), T0 + timedelta(minutes=end_min))


def test_occupied_time_counts_overlapping_runs_once_and_gaps_not_at_all():
    assert budget.occupied_seconds([]) == 0
    # two workers side by side (0-10 and 2-12), a gap, then one run inside another (30-40, 32-35)
    runs = [_iv(0, 10), _iv(2, 12), _iv(30, 40), _iv(32, 35)]
    assert budget.occupied_seconds(runs) == (12 + 10) * 60
    assert budget.occupied_seconds(list(reversed(runs))) == (12 + 10) * 60


def test_every_search_chapter_has_a_budget_named_in_its_run_list_entry():
    groups = budget.groups()
    chapters = {c for chapters, _ in groups.values() for c in chapters}
    assert chapters == {"nb201", "zero_op", "dense", "ptb", budget.TUNING}
    assert groups["CIFAR-10 searches (chapters 3, 5, 6)"] == (("nb201", "zero_op", "dense"), 6.0)
    assert groups["PTB searches (chapter 4)"] == (("ptb",), 1.5)


def test_the_tuning_searches_have_a_budget_group_of_their_own():
    frame = budget.table("cpu")
    row = frame.loc["θ learning-rate tuning searches (chapter 3)"]
    assert row["runs stored"].endswith(" of 24") and row["budget, h"] == 3.0


def test_ptb_settings_say_the_whole_split_for_a_token_count_of_zero():
    text = changed_settings(notebook("ptb").resolve("cpu"))
    assert "epoch_tokens 75,000 (paper: the whole split)" in text and "(paper: 0)" not in text


def test_timings_name_every_commit_a_group_of_runs_was_computed_at():
    from advnas.runner import commits_text

    infos = [{"git_commit": "bbb", "finished_at": "2026-01-02"}, {"git_commit": "aaa", "finished_at": "2026-01-01"},
             {"git_commit": "bbb", "finished_at": "2026-01-03"}, {"git_commit": "ccc", "finished_at": "2026-01-04"}]
    assert commits_text(infos) == "3 commits, `aaa` … `ccc`"
    assert commits_text(infos[:1]) == "`bbb`"
    resumed = {"git_commit": "bbb", "finished_at": "2026-01-02", "earlier_sittings": [{"git_commit": "zzz"}, {}]}
    assert commits_text([resumed]) == "2 commits, `zzz` … `bbb`"


def test_more_trials_are_priced_per_search_chapter_from_the_stored_runs():
    frame = budget.more_trials("cpu", target_trials=10)
    assert list(frame["trials now"]) == [10, 3, 3, 5]  # chapters 3, 5, 6 and 4 at cpu
    assert (frame["one seed more, h"] > 0).all()
    expected = frame["one seed more, h"] * (10 - frame["trials now"])
    assert ((frame["to 10 trials, h"] - expected).abs() <= 0.005 * (10 - frame["trials now"]) + 0.01).all()


def test_a_chapter_at_the_planned_trials_says_so_and_one_below_prices_the_rest():
    full = budget.ChapterCost("nb201", trials=10, hours_per_seed=0.25, hours_left=1.0)
    assert full.hours_to(10) == 0 and "already runs 10" in full.sentence(10)
    short = budget.ChapterCost("zero_op", trials=3, hours_per_seed=0.25, hours_left=1.0)
    assert short.hours_to(10) == 1.75
    assert "1.75 h more" in short.sentence(10) and "beyond the 1.00 h left" in short.sentence(10)
    assert "within the 1.00 h left" in budget.ChapterCost("ptb", 8, 0.25, 1.0).sentence(10)


def test_the_tuning_candidates_are_searched_at_their_own_rate_not_the_profiles_chosen_one():
    from advnas import jobs

    todo = jobs.tuning_jobs("cpu")
    rates = {(j.strategy, j.config().run_config(j.strategy, j.seed)["theta_lr"]) for j in todo}
    assert len(todo) == len(rates) == 24
