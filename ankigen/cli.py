"""The ``ankigen`` command line: parse options, call the pipeline, print, return an exit code.

The only module that imports click. Exit codes: 0 success, 1 errors in the
sources (or stale decks under --check, or a damaged lock), 2 wrong usage, 3 an
internal error, 4 a problem of the environment (a full disk, a read-only or
unwritable output folder, a collection open in Anki...), not of ankigen or the
sources.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ankigen import __version__

if TYPE_CHECKING:  # imported lazily at run time, to keep `ankigen --help` fast
    from ankigen.errors import Diagnostic
    from ankigen.pipeline import BuildOptions, DeckReport
    from ankigen.sync.plan import Line, Plan

EXIT_OK, EXIT_SOURCE_ERRORS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
# 4: a problem of the environment, not of ankigen or the sources: a full disk, an output folder that cannot be
# written; for sync and diff, a collection open in Anki, locked, or that cannot be synced as it is.
EXIT_ENVIRONMENT = EXIT_COLLECTION_BUSY = 4
DEBUG_ENV = "ANKIGEN_DEBUG"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ankigen")
def cli() -> None:
    """Compile myth/fact study sources (YAML) into Anki decks and printable study sheets.

    \b
    Example:
      ankigen check             # validate every source under cards/
      ankigen build             # write decks/<id>.apkg and decks/<id>.html
    """


@cli.command()
@click.argument("paths", nargs=-1, metavar="[PATHS]...")
@click.option("-o", "--output", "output", default="decks", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder to write the decks to.")
@click.option("--format", "formats", default="apkg,html", show_default=True, metavar="LIST",
              help="Comma-separated outputs to write: apkg, html.")
@click.option("--answers", type=click.Choice(["key", "inline"]), default="key", show_default=True,
              help="Study sheet answers: an answer key at the end, or filled in (for revision).")
@click.option("--layout", type=click.Choice(["sheet", "cards"]), default="sheet", show_default=True,
              help="Study sheet layout: a sheet to read, or flashcards to cut out (duplex printing).")
@click.option("--one-package", "one_package", metavar="NAME.apkg", default="",
              help="Also write DIR/NAME.apkg holding every deck of DIR: one import in Anki instead of one per deck, "
                   "with the same notes, reviews kept either way.")
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 and name the decks that are out of date with their sources.")
@click.option("-v", "--verbose", is_flag=True,
              help="Name every added, changed and removed note, with the line it is written on.")
def build(paths: tuple[str, ...], output: Path, formats: str, answers: str, layout: str, one_package: str,
          check_only: bool, verbose: bool) -> None:
    """Build decks from sources (default: every .yaml under cards/).

    Writes DIR/<id>.apkg (import it into Anki) and DIR/<id>.html (print it),
    and DIR/ankigen.lock, which keeps note identities and times across builds;
    commit it with the decks. Unchanged decks are not rewritten.

    \b
    Examples:
      ankigen build
      ankigen build cards/deep-learning-myths.yaml -o out --format apkg
      ankigen build --check      # in CI: fail when decks/ is stale
      ankigen build -v           # name each added, changed and removed note
      ankigen build --one-package all-decks.apkg   # decks/all-decks.apkg: every deck, one import
    """
    from ankigen.pipeline import FORMATS, BuildOptions

    chosen = tuple(part.strip() for part in formats.split(",") if part.strip())
    unknown = [part for part in chosen if part not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"choose from {', '.join(FORMATS)}", param_hint="--format")
    options = BuildOptions(formats=tuple(f for f in FORMATS if f in chosen), answers=answers, layout=layout,
                           one_package=_one_package_name(one_package, chosen))
    _check_output_folder(output)
    _run(lambda: _build(list(paths), output, options, check_only, verbose, _build_command(paths, output, options)))


def _one_package_name(name: str, formats: tuple[str, ...]) -> str:
    """--one-package's file name, written into the output folder beside the decks."""
    if not name:
        return ""
    if "/" in name or "\\" in name or name.startswith(".") or not name.endswith(".apkg") or name == ".apkg":
        raise click.BadParameter(f"'{name}' is not a file name ending in .apkg (it is written into the output "
                                 "folder, -o), e.g. all-decks.apkg", param_hint="--one-package")
    if "apkg" not in formats:
        raise click.BadParameter("needs the decks' packages: add apkg to --format", param_hint="--one-package")
    return name


