"""The `creditfactory` command: init | serve | scheduler | deploy | audit verify."""
from __future__ import annotations

import argparse
import os
import pathlib
import signal
import subprocess
import sys

from .bootstrap import Container, bootstrap, deploy_processes, load_demo, process_files


def cmd_init(c: Container, args) -> int:
    from credit.demo import DEMO_PASSWORD, USERS

    from .migrate import upgrade

    upgrade(c.engine)
    result = deploy_processes(c)
    print(f"models: deployment v{result.deployment.version}" + (" (new)" if result.created else " (unchanged)"))
    added = load_demo(c)
    print("demo bank loaded" if added else "demo bank already present")
    print(f"demo users (password {DEMO_PASSWORD}):")
    for username, name, org, posts, limit in USERS:
        extra = f", approves up to {limit:,}" if limit else ""
        print(f"  {username:<14} {name}  [{', '.join(posts)}] {org}{extra}")
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
        report = verify(uow.session)
    if report.ok:
        print(f"audit chain intact: {report.events} events")
        return 0
    print(f"audit chain BROKEN after checking {report.events} events:", file=sys.stderr)
    for p in report.problems:
        print(f"  {p}", file=sys.stderr)
    return 1


def cmd_scheduler(c: Container, args) -> int:
    from .scheduler import run_forever

    run_forever(c, interval=args.interval)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="creditfactory", description="Credit Factory")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="migrate, deploy processes/, load the demo bank (idempotent)")
    serve = sub.add_parser("serve", help="serve the web UI and API (and run the scheduler)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--no-scheduler", action="store_true")
    sched = sub.add_parser("scheduler", help="wake instances whose timers are due")
    sched.add_argument("--interval", type=float, default=10.0)
    deploy = sub.add_parser("deploy", help="deploy BPMN/DMN files or folders")
    deploy.add_argument("paths", nargs="+")
    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="check the hash chain end to end")
    args = parser.parse_args(argv)
    container = bootstrap()
    handler = {"init": cmd_init, "serve": cmd_serve, "scheduler": cmd_scheduler, "deploy": cmd_deploy,
               "audit": cmd_audit}[args.command]
    return handler(container, args)


if __name__ == "__main__":
    sys.exit(main())
