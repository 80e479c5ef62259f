"""Every job kind the service runs, bound to its domain function."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from coursehost.domain.cmi5 import timeouts as cmi5_timeouts
from coursehost.domain.courses import catalog, import_jobs
from coursehost.domain.courses.packages.reader import PackageLimits
from coursehost.domain.dispatch import lti11_outcomes
from coursehost.domain.dispatch import lti13 as dispatch_lti13
from coursehost.domain.dispatch import outcomes as dispatch_outcomes
from coursehost.domain.dispatch import pens as dispatch_pens
from coursehost.domain.invitations import private as private_invitations
from coursehost.domain.lms import configurations as lms_configurations
from coursehost.domain.lms import delivery as lms_delivery
from coursehost.domain.lms import results as lms_results
from coursehost.domain.lrs import forwarding as pipe_forwarding
from coursehost.domain.lrs import pipes as statement_pipes
from coursehost.domain.mail import delivery as mail_delivery
from coursehost.domain.mail import messages as mail_messages
from coursehost.domain.postbacks import delivery as postback_delivery
from coursehost.domain.postbacks import enqueue as postback_enqueue
from coursehost.jobs.registry import JobRegistry
from coursehost.outbound.smtp import SmtpServer
from coursehost.settings import origin


def import_env(services) -> import_jobs.ImportEnv:
    s = services.settings
    return import_jobs.ImportEnv(
        session_factory=services.session_factory, store=services.store,
        limits=PackageLimits(max_expanded_bytes=s.import_max_expanded_bytes, max_files=s.import_max_files,
                             max_ratio=s.import_max_compression_ratio),
        max_package_bytes=s.import_max_package_bytes, fetch_timeout=s.import_fetch_timeout_seconds,
        allow_private_urls=s.allow_private_urls,
    )


def _import_course(session, payload, ctx):
    return import_jobs.run_import(session, env=import_env(ctx.services), import_pk=payload["import_pk"],
                                  final_attempt=ctx.attempt >= import_jobs.MAX_ATTEMPTS)


def _delete_blobs(session, payload, ctx):
    return catalog.delete_blobs(store=ctx.services.store, payload=payload)


def _deliver_postback(session, payload, ctx):
    # SESSION is left untouched until the queue marks the job done: the HTTP call must not hold
    # SQLite's write lock, so the progress is read through the read-only session factory.
    return postback_delivery.deliver_postback(
        read_session_factory=ctx.services.read_session_factory, box=ctx.services.box,
        registration_pk=payload["registration_pk"], registration_id=payload.get("registration_id"),
        allow_private_urls=ctx.services.settings.allow_private_urls,
        # A job queued by a release before delivery ids: its job id, as stable across its retries.
        delivery_id=payload.get("delivery_id") or f"job-{ctx.job_id}")


def _forward_statement_pipe(session, payload, ctx):
    return pipe_forwarding.forward_pipe(
        session, session_factory=ctx.services.session_factory, box=ctx.services.box,
        pipe_pk=payload["pipe_pk"], generation=payload["generation"],
        allow_private_urls=ctx.services.settings.allow_private_urls)


def _deliver_lms_results(session, payload, ctx):
    # SESSION is left untouched (as for postbacks): the outcome commits in a transaction of its own.
    s = ctx.services.settings
    return lms_delivery.deliver_results(
        session_factory=ctx.services.session_factory, read_session_factory=ctx.services.read_session_factory,
        box=ctx.services.box, configuration_pk=payload["configuration_pk"], registration_pk=payload["registration_pk"],
        home_page=(s.public_url or s.base_url).rstrip("/"), allow_private_urls=s.allow_private_urls)


def _dispatch_senders(ctx) -> dict:
    """via -> sender of a dispatch registration's results to the platform that launched it."""
    svc = ctx.services
    return {
        "lti11": partial(lti11_outcomes.send_outcome, box=svc.box, allow_private_urls=svc.settings.allow_private_urls),
        "lti13": partial(dispatch_lti13.send_score, box=svc.box, allow_private_urls=svc.settings.allow_private_urls),
    }


