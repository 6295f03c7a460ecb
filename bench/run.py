"""Measure every figure of issue 8 beside its floor and print the table; write bench/results.json.

    python -m bench.run                 # scale 1 (BENCH_SCALE), SQLite under /tmp/portal-bench
    BENCH_SCALE=0.01 python -m bench.run
    BENCH_DATABASE_URL=postgresql+psycopg://... python -m bench.run

Each time is the median of BENCH_REPEAT (at least 5) runs after one warm-up run. A floor is the
same work with nothing of ours around it: the same template rendered from memory, a Core
executemany of the same rows, fpdf2 writing the same text with `multi_cell` and the same font.
The data set is built once per scale (and database) and reused; the import figure works inside
a transaction that is rolled back, so the data set never changes between runs.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import Flask, template_rendered
from flask.testing import FlaskClient
from sqlalchemy import event, insert, select, text

from bench import generate
from bench.app import create

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("BENCH_DIR", "/tmp/portal-bench"))
RESULTS = ROOT / "bench" / "results.json"
PAGE = 50
DEEP_PAGE = 2_000
IMPORT_ROWS = 100_000
FONT = ROOT / "portal" / "fonts" / "DejaVuSans.ttf"


@dataclass
class Figure:
    name: str
    time_ms: float
    floor_ms: float | None
    target: str
    met: bool | None
    queries: int | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.time_ms / self.floor_ms if self.floor_ms else None


def median_ms(work: Callable[[], object], repeat: int, warm: bool = True) -> float:
    """One warm-up run (unless the caller just made one), then the median of `repeat` runs,
    in milliseconds."""
    if warm:
        work()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


# --- the data set ---------------------------------------------------------------------------


def database(scale: float) -> tuple[str, dict]:
    """The database URL and the data set's manifest, generating it when it is not there yet."""
    WORK.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        tag = re.sub(r"\W+", "-", url.split("@")[-1]).strip("-")
        manifest_path = WORK / f"manifest-{tag}-{scale:g}.json"
    else:
        path = WORK / f"bench-{scale:g}.sqlite"
        url = f"sqlite:///{path}"
        manifest_path = WORK / f"manifest-sqlite-{scale:g}.json"
        if not manifest_path.exists() and path.exists():
            path.unlink()
    schema = _schema_version()
    if manifest_path.exists() and os.environ.get("BENCH_REGENERATE") != "1":
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("schema") == schema:
            return url, manifest
    _empty(url)
    print(f"Building the data set at scale {scale:g} in {url.split('@')[-1]} ...", flush=True)
    generate.migrate(url)
    manifest = generate.generate(url, scale) | {"schema": schema}
    manifest_path.write_text(json.dumps(manifest, indent=2))
    print(f"  built in {manifest['seconds']} s: {manifest['counts']}", flush=True)
    return url, manifest


def _schema_version() -> list[str]:
    """The migrations the data set was built with: a new one means building it again."""
    return sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))


