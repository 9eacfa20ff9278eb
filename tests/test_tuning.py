"""Theta's learning rate per strategy: the config table and the tuning rule (advnas/nb201/tuning.py)."""

import pandas as pd
import pytest

from advnas.config import ConfigError
from advnas.nb201 import tuning
from advnas.nb201.search_config import NB201SearchConfig
from advnas.runlist import notebook


def test_a_strategy_in_the_table_searches_and_records_its_own_rate():
    cfg = NB201SearchConfig(theta_lr=0.1, theta_lr_by_strategy={"gdas": 1.0})
    assert cfg.run_config("gdas", 0)["theta_lr"] == 1.0
    assert cfg.run_config("advantage", 0)["theta_lr"] == 0.1
    assert "theta_lr_by_strategy" not in cfg.run_config("gdas", 0)


def test_the_table_leaves_the_identity_of_every_run_at_the_profiles_rate():
    cpu = notebook("nb201").resolve("cpu", {"theta_lr_by_strategy": {}})
    tuned = notebook("nb201").resolve("cpu", {"theta_lr_by_strategy": {"gdas": 1.0, "advantage": cpu.theta_lr}})
    assert tuned.run_config("advantage", 3) == cpu.run_config("advantage", 3)
    assert tuned.run_config("gdas", 3) == cpu.replace(theta_lr=1.0).run_config("gdas", 3)


@pytest.mark.parametrize("table, needle", [({"gdax": 1.0}, "keyed by strategy names"),
                                           ({"gdas": 0}, "theta_lr_by_strategy['gdas'] must be a positive number"),
                                           ('{"gdas": ', "must be a JSON object")])
def test_a_bad_table_raises_one_line_naming_it(table, needle):
    with pytest.raises(ConfigError, match="theta_lr_by_strategy") as error:
        NB201SearchConfig.from_dict({"theta_lr_by_strategy": table})
    assert needle in str(error.value) and "\n" not in str(error.value)


def _runs(entropies, stable=True, accuracy=90.0):
    """(metrics, summary) per seed: a search whose entropy falls to each final value."""
    arch = "|a~0|"
    return [(pd.DataFrame({"phase": ["search"] * 4, "entropy": [1.38, 1.35, 1.3, e],
                           "argmax_arch": [arch, arch, arch, arch] if stable else [arch, arch, "|b~0|", arch]}),
             {"final_accuracy": accuracy}) for e in entropies]


def test_among_converging_rates_the_most_accurate_is_chosen():
    chosen = tuning.choose([tuning.candidate("x", 0.1, _runs([1.0, 1.1], accuracy=90.0)),
                            tuning.candidate("x", 0.3, _runs([0.9, 1.0], accuracy=92.0)),
                            tuning.candidate("x", 1.0, _runs([1.3, 0.5], accuracy=99.0))])  # one seed above 1.25
    assert chosen.theta_lr == 0.3


def test_an_unsettled_argmax_does_not_converge_and_equal_accuracy_prefers_the_smaller_rate():
    unsettled = tuning.candidate("x", 0.1, _runs([1.0], stable=False))
    assert not unsettled.converged
    assert tuning.choose([tuning.candidate("x", 1.0, _runs([1.0])), tuning.candidate("x", 0.3, _runs([1.0]))]
                         ).theta_lr == 0.3


def test_when_none_converges_the_lowest_final_entropy_is_chosen():
    chosen = tuning.choose([tuning.candidate("x", 0.1, _runs([1.37])), tuning.candidate("x", 1.0, _runs([1.30])),
                            tuning.candidate("x", 0.3, _runs([1.2], stable=False))])
    assert chosen.theta_lr == 0.3 and not chosen.converged


def test_tuning_searches_use_seeds_apart_from_every_reported_trial():
    reported = {seed for name in ("nb201", "zero_op", "dense", "ptb", "gradients")
                for seed in notebook(name).resolve("cpu").seeds}
    from advnas.jobs import tuning_jobs

    jobs = tuning_jobs("cpu")
    assert {job.seed for job in jobs}.isdisjoint(reported)
    assert len(jobs) == len(tuning.TUNED) * len(tuning.CANDIDATE_THETA_LRS) * len(tuning.TUNING_SEEDS)
    assert "random" not in {job.strategy for job in jobs}


def test_the_cpu_profile_searches_every_strategy_at_the_rate_the_rule_chooses():
    """The stored tuning searches decide the cpu profile's rates (chapters 3, 5 and 6 share them)."""
    for chapter in ("nb201", "zero_op", "dense"):
        cfg = notebook(chapter).resolve("cpu")
        chosen = tuning.chosen_rates(tuning.stored(notebook("nb201").resolve("cpu"), "cpu"))
        assert set(chosen) == set(tuning.TUNED)
        assert {name: cfg.theta_lr_of(name) for name in chosen} == chosen, chapter
