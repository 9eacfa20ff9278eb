"""Chapter 7's own analyses of the architecture gradient (``advantage_exact``: the exact
moments of AdvantageNAS's estimators with the advantages of Eqs. 6 and 7)."""
