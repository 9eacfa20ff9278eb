"""Time and memory each strategy costs, measured."""
