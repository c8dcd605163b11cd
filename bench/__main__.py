"""`make bench`: run every benchmark, or the ones named (`python -m bench engine_overhead contracts`);
options after the names go to the benchmarks (`python -m bench postloan --sizes 10k`);
figures land in bench/results/*.json."""
import importlib
import sys

ALL = ("engine_overhead", "straight_through", "replay", "contracts", "audit_chain", "inbox", "throughput", "postloan")

argv = sys.argv[1:]
cut = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
names, options = argv[:cut] or ALL, argv[cut:]
unknown = [n for n in names if n not in ALL]
if unknown:
    sys.exit(f"no benchmark named {', '.join(unknown)}; there are: {', '.join(ALL)}")
for name in names:
    main = importlib.import_module(f"bench.{name}").main
    main(options) if options else main()
