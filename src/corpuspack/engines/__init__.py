"""Engines run the per-chunk stage of the pipeline: in this process, or on a local process pool."""
