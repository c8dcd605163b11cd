"""`make bench`: run every benchmark; figures land in bench/results/*.json."""
from . import contracts, engine_overhead, replay, straight_through

for bench in (engine_overhead, straight_through, replay, contracts):
    bench.main()
