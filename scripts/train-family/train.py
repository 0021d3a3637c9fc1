#!/usr/bin/python3
"""Trains the domain family of examples/domains: a tiny Llama pre-trained on a mix of four text domains found on
every Debian system, then fine-tuned once per domain from that base. Writes each model as a Transformers folder,
the dev and held-out text per domain, the manifest of the files used, and the PyTorch reference logits that
DomainFamilyTest compares MergeLab's forward pass against.

Run from the repository root with Debian's python3-torch (single thread, fixed seeds):
    /usr/bin/python3 scripts/train-family/train.py                 # collect the files, train, write
    /usr/bin/python3 scripts/train-family/train.py --manifest examples/domains/manifest.tsv   # same files again
then scripts/train-family/tokenizer-fixture.sh for the Rust library's ids of the held-out text."""
import argparse
import json
import math
import os
import platform
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import domains  # noqa: E402
import safetensors_io  # noqa: E402
from llama import LlamaForCausalLM  # noqa: E402

CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 128,
    "intermediate_size": 384,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 32,
    "vocab_size": 1024,
    "max_position_embeddings": 256,
    "rms_norm_eps": 1e-05,
    "rope_theta": 10000.0,
    "hidden_act": "silu",
    "attention_bias": False,
    "mlp_bias": False,
    "tie_word_embeddings": True,
    "bos_token_id": 0,
    "eos_token_id": 1,
    "torch_dtype": "bfloat16",
}
BUDGETS = {"train": 600_000, "dev": 12_000, "heldout": 12_000}  # bytes of text per domain and split
FIXTURE_POSITIONS = [0, 77, 255]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default="examples/domains", help="where the models, text and manifest go")
    p.add_argument("--fixtures", default="src/test/resources/domains", help="where the reference logits go")
    p.add_argument("--manifest", help="read exactly the files of this manifest.tsv (refuses changed files)")
    p.add_argument("--pretrain-steps", type=int, default=800)
    p.add_argument("--finetune-steps", type=int, default=150)
    p.add_argument("--batch", type=int, default=8, help="sequences per step (pre-training: an equal share per domain)")
    p.add_argument("--pretrain-lr", type=float, default=3e-3)
    p.add_argument("--finetune-lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=20261208)
    p.add_argument("--save-state", help="also save the trained float32 weights of every model to this .pt file")
    p.add_argument("--load-state", help="skip training: take the weights from a --save-state file and write again")
    p.add_argument("--load-base", help="skip pre-training only: take the base from a --save-state file made with the "
                   "same pre-training arguments (pre-training is deterministic), and fine-tune the children anew")
    return p.parse_args()


def log(msg):
    print(f"[{time.process_time():7.1f}s cpu] {msg}", flush=True)


def streams_of(data, enc, split):
    """One token stream per domain: each file's ids after a <s>."""
    out = {}
    for d, splits in data.items():
        ids = []
        for _, _, text in splits[split]:
            ids.append(0)
            ids.extend(enc.encode(text))
        out[d] = torch.tensor(ids, dtype=torch.long)
    return out


def batch(stream, n, length, gen):
    starts = torch.randint(0, len(stream) - length - 1, (n,), generator=gen)
    return torch.stack([stream[s:s + length + 1] for s in starts.tolist()])


def lr_at(step, total, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def optimizer(model, lr):
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    rest = [p for n, p in model.named_parameters() if p.dim() != 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.95))


def train(model, sample, steps, peak, warmup, gen, name):
    opt = optimizer(model, peak)
    model.train()
    length = CONFIG["max_position_embeddings"]
    for step in range(steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, peak, warmup)
        x = sample(gen)
        logits = model(x[:, :length])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            log(f"{name} step {step}/{steps} loss {loss.item():.3f}")


def rounded(model):
    """A copy whose weights are what model.safetensors holds (bfloat16), widened back to float32."""
    m = LlamaForCausalLM(CONFIG)
    m.load_state_dict({k: v.to(torch.bfloat16).float() for k, v in model.state_dict().items()})
    m.eval()
    return m


@torch.no_grad()
def bits_per_byte(model, text, enc):
    """lm-eval's loglikelihood_rolling on one document: disjoint windows of max_length predicted tokens, the first
    conditioned on <s>, each later one on the last token before it; total -log2 p over the text's UTF-8 bytes."""
    ids = enc.encode(text)
    length = CONFIG["max_position_embeddings"]
    nll = 0.0
    for start in range(0, len(ids), length):
        target = ids[start:start + length]
        context = [0 if start == 0 else ids[start - 1]] + target[:-1]
        logits = model(torch.tensor([context]))[0]
        nll += F.cross_entropy(logits, torch.tensor(target), reduction="sum").item()
    return nll / math.log(2) / len(text.encode())


def write_model(folder, model, tokenizer_json):
    os.makedirs(folder, exist_ok=True)
    tensors = {k: v.to(torch.bfloat16) for k, v in model.checkpoint_tensors().items()}
    safetensors_io.save(tensors, os.path.join(folder, "model.safetensors"), {"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
        f.write("\n")
    with open(os.path.join(folder, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 0, "eos_token_id": 1}, f, indent=2)
        f.write("\n")
    with open(os.path.join(folder, "tokenizer.json"), "w") as f:
        json.dump(tokenizer_json, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>", "eos_token": "</s>",
                   "model_max_length": CONFIG["max_position_embeddings"], "clean_up_tokenization_spaces": False},
                  f, indent=2)
        f.write("\n")


@torch.no_grad()
def write_fixture(models, heldout_ids, path):
    """Float64 logits of each model (its bfloat16 weights widened) at a few positions of one held-out sequence per
    domain, as F32 tensors logits.<model>.<i> [positions, vocab]; ids.json holds the sequences."""
    os.makedirs(path, exist_ok=True)
    seqs = [[0] + heldout_ids[d][:CONFIG["max_position_embeddings"] - 1] for d in sorted(heldout_ids)]
    with open(os.path.join(path, "ids.json"), "w") as f:
        json.dump(seqs, f)
        f.write("\n")
    tensors = {"positions": torch.tensor(FIXTURE_POSITIONS, dtype=torch.int32)}
    for name, model in models.items():
        m = LlamaForCausalLM(CONFIG).double()
        m.load_state_dict({k: v.to(torch.bfloat16).double() for k, v in model.state_dict().items()})
        for i, s in enumerate(seqs):
            logits = m(torch.tensor([s]))[0]
            tensors[f"logits.{name}.{i}"] = logits[FIXTURE_POSITIONS].float()
    safetensors_io.save(tensors, os.path.join(path, "expected-logits.safetensors"),
                        {"producer": f"scripts/train-family/train.py, torch {torch.__version__}, float64 forward"})


def main():
    args = parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    t0 = time.time()
    manifest = domains.read_manifest(args.manifest) if args.manifest else None
    data = domains.collect(BUDGETS, manifest)
    names = sorted(data)
    for d in names:
        log(d + ": " + ", ".join(f"{s} {len(v)} files {sum(len(t.encode()) for _, _, t in v)} bytes" for s, v in data[d].items()))

    merges = bpe.train([t for d in names for _, _, t in data[d]["train"]], CONFIG["vocab_size"])
    enc = bpe.Encoder(merges)
    assert len(enc.vocab) == CONFIG["vocab_size"], len(enc.vocab)
    tok_json = enc.tokenizer_json()
    train_streams = streams_of(data, enc, "train")
    log("tokenizer: " + ", ".join(f"{d} {len(train_streams[d])} train tokens" for d in names))

    texts = {s: {d: "".join(t if t.endswith("\n") else t + "\n" for _, _, t in data[d][s]) for d in names} for s in ("dev", "heldout")}
    for s in ("dev", "heldout"):
        os.makedirs(os.path.join(args.out, s), exist_ok=True)
        for d in names:
            with open(os.path.join(args.out, s, d + ".txt"), "w") as f:
                f.write(texts[s][d])
    domains.write_manifest(os.path.join(args.out, "manifest.tsv"), data, [
        "Files read by scripts/train-family/train.py (rerun it with --manifest this file to read exactly these).",
        f"Made on Debian {open('/etc/debian_version').read().strip()}, Python {platform.python_version()}, torch {torch.__version__}."])

    if args.load_state:
        models = {}
        for name, state in torch.load(args.load_state).items():
            models[name] = LlamaForCausalLM(CONFIG)
            models[name].load_state_dict(state)
    else:
        base = LlamaForCausalLM(CONFIG)
        if args.load_base:
            base.load_state_dict(torch.load(args.load_base)["base"])
        else:
            gen = torch.Generator().manual_seed(args.seed)
            base.init_weights(gen)
            share = args.batch // len(names)
            train(base, lambda g: torch.cat([batch(train_streams[d], share, CONFIG["max_position_embeddings"], g) for d in names]),
                  args.pretrain_steps, args.pretrain_lr, 100, gen, "base")
        models = {"base": base}
        for i, d in enumerate(names):
            child = LlamaForCausalLM(CONFIG)
            child.load_state_dict(base.state_dict())
            g = torch.Generator().manual_seed(args.seed + 1 + i)
            train(child, lambda gg, d=d: batch(train_streams[d], args.batch, CONFIG["max_position_embeddings"], gg),
                  args.finetune_steps, args.finetune_lr, 20, g, d)
            models[d] = child
        if args.save_state:
            torch.save({n: m.state_dict() for n, m in models.items()}, args.save_state)
    cpu = time.process_time()
    log(f"training done: {cpu:.0f} s CPU, {time.time() - t0:.0f} s wall")

    table = {}
    for name, model in models.items():
        r = rounded(model)
        write_model(os.path.join(args.out, "models", name), r, tok_json)
        table[name] = {d: bits_per_byte(r, texts["heldout"][d], enc) for d in names}
        table[name]["mean"] = sum(table[name][d] for d in names) / len(names)
        log(f"{name:10s} " + " ".join(f"{k} {v:.4f}" for k, v in table[name].items()))
    write_fixture(models, {d: enc.encode(texts["heldout"][d]) for d in names}, args.fixtures)
    with open(os.path.join(args.out, "training.json"), "w") as f:
        json.dump({"torch": torch.__version__, "python": platform.python_version(), "threads": 1,
                   "args": vars(args), "train_cpu_seconds": round(cpu, 1),
                   "train_tokens": {d: len(train_streams[d]) for d in names},
                   "heldout_bits_per_byte_pytorch": table}, f, indent=2)
        f.write("\n")
    log("done")


if __name__ == "__main__":
    main()
