"""The hint cascade: three levels, each naming what to look at next and nothing more."""

LEVELS = (1, 2, 3)
LANGUAGES = ("en", "es")

HINTS = {
    "en": {
        1: "What bumps a tensor's version counter after autograd has saved it for backward? Read the error "
           "again: which tensor it names, the version autograd expected and the version it found.",
        2: "Look in src/minigpt/block.py for calls whose names end in an underscore (add_, mul_, ...): "
           "each one changes its tensor in place and bumps its version counter.",
        3: "The residual add h.add_(...) in Block.forward changes h, which ln1 and ln2 saved for backward. "
           "Write it out of place: h = h + self.attn(self.ln1(h)), and the same for the ffn line.",
    },
    "es": {
        1: "¿Qué sube el contador de versión de un tensor después de que autograd lo haya guardado para la "
           "pasada hacia atrás (backward)? Vuelve a leer el error: qué tensor nombra, qué versión esperaba "
           "autograd y cuál encontró.",
        2: "Busca en src/minigpt/block.py las llamadas cuyo nombre termina en guion bajo (add_, mul_...): "
           "cada una modifica su tensor in situ (in-place) y sube su contador de versión.",
        3: "La suma residual h.add_(...) de Block.forward modifica h, que ln1 y ln2 guardaron para la pasada "
           "hacia atrás. Escríbela fuera de sitio: h = h + self.attn(self.ln1(h)), y lo mismo en la línea de ffn.",
    },
}


def hint(level: int, language: str = "en") -> str:
    """The hint text of one level (1, 2 or 3) in one language (en or es); ValueError otherwise."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language '{language}'; allowed: {', '.join(LANGUAGES)}")
    if level not in LEVELS:
        raise ValueError(f"no hint level {level}; allowed: {', '.join(map(str, LEVELS))}")
    return HINTS[language][level]
