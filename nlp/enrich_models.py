"""What enrichment loads once: spaCy pipelines with the gazetteer, the embedding backends, the
taxonomy and the language identifiers (``Models``), and the near-duplicate parameters."""

from __future__ import annotations

import importlib.metadata as md
import logging

import numpy as np
from spacy.language import Language

from config.errors import ConfigError
from config.settings import NlpSettings
from nlp.embed import EmbeddingBackend, load_backend, load_multilingual
from nlp.entities import Gazetteer, build_pipeline, load_gazetteer
from nlp.language import LanguageIdentifiers, load_identifiers
from nlp.neardup import MinHashParams
from nlp.topics import Taxonomy, compile_taxonomy, load_taxonomy

log = logging.getLogger(__name__)


class Models:
    """Everything enrichment loads once: spaCy + gazetteer, embeddings, taxonomy, language ids."""

    def __init__(
        self,
        nlp,
        gazetteer: Gazetteer,
        backend: EmbeddingBackend,
        taxonomy: Taxonomy,
        identifiers: LanguageIdentifiers,
        spacy_name: str,
        ner: dict[str, tuple[Language, str]] | None = None,
        multilingual: EmbeddingBackend | None = None,
    ):
        self.nlp = nlp
        # the second vector every language shares (None: off); nlp/vectors.py
        self.multilingual = multilingual
        # language -> (pipeline with NER, its provenance); English is always there
        self.ner = {"en": (nlp, spacy_name), **(ner or {})}
        self.gazetteer = gazetteer
        self.backend = backend
        self.taxonomy = taxonomy
        self.identifiers = identifiers
        self.spacy_name = spacy_name
        self.cues = compile_taxonomy(taxonomy)
        self.exemplar_owners = [t.id for t in taxonomy.topics for _ in t.exemplars]
        texts = [x for t in taxonomy.topics for x in t.exemplars]
        self.exemplar_vectors = backend.encode(texts) if texts else np.zeros((0, backend.dim))

    @classmethod
    def load(cls, settings: NlpSettings, backend: EmbeddingBackend | None = None) -> Models:
        """Load every model named in ``settings`` (offline, from installed packages).

        Args:
            settings: NLP settings.
            backend: an already loaded embedding backend to share (else ``load_backend``).
        """
        gazetteer = load_gazetteer()
        nlp = build_pipeline(settings.spacy_model, gazetteer)
        return cls(
            nlp=nlp,
            gazetteer=gazetteer,
            backend=backend or load_backend(settings),
            taxonomy=load_taxonomy(),
            identifiers=load_identifiers(tuple(settings.languages)),
            spacy_name=f"{settings.spacy_model}@{_version(settings.spacy_model, nlp)}"
                       f"+{gazetteer.version}",
            ner=language_pipelines(settings, gazetteer),
            multilingual=load_multilingual(settings),
        )


def language_pipelines(settings: NlpSettings, gazetteer: Gazetteer) -> dict[str, tuple[Language, str]]:
    """NER pipelines for languages other than English (``nlp.spacy_models``), with their
    provenance. A model that is not installed is left out with a warning: that language then
    gets gazetteer entities only, as languages without a model do."""
    out = {}
    for lang, package in settings.spacy_models.items():
        if lang == "en":
            continue
        try:
            nlp = build_pipeline(package, gazetteer)
        except ConfigError as exc:
            log.warning("no NER for %r documents (gazetteer entities only): %s", lang, exc)
            continue
        out[lang] = (nlp, f"{package}@{_version(package, nlp)}+{gazetteer.version}")
    return out


def _version(package: str, nlp: Language) -> str:
    try:
        return md.version(package.replace("_", "-"))
    except md.PackageNotFoundError:
        return nlp.meta.get("version", "?")


def minhash_params(settings: NlpSettings) -> MinHashParams:
    """Near-duplicate parameters from settings."""
    return MinHashParams(
        shingle=settings.neardup_shingle,
        threshold=settings.neardup_threshold,
        max_chars=settings.max_text_chars,
    )
