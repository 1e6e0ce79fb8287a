"""The build pipeline: per-chunk work that spills to disk, then dedup over keys, then writing."""
