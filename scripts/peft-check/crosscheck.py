"""Cross-check of MergeLab's LoRA and model outputs against the real PEFT and Transformers.

Runs where torch, transformers, peft and safetensors are installed (not on the CI machine: no PyPI there).
Inputs: target-peft/ from scripts/peft-check/make-fixture.sh. Writes to $OUT (default target-peft/out):
  report.json           every check with its numbers
  peft/...              adapters created by PEFT itself and PEFT's results on them (merge_and_unload,
                        add_weighted_adapter), kept as reference data for the Java tests
                        (src/test/resources/peft/, see PeftParityTest).

Usage: python3 scripts/peft-check/crosscheck.py [FIXTURE_DIR]
"""
import hashlib
import json
import os
import sys
import traceback
import warnings

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM, GPT2Config, GPT2LMHeadModel

FIX = sys.argv[1] if len(sys.argv) > 1 else "target-peft"
OUT = os.environ.get("OUT", os.path.join(FIX, "out"))
BASE = os.path.join(FIX, "family", "base")
OURS = os.path.join(FIX, "ours")
REF = os.path.join(FIX, "peft-reference")  # packed into $OUT/peft-reference.tgz at the end
for sub in ("adapters", "applied", "weighted", "gpt2"):
    os.makedirs(os.path.join(REF, sub), exist_ok=True)
report = {"versions": {"torch": torch.__version__, "peft": __import__("peft").__version__,
                       "transformers": __import__("transformers").__version__}, "checks": []}


def check(name, fn):
    """Runs one check; records its result dict (or the error) under its name."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = fn()
            res = res if isinstance(res, dict) else {"value": res}
        except Exception as e:  # noqa: BLE001 - a failed check is data, the script goes on
            res = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc(limit=3)}
    res["warnings"] = sorted({str(w.message)[:300] for w in caught})
    res["name"] = name
    report["checks"].append(res)
    print(json.dumps(res)[:1500], flush=True)


def base_model():
    return AutoModelForCausalLM.from_pretrained(BASE, dtype=torch.float32)


def sd(model):
    return {k: v.detach().float().clone() for k, v in model.state_dict().items()}


def max_diff(a, b, keys=None):
    """Largest |a-b| over shared tensors, and the tensor it occurs in."""
    worst, where = 0.0, None
    for k in keys or sorted(set(a) & set(b)):
        d = (a[k].float() - b[k].float()).abs().max().item()
        if d > worst:
            worst, where = d, k
    return worst, where


def folder_tensors(path):
    out = {}
    for f in sorted(os.listdir(path)):
        if f.endswith(".safetensors"):
            out.update(load_file(os.path.join(path, f)))
    return out


def read_json(path):
    with open(path) as f:
        return json.load(f)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


# ---------------------------------------------------------------- MergeLab outputs in PEFT/Transformers
def extracted_full_rank_reproduces_finetune():
    m = PeftModel.from_pretrained(base_model(), os.path.join(OURS, "extract-full")).merge_and_unload()
    ft = folder_tensors(os.path.join(FIX, "family", "ft1"))
    d, k = max_diff(sd(m), ft)
    return {"max_abs_diff_vs_ft1": d, "at": k, "ok": d < 1e-5}


def extracted_r8_apply_matches_peft():
    m = PeftModel.from_pretrained(base_model(), os.path.join(OURS, "extract-r8")).merge_and_unload()
    ours = folder_tensors(os.path.join(OURS, "apply-extract-r8"))
    peft_sd = sd(m)
    missing = sorted(set(ours) ^ set(peft_sd))
    d, k = max_diff(peft_sd, ours)
    return {"max_abs_diff": d, "at": k, "key_mismatch": missing[:10], "ok": d < 1e-5}


def gpt2_extract_loads_with_fan_in_fan_out():
    """Our extract on a Conv1D model: PEFT loads it without overriding fan_in_fan_out and merges it back."""
    g = os.path.join("src", "test", "resources", "peft", "gpt2")
    m = PeftModel.from_pretrained(GPT2LMHeadModel.from_pretrained(os.path.join(g, "base")), os.path.join(OURS, "gpt2-extract"))
    merged = sd(m.merge_and_unload())
    ft = folder_tensors(os.path.join(OURS, "gpt2-ft"))
    d, k = max_diff(merged, ft)
    return {"max_abs_diff_vs_ft": d, "at": k, "ok": d < 1e-5}


def merged_model_loads_and_runs():
    path = os.path.join(OURS, "merge-ties")
    m, info = AutoModelForCausalLM.from_pretrained(path, output_loading_info=True)
    ids = torch.tensor([[1, 5, 9, 42, 77, 100]])
    with torch.no_grad():
        logits = m(ids).logits
    ours = folder_tensors(path)
    d, k = max_diff({kk: v.float() for kk, v in m.state_dict().items()}, ours)
    return {"loading_info": {k2: list(v) for k2, v in info.items()}, "dtype": str(m.dtype),
            "logits_finite": bool(torch.isfinite(logits).all()), "logits_shape": list(logits.shape),
            "state_dict_vs_files": d, "ok": bool(torch.isfinite(logits).all()) and not any(info.values())}


def ours_merged_adapters_match_add_weighted_adapter():
    """Our `lora merge` of plain-ft1 (0.7) + plain-ft2 (0.5) against PEFT's add_weighted_adapter, per type."""
    results = {}
    for t in ["linear", "cat", "svd", "ties", "ties_svd", "magnitude_prune", "magnitude_prune_svd",
              "dare_linear", "dare_ties"]:
        r = {}
        try:
            model = PeftModel.from_pretrained(base_model(), os.path.join(OURS, "plain-ft1"), adapter_name="a1")
            model.load_adapter(os.path.join(OURS, "plain-ft2"), adapter_name="a2")
            model.load_adapter(os.path.join(OURS, f"lmerge-{t}"), adapter_name="ours")
            kw = {"density": 0.5} if t not in ("linear", "cat", "svd") else {}
            torch.manual_seed(0)
            model.add_weighted_adapter(["a1", "a2"], [0.7, 0.5], "peft", combination_type=t, **kw)
            worst, rel, kept_ours, kept_peft, n = 0.0, 0.0, 0, 0, 0
            for name, mod in model.named_modules():
                if hasattr(mod, "lora_A") and "peft" in mod.lora_A:
                    dp = mod.get_delta_weight("peft").float()
                    do = mod.get_delta_weight("ours").float()
                    worst = max(worst, (dp - do).abs().max().item())
                    rel = max(rel, ((dp - do).norm() / dp.norm().clamp_min(1e-30)).item())
                    if t.startswith("dare"):
                        kept_ours += int((mod.lora_A["ours"].weight != 0).sum())
                        kept_peft += int((mod.lora_A["peft"].weight != 0).sum())
                        n += mod.lora_A["peft"].weight.numel()
            r = {"max_abs_delta_diff": worst, "max_rel_delta_diff": rel,
                 "ours_config": {k: v for k, v in read_json(os.path.join(OURS, f"lmerge-{t}", "adapter_config.json")).items()
                                 if k in ("r", "lora_alpha", "use_rslora")},
                 "peft_config": {"r": model.peft_config["peft"].r, "lora_alpha": model.peft_config["peft"].lora_alpha}}
            if n:
                r["kept_fraction_A_ours"] = kept_ours / n
                r["kept_fraction_A_peft"] = kept_peft / n
        except Exception as e:  # noqa: BLE001
            r = {"error": f"{type(e).__name__}: {e}"}
        results[t] = r
    return results


