"""The build, floor by floor. Each stage is a function that takes what the ones above produced and
returns a small result; an engine (`engines/`) only schedules the work inside a stage.

    seeds/ --read--> spill (work folder) --dedup--> ledger --write--> tables --finish--> manifest, Croissant
"""
