"""Planning with a hostile work folder's lists of kept chunks (`plan.plan_kept`): as many lists as
seeds stay within the memory of a batch of lookups, however small each list."""

from __future__ import annotations

import subprocess
import sys

# In a process of its own: its peak resident memory before and after planning, and the paths' size.
PLAN = """
import resource
from corpuspack.pipeline.plan import plan_kept
from corpuspack.sources import SeedFile
from corpuspack.sources.seedlist import SeedList
from corpuspack.tuning import Tuning

names = [f"seeds/{i:07d}_x.txt" for i in range(150_000)]
seeds = SeedList(SeedFile("/seeds/" + n, n, 5000, "5000:1") for n in names)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
plan = plan_kept(seeds, Tuning(), ([n] for n in names))
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(grown * 1024, seeds.rels().nbytes, sum(map(len, plan)))
"""


def test_as_many_one_path_lists_as_seeds_are_looked_up_within_the_batch_budget():
    """A batch of lists was counted by their paths' bytes alone (40 a list here), while each list's
    Arrow array costs about 1 KB more: a work folder of a list per seed was held whole, 150,000
    lists 160 MB more, a million over 1 GB. A batch holds about twice the seeds' paths now."""
    done = subprocess.run([sys.executable, "-c", PLAN], capture_output=True, text=True, timeout=300, check=True)
    grown, paths, planned = map(int, done.stdout.split())
    assert planned == 150_000
    assert grown < 3 * paths + 32 * 1024 * 1024
