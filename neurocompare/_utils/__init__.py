"""Internal helpers: argument checks, logging, devices, seeds, optional imports."""
