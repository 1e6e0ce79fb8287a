"""`push`: the released versions to a Hugging Face Hub dataset repository, one commit and one tag per
version. The plan is `publish.hub.plan`, a pure function; this module only lists the repository and
carries the plan out through `huggingface_hub`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import HUB_REPO, Config, load_config
from .errors import DataError, HubError, UsageError
from .printable import printable
from .publish import card, hub, manifest
from .publish.layout import versions
from .verifying import verify


@dataclass
class PushResult:
    plan: hub.Plan
    done: bool  # False: a dry run, nothing was sent
    commits: list[str] = field(default_factory=list)  # ids of the commits made


def push(
    repo_id: str | None = None,
    *,
    config: Config | None = None,
    dry_run: bool = False,
    private: bool = False,
    token: str | None = None,
    api: Any = None,
) -> PushResult:
    """Publish every released version to the Hub dataset repo `repo_id` (default: `hub_repo` from
    the configuration) and tag it `vX.Y.Z`; versions already tagged are skipped, a tag whose files
    differ is reported (`plan.conflicts`), never moved. `dry_run` only lists the repository.
    `token` defaults to huggingface_hub's (`HF_TOKEN`, or `hf auth login`); `api` is an `HfApi`."""
    config = config or load_config()
    repo_id = repo_id or config.hub_repo
    if not repo_id:
        raise UsageError("push: give a Hub dataset repo id (owner/name), or set hub_repo in [tool.corpuspack]")
    if not HUB_REPO.fullmatch(repo_id):
        raise UsageError(f"push: {printable(repr(repo_id), 100)} is not a Hub repo id owner/name")
    corpus = config.corpus_dir
    known = versions(corpus)
    if not known:
        raise UsageError(f"{corpus}: no released version to push")
    checked = verify(config=config)
    if not checked.ok:
        shown = "\n".join(f"  {p}" for p in checked.problems[:20])
        raise DataError(f"released versions are damaged; nothing was pushed:\n{shown}")
    settings = card.CardSettings.from_config(config)
    manifests = [manifest.read(corpus / v.folder) for v in known]
    local = hub.local_versions(corpus, manifests, settings, repo_id)
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    try:
        plan = hub.plan(repo_id, local, listing(api, repo_id, {v.tag for v in local}))
        made = [] if dry_run else execute(api, plan, private)
    except _network_errors() as exc:
        raise HubError(f"{repo_id}: {_hub_problem(exc)}") from None
    except (KeyError, TypeError, AttributeError) as exc:  # the client could not make sense of the answer
        said = printable(f"{type(exc).__name__}: {exc}", 300)
        raise HubError(f"{repo_id}: the Hub's answer is not what its API returns ({said}); nothing more sent") from None
    return PushResult(plan, not dry_run, made)


def listing(api: Any, repo_id: str, tags: set[str]) -> hub.Listing:
    """The refs of the repository, and the trees of `main` and of the tags in `tags`."""
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    try:
        refs = api.list_repo_refs(repo_id, repo_type="dataset")
    except RepositoryNotFoundError as exc:
        if isinstance(exc, GatedRepoError):  # it exists
            raise
        return hub.Listing(None)
    wanted = {b.name: b.target_commit for b in refs.branches if b.name == "main"}
    wanted |= {t.name: t.target_commit for t in refs.tags if t.name in tags}
    trees = {
        name: list(api.list_repo_tree(repo_id, recursive=True, revision=commit, repo_type="dataset"))
        for name, commit in wanted.items()
    }
    return hub.Listing(refs, trees)


def execute(api: Any, plan: hub.Plan, private: bool = False) -> list[str]:
    """Make the plan's commits and tags; each commit names its parent, so a `main` that moved since
    the listing fails the push instead of being overwritten. Returns the commit ids."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    if plan.create:
        api.create_repo(plan.repo_id, repo_type="dataset", private=private or None, exist_ok=True)
    head, made = plan.head, []
    for commit in plan.commits:
        if commit.adds or commit.deletes:
            operations: list[Any] = [CommitOperationDelete(path_in_repo=p) for p in commit.deletes]
            operations += [
                CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=_source(f.source)) for f in commit.adds
            ]
            info = api.create_commit(
                plan.repo_id,
                operations,
                commit_message=commit.message,
                repo_type="dataset",
                parent_commit=head,
            )
            head = info.oid
            made.append(head)
        if commit.tag:
            api.create_tag(plan.repo_id, tag=commit.tag, revision=head, repo_type="dataset", tag_message=commit.message)
    return made


def _source(source: Path | bytes) -> str | bytes:
    return str(source) if isinstance(source, Path) else source


def _hub_problem(exc: BaseException) -> str:
    """What went wrong, said plainly: the Hub answered and refused, or it could not be reached (a
    dry run reads the repository too, so it needs the network as well)."""
    from huggingface_hub.errors import HfHubHTTPError

    said = printable(str(exc), 500)
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        return f"the Hub refused the request: {said}"
    return f"cannot reach the Hub (push, and push --dry-run, read the repository over the network): {said}"


def _network_errors() -> tuple[type[BaseException], ...]:
    """What the Hub client raises for a refusal or a failed connection: `HfHubHTTPError` and
    `OfflineModeIsEnabled` are OSErrors; transport errors derive from its HTTP library's base."""
    from huggingface_hub.errors import HfHubHTTPError

    return (OSError, *HfHubHTTPError.__bases__)
