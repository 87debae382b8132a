"""The `mpp` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from mpp.console._cli import add_kb_commands, first_admin_hint, privacy_app, staff_app
from mpp.logging import configure_logging
from mpp.settings import get_settings

__all__ = ["app", "main"]

app = typer.Typer(help="Asisten MPP Kukar: knowledge base, search and assistant tools.", no_args_is_help=True)
kb_app = typer.Typer(help="The service catalogue.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
survey_app = typer.Typer(help="Satisfaction survey (SKM/IKM).", no_args_is_help=True)
app.add_typer(survey_app, name="survey")
app.add_typer(staff_app, name="staff")
app.add_typer(privacy_app, name="privacy")
add_kb_commands(kb_app)


def _echo_json(obj: object) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False))


@kb_app.command("validate")
def kb_validate(directory: Annotated[Path | None, typer.Option(help="catalogue folder")] = None) -> None:
    """Check the catalogue: schema, unique ids, known tenants, requirements, sources."""
    from knowledge_base.catalogue import validate_catalogue

    report = validate_catalogue(directory or get_settings().catalogue_dir)
    for err in report.errors:
        typer.echo(f"ERROR {err}", err=True)
    typer.echo(
        f"{report.files} files, {report.tenants} tenants, {report.services} services, "
        f"{report.verified} verified: {'OK' if report.ok else f'{len(report.errors)} errors'}"
    )
    raise typer.Exit(0 if report.ok else 1)


@kb_app.command("stats")
def kb_stats(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Count services, tenants and verified entries."""
    from knowledge_base.catalogue import load_catalogue

    cat = load_catalogue(get_settings().catalogue_dir)
    stats = {
        "services": len(cat.services),
        "tenants": len(cat.tenants),
        "verified": sum(s.verified for s in cat.services),
    }
    if as_json:
        _echo_json(stats)
    else:
        typer.echo(", ".join(f"{k}: {v}" for k, v in stats.items()))


@kb_app.command("index")
def kb_index() -> None:
    """Build (or load from cache) the search index, fine-tuning the encoder when needed."""
    from knowledge_base.search import SearchConfig, SearchEngine

    engine = SearchEngine.from_settings(SearchConfig(dense=get_settings().search_dense, train_if_stale=True))
    _echo_json(engine.describe())


