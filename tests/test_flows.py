"""prefect.yaml deployments load and validate; the digest schedule is 07:00 Asia/Taipei."""

from pathlib import Path

import yaml
from prefect.flows import load_flow_from_entrypoint

ROOT = Path(__file__).resolve().parent.parent


def _deployments():
    return yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]


def test_every_entrypoint_loads_and_parameters_validate():
    deployments = _deployments()
    assert {"crawl-feeds", "crawl-listings", "enrich", "daily-digest", "daily"} <= {d["name"] for d in deployments}
    for d in deployments:
        flow = load_flow_from_entrypoint(str(ROOT / d["entrypoint"]))
        validated = flow.validate_parameters(d.get("parameters") or {})
        assert set(validated) >= set(d.get("parameters") or {})


def test_digest_schedule_is_seven_taipei():
    digest = next(d for d in _deployments() if d["name"] == "daily-digest")
    (schedule,) = digest["schedules"]
    assert schedule == {"cron": "0 7 * * *", "timezone": "Asia/Taipei"}


def test_bad_parameter_is_rejected():
    import pytest
    from prefect.exceptions import ParameterTypeError

    flow = load_flow_from_entrypoint(str(ROOT / "flows/digest.py:digest_flow"))
    with pytest.raises(ParameterTypeError):
        flow.validate_parameters({"profile": {"not": "a string"}})