def _empty(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


# --- pages in process -----------------------------------------------------------------------


class Probe:
    """Counts the queries of each request and keeps the last rendered template's context."""

    def __init__(self, app: Flask):
        self.app = app
        self.queries = 0
        self.rendered: tuple[str, dict] | None = None
        with app.app_context():
            from portal.extensions import db

            event.listen(db.engine, "before_cursor_execute", self._count)
        template_rendered.connect(self._keep, app)
        with app.test_request_context():
            shared: dict = {}
            app.update_template_context(shared)
        self.shared = set(shared) | {"request", "session", "g", "config"}

    def _count(self, *args) -> None:
        self.queries += 1

    def _keep(self, sender, template, context, **extra) -> None:
        own = {k: v for k, v in context.items() if k not in self.shared}
        self.rendered = (template.name, own)


def signed_in(app: Flask, email: str) -> FlaskClient:
    """A client signed in through the real form (CSRF token and all)."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    data = {"email": email, "password": generate.PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/login", data=data)
    if response.status_code != 302:
        raise RuntimeError(f"could not sign in as {email}: {response.status_code}")
    return client


def get_ok(client: FlaskClient, url: str) -> bytes:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return response.get_data()


def page_figure(
    app: Flask, probe: Probe, client: FlaskClient, name: str, url: str, repeat: int, target: str
) -> Figure:
    """A page beside the same template rendered from memory with the context it rendered."""
    probe.queries = 0
    get_ok(client, url)
    queries = probe.queries
    template, context = probe.rendered
    floor_name = re.sub(r"\W+", "-", name)
    app.extensions["bench_floors"][floor_name] = (template, context)
    took = median_ms(lambda: get_ok(client, url), repeat)
    floor = median_ms(lambda: get_ok(client, f"/bench/floor/{floor_name}"), repeat)
    rows = _rows_in(context)
    return Figure(name, took, floor, target, None, queries, f"{rows} rows" if rows else "")


def _rows_in(context: dict) -> int | None:
    for key in ("listing", "work"):
        value = context.get(key)
        if value is not None and hasattr(value, "rows"):
            return len(value.rows)
    return None


def lists(app, probe, manifest, repeat) -> list[Figure]:
    admin = signed_in(app, manifest["agency_admin"])
    business = signed_in(app, manifest["business_admin"])
    figures = []
    for who, client, base in (
        ("agency admin: /work", admin, "/work"),
        ("agency admin: /dashboard/working", admin, "/dashboard/working"),
        ("business admin: /cases/", business, "/cases/"),
    ):
        first = page_figure(app, probe, client, f"{who} p1", f"{base}?page=1", repeat, "≤2× floor")
        pages = _pages(probe.rendered[1])
        deep = min(DEEP_PAGE, pages) if pages else DEEP_PAGE
        second = page_figure(
            app, probe, client, f"{who} p{deep}", f"{base}?page={deep}", repeat, "≤2× floor"
        )
        for figure in (first, second):
            figure.met = figure.ratio is not None and figure.ratio <= 2
        depth = Figure(
            f"{who} p{deep} vs p1",
            second.time_ms,
            first.time_ms,
            "≤1.5× page 1",
            second.time_ms <= 1.5 * first.time_ms,
            note="page 1 as the floor" + ("" if pages else "; the page ignores ?page="),
        )
        figures += [first, second, depth]
    return figures


def _pages(context: dict) -> int | None:
    for key in ("listing", "work"):
        pages = getattr(context.get(key), "pages", None)
        if pages is not None:
            return pages
    return None


def dashboards(app, probe, manifest, repeat) -> list[Figure]:
    figures = []
    for who, email in (("agency", "agency_admin"), ("business", "business_admin")):
        client = signed_in(app, manifest[email])
        figure = page_figure(
            app, probe, client, f"dashboard: {who}", "/dashboard", repeat, "<150 ms"
        )
        figure.met = figure.time_ms < 150
        figures.append(figure)
    return figures


# --- the import -----------------------------------------------------------------------------


def import_csv(rows: int, path: Path) -> Path:
    """A plain CSV of `rows` invoices, five per debtor, as an accounting export gives them."""
    header = "account_number,debtor_name,email,phone,invoice_number,issue_date,due_date,amount\n"
    with path.open("w", encoding="utf-8") as out:
        out.write(header)
        for n in range(rows):
            debtor = n // 5
            out.write(
                f"IMP-{debtor:06d},Imported Debtor {debtor} Ltd,ap{debtor}@import.example,"
                f"+254700{debtor:06d},IMP-{n:07d},2026-0{1 + n % 8}-10,2026-0{1 + n % 8}-28,"
                f"{1000 + n % 90000}.50\n"
            )
    return path


MAPPING = {
    "account_number": "account_number",
    "debtor_name": "debtor_name",
    "email": "email",
    "phone": "phone",
    "invoice_number": "invoice_number",
    "issue_date": "issue_date",
    "due_date": "due_date",
    "amount": "amount",
}


def import_figure(app: Flask, manifest: dict, repeat: int, rows: int) -> list[Figure]:
    """Preview and confirm of a `rows`-row CSV, rolled back after each run, beside a Core
    executemany of the debtors, cases and invoices it creates."""
    from flask_login import login_user
    from werkzeug.datastructures import FileStorage

    from portal.extensions import db
    from portal.imports import services
    from portal.models import Case, Debtor, Invoice, User

    path = import_csv(rows, WORK / f"import-{rows}.csv")
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == manifest["import_user"]))
        login_user(user)
        with path.open("rb") as stream:
            pending = services.receive(FileStorage(stream, filename=path.name), user, "KES")
        db.session.commit()
        pending = services.with_mapping(pending, MAPPING, "DMY")
        today = generate.datetime.now(generate.UTC).date()

        def run_import() -> int:
            try:
                preview = services.preview(pending, today)
                assert preview.ok, preview.problems[:3]
                return services.confirm(pending, user, today)
            finally:
                db.session.rollback()

        created = run_import()  # the warm-up
        took = median_ms(run_import, repeat, warm=False)
        tracemalloc.start()
        run_import()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        floor = median_ms(lambda: _core_import(db, path, user, Debtor, Case, Invoice), repeat)
        services.discard(pending)
    peak_mb = peak / 1024 / 1024
    return [
        Figure(
            f"import {rows:,}-row CSV (preview + confirm)",
            took,
            floor,
            "≤2× floor",
            took <= 2 * floor,
            note=f"{created:,} draft cases; floor: Core executemany of the same rows",
        ),
        Figure(
            "import memory growth (peak, MB)",
            peak_mb,
            None,
            "<50 MB",
            peak_mb < 50,
            note="tracemalloc peak of one preview + confirm",
        ),
    ]


def _core_import(db, path: Path, user, Debtor, Case, Invoice) -> None:
    """The floor: the same debtors, cases and invoices with Core executemany, rolled back."""
    now = generate.datetime.now(generate.UTC)
    with path.open(encoding="utf-8") as stream:
        lines = list(csv.DictReader(stream))
    try:
        conn = db.session.connection()
        top = conn.execute(select(text("COALESCE(MAX(id), 0)")).select_from(Case)).scalar()
        debtors, cases, invoices = [], [], []
        for start in range(0, len(lines), 5):
            ident = top + 1 + start // 5
            first = lines[start]
            debtors.append(
                {
                    "id": ident,
                    "business_id": user.organisation_id,
                    "kind": "company",
                    "name": first["debtor_name"],
                    "account_number": first["account_number"],
                    "emails": [first["email"]],
                    "phones": [first["phone"]],
                    "country": "KE",
                    "timezone": "Africa/Nairobi",
                    "created_at": now,
                }
            )
            cases.append(
                {
                    "id": ident,
                    "business_id": user.organisation_id,
                    "debtor_id": ident,
                    "status": "draft",
                    "currency": "KES",
                    "created_by_id": user.id,
                    "created_at": now,
                }
            )
            for line in lines[start : start + 5]:
                invoices.append(
                    {
                        "case_id": ident,
                        "number": line["invoice_number"],
                        "issue_date": generate.date.fromisoformat(line["issue_date"]),
                        "due_date": generate.date.fromisoformat(line["due_date"]),
                        "amount_minor": round(float(line["amount"]) * 100),
                        "paid_minor": 0,
                    }
                )
        conn.execute(insert(Debtor.__table__), debtors)
        conn.execute(insert(Case.__table__), cases)
        conn.execute(insert(Invoice.__table__), invoices)
    finally:
        db.session.rollback()


# --- PDFs and CSV ----------------------------------------------------------------------------


def pdf_text(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def fpdf_floor(pages: list[str]) -> bytes:
    """fpdf2 writing the same text with multi_cell and the same font: the PDF floor."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.set_font("DejaVu", size=9)
    for page in pages:
        pdf.add_page()
        pdf.multi_cell(0, 4.5, page)
    return bytes(pdf.output())


def csv_floor(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def documents(app, manifest, repeat) -> list[Figure]:
    admin = signed_in(app, manifest["agency_admin"])
    case_file = f"/cases/{manifest['long_case_id']}/case-file.pdf"
    statement = manifest["big_statement_id"]
    figures = []
    for name, url, target in (
        (
            f"case file ({manifest['long_history']} history, {manifest['long_invoices']} invoices)",
            case_file,
            "≤2× floor",
        ),
        (
            f"statement PDF ({manifest['big_statement']} recoveries)",
            f"/statements/{statement}/pdf",
            "none set",
        ),
    ):
        data = get_ok(admin, url)
        pages = pdf_text(data)
        took = median_ms(lambda url=url: get_ok(admin, url), repeat)
        floor = median_ms(lambda pages=pages: fpdf_floor(pages), repeat)
        met = took <= 2 * floor if target.startswith("≤") else None
        figures.append(Figure(name, took, floor, target, met, note=f"{len(pages)} pages"))
    url = f"/statements/{statement}/csv"
    rows = list(csv.reader(io.StringIO(get_ok(admin, url).decode("utf-8-sig"))))
    took = median_ms(lambda: get_ok(admin, url), repeat)
    floor = median_ms(lambda: csv_floor(rows), repeat)
    figures.append(
        Figure(
            f"statement CSV ({manifest['big_statement']} recoveries)",
            took,
            floor,
            "none set",
            None,
            note=f"{len(rows)} rows; floor: csv.writer from memory",
        )
    )
    return figures


# --- throughput under gunicorn --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _session_cookie(port: int, email: str) -> str:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    from urllib.parse import urlencode

    body = urlencode({"email": email, "password": generate.PASSWORD, "csrf_token": token})
    conn.request(
        "POST",
        "/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"sign-in under gunicorn answered {response.status}")
    return response.getheader("Set-Cookie", "").split(";")[0]


def throughput(url: str, manifest: dict, seconds: float, max_requests: int) -> list[Figure]:
    port = _free_port()
    env = dict(os.environ, BENCH_DATABASE_URL=url, PYTHONPATH=str(ROOT))
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [
            gunicorn,
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "bench.app:create()",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_for(port)
        cookie = _session_cookie(port, manifest["agency_admin"])
        results = {}
        for name, path, headers in (
            ("hello", "/bench/hello", {}),
            ("work", "/work?page=1", {"Cookie": cookie}),
            ("working", "/dashboard/working?page=1", {"Cookie": cookie}),
        ):
            results[name] = _load(port, path, headers, seconds, max_requests)
    finally:
        server.terminate()
        server.wait(timeout=30)
    hello = results["hello"]["rps"]
    figures = []
    for name, label in (("work", "/work"), ("working", "/dashboard/working")):
        rps = results[name]["rps"]
        figures.append(
            Figure(
                f"throughput {label} p1 (req/s, higher is better)",
                rps,
                hello,
                "≥20 % of hello",
                rps >= 0.2 * hello,
                note=(
                    f"{results[name]['requests']} requests in {results[name]['seconds']:.1f} s; "
                    f"hello world: {hello:.0f} req/s; gunicorn -w 2, "
                    f"{results[name]['connections']} keep-alive connections"
                ),
            )
        )
    return figures


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def _load(port: int, path: str, headers: dict, seconds: float, max_requests: int) -> dict:
    """Load from a second process (bench.load), bounded in time and in requests."""
    command = [sys.executable, "-m", "bench.load", str(port), path, str(seconds), str(max_requests)]
    if headers.get("Cookie"):
        command.append(headers["Cookie"])
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


# --- the run --------------------------------------------------------------------------------


def table(figures: list[Figure]) -> str:
    head = ("figure", "time", "floor", "ratio", "target", "met", "queries", "note")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for f in figures:
        per_second = "req/s" in f.name
        unit = "" if per_second or "MB" in f.name else " ms"
        time_text = f"{f.time_ms:,.1f}{unit}"
        floor_text = "—" if f.floor_ms is None else f"{f.floor_ms:,.1f}{unit}"
        ratio = "—" if f.ratio is None else f"{f.ratio:.2f}"
        met = "—" if f.met is None else ("yes" if f.met else "**no**")
        queries = "" if f.queries is None else str(f.queries)
        cells = (f.name, time_text, floor_text, ratio, f.target, met, queries, f.note)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    scale = float(os.environ.get("BENCH_SCALE") or 1)
    repeat = max(5, int(os.environ.get("BENCH_REPEAT") or 5))
    only = set(filter(None, (os.environ.get("BENCH_ONLY") or "").split(",")))
    url, manifest = database(scale)
    sizes = generate.Sizes.at(scale)
    manifest |= {
        "long_history": sizes.long_history,
        "long_invoices": sizes.long_invoices,
        "big_statement": sizes.big_statement,
        "import_user": "admin@business5.example",
    }
    app = create(url)
    probe = Probe(app)
    figures: list[Figure] = []
    steps = {
        "lists": lambda: lists(app, probe, manifest, repeat),
        "dashboards": lambda: dashboards(app, probe, manifest, repeat),
        "import": lambda: import_figure(
            app, manifest, repeat, max(1_000, round(IMPORT_ROWS * min(1.0, scale)))
        ),
        "documents": lambda: documents(app, manifest, repeat),
        "throughput": lambda: throughput(
            url,
            manifest,
            float(os.environ.get("BENCH_SECONDS") or 10),
            int(os.environ.get("BENCH_MAX_REQUESTS") or 20_000),
        ),
    }
    for name, step in steps.items():
        if only and name not in only:
            continue
        started = time.perf_counter()
        print(f"Measuring {name} ...", flush=True)
        figures += step()
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    output = table(figures)
    print()
    print(output)
    RESULTS.write_text(
        json.dumps(
            {
                "scale": scale,
                "database": app.config["SQLALCHEMY_DATABASE_URI"].split("@")[-1].split(":")[0],
                "repeat": repeat,
                "data_set": manifest["counts"],
                "figures": [asdict(f) | {"ratio": f.ratio} for f in figures],
                "table": output,
            },
            indent=2,
            default=str,
        )
    )
    print(f"\nWritten to {RESULTS.relative_to(ROOT)}")
    if any(math.isnan(f.time_ms) for f in figures):
        sys.exit(1)


if __name__ == "__main__":
    main()
