"""Tables and figures built from evaluation artifacts."""
