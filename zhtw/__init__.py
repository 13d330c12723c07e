"""zh-TW reading layer: the 重點 card, optional checked sentence translation, glossary."""
