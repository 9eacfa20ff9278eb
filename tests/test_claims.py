"""The scorecard's claims: each row in the paper's words, with its location and number."""

from pathlib import Path

import pytest

from advnas import claims, scorecard


def test_every_claim_has_a_quote_a_location_and_a_group_and_opening_words_no_other_claim_shares():
    starts = [c.starts for c in claims.CLAIMS]
    assert len(set(starts)) == len(starts)
    for claim in claims.CLAIMS:
        assert claim.quote and claim.where and claim.group in claims.GROUPS
        assert isinstance(claim.number(), str) and claim.number()


def test_the_longest_matching_opening_wins():
    assert claims.find("AdvantageNAS beats random search at the same budget (test perplexity)").starts.endswith(
        "(test perplexity)")
    assert claims.find("AdvantageNAS beats random search at the same budget").group == claims.OURS
    assert claims.find("a claim the paper does not make") is None


def test_the_papers_numbers_are_computed_from_its_tables():
    assert claims.find("argmax: AdvantageNAS outperforms every SP-NAS").number() == \
        "93.76 ± 0.00 % against the best rival's 93.68 % (PARSEC; Table 2, argmax)"
    assert "+0.46%" in claims.find("Sec. 5.3: AdvantageNAS's test perplexity is competitive").number()


@pytest.mark.skipif(not (Path(__file__).parents[1] / "results" / "nb201" / "cpu").is_dir(),
                    reason="no stored cpu results")
def test_every_scorecard_row_at_cpu_is_a_listed_claim_and_every_listed_claim_has_a_row():
    frame = scorecard.table("cpu")
    found = [claims.find(text) for text in frame.claim]
    assert None not in found
    assert set(found) == set(claims.CLAIMS)
    assert list(frame.group) == sorted(frame.group, key=claims.GROUPS.index)  # the paper's claims first
