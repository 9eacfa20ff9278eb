import pytest

from advnas.config import ConfigError, check_profile
from advnas.runlist import RUNLIST, notebook
from advnas.theory.config import TheoryConfig


def test_defaults_and_overrides():
    cfg = TheoryConfig.from_dict({"mc_samples": 5000, "edge_counts": [1, 3]})
    assert cfg.mc_samples == 5000 and cfg.edge_counts == (1, 3) and cfg.n_ops == 10
    assert TheoryConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize("values,needle", [
    ({"mc_sample": 5}, "unknown parameter 'mc_sample'"),
    ({"mc_samples": "many"}, "mc_samples must be of type int"),
    ({"mc_samples": True}, "mc_samples must be of type int"),
    ({"edge_counts": 3}, "edge_counts must be a non-empty list"),
    ({"n_ops": 1}, "n_ops must be"),
    ({"bound_offset": -1}, "bound_offset must be"),
])
def test_bad_values_raise_one_line_naming_the_parameter(values, needle):
    with pytest.raises(ConfigError) as info:
        TheoryConfig.from_dict(values)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_int_is_accepted_for_float():
    assert TheoryConfig.from_dict({"reward_shift": -2}).reward_shift == -2.0


def test_profiles():
    assert check_profile("smoke") == "smoke"
    with pytest.raises(ConfigError, match="profile must be one of smoke, cpu, paper"):
        check_profile("gpu")


@pytest.mark.parametrize("name", list(RUNLIST))
def test_every_notebook_resolves_every_profile(name):
    entry = notebook(name)
    assert set(entry.profiles) == {"smoke", "cpu", "paper"}
    for profile in entry.profiles:
        entry.resolve(profile)
    assert entry.source.exists()


def test_unknown_notebook():
    with pytest.raises(ConfigError, match="notebook must be one of"):
        notebook("nope")


def test_the_command_line_prints_its_version_under_its_own_name():
    import subprocess
    import sys

    import advnas

    done = subprocess.run([sys.executable, "-m", "advnas", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == f"python -m advnas {advnas.__version__}"


@pytest.mark.parametrize("argv0, shown", [
    ("/venv/bin/advnas", "advnas"),
    ("C:\\venv\\Scripts\\advnas.exe", "advnas"),
    ("/repo/advnas/__main__.py", "python -m advnas"),
    ("-c", "advnas"),
    ("", "advnas"),
])
def test_the_usage_line_shows_the_name_the_command_was_invoked_by(argv0, shown):
    from advnas.cli import program_name

    assert program_name(argv0) == shown


def test_every_command_with_a_profile_defaults_to_cpu():
    """One default for every command, as the README says: cpu (paper is hours per run on a CPU)."""
    import argparse

    from advnas.cli import build_parser

    def commands(parser, path=()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from commands(sub, (*path, name))
        yield path, {a.dest: a for a in parser._actions}
    with_profile = {" ".join(path): actions["profile"] for path, actions in commands(build_parser())
                    if "profile" in actions}
    assert {"toy", "nb201 search", "ptb search", "run", "book"} <= set(with_profile)
    for command, action in with_profile.items():
        assert action.default == "cpu", command
        assert "cpu (default" in action.help or action.help == "default: cpu", command
