"""The performance benchmark: a large data set and the figures of issue 8, each beside its floor.

`python -m bench.generate` builds the data set; `python -m bench.run` (or `make bench`) builds it
when needed and measures every figure.
"""
