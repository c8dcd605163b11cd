"""The `creditfactory` command: init | serve | scheduler | deploy | audit verify | decisions replay|evaluate | simulate
| users set-password|deactivate
| postloan import|run."""
from __future__ import annotations

import argparse
import os
import pathlib
import signal
import subprocess
import sys

from .bootstrap import Container, bootstrap, deploy_processes, deploy_templates, load_demo, process_files


def cmd_init(c: Container, args) -> int:
    from credit.demo import CLIENTS, DEMO_PASSWORD, USERS

    from .migrate import upgrade

    upgrade(c.engine)
    result = deploy_processes(c)
    print(f"models: deployment v{result.deployment.version}" + (" (new)" if result.created else " (unchanged)"))
    from . import fonts

    if fonts.prepared() is None:  # the one slow step of a first init: say so before it starts
        print("contract font: cutting Noto Serif CJK down to GB 2312, once (about half a minute)…", flush=True)
    print("contract font: " + str(fonts.prepare() or "system font missing; contracts use the full font"))
    templates = deploy_templates(c)
    print("contract templates: " + (", ".join(templates) if templates else "unchanged"))
    added = load_demo(c)
    print("demo bank loaded" if added else "demo bank already present")
    print(f"demo users (password {DEMO_PASSWORD}):")
    for username, name, org, posts, limit in USERS:
        extra = f", approves up to {limit:,}" if limit else ""
        print(f"  {username:<14} {name}  [{', '.join(posts)}] {org}{extra}")
    print("demo channel clients (demo secrets only; POST /api/v1/auth/token {client_id, client_secret}):")
    for client_id, name, channel, scopes, secret in CLIENTS:
        print(f"  {client_id:<20} secret {secret:<27} {name} channel={channel} [{' '.join(scopes)}]")
    return 0


def cmd_users(c: Container, args) -> int:
    """set-password USER (the new password as one line on standard input) | deactivate USER."""
    from engine.errors import Conflict, InvalidData, NotFound

    from . import accounts

    actor = "cli:" + os.environ.get("USER", "unknown")
    try:
        if args.users_command == "set-password":
            line = sys.stdin.readline()
            accounts.set_password(c, args.user, line.removesuffix("\n").removesuffix("\r"), actor)
            print(f"{args.user}: password changed; their tokens and sessions are ended")
        else:
            was = accounts.deactivate(c, args.user, actor)
            print(f"{args.user}: deactivated" + ("" if was else " (was already inactive)")
                  + "; their tokens and sessions are ended")
    except NotFound:
        print(f"no user {args.user}", file=sys.stderr)
        return 1
    except InvalidData as exc:
        print("; ".join(m for msgs in exc.errors.values() for m in msgs), file=sys.stderr)
        return 1
    except Conflict as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def cmd_deploy(c: Container, args) -> int:
    from engine.lint import ModelError

    files: dict[str, bytes] = {}
    for raw in args.paths:
        path = pathlib.Path(raw)
        if path.is_dir():
            files.update(process_files(path))
        elif path.is_file():
            files[path.name] = path.read_bytes()
        else:
            print(f"{raw}: no such file or directory", file=sys.stderr)
            return 2
    try:
        result = deploy_processes(c, actor=os.environ.get("USER", "cli"), files=files)
    except ModelError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    if not result.created:
        print(f"unchanged: deployment v{result.deployment.version} already has these models")
    else:
        print(f"deployed v{result.deployment.version}: " +
              (", ".join(f"{d.process_id} v{d.version}" for d in result.definitions) or "no model changed"))
    return 0


def cmd_audit(c: Container, args) -> int:
    from engine.audit import verify

    with c.uow() as uow:
        report = verify(uow.session, workers=os.cpu_count() or 1)
    if report.ok:
        print(f"audit chain intact: {report.events} events")
        return 0
    print(f"audit chain BROKEN after checking {report.events} events:", file=sys.stderr)
    for p in report.problems:
        print(f"  {p}", file=sys.stderr)
    return 1


