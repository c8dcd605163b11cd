"""`make bench`: run every benchmark, or the ones named (`python -m bench engine_overhead contracts`);
figures land in bench/results/*.json."""
import importlib
import sys

ALL = ("engine_overhead", "straight_through", "replay", "contracts", "audit_chain", "inbox", "throughput")

names = sys.argv[1:] or ALL
unknown = [n for n in names if n not in ALL]
if unknown:
    sys.exit(f"no benchmark named {', '.join(unknown)}; there are: {', '.join(ALL)}")
for name in names:
    importlib.import_module(f"bench.{name}").main()