# ------------------------------------------------------------------ reference data made by PEFT itself
def peft_adapter(name, seed, cfg, perturb_saved=None):
    """Creates an adapter with PEFT (random A and B), saves it and PEFT's merge_and_unload result."""
    torch.manual_seed(seed)
    model = get_peft_model(base_model(), LoraConfig(init_lora_weights=False, **cfg))
    if perturb_saved:
        for n, p in model.named_parameters():
            if "modules_to_save" in n:
                with torch.no_grad():
                    p.add_(0.01 * torch.randn_like(p))
    adir = os.path.join(REF, "adapters", name)
    model.save_pretrained(adir)
    before = sd(base_model())
    merged = sd(model.merge_and_unload())
    changed = {k: v.contiguous() for k, v in merged.items() if k in before and not torch.equal(v, before[k])}
    save_file(changed, os.path.join(REF, "applied", f"{name}.safetensors"))
    return {"changed_tensors": len(changed), "adapter_keys": len(load_file(os.path.join(adir, "adapter_model.safetensors"))),
            "saved_config": {k: v for k, v in read_json(os.path.join(adir, "adapter_config.json")).items()
                             if k in ("r", "lora_alpha", "use_rslora", "fan_in_fan_out", "rank_pattern", "alpha_pattern",
                                      "target_modules", "modules_to_save")}}


def peft_weighted(name, adapters, weights, ctype, **kw):
    """PEFT's add_weighted_adapter over adapters it created; saves the merged adapter."""
    model = PeftModel.from_pretrained(base_model(), os.path.join(REF, "adapters", adapters[0]), adapter_name=adapters[0])
    for a in adapters[1:]:
        model.load_adapter(os.path.join(REF, "adapters", a), adapter_name=a)
    model.add_weighted_adapter(adapters, weights, "merged", combination_type=ctype, **kw)
    out = os.path.join(REF, "weighted", name)
    model.save_pretrained(out, selected_adapters=["merged"])
    spec = {"adapters": adapters, "weights": weights, "combination_type": ctype, **kw}
    with open(os.path.join(out, "spec.json"), "w") as f:
        json.dump(spec, f, indent=1)
    return {"spec": spec, "config": {k: getattr(model.peft_config["merged"], k) for k in ("r", "lora_alpha", "use_rslora")}}


