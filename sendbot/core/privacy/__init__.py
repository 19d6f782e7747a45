"""A parent's rights and the safeguards behind them: export, erasure, retention, keys."""
