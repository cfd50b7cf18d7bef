"""The bottom layer, used by every other: one-line user errors, atomic file writes, lazy name tables,
random-number state and stop signals. Imports nothing else of gans."""
