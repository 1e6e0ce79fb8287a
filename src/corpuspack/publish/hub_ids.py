"""Licences and languages as the Hugging Face Hub spells them in a card's metadata.

Documents carry SPDX ids (`CC-BY-SA-4.0`, `GPL-3.0-only`) and BCP 47 tags (`en-GB`); the Hub takes
ids from its own list (https://huggingface.co/docs/hub/repositories-licenses), `other` with a
`license_name` for the rest, and ISO 639 language codes."""

from __future__ import annotations

import re
from typing import Any

# The Hub's licence identifiers (hub-docs, repositories-licenses.md).
HUB_LICENSES = frozenset(
    """apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0
    bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc
    cc0-1.0 cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0
    cc-by-nc-4.0 cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0
    cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1
    agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc lppl-1.3c ms-pl mpl-2.0 odc-by odbl openrail++
    osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl lgpl-lr deepfloyd-if-license llama2 gemma unknown
    other""".split()  # noqa: SIM905 (a list literal of 70 strings reads worse)
)
# SPDX ids the Hub spells otherwise (the Open Data Commons licences by family, without a version).
_SPDX_ALIASES = {"odbl-1.0": "odbl", "odc-by-1.0": "odc-by", "pddl-1.0": "pddl", "noassertion": "unknown"}
_GNU_SUFFIX = re.compile(r"-(?:only|or-later)$|\+$")


def hub_license(spdx: str) -> str:
    """The Hub's id for an SPDX licence id: `CC-BY-4.0` -> `cc-by-4.0`, `GPL-3.0-or-later` ->
    `gpl-3.0`, `GFDL-1.3-only` -> `gfdl`; `other` for a licence the Hub does not list."""
    low = spdx.strip().lower()
    if low in HUB_LICENSES:
        return low
    if low in _SPDX_ALIASES:
        return _SPDX_ALIASES[low]
    base = _GNU_SUFFIX.sub("", low)
    if base in HUB_LICENSES:
        return base
    if base.startswith("gfdl-"):
        return "gfdl"
    return "other"


def license_metadata(spdx_ids: list[str]) -> dict[str, Any]:
    """The card's `license` (one id, or a sorted list when mixed) and, when exactly one licence has no
    Hub id, the `license_name` and `license_link` the Hub asks for with `license: other`."""
    ids = sorted({hub_license(x) for x in spdx_ids}) or ["unknown"]
    meta: dict[str, Any] = {"license": ids if len(ids) > 1 else ids[0]}
    unlisted = sorted({x for x in spdx_ids if hub_license(x) == "other" and x.lower() != "other"})
    if len(unlisted) == 1:
        meta["license_name"] = unlisted[0].lower()
        if not unlisted[0].lower().startswith("licenseref-"):
            meta["license_link"] = f"https://spdx.org/licenses/{unlisted[0]}.html"
    return meta


def hub_language(tag: str) -> str | None:
    """The ISO 639 code of a BCP 47 tag (`en-GB` -> `en`, `zh-Hant` -> `zh`); None for `unknown`,
    `und` or anything that is no language code."""
    primary = tag.strip().split("-")[0].lower()
    if primary in ("und", "zxx", "mul") or not re.fullmatch(r"[a-z]{2,3}", primary):
        return None
    return primary