@app.command("search")
def search(
    text: Annotated[str | None, typer.Argument(help="the question")] = None,
    batch: Annotated[Path | None, typer.Option("--batch", help="file with one query per line")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON (one object per line)")] = False,
    k: Annotated[int, typer.Option(help="results per query")] = 5,
) -> None:
    """Find the services that answer a question."""
    from knowledge_base.search import SearchEngine

    if (text is None) == (batch is None):
        raise typer.BadParameter("give either TEXT or --batch FILE")
    queries = [text] if text is not None else (batch.read_text(encoding="utf-8").splitlines() if batch else [])
    engine = SearchEngine.from_settings()
    for res in engine.search_many(queries, k=k):
        if as_json:
            _echo_json(res.to_dict())
        else:
            flag = "" if res.confident else "  (tidak yakin)"
            typer.echo(f"{res.query}{flag}")
            for h in res.results:
                typer.echo(f"  {h.score:.3f}  {h.id:32s} {h.name} [{h.tenant}]")


@app.command("locate")
def locate(
    text: Annotated[str | None, typer.Argument(help="a desa, kelurahan or kecamatan name")] = None,
    lat: Annotated[float | None, typer.Option(help="latitude of a shared location")] = None,
    lon: Annotated[float | None, typer.Option(help="longitude of a shared location")] = None,
    batch: Annotated[Path | None, typer.Option("--batch", help="file with one place per line")] = None,
    service: Annotated[str | None, typer.Option(help="only offices offering this service id")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON (one object per line)")] = False,
) -> None:
    """The nearest MPP / Mini MPP for a place name or a coordinate."""
    from knowledge_base.catalogue import load_catalogue
    from knowledge_base.offices import load_offices
    from knowledge_base.places import load_gazetteer
    from knowledge_base.places import locate as find_office

    given = sum(x is not None for x in (text, batch)) + (lat is not None or lon is not None)
    if given != 1 or (lat is None) != (lon is None):
        raise typer.BadParameter("give TEXT, --lat and --lon, or --batch FILE")
    directory = load_offices(load_catalogue(get_settings().catalogue_dir))
    gazetteer = load_gazetteer()
    if lat is not None and lon is not None:
        answers = [find_office(directory, gazetteer, lat=lat, lon=lon, service_id=service)]
    else:
        lines = [text or ""] if batch is None else batch.read_text(encoding="utf-8").splitlines()
        answers = [find_office(directory, gazetteer, text=line, service_id=service) for line in lines]
    for ans in answers:
        if as_json:
            _echo_json(ans)
        else:
            office = ans["office"]
            where = f"{office['name']}" if isinstance(office, dict) else "tidak ditemukan"
            dist = f" (±{ans['distance_km']} km)" if ans["distance_km"] is not None else ""
            typer.echo(f"{ans['query']}: {where}{dist}")


@app.command("train")
def train(force: Annotated[bool, typer.Option(help="train even when nothing changed")] = False) -> None:
    """Train the Rasa model with .venv-rasa (skipped when the training data did not change)."""
    from mpp.rasa import train as rasa_train

    trained, path = rasa_train(get_settings(), force=force)
    typer.echo(f"{'trained' if trained else 'up to date'}: {path}")


@app.command("parse")
def parse(
    text: Annotated[str, typer.Argument(help="the message")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Intent, confidence and entities of a message (from the running Rasa, or the model on disk)."""
    from mpp.nlu import parse_texts

    result = parse_texts(get_settings(), [text])[0]
    if as_json:
        _echo_json(result)
    else:
        typer.echo(f"{result['intent']} ({result['confidence']:.2f}) {result['entities']}")


@app.command("actions")
def actions_server() -> None:
    """Serve the rasa-sdk action server on 127.0.0.1 (used by `mpp run`)."""
    from mpp.actions_server import serve_actions

    s = get_settings()
    serve_actions(s.action_server_port, search_cache=s.action_search_cache)


@app.command("run")
def run() -> None:
    """Start the action server, Rasa and the gateway; stop all with Ctrl-C."""
    from mpp.rasa import train as rasa_train
    from mpp.stack import Stack, stop_on_signals

    s = get_settings()
    rasa_train(s)
    stack = Stack(s)
    with stop_on_signals():
        try:
            stack.start()
        except KeyboardInterrupt:
            raise typer.Exit(130) from None  # start() already stopped what it had started
        typer.echo(f"Asisten MPP Kukar berjalan: http://{s.gateway_host}:{s.gateway_port}/  (Ctrl-C untuk berhenti)")
        typer.echo(f"Konsol petugas: http://{s.gateway_host}:{s.gateway_port}/console/")
        if hint := first_admin_hint():
            typer.echo(hint)
        stack.wait()


@app.command("chat")
def chat(sender: Annotated[str, typer.Option(help="conversation id")] = "terminal") -> None:
    """Chat with the assistant in the terminal (starts it when it is not running)."""
    import httpx

    from mpp.stack import Stack, wait_http

    s = get_settings()
    base = f"http://{s.gateway_host}:{s.gateway_port}"
    stack: Stack | None = None
    if not wait_http(f"{base}/health", 1.0):
        from mpp.rasa import train as rasa_train

        rasa_train(s)
        typer.echo("Menyalakan asisten...")
        stack = Stack(s)
        stack.start()
    try:
        typer.echo("Ketik pesan (Ctrl-D untuk keluar). Tombol: ketik nomornya.")
        buttons: list[dict[str, str]] = []
        while True:
            try:
                line = input("> ")
            except EOFError:
                break
            if line.strip().isdigit() and 0 < int(line) <= len(buttons):
                line = buttons[int(line) - 1]["payload"]
            reply = httpx.post(f"{base}/api/chat", json={"sender": sender, "text": line}, timeout=30).json()
            buttons = []
            for m in reply.get("messages", []):
                typer.echo(m.get("text", ""))
                for b in m.get("buttons", []):
                    buttons.append(b)
                    typer.echo(f"  [{len(buttons)}] {b['title']}")
    finally:
        if stack is not None:
            stack.stop()


@survey_app.command("report")
def survey_report(
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or json")] = "json",
    office: Annotated[str | None, typer.Option("--office", help="office id")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="output file (default: standard output)")] = None,
    charts: Annotated[Path | None, typer.Option("--charts", help="folder for PNG charts")] = None,
    period: Annotated[str, typer.Option(help="day, month, quarter or year")] = "month",
    population: Annotated[int | None, typer.Option(help="residents served in the scope (default: bookings)")] = None,
) -> None:
    """IKM per PermenPANRB 14/2017: overall and per office, tenant, service and period."""
    from mpp.survey._cli import survey_report as run_report

    run_report(fmt, office, date_from, date_to, out, charts, period, population)


channels_app = typer.Typer(help="Telegram and WhatsApp channels.", no_args_is_help=True)
app.add_typer(channels_app, name="channels")


@channels_app.command("set-webhook")
def channels_set_webhook() -> None:
    """Register the Telegram webhook (with its secret) and print the Twilio webhook URLs."""
    import asyncio

    from channels._setup import set_webhooks

    ok, lines = asyncio.run(set_webhooks(get_settings()))
    for line in lines:
        typer.echo(line)
    raise typer.Exit(0 if ok else 1)


def main() -> None:
    """Entry point of the `mpp` console script."""
    configure_logging(get_settings().log_level, sys.stderr)
    app()


if __name__ == "__main__":
    main()
