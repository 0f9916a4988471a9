# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate a tiny, deterministic Llama checkpoint for tests (test data, not a real model).

The output is a Hugging Face model directory that transformers and vLLM load as
``LlamaForCausalLM``:

    config.json               LlamaConfig(hidden_size=256, intermediate_size=512,
                              num_hidden_layers=3, num_attention_heads=4,
                              num_key_value_heads=2, head_dim=64, vocab_size=512)
    generation_config.json
    model.safetensors         float32 weights with transformers' Llama tensor names
    tokenizer.json            512-token byte-level BPE trained with ``tokenizers``
    tokenizer_config.json     special tokens + a Llama-3 style ``chat_template``
    special_tokens_map.json

head_dim is 64 because vLLM's CPU attention rejects head_dim 16 (DESIGN.md). Three layers because
the lab runs vLLM with pipeline parallel size 3: every stage needs a layer (two layers split [1, 1, 0]
and the empty stage fails). Four heads allow TP 1, 2 and 4.

Only numpy, safetensors and tokenizers are needed (no torch, no transformers).
Weights come from a fixed seed and the tokenizer from a fixed corpus, so the same
versions of those packages produce byte-identical files (stable checksums).

Usage: make_tiny_llama.py OUTPUT_DIR [--seed N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

HIDDEN = 256
INTERMEDIATE = 512
LAYERS = 3
HEADS = 4
KV_HEADS = 2
HEAD_DIM = 64
VOCAB = 512
MAX_POSITIONS = 512

BOS = "<|begin_of_text|>"
EOS = "<|end_of_text|>"
EOT = "<|eot_id|>"
START_HEADER = "<|start_header_id|>"
END_HEADER = "<|end_header_id|>"
SPECIAL_TOKENS = [BOS, EOS, EOT, START_HEADER, END_HEADER]  # ids 0..4, in this order

CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "A cluster of servers answers questions through one OpenAI compatible endpoint.",
    "Ray starts a head node first, then the workers join the cluster and report their GPUs.",
    "vLLM loads the model weights from a shared directory and serves chat completions.",
    "The system prompt says: you are a helpful assistant. The user asks a short question.",
    "Hello! How are you today? I am fine, thank you. What is the capital of France? Paris.",
    "Tensor parallel size and pipeline parallel size are chosen from the number of GPUs.",
    "Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 1000; symbols: ( ) [ ] { } < > = + - * / _ , . : ; ! ?",
    "system user assistant tool function content role message reply answer token model",
]


def _corpus():
    """Yield the fixed training corpus (repeated so BPE has stable pair counts)."""
    for _repeat in range(20):
        yield from CORPUS


def build_tokenizer() -> Tokenizer:
    """Train a byte-level BPE tokenizer of exactly VOCAB tokens with the special tokens first."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(), trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(
        single=BOS + " $A",
        pair=BOS + " $A " + BOS + " $B",
        special_tokens=[(BOS, tok.token_to_id(BOS))],
    )
    size = tok.get_vocab_size()
    if size != VOCAB:
        raise RuntimeError("tokenizer has %d tokens, expected %d (corpus too small?)" % (size, VOCAB))
    return tok


def build_weights(seed: int) -> dict:
    """Return the LlamaForCausalLM state dict (names and shapes as transformers defines them)."""
    rng = np.random.default_rng(seed)

    def normal(*shape):
        return (rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02)).astype(np.float32)

    def ones(n):
        return np.ones((n,), dtype=np.float32)

    weights = {"model.embed_tokens.weight": normal(VOCAB, HIDDEN)}
    for i in range(LAYERS):
        p = "model.layers.%d." % i
        weights[p + "self_attn.q_proj.weight"] = normal(HEADS * HEAD_DIM, HIDDEN)
        weights[p + "self_attn.k_proj.weight"] = normal(KV_HEADS * HEAD_DIM, HIDDEN)
        weights[p + "self_attn.v_proj.weight"] = normal(KV_HEADS * HEAD_DIM, HIDDEN)
        weights[p + "self_attn.o_proj.weight"] = normal(HIDDEN, HEADS * HEAD_DIM)
        weights[p + "mlp.gate_proj.weight"] = normal(INTERMEDIATE, HIDDEN)
        weights[p + "mlp.up_proj.weight"] = normal(INTERMEDIATE, HIDDEN)
        weights[p + "mlp.down_proj.weight"] = normal(HIDDEN, INTERMEDIATE)
        weights[p + "input_layernorm.weight"] = ones(HIDDEN)
        weights[p + "post_attention_layernorm.weight"] = ones(HIDDEN)
    weights["model.norm.weight"] = ones(HIDDEN)
    weights["lm_head.weight"] = normal(VOCAB, HIDDEN)
    return weights


def build_config(bos_id: int, eos_ids: list) -> dict:
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": VOCAB,
        "hidden_size": HIDDEN,
        "intermediate_size": INTERMEDIATE,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS,
        "head_dim": HEAD_DIM,
        "hidden_act": "silu",
        "max_position_embeddings": MAX_POSITIONS,
        "initializer_range": 0.02,
        "rms_norm_eps": 1e-05,
        "rope_theta": 10000.0,
        "rope_scaling": None,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "mlp_bias": False,
        "tie_word_embeddings": False,
        "use_cache": True,
        "bos_token_id": bos_id,
        "eos_token_id": eos_ids,
        "torch_dtype": "float32",
    }


def _write_json(path: str, data: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def generate(out_dir: str, seed: int = 0) -> dict:
    """Write the model into out_dir; return {file: {"size": n, "sha256": hex}}."""
    os.makedirs(out_dir, exist_ok=True)
    tok = build_tokenizer()
    ids = {t: tok.token_to_id(t) for t in SPECIAL_TOKENS}
    eos_ids = [ids[EOS], ids[EOT]]

    tok.save(os.path.join(out_dir, "tokenizer.json"))
    added = {
        str(ids[t]): {
            "content": t, "lstrip": False, "normalized": False, "rstrip": False,
            "single_word": False, "special": True,
        }
        for t in SPECIAL_TOKENS
    }
    _write_json(os.path.join(out_dir, "tokenizer_config.json"), {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "added_tokens_decoder": added,
        "bos_token": BOS,
        "eos_token": EOT,
        "pad_token": EOS,
        "model_max_length": MAX_POSITIONS,
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
        "chat_template": CHAT_TEMPLATE,
    })
    _write_json(os.path.join(out_dir, "special_tokens_map.json"), {
        "bos_token": BOS, "eos_token": EOT, "pad_token": EOS,
    })
    _write_json(os.path.join(out_dir, "config.json"), build_config(ids[BOS], eos_ids))
    _write_json(os.path.join(out_dir, "generation_config.json"), {
        "bos_token_id": ids[BOS],
        "eos_token_id": eos_ids,
        "do_sample": False,
    })
    save_file(build_weights(seed), os.path.join(out_dir, "model.safetensors"), metadata={"format": "pt"})

    summary = {}
    for name in sorted(os.listdir(out_dir)):
        path = os.path.join(out_dir, name)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                summary[name] = {"size": os.path.getsize(path), "sha256": hashlib.sha256(f.read()).hexdigest()}
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output_dir")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.monotonic()
    files = generate(args.output_dir, args.seed)
    json.dump({
        "output_dir": os.path.abspath(args.output_dir),
        "seconds": round(time.monotonic() - start, 3),
        "total_bytes": sum(f["size"] for f in files.values()),
        "files": files,
    }, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
