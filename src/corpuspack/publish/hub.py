"""`push`'s plan: the commits and tags that make a Hugging Face Hub dataset repository hold every
released version, computed from the local versions and the repository's listing alone.

On the Hub a version is a tag: at `v1.1.0` the repository's root holds that version's tables
(`documents/*.parquet`, `paragraphs/*.parquet`, the configs `documents` and `paragraphs` of its card
`README.md`), its `manifest.json` and `croissant.json`; `main` holds the latest version. Versions are
committed to `main` one commit each, in version order, and tagged. A version already tagged is
skipped, or reported when its files differ from the local manifest; a tag is never moved."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..containment import join_inside
from ..errors import UsageError
from ..printable import printable
from . import card, manifest
from .layout import Version

if TYPE_CHECKING:
    from huggingface_hub.hf_api import GitRefs, RepoFile, RepoFolder

TABLE_DIRS = ("documents/", "paragraphs/")
# The Hub keeps files of 10 MB and more in LFS/Xet storage, where the tree lists their sha256; below
# that a file may be a plain git blob, listed by its git id, so only those are hashed as git blobs.
GIT_OID_LIMIT = 10 * 1000 * 1000


@dataclass(frozen=True)
class LocalFile:
    path: str  # in the repository
    size: int
    sha256: str
    git_oid: str | None  # the git blob id; None above GIT_OID_LIMIT
    source: Path | bytes  # what is uploaded


@dataclass(frozen=True)
class LocalVersion:
    version: Version
    release_date: str
    files: Mapping[str, LocalFile]  # by path in the repository

    @property
    def tag(self) -> str:
        return f"v{self.version}"


@dataclass(frozen=True)
class Listing:
    """The repository as `huggingface_hub` lists it: `list_repo_refs` (None: no such repository) and
    `list_repo_tree(recursive=True)` of `main` and of each tag named like a local version."""

    refs: GitRefs | None
    trees: Mapping[str, Sequence[RepoFile | RepoFolder]] = field(default_factory=dict)


@dataclass(frozen=True)
class Commit:
    """One commit on `main` (none when `adds` and `deletes` are empty: `tag` names `main` as it is)."""

    message: str
    adds: tuple[LocalFile, ...]
    deletes: tuple[str, ...]
    tag: str | None


@dataclass
class Plan:
    repo_id: str
    create: bool  # the repository does not exist yet
    head: str | None  # the commit of `main` the first commit builds on
    commits: list[Commit] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # versions tagged with the same files
    conflicts: list[str] = field(default_factory=list)  # tags whose files differ from the local version
    others: list[str] = field(default_factory=list)  # tags on the Hub that are no local version

    @property
    def empty(self) -> bool:
        return not self.create and not self.commits

    def text(self) -> str:
        """The plan as `push --dry-run` prints it (every remote name escaped)."""
        lines = [f"push to https://huggingface.co/datasets/{self.repo_id}"]
        if self.create:
            lines.append("create the dataset repository")
        lines += [f"{v}: tagged on the Hub with the same files; skipped" for v in self.skipped]
        lines += [f"{printable(c)}; left as it is" for c in self.conflicts]
        lines += [f"tag {printable(t, 100)} on the Hub is no local version; left as it is" for t in self.others]
        for n, c in enumerate(self.commits, 1):
            if not c.adds and not c.deletes:
                lines.append(f"tag {c.tag}: main already holds its files")
                continue
            lines.append(f"commit {n} on main: {c.message!r}")
            lines += [f"  upload {f.path} ({f.size:,} bytes, sha256 {f.sha256[:12]})" for f in c.adds]
            lines += [f"  delete {printable(p, 200)}" for p in c.deletes]
            if c.tag:
                lines.append(f"  tag {c.tag}")
        if self.empty:
            done = "nothing to do: every version is on the Hub"
            lines.append("nothing pushed: see above" if self.conflicts else done)
        return "\n".join(lines) + "\n"


def local_versions(
    corpus: Path, manifests: list[dict[str, Any]], settings: card.CardSettings, repo_id: str
) -> list[LocalVersion]:
    """What each version's tag holds (`manifests` oldest first): its outputs but `arrow/` (the Hub
    reads the Parquet), its manifest, and its card."""
    out = []
    for body, readme in zip(manifests, card.hub_cards(manifests, corpus, settings, repo_id), strict=True):
        folder = corpus / f"v{body['version']}"
        files = {}
        for rel in [o["path"] for o in body["outputs"] if not o["path"].startswith("arrow/")] + [manifest.NAME]:
            path = join_inside(folder, rel)
            files[rel] = _facts(rel, path, path.read_bytes() if path.stat().st_size < GIT_OID_LIMIT else None)
        files[card.NAME] = _facts(card.NAME, readme.encode(), readme.encode())
        out.append(LocalVersion(Version.parse(body["version"]), body["release_date"], files))
    return out


def _facts(rel: str, source: Path | bytes, data: bytes | None) -> LocalFile:
    if data is None:  # large: hashed in blocks, never as a git blob
        assert isinstance(source, Path)
        digest = hashlib.sha256()
        with source.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        return LocalFile(rel, source.stat().st_size, digest.hexdigest(), None, source)
    git = hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
    return LocalFile(rel, len(data), hashlib.sha256(data).hexdigest(), git, source)


def _same(remote: RepoFile | LocalFile, local: LocalFile) -> bool:
    if isinstance(remote, LocalFile):
        return remote.sha256 == local.sha256
    if remote.lfs is not None:
        return remote.lfs.sha256 == local.sha256
    return local.git_oid is not None and remote.blob_id == local.git_oid


def _files(tree: Sequence[Any]) -> dict[str, Any]:
    return {entry.path: entry for entry in tree if hasattr(entry, "blob_id")}  # RepoFile, not RepoFolder


Changes = tuple[tuple[LocalFile, ...], tuple[str, ...]]  # files to upload, paths to delete


def _changes(current: Mapping[str, Any], target: Mapping[str, LocalFile]) -> Changes:
    """What turns `current` into `target`: files to upload, and table files to delete (a file of
    the user's elsewhere, `.gitattributes` say, is left alone)."""
    deletes = tuple(sorted(p for p in current if p.startswith(TABLE_DIRS) and p not in target))
    adds = tuple(f for p, f in sorted(target.items()) if p not in current or not _same(current[p], f))
    return adds, deletes


def differences(local: LocalVersion, tree: Sequence[Any]) -> list[str]:
    """How a tag's files differ from the local version (its card aside, which may be reworded)."""
    remote = _files(tree)
    out = []
    for rel, f in sorted(local.files.items()):
        if rel == card.NAME:
            continue
        if rel not in remote:
            out.append(f"{rel} missing")
        elif not _same(remote[rel], f):
            out.append(f"{rel} differs")
    extra = [p for p in sorted(remote) if p.startswith(TABLE_DIRS) and p not in local.files]
    out += [f"{printable(p, 200)} is no file of it" for p in extra]
    return out


def plan(repo_id: str, local: Sequence[LocalVersion], listing: Listing) -> Plan:
    """The plan for `local` (oldest first) against `listing`: a pure function of the two."""
    refs = listing.refs
    tags = {t.name: t.target_commit for t in refs.tags} if refs else {}
    main = next((b.target_commit for b in refs.branches if b.name == "main"), None) if refs else None
    result = Plan(repo_id, create=refs is None, head=main)
    state: dict[str, Any] = _files(listing.trees.get("main", ())) if main else {}
    conflicted = set()
    for v in local:
        if v.tag in tags:
            if v.tag not in listing.trees:
                result.conflicts.append(f"{v.tag}: tagged on the Hub, but its files were not listed")
                conflicted.add(v.tag)
            elif problems := differences(v, listing.trees[v.tag]):
                shown = ", ".join(problems[:5]) + (f" and {len(problems) - 5} more" if len(problems) > 5 else "")
                result.conflicts.append(f"{v.tag}: tagged on the Hub with other files than the local version: {shown}")
                conflicted.add(v.tag)
            else:
                result.skipped.append(v.tag)
            continue
        adds, deletes = _changes(state, v.files)
        result.commits.append(Commit(f"{v.tag} (released {v.release_date})", adds, deletes, v.tag))
        state = {p: e for p, e in state.items() if p not in deletes} | {f.path: f for f in adds}
    known = {v.tag for v in local}
    result.others = sorted(t for t in tags if t not in known)
    newer = [t for t in result.others if local and _version(t) is not None and _version(t) > local[-1].version]
    if newer:  # someone released past us: moving main back to our latest would hide their version
        result.conflicts.append(
            f"the Hub holds {printable(', '.join(newer), 200)}, newer than the latest local version "
            f"{local[-1].tag}; nothing is pushed until that version is here too"
        )
        result.commits = []
        return result
    # `main` ends with the latest version (after an older version committed late, or a card reworded).
    if local and local[-1].tag not in conflicted:
        adds, deletes = _changes(state, local[-1].files)
        if adds or deletes:
            what = "its card" if [f.path for f in adds] == [card.NAME] and not deletes else "its files"
            result.commits.append(Commit(f"main: {local[-1].tag} ({what})", adds, deletes, None))
    return result


def _version(tag: str) -> Version | None:
    try:
        return Version.parse(tag)
    except UsageError:
        return None