def _send_dispatch_outcome(session, payload, ctx):
    dispatch_outcomes.deliver(session, registration_pk=payload["registration_pk"], senders=_dispatch_senders(ctx))


def _send_pens_collect(session, payload, ctx):
    s = ctx.services.settings
    return dispatch_pens.send_collect(session, publication_pk=payload["publication_pk"], box=ctx.services.box,
                                      public_url=s.public_url or s.base_url or "", instance_key=ctx.services.instance_key,
                                      allow_private_urls=s.allow_private_urls, attempt=ctx.attempt)


def _send_private_invitation(session, payload, ctx):
    s = ctx.services.settings
    return private_invitations.send_batch(session, invitation_pk=payload["invitation_pk"],
                                          base_url=s.public_url or s.base_url or "")


def mail_env(services) -> mail_delivery.MailEnv:
    s = services.settings
    public = origin(s.public_url or s.base_url)
    return mail_delivery.MailEnv(
        session_factory=services.session_factory, read_session_factory=services.read_session_factory,
        sender=mail_messages.sender(s.mail_from, public[1] if public else None),
        smtp=SmtpServer.from_url(s.smtp_url.get_secret_value()) if s.smtp_url else None,
        eml_dir=s.data_dir / "mail", timeout=s.smtp_timeout_seconds, bounce_address=s.mail_bounce_address,
    )


def _send_mail(session, payload, ctx):
    return mail_delivery.deliver_message(session, env=mail_env(ctx.services), message_pk=payload["message_pk"],
                                         attempt=ctx.attempt, final_attempt=ctx.attempt >= mail_messages.MAX_ATTEMPTS)


def _check_cmi5_session(session, payload, ctx):
    return {"outcome": cmi5_timeouts.check_session(session, launch_pk=payload["launch_pk"], now=datetime.now(UTC))}


def register_all(registry: JobRegistry) -> JobRegistry:
    registry.register(import_jobs.JOB_KIND, _import_course, base_delay=5.0, max_delay=60.0,
                      max_attempts=import_jobs.MAX_ATTEMPTS)
    registry.register(catalog.DELETE_BLOBS_JOB, _delete_blobs, base_delay=5.0, max_delay=900.0,
                      max_attempts=20)
    registry.register(postback_enqueue.JOB_KIND, _deliver_postback, base_delay=postback_enqueue.BASE_DELAY,
                      max_delay=postback_enqueue.MAX_DELAY, max_attempts=postback_enqueue.MAX_ATTEMPTS)
    registry.register(statement_pipes.JOB_KIND, _forward_statement_pipe, base_delay=5.0, max_delay=300.0,
                      max_attempts=statement_pipes.MAX_JOB_ATTEMPTS)
    registry.register(mail_messages.JOB_KIND, _send_mail, base_delay=mail_messages.BASE_DELAY,
                      max_delay=mail_messages.MAX_DELAY, max_attempts=mail_messages.MAX_ATTEMPTS)
    registry.register(lms_configurations.JOB_KIND, _deliver_lms_results, base_delay=lms_results.BASE_DELAY,
                      max_delay=lms_results.MAX_DELAY, max_attempts=lms_results.MAX_JOB_ATTEMPTS)
    registry.register(private_invitations.JOB_KIND, _send_private_invitation, base_delay=5.0, max_delay=300.0,
                      max_attempts=20)
    registry.register(dispatch_outcomes.JOB_KIND, _send_dispatch_outcome, base_delay=10.0, max_delay=3600.0,
                      max_attempts=30)
    registry.register(dispatch_pens.JOB_KIND, _send_pens_collect, base_delay=10.0, max_delay=1800.0,
                      max_attempts=dispatch_pens.MAX_ATTEMPTS)
    registry.register(cmi5_timeouts.JOB_KIND, _check_cmi5_session, base_delay=30.0, max_delay=900.0, max_attempts=5)
    return registry