def cmd_decisions(c: Container, args) -> int:
    import json
    from datetime import datetime, timezone

    from engine.dmn import DecisionError

    from .replay import replay

    path = pathlib.Path(args.table)
    if not path.is_file():
        print(f"{path}: no such file", file=sys.stderr)
        return 2
    try:
        since = datetime.fromisoformat(args.since)
    except ValueError:
        print(f"--since {args.since}: use a date like 2026-01-31", file=sys.stderr)
        return 2
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    try:
        report = replay(c, path, since)
    except DecisionError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(f"replayed {report['table']} from {path.name} over {report['evaluated']} stored decisions since {args.since}"
          f" in {report['seconds']} s")
    print(f"  outcomes that would change: {report['changed']}" + (f" (errors: {report['errors']})" if report["errors"] else ""))
    for key in ("approval_rate", "avg_limit", "avg_rate"):
        if "baseline" in report and key in report["baseline"]:
            print(f"  {key}: {report['baseline'][key]} -> {report['candidate'].get(key)} (delta {report['delta'][key]})")
    cases = report.get("test_cases")
    if cases:
        print(f"  test cases beside the table: {cases['run']} run, {len(cases['failed'])} failed")
        for failure in cases["failed"][:10]:
            print(f"    {failure}")
    print("  nothing was changed")
    return 0