def gpt2_fan_in_fan_out():
    """A Conv1D model: PEFT's fan_in_fan_out path."""
    torch.manual_seed(7)
    cfg = GPT2Config(n_layer=2, n_embd=32, n_head=4, vocab_size=128, n_positions=64)
    gdir = os.path.join(REF, "gpt2")
    GPT2LMHeadModel(cfg).save_pretrained(os.path.join(gdir, "base"))
    base = lambda: GPT2LMHeadModel.from_pretrained(os.path.join(gdir, "base"))  # noqa: E731
    model = get_peft_model(base(), LoraConfig(init_lora_weights=False, r=4, lora_alpha=8, target_modules=["c_attn", "c_fc"],
                                              fan_in_fan_out=True))
    model.save_pretrained(os.path.join(gdir, "adapter"))
    before = sd(base())
    merged = sd(model.merge_and_unload())
    changed = {k: v.contiguous() for k, v in merged.items() if k in before and not torch.equal(v, before[k])}
    save_file(changed, os.path.join(gdir, "applied.safetensors"))
    return {"changed": sorted(changed)[:6], "shapes": {k: list(v.shape) for k, v in list(changed.items())[:2]}}


def main():
    report["base_sha256"] = sha256(os.path.join(BASE, "model.safetensors"))
    check("extract full rank: PEFT merge_and_unload == ft1", extracted_full_rank_reproduces_finetune)
    check("extract r8 + modules_to_save: our apply == PEFT merge_and_unload", extracted_r8_apply_matches_peft)
    check("merge output loads in Transformers and runs", merged_model_loads_and_runs)
    if os.path.isdir(os.path.join(OURS, "gpt2-extract")):
        check("gpt2 extract (Conv1D): PEFT merge_and_unload == fine-tune", gpt2_extract_loads_with_fan_in_fan_out)
    check("lora merge == add_weighted_adapter", ours_merged_adapters_match_add_weighted_adapter)

    check("peft adapter p1 (r8 a16 q,v)", lambda: peft_adapter("p1", 1, dict(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"])))
    check("peft adapter p2 (rslora, patterns)", lambda: peft_adapter("p2", 2, dict(
        r=8, lora_alpha=8, use_rslora=True, target_modules=["q_proj", "v_proj", "down_proj"],
        rank_pattern={"down_proj": 4}, alpha_pattern={"v_proj": 32})))
    check("peft adapter p3 (embedding lora, modules_to_save)", lambda: peft_adapter("p3", 3, dict(
        r=4, lora_alpha=8, target_modules=["embed_tokens", "q_proj"], modules_to_save=["lm_head"]), perturb_saved=True))
    check("peft adapter p4 (r8 a16 q,v, second seed)", lambda: peft_adapter("p4", 4, dict(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"])))
    check("peft adapter p5 (r4 a4 q,v)", lambda: peft_adapter("p5", 5, dict(r=4, lora_alpha=4, target_modules=["q_proj", "v_proj"])))
    check("peft adapter p6 (fan_in_fan_out on Linear)", lambda: peft_adapter("p6", 6, dict(r=4, lora_alpha=8, target_modules=["q_proj", "o_proj"], fan_in_fan_out=True)))
    for t in ["linear", "ties", "magnitude_prune"]:
        check(f"peft weighted {t}", lambda t=t: peft_weighted(t, ["p1", "p4"], [0.6, 0.9], t,
                                                            **({} if t == "linear" else {"density": 0.4})))
    check("peft weighted ties frequency", lambda: peft_weighted("ties_frequency", ["p1", "p4"], [0.6, 0.9], "ties", density=0.4,
                                                                majority_sign_method="frequency"))
    check("peft weighted cat", lambda: peft_weighted("cat", ["p1", "p5"], [0.6, 0.9], "cat"))
    check("peft weighted svd", lambda: peft_weighted("svd", ["p1", "p5"], [0.6, 0.9], "svd"))
    check("peft weighted svd rank 6", lambda: peft_weighted("svd_r6", ["p1", "p4"], [0.6, 0.9], "svd", svd_rank=6))
    check("peft weighted ties_svd", lambda: peft_weighted("ties_svd", ["p1", "p4"], [0.6, 0.9], "ties_svd", density=0.4))
    check("peft weighted magnitude_prune_svd", lambda: peft_weighted("magnitude_prune_svd", ["p1", "p5"], [0.6, 0.9],
                                                                     "magnitude_prune_svd", density=0.4, svd_rank=8))
    check("peft weighted svd clamp", lambda: peft_weighted("svd_clamp", ["p1", "p5"], [0.6, 0.9], "svd", svd_clamp=0.9))
    check("peft weighted cat, rslora first", lambda: peft_weighted("cat_rslora", ["p2", "p4"], [0.5, 0.5], "cat"))
    check("gpt2 fan_in_fan_out", gpt2_fan_in_fan_out)

    with open(os.path.join(OUT, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(REF, "provenance.json"), "w") as f:
        json.dump({"versions": report["versions"], "base_sha256": report["base_sha256"],
                   "made_by": "scripts/peft-check/crosscheck.py"}, f, indent=1)
    import tarfile
    with tarfile.open(os.path.join(OUT, "peft-reference.tgz"), "w:gz") as tar:
        tar.add(REF, arcname="peft")


if __name__ == "__main__":
    main()
