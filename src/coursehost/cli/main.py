"""The `coursehost` command: serve, worker, db upgrade, app create, app list, realm limits, user create,
lti rotate-keys."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path

from coursehost.cli.logs import TEXT_FORMAT, configure_logging
from coursehost.db.migrate import SchemaNotReady, prepare_schema, schema_status, upgrade
from coursehost.db.session import unit_of_work
from coursehost.domain import limits as realm_limits
from coursehost.domain.accounts import first_owner
from coursehost.domain.accounts import sessions as console_sessions
from coursehost.domain.accounts import users as console_users
from coursehost.domain.applications import service as apps
from coursehost.domain.errors import DomainError
from coursehost.domain.lrs import statement_counts
from coursehost.domain.lti import keys as lti_keys
from coursehost.domain.mail import bounces as mail_bounces
from coursehost.domain.reports import facts as report_facts
from coursehost.domain.reports import summary as report_summary
from coursehost.services import Services, build_services
from coursehost.settings import Settings, UnsafeSettings


def _services(**overrides) -> Services:
    return build_services(_settings(Settings(**{k: v for k, v in overrides.items() if v is not None})))


def _settings(settings: Settings) -> Settings:
    """SETTINGS resolved (DATA_DIR made), checked, and the log format applied."""
    settings = settings.resolved()
    settings.check_safe()
    if settings.log_format != "text":
        configure_logging(settings.log_format)
    return settings


def _check_workers(settings: Settings) -> None:
    """--workers / COURSEHOST_WORKERS: at least 1, and more than 1 only over PostgreSQL."""
    if settings.workers < 1:
        raise UnsafeSettings(f"--workers (COURSEHOST_WORKERS) must be at least 1, not {settings.workers}")
    if settings.workers > 1 and not (settings.database_url or "sqlite:").startswith(("postgresql", "postgres://")):
        raise UnsafeSettings(
            f"--workers {settings.workers} (COURSEHOST_WORKERS) needs PostgreSQL: SQLite, the embedded "
            "database, serves from one process only. Run with --workers 1, or set COURSEHOST_DATABASE_URL to a "
            "postgresql:// database (README, Deployment) and run `coursehost db upgrade`.")


def cmd_serve(args: argparse.Namespace) -> int:
    # The web app, uvicorn and the worker are imported by the commands that run them (about a second of
    # CPU), not by every command: `realm limits`, `user create` and the rest start without them.
    from coursehost.app import create_app, create_content_app
    from coursehost.cli.serving import serve_both
    from coursehost.cli.supervisor import serve_workers

    overrides = {"host": args.host, "port": args.port, "content_port": args.content_port, "workers": args.workers}
    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    _check_workers(settings)  # before anything starts (no DATA_DIR made, no instance key written)
    settings = _settings(settings)
    svc = build_services(settings)
    _prepare_schema(settings)  # once, in the supervisor before any child starts
    with unit_of_work(svc.session_factory) as session:
        created = apps.bootstrap(session, box=svc.box)
        owner = first_owner.bootstrap_owner(session, box=svc.box,
                                            valid_for=timedelta(hours=settings.console_signin_link_hours))
    print(f"Service (API, LRS): {settings.public_url}  (listening on {settings.host}:{settings.port})")
    print(f"Content (player, course files): {settings.content_url}  "
          f"(listening on {settings.host}:{settings.content_port})")
    if created:
        print("Created a realm with a default application. Its API credentials (shown once):")
        print(f"  appId:     {created.app_id}")
        print(f"  secretKey: {created.secret_key}")
        print(f"  try: curl -u {created.app_id}:<secretKey> {settings.public_url}/api/v2/ping")
    if owner:
        _print_first_owner(settings, *owner)
    sys.stdout.flush()
    if settings.workers == 1:
        serve_both(create_app(services=svc), create_content_app(svc), settings,
                   log_level=args.log_level, access_log=args.access_log)
        return 0
    svc.engine.dispose()  # the children make their own engines and pools after the fork

    def build_apps():
        child = build_services(settings)
        return create_app(services=child), create_content_app(child)

    print(f"Serving from {settings.workers} worker processes", flush=True)
    return serve_workers(build_apps, settings, workers=settings.workers, log_level=args.log_level,
                         access_log=args.access_log)


def _print_first_owner(settings: Settings, email: str, token: str) -> None:
    hours = settings.console_signin_link_hours
    print(f"Created the first console owner, {email}. Their one-time sign-in link (shown once; it signs in "
          f"once and expires in {hours:g} hours; then set your e-mail address and password under Settings):")
    print(f"  console sign-in: {settings.public_url}/console/signin/link/{token}")


def cmd_worker(args: argparse.Namespace) -> int:
    from coursehost.app import build_job_registry
    from coursehost.jobs.worker import Worker

    svc = _services()
    _prepare_schema(svc.settings)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker = Worker(
        svc.session_factory, build_job_registry(), svc,
        lease_seconds=svc.settings.job_lease_seconds, poll_seconds=svc.settings.worker_poll_seconds,
    )
    print(f"coursehost worker {worker.worker_id} polling {svc.settings.database_url.split('@')[-1]}")
    worker.run_forever(stop)
    return 0


def _prepare_schema(settings: Settings) -> None:
    """Migrate at start (COURSEHOST_MIGRATE_ON_START), or run on a newer schema during a rolling upgrade,
    or refuse (SchemaNotReady) on an older one: coursehost.db.migrate.prepare_schema."""
    prepare_schema(settings.database_url, migrate=settings.migrate_on_start)


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    svc = _services()
    status = schema_status(svc.settings.database_url)
    if status.newer:
        print(f"database schema is newer (rev {status.current}) than this release knows (its newest is rev "
              f"{status.head}): nothing to do; a later release migrated it")
        return 0
    before, after = upgrade(svc.settings.database_url)
    state = "database is up to date" if before == after else "database upgraded"
    print(f"{state}: rev {before or 'none (empty database)'} -> rev {after}")
    return 0


def cmd_app_create(args: argparse.Namespace) -> int:
    svc = _services()
    _prepare_schema(svc.settings)
    try:
        with unit_of_work(svc.session_factory) as session:
            realm = apps.ensure_realm(session)
            app, secret = apps.create_application(
                session, box=svc.box, realm_id=realm.id, name=args.name, management=args.management
            )
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"appId": app.app_id, "secretKey": secret}))
    else:
        kind = "application-management application" if args.management else "application"
        print(f"Created {kind} {app.name!r}\n  appId:     {app.app_id}\n  secretKey: {secret}")
    return 0


def cmd_app_list(args: argparse.Namespace) -> int:
    svc = _services()
    _prepare_schema(svc.settings)
    with unit_of_work(svc.session_factory) as session:
        realm = apps.ensure_realm(session)
        rows = [apps.find_management_app(session, realm_id=realm.id)]
        rows += apps.list_child_applications(session, realm_id=realm.id)
        items = [
            {"appId": a.app_id, "name": a.name, "management": a.is_management} for a in rows if a is not None
        ]
    if args.json:
        print(json.dumps(items))
    else:
        for item in items:
            print(f"{item['appId']}  {item['name']}{'  (management)' if item['management'] else ''}")
    return 0


def _limit_arg(text: str) -> int | None:
    """A limit on the command line: a whole number of 0 or more, or `none` (no limit)."""
    if text.strip().lower() == "none":
        return None
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more, or none: {text!r}")
    return int(text)


def _yes_no(text: str) -> bool:
    word = text.strip().lower()
    if word not in ("yes", "no"):
        raise argparse.ArgumentTypeError(f"expected yes or no: {text!r}")
    return word == "yes"


def _print_limits(found: realm_limits.Limits) -> None:
    def of(used: int, limit: int | None, unit: str) -> str:
        return f"{used} {unit} used, no limit" if limit is None else f"{used} of {limit} {unit} used"

    print(f"Realm {found.realm_name!r} (id {found.realm_id})")
    if found.shared_from_id is not None:
        print(f"  shares the limits of realm {found.shared_from_name!r} (id {found.shared_from_id})")
    print(f"  storage:       {of(found.storage_used_bytes, found.storage_limit_bytes, 'bytes')}")
    reset = "resettable" if found.registrations_resettable else "not resettable"
    if found.registrations_reset:
        reset += f", last reset {found.registrations_reset.isoformat()}"
    print(f"  registrations: {of(found.registrations_used, found.registration_limit, 'registrations')} ({reset})")
    if found.linked_realms:
        print(f"  shared with:   {', '.join(found.linked_realms)}")


def _realm_command(args: argparse.Namespace, work) -> int:
    svc = _services()
    _prepare_schema(svc.settings)
    try:
        with unit_of_work(svc.session_factory) as session:
            realm_id = realm_limits.find_realm(session, args.realm).id
            found = work(session, realm_id)
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(found.as_dict()))
    else:
        _print_limits(found)
    return 0


def cmd_realm_limits(args: argparse.Namespace) -> int:
    def work(session, realm_id: int) -> realm_limits.Limits:
        if args.linked_to is not None:
            target = None if args.linked_to.lower() == "none" else realm_limits.find_realm(session, args.linked_to).id
            realm_limits.link_limits(session, realm_id=realm_id, to_realm_id=target)
        unset = realm_limits.UNSET
        return realm_limits.set_limits(
            session, realm_id=realm_id,
            storage_bytes=unset if args.storage_bytes is unset else args.storage_bytes,
            registrations=unset if args.registrations is unset else args.registrations,
            resettable=unset if args.resettable is None else args.resettable)

    return _realm_command(args, work)


def cmd_realm_reset_registrations(args: argparse.Namespace) -> int:
    return _realm_command(args, lambda session, realm_id: realm_limits.reset_registrations(session, realm_id=realm_id))


def _realm_parser(sub) -> None:
    realm = sub.add_parser("realm", help="realms").add_subparsers(dest="realm_command", required=True)
    lim = realm.add_parser("limits", help="show, or set, a realm's limits and print what is used")
    lim.add_argument("--realm", help="the realm's id or name (default: the first realm)")
    lim.add_argument("--storage-bytes", type=_limit_arg, default=realm_limits.UNSET, metavar="N|none",
                     help="expanded course content, in bytes")
    lim.add_argument("--registrations", type=_limit_arg, default=realm_limits.UNSET, metavar="N|none",
                     help="how many registrations may be created")
    lim.add_argument("--resettable", type=_yes_no, metavar="yes|no", help="whether the count may be reset")
    lim.add_argument("--linked-to", metavar="R|none", help="share realm R's limits (none: its own again)")
    lim.add_argument("--json", action="store_true")
    lim.set_defaults(func=cmd_realm_limits)
    reset = realm.add_parser("reset-registrations", help="start the registration count again from 0 "
                             "(where the realm's limit is resettable; no registration is deleted)")
    reset.add_argument("--realm", help="the realm's id or name (default: the first realm)")
    reset.add_argument("--json", action="store_true")
    reset.set_defaults(func=cmd_realm_reset_registrations)


def _password_from_stdin() -> str:
    """The password piped to stdin: its first line, without the line end."""
    return sys.stdin.readline().removesuffix("\n").removesuffix("\r")


def cmd_user_create(args: argparse.Namespace) -> int:
    """A console user with a role in a realm; their password from stdin, or else a one-time sign-in
    link printed once."""
    svc = _services()
    _prepare_schema(svc.settings)
    password = _password_from_stdin() if args.password_stdin else None
    valid_for = timedelta(hours=svc.settings.console_signin_link_hours)
    try:
        with unit_of_work(svc.session_factory) as session:
            role = console_users.parse_role(args.role)
            realm = console_users.find_realm(session, args.realm)
            user = console_users.create_user(session, email=args.email, name=args.name or "", role=role,
                                             realm_id=realm.id, password=password, operator=args.operator)
            link = None if args.password_stdin else console_sessions.create_signin_link(
                session, box=svc.box, user_id=user.id, valid_for=valid_for)
            realm_name, email = realm.name, user.email
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Created {role.value} {email} in realm {realm_name!r}" + (" (operator)" if args.operator else ""))
    if link is not None:
        hours = svc.settings.console_signin_link_hours
        print(f"One-time sign-in link (shown once; it signs in once and expires in {hours:g} hours):")
        print(f"  {svc.settings.public_url}/console/signin/link/{link}")
    return 0


def cmd_lti_rotate_keys(args: argparse.Namespace) -> int:
    """A new LTI 1.3 signing key; the old ones stay published at /lti/jwks for the grace period, so
    tokens and assertions they signed still verify while platforms refetch the key set."""
    if args.grace_days < 0:
        print("coursehost: --grace-days must be 0 or more", file=sys.stderr)
        return 2
    svc = _services()
    with unit_of_work(svc.session_factory) as session:
        kid = lti_keys.rotate(session, svc.box, grace=timedelta(days=args.grace_days))
    print(f"New LTI signing key {kid}; the previous keys stay published for {args.grace_days} days.")
    return 0


def _lti_parser(sub) -> None:
    lti = sub.add_parser("lti", help="LTI 1.3 keys").add_subparsers(dest="lti_command", required=True)
    rotate = lti.add_parser("rotate-keys", help="make a new signing key; the old one stays published for a while")
    rotate.add_argument("--grace-days", type=int, default=lti_keys.DEFAULT_GRACE.days,
                        help="days the replaced keys stay published (default %(default)s)")
    rotate.set_defaults(func=cmd_lti_rotate_keys)


def cmd_reports_rebuild(_args: argparse.Namespace) -> int:
    """Refill the report summary tables from the registration tables, in one transaction (after a
    restore, or to check the hooks: the reports read the same afterwards)."""
    svc = _services()
    with unit_of_work(svc.session_factory) as session:
        regs, days = report_summary.rebuild_session(session)
        activities = report_facts.rebuild_facts(session)
        verb_days = statement_counts.rebuild(session.connection())
    print(f"Report summaries rebuilt: {regs} registrations, {days} active days; interactions and objectives "
          f"of {activities} activities; {verb_days} xAPI verb-days.")
    return 0


def _reports_parser(sub) -> None:
    reports = sub.add_parser("reports", help="report summary tables").add_subparsers(dest="reports_command",
                                                                                    required=True)
    reports.add_parser("rebuild", help="refill the report summary tables from the registrations") \
        .set_defaults(func=cmd_reports_rebuild)


def cmd_mail_bounces(args: argparse.Namespace) -> int:
    """Read the bounces delivered to a Maildir (COURSEHOST_MAIL_BOUNCE_ADDRESS's mailbox) and record each
    one on the message it is about; every message read is moved to cur/ so it is read once."""
    svc = _services()
    try:
        run = mail_bounces.take_maildir(Path(args.maildir), session_factory=svc.session_factory,
                                        bounce_address=svc.settings.mail_bounce_address)
    except FileNotFoundError as exc:
        print(f"coursehost: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"read": run.read, "recorded": run.recorded, "ignored": run.ignored}))
        return 0
    print(f"{run.read} message{'s' if run.read != 1 else ''} read, {run.recorded} bounce"
          f"{'s' if run.recorded != 1 else ''} recorded, {len(run.ignored)} ignored.")
    for name, why in run.ignored.items():
        print(f"  ignored {name}: {why}")
    return 0


def _mail_parser(sub) -> None:
    mail = sub.add_parser("mail", help="e-mail").add_subparsers(dest="mail_command", required=True)
    bounces = mail.add_parser("bounces", help="record the bounces (RFC 3464 delivery status notifications) "
                              "delivered to a Maildir; run it from cron or a systemd timer")
    bounces.add_argument("--maildir", required=True, help="the Maildir the bounce address delivers to")
    bounces.add_argument("--json", action="store_true")
    bounces.set_defaults(func=cmd_mail_bounces)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coursehost", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate (unless COURSEHOST_MIGRATE_ON_START=false), then serve the service and the content origin (and one job worker)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int, help="the service origin's port (API, LRS)")
    serve.add_argument("--content-port", type=int, help="the content origin's port (player, course files)")
    serve.add_argument("--workers", type=int,
                       help="serving processes (default 1, or COURSEHOST_WORKERS); more than 1 needs PostgreSQL")
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--no-access-log", dest="access_log", action="store_false")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("worker", help="run a job worker process").set_defaults(func=cmd_worker)
    db = sub.add_parser("db", help="database commands").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations (once, before a new release's processes start); prints from -> to "
                  "revisions").set_defaults(func=cmd_db_upgrade)
    app = sub.add_parser("app", help="applications").add_subparsers(dest="app_command", required=True)
    create = app.add_parser("create", help="create an application and print its credentials")
    create.add_argument("--name", required=True)
    create.add_argument("--management", action="store_true", help="the realm's application-management app")
    create.add_argument("--json", action="store_true")
    create.set_defaults(func=cmd_app_create)
    lst = app.add_parser("list", help="list applications")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_app_list)
    _realm_parser(sub)
    user = sub.add_parser("user", help="console users").add_subparsers(dest="user_command", required=True)
    ucreate = user.add_parser("create", help="create a console user with a role in a realm")
    ucreate.add_argument("--email", required=True)
    ucreate.add_argument("--role", required=True, choices=[r.value for r in console_users.Role])
    ucreate.add_argument("--realm", help="the realm's id or name (default: the first realm)")
    ucreate.add_argument("--name", help="the user's name")
    ucreate.add_argument("--password-stdin", action="store_true",
                         help="read the password from stdin; without it a one-time sign-in link is printed")
    ucreate.add_argument("--operator", action="store_true",
                         help="the installation's operator: may set any realm's limits from the console")
    ucreate.set_defaults(func=cmd_user_create)
    _lti_parser(sub)
    _reports_parser(sub)
    _mail_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format=TEXT_FORMAT)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UnsafeSettings, SchemaNotReady) as exc:
        print(f"coursehost: refusing to start: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