def _check_output_folder(output: Path) -> None:
    """Refuse an output folder below a file (click itself refuses one that is a file)."""
    for parent in output.parents:
        if parent.exists() and not parent.is_dir():
            from ankigen.pipeline import display_path

            raise click.BadParameter(f"'{display_path(output)}' is below '{display_path(parent)}', which is a "
                                     "file, not a folder", param_hint="'-o' / '--output'")


def _build_command(paths: tuple[str, ...], output: Path, options: BuildOptions) -> str:
    """The `ankigen build` that writes what `build --check` with these arguments compares against."""
    from ankigen.pipeline import BuildOptions

    words = ["ankigen", "build", *paths]
    if output != Path("decks"):
        words += ["-o", output.as_posix()]
    default = BuildOptions()
    if options.formats != default.formats:
        words += ["--format", ",".join(options.formats)]
    if options.answers != default.answers:
        words += ["--answers", options.answers]
    if options.layout != default.layout:
        words += ["--layout", options.layout]
    if options.one_package:
        words += ["--one-package", options.one_package]
    return " ".join(shlex.quote(word) for word in words)


@cli.command()
@click.argument("paths", nargs=-1, metavar="[PATHS]...")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (for CI).")
@click.option("--fix", is_flag=True, help="Write every missing 'id:' into the sources, changing nothing else.")
@click.option("--diff", is_flag=True, help="Show what --fix would change, as a diff; write nothing.")
def check(paths: tuple[str, ...], strict: bool, fix: bool, diff: bool) -> None:
    """Validate sources and warn about weak cards, without writing anything (but with --fix).

    --fix gives every deck, myth and item without an 'id:' the id it has now,
    so later edits of its text keep its reviews; files with errors are left as
    they are. Then the sources are checked as usual.

    \b
    Examples:
      ankigen check cards/ --strict
      ankigen check --diff       # see the ids --fix would write
      ankigen check --fix
    """
    if fix and diff:
        raise click.UsageError("choose one of --fix and --diff")
    _run(lambda: _fix(list(paths), write=fix) if fix or diff else _check(list(paths), strict))


def _fix(paths: list[str], write: bool) -> int:
    from ankigen.fix_ids import fix_ids, write_fixes

    fixed, skipped, problems = fix_ids(paths)
    for problem in problems:
        click.echo(problem, err=True)
    for change in fixed:
        if write:
            click.echo(f"{change.shown}: wrote {len(change.ids)} id(s): {', '.join(change.ids)}")
        else:
            click.echo(change.diff(), nl=False)
    if write:
        write_fixes(fixed)
    for item in skipped:
        click.echo(f"{item.shown}: {item.reason}", err=True)
    if problems:
        return EXIT_SOURCE_ERRORS
    if not write:
        return EXIT_OK if not skipped else EXIT_SOURCE_ERRORS
    return _check(paths, strict=False)


