"""Secret scanner over the git history (R-SDLC-2 "secrets in code"): ``python -m qaryz.assurance.secret_scan OUT``.

Every line ever added on the current branch (``git log -p HEAD``) goes through detect-secrets'
pattern plugins (private keys, cloud and SaaS tokens, JWTs, credentials in URLs, secret keywords
with a literal value). A secret removed in a later commit is still found: it stays in the history.
The entropy plugins are not used: on this code base they flag every hash of the lock file and
most identifiers (thousands of findings, minutes of run time), which buries a real finding.

Gate: a finding fails it (exit 1) unless
- it is listed in ``data/secrets-allowlist.toml`` by path, detector and the SHA-1 of the value
  (never the value itself) – the published demo credentials, the embedded simulators' fixed keys;
- or it is a *keyword or URL credential inside a test file* (``*/tests/*``, ``conftest.py``):
  a literal password in a test is a test password by construction, and failing CI on every new
  one would make the gate noise. Such findings are still listed in the report. A token-shaped
  secret (private key, cloud or SaaS token, JWT) fails the gate in test files too.
A line carrying ``pragma: allowlist secret`` (detect-secrets' own marker) is skipped.
Reports: ``secret-scan.json`` and ``secret-scan.md`` in OUT.
"""

from __future__ import annotations

import json
import re

# git runs with a fixed argument list and no shell.
import subprocess  # nosec B404
import sys
import tomllib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path

PLUGINS = (
    "AWSKeyDetector",
    "ArtifactoryDetector",
    "AzureStorageKeyDetector",
    "BasicAuthDetector",
    "CloudantDetector",
    "DiscordBotTokenDetector",
    "GitHubTokenDetector",
    "GitLabTokenDetector",
    "IbmCloudIamDetector",
    "IbmCosHmacDetector",
    "JwtTokenDetector",
    "KeywordDetector",
    "MailchimpDetector",
    "NpmDetector",
    "OpenAIDetector",
    "PrivateKeyDetector",
    "PypiTokenDetector",
    "SendGridDetector",
    "SlackDetector",
    "SoftlayerDetector",
    "SquareOAuthDetector",
    "StripeDetector",
    "TelegramBotTokenDetector",
    "TwilioKeyDetector",
)
# A cheap pre-filter: only lines with one of the triggers of the plugins above are handed to
# detect-secrets (a twentieth of the lines; 5 s instead of 30 s on this history).
TRIGGERS = re.compile(
    r"(?i)(key|secret|pass|pwd|token|auth|cred|api|private|begin|akia|asia|xox|gh[pousr]_|glpat|"
    r"sk_|rk_|eyj|://|sg\.|npm_|pypi-|bot|sq0|hmac|ibm|softlayer|cloudant|artifactory|"
    r"-us\d|\bAC[a-z0-9]{32}|\bSK[0-9a-f]{32}|\d{8,10}:[\w-]{35}|[MN][A-Za-z\d]{23}\.)"
)
# Generated reports quote code (bandit's own findings) and are scanned where the code is; the
# allowlist holds only hashes ("hashed_secret = …" looks like a keyword secret).
SKIP_PATHS = ("security-reports/*", "var/*", "qaryz/assurance/data/secrets-allowlist.toml")
ALLOWLIST = Path(__file__).parent / "data" / "secrets-allowlist.toml"
TEST_PATHS = ("*/tests/*", "conftest.py", "*/conftest.py")
# Detectors whose findings in a test file are reported without failing the gate.
SOFT_IN_TESTS = {"Secret Keyword", "Basic Auth Credentials"}


def is_test_path(path: str) -> bool:
    return any(fnmatch(path, pattern) for pattern in TEST_PATHS)


@dataclass(frozen=True)
class Finding:
    path: str
    type: str
    hashed_secret: str
    commit: str
    line: int

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.path, self.type, self.hashed_secret)


def added_lines(diff: str) -> list[tuple[str, str, int, str]]:
    """(commit, path, line number in the new file, text) of every added line of ``git log -p``."""
    lines: list[tuple[str, str, int, str]] = []
    commit, path, number = "", None, 0
    hunk = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
    for line in diff.splitlines():
        if line.startswith("commit "):
            commit, path = line.split()[1], None
        elif line.startswith("+++ "):
            path = line[6:] if line.startswith("+++ b/") else None
        elif line.startswith("@@"):
            match = hunk.match(line)
            number = int(match.group(1)) if match else 0
        elif line.startswith("+") and path is not None:
            lines.append((commit, path, number, line[1:]))
            number += 1
    return lines


