"""`make bench`: run every benchmark; figures land in bench/results/*.json."""
from . import engine_overhead, straight_through

for bench in (engine_overhead, straight_through):
    bench.main()
