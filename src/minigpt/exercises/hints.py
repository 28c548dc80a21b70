"""Hint cascades: three levels each, every level naming what to look at next and nothing more.

    loud     run B raises at its first backward (the default)
    silent   nothing raises, and the gradients are wrong (ln=unchecked); exercise 4
    predict  exercise 2: loud, safe or silent, before you run
    find     exercise 3: the in-place bug planted in a copy of the model
    gan      exercise 5: an optimizer step between two backward passes, loud with Adam, silent with fused Adam

Level 1 asks a question, level 2 teaches the tool that answers it, level 3 gives the answer.
"""

from minigpt.language import in_language

CASCADES = ("loud", "silent", "predict", "find", "gan")
LEVELS = (1, 2, 3)

HINTS = {
    "loud": {
        "en": {
            1: "What bumps a tensor's version counter after autograd has saved it for backward? Read the error "
               "again: which tensor it names, the version autograd expected and the version it found.",
            2: "Let PyTorch point at the forward: run it again with detect_anomaly=true "
               "(just phase-25-train inplace=true detect_anomaly=true). It adds the forward traceback of the node "
               "whose backward failed: which forward line does it name? Which tensor did that line save, and "
               "which later line changes that tensor in place?",
            3: "The residual add h.add_(...) in Block.forward changes h in place, which ln1 and ln2 saved for "
               "backward. Write it out of place: h = h + self.attn(self.ln1(h)), and the same for the ffn line.",
        },
        "es": {
            1: "¿Qué incrementa el contador de versiones de un tensor después de que autograd lo haya guardado para "
               "la pasada hacia atrás (backward)? Vuelve a leer el error: qué tensor nombra, qué versión esperaba "
               "autograd y cuál encontró.",
            2: "Deja que PyTorch te señale el forward: vuelve a ejecutarlo con detect_anomaly=true "
               "(just phase-25-train inplace=true detect_anomaly=true). Añade la traza del forward del nodo cuyo "
               "backward falló: ¿qué línea del forward nombra? ¿Qué tensor guardó esa línea, y qué línea "
               "posterior modifica ese tensor in situ?",
            3: "La suma residual h.add_(...) de Block.forward modifica in situ h, que ln1 y ln2 guardaron para el "
               "backward. Escríbela no in situ: h = h + self.attn(self.ln1(h)), y lo mismo en la línea de ffn.",
        },
    },
    "silent": {
        "en": {
            1: "Nothing raised and the loss went down: what would make you suspect the gradients anyway? What "
               "could you compare them with, at the same step, from a run you trust?",
            2: "Train the control and the suspect with the same seed (just phase-25-train, then just "
               "phase-25-train inplace=true ln=unchecked) and compare their saved gradients: just "
               "phase-25-grad-compare 25-A 25-B. Which parameters differ? Which of the modules they belong to "
               "keeps tensors for its backward where the version check cannot see them?",
            3: "UncheckedLayerNormFunction in src/minigpt/layer_norm.py keeps x as ctx.x instead of passing it to "
               "ctx.save_for_backward, so no version check ever reads it: the in-place residual add changes the "
               "saved input and the backward silently uses the new values. Save the tensors with "
               "ctx.save_for_backward(x, weight, mean, rstd) and read them from ctx.saved_tensors: the error "
               "comes back (exercise 4).",
        },
        "es": {
            1: "No ha saltado ningún error y la pérdida baja: ¿qué te haría sospechar, aun así, de los gradientes? "
               "¿Con qué podrías compararlos, en el mismo paso, de una ejecución en la que confías?",
            2: "Entrena el control y la ejecución sospechosa con la misma semilla (just phase-25-train y luego "
               "just phase-25-train inplace=true ln=unchecked) y compara sus gradientes guardados: just "
               "phase-25-grad-compare 25-A 25-B. ¿Qué parámetros difieren? ¿Cuál de los módulos a los que "
               "pertenecen guarda tensores para su backward donde la comprobación de versiones no los ve?",
            3: "UncheckedLayerNormFunction, en src/minigpt/layer_norm.py, guarda x como ctx.x en lugar de pasarlo "
               "a ctx.save_for_backward, así que ninguna comprobación de versiones lo lee: la suma residual in situ "
               "modifica la entrada guardada y el backward usa, sin avisar, los valores nuevos. Guarda los tensores "
               "con ctx.save_for_backward(x, weight, mean, rstd) y léelos de ctx.saved_tensors: el error vuelve "
               "(ejercicio 4).",
        },
    },
    "predict": {
        "en": {
            1: "For each variant ask two questions: does some backward node save the very tensor that gets changed "
               "(as its input or as its output)? And does the version check see that save?",
            2: "Ask PyTorch what an op saved: in a Python shell, y = torch.randn(3, requires_grad=True).exp(), then "
               "y.grad_fn._saved_result (dir(y.grad_fn) lists the _saved_ slots of any node). Then ask which line "
               "changes that tensor, and whether something (.data, saved-tensor hooks) hides the change from the "
               "version counter.",
            3: "Run just phase-25-matrix: it measures every variant against its out-of-place twin. Compare row by "
               "row, and read section 6 of the phase notes for why each outcome is what it is.",
        },
        "es": {
            1: "Hazte dos preguntas por cada variante: ¿guarda algún nodo del backward justo el tensor que se "
               "modifica (como su entrada o como su salida)? ¿Y ve la comprobación de versiones ese guardado?",
            2: "Pregúntale a PyTorch qué guardó una operación: en una consola de Python, "
               "y = torch.randn(3, requires_grad=True).exp() y después y.grad_fn._saved_result (dir(y.grad_fn) "
               "lista los atributos _saved_ de cualquier nodo). Luego pregúntate qué línea modifica ese tensor, y "
               "si algo (.data, los hooks de tensores guardados) le oculta el cambio al contador de versiones.",
            3: "Ejecuta just phase-25-matrix: mide cada variante frente a su gemela no in situ. Compáralas fila a "
               "fila, y lee la sección 6 de las notas de la fase para ver por qué cada resultado es el que es.",
        },
    },
    "find": {
        "en": {
            1: "Run the planted copy: python exercises/find-the-break/run.py. Read the error: the shape of the "
               "tensor, the op it names, the version expected and the version found.",
            2: "Run it with detect_anomaly=true: the warning names the forward line that created the failing "
               "node, the line that saved the tensor. The break is a later line that changes that tensor in "
               "place (a call ending in _, +=, x[i] = v, inplace=True); just phase-25-lint "
               "exercises/find-the-break lists the candidates.",
            3: "Ask the autograd doctor: python exercises/find-the-break/run.py doctor=true walks the graph before "
               "backward and names the op and the file:line that bumped the saved tensor. Then answer with just "
               "phase-25-check 3 answer=FILE:LINE.",
        },
        "es": {
            1: "Ejecuta la copia con el fallo sembrado: python exercises/find-the-break/run.py. Lee el error: la "
               "forma del tensor, la operación que nombra, la versión esperada y la encontrada.",
            2: "Ejecútala con detect_anomaly=true: el aviso nombra la línea del forward que creó el nodo que falla, "
               "la línea que guardó el tensor. El fallo es una línea posterior que modifica ese tensor in situ "
               "(una llamada terminada en _, +=, x[i] = v, inplace=True); just phase-25-lint "
               "exercises/find-the-break lista las candidatas.",
            3: "Pregúntale al doctor de autograd: python exercises/find-the-break/run.py doctor=true recorre el "
               "grafo antes del backward y nombra la operación y el archivo:línea que incrementó el contador de "
               "versiones del tensor guardado. Después responde con just phase-25-check 3 answer=ARCHIVO:LÍNEA.",
        },
    },
    "gan": {
        "en": {
            1: "The error names a tensor [16, 1] at version 2 where autograd expected version 1. Which tensors of "
               "that shape does the loop have, which graph saved one of them, and which line between that graph's "
               "forward and its backward changes it in place?",
            2: "An optimizer step changes every parameter in place, and a Linear saves its weight (as a view, "
               "\"output 0 of AsStrided\") for the gradient of its input. Run the fused loop under the doctor: "
               "autograd-doctor run exercises/gan-loop/gan.py fused=true. Its note names the step and the line "
               "that changed the saved weight, and says what to do: a step must come after every backward that "
               "uses the graph, or the forward must be computed again after the step.",
            3: "optD.step() changes netD's weights, which netD(fake) saved for g_loss's backward. Either compute "
               "g_loss = bce(netD(fake), real_label) after optD.step() (the alternating loop, as in PyTorch's "
               "DCGAN example), or run every backward first: optG.zero_grad(); g_loss.backward(); "
               "optD.zero_grad(); d_loss.backward(); then optD.step(); optG.step() (the simultaneous loop; "
               "zero netD's gradients after g_loss's backward, which adds into them too).",
        },
        "es": {
            1: "El error nombra un tensor [16, 1] en la versión 2 donde autograd esperaba la versión 1. ¿Qué "
               "tensores de esa forma tiene el bucle, qué grafo guardó uno de ellos y qué línea, entre el forward "
               "de ese grafo y su backward, lo modifica in situ?",
            2: "Un paso del optimizador (optimizer.step()) modifica in situ todos los parámetros, y una Linear "
               "guarda su peso (como una vista, \"output 0 of AsStrided\") para el gradiente de su entrada. "
               "Ejecuta el bucle con el optimizador fusionado (fused=True) bajo el doctor: autograd-doctor run "
               "exercises/gan-loop/gan.py fused=true. Su nota nombra el paso y la línea que modificó el peso "
               "guardado, y dice qué hacer: un paso debe ir después de todos los backward que usan el grafo, o "
               "el forward debe calcularse de nuevo después del paso.",
            3: "optD.step() modifica los pesos de netD, que netD(fake) guardó para el backward de g_loss. O "
               "calculas g_loss = bce(netD(fake), real_label) después de optD.step() (el bucle alterno, como en "
               "el ejemplo DCGAN de PyTorch), o ejecutas antes todos los backward: optG.zero_grad(); "
               "g_loss.backward(); optD.zero_grad(); d_loss.backward(); y luego optD.step(); optG.step() (el "
               "bucle simultáneo; pon a cero los gradientes de netD después del backward de g_loss, que también "
               "se suma a ellos).",
        },
    },
}


def hint(level: int, language: str = "en", cascade: str = "loud") -> str:
    """The hint text of one level (1, 2 or 3) of one cascade in one language (en or es); ValueError otherwise."""
    if cascade not in CASCADES:
        raise ValueError(f"unknown cascade '{cascade}'; allowed: {', '.join(CASCADES)}")
    if level not in LEVELS:
        raise ValueError(f"no hint level {level}; allowed: {', '.join(map(str, LEVELS))}")
    return in_language(HINTS[cascade], language)[level]
