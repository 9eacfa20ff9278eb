"""Sec. 4.4 and Theorems 4.1/4.2: variance and bias of architecture-gradient estimators,
computed exactly (enumeration or closed form) and by Monte Carlo."""