def cmd_evaluate(args) -> int:
    """Print the decision's value as JSON and nothing else; a located error on stderr and exit 1."""
    from engine import dmn, feel
    from engine.feel import jsonio

    path = pathlib.Path(args.model)
    try:
        content = path.read_bytes()
    except OSError as exc:
        print(f"{path}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        context = jsonio.loads(args.context)
    except ValueError as exc:
        print(f"--context: not JSON: {exc}", file=sys.stderr)
        return 1
    if not isinstance(context, dict):
        print("--context: must be a JSON object of input names and values", file=sys.stderr)
        return 1
    try:
        model = dmn.load_model(content, path.name)
        key = args.decision or _only_decision(model)
        value = model.evaluate(key, context, strict=args.strict)
    except (dmn.DecisionError, feel.FeelError) as exc:
        print(f"{path.name}: {exc}" if not str(exc).startswith(path.name) else str(exc), file=sys.stderr)
        return 1
    print(jsonio.dumps(value))
    return 0


def _only_decision(model) -> str:
    from engine.dmn import DecisionError

    required = {r for d in model.decisions.values() for r in d.requires}
    tops = [d for d in model.decisions.values() if d.id not in required]
    if len(tops) != 1:
        names = ", ".join(sorted(d.name for d in tops))
        raise DecisionError(f"the model has several decisions ({names}); say which with --decision", model.filename)
    return tops[0].id


def cmd_scheduler(c: Container, args) -> int:
    from .scheduler import run_forever

    run_forever(c, interval=args.interval, lease_seconds=args.lease_seconds)
    return 0


def cmd_serve(c: Container, args) -> int:
    """gunicorn for the web app, plus the scheduler in its own process."""
    scheduler = None
    if not args.no_scheduler:
        scheduler = subprocess.Popen([sys.executable, "-m", "webapp.cli", "scheduler"])
    try:
        from .wsgi_server import serve

        serve(args.host, args.port, workers=args.workers)
    finally:
        if scheduler is not None:
            scheduler.send_signal(signal.SIGTERM)
            scheduler.wait(timeout=10)
    return 0


def cmd_simulate(c: Container, args) -> int:
    from .simulate import simulate

    if args.applications < 1:
        print("--applications must be at least 1", file=sys.stderr)
        return 2
    out = simulate(c, args.applications, seed=args.seed)
    print(f"{len(out.applications)} applications, {out.tasks_completed} tasks worked, {out.seconds:.1f} s")
    for status, count in sorted(out.statuses.items()):
        print(f"  {status:<12} {count}")
    for reason, count in out.reasons.most_common():
        print(f"  refused {count}× because: {reason}")
    for app_id, task in sorted(out.waiting.items()):
        print(f"  application {app_id} waits at {task}")
    return 0


def cmd_postloan(c: Container, args) -> int:
    from .postloan_cli import main

    return main(c, args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="creditfactory", description="Credit Factory")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="migrate, deploy processes/, load the demo bank (idempotent)")
    serve = sub.add_parser("serve", help="serve the web UI and API (and run the scheduler)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--no-scheduler", action="store_true")
    sched = sub.add_parser("scheduler", help="BPMN timers, the nightly run and SLA escalation (one scheduler acts)")
    sched.add_argument("--interval", type=float, default=10.0, help="seconds between timer ticks")
    sched.add_argument("--lease-seconds", type=float, default=None,
                       help="how long the lease lasts unrenewed (default CREDITFACTORY_LEASE_SECONDS or 30)")
    deploy = sub.add_parser("deploy", help="deploy BPMN/DMN files or folders")
    deploy.add_argument("paths", nargs="+")
    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="check the hash chain end to end")
    decisions = sub.add_parser("decisions", help="decision table tools")
    decisions_sub = decisions.add_subparsers(dest="decisions_command", required=True)
    rp = decisions_sub.add_parser("replay", help="what-if: re-run a candidate table over stored decisions")
    rp.add_argument("table", help="the candidate .dmn file")
    rp.add_argument("--since", required=True, help="date (YYYY-MM-DD) of the oldest decision to replay")
    rp.add_argument("--json", action="store_true", help="print the report as JSON")
    ev = decisions_sub.add_parser("evaluate", help="evaluate a decision of a DMN model; prints its value as JSON")
    ev.add_argument("model", help="the .dmn file")
    ev.add_argument("--decision", help="name or id (default: the model's one top-level decision)")
    ev.add_argument("--context", required=True, help='JSON object of input values, e.g. {"Age": 17}')
    ev.add_argument("--strict", action="store_true",
                    help="as processes run tables: no match or an overlap under UNIQUE is an error, not null")
    users = sub.add_parser("users", help="user accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    users_sub.add_parser("set-password", help="read a new password (one line) from standard input") \
        .add_argument("user")
    users_sub.add_parser("deactivate", help="deactivate the account; its tokens and sessions end") \
        .add_argument("user")
    pl = sub.add_parser("postloan", help="post-loan: repayments from core banking, the nightly run")
    pl_sub = pl.add_subparsers(dest="postloan_command", required=True)
    pl_sub.add_parser("import", help="import repayments (CSV: loan_id,txn_id,paid_at,amount); all rows or none") \
        .add_argument("file")
    pl_events = pl_sub.add_parser("events", help="provider events for the risk signals").add_subparsers(
        dest="events_command", required=True)
    pl_events.add_parser("import", help="import provider events (CSV: id_number,kind,observed_on,source"
                         "[,reference,amount,detail]); all rows or none").add_argument("file")
    pl_run = pl_sub.add_parser("run", help="the nightly run, once per business date not yet processed")
    pl_run.add_argument("--as-of", help="business date YYYY-MM-DD (default: today in Beijing)")
    pl_run.add_argument("--partition-size", type=int, default=10_000, help="loans per partition (by id range)")
    pl_run.add_argument("--workers", type=int, default=None,
                        help="PostgreSQL: start N worker processes for this run (default: use the running workers, "
                             "or run in-process when none is)")
    pl_run.add_argument("--in-process", action="store_true", help="PostgreSQL: run the partitions in this process")
    pl_run.add_argument("--timeout", type=float, default=120.0,
                        help="PostgreSQL: give up when no partition finished for this many seconds")
    pl_worker = pl_sub.add_parser("worker", help="PostgreSQL: take nightly-run partitions from the job queue")
    pl_worker.add_argument("--concurrency", type=int, default=1, help="partitions run at once by this process")
    sim = sub.add_parser("simulate", help="submit applications and work them as the demo officers would")
    sim.add_argument("--applications", type=int, default=10)
    sim.add_argument("--seed", type=int, default=0, help="the same seed gives the same applicants and choices")
    args = parser.parse_args(argv)
    if args.command == "decisions" and args.decisions_command == "evaluate":
        return cmd_evaluate(args)  # a model and a context: no database, no app
    container = bootstrap()
    handler = {"init": cmd_init, "serve": cmd_serve, "scheduler": cmd_scheduler, "deploy": cmd_deploy,
               "audit": cmd_audit, "decisions": cmd_decisions, "simulate": cmd_simulate,
               "users": cmd_users, "postloan": cmd_postloan}[args.command]
    return handler(container, args)


if __name__ == "__main__":
    sys.exit(main())