def git_history(repo: Path, rev: str = "HEAD") -> str:
    # git from PATH, as every developer tool here; fixed arguments, no shell.
    command = ["git", "-C", str(repo), "log", *rev.split(), "-p", "--no-color", "--unified=0", "--no-renames"]
    command.append("--format=commit %H")
    completed = subprocess.run(  # noqa: S603  # nosec B603
        command,
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout


def scan(lines: list[tuple[str, str, int, str]]) -> list[Finding]:
    """Findings of the pattern plugins in the added lines, one per (path, type, secret)."""
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import transient_settings

    found: dict[tuple[str, str, str], Finding] = {}
    with transient_settings({"plugins_used": [{"name": name} for name in PLUGINS]}):
        for commit, path, number, text in lines:
            if any(fnmatch(path, pattern) for pattern in SKIP_PATHS) or not TRIGGERS.search(text):
                continue
            if "pragma: allowlist secret" in text:
                continue
            for secret in scan_line(text):
                finding = Finding(path, secret.type, secret.secret_hash, commit, number)
                # the oldest commit that added it is the one to look at: git log lists newest first
                found[finding.key] = finding
    return sorted(found.values(), key=lambda f: f.key)


def load_allowlist(text: str) -> dict[tuple[str, str, str], str]:
    """``[[allow]]`` entries: path (glob), type, hashed_secret, reason → key → reason."""
    allowed: dict[tuple[str, str, str], str] = {}
    for entry in tomllib.loads(text).get("allow", []):
        missing = [k for k in ("path", "type", "hashed_secret", "reason") if not entry.get(k)]
        if missing:
            raise ValueError(f"allowlist entry {entry} lacks {', '.join(missing)}")
        allowed[(entry["path"], entry["type"], entry["hashed_secret"])] = entry["reason"]
    return allowed


def allowed_reason(finding: Finding, allowlist: dict[tuple[str, str, str], str]) -> str | None:
    for (path, kind, hashed), reason in allowlist.items():
        if kind == finding.type and hashed == finding.hashed_secret and fnmatch(finding.path, path):
            return reason
    if finding.type in SOFT_IN_TESTS and is_test_path(finding.path):
        return "literal credential in a test file (test data; not gating)"
    return None


def render_markdown(new: list[Finding], allowed: list[tuple[Finding, str]], lines_scanned: int) -> str:
    out = [
        "# Secret scan of the git history",
        "",
        f"Generated {datetime.now(UTC).isoformat(timespec='seconds')}: every line added on the branch's history,",
        f"detect-secrets pattern plugins ({len(PLUGINS)}); {lines_scanned} added lines.",
        "",
        f"- **findings not on the allowlist (gate fails)**: {len(new)}",
        f"- allowlisted (published test or demo values): {len(allowed)}",
        "",
    ]
    if new:
        out += ["## Findings", ""]
        out += [
            f"- {f.path}:{f.line} ({f.type}) in commit {f.commit[:12]}, sha1 {f.hashed_secret}" for f in new
        ]
        out.append("")
    if allowed:
        out += ["## Allowlisted", ""]
        out += [f"- {f.path} ({f.type}): {reason}" for f, reason in allowed]
        out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1])
    repo = Path(argv[2]) if len(argv) > 2 else Path.cwd()
    allowlist_path = Path(argv[3]) if len(argv) > 3 else ALLOWLIST
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = added_lines(git_history(repo))
    findings = scan(lines)
    allowlist = load_allowlist(allowlist_path.read_text(encoding="utf-8"))
    new, allowed = [], []
    for finding in findings:
        reason = allowed_reason(finding, allowlist)
        if reason is None:
            new.append(finding)
        else:
            allowed.append((finding, reason))
    lines_scanned = len(lines)
    (out_dir / "secret-scan.json").write_text(
        json.dumps(
            {
                "findings": [asdict(f) for f in new],
                "allowlisted": [{**asdict(f), "reason": r} for f, r in allowed],
                "lines_scanned": lines_scanned,
            },
            indent=2,
        )
    )
    markdown = render_markdown(new, allowed, lines_scanned)
    (out_dir / "secret-scan.md").write_text(markdown)
    print(markdown.split("\n## ")[0])
    if new:
        print(markdown.split("## Findings", 1)[1].split("\n## ")[0])
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
