"""`make bench`: run every benchmark; figures land in bench/results/*.json."""
from . import audit_chain, contracts, engine_overhead, inbox, replay, straight_through, throughput

for bench in (engine_overhead, straight_through, replay, contracts, audit_chain, inbox, throughput):
    bench.main()
