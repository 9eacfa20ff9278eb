"""Chapter 7: the architecture gradient measured in the CIFAR-10 space.

The sampled study: ``config`` (its settings), ``study`` (every strategy's theta-gradient drawn
against the exact one at a point of a search), ``experiment`` (the study through the results
store) and ``study_report`` (its tables, figure and verdicts). The exact analysis:
``advantage_exact`` (the exact moments of AdvantageNAS's estimators with the advantages of
Eqs. 6 and 7) and ``report`` (its verdicts)."""
