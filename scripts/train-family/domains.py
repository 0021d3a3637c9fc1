"""The four text domains, read from files that every Debian system with python3 has, and their fixed split.

Each domain is a list of files (sorted paths, duplicates by content dropped). A file belongs to exactly one
split, decided by the sha256 of "<domain>/<path>": held-out (bucket 0 of 8), dev (bucket 1) or train; so adding
or removing a file elsewhere never moves another file between splits. Only the head of each file is used (cut at
a line end), so that a few long files cannot dominate a domain. The files actually used and their sha256 go to
manifest.tsv; with --manifest the script reads exactly those files and refuses any whose content differs."""
import glob
import gzip
import hashlib
import os
import re
import subprocess

# Where each domain lives. Only files that dpkg says belong to a package of Priority required or important, or to
# python3 and the packages of its standard library (python3.X, python3.X-minimal, libpython3.X-stdlib, ...), are
# used: what a minimal Debian with python3 has (on this machine many more packages are installed).
DOMAINS = {
    "python": {"what": "Python standard-library source (/usr/lib/python3.X of python3.X-minimal and libpython3.X-stdlib)", "head": 16384},
    "perl": {"what": "Perl modules (*.pm) of required/important packages: perl-base, debconf", "head": 16384},
    "licenses": {"what": "License texts: /usr/share/common-licenses/* and /usr/share/doc/PKG/copyright of required/important packages", "head": 8192},
    "changelog": {"what": "Debian changelogs /usr/share/doc/PKG/changelog.Debian.gz (decompressed) of required/important packages",
                  "head": 32768, "eval_head": 8192},
}
_PYTHON_PACKAGE = re.compile(r"^(lib)?python3(\.[0-9]+)?(-minimal|-stdlib)?$")


def minimal_files():
    """Paths dpkg lists for the packages of a minimal Debian with python3 (see above)."""
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Priority}\n"], capture_output=True, text=True, check=True).stdout
    files = set()
    for line in out.splitlines():
        name, priority = line.split("\t")
        if priority in ("required", "important") or _PYTHON_PACKAGE.match(name):
            for lst in glob.glob(f"/var/lib/dpkg/info/{name}.list") + glob.glob(f"/var/lib/dpkg/info/{name}:*.list"):
                with open(lst) as f:
                    files.update(line.rstrip("\n") for line in f)
    return files


def _python_files():
    versions = sorted(glob.glob("/usr/lib/python3.[0-9]*/"), key=lambda p: [int(x) for x in p.rstrip("/").split("python")[1].split(".")])
    if not versions:
        return []
    root = versions[-1]
    skip = ("site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__", "config-")
    out = []
    for path in glob.glob(root + "**/*.py", recursive=True):
        parts = os.path.relpath(path, root).split(os.sep)
        if any(p in skip or p.startswith("config-") or p.startswith("_sysconfigdata") for p in parts):
            continue
        out.append(path)
    return out


def candidates(domain):
    if domain == "python":
        files = _python_files()
    elif domain == "perl":
        files = [f for f in minimal_files() if f.endswith(".pm")]
    elif domain == "licenses":
        files = glob.glob("/usr/share/common-licenses/*") + glob.glob("/usr/share/doc/*/copyright")
    elif domain == "changelog":
        files = glob.glob("/usr/share/doc/*/changelog.Debian.gz")
    else:
        raise ValueError(domain)
    allowed = minimal_files()
    return sorted(f for f in files if f in allowed and os.path.isfile(f) and not os.path.islink(f))


def file_sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def split_of(domain, path):
    bucket = int(hashlib.sha256(f"{domain}/{path}".encode()).hexdigest(), 16) % 8
    return "heldout" if bucket == 0 else "dev" if bucket == 1 else "train"


# Held-out and dev text takes a shorter head of more files, so that it samples a domain rather than one file.
EVAL_HEAD = 4096


def read_text(domain, path, split):
    """The head of a file as text, or None when it is not UTF-8 or is empty after cutting."""
    with open(path, "rb") as f:
        raw = f.read()
    if path.endswith(".gz"):
        raw = gzip.decompress(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    text = text.replace("\r\n", "\n")
    head = DOMAINS[domain]["head"] if split == "train" else DOMAINS[domain].get("eval_head", EVAL_HEAD)
    if len(text) > head:
        cut = text.rfind("\n", 0, head)
        text = text[: cut + 1] if cut > 0 else text[:head]
    return text if text.strip() else None


def collect(budgets, manifest=None):
    """{domain: {split: [(path, sha256, text)]}}, each split filled in hash order up to its byte budget.

    budgets: {split: bytes}. With manifest (rows of domain, split, sha256, path) exactly those files are read."""
    out = {d: {"train": [], "dev": [], "heldout": []} for d in DOMAINS}
    if manifest is not None:
        for domain, split, sha, path in manifest:
            got = file_sha256(path) if os.path.isfile(path) else "missing"
            if got != sha:
                raise SystemExit(f"{path}: sha256 {got} differs from the manifest's {sha}; this machine's files differ")
            out[domain][split].append((path, sha, read_text(domain, path, split)))
        return out
    for domain in DOMAINS:
        seen = set()
        order = sorted(candidates(domain), key=lambda p: hashlib.sha256(f"order/{domain}/{p}".encode()).hexdigest())
        used = {"train": 0, "dev": 0, "heldout": 0}
        for path in order:
            split = split_of(domain, path)
            if used[split] >= budgets[split]:
                continue
            sha = file_sha256(path)
            if sha in seen:
                continue
            text = read_text(domain, path, split)
            if text is None:
                continue
            seen.add(sha)
            out[domain][split].append((path, sha, text))
            used[split] += len(text.encode())
    return out


def read_manifest(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            rows.append(tuple(line.rstrip("\n").split("\t")))
    return rows


def write_manifest(path, data, header):
    with open(path, "w") as f:
        for line in header:
            f.write(f"# {line}\n")
        f.write("# domain\tsplit\tsha256 of the file\tpath\n")
        for domain, splits in data.items():
            for split in ("train", "dev", "heldout"):
                for p, sha, _ in splits[split]:
                    f.write(f"{domain}\t{split}\t{sha}\t{p}\n")
