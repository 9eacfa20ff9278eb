"""Verdicts as data (advnas/verdict.py): the line a chapter shows, the kind of an outcome, the
helpers that build a verdict from paired comparisons, and every verdict of the stored cpu runs
against the scorecard's rows."""

import re

import pytest

from advnas import paths, report, scorecard, stats, store
from advnas.verdict import NO_VERDICT, Verdict, interval_fields, kind_of, markdown_list

# The line format "**<claim>: <outcome>.** <evidence>", read back as the scorecard once did.
LINE = re.compile(r"^\*\*(?P<claim>.+): (?P<verdict>holds|fails|inconclusive at n = \d+|untested[^.]*)\.\*\*"
                  r" ?(?P<evidence>.*)$", re.S)


def largest_n(text: str) -> int | None:
    """The largest "n = K" that ``text`` states, None where it states none."""
    counts = [int(n) for n in re.findall(r"\bn = (\d+)", text)]
    return max(counts) if counts else None


def verdict(outcome: str = "holds", evidence: str = "Some numbers (n = 3).", **fields) -> Verdict:
    return Verdict(claim="Sec. 9: a claim: with a colon", outcome=outcome, evidence=evidence, rule="a rule",
                   comparison="ours minus theirs", **fields)


def test_markdown_is_the_chapter_line_and_reads_back():
    v = verdict("inconclusive at n = 3", n=3)
    assert v.markdown() == "**Sec. 9: a claim: with a colon: inconclusive at n = 3.** Some numbers (n = 3)."
    assert v._repr_markdown_() == v.markdown()
    parsed = LINE.match(v.markdown()).groupdict()
    assert parsed == {"claim": v.claim, "verdict": v.outcome, "evidence": v.evidence}
    assert verdict("untested (no trials)", evidence="").markdown() == "**Sec. 9: a claim: with a colon: untested (no trials).**"


def test_kind_drops_the_n_and_the_reason_and_rejects_other_outcomes():
    assert [verdict(o).kind for o in ("holds", "fails", "inconclusive at n = 1", "untested (no paired trials)")] == \
        ["holds", "fails", "inconclusive", "untested"]
    assert kind_of("untested at this profile (no stored run)") == "untested"
    for wrong in ("does not hold", "holding", "inconclusively"):
        with pytest.raises(ValueError):
            verdict(wrong)


def test_a_verdict_is_frozen_and_names_its_fields():
    v = verdict()
    with pytest.raises(AttributeError):
        v.outcome = "fails"
    with pytest.raises(TypeError):
        Verdict("claim", "holds")  # the fields are named, never positional


def test_markdown_list_is_one_bullet_per_verdict():
    assert markdown_list([verdict(), verdict("fails")]).splitlines() == [
        f"* {verdict().markdown()}", f"* {verdict('fails').markdown()}"]
    assert markdown_list([]) == NO_VERDICT


def test_interval_fields_leave_out_an_interval_that_does_not_exist():
    fields = interval_fields(stats.interval([1.0, 2.0, 3.0]))  # half width t(0.975, 2) · 1 / √3
    assert fields["estimate"] == 2.0 and fields["interval"] == pytest.approx((2.0 - 2.484, 2.0 + 2.484), abs=1e-3)
    assert interval_fields(stats.interval([1.5])) == {"estimate": 1.5, "interval": None}
    assert interval_fields(None) == {"estimate": None, "interval": None}


def comparison(rival: str, values: list[float]) -> report.Comparison:
    difference = stats.interval(values)
    return report.Comparison(rival, difference, stats.verdict(difference))


def test_the_deciding_comparison_fails_first_then_is_open_then_is_the_weakest():
    strong, weak = comparison("a", [5.0, 5.1, 5.2]), comparison("b", [1.0, 1.1, 1.2])
    unclear, short, failing = comparison("c", [-1.0, 1.0, 0.5]), comparison("d", [-1.0, 2.0]), \
        comparison("e", [-3.0, -3.1, -3.2])
    assert report.deciding([strong, weak]) is weak
    assert report.deciding([strong, unclear, short]) is short  # the fewest pairs: the n that overall states
    assert report.deciding([unclear, failing, strong]) is failing
    assert report.deciding([]) is None


def test_a_paired_verdict_carries_the_deciding_interval_and_the_most_pairs():
    found = [comparison("a", [5.0, 5.1, 5.2]), comparison("b", [-1.0, 2.0])]
    v = report.paired_verdict("a claim", found, "evidence", "ours minus each rival")
    assert v.outcome == "inconclusive at n = 2" and v.n == 3
    assert v.estimate == pytest.approx(0.5) and v.interval[0] < 0 < v.interval[1]
    assert v.rule.startswith("holds when every 95 % interval lies above zero")
    less = report.paired_verdict("a claim", found[:1], "evidence", "c", claimed="less")
    assert less.rule.startswith("holds when the 95 % interval lies below zero") and less.outcome == "holds"
    untested = report.paired_verdict("a claim", [], "evidence", "c")
    assert untested.kind == "untested" and untested.n is None and untested.estimate is None


@pytest.mark.skipif(not (paths.results_dir() / "nb201" / "cpu").is_dir(), reason="no stored cpu runs")
def test_every_stored_cpu_verdict_is_its_scorecard_row_and_states_its_n(monkeypatch):
    """The scorecard's rows at the stored cpu profile are each verdict's fields: the claim,
    outcome and evidence of its line, and "ours" from its n, which is the largest "n = K" the
    line states (what the scorecard once read from the text)."""
    read = store.ResultsStore._run

    def read_only(self, folder, *args, **kwargs):  # never compute a missing run here
        if not (folder / "summary.json").is_file() or (folder / store.LOCK).exists():
            pytest.skip(f"a run is not stored (or is being computed): {folder}")
        return read(self, folder, *args, **kwargs)

    monkeypatch.setattr(store.ResultsStore, "_run", read_only)
    seen = []
    rows = scorecard._rows

    def recording(chapter, verdicts):
        seen.extend(verdicts)
        return rows(chapter, verdicts)

    monkeypatch.setattr(scorecard, "_rows", recording)
    frame = scorecard.table("cpu")
    assert len(seen) == len(frame) > 0
    by_claim = frame.set_index("claim")
    assert by_claim.index.is_unique
    for v in seen:
        assert isinstance(v, Verdict) and v.rule and v.comparison, v
        line = LINE.match(v.markdown()).groupdict()
        row = by_claim.loc[v.claim]
        assert (line["claim"], line["verdict"]) == (v.claim, row.verdict)
        # the scorecard adds to an inconclusive search row what more trials would cost
        extra = row.evidence[len(line["evidence"]):]
        assert row.evidence.startswith(line["evidence"]) and (
            extra == "" or (extra.startswith(" More trials: ") and kind_of(row.verdict) == "inconclusive")), v.claim
        assert v.n == largest_n(v.outcome + " " + v.evidence), v.claim
        assert row.ours == ("cpu" if v.n is None else f"cpu, n = {v.n}")
        if v.interval is not None:
            assert v.interval[0] <= v.estimate <= v.interval[1], v.claim
