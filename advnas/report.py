"""What the chapters' reports share: strategy names and order (from the registry, ``advnas.strategies``:
no report types a strategy's name), mean ± spread, the AdvantageNAS highlight, paired verdicts, verdict
words against the targets defined below, and the hardware sentence.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import paper, stats, strategies
from .strategies import PROPOSED, label  # label: a strategy's display name (other names, e.g. "plain", as they are)
from .verdict import Verdict, interval_fields

# Targets the chapters compare their measurements with (the project's speed and memory goals).
SEARCH_OVER_PLAIN_TARGET = 2.1  # a CIFAR-10 search iteration, in plain training steps (at most; 2 is the floor)
THETA_STEP_RATIO_TARGET = 1.05  # AdvantageNAS's theta step over REINFORCE's (at most), Sec. 4.3
DENSE_OVER_SPARSE_MEMORY_TARGET = 3.0  # dense over sparse peak memory (at least)
ADVANTAGE_OVER_PLAIN_MEMORY_TARGET = 1.1  # AdvantageNAS over plain training, peak memory (at most)
# Below this fall of the mean entropy (nats), mu(theta) is still so close to uniform that the
# entropy claims of App. H cannot be tested.
ENTROPY_DROP_TESTABLE = 0.05

NOT_AVAILABLE = "–"
LONG_TEXT = 30  # characters: a longer table value may wrap anywhere (``shown``)

# The ranges the tables' quantities allow: their t intervals are clipped to them (``ci``).
PERCENT = (0.0, 100.0)  # an accuracy, a percentile
NON_NEGATIVE = (0.0, None)  # a parameter count, a time
PERPLEXITY = (1.0, None)  # exp of a cross-entropy, which is >= 0


# Names, order, highlight ---------------------------------------------------------------------

def proposed_label() -> str:
    return label(PROPOSED)


def rank(name: str) -> int:
    """A strategy's place in Table 1's order, those the paper does not evaluate after the paper's
    (``strategies.names``), names outside the registry after them all."""
    order = strategies.names(paper_only=False)
    return order.index(name) if name in order else len(order)


def order(names: Iterable[str]) -> list[str]:
    """The distinct ``names`` in Table 1's order, the paper's first (stable for unknown names)."""
    return sorted(dict.fromkeys(names), key=rank)


def ordered(frame: pd.DataFrame, column: str = "strategy") -> pd.DataFrame:
    """``frame``'s rows sorted by the registry's order of ``column`` (stable within a strategy)."""
    return frame.iloc[np.argsort([rank(n) for n in frame[column]], kind="stable")]


def learns_theta(name: str) -> bool:
    """False for a strategy under which theta never moves (random search, ``Strategy.learns_theta``):
    its argmax is a tie-break, not a choice, and its entropy has no curve; only what it samples
    (process best) is its result. True for every other name, registered or not."""
    return name not in strategies.STRATEGIES or strategies.STRATEGIES[name].learns_theta


def searchers(frame: pd.DataFrame, column: str = "strategy") -> pd.DataFrame:
    """``frame`` without the rows of strategies under which theta never moves (``learns_theta``)."""
    return frame[frame[column].map(learns_theta).astype(bool)]


def rivals(experiment: str, present: Iterable[str] | None = None) -> list[str]:
    """The strategies the paper compares AdvantageNAS against in ``experiment`` (a key of
    ``paper.RIVALS``: "toy", "nb201", "zero_op", "ptb", "dense"), in Table 1's order (only those
    in ``present`` when given). A strategy is a rival only where the paper names it."""
    if experiment not in paper.RIVALS:
        raise ValueError(f"experiment must be one of {', '.join(paper.RIVALS)}; got {experiment!r}")
    names = order(paper.RIVALS[experiment])
    return names if present is None else [n for n in names if n in set(present)]


def shown(frame: pd.DataFrame, digits: int = 2, infinite: str | None = None):
    """A table as displayed: whole cell strings (not cut at pandas' column width), "–" where a
    value does not exist (ProxylessNAS has no process best, random search no argmax, a ratio
    to a zero target), floats to ``digits`` decimals, and ``infinite`` (e.g. "never") in place
    of an infinite value. A float column of whole numbers (counts that a missing value made
    float) is shown without decimals; one whose nonzero values would print as 0 at ``digits``
    decimals (p-values, tiny variances) in scientific notation, as pandas does. A text column
    with values longer than ``LONG_TEXT`` characters (architecture strings, folders) may wrap
    anywhere within them, so that it does not widen the table past the page; a number never wraps."""
    formats = {}
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_float_dtype(values):
            continue
        finite = values[np.isfinite(values)]
        whole = len(finite) > 0 and bool((finite == finite.round()).all())
        tiny = bool(((finite.abs() > 0) & (finite.abs() < 0.5 * 10.0 ** -digits)).any())
        formats[column] = functools.partial(_number_text, digits=0 if whole else digits, scientific=tiny,
                                            infinite=infinite)
    styled = frame.style.format(formats, precision=digits, na_rep=NOT_AVAILABLE)
    long = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])
            and frame[c].map(lambda v: len(v) if isinstance(v, str) else 0).max() > LONG_TEXT]
    numbers = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    if frame.columns.is_unique:  # styles by column: the index may repeat (several trials per label)
        wrap = [{"selector": "td", "props": [("overflow-wrap", "anywhere"), ("min-width", "14em")]}]
        unbroken = [{"selector": "td", "props": [("white-space", "nowrap")]}]  # "1.8e-01" not cut at its "-"
        styled = styled.set_table_styles({**{c: wrap for c in long}, **{c: unbroken for c in numbers}},
                                         overwrite=False)
    return styled


def _number_text(value: float, digits: int, scientific: bool, infinite: str | None) -> str:
    if value is None or math.isnan(value):
        return NOT_AVAILABLE
    if math.isinf(value):
        return (infinite or "∞") if value > 0 else ("−" + (infinite or "∞"))
    return f"{value:.{digits}e}" if scientific else f"{value:.{digits}f}"


def line_style(name: str) -> dict:
    """Matplotlib line keywords: AdvantageNAS (the proposed method) thick and black, others thin."""
    return dict(lw=2.4, color="black", zorder=3) if name == PROPOSED else dict(lw=1.4)


# Numbers -----------------------------------------------------------------------------------

def mean_spread(values: Sequence[float] | pd.Series) -> tuple[float, float]:
    """(mean, spread) over trials, missing values left out; (nan, nan) when none remains. The spread is
    the *population* standard deviation (``np.std``, ddof = 0) as the paper's table scripts compute it
    (official code: nb201_plot.py; ptb/custom.py): it describes the trials, not the mean's uncertainty."""
    values = pd.Series(values, dtype="float64").dropna()
    if values.empty:
        return math.nan, math.nan
    return float(values.mean()), float(np.std(values.to_numpy()))


def format_pm(mean: float, spread: float, digits: int = 2) -> str:
    """"mean ± spread" with ``digits`` decimals; "–" when the mean is missing."""
    if mean is None or math.isnan(mean):
        return NOT_AVAILABLE
    return f"{mean:.{digits}f} ± {spread:.{digits}f}"


def pm(values: Sequence[float] | pd.Series, digits: int = 2) -> str:
    """The trials' mean ± population standard deviation (see ``mean_spread``), formatted."""
    return format_pm(*mean_spread(values), digits)


def ci(values: Sequence[float] | pd.Series, digits: int = 2,
       within: tuple[float | None, float | None] = (None, None)) -> str:
    """"mean [low, high]": the trials' mean and its 95 % t interval, clipped to the range
    ``within`` that the quantity allows (``stats.bounded``; e.g. ``PERCENT``), missing values
    left out; "–" when none remains."""
    values = pd.Series(values, dtype="float64").dropna()
    return stats.bounded(values, *within).text(digits) if len(values) else NOT_AVAILABLE


def ci_sentence(values: Sequence[float] | pd.Series, digits: int = 2,
                within: tuple[float | None, float | None] = (None, None)) -> str:
    """``ci`` for a sentence: the same text, followed by "(95 % t interval clipped to [a, b])"
    when an end of the t interval was cut at the range ``within``."""
    values = pd.Series(values, dtype="float64").dropna()
    if not len(values):
        return NOT_AVAILABLE
    iv = stats.bounded(values, *within)
    if not iv.clipped:
        return iv.text(digits)
    low = "−∞" if within[0] is None else f"{within[0]:.{digits}f}"
    high = "∞" if within[1] is None else f"{within[1]:.{digits}f}"
    return f"{iv.text(digits)} (95 % t interval clipped to [{low}, {high}])"


# Verdicts ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Comparison:
    """Ours minus one rival, paired by seed: the interval of the differences and the verdict
    on the claim that the difference has the ``claimed`` sign."""

    rival: str
    difference: stats.Interval
    verdict: str


def compare(values: pd.DataFrame, column: str, ours: str, against: Iterable[str],
            claimed: str = "greater") -> list[Comparison]:
    """Per rival: ``ours`` minus the rival in ``column``, paired by seed (rows: strategy,
    seed, column; missing values left out)."""
    by = {name: dict(zip(g.seed, g[column])) for name, g in values.dropna(subset=[column]).groupby("strategy")}
    out = []
    for rival in against:
        if ours in by and rival in by and set(by[ours]) & set(by[rival]):
            difference = stats.paired(by[ours], by[rival])
            out.append(Comparison(rival, difference, stats.verdict(difference, claimed)))
    return out


def overall(comparisons: Sequence[Comparison]) -> str:
    """A claim against every rival: holds when it holds against each, fails when it fails
    against any, otherwise inconclusive at the smallest n."""
    if not comparisons:
        return "untested (no paired trials)"
    verdicts = [c.verdict for c in comparisons]
    if all(v == stats.HOLDS for v in verdicts):
        return stats.HOLDS
    if any(v == stats.FAILS for v in verdicts):
        return stats.FAILS
    return f"inconclusive at n = {min(c.difference.n for c in comparisons)}"


def deciding(comparisons: Sequence[Comparison]) -> Comparison | None:
    """The comparison that decides ``overall``'s outcome: the first that fails; else the
    inconclusive one with the fewest pairs (the n that ``overall`` states); else, all holding,
    the one whose interval lies nearest zero (the weakest). None without comparisons."""
    if not comparisons:
        return None
    failing = [c for c in comparisons if c.verdict == stats.FAILS]
    if failing:
        return failing[0]
    open_ = [c for c in comparisons if c.verdict != stats.HOLDS]
    if open_:
        return min(open_, key=lambda c: c.difference.n)
    return min(comparisons, key=lambda c: min(abs(c.difference.low), abs(c.difference.high)))


def paired_rule(claimed: str = "greater", several: bool = True) -> str:
    """The decision rule of ``overall`` in one sentence, for the claim that the difference is
    above zero (``claimed`` = "greater") or below it ("less")."""
    right, wrong = ("above", "below") if claimed == "greater" else ("below", "above")
    every, any_ = ("every", "any") if several else ("the", "it")
    return (f"holds when {every} 95 % interval lies {right} zero, fails when {any_} lies {wrong} zero, "
            "inconclusive otherwise")


def paired_verdict(claim: str, comparisons: Sequence[Comparison], evidence: str, comparison: str,
                   claimed: str = "greater") -> Verdict:
    """A claim tested by paired comparisons (``compare``) as a Verdict: the outcome of ``overall``,
    n the most pairs behind any comparison (the largest n that ``comparison_text`` states), and
    the estimate and interval of the comparison that decides (``deciding``)."""
    decider = deciding(comparisons)
    return Verdict(claim=claim, outcome=overall(comparisons), evidence=evidence,
                   rule=paired_rule(claimed, several=len(comparisons) > 1), comparison=comparison,
                   n=max((c.difference.n for c in comparisons), default=None),
                   **interval_fields(decider.difference if decider else None))


def paired_claim(values: pd.DataFrame, column: str, against: Iterable[str], claim: str, evidence: str,
                 comparison: str, *, unit: str = "", digits: int = 2, claimed: str = "greater",
                 untested: bool = False, then: str = "") -> list[Verdict]:
    """AdvantageNAS against each of ``against`` in ``column`` (``compare``) as one ``paired_verdict``,
    its evidence ``evidence``, ``comparison_text``, a full stop and ``then``; no verdict without
    paired trials, unless ``untested`` asks for the untested one."""
    found = compare(values, column, PROPOSED, against, claimed)
    if not found and not untested:
        return []
    text = f"{evidence}{comparison_text(found, unit, digits)}.{then}"
    return [paired_verdict(claim, found, text, comparison, claimed)]


def difference_text(d: stats.Interval, digits: int = 2, one_pair: str = "one pair") -> str:
    """"+0.12 [-0.30, +0.54]"; "+0.12 (one pair)" at n = 1."""
    return (f"{d.mean:+.{digits}f} [{d.low:+.{digits}f}, {d.high:+.{digits}f}]" if d.n >= 2
            else f"{d.mean:+.{digits}f} ({one_pair})")


def comparison_text(comparisons: Sequence[Comparison], unit: str = "", digits: int = 2) -> str:
    """"against X: +0.12 [-0.30, 0.54] points (n = 5, inconclusive at n = 5); against Y: ..." """
    return "; ".join(f"against {label(c.rival)} {difference_text(c.difference, digits)}{unit} "
                     f"(n = {c.difference.n}: {c.verdict})" for c in comparisons)


def claim(holds: bool) -> str:
    """How a verdict sentence ends: whether the paper's claim holds in these runs."""
    return "holds" if holds else "does not hold"


def within(value: float, target: float, *, at_least: bool = False) -> bool:
    """Whether a measurement meets its target (at most ``target``; at least with ``at_least``)."""
    return value >= target if at_least else value <= target


def target_word(value: float, target: float, *, at_least: bool = False) -> str:
    return "met" if within(value, target, at_least=at_least) else "missed"


def target_text(target: float, *, at_least: bool = False) -> str:
    return f"{'≥' if at_least else '≤'} {target:g}"


def and_list(words: Sequence[str]) -> str:
    """"A, B and C"."""
    return " and ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)


def listing(values: dict[str, float] | pd.Series, digits: int = 2) -> str:
    """"Label value, Label value, ..." for per-strategy numbers (in the given order)."""
    return ", ".join(f"{label(n)} {v:.{digits}f}" for n, v in dict(values).items())


# Provenance --------------------------------------------------------------------------------

def _joined(values: Iterable[str], quote: bool = False) -> str:
    distinct = sorted(dict.fromkeys(values))
    return ", ".join(f"`{v}`" if quote else v for v in distinct)


def hardware_sentence(runs: Sequence) -> str:
    """Where, with what and how long ``runs`` were computed, read from their provenance
    (``run.info``): "Profile `cpu`: 10 runs computed without a GPU, on <device>, torch <version>,
    commit `<commit>`, <wall time>." Nothing in it is typed by hand."""
    runs = list(runs)
    if not runs:
        return "No stored runs."
    commits = {r.info["git_commit"] for r in runs}
    where = "on" if any(str(r.info["device"]).startswith("cuda") for r in runs) else "without a GPU, on"
    count = f"{len(runs)} runs computed" if len(runs) > 1 else "computed"
    total = sum(float(r.info["wall_time_s"]) for r in runs)  # one run: in seconds; several: their total in minutes
    wall = f"wall time {total:.1f} s" if len(runs) == 1 else f"{total / 60:.1f} min of wall time in all"
    return (f"Profile {_joined((r.info['profile'] for r in runs), quote=True)}: {count} {where} "
            f"{_joined(r.info['device'] for r in runs)}, torch {_joined(r.info['torch'] for r in runs)}, "
            f"commit{'s' if len(commits) > 1 else ''} {_joined(commits, quote=True)}, {wall}.")


def profile_note(runs: Sequence, setting: str = "the paper's setting") -> str:
    """Whether ``runs`` are the paper's setting or a cut-down profile, from their provenance
    (whether a GPU was used is in ``hardware_sentence``)."""
    profiles = {r.info["profile"] for r in runs}
    if profiles == {"paper"}:
        return f"These runs use the `paper` profile, {setting}."
    return (f"These runs use the cut-down {_joined(profiles, quote=True)} profile, not {setting}: they are not "
            f"a reproduction of the paper's values.")


def changed_settings(cfg, ignore: Iterable[str] = ("strategies", "seeds", "strategy_options")) -> str:
    """The settings of ``cfg`` that differ from its dataclass's defaults (the paper's
    settings), as "channels 8 (paper: 16), epochs 16 (paper: 100)"; "none" when equal."""
    paper_cfg = type(cfg)()

    def text(name: str, value) -> str:  # a config may say what a special value means
        special = getattr(cfg, "setting_text", lambda *_: None)(name, value)
        return special or _setting(value)

    changed = [f"{name} {text(name, getattr(cfg, name))} (paper: {text(name, getattr(paper_cfg, name))})"
               for name in cfg.to_dict() if name not in set(ignore) and getattr(cfg, name) != getattr(paper_cfg, name)]
    return ", ".join(changed) or "none"


def _setting(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_setting(v) for v in value) + "]"
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def convergence_table(runs, target: str) -> pd.DataFrame:
    """Every searching strategy held to the `cpu` profile's convergence targets (advnas/convergence.py):
    its final mean entropy per edge (mean, 95 % t interval) against ``target``'s ("nb201": at most the
    CIFAR-10 target; "ptb": at least the PTB drop below ln |J|), and in how many trials the argmax was
    unchanged over the last quarter of the search (beside CIFAR-10's target share)."""
    from . import convergence

    rows = []
    by_strategy: dict[str, list] = {}
    for run in runs:
        by_strategy.setdefault(run.summary["strategy"], []).append(run)
    for name in filter(learns_theta, order(by_strategy)):  # not those under which theta never moves
        mine = by_strategy[name]
        uniform = math.log(len(mine[0].summary["theta"][0]))
        finals = [convergence.final_entropy(r.metrics) for r in mine]
        stable = sum(convergence.argmax_stable(r.metrics) for r in mine)
        mean = sum(finals) / len(finals)
        if target == "nb201":
            goal, met = f"≤ {convergence.CIFAR_ENTROPY_TARGET:g}", mean <= convergence.CIFAR_ENTROPY_TARGET
            settled = f" (target ≥ {convergence.CIFAR_STABLE_SHARE_TARGET:.0%})"
            met = met and stable / len(mine) >= convergence.CIFAR_STABLE_SHARE_TARGET
        else:
            goal = f"≤ {uniform - convergence.PTB_ENTROPY_DROP_TARGET:.3f} (ln {len(mine[0].summary['theta'][0])} − " \
                   f"{convergence.PTB_ENTROPY_DROP_TARGET:g})"
            met, settled = uniform - mean >= convergence.PTB_ENTROPY_DROP_TARGET, ""
        rows.append({"strategy": label(name), "trials": len(mine),
                     "final entropy, mean [95 % interval] (nats)": ci(finals, 3, within=(0.0, uniform)),
                     "target for the mean": goal,
                     "argmax settled" + settled: f"{stable} of {len(mine)}",
                     "target met": "yes" if met else "no"})
    return pd.DataFrame(rows)