@cli.command()
@click.argument("paths", nargs=-1, metavar="[PATHS]...")
@click.option("-o", "--output", "output", default="decks", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder to write the decks to.")
@click.option("--interval", default=0.5, show_default=True, type=click.FloatRange(0.05, 60),
              help="Seconds between looks at the sources.")
def watch(paths: tuple[str, ...], output: Path, interval: float) -> None:
    """Build, then rebuild whenever a source is saved; errors are printed and watching goes on.

    Stop it with Ctrl-C.

    \b
    Example:
      ankigen watch cards/ -o decks
    """
    from ankigen.pipeline import BuildOptions
    from ankigen.watch import watch as watch_sources

    _check_output_folder(output)

    def rebuild() -> set[Path]:
        inputs: set[Path] = set()
        try:
            _build(list(paths), output, BuildOptions(), check_only=False, inputs=inputs)
        except Exception as exc:  # keep watching: the next save (or a freed disk) may fix it
            if os.environ.get(DEBUG_ENV):
                raise
            click.echo(_explain(exc)[0], err=True)
        click.echo(f"watching {', '.join(paths) or 'cards'} for changes (Ctrl-C to stop)", err=True)
        return inputs

    def watch_forever() -> int:
        watch_sources(list(paths), rebuild, interval)
        return EXIT_OK

    _run(watch_forever)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the source format, for editors that complete keys and flag mistakes.

    Save it next to your sources and name it in the first line of each source
    (the README's "Editor support" says more).

    \b
    Example:
      ankigen schema > cards/ankigen.schema.json
      # and as the first line of cards/my-deck.yaml:
      # yaml-language-server: $schema=ankigen.schema.json
    """
    def print_schema() -> int:
        from ankigen.pipeline import json_schema

        click.echo(json_schema(), nl=False)
        return EXIT_OK

    _run(print_schema)


_COLLECTION_HELP = "The collection file to write into (a profile's collection.anki2)."
_PROFILE_HELP = "An Anki profile's name, instead of --collection (found where Anki keeps profiles; ANKI_BASE too)."


_OUTPUT_HELP = "The build's folder (its ankigen.lock keeps cloze numbers and moved notes' identities)."

_F = TypeVar("_F", bound=Callable[..., Any])


def _collection_options(command: _F) -> _F:
    """The sources, the collection (or profile) and the build folder: what sync and diff both take."""
    command = click.option("-o", "--output", "output", default="decks", show_default=True,
                           type=click.Path(file_okay=False, path_type=Path), help=_OUTPUT_HELP)(command)
    command = click.option("--profile", metavar="NAME", help=_PROFILE_HELP)(command)
    command = click.option("--collection", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
                           help=_COLLECTION_HELP)(command)
    return click.argument("paths", nargs=-1, metavar="[PATHS]...")(command)


@cli.command()
@_collection_options
@click.option("--removed", type=click.Choice(["suspend", "delete"]), default="suspend", show_default=True,
              help="What happens to notes removed from the sources: their cards suspended and tagged "
                   "'ankigen::removed', or the notes deleted (with their review history).")
@click.option("--force", is_flag=True, help="Overwrite notes edited in Anki with the sources, naming each one.")
@click.option("--dry-run", is_flag=True, help="Print what would change, write nothing.")
@click.option("-v", "--verbose", is_flag=True, help="Name every note, with its source path:line.")
def sync(paths: tuple[str, ...], collection: Path | None, profile: str | None, output: Path, removed: str,
         force: bool, dry_run: bool, verbose: bool) -> None:
    """Write the decks straight into an Anki collection, and make it match the sources.

    Builds as `build` does (DIR/<id>.apkg, .html and ankigen.lock), then adds new notes, updates changed ones
    in place (reviews kept), moves cards whose deck changed, retires notes
    removed from the sources, and updates ankigen's notetypes and media. Notes
    edited in Anki are never overwritten silently: a note edited in Anki and in
    the source is left alone and reported (see `ankigen diff`; --force
    overwrites). Close Anki first: an open collection is refused. A backup is
    made first, in the collection's backups folder, and all changes land at
    once or not at all. Needs `pip install 'ankigen[sync]'`.

    \b
    Examples:
      ankigen sync --profile "User 1" --dry-run
      ankigen sync cards/ --collection path/to/collection.anki2 -v
    """
    from ankigen.sync.plan import SyncOptions

    path = _collection_path(collection, profile)
    options = SyncOptions(removed="delete" if removed == "delete" else "suspend", force=force)
    _run(lambda: _sync(list(paths), path, output, options, dry_run, verbose), collection_errors=True)


@cli.command()
@_collection_options
def diff(paths: tuple[str, ...], collection: Path | None, profile: str | None, output: Path) -> None:
    """Show every note whose fields in Anki differ from the sources (writes nothing).

    Each note is named by its source path:line; '-' lines are the source,
    '+' lines are Anki. Carry edits made in Anki back into the YAML, or run
    `ankigen sync --force` to overwrite them. Exits 1 when a note differs.

    \b
    Example:
      ankigen diff --profile "User 1"
    """
    path = _collection_path(collection, profile)
    _run(lambda: _diff(list(paths), path, output), collection_errors=True)


def _collection_path(collection: Path | None, profile: str | None) -> Path:
    if (collection is None) == (profile is None):
        raise click.UsageError("name the collection: --collection PATH or --profile NAME (one of them)")
    if collection is not None:
        if not collection.is_file():
            raise click.BadParameter(f"no collection file at {collection}", param_hint="--collection")
        return collection
    from ankigen.sync.profiles import ProfileNotFound, profile_collection

    try:
        return profile_collection(profile or "")
    except ProfileNotFound as exc:
        raise click.BadParameter(str(exc), param_hint="--profile") from exc


def _sync(paths: list[str], collection: Path, output: Path, options: object, dry_run: bool, verbose: bool) -> int:
    from ankigen.pipeline import BuildOptions
    from ankigen.sync.command import check_collection
    from ankigen.sync.command import sync as sync_collection
    from ankigen.sync.plan import SyncOptions

    assert isinstance(options, SyncOptions)
    check_collection(collection)  # before building: a refused sync writes nothing at all
    if not dry_run:  # build first, as `ankigen build` does: the lock keeps cloze numbers and moved notes
        built = _build(paths, output, BuildOptions(), check_only=False)
        if built != EXIT_OK:
            return built
    outcome = sync_collection(paths, collection, options, dry_run, output)
    _print_diagnostics(outcome.diagnostics, strict=False)
    if outcome.result is None:
        errors = sum(d.severity == "error" for d in outcome.diagnostics)
        click.echo(f"error: {errors} error(s) in the sources; the collection was not touched", err=True)
        return EXIT_SOURCE_ERRORS
    result = outcome.result
    plan = result.plan
    if plan.problems:
        for problem in plan.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo("error: the collection was not touched", err=True)
        return EXIT_COLLECTION_BUSY
    _print_plan(plan, collection, verbose or dry_run, verbose)
    counts = (f"added {len(plan.added)}, updated {len(plan.updated)}, moved {len(plan.moved)}, "
              f"retired {len(plan.retired)}, conflicting {len(plan.conflicting)}, unchanged {len(plan.unchanged)}")
    extras = [f"{label} {count}" for label, count in (
        ("kept as edited in Anki", len(plan.kept)), ("overwritten", len(plan.overwritten)),
        ("notetypes updated", len(plan.notetypes)), ("media added", len(plan.media))) if count]
    summary = "; ".join([counts, *extras])
    if dry_run:
        click.echo(f"dry run, nothing written: {collection}: {summary}")
        return EXIT_OK
    verb = "synced" if result.wrote or result.media_written else "up to date, not written"
    click.echo(f"{verb}: {collection}: {summary}")
    if result.backup is not None:
        click.echo(f"backup: {result.backup}")
    return EXIT_OK


def _print_plan(plan: Plan, collection: Path, changes: bool, unchanged: bool) -> None:
    """Each note that changes (``changes``) and each that does not (``unchanged``); conflicts and overwrites always."""
    def show(lines: tuple[Line, ...], label: str) -> None:
        for line in lines:
            click.echo(_line(line, label))

    if changes:
        for lines, label in ((plan.added, "added"), (plan.updated, "updated"), (plan.moved, "moved"),
                             (plan.retired, "retired"), (plan.kept, "kept")):
            show(lines, label)
    else:
        show(plan.overwritten, "overwritten")
    if unchanged:
        show(plan.unchanged, "unchanged")
    for line in plan.conflicting:
        click.echo(f"{_line(line, 'conflicting')}: see 'ankigen diff --collection {collection}'; "
                   "carry the edit into the source, or sync --force to overwrite it", err=True)
    for warning in plan.warnings:
        click.echo(f"warning: {warning}", err=True)


def _line(line: Line, label: str) -> str:
    text = f"{line.where}: {label} '{line.key}' in deck '{line.deck}'"
    return f"{text} ({line.detail})" if line.detail else text


def _diff(paths: list[str], collection: Path, output: Path) -> int:
    from ankigen.sync.command import diff as diff_collection
    from ankigen.sync.diff import format_note_diff

    outcome = diff_collection(paths, collection, output)
    _print_diagnostics(outcome.diagnostics, strict=False)
    if outcome.differences is None:
        errors = sum(d.severity == "error" for d in outcome.diagnostics)
        click.echo(f"error: {errors} error(s) in the sources", err=True)
        return EXIT_SOURCE_ERRORS
    found = outcome.differences
    for note in found.notes:
        for text in format_note_diff(note):
            click.echo(text)
    missing = f"; {found.missing} not in the collection yet (sync adds them)" if found.missing else ""
    click.echo(f"{collection}: {len(found.notes)} note(s) differ from the sources, {found.same} the same{missing}")
    return EXIT_SOURCE_ERRORS if found.notes else EXIT_OK


def _check(paths: list[str], strict: bool) -> int:
    from ankigen.pipeline import check as check_sources

    outcome = check_sources(paths)
    _print_diagnostics(outcome.diagnostics, strict)
    if outcome.errors or (strict and outcome.warnings):
        return EXIT_SOURCE_ERRORS
    for report in outcome.reports:
        click.echo(f"{report.key}: ok ({_counts(report)})")
    notes = sum(report.myth_notes + report.cloze_notes for report in outcome.reports)
    cards = sum(report.myth_cards + report.cloze_cards for report in outcome.reports)
    warnings = _plural(len(outcome.warnings), "warning") if outcome.warnings else "no warnings"
    click.echo(f"checked {_plural(outcome.sources, 'source')}: {_plural(len(outcome.reports), 'deck')}, "
               f"{_plural(notes, 'note')}, {_plural(cards, 'card')}; {warnings}")
    return EXIT_OK


def _build(paths: list[str], output: Path, options: BuildOptions, check_only: bool, verbose: bool = False,
           command: str = "ankigen build", inputs: set[Path] | None = None) -> int:
    """Build (or check), print what happened, return the exit code; ``inputs`` gets the files read besides sources."""
    from ankigen.pipeline import build as build_decks
    from ankigen.pipeline import display_path

    try:
        with _Progress() as progress:
            outcome = build_decks(paths, output, options, dry_run=check_only, progress=progress)
    except ValueError as exc:
        if options.one_package:
            from ankigen.one_package import NameTaken

            if isinstance(exc, NameTaken):
                raise click.BadParameter(str(exc), param_hint="--one-package") from exc
        raise
    if inputs is not None:
        inputs.update(outcome.inputs)
    _print_diagnostics(outcome.diagnostics, strict=False)
    if outcome.errors:
        click.echo(f"error: {len(outcome.errors)} error(s); nothing was written", err=True)
        return EXIT_SOURCE_ERRORS
    stale = False
    for report in outcome.reports:
        changes = report.changes
        summary = f"added {len(changes.added)}, changed {len(changes.changed)}, " \
                  f"removed {len(changes.removed)}, unchanged {changes.unchanged}"
        if check_only:
            if report.written:
                stale = True
                names = ", ".join(display_path(p) for p in report.written)
                click.echo(f"{report.key}: stale ({names} would change; {summary})")
            else:
                click.echo(f"{report.key}: up to date")
            if verbose:
                _echo_changed_notes(report)
            continue
        where = ", ".join(display_path(p) for p in report.outputs)
        verb = "wrote" if report.written else "unchanged"
        click.echo(f"{report.key}: {_counts(report)}; {summary}; {verb} {where}")
        if verbose:
            _echo_changed_notes(report)
        if changes.moved:
            click.echo(f"  moved here, keeping their reviews: {', '.join(changes.moved)}")
        if changes.removed:
            click.echo(f"  removed notes are shipped once more tagged 'ankigen::removed': in Anki, "
                       f"search 'tag:ankigen::removed' and delete them ({', '.join(sorted(changes.removed))})")
    for message in outcome.messages:
        click.echo(message)
    if options.one_package:
        shown = display_path(output / options.one_package)
        if check_only and outcome.one_package:
            stale = True
            click.echo(f"{shown}: stale (every deck in one package)")
        elif not check_only:
            verb = "wrote" if outcome.one_package else "unchanged"
            click.echo(f"{verb} {shown}, every deck in one package (import it instead of each deck's package)")
    if check_only and (stale or outcome.lock_written):
        if outcome.lock_written and not stale:
            click.echo(f"{display_path(output)}/ankigen.lock is stale")
        click.echo(f"error: decks are out of date with their sources; run this and commit the result: {command}",
                   err=True)
        return EXIT_SOURCE_ERRORS
    return EXIT_OK


def _echo_changed_notes(report: DeckReport) -> None:
    """One line per added, changed and removed note, located like a diagnostic so editors can jump to it."""
    from ankigen.pipeline import note_locations

    changes = report.changes
    where = note_locations(report.source_path) if changes.added or changes.changed else {}
    for verb, keys in (("added", changes.added), ("changed", changes.changed)):
        for key in keys:
            at = where.get(key)
            shown = f"{at.path}:{at.line}:{at.column}" if at else report.source_path
            click.echo(f"  {shown}: {verb} '{key}'")
    for key in sorted(changes.removed):  # no longer in the source: its file, without a line
        click.echo(f"  {report.source_path}: removed '{key}'")


class _Progress:
    """click's progress bar (on stderr) once a build has run for a second; nothing when stderr is not a terminal."""

    DELAY = 1.0

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.stack = contextlib.ExitStack()
        self.bar: Any = None

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stack.close()

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if done >= total or time.monotonic() - self.started < self.DELAY or not sys.stderr.isatty():
                return
            self.bar = self.stack.enter_context(click.progressbar(length=total, label="building", file=sys.stderr))
        self.bar.update(done - self.bar.pos)


def _counts(report: DeckReport) -> str:
    return (f"{_plural(report.myth_notes, 'myth-or-fact/choice note')} ({_plural(report.myth_cards, 'card')}), "
            f"{_plural(report.cloze_notes, 'cloze note')} ({_plural(report.cloze_cards, 'card')})")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _print_diagnostics(diagnostics: list[Diagnostic], strict: bool) -> None:
    from ankigen.errors import Diagnostic, format_diagnostic

    for diagnostic in diagnostics:
        if strict and diagnostic.severity == "warning":
            diagnostic = Diagnostic(diagnostic.location, diagnostic.message, diagnostic.hint, "error")
        click.echo(format_diagnostic(diagnostic), err=True)


def _run(action: Callable[[], int], collection_errors: bool = False) -> None:
    """Run a command body; turn its result into the exit code, and any crash into one line."""
    try:
        code = action() if not collection_errors else _collection_guard(action)
    except KeyboardInterrupt:
        click.echo("interrupted; outputs were left as they were", err=True)
        code = 130
    except click.exceptions.ClickException:
        raise
    except Exception as exc:  # the last line of defence: no traceback reaches a user
        if os.environ.get(DEBUG_ENV):
            raise
        line, code = _explain(exc)
        click.echo(line, err=True)
    sys.exit(code)


def _collection_guard(action: Callable[[], int]) -> int:
    """sync and diff: the anki extra missing, or the collection busy or unusable, in one line each."""
    from ankigen.sync.command import SyncUnavailable

    try:
        return action()
    except SyncUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_USAGE
    except Exception as exc:
        from ankigen.sync import anki_backend

        if isinstance(exc, anki_backend.CollectionBusy):
            click.echo("error: the collection is open in Anki or locked by another program: close Anki, "
                       "then run again (nothing was written)", err=True)
            return EXIT_COLLECTION_BUSY
        if isinstance(exc, anki_backend.CollectionProblem):
            click.echo(f"error: cannot use the collection: {exc} (nothing was written)", err=True)
            return EXIT_COLLECTION_BUSY
        raise


def _explain(exc: Exception) -> tuple[str, int]:
    """The one line a user sees for an exception, and the exit code it means."""
    from ankigen.atomic import OutputError
    from ankigen.lockfile import LockError
    from ankigen.pipeline import SettingError, display_path

    if isinstance(exc, LockError):
        return f"error: {exc}", EXIT_SOURCE_ERRORS
    if isinstance(exc, SettingError):
        return f"error: {exc}", EXIT_USAGE
    if isinstance(exc, OutputError):
        return f"error: {exc.describe(display_path(Path(exc.path)))}", EXIT_ENVIRONMENT
    if isinstance(exc, OSError) and exc.filename is not None:  # any other file the system would not give us
        shown = display_path(Path(os.fsdecode(exc.filename)))
        return f"error: {shown}: {exc.strerror or exc}", EXIT_ENVIRONMENT
    if isinstance(exc, MemoryError):
        return "error: out of memory", EXIT_ENVIRONMENT
    return (f"internal error: {type(exc).__name__}: {exc}. This is a bug in ankigen {__version__}; "
            f"please report it with the command you ran (set {DEBUG_ENV}=1 for details).", EXIT_INTERNAL)


def main() -> None:
    cli(prog_name="ankigen")
