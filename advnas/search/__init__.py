"""The one search loop shared by every strategy and task."""
