"""Every error of the Claude API as one line that says what to do, and the exit status that goes with it.

Exit 2 when the user must change something (the key, the model, the request, the billing); exit 1 when waiting and
resuming is the fix (429, 529, 5xx and connection errors once the SDK's own retries ran out). Loaded with the
Claude client, it registers itself with writebot.errors.explain, so the offline path never imports the SDK. Error
types and what they mean: https://platform.claude.com/docs/en/api/errors.
"""

from __future__ import annotations

import sys

from writebot import errors
from writebot.errors import Explained


def spend_capped(exc: BaseException) -> bool:
    """True for the 429 of a monthly spend cap ("enforced_spend_limit_reached" in `error.details.error_code`, and no
    retry-after: https://platform.claude.com/docs/en/api/errors): waiting minutes will not help, so it is not
    retried."""
    body = getattr(exc, "body", None)
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    code = details.get("error_code") if isinstance(details, dict) else None
    return getattr(exc, "status_code", None) == 429 and code == "enforced_spend_limit_reached"


def api_message(exc) -> str:
    """The API's own `error.message` (from the response body, so it works with every SDK since the floor)."""
    body = getattr(exc, "body", None)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return getattr(exc, "message", "") or str(exc)


def _status(exc) -> str:
    body = getattr(exc, "body", None)
    error = body.get("error") if isinstance(body, dict) else None
    kind = error.get("type", "") if isinstance(error, dict) else ""
    return f"{exc.status_code} {kind}".strip()


def _path(exc) -> str:
    request = getattr(exc, "request", None)
    return str(request.url.path) if request is not None else ""


def _requested_model(exc) -> str | None:
    """The model a 404 from POST /v1/messages was about: named in the API's message, else read off the request."""
    import json

    message = api_message(exc)
    if message.startswith("model:"):
        return message.split(":", 1)[1].strip()
    try:
        return json.loads(exc.request.content)["model"]
    except (AttributeError, ValueError, KeyError, TypeError):
        return None


# the variable that stands for each model option when no option is given
ENV = {"--model": "WRITEBOT_MODEL", "--judge-model": "WRITEBOT_JUDGE_MODEL",
       "--fallback-model": "WRITEBOT_FALLBACK_MODEL"}


def _tries(exc: BaseException) -> str:
    """How often writebot sent the request (it retries itself: the SDK's own retries are off, claude/llm.LLM)."""
    attempts = getattr(exc, "writebot_attempts", None)
    return f", sent {attempts} times" if attempts and attempts > 1 else ""


@errors.register
def explain(exc: BaseException, run_dir: str | None = None) -> Explained | None:
    """One line for an error of the SDK (None for anything else; writebot.errors.explain reads the rest). With
    `run_dir`, the line ends with how to continue the run. Decided on the HTTP status, not the SDK's exception
    classes, which vary between releases. An SDK that was never imported raised nothing."""
    if "anthropic" not in sys.modules:
        return None
    import anthropic

    if not isinstance(exc, anthropic.APIError):
        return None
    resume = f"writebot resume {run_dir}" if run_dir else None
    after_fix = f"; then continue with: {resume}" if resume else ""
    if isinstance(exc, anthropic.APIConnectionError):
        what = "timed out" if isinstance(exc, anthropic.APITimeoutError) else "could not be reached"
        return Explained(f"the Claude API {what}{_tries(exc)} ({type(exc).__name__}); check your network "
                         f"and ANTHROPIC_BASE_URL; nothing recorded is lost"
                         + (f". Continue with: {resume}" if resume else ""), 1)
    status = getattr(exc, "status_code", None)
    message = api_message(exc)
    if spend_capped(exc):
        return Explained(f"the organization reached the monthly spend cap of its usage tier ({_status(exc)} "
                         f"enforced_spend_limit_reached: {message}); the API takes no more requests until 00:00 UTC "
                         "on the first day of next month, or until you move to a higher usage tier "
                         f"(https://platform.claude.com/docs/en/api/errors); nothing recorded is lost{after_fix}", 2)
    if status == 400 and "usage limit" in message.lower():
        return Explained(f"a spend limit you set was reached ({_status(exc)}: {message}); raise or remove it on the "
                         f"Claude Console's Billing page{after_fix}", 2)
    if status == 401:
        return Explained(f"the Claude API rejected the API key ({_status(exc)}: {message}); check "
                         f"ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL if you set it){after_fix}", 2)
    if status == 403:
        return Explained(f"the API key may not do this ({_status(exc)}: {message}); check the key's workspace "
                         f"and model access{after_fix}", 2)
    if status == 404:
        model = _requested_model(exc) if message.startswith("model:") or _path(exc).endswith("/v1/messages") else None
        if model:
            flag = getattr(exc, "writebot_flags", {}).get(model, "--model")
            again = (f"continue with: writebot resume {run_dir} {flag} ID" if run_dir else
                     f"run the command again with {flag} ID (or {ENV[flag]})")
            return Explained(f"model '{model}' does not exist for this API ({_status(exc)}); list the models you can "
                             f"use with 'writebot models' and {again}", 2)
        return Explained(f"not found ({_status(exc)}: {message}); check ANTHROPIC_BASE_URL{after_fix}", 2)
    if status == 402:
        return Explained(f"billing problem ({_status(exc)}: {message}); check your plan and credits{after_fix}", 2)
    if isinstance(status, int) and status < 500 and status not in (408, 409, 429):
        return Explained(f"the Claude API refused the request ({_status(exc)}): {message}", 2)
    return Explained(f"the Claude API kept failing{_tries(exc)} ({_status(exc)}: {message}); nothing "
                     "recorded is lost" + (f". Continue with: {resume}" if resume else "; try again later"), 1)
