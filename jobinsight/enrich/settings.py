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
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator

from jobinsight.errors import ConfigError
from jobinsight.settings import Settings, get_settings

__all__ = ["LlmConfigError", "LlmSettings"]

class LlmConfigError(ConfigError):
    """The LLM settings are incomplete or the API key cannot be loaded (message says which)."""


class LlmSettings(BaseModel):
    """Where and how the LLM enricher calls its endpoint (from :class:`jobinsight.settings.Settings`)."""

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
    def from_settings(cls, settings: Settings | None = None) -> LlmSettings | None:
        """The enricher's settings from the validated ``JOBINSIGHT_LLM_*`` variables; None when off.

        Half a configuration (base URL without model or the reverse) is already refused by
        :class:`~jobinsight.settings.Settings`, with the missing variable named.
        """
        settings = settings or get_settings()
        if not settings.llm_enabled:
            return None
        return cls(base_url=settings.llm_base_url, model=settings.llm_model, api_key=settings.llm_api_key,
                   api_key_block=settings.llm_api_key_block, rpm=settings.llm_rpm, tpm=settings.llm_tpm,
                   run_quota=settings.llm_run_quota, daily_quota=settings.llm_daily_quota,
                   timeout_s=settings.llm_timeout)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LlmSettings | None:
        """:meth:`from_settings` for a mapping of variables (default: ``os.environ``)."""
        try:
            settings = Settings.from_environ(os.environ if environ is None else environ)
        except ConfigError as exc:
            raise LlmConfigError(str(exc), exc.variables) from None
        return cls.from_settings(settings)

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
