"""Outgoing HTTP with one retry rule: the data sources, the SMS gateway and the payment
channel share it.

5xx answers (500, 502, 503, 504) and connection errors are retried with exponential backoff
(urllib3 `Retry`), honouring a server's Retry-After up to a cap; 4xx answers are not retried.
A bearer token is set on every request (and `~/.netrc` is never consulted instead).
"""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

RETRY_STATUSES = (500, 502, 503, 504)


class BearerAuth(requests.auth.AuthBase):
    """Sets the bearer token; its repr never shows it."""

    def __init__(self, token: str):
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "<BearerAuth ••••>"


def retrying_session(
    token: str,
    *,
    retries: int,
    backoff_factor: float,
    backoff_max: float,
    retry_after_max: int,
    methods: frozenset[str],
    headers: dict[str, str],
) -> requests.Session:
    """A session that retries `methods` on 5xx answers and connection errors.

    A POST is retried only where the receiver can tell a repeat (an idempotency key in
    `headers` or the body), since the first attempt may have arrived.
    """
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        redirect=3,
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        retry_after_max=retry_after_max,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=methods,
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.auth = BearerAuth(token)
    session.headers.update(headers)
    return session


def post_once(
    url: str,
    token: str,
    payload: dict,
    *,
    key: str,
    agent: str,
    timeout: float,
    retries: int,
    backoff_factor: float,
) -> requests.Response:
    """POST `payload` as JSON under the `Idempotency-Key` `key`, so that the receiver acts on
    it once however often it is retried; the answer, whatever its status, or
    `requests.RequestException` when none came."""
    session = retrying_session(
        token,
        retries=retries,
        backoff_factor=backoff_factor,
        backoff_max=30.0,
        retry_after_max=60,
        methods=frozenset({"POST"}),
        headers={"User-Agent": agent, "Idempotency-Key": key},
    )
    with session:
        return session.post(url, json=payload, timeout=timeout)
