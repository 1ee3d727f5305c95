"""Motion output: world alignment, root trajectory, smoothing, foot contact, exporters (no Qt)."""
