#!/usr/bin/env python3
"""Converts a pocketsphinx alignment (`*.phone.json`: words with ARPAbet phones, begin and
duration in seconds) into provatar's phoneme-timing list — one `milliseconds<TAB>phone` line per
phone, IPA where the quality checks look (/p b m/, open and close vowels), an empty name for
silence — the same layout as espeak-ng's lists made by ../shared/tools/phonetime.c.

    scripts/phones-from-pocketsphinx.py IN.phone.json > OUT.tsv
"""
import json
import sys

IPA = {
    "P": "p", "B": "b", "M": "m", "AA": "ɑ", "AE": "æ", "AO": "ɔ", "AW": "aʊ", "AY": "aɪ",
    "AH": "ʌ", "IY": "i", "IH": "ɪ", "UW": "u", "UH": "ʊ", "EH": "ɛ", "EY": "eɪ", "OW": "oʊ",
    "OY": "ɔɪ", "ER": "ɚ", "F": "f", "V": "v", "TH": "θ", "DH": "ð", "S": "s", "Z": "z",
    "SH": "ʃ", "ZH": "ʒ", "HH": "h", "CH": "tʃ", "JH": "dʒ", "T": "t", "D": "d", "K": "k",
    "G": "ɡ", "N": "n", "NG": "ŋ", "L": "l", "R": "ɹ", "W": "w", "Y": "j",
}


def phones(node):
    if node.get("w"):
        for child in node["w"]:
            yield from phones(child)
    else:
        yield node


doc = json.load(open(sys.argv[1]))
for p in phones(doc):
    name = p["t"]
    label = "" if name in ("SIL", "<sil>", "+NSN+", "+SPN+") or name.startswith("+") else IPA.get(name, name.lower())
    print(f"{round(p['b'] * 1000)}\t{label}")
