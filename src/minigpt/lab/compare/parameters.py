"""The GPT's parameter names: which block each belongs to, and the order the forward uses them."""


def block_of(name: str) -> str:
    """The group a parameter belongs to: blocks.1 for blocks.1.ln2.weight, else its module (head, ...)."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "blocks" else parts[0]


BLOCK_ORDER = ["ln1", "attn.qkv", "attn.proj", "ln2", "ffn.up", "ffn.down"]  # the forward order of block.py


def model_order(names) -> list[str]:
    """Parameter names in the order the forward runs them: embeddings, each block in turn, final norm, head."""
    first, last = ["token_embedding", "position_embedding"], ["ln_final", "head"]

    def key(name):
        group, rest = block_of(name), name.removeprefix(block_of(name) + ".")
        bias = rest.split(".")[-1] == "bias"  # weight before bias
        if group in first:
            return (0, first.index(group), 0, bias, rest)
        if group in last:
            return (2, last.index(group), 0, bias, rest)
        rank = next((i for i, module in enumerate(BLOCK_ORDER) if rest.startswith(module + ".")), len(BLOCK_ORDER))
        number = int(group.split(".")[1]) if group.startswith("blocks.") else 0
        return (1, number, rank, bias, rest)

    return sorted(names, key=key)
