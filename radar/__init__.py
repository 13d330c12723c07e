"""policy-radar: foreign innovation-policy and trade news, tagged, clustered and digested."""

__version__ = "0.1.0"
