"""A small WordPiece vocabulary laid out like Chinese-CLIP's (bert-base-chinese's vocab.txt), for random-init
packages where no checkpoint (and no hub) is at hand.

Same special ids as the real vocabulary ([PAD] 0, [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103), single CJK
characters as whole tokens (the BERT normalizer puts spaces around each one), ASCII and full-width punctuation,
digits, a few hundred frequent characters and English words with their ## continuations. It is not the real
vocabulary — ids differ from a checkpoint's — but it tokenizes with the same rules (normalizer, pre-tokenizer,
WordPiece, [CLS] … [SEP]), so the library's tokenizer is tested on the same kind of tokenizer.json.
"""

from __future__ import annotations

import os

SPECIALS = {"[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102, "[MASK]": 103}

# Frequent characters of written Chinese (and those of the test prompts); deliberately not every character, so
# the references include [UNK] for the ones left out.
COMMON_CHARACTERS = (
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心"
    "多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将"
    "外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重"
    "被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比"
    "住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京"
    "务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功"
    "指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求"
    "品士转量空甚众技轻程告江语英基派满式李息写呢识极令黑土装猫狗汽脸只鸟树草云桌椅杯瓶左右蓝绿黄灰棕紫橙粉"
)

ENGLISH_WORDS = (
    "a an the of on in at to and or with left right top bottom red blue green black white yellow car cat dog "
    "face sky tree person man woman bird cup bottle chair table road house window door small big"
).split()
ENGLISH_PIECES = ["##s", "##es", "##ed", "##ing", "##er", "##ly", "##a", "##e", "##i", "##o", "##u", "##n", "##t",
                  "##r", "##l", "##y"]
ASCII = [chr(c) for c in range(33, 127) if not chr(c).isupper()]
FULL_WIDTH = list("，。！？、；：“”‘’（）《》【】…—·")


def chinese_vocab() -> list[str]:
    """The tokens in id order (the line order of vocab.txt)."""
    tokens: list[str] = ["[PAD]"] + [f"[unused{i}]" for i in range(1, 100)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    seen = set(tokens)
    for token in ASCII + FULL_WIDTH + ENGLISH_WORDS + ENGLISH_PIECES + list(COMMON_CHARACTERS):
        if token not in seen:
            seen.add(token)
            tokens.append(token)
    assert all(tokens[i] == t for t, i in SPECIALS.items())
    return tokens


def write_chinese_vocab(path: str) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(f"{t}\n" for t in chinese_vocab()))
    return path
