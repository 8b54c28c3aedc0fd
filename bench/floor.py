"""The floor: a plain genanki script writing the benchmark's notes, already rendered to HTML, to one .apkg.

No ankigen, no Markdown: it reads the notes (fields as HTML, as ankigen
derives them) from a JSON file that ``bench/run.py`` writes before timing,
and does only what any genanki script must do. ankigen's cold build is
measured against this.

    python bench/floor.py notes.json out.apkg
"""

from __future__ import annotations

import json
import sys

import genanki


def write_floor(notes_json: str, apkg: str) -> None:
    with open(notes_json, encoding="utf-8") as handle:
        data = json.load(handle)
    models = {
        kind: genanki.Model(
            spec["id"], spec["name"], fields=[{"name": name} for name in spec["fields"]],
            templates=[{"name": "Card 1", "qfmt": spec["front"], "afmt": spec["back"]}], css=spec["css"],
            model_type=genanki.Model.CLOZE if spec["cloze"] else genanki.Model.FRONT_BACK)
        for kind, spec in data["notetypes"].items()
    }
    decks = []
    for deck_data in data["decks"]:
        deck = genanki.Deck(deck_data["id"], deck_data["name"], description=deck_data["description"])
        for note in deck_data["notes"]:
            deck.add_note(genanki.Note(model=models[note["notetype"]], fields=note["fields"], tags=note["tags"],
                                       guid=note["guid"]))
        decks.append(deck)
    genanki.Package(decks).write_to_file(apkg, timestamp=data["timestamp"])


if __name__ == "__main__":
    write_floor(sys.argv[1], sys.argv[2])
