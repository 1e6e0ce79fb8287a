"""`push`: the plan is a function of the local versions and the repository's listing. There is no
network here, so the listings are the ones `huggingface_hub` returns (its own `GitRefs`, `RepoFile`
and `RepoFolder`), produced by `Remote`: an in-memory dataset repository that keeps files, commits
and tags the way the Hub does (Parquet in LFS, listed by sha256; small files as git blobs)."""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import pytest
from conftest import run_cli, sentence
from huggingface_hub import CommitOperationAdd, CommitOperationDelete
from huggingface_hub.hf_api import CommitInfo, GitRefInfo, GitRefs, RepoFile, RepoFolder

from corpuspack import DataError, UsageError, load_config, push, release
from corpuspack.errors import HubError
from corpuspack.publish import card, hub
from corpuspack.publish.layout import versions
from corpuspack.pushing import execute, listing

REPO_ID = "acme/news-wire"


class Remote:
    """A Hub dataset repository in memory, answering the `HfApi` calls `push` makes."""

    def __init__(self) -> None:
        self.exists = False
        self.commits: dict[str, dict[str, bytes]] = {}  # commit id -> files
        self.parents: dict[str, str | None] = {}
        self.main: str | None = None
        self.tags: dict[str, str] = {}
        self.calls: list[str] = []

    def create_repo(self, repo_id: str, *, repo_type: str, private: bool | None, exist_ok: bool) -> None:
        assert (repo_id, repo_type) == (REPO_ID, "dataset")
        self.calls.append("create_repo")
        if not self.exists:  # the Hub's first commit holds .gitattributes
            self.exists = True
            self._commit({".gitattributes": b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"}, None)

    def _commit(self, files: dict[str, bytes], parent: str | None) -> str:
        oid = hashlib.sha1(json.dumps([parent, sorted(files), len(self.commits)]).encode()).hexdigest()
        self.commits[oid], self.parents[oid], self.main = files, parent, oid
        return oid

    def list_repo_refs(self, repo_id: str, *, repo_type: str) -> GitRefs:
        from huggingface_hub.errors import RepositoryNotFoundError

        if not self.exists:
            raise RepositoryNotFoundError("404 Client Error: Repository Not Found", response=_response(404))
        branches = [GitRefInfo("main", "refs/heads/main", self.main)] if self.main else []
        tags = [GitRefInfo(t, f"refs/tags/{t}", c) for t, c in sorted(self.tags.items())]
        return GitRefs(branches=branches, converts=[], tags=tags)

    def list_repo_tree(self, repo_id: str, *, recursive: bool, revision: str, repo_type: str) -> list:
        files = self.commits[revision]
        folders = sorted({p.rsplit("/", 1)[0] for p in files if "/" in p})
        entries: list = [RepoFolder(path=f, oid="0" * 40) for f in folders]
        for path, data in sorted(files.items()):
            if path.endswith(".parquet"):  # LFS: the git blob is a pointer; the tree gives the sha256
                pointer = f"oid sha256:{hashlib.sha256(data).hexdigest()}\nsize {len(data)}\n".encode()
                lfs = {"size": len(data), "oid": hashlib.sha256(data).hexdigest(), "pointerSize": len(pointer)}
                entries.append(RepoFile(path=path, size=len(data), oid=_git(pointer), lfs=lfs))
            else:
                entries.append(RepoFile(path=path, size=len(data), oid=_git(data)))
        return entries

    def create_commit(self, repo_id, operations, *, commit_message, repo_type, parent_commit) -> CommitInfo:
        assert parent_commit in (self.main, None), "main moved since the listing"
        files = dict(self.commits[self.main]) if self.main else {}
        for op in operations:
            if isinstance(op, CommitOperationDelete):
                del files[op.path_in_repo]
            else:
                assert isinstance(op, CommitOperationAdd)
                source = op.path_or_fileobj
                files[op.path_in_repo] = source if isinstance(source, bytes) else Path(source).read_bytes()
        oid = self._commit(files, self.main)
        self.calls.append(f"commit {commit_message}")
        return CommitInfo(f"https://huggingface.co/datasets/{repo_id}/commit/{oid}", commit_message, "", oid)

    def create_tag(self, repo_id, *, tag, revision, repo_type, tag_message) -> None:
        assert tag not in self.tags, "a tag is never moved"
        self.tags[tag] = revision
        self.calls.append(f"tag {tag}")

    def checkout(self, revision: str, folder: Path) -> Path:
        """The repository's files at a tag or commit, written to `folder` (what a clone would hold)."""
        for path, data in self.commits[self.tags.get(revision, revision)].items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_bytes(data)
        return folder


def _git(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _response(status: int):
    import httpx2

    return httpx2.Response(status, request=httpx2.Request("GET", "https://huggingface.co/api"))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three released versions: 2 documents, then 3, then 4."""
    root = tmp_path_factory.mktemp("push") / "project"
    (root / "seeds").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.corpuspack]\nlicense = "CC-BY-4.0"\nlanguage = "en"\n')
    for n, version in enumerate(["1.0.0", "1.1.0", "1.2.0"]):
        for i in range(n + 2):
            record = {"id": f"d{i}", "title": "T", "source": "Wire", "date": "2024-01-01", "text": sentence(i)}
            (root / "seeds" / f"d{i}.json").write_text(json.dumps(record))
        release(config=load_config(root), version=version, date=f"2026-0{n + 1}-01", workers=1)
    return root


def local_versions(project: Path) -> list[hub.LocalVersion]:
    config = load_config(project)
    settings = card.CardSettings.from_config(config)
    corpus = config.corpus_dir
    manifests = [json.loads((corpus / v.folder / "manifest.json").read_text()) for v in versions(corpus)]
    return hub.local_versions(corpus, manifests, settings, REPO_ID)


def test_an_absent_repository_gets_every_version_a_commit_and_a_tag_in_order(project: Path):
    local = local_versions(project)
    plan = hub.plan(REPO_ID, local, hub.Listing(None))
    assert plan.create and plan.head is None and not plan.skipped and not plan.conflicts
    assert [c.tag for c in plan.commits] == ["v1.0.0", "v1.1.0", "v1.2.0"]
    first = plan.commits[0]
    assert sorted(f.path for f in first.adds) == sorted(local[0].files) and not first.deletes
    assert {"README.md", "manifest.json", "croissant.json"} <= set(local[0].files)
    assert not any(p.startswith("arrow/") for p in local[0].files)  # the Hub reads the Parquet
    text = plan.text()
    assert text.startswith(f"push to https://huggingface.co/datasets/{REPO_ID}\ncreate the dataset repository\n")
    assert "commit 1 on main: 'v1.0.0 (released 2026-01-01)'\n  upload README.md (" in text
    assert text.index("  tag v1.0.0") < text.index("commit 2 on main") < text.index("  tag v1.2.0")


def test_push_then_again_is_nothing_to_do_and_each_tag_holds_its_version(project: Path, tmp_path: Path):
    remote = Remote()
    dry = push(REPO_ID, config=load_config(project), dry_run=True, api=remote)
    assert not dry.done and remote.calls == [] and [c.tag for c in dry.plan.commits] == ["v1.0.0", "v1.1.0", "v1.2.0"]
    done = push(REPO_ID, config=load_config(project), api=remote)
    assert done.done and len(done.commits) == 3
    assert remote.calls == [
        "create_repo",
        "commit v1.0.0 (released 2026-01-01)",
        "tag v1.0.0",
        "commit v1.1.0 (released 2026-02-01)",
        "tag v1.1.0",
        "commit v1.2.0 (released 2026-03-01)",
        "tag v1.2.0",
    ]
    again = push(REPO_ID, config=load_config(project), dry_run=True, api=remote)
    assert again.plan.empty and again.plan.skipped == ["v1.0.0", "v1.1.0", "v1.2.0"]
    assert again.plan.text().endswith("nothing to do: every version is on the Hub\n")
    assert remote.commits[remote.main] == remote.commits[remote.tags["v1.2.0"]]  # main is the latest

    import datasets
    from huggingface_hub import DatasetCard

    for version, documents in [("v1.0.0", 2), ("v1.1.0", 3)]:
        root = remote.checkout(version, tmp_path / version)  # load_dataset(REPO_ID, revision=version) reads this
        assert sorted(p.name for p in root.iterdir()) == sorted(
            [".gitattributes", "README.md", "croissant.json", "documents", "manifest.json", "paragraphs"]
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            meta = DatasetCard((root / "README.md").read_text()).data
        assert [(c["config_name"], c["data_files"][0]["path"]) for c in meta.configs] == [
            ("documents", "documents/*.parquet"),
            ("paragraphs", "paragraphs/*.parquet"),
        ]
        cache = str(tmp_path / "hf")
        assert datasets.load_dataset(str(root), cache_dir=cache)["train"].num_rows == documents
        paragraphs = datasets.load_dataset(str(root), "paragraphs", cache_dir=cache)["train"]
        assert paragraphs.num_rows == documents
        assert f'load_dataset("{REPO_ID}", "documents", revision="{version}")' in (root / "README.md").read_text()


def test_a_repository_holding_some_versions_gets_the_others(project: Path):
    local = local_versions(project)
    remote = Remote()
    push(REPO_ID, config=load_config(project), api=remote)
    # A repository that has only v1.0.0: replay its history up to the first tag.
    partial = Remote()
    partial.exists = True
    partial.commits, partial.parents = remote.commits, remote.parents
    partial.main = partial.tags["v1.0.0"] = remote.tags["v1.0.0"]
    plan = hub.plan(REPO_ID, local, listing(partial, REPO_ID, {v.tag for v in local}))
    assert not plan.create and plan.head == remote.tags["v1.0.0"] and plan.skipped == ["v1.0.0"]
    assert [c.tag for c in plan.commits] == ["v1.1.0", "v1.2.0"]
    # only what differs from the version before is uploaded; .gitattributes is left alone
    unchanged = {
        p for p, f in local[1].files.items() if local[0].files.get(p, f).sha256 == f.sha256 and p in local[0].files
    }
    assert {f.path for f in plan.commits[0].adds} == set(local[1].files) - unchanged
    assert ".gitattributes" not in plan.commits[0].deletes


def test_stale_files_go_and_a_version_pushed_late_leaves_main_at_the_latest(project: Path):
    local = local_versions(project)
    remote = Remote()
    remote.create_repo(REPO_ID, repo_type="dataset", private=None, exist_ok=True)
    # main holds a shard of another layout, and v1.1.0 and v1.2.0 are tagged, v1.0.0 is not
    for v in local[1:]:
        ops = [CommitOperationAdd(path_in_repo=p, path_or_fileobj=f.source) for p, f in v.files.items()]
        remote.tags[v.tag] = remote.create_commit(
            REPO_ID, ops, commit_message=v.tag, repo_type="dataset", parent_commit=None
        ).oid
    stale = CommitOperationAdd(path_in_repo="documents/train-00001-of-00002.parquet", path_or_fileobj=b"PAR1")
    remote.create_commit(REPO_ID, [stale], commit_message="stale", repo_type="dataset", parent_commit=None)
    plan = hub.plan(REPO_ID, local, listing(remote, REPO_ID, {v.tag for v in local}))
    assert plan.skipped == ["v1.1.0", "v1.2.0"]
    assert [(c.tag, c.deletes) for c in plan.commits] == [
        ("v1.0.0", ("documents/train-00001-of-00002.parquet",)),
        (None, ()),  # main back to v1.2.0
    ]
    assert plan.commits[1].message == "main: v1.2.0 (its files)"
    execute(remote, plan)
    assert remote.commits[remote.main] == remote.commits[remote.tags["v1.2.0"]]
    tree = remote.list_repo_tree(REPO_ID, recursive=True, revision=remote.tags["v1.0.0"], repo_type="dataset")
    assert hub.differences(local[0], tree) == []


def test_a_tag_with_other_files_is_reported_not_moved(project: Path, capsys, monkeypatch):
    remote = Remote()
    push(REPO_ID, config=load_config(project), api=remote)
    tagged = remote.tags["v1.1.0"]
    files = dict(remote.commits[tagged])
    shard = next(p for p in files if p.startswith("paragraphs/"))
    files[shard] = files[shard] + b"edited"
    remote.commits[tagged] = files
    remote.tags["v9.9.9\x1b[31m"] = tagged  # a hostile tag name from the remote
    monkeypatch.setattr("huggingface_hub.HfApi", lambda token=None: remote)
    from corpuspack.cli import main

    assert main(["--root", str(project), "push", REPO_ID, "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert f"v1.1.0: tagged on the Hub with other files than the local version: {shard} differs; left as it is" in out
    assert "tag v9.9.9\\x1b[31m on the Hub is no local version" in out and "\x1b" not in out
    assert out.endswith("nothing pushed: see above\n")
    calls = list(remote.calls)
    assert main(["--root", str(project), "push", REPO_ID]) == 1 and remote.calls == calls  # nothing sent


def test_an_interrupted_push_tags_what_main_holds(project: Path):
    local = local_versions(project)
    remote = Remote()
    push(REPO_ID, config=load_config(project), api=remote)
    del remote.tags["v1.2.0"]  # the commit went through, the tag did not
    plan = hub.plan(REPO_ID, local, listing(remote, REPO_ID, {v.tag for v in local}))
    assert [(c.tag, c.adds, c.deletes) for c in plan.commits] == [("v1.2.0", (), ())]
    assert "tag v1.2.0: main already holds its files" in plan.text()
    push(REPO_ID, config=load_config(project), api=remote)
    assert remote.tags["v1.2.0"] == remote.main and remote.calls[-1] == "tag v1.2.0"


def test_a_changed_card_updates_main_only(project: Path):
    remote = Remote()
    push(REPO_ID, config=load_config(project), api=remote)
    notes = project / "corpus" / "CARD.md"
    notes.write_text("## Curation Rationale\n\nA wire.\n")
    try:
        plan = push(REPO_ID, config=load_config(project), dry_run=True, api=remote).plan
    finally:
        notes.unlink()
    assert [(c.message, [f.path for f in c.adds], c.tag) for c in plan.commits] == [
        ("main: v1.2.0 (its card)", ["README.md"], None)
    ]


def test_push_refuses_bad_input(project: Path, tmp_path: Path):
    remote = Remote()
    with pytest.raises(UsageError, match="give a Hub dataset repo id"):
        push(config=load_config(project), api=remote)
    with pytest.raises(UsageError, match="not a Hub repo id"):
        push("no-owner", config=load_config(project), api=remote)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UsageError, match="no released version"):
        push(REPO_ID, config=load_config(empty), api=remote)
    assert "not a Hub repo id" in run_cli("push", "a/b/c", "--dry-run", cwd=project, check=2).stderr


def test_push_refuses_a_damaged_version(project: Path, tmp_path: Path):
    import shutil

    copy = tmp_path / "project"
    shutil.copytree(project, copy)
    shard = next((copy / "corpus" / "v1.0.0" / "documents").glob("*.parquet"))
    shard.write_bytes(shard.read_bytes() + b"x")
    remote = Remote()
    with pytest.raises(DataError, match="nothing was pushed"):
        push(REPO_ID, config=load_config(copy), api=remote)
    assert remote.calls == []


def test_a_newer_version_on_the_hub_stops_the_push(project: Path):
    local = local_versions(project)
    remote = Remote()
    push(REPO_ID, config=load_config(project), api=remote)
    remote.tags["v2.0.0"] = remote.main  # released from elsewhere
    del remote.tags["v1.2.0"]
    plan = hub.plan(REPO_ID, local, listing(remote, REPO_ID, {v.tag for v in local}))
    assert plan.commits == [] and plan.others == ["v2.0.0"]
    assert "the Hub holds v2.0.0, newer than the latest local version v1.2.0" in plan.text()


def test_a_hub_out_of_reach_is_a_clear_error(project: Path):
    """The real client (HF_HUB_OFFLINE is set for the tests): an error naming the repo, no traceback."""
    done = run_cli("push", REPO_ID, "--dry-run", cwd=project, check=1)
    assert (
        done.stderr.startswith(f"corpuspack: error: {REPO_ID}: cannot reach the Hub ") and "offline mode" in done.stderr
    )


def test_a_hub_that_refuses_is_told_from_one_out_of_reach(project: Path):
    """An HTTP answer (403) is the Hub refusing, not a network problem."""
    from huggingface_hub.errors import HfHubHTTPError

    class Refusing:
        def __getattr__(self, name: str):
            def refuse(*args, **kwargs):
                raise HfHubHTTPError("403 Forbidden: no access", response=_response(403))

            return refuse

    with pytest.raises(HubError, match=rf"^{REPO_ID}: the Hub refused the request: 403 Forbidden"):
        push(REPO_ID, config=load_config(project), dry_run=True, api=Refusing())


def test_an_answer_the_client_cannot_read_is_a_hub_error(project: Path):
    """An endpoint answering 200 with other JSON: huggingface_hub raises a KeyError reading it."""

    class Odd:
        def list_repo_refs(self, *args, **kwargs):
            raise KeyError("branches")

    with pytest.raises(HubError, match=rf"^{REPO_ID}: the Hub's answer is not what its API returns \(KeyError"):
        push(REPO_ID, config=load_config(project), dry_run=True, api=Odd())
