"""Configuration of the LLM enricher: which endpoint, which model, how fast and how much.

Why: the LLM enricher is optional and costs money per request, so it is off unless an endpoint
and a model are configured, and every limit that bounds the bill (requests and tokens per
minute, requests per run and per UTC day, the request timeout) is a setting with a safe default.
The API key is a secret: it is held as :class:`pydantic.SecretStr` (masked in ``repr``, logs and
``model_dump``), and in deployments it comes from a Prefect Secret block that is only loaded
when a request is about to be sent (a run whose rows are all cached never touches it).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator

from jobinsight.db.urls import scrub

__all__ = ["ENV_DEFAULTS", "LlmConfigError", "LlmSettings"]

#: Every environment variable the LLM enricher reads, with its default and meaning.
ENV_DEFAULTS: dict[str, tuple[str, str]] = {
    "JOBINSIGHT_LLM_BASE_URL": ("(unset: LLM enricher off)",
                                "OpenAI-compatible endpoint; requests go to {base}/chat/completions."),
    "JOBINSIGHT_LLM_MODEL": ("(unset: LLM enricher off)", "Model name sent with every request."),
    "JOBINSIGHT_LLM_API_KEY": ("(unset)", "API key (Bearer token); wins over the key block."),
    "JOBINSIGHT_LLM_API_KEY_BLOCK": ("(unset)", "Name of a Prefect Secret block holding the API key."),
    "JOBINSIGHT_LLM_RPM": ("60", "Requests per minute sent at most (client-side limit)."),
    "JOBINSIGHT_LLM_TPM": ("60000", "Tokens per minute spent at most (client-side limit)."),
    "JOBINSIGHT_LLM_RUN_QUOTA": ("1000", "Requests per process run at most; the rest stay rules-enriched and pending."),
    "JOBINSIGHT_LLM_DAILY_QUOTA": ("5000", "Requests per UTC day and model at most, shared by all runs (in the database)."),
    "JOBINSIGHT_LLM_TIMEOUT": ("60", "Seconds one request may take before it counts as a timeout."),
}


class LlmConfigError(RuntimeError):
    """The LLM settings are incomplete or the API key cannot be loaded (message says which)."""


class LlmSettings(BaseModel):
    """Where and how the LLM enricher calls its endpoint (see :data:`ENV_DEFAULTS`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = Field(description="OpenAI-compatible base URL, e.g. https://api.openai.com/v1")
    model: str = Field(min_length=1)
    api_key: SecretStr | None = None
    api_key_block: str | None = None
    rpm: int = Field(60, ge=1, le=100_000)
    tpm: int = Field(60_000, ge=100, le=100_000_000)
    run_quota: int = Field(1_000, ge=0, description="HTTP requests per run (0: no calls, all rows pending).")
    daily_quota: int = Field(5_000, ge=0, description="HTTP requests per UTC day and model, across runs.")
    timeout_s: float = Field(60.0, gt=0, le=3600)
    #: retries of one posting after a 429, a 5xx, a timeout or a transport error (then rules-fallback)
    max_http_retries: int = Field(3, ge=0, le=10)
    #: a longer Retry-After from the server is cut to this many seconds
    max_retry_after_s: float = Field(30.0, ge=0, le=3600)
    backoff_base_s: float = Field(0.5, ge=0, le=60)
    backoff_max_s: float = Field(8.0, ge=0, le=600)
    #: description and requirements are cut to this many characters each in the prompt
    max_input_chars: int = Field(6_000, ge=200, le=200_000)
    #: tokens reserved for the answer when a request's cost is estimated before sending
    completion_token_estimate: int = Field(256, ge=0, le=100_000)
    #: postings that fail in a row (after their retries) before calls pause for ``breaker_cooldown_s``
    breaker_failures: int = Field(5, ge=1, le=10_000)
    breaker_cooldown_s: float = Field(60.0, ge=0, le=86_400)

    _key_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _loaded_key: list[str | None] = PrivateAttr(default_factory=list)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url: must start with http:// or https://")
        return value

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> LlmSettings | None:
        """Settings from ``JOBINSIGHT_LLM_*``; None when neither base URL nor model is set.

        One of the two without the other is a configuration mistake and raises
        :class:`LlmConfigError` naming the missing variable.
        """
        env = os.environ if environ is None else environ
        base = (env.get("JOBINSIGHT_LLM_BASE_URL") or "").strip()
        model = (env.get("JOBINSIGHT_LLM_MODEL") or "").strip()
        if not base and not model:
            return None
        if not base or not model:
            missing = "JOBINSIGHT_LLM_BASE_URL" if not base else "JOBINSIGHT_LLM_MODEL"
            raise LlmConfigError(f"{missing} must be set too: the LLM enricher needs both a base URL and a model")
        key = (env.get("JOBINSIGHT_LLM_API_KEY") or "").strip()
        block = (env.get("JOBINSIGHT_LLM_API_KEY_BLOCK") or "").strip()
        values: dict[str, Any] = {"base_url": base, "model": model,
                                  "api_key": SecretStr(key) if key else None, "api_key_block": block or None}
        numbers: dict[str, tuple[str, type]] = {
            "rpm": ("JOBINSIGHT_LLM_RPM", int), "tpm": ("JOBINSIGHT_LLM_TPM", int),
            "run_quota": ("JOBINSIGHT_LLM_RUN_QUOTA", int), "daily_quota": ("JOBINSIGHT_LLM_DAILY_QUOTA", int),
            "timeout_s": ("JOBINSIGHT_LLM_TIMEOUT", float),
        }
        for field, (name, kind) in numbers.items():
            raw = (env.get(name) or "").strip()
            if not raw:
                continue
            try:
                values[field] = kind(raw)
            except ValueError:
                what = "an integer" if kind is int else "a number"
                raise LlmConfigError(f"environment variable {name}={raw!r} is not {what}") from None
        try:
            return cls(**values)
        except ValueError as exc:
            raise LlmConfigError(f"invalid LLM settings: {scrub(str(exc), [key])}") from None

    def resolve_api_key(self) -> str | None:
        """The API key: ``api_key`` if set, else the Prefect Secret block's value (loaded once).

        Raises :class:`LlmConfigError` (without the key, and without the block's internals) when
        the block cannot be loaded.
        """
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        if not self.api_key_block:
            return None
        with self._key_lock:
            if not self._loaded_key:
                try:
                    from prefect.blocks.system import Secret

                    value = Secret.load(self.api_key_block).get()
                except Exception as exc:  # any failure: name the block, never echo values
                    raise LlmConfigError(
                        f"could not load the API key from the Prefect Secret block {self.api_key_block!r} "
                        f"({type(exc).__name__}); check JOBINSIGHT_LLM_API_KEY_BLOCK and PREFECT_API_URL"
                    ) from None
                self._loaded_key.append(str(value) if value is not None else None)
            return self._loaded_key[0]

    def describe(self) -> dict[str, Any]:
        """Settings safe to log or publish: no key, and no credentials in the base URL."""
        from jobinsight.db.urls import mask_url

        return {
            "base_url": mask_url(self.base_url), "model": self.model,
            "api_key": "set" if self.api_key else ("block:" + self.api_key_block if self.api_key_block else "none"),
            "rpm": self.rpm, "tpm": self.tpm, "run_quota": self.run_quota, "daily_quota": self.daily_quota,
            "timeout_s": self.timeout_s,
        }
